// The BDU's inverter CAN port speaking Pylon HV (src/firmware/bdu/bdu_controller_inverter.cpp,
// docs/protocols/inverter.md): silent until polled, a poll answered at once from the receive
// interrupt, sleep / wake, the relay command, the keep-relay request and its 5 minutes, the
// battery address of the dialect. Driven through a fake HAL with modules on its Link bus.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "fake_bdu_hal.hpp"
#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"

namespace bts::firmware {
namespace {

using fake::FakeBduHal;
using fake::FakeInverter;
using fake::FakeLinkModules;
namespace pylon = pylon_hv;

constexpr TimeMs kTick_ms = 10;

BduConfig pylon_config(const pylon::PylonDialect& dialect = pylon::kSpecDialect) {
  BduConfig config;
  config.serial_number = 0xB0010001u;
  config.inverter_protocol = InverterProtocol::PylonHv;
  config.pylon_dialect = dialect;
  return config;
}

/// A BDU with two modules and a Pylon HV inverter polling every second.
class PylonRig {
 public:
  explicit PylonRig(const BduConfig& config = pylon_config())
      : modules(hal, 2, config.firmware_version), inverter(hal, 0), bdu(hal, config) {
    inverter.pylon = true;
  }
  FakeBduHal hal;
  FakeLinkModules modules;
  FakeInverter inverter;
  BduController bdu;

  TimeMs now() const { return now_ms_; }
  void advance(TimeMs duration_ms) {
    const TimeMs end_ms = now_ms_ + duration_ms;
    while (now_ms_ < end_ms) {
      now_ms_ += kTick_ms;
      hal.step(now_ms_);
      modules.step(now_ms_);
      inverter.step(now_ms_);
      // As the simulator runs it (when_due_only): the 10 ms task only when due or a frame waits.
      if (!when_due_only || hal.bdu_task_due(now_ms_, bdu.next_tick_ms())) bdu.tick(now_ms_);
    }
  }
  bool when_due_only = false;
  bool connect() {
    hal.dc_switch_closed = true;
    hal.black_start_pressed = true;
    advance(1500);
    hal.black_start_pressed = false;
    for (int k = 0; k < 2000 && bdu.state() != BduState::Idle; ++k) advance(kTick_ms);
    return bdu.state() == BduState::Idle;
  }
  /// A frame from the inverter handled by the receive interrupt; returns what the BDU sent.
  std::vector<CanFrame> send(const CanFrame& frame) {
    const std::size_t before = hal.com_sent.size();
    hal.push_com(frame);
    bdu.on_com_receive(now_ms_);
    std::vector<CanFrame> sent;
    for (std::size_t k = before; k < hal.com_sent.size(); ++k)
      sent.push_back(hal.com_sent[k].frame);
    return sent;
  }
  bool relays_closed() const { return hal.coils()[0] && hal.coils()[1]; }

 private:
  TimeMs now_ms_ = 0;
};

std::vector<std::uint32_t> ids_of(const std::vector<CanFrame>& frames) {
  std::vector<std::uint32_t> ids;
  for (const CanFrame& frame : frames) ids.push_back(frame.id);
  return ids;
}

pylon::InverterCommand command(pylon::InverterCommand::Kind kind, std::uint8_t address = 0) {
  pylon::InverterCommand c;
  c.kind = kind;
  c.address = address;
  return c;
}

TEST(BduPylonPort, EnsemblePollIsAnsweredAtOnceWithNineFramesCarryingTheBduValues) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  rig.advance(3000);
  const std::vector<CanFrame> answer =
      rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::Poll)));
  EXPECT_EQ(ids_of(answer), (std::vector<std::uint32_t>{0x4210, 0x4220, 0x4230, 0x4240, 0x4250,
                                                        0x4260, 0x4270, 0x4280, 0x4290}));
  pylon::BatteryReport report;
  for (const CanFrame& frame : answer)
    ASSERT_TRUE(pylon::decode_frame(frame, pylon::kSpecDialect, report));
  const pylon::BatteryValues expected = rig.bdu.pylon_values();
  EXPECT_EQ(report.values.voltage_dV, expected.voltage_dV);
  EXPECT_EQ(report.values.charge_current_limit_dA,
            rig.bdu.inverter_values().charge_current_limit_dA);
  EXPECT_EQ(report.values.discharge_current_limit_dA,
            rig.bdu.inverter_values().discharge_current_limit_dA);
  EXPECT_GT(report.values.discharge_current_limit_dA, 0) << "connected: the battery may discharge";
  EXPECT_EQ(report.values.charge_voltage_limit_dV,
            rig.bdu.inverter_values().charge_voltage_limit_dV);
  EXPECT_EQ(report.values.soc_permille, (rig.bdu.soc_permille() + 5) / 10 * 10);
  EXPECT_EQ(report.values.status, pylon::BasicStatus::Idle);
  EXPECT_FALSE(report.values.charge_forbidden);
}

