// Both inverter protocols through the whole simulator: the simulated inverter polling Pylon HV
// batteries and obeying their limits, and a real inverter's place (the external COM port of
// `bts run`) asking Sofar per-module inquiries and Pylon polls, answered within a frame time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"
#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::sim {
namespace {

namespace pylon = firmware::pylon_hv;
namespace sofar = firmware::sofar;

plant::SystemDescription system_named(const char* name, double household_W) {
  plant::SystemDescription system;
  EXPECT_TRUE(plant::builtin_system(name, system));
  system.household.kind = plant::HouseholdProfileKind::ConstantPower;
  system.household.constant_power_W = household_W;
  return system;
}

Scenario pylon_scenario(const pylon::PylonDialect& dialect) {
  Scenario scenario;
  scenario.inverter_protocol = firmware::InverterProtocol::PylonHv;
  scenario.pylon_dialect = dialect;
  return scenario;
}

TEST(InverterProtocols, SimulatedPylonInverterDrivesTwoBdusWithTheLimitsTheyAnswer) {
  LockstepRunner runner(system_named("e40", 4000.0), pylon_scenario(pylon::kSofarHydDialect));
  runner.advance_to(600.0);
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(runner.bdu(b).state(), firmware::BduState::Discharge) << "BDU" << b + 1;
    EXPECT_FALSE(runner.bdu(b).codes().has(firmware::Code::F9));
    const pylon::BatteryReport& report = runner.inverter_link().pylon_report(b);
    EXPECT_EQ(report.address, b + 1) << "Sofar HYD numbers the batteries from 1";
    EXPECT_NEAR(report.values.soc_permille, runner.bdu(b).soc_permille(), 10);
    EXPECT_EQ(report.values.discharge_current_limit_dA,
              runner.bdu(b).inverter_values().discharge_current_limit_dA);
    // Pylon counts current positive when charging: a discharging battery reports < 0.
    EXPECT_LT(report.values.current_dA, -20);
  }
  EXPECT_NEAR(
      runner.plant().inverter().input_power_W(0) + runner.plant().inverter().input_power_W(1),
      4000.0, 200.0);
}

/// A runner with a real inverter's place on the COM bus.
RunnerOptions external() {
  RunnerOptions options;
  options.external_inverter = true;
  return options;
}

std::vector<firmware::CanFrame> drain(LockstepRunner& runner) {
  std::vector<firmware::CanFrame> frames;
  firmware::CanFrame frame;
  while (runner.receive_external(frame)) frames.push_back(frame);
  return frames;
}

TEST(InverterProtocols, ExternalPylonPollIsAnsweredWithinAFewMilliseconds) {
  LockstepRunner runner(system_named("e10", 0.0), pylon_scenario(pylon::kSpecDialect), external());
  // The external inverter polls every second, as a real one would; the BDU connects.
  std::uint64_t t_us = 0;
  for (int k = 0; k < 120; ++k) {
    runner.advance_to_us(t_us);
    drain(runner);
    ASSERT_TRUE(runner.send_external(pylon::encode_command(pylon::InverterCommand{})));
    t_us += 1000000;
  }
  runner.advance_to_us(t_us);
  drain(runner);
  EXPECT_EQ(runner.bdu(0).state(), firmware::BduState::Idle);
  // Poll at a moment between two firmware ticks and look every 250 us for the answer.
  t_us += 3000;
  runner.advance_to_us(t_us);
  ASSERT_TRUE(runner.send_external(pylon::encode_command(pylon::InverterCommand{})));
  const std::uint64_t polled_us = runner.serviced_us();
  std::vector<firmware::CanFrame> answer;
  std::uint64_t first_frame_us = 0;
  while (answer.size() < 9 && t_us < polled_us + 20000) {
    t_us += 250;
    runner.advance_to_us(t_us);
    for (const firmware::CanFrame& frame : drain(runner)) {
      if (!pylon::split_id(frame.id)) continue;  // the BDU network shares the bus
      if (answer.empty()) first_frame_us = t_us;
      answer.push_back(frame);
    }
  }
  ASSERT_EQ(answer.size(), 9u);
  EXPECT_EQ(answer.front().id, 0x4210u);
  // Poll frame time + interrupt service + answer frame time, well inside 5 ms.
  EXPECT_LE(first_frame_us - polled_us, 1500u);
  EXPECT_LE(t_us - polled_us, 5000u) << "the whole nine-frame answer";
  pylon::BatteryReport report;
  for (const firmware::CanFrame& frame : answer)
    ASSERT_TRUE(pylon::decode_frame(frame, pylon::kSpecDialect, report));
  EXPECT_NEAR(report.values.voltage_dV, runner.bdu(0).last_measurements().output_voltage_dV, 20);
}

/// An E40 with a real inverter's place on the COM bus, asked a Sofar summary inquiry every
/// second, each battery in turn (as a Sofar inverter keeps the batteries awake), for `seconds`.
std::uint64_t keep_asking_both_batteries(LockstepRunner& runner, int seconds) {
  std::uint64_t t_us = 0;
  for (int k = 0; k < seconds; ++k) {
    runner.advance_to_us(t_us);
    drain(runner);
    EXPECT_TRUE(
        runner.send_external(sofar::encode_inquiry({static_cast<std::uint8_t>(k % 2), 0, 0})));
    t_us += 1000000;
  }
  runner.advance_to_us(t_us);
  drain(runner);
  return t_us;
}

/// The decoded replies of one kind to an inquiry sent at t_us, within 20 ms.
std::vector<sofar::InquiryReply> replies_to(LockstepRunner& runner, std::uint64_t t_us,
                                            const sofar::Inquiry& inquiry, sofar::ReplyKind kind) {
  EXPECT_TRUE(runner.send_external(sofar::encode_inquiry(inquiry)));
  runner.advance_to_us(t_us + 20000);
  std::vector<sofar::InquiryReply> replies;
  for (const firmware::CanFrame& frame : drain(runner)) {
    sofar::InquiryReply reply;
    if (sofar::decode_inquiry_reply(frame, reply) && reply.kind == kind) replies.push_back(reply);
  }
  return replies;
}

TEST(InverterProtocols, ExternalSofarInquiryGetsTheCellVoltagesOfTheRightModule) {
  Scenario scenario;  // Sofar is the default
  LockstepRunner runner(system_named("e40", 0.0), scenario, external());
  const std::uint64_t t_us = keep_asking_both_batteries(runner, 60);
  // Battery id 1 (BDU 2), module k = 2, cell voltages.
  std::vector<std::uint16_t> cells;
  for (const sofar::InquiryReply& reply :
       replies_to(runner, t_us, {1, 0x02, 2}, sofar::ReplyKind::CellVoltages)) {
    EXPECT_EQ(reply.battery_id, 1);
    EXPECT_EQ(reply.module, 2);
    for (std::uint16_t mV : reply.cell_mV) {
      if (mV != sofar::kCellNotMeasured) cells.push_back(mV);
    }
  }
  ASSERT_EQ(cells.size(), 16u);
  const plant::ModuleTruth truth = runner.plant().module(1, 2).truth();
  for (std::uint16_t mV : cells) {
    EXPECT_GE(mV, truth.cell_voltage_min_V * 1000.0 - 10.0);
    EXPECT_LE(mV, truth.cell_voltage_max_V * 1000.0 + 10.0);
  }
}

TEST(InverterProtocols, ExternalSofarInquiryGetsTheSerialNumberOfTheRightModule) {
  Scenario scenario;  // Sofar is the default
  LockstepRunner runner(system_named("e40", 0.0), scenario, external());
  const std::uint64_t t_us = keep_asking_both_batteries(runner, 10);
  // Battery id 1 (BDU 2), module k = 3, serial number: three frames of seven characters.
  const std::vector<sofar::InquiryReply> replies =
      replies_to(runner, t_us, {1, 0x01, 3}, sofar::ReplyKind::Serial);
  ASSERT_EQ(replies.size(), 3u);
  std::string text(3 * sofar::kSerialCharsPerFrame, '?');
  for (const sofar::InquiryReply& reply : replies) {
    EXPECT_EQ(reply.battery_id, 1);
    EXPECT_EQ(reply.module, 3);
    ASSERT_LT(reply.index, 3);
    text.replace(reply.index * sofar::kSerialCharsPerFrame, sofar::kSerialCharsPerFrame,
                 reply.text.data(), reply.text.size());
  }
  const std::uint32_t serial_number = runner.bdu(1).modules()[3].serial_number;
  ASSERT_NE(serial_number, 0u) << "the BDU has learned the module's serial number";
  char expected[16];
  std::snprintf(expected, sizeof expected, "BTS%08X", serial_number);
  EXPECT_EQ(text.substr(0, 11), expected);
  EXPECT_EQ(text.substr(11), std::string(10, '\0')) << "the rest of the 21 characters is empty";
}

}  // namespace
}  // namespace bts::sim