/// Module 2 says (MODULE_ESTIMATES) whether it wants a calibration (full) charge.
void module_asks_for_calibration(FakeBduHal& hal, bool asks) {
  link::ModuleEstimates estimates;
  estimates.module_address = 2;
  estimates.soc_uncertainty_permille = asks ? 80 : 10;
  estimates.calibration_request = asks;
  hal.push_link(estimates.encode());
}

TEST(BduPylonPort, ACalibrationRequestIsTheBalanceChargeBitOfTheStatusFrame) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  const auto status_byte0 = [&rig]() -> int {
    for (const CanFrame& frame :
         rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::Poll)))) {
      if (frame.id == 0x4250) return frame.data[0];
    }
    return -1;
  };
  rig.advance(1000);
  EXPECT_EQ(status_byte0() & 0x18, 0) << "nothing asked";
  module_asks_for_calibration(rig.hal, true);
  rig.advance(200);
  EXPECT_EQ(status_byte0() & 0x18, 0x10) << "balance (full) charge asked, no forced charge";
  module_asks_for_calibration(rig.hal, false);
  rig.advance(200);
  EXPECT_EQ(status_byte0() & 0x18, 0) << "withdrawn";
}

TEST(BduSofarPort, ACalibrationRequestIsTheFullChargeBitOf0x35C) {
  BduConfig config;
  config.serial_number = 0xB0010001u;
  PylonRig rig(config);
  rig.inverter.pylon = false;
  ASSERT_TRUE(rig.connect());
  const auto last_flags = [&rig]() {
    sofar::RequestFlags flags;
    bool found = false;
    for (const auto& sent : rig.hal.com_sent)
      found |= sofar::decode_request_flags(sent.frame, flags);
    EXPECT_TRUE(found) << "no 0x35C sent";
    rig.hal.com_sent.clear();
    return flags;
  };
  rig.advance(1100);
  sofar::RequestFlags flags = last_flags();
  EXPECT_TRUE(flags.charge_enable && flags.discharge_enable);
  EXPECT_FALSE(flags.full_charge_request || flags.force_charge);
  module_asks_for_calibration(rig.hal, true);
  rig.advance(1100);
  flags = last_flags();
  EXPECT_TRUE(flags.full_charge_request);
  EXPECT_FALSE(flags.force_charge);
}

TEST(BduPylonPort, EquipmentPollIsAnsweredWithVersionsTopologyAndManufacturer) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  pylon::InverterCommand poll = command(pylon::InverterCommand::Kind::Poll);
  poll.poll = pylon::PollRequest::Equipment;
  const std::vector<CanFrame> answer = rig.send(pylon::encode_command(poll));
  EXPECT_EQ(ids_of(answer), (std::vector<std::uint32_t>{0x7310, 0x7320, 0x7330, 0x7340}));
  pylon::BatteryReport report;
  for (const CanFrame& frame : answer)
    ASSERT_TRUE(pylon::decode_frame(frame, pylon::kSpecDialect, report));
  EXPECT_EQ(report.values.topology.modules_in_series, 2);
  EXPECT_EQ(report.values.topology.cells_in_series, 32);
  EXPECT_EQ(std::string(report.manufacturer.data(), 5), "PYLON");
}

TEST(BduPylonPort, SilentWithoutPollsAndNoSofarFrames) {
  PylonRig rig;
  rig.inverter.present = false;
  rig.hal.dc_switch_closed = true;
  rig.hal.black_start_pressed = true;
  rig.advance(1500);
  rig.hal.black_start_pressed = false;
  rig.advance(20000);
  for (const auto& sent : rig.hal.com_sent) {
    EXPECT_FALSE(pylon::split_id(sent.frame.id).has_value())
        << "Pylon HV batteries speak only when polled";
    EXPECT_FALSE(sofar::split_id(sent.frame.id).has_value()) << std::hex << sent.frame.id;
  }
}

TEST(BduPylonPort, SleepOpensTheRelaysAndWakeConnectsAgain) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  pylon::InverterCommand sleep = command(pylon::InverterCommand::Kind::Sleep);
  sleep.sleep = pylon::SleepCommand::Sleep;
  EXPECT_TRUE(rig.send(pylon::encode_command(sleep)).empty()) << "sleep has no answer";
  rig.advance(5000);
  EXPECT_EQ(rig.bdu.state(), BduState::Standby);
  EXPECT_FALSE(rig.relays_closed());
  EXPECT_TRUE(rig.bdu.inverter_sleep_requested());
  rig.advance(60000);
  EXPECT_EQ(rig.bdu.state(), BduState::Standby) << "stays asleep while polled";
  pylon::InverterCommand wake = sleep;
  wake.sleep = pylon::SleepCommand::Wake;
  rig.send(pylon::encode_command(wake));
  rig.advance(10000);
  EXPECT_EQ(rig.bdu.state(), BduState::Idle);
  EXPECT_TRUE(rig.relays_closed());
}

TEST(BduPylonPort, RelayCommandWakesASleepingBattery) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  pylon::InverterCommand sleep = command(pylon::InverterCommand::Kind::Sleep);
  sleep.sleep = pylon::SleepCommand::Sleep;
  rig.send(pylon::encode_command(sleep));
  rig.advance(5000);
  ASSERT_EQ(rig.bdu.state(), BduState::Standby);
  pylon::InverterCommand relay = command(pylon::InverterCommand::Kind::Relay);
  relay.charge_command = true;
  rig.send(pylon::encode_command(relay));
  rig.advance(10000);
  EXPECT_EQ(rig.bdu.state(), BduState::Idle);
}

TEST(BduPylonPort, CommandsForAnotherAddressAreIgnored) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  pylon::InverterCommand sleep = command(pylon::InverterCommand::Kind::Sleep, 3);
  sleep.sleep = pylon::SleepCommand::Sleep;
  rig.send(pylon::encode_command(sleep));
  rig.advance(5000);
  EXPECT_EQ(rig.bdu.state(), BduState::Idle);
  EXPECT_TRUE(
      rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::KeepRelay, 3))).empty());
}

TEST(BduPylonPort, DialectAddressMovesEveryAnswerId) {
  PylonRig rig(pylon_config(pylon::kSofarHydDialect));
  ASSERT_TRUE(rig.connect());
  const std::vector<CanFrame> answer =
      rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::Poll)));
  ASSERT_EQ(answer.size(), 9u);
  EXPECT_EQ(answer.front().id, 0x4211u);
  EXPECT_EQ(answer.back().id, 0x4291u);
  // Sofar HYD reads the discharge limit as a positive current.
  pylon::BatteryReport report;
  for (const CanFrame& frame : answer)
    ASSERT_TRUE(pylon::decode_frame(frame, pylon::kSofarHydDialect, report));
  EXPECT_EQ(report.values.discharge_current_limit_dA,
            rig.bdu.inverter_values().discharge_current_limit_dA);
}

TEST(BduPylonPort, KeepRelayKeepsTheRelaysOnForFiveMinutesWithoutTheInverter) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  const std::vector<CanFrame> reply =
      rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::KeepRelay)));
  ASSERT_EQ(reply.size(), 1u);
  std::uint8_t address = 99;
  bool accepted = false;
  ASSERT_TRUE(pylon::decode_keep_relay_reply(reply[0], address, accepted));
  EXPECT_EQ(address, 0);
  EXPECT_TRUE(accepted);
  const TimeMs silent_from_ms = rig.now();
  rig.inverter.present = false;
  rig.advance(4 * 60000);  // beyond the 60 s timeout, inside the 5 min hold
  EXPECT_TRUE(rig.relays_closed()) << "relay kept on without communication";
  EXPECT_FALSE(rig.bdu.codes().has(Code::F9));
  rig.advance(65000);  // the hold has run out (5 min 5 s)
  EXPECT_FALSE(rig.relays_closed());
  EXPECT_EQ(rig.bdu.state(), BduState::Standby);
  EXPECT_FALSE(rig.bdu.codes().has(Code::F9));
  rig.advance(60000);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F9)) << "inverter missing for 60 s after the hold";
  EXPECT_GE(rig.now() - silent_from_ms, pylon::kKeepRelayHold_ms);
}

TEST(BduPylonPort, WithoutKeepRelayTheRelaysOpenAfterTheTimeoutAndF9IsRaisedAndCleared) {
  PylonRig rig;
  ASSERT_TRUE(rig.connect());
  rig.inverter.present = false;
  rig.advance(pylon::kInverterTimeout_ms - 5000);
  EXPECT_TRUE(rig.relays_closed());
  rig.advance(10000);
  EXPECT_FALSE(rig.relays_closed()) << "relays open once the inverter is gone for 60 s";
  EXPECT_EQ(rig.bdu.inverter_values().charge_current_limit_dA, 0);
  EXPECT_EQ(rig.bdu.inverter_values().discharge_current_limit_dA, 0);
  rig.advance(5000);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F9));
  rig.inverter.present = true;  // polls return
  rig.advance(60000);
  EXPECT_FALSE(rig.bdu.codes().has(Code::F9));
  EXPECT_EQ(rig.bdu.state(), BduState::Idle) << "reconnects when the polls return";
}

TEST(BduPylonPort, SofarBduIgnoresPylonPolls) {
  BduConfig config = pylon_config();
  config.inverter_protocol = InverterProtocol::SofarExtended;
  PylonRig rig(config);
  ASSERT_TRUE(rig.connect()) << "black start window";
  const std::vector<CanFrame> answer =
      rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::Poll)));
  EXPECT_TRUE(answer.empty());
}

TEST(BduPylonPort, KeepRelayHoldRunsOutAtTheSameTickWhenTheBduTicksOnlyWhenDue) {
  // The hold starts at the receive interrupt, here 50 ms after a 100 ms task: its end falls on a
  // tick with no other work, which a BDU ticked only when due must still take.
  auto live = [](PylonRig& rig) {
    EXPECT_TRUE(rig.connect());
    while (rig.now() % 100 != 50) rig.advance(kTick_ms);
    rig.send(pylon::encode_command(command(pylon::InverterCommand::Kind::KeepRelay)));
    rig.inverter.present = false;
    rig.advance(pylon::kKeepRelayHold_ms + 10000);
  };
  PylonRig every_tick;
  PylonRig when_due;
  when_due.when_due_only = true;
  live(every_tick);
  live(when_due);
  ASSERT_FALSE(every_tick.hal.relay_events.empty());
  ASSERT_EQ(when_due.hal.relay_events.size(), every_tick.hal.relay_events.size());
  for (std::size_t k = 0; k < every_tick.hal.relay_events.size(); ++k) {
    EXPECT_EQ(when_due.hal.relay_events[k].time_ms, every_tick.hal.relay_events[k].time_ms) << k;
    EXPECT_EQ(when_due.hal.relay_events[k].energised, every_tick.hal.relay_events[k].energised);
  }
  EXPECT_EQ(when_due.hal.com_sent.size(), every_tick.hal.com_sent.size());
  EXPECT_FALSE(every_tick.relays_closed()) << "the hold ran out";
}

}  // namespace
}  // namespace bts::firmware
