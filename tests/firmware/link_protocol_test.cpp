// Link bus and BDU network codecs: identifier layout, golden frames (the examples of
// docs/protocols/link.md, worked out by hand), round trips at the range ends, refusals, and the
// agreement of data/dbc/link.dbc and data/dbc/bdu_network.dbc with the codec tables.
#include "firmware/link/link_protocol.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "firmware/link/bdu_network_protocol.hpp"
#include "firmware/update/update_protocol.hpp"

namespace bts::firmware {
namespace {

using namespace link;

void expect_frame(const CanFrame& frame, std::uint32_t id, std::initializer_list<int> bytes) {
  EXPECT_TRUE(frame.extended);
  EXPECT_EQ(frame.id, id) << std::hex << "got 0x" << frame.id << " want 0x" << id;
  ASSERT_EQ(frame.dlc, bytes.size());
  std::size_t i = 0;
  for (int b : bytes) {
    EXPECT_EQ(frame.data[i], b) << "byte " << i;
    ++i;
  }
  for (; i < 8; ++i) EXPECT_EQ(frame.data[i], 0) << "byte past dlc " << i;
}

CodeSet codes_of(std::initializer_list<Code> codes) {
  CodeSet set;
  for (Code c : codes) set.set(c);
  return set;
}

/// Decodes into a default object and compares with the original.
template <typename Message>
void expect_round_trip(const Message& message) {
  Message decoded;
  ASSERT_TRUE(decoded.decode(message.encode()));
  EXPECT_TRUE(decoded == message);
}

// ---------------------------------------------------------------------------------------------
// Identifiers

TEST(LinkId, LayoutPriorityTypeDestinationSource) {
  const LinkId id{2, MessageType::BduCommand, 0xFF, 0x80};
  EXPECT_EQ(encode_id(id), 0x0210FF80u);
  EXPECT_EQ(decode_id(0x0210FF80u), id);
  const LinkId max{31, static_cast<MessageType>(0xAB), 0xCD, 0xEF};
  EXPECT_EQ(encode_id(max), 0x1FABCDEFu);
  EXPECT_EQ(decode_id(0x1FABCDEFu), max);
  EXPECT_EQ(message_id(MessageType::ModuleStatus, kAddressBdu, 3), 0x03208003u);
  static_assert(encode_id(LinkId{6, MessageType::ModuleInfo, 0x80, 0x04}) == 0x06388004u);
}

TEST(LinkId, PeekRefusesStandardFramesAndForeignPriorities) {
  LinkId id;
  CanFrame frame;
  frame.id = 0x0210FF80u;
  EXPECT_TRUE(peek_id(frame, id));
  frame.extended = false;
  EXPECT_FALSE(peek_id(frame, id));
  frame.extended = true;
  frame.id = 0x0310FF80u;  // BDU_COMMAND type with priority 3
  EXPECT_FALSE(peek_id(frame, id));
  EXPECT_TRUE(is_addressed_to(decode_id(0x0210FF80u), 2));
  EXPECT_TRUE(is_addressed_to(decode_id(0x03110280u), 2));
  EXPECT_FALSE(is_addressed_to(decode_id(0x03110280u), 3));
}

bool passes(const std::array<CanAcceptanceFilter, 2>& filters, const CanFrame& frame) {
  for (const CanAcceptanceFilter& filter : filters) {
    if ((frame.id & filter.mask) == (filter.filter_id & filter.mask)) return true;
  }
  return false;
}

TEST(LinkId, ModuleFiltersPassEveryFrameTheModuleActsOnAndNoOther) {
  // What the BDU sends a chain, and what the other modules send: module 2's controller must keep
  // each frame it acts on (a filter that drops one would break the Link) and nothing else.
  BduCommand command;
  InfoRequest info_to_all;
  AddressRequest address_request;
  AddressAssign assign;
  assign.serial_number = 0x1234;
  assign.address = 2;
  const update::Start start{{1, 2, 3}, 10};
  const update::Block block{};
  const std::vector<CanFrame> for_everyone{command.encode(),
                                           info_to_all.encode(),
                                           address_request.encode(),
                                           update::encode_start(kAddressBdu, start),
                                           update::encode_block(kAddressBdu, block),
                                           update::encode_end(kAddressBdu, 0xABCD)};
  const auto module2 = module_acceptance_filters(2);
  const auto unaddressed = module_acceptance_filters(kAddressUnassigned);
  for (const CanFrame& frame : for_everyone) {
    EXPECT_TRUE(passes(module2, frame)) << std::hex << frame.id;
    EXPECT_TRUE(passes(unaddressed, frame)) << std::hex << frame.id;
  }
  for (std::uint8_t k = 1; k <= kMaxModules; ++k) {
    BduShare share;
    share.module_address = k;
    InfoRequest info;
    info.destination = k;
    EXPECT_EQ(passes(module2, share.encode()), k == 2) << "BDU_SHARE to module " << int{k};
    EXPECT_EQ(passes(module2, info.encode()), k == 2) << "INFO_REQUEST to module " << int{k};
    EXPECT_FALSE(passes(unaddressed, share.encode())) << "BDU_SHARE to module " << int{k};
    // The other modules' reports never reach a module.
    ModuleStatus status;
    status.module_address = k;
    ModuleMeasurements measurements;
    measurements.module_address = k;
    EXPECT_FALSE(passes(module2, status.encode()));
    EXPECT_FALSE(passes(module2, measurements.encode()));
  }
  // ADDRESS_ASSIGN goes to the unaddressed: module 2 has its address and no longer needs it.
  EXPECT_TRUE(passes(unaddressed, assign.encode()));
  EXPECT_FALSE(passes(module2, assign.encode()));
  AddressClaim claim;  // from an unaddressed module to the BDU
  EXPECT_FALSE(passes(unaddressed, claim.encode()));
  EXPECT_FALSE(passes(module2, claim.encode()));
}

TEST(LinkId, RollingCounterGap) {
  EXPECT_EQ(counter_gap(41, 42), 0);
  EXPECT_EQ(counter_gap(255, 0), 0);
  EXPECT_EQ(counter_gap(254, 1), 2);
  EXPECT_EQ(counter_gap(7, 7), 255);  // repeated: stale sender
}

TEST(LinkId, MessageTableIsConsistent) {
  std::set<std::uint32_t> ids;
  std::set<int> types;
  for (const MessageSpec& spec : link_messages()) {
    EXPECT_TRUE(ids.insert(spec.id()).second) << spec.name;
    EXPECT_TRUE(types.insert(static_cast<int>(spec.type)).second) << spec.name;
    EXPECT_LE(spec.dlc, 8) << spec.name;
    EXPECT_EQ(message_name(spec.type), spec.name);
    // Signals fit in the dlc and do not overlap.
    std::uint64_t used = 0;
    for (const CanSignal& s : spec.signals) {
      EXPECT_LE(s.start_bit + s.length, 8 * spec.dlc) << spec.name << "." << s.name;
      const std::uint64_t mask = ((s.length >= 64 ? 0 : (1ull << s.length)) - 1) << s.start_bit;
      EXPECT_EQ(used & mask, 0u) << spec.name << "." << s.name;
      used |= mask;
    }
  }
  EXPECT_EQ(link_messages().size(), 18u);
  EXPECT_EQ(message_name(static_cast<MessageType>(0x77)), "UNKNOWN");
  ASSERT_NE(find_message(MessageType::ModuleExtremes), nullptr);
  EXPECT_EQ(find_message(MessageType::ModuleExtremes)->period_ms, 100u);
}

TEST(LinkId, PriorityClassesOrderTheBus) {
  // Commands before statuses before measurements before addressing before slow data.
  EXPECT_LT(message_id(MessageType::BduCommand, 0xFF, 0x80),
            message_id(MessageType::BduShare, 0x01, 0x80));
  EXPECT_LT(message_id(MessageType::BduShare, 0x04, 0x80),
            message_id(MessageType::ModuleStatus, 0x80, 0x01));
  EXPECT_LT(message_id(MessageType::ModuleStatus, 0x80, 0x04),
            message_id(MessageType::ModuleMeasurements, 0x80, 0x01));
  EXPECT_LT(message_id(MessageType::ModuleExtremes, 0x80, 0x04),
            message_id(MessageType::AddressRequest, 0xFF, 0x80));
  EXPECT_LT(message_id(MessageType::AddressAssign, 0x00, 0x80),
            message_id(MessageType::CellVoltages0, 0x80, 0x01));
}

// ---------------------------------------------------------------------------------------------
// Golden frames (docs/protocols/link.md, "Examples")

TEST(LinkGolden, BduCommand) {
  BduCommand m;
  m.mode = RequestedMode::Run;
  m.allow_balancing = true;
  m.bus_voltage_reference_dV = 4000;
  m.counter = 0x2A;
  expect_frame(m.encode(), 0x0210FF80u, {0x06, 0xA0, 0x0F, 0x2A});
  static_assert(BduCommand{RequestedMode::Run, true, true, true, 4000, 1}.encode().data[0] == 0x1E);
}

TEST(LinkGolden, BduShare) {
  BduShare m;
  m.module_address = 2;
  m.current_offset_mA = -250;
  m.discharge_limit_mA = 7500;
  m.charge_limit_mA = 7000;
  m.counter = 0x2A;
  expect_frame(m.encode(), 0x03110280u, {0x06, 0xFF, 0x4C, 0x1D, 0x58, 0x1B, 0x2A});
}

TEST(LinkGolden, InfoRequest) {
  InfoRequest m;
  m.destination = 3;
  expect_frame(m.encode(), 0x05120380u, {0x00});
}

TEST(LinkGolden, AddressRequest) {
  AddressRequest m;
  m.next_address = 2;
  expect_frame(m.encode(), 0x0518FF80u, {0x02, 0x00});
  AddressRequest restart;
  restart.next_address = 1;
  restart.restart = true;
  expect_frame(restart.encode(), 0x0518FF80u, {0x01, 0x01});
}

TEST(LinkGolden, ModuleEstimates) {
  ModuleEstimates m;
  m.module_address = 1;
  m.soc_uncertainty_permille = 15;
  m.calibration_request = true;
  m.capacity_permille = 973;
  m.resistance_permille = 1120;
  m.equivalent_full_cycles = 345;
  expect_frame(m.encode(), 0x06378001u, {0x0F, 0x04, 0xCD, 0x03, 0x60, 0x04, 0x59, 0x01});
  ModuleEstimates back;
  ASSERT_TRUE(back.decode(m.encode()));
  EXPECT_EQ(back, m);
}

TEST(LinkGolden, AddressClaim) {
  AddressClaim m;
  m.serial_number = 0x12345678u;
  expect_frame(m.encode(), 0x05198000u, {0x78, 0x56, 0x34, 0x12, 0x01});
}

TEST(LinkGolden, AddressAssign) {
  AddressAssign m;
  m.serial_number = 0x12345678u;
  m.address = 2;
  expect_frame(m.encode(), 0x051A0080u, {0x78, 0x56, 0x34, 0x12, 0x02});
}

TEST(LinkGolden, ModuleStatus) {
  ModuleStatus m;
  m.module_address = 1;
  m.state = ModuleState::Run;
  m.balancing_active = true;
  m.pcu_running = true;
  m.enable_out_high = true;
  m.codes = codes_of({Code::A1, Code::A7, Code::F9});
  m.counter = 0x11;
  expect_frame(m.encode(), 0x03208001u, {0x03, 0x0D, 0x41, 0x00, 0x02, 0x00, 0x11});
}

TEST(LinkGolden, ModuleMeasurements) {
  ModuleMeasurements m;
  m.module_address = 1;
  m.stack_voltage_mV = 52800;
  m.current_mA = -12340;
  m.bus_voltage_dV = 4005;
  m.soc_permille = 653;
  expect_frame(m.encode(), 0x04218001u, {0x40, 0xCE, 0x2E, 0xFB, 0xA5, 0x0F, 0x8D, 0x02});
}

TEST(LinkGolden, ModuleExtremes) {
  ModuleExtremes m;
  m.module_address = 1;
  m.min_cell_mV = 3280;
  m.min_cell_index = 4;
  m.max_cell_mV = 3312;
  m.max_cell_index = 11;
  m.min_temperature_ddegC = 185;
  m.min_temperature_index = 2;
  m.max_temperature_ddegC = 230;
  m.max_temperature_index = 6;
  expect_frame(m.encode(), 0x04228001u, {0xD0, 0x8C, 0xE0, 0xD9, 0x26, 0x49, 0x76, 0x32});
}

TEST(LinkGolden, CellVoltages) {
  CellVoltages m;
  m.module_address = 2;
  m.index = 1;
  m.cell_mV = {3301, 3302, 3299, 3305};
  expect_frame(m.encode(), 0x06318002u, {0xE5, 0x0C, 0xE6, 0x0C, 0xE3, 0x0C, 0xE9, 0x0C});
}

TEST(LinkGolden, CellTemperatures) {
  CellTemperatures m;
  m.module_address = 1;
  m.index = 0;
  m.temperature_ddegC = {215, -50, 0, CellTemperatures::kNotAvailable};
  expect_frame(m.encode(), 0x06348001u, {0xD7, 0x00, 0xCE, 0xFF, 0x00, 0x00, 0x00, 0x80});
}

TEST(LinkGolden, ModuleTemperatures) {
  ModuleTemperatures m;
  m.module_address = 1;
  m.ambient_ddegC = 253;
  m.terminal_ddegC = 301;
  m.pcu_ddegC = 456;
  expect_frame(m.encode(), 0x06368001u, {0xFD, 0x00, 0x2D, 0x01, 0xC8, 0x01});
}

TEST(LinkGolden, ModuleInfo) {
  ModuleInfo m;
  m.module_address = 4;
  m.serial_number = 12345678;  // 0x00BC614E
  m.firmware_major = 1;
  m.firmware_minor = 2;
  m.firmware_patch = 3;
  m.hardware_version = 5;
  expect_frame(m.encode(), 0x06388004u, {0x4E, 0x61, 0xBC, 0x00, 0x01, 0x02, 0x03, 0x05});
}

TEST(BduNetworkGolden, PeerStatus) {
  bdu_network::PeerStatus m;
  m.source = bdu_network::kAddressBdu2;
  m.state = bdu_network::BduState::Discharge;
  m.counter = 7;
  m.codes = codes_of({Code::A4});
  m.soc_permille = 612;
  expect_frame(m.encode(), 0x1CC0FF81u, {0x05, 0x07, 0x08, 0x00, 0x00, 0x00, 0x64, 0x02});
}

TEST(BduNetworkGolden, PeerLimits) {
  bdu_network::PeerLimits m;
  m.charge_current_limit_dA = 280;
  m.discharge_current_limit_dA = 300;
  m.charge_voltage_limit_dV = 4200;
  m.discharge_voltage_limit_dV = 3500;
  expect_frame(m.encode(), 0x1CC1FF80u, {0x18, 0x01, 0x2C, 0x01, 0x68, 0x10, 0xAC, 0x0D});
}

TEST(BduNetworkGolden, PeerMeasurements) {
  bdu_network::PeerMeasurements m;
  m.output_voltage_dV = 3987;
  m.output_current_dA = -152;
  m.min_cell_mV = 3275;
  m.max_cell_mV = 3321;
  expect_frame(m.encode(), 0x1CC2FF80u, {0x93, 0x0F, 0x68, 0xFF, 0xCB, 0x0C, 0xF9, 0x0C});
}

TEST(BduNetworkGolden, PeerInfo) {
  bdu_network::PeerInfo m;
  m.serial_number = 0x0A0B0C0Du;
  m.firmware_major = 0;
  m.firmware_minor = 1;
  m.firmware_patch = 0;
  m.module_count = 4;
  expect_frame(m.encode(), 0x1CC3FF80u, {0x0D, 0x0C, 0x0B, 0x0A, 0x00, 0x01, 0x00, 0x04});
}

// ---------------------------------------------------------------------------------------------
// Round trips at the ends of every range

TEST(LinkRoundTrip, BduCommand) {
  for (RequestedMode mode : {RequestedMode::Off, RequestedMode::Standby, RequestedMode::Run}) {
    for (std::int32_t v : {0, 3000, 4350, 5000}) {
      for (int flags = 0; flags < 8; ++flags) {
        BduCommand m{mode,
                     (flags & 1) != 0,
                     (flags & 2) != 0,
                     (flags & 4) != 0,
                     v,
                     static_cast<std::uint8_t>(flags * 37)};
        expect_round_trip(m);
      }
    }
  }
  expect_round_trip(BduCommand{RequestedMode::Run, false, false, false, 4000, 255});
}

TEST(LinkRoundTrip, BduShare) {
  for (std::uint8_t address = 1; address <= kMaxModules; ++address) {
    for (std::int32_t offset : {-10000, -1, 0, 1, 10000}) {
      expect_round_trip(BduShare{address, offset, 0, 10000, 0});
      expect_round_trip(BduShare{address, offset, 10000, 0, 255});
      expect_round_trip(BduShare{address, offset, 7500, 7500, 99});
    }
  }
}

TEST(LinkRoundTrip, AddressingAndInfo) {
  expect_round_trip(AddressRequest{0, false});  // chain full
  for (std::uint8_t a = 1; a <= 4; ++a) {
    expect_round_trip(AddressRequest{a, false});
    expect_round_trip(AddressRequest{a, true});
    expect_round_trip(AddressAssign{0, a});
    expect_round_trip(AddressAssign{0xFFFFFFFFu, a});
    expect_round_trip(InfoRequest{a, InfoItem::ModuleInfo});
  }
  expect_round_trip(InfoRequest{kAddressBroadcast, InfoItem::ModuleInfo});
  expect_round_trip(AddressClaim{0, 0});
  expect_round_trip(AddressClaim{0xFFFFFFFFu, 255});
  expect_round_trip(AddressClaim{0x00C0FFEEu, kProtocolVersion});
}

TEST(LinkRoundTrip, ModuleStatus) {
  const ModuleState states[] = {ModuleState::Init, ModuleState::Off,   ModuleState::Standby,
                                ModuleState::Run,  ModuleState::Fault, ModuleState::Updating};
  for (std::uint8_t a = 1; a <= 4; ++a) {
    for (ModuleState state : states) {
      for (int flags = 0; flags < 32; flags += 7) {
        ModuleStatus m;
        m.module_address = a;
        m.state = state;
        m.balancing_active = (flags & 1) != 0;
        m.heater_on = (flags & 2) != 0;
        m.pcu_running = (flags & 4) != 0;
        m.enable_out_high = (flags & 8) != 0;
        m.bdu_lost = (flags & 16) != 0;
        m.codes = CodeSet::from_bits(0x3FFFFFFu >> flags);
        m.counter = static_cast<std::uint8_t>(flags * 9);
        expect_round_trip(m);
      }
    }
  }
  ModuleStatus all;
  all.codes = CodeSet::from_bits(0xFFFFFFFFu);  // every code of the manual, bit 25 = F17
  expect_round_trip(all);
  EXPECT_TRUE(all.codes.has(Code::F17));
}

TEST(LinkRoundTrip, ModuleMeasurements) {
  for (std::int32_t v : {0, 51200, 65535}) {
    for (std::int32_t i : {-327670, -12340, 0, 10, 327670}) {
      for (std::int32_t b : {0, 4000, 6000}) {
        for (std::int32_t soc : {0, 500, 1000})
          expect_round_trip(ModuleMeasurements{3, v, i, b, soc});
      }
    }
  }
}

TEST(LinkRoundTrip, ModuleExtremes) {
  for (std::int32_t mv : {0, 2500, 3650, 8191}) {
    for (std::int16_t t :
         {std::int16_t{-400}, std::int16_t{0}, std::int16_t{250}, std::int16_t{1647}}) {
      for (std::uint8_t cell : {0, 7, 15}) {
        for (std::uint8_t sensor : {0, 3, 7}) {
          ModuleExtremes m{2,
                           mv,
                           cell,
                           8191 - mv,
                           static_cast<std::uint8_t>(15 - cell),
                           t,
                           sensor,
                           static_cast<std::int16_t>(1247 - t),
                           static_cast<std::uint8_t>(7 - sensor)};
          expect_round_trip(m);
        }
      }
    }
  }
}

TEST(LinkRoundTrip, CellData) {
  for (std::uint8_t index = 0; index < kCellVoltageFrames; ++index) {
    expect_round_trip(CellVoltages{4, index, {0, 3300, 65534, CellVoltages::kNotAvailable}});
    CellVoltages decoded;
    ASSERT_TRUE(decoded.decode(CellVoltages{1, index, {1, 2, 3, 4}}.encode()));
    EXPECT_EQ(decoded.index, index);
  }
  for (std::uint8_t index = 0; index < kCellTemperatureFrames; ++index) {
    expect_round_trip(CellTemperatures{2, index, {-32767, -400, 0, 32767}});
    expect_round_trip(CellTemperatures{2, index, {CellTemperatures::kNotAvailable, 1, -1, 600}});
  }
  expect_round_trip(ModuleTemperatures{3, -32768, 0, 32767});
  expect_round_trip(ModuleTemperatures{3, 253, -105, 851});
  expect_round_trip(ModuleInfo{1, 0, 0, 0, 0, 0});
  expect_round_trip(ModuleInfo{4, 0xFFFFFFFFu, 255, 255, 255, 255});
}

TEST(BduNetworkRoundTrip, EveryMessage) {
  using namespace bdu_network;
  for (std::uint8_t source : {kAddressBdu1, kAddressBdu2}) {
    for (int s = 0; s <= 8; ++s) {
      expect_round_trip(PeerStatus{source, static_cast<BduState>(s), static_cast<std::uint8_t>(s),
                                   CodeSet::from_bits(0x3FFFFFFu >> s), s * 125});
    }
    expect_round_trip(PeerLimits{source, 0, 1000, 0, 6000});
    expect_round_trip(PeerLimits{source, 1000, 0, 6000, 0});
    expect_round_trip(PeerMeasurements{source, 0, -1000, 0, 65535});
    expect_round_trip(PeerMeasurements{source, 6000, 1000, 65535, 0});
    expect_round_trip(PeerInfo{source, 0, 0, 0, 0, 0});
    expect_round_trip(PeerInfo{source, 0xFFFFFFFFu, 255, 255, 255, 4});
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding limits: rounding and saturation

TEST(LinkEncode, RoundsTenMilliampereStepsAndSaturates) {
  ModuleMeasurements m;
  m.current_mA = 12345;  // 1234.5 steps -> 1235
  ModuleMeasurements back;
  ASSERT_TRUE(back.decode(m.encode()));
  EXPECT_EQ(back.current_mA, 12350);
  m.current_mA = -12344;
  ASSERT_TRUE(back.decode(m.encode()));
  EXPECT_EQ(back.current_mA, -12340);
  m.current_mA = 1'000'000;
  m.soc_permille = 1500;
  m.bus_voltage_dV = -5;
  ASSERT_TRUE(back.decode(m.encode()));
  EXPECT_EQ(back.current_mA, 327670);
  EXPECT_EQ(back.soc_permille, 1000);
  EXPECT_EQ(back.bus_voltage_dV, 0);

  ModuleExtremes e;
  e.min_temperature_ddegC = -550;  // below -40.0 degC: sent as -40.0
  e.max_temperature_ddegC = 2000;  // above 164.7 degC: sent as 164.7
  e.max_cell_mV = 9000;
  ModuleExtremes eb;
  ASSERT_TRUE(eb.decode(e.encode()));
  EXPECT_EQ(eb.min_temperature_ddegC, -400);
  EXPECT_EQ(eb.max_temperature_ddegC, 1647);
  EXPECT_EQ(eb.max_cell_mV, 8191);
}

// ---------------------------------------------------------------------------------------------
// Refusals

template <typename Message>
void expect_refused(const CanFrame& frame) {
  Message m;
  const Message before = m;
  EXPECT_FALSE(m.decode(frame)) << std::hex << frame.id;
  EXPECT_TRUE(m == before) << "decode changed the object on failure";
}

template <typename Message>
void expect_header_checks(const Message& good) {
  const CanFrame frame = good.encode();
  Message probe;
  ASSERT_TRUE(probe.decode(frame));
  CanFrame f = frame;
  f.dlc = static_cast<std::uint8_t>(frame.dlc - 1);
  expect_refused<Message>(f);
  f = frame;
  f.dlc = static_cast<std::uint8_t>(frame.dlc + 1);
  if (f.dlc <= 8) expect_refused<Message>(f);
  f = frame;
  f.extended = false;
  expect_refused<Message>(f);
  f = frame;
  f.id ^= 0x01000000u;  // another priority class
  expect_refused<Message>(f);
  f = frame;
  f.id ^= 0x00400000u;  // another type
  expect_refused<Message>(f);
}

TEST(LinkRefuse, WrongHeaderForEveryMessage) {
  expect_header_checks(BduCommand{});
  expect_header_checks(BduShare{});
  expect_header_checks(InfoRequest{});
  expect_header_checks(AddressRequest{});
  expect_header_checks(AddressClaim{});
  expect_header_checks(AddressAssign{});
  expect_header_checks(ModuleStatus{});
  expect_header_checks(ModuleMeasurements{});
  expect_header_checks(ModuleExtremes{});
  expect_header_checks(CellVoltages{});
  expect_header_checks(CellTemperatures{});
  expect_header_checks(ModuleTemperatures{});
  expect_header_checks(ModuleInfo{});
  expect_header_checks(bdu_network::PeerStatus{});
  expect_header_checks(bdu_network::PeerLimits{});
  expect_header_checks(bdu_network::PeerMeasurements{});
  expect_header_checks(bdu_network::PeerInfo{});
}

TEST(LinkRefuse, OneMessageIsNotAnother) {
  expect_refused<ModuleStatus>(ModuleMeasurements{}.encode());
  expect_refused<ModuleExtremes>(ModuleMeasurements{}.encode());
  expect_refused<CellVoltages>(CellTemperatures{}.encode());
  expect_refused<CellTemperatures>(CellVoltages{3, 3, {}}.encode());
  expect_refused<AddressClaim>(AddressAssign{}.encode());
  expect_refused<bdu_network::PeerStatus>(ModuleStatus{}.encode());
}

TEST(LinkRefuse, AddressesThatDoNotFitTheMessage) {
  for (std::uint8_t bad : {0x00, 0x05, 0x80, 0xFF}) {
    ModuleStatus s;
    s.module_address = bad;
    expect_refused<ModuleStatus>(s.encode());
    ModuleMeasurements m;
    m.module_address = bad;
    expect_refused<ModuleMeasurements>(m.encode());
    CellVoltages c;
    c.module_address = bad;
    expect_refused<CellVoltages>(c.encode());
    BduShare share;
    share.module_address = bad;
    expect_refused<BduShare>(share.encode());
  }
  // A BDU_COMMAND from a module, or addressed to one module.
  CanFrame f = BduCommand{}.encode();
  f.id = message_id(MessageType::BduCommand, kAddressBroadcast, 0x01);
  expect_refused<BduCommand>(f);
  f.id = message_id(MessageType::BduCommand, 0x02, kAddressBdu);
  expect_refused<BduCommand>(f);
  // A claim from an addressed module.
  f = AddressClaim{}.encode();
  f.id = message_id(MessageType::AddressClaim, kAddressBdu, 0x01);
  expect_refused<AddressClaim>(f);
  // BDU network: only 0x80 / 0x81, only broadcast.
  bdu_network::PeerStatus p;
  p.source = 0x82;
  expect_refused<bdu_network::PeerStatus>(p.encode());
  f = bdu_network::PeerStatus{}.encode();
  f.id = message_id(MessageType::BduPeerStatus, 0x81, 0x80);
  expect_refused<bdu_network::PeerStatus>(f);
}

TEST(LinkRefuse, ValuesOutOfRange) {
  CanFrame f = BduCommand{}.encode();
  f.data[0] = 0x03;  // mode 3
  expect_refused<BduCommand>(f);
  f = BduCommand{}.encode();
  f.data[1] = 0x89;  // 5001 dV
  f.data[2] = 0x13;
  expect_refused<BduCommand>(f);

  f = BduShare{}.encode();
  f.data[0] = 0x11;  // +10001 mA
  f.data[1] = 0x27;
  expect_refused<BduShare>(f);
  f = BduShare{}.encode();
  f.data[4] = 0x11;  // charge limit 10001 mA
  f.data[5] = 0x27;
  expect_refused<BduShare>(f);

  f = AddressRequest{}.encode();
  f.data[0] = 5;
  expect_refused<AddressRequest>(f);
  f = AddressAssign{}.encode();
  f.data[4] = 0;
  expect_refused<AddressAssign>(f);
  f = InfoRequest{}.encode();
  f.data[0] = 1;
  expect_refused<InfoRequest>(f);

  f = ModuleStatus{}.encode();
  f.data[0] = 6;  // state 6
  expect_refused<ModuleStatus>(f);

  f = ModuleMeasurements{}.encode();
  f.data[6] = 0xE9;  // SOC 1001
  f.data[7] = 0x03;
  expect_refused<ModuleMeasurements>(f);
  f = ModuleMeasurements{}.encode();
  f.data[4] = 0x71;  // bus voltage 6001 dV
  f.data[5] = 0x17;
  expect_refused<ModuleMeasurements>(f);
  f = ModuleMeasurements{}.encode();
  f.data[2] = 0x00;  // current raw -32768 (reserved)
  f.data[3] = 0x80;
  expect_refused<ModuleMeasurements>(f);

  f = bdu_network::PeerStatus{}.encode();
  f.data[0] = 9;
  expect_refused<bdu_network::PeerStatus>(f);
  f = bdu_network::PeerLimits{}.encode();
  f.data[0] = 0xE9;  // 1001 dA
  f.data[1] = 0x03;
  expect_refused<bdu_network::PeerLimits>(f);
  f = bdu_network::PeerInfo{}.encode();
  f.data[7] = 5;  // five modules
  expect_refused<bdu_network::PeerInfo>(f);
}

TEST(LinkRefuse, ReservedBitsAreIgnored) {
  CanFrame f = ModuleStatus{}.encode();
  f.data[1] |= 0xE0;  // reserved flags
  f.data[5] |= 0xFC;  // bits 26..31 above the codes
  ModuleStatus m;
  ASSERT_TRUE(m.decode(f));
  EXPECT_TRUE(m.codes.empty());
  EXPECT_FALSE(m.bdu_lost);
}

// ---------------------------------------------------------------------------------------------
// BDU network identifiers on the shared inverter bus

TEST(BduNetwork, IdentifiersCannotMeetInverterProtocols) {
  using bdu_network::is_bdu_network_frame;
  auto extended = [](std::uint32_t id) {
    CanFrame f;
    f.id = id;
    f.extended = true;
    f.dlc = 8;
    return f;
  };
  auto standard = [](std::uint32_t id) {
    CanFrame f;
    f.id = id;
    f.extended = false;
    f.dlc = 8;
    return f;
  };
  std::vector<std::uint32_t> inverter_ids = {0x4200, 0x3010, 0x8200, 0x8210, 0x8240, 0x8250};
  for (std::uint32_t base = 0x4210; base <= 0x4290; base += 0x10) inverter_ids.push_back(base);
  for (std::uint32_t base = 0x7310; base <= 0x7340; base += 0x10) inverter_ids.push_back(base);
  for (std::uint32_t addr = 0; addr < 16; ++addr) {
    for (std::uint32_t base : {0x4210u, 0x4250u, 0x7320u, 0x8210u}) {
      inverter_ids.push_back(base + addr);
    }
  }
  std::vector<std::uint32_t> sofar = {0x30F, 0x605, 0x705};
  for (std::uint32_t id = 0x351; id <= 0x35F; ++id) sofar.push_back(id);
  for (std::uint32_t battery = 0; battery < 16; ++battery) {
    for (std::uint32_t id : sofar) inverter_ids.push_back(id + 0x1000 * battery);
  }
  for (std::uint32_t id : inverter_ids) {
    EXPECT_FALSE(is_bdu_network_frame(extended(id))) << std::hex << id;
    if (id <= 0x7FF) {
      EXPECT_FALSE(is_bdu_network_frame(standard(id))) << std::hex << id;
    }
  }
  for (const MessageSpec& spec : bdu_network::bdu_network_messages()) {
    for (std::uint8_t source : {bdu_network::kAddressBdu1, bdu_network::kAddressBdu2}) {
      const std::uint32_t id = message_id(spec.type, 0xFF, source);
      EXPECT_TRUE(is_bdu_network_frame(extended(id)));
      EXPECT_GE(id, 0x10000u);  // above every extended inverter-protocol identifier
      EXPECT_GT(id >> 18, 0x705u) << "base identifier must lose against the inverter's frames";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DBC agreement

struct DbcSignal {
  int start = 0;
  int length = 0;
  bool is_signed = false;
  double factor = 0, offset = 0, minimum = 0, maximum = 0;
  std::string unit;
};
struct DbcMessage {
  std::string name;
  int dlc = 0;
  std::string sender;
  std::map<std::string, DbcSignal> signals;
  long cycle_time = -1;
};

/// A reader for the subset of DBC the project writes: BO_, SG_ and GenMsgCycleTime.
std::map<std::uint32_t, DbcMessage> read_dbc(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::map<std::uint32_t, DbcMessage> messages;
  DbcMessage* current = nullptr;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "BO_") {
      std::uint64_t id = 0;
      std::string name, colon_dlc;
      DbcMessage m;
      words >> id >> name >> m.dlc >> m.sender;
      if (!name.empty() && name.back() == ':') name.pop_back();
      m.name = name;
      EXPECT_NE(id & 0x80000000u, 0u) << name << " must be marked extended";
      current = &(messages[static_cast<std::uint32_t>(id & 0x1FFFFFFFu)] = m);
    } else if (keyword == "SG_") {
      EXPECT_NE(current, nullptr);
      if (current == nullptr) continue;
      std::string name, colon, layout, scaling, range, unit;
      words >> name >> colon >> layout >> scaling >> range >> unit;
      DbcSignal s;
      char bar = 0, at = 0, sign = 0, order = 0;
      std::istringstream l(layout);
      l >> s.start >> bar >> s.length >> at >> order >> sign;
      EXPECT_EQ(order, '1') << name << ": little endian expected";
      s.is_signed = sign == '-';
      char paren = 0, comma = 0;
      std::istringstream sc(scaling);
      sc >> paren >> s.factor >> comma >> s.offset;
      std::istringstream r(range);
      char bracket = 0;
      r >> bracket >> s.minimum >> bar >> s.maximum;
      s.unit = unit.size() >= 2 ? unit.substr(1, unit.size() - 2) : unit;
      current->signals[name] = s;
    } else if (keyword == "BA_") {
      std::string attribute, object;
      std::uint64_t id = 0;
      long value = 0;
      words >> attribute >> object >> id >> value;
      if (attribute == "\"GenMsgCycleTime\"" && object == "BO_") {
        messages[static_cast<std::uint32_t>(id & 0x1FFFFFFFu)].cycle_time = value;
      }
    } else {
      current = nullptr;
    }
  }
  return messages;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * (1.0 + std::fabs(b)); }

void expect_dbc_matches(const std::string& path, std::span<const MessageSpec> specs) {
  const auto dbc = read_dbc(path);
  EXPECT_EQ(dbc.size(), specs.size()) << path << ": message count";
  for (const MessageSpec& spec : specs) {
    const auto it = dbc.find(spec.id());
    ASSERT_NE(it, dbc.end()) << spec.name << " id 0x" << std::hex << spec.id() << " not in "
                             << path;
    const DbcMessage& m = it->second;
    EXPECT_EQ(m.name, spec.name);
    EXPECT_EQ(m.dlc, spec.dlc) << spec.name;
    EXPECT_EQ(m.sender, spec.sender) << spec.name;
    EXPECT_EQ(m.cycle_time, static_cast<long>(spec.period_ms)) << spec.name;
    EXPECT_EQ(m.signals.size(), spec.signals.size()) << spec.name;
    for (const CanSignal& s : spec.signals) {
      const auto sit = m.signals.find(std::string(s.name));
      ASSERT_NE(sit, m.signals.end()) << spec.name << "." << s.name << " not in " << path;
      const DbcSignal& d = sit->second;
      const std::string where = std::string(spec.name) + "." + std::string(s.name);
      EXPECT_EQ(d.start, s.start_bit) << where;
      EXPECT_EQ(d.length, s.length) << where;
      EXPECT_EQ(d.is_signed, s.is_signed) << where;
      EXPECT_TRUE(close(d.factor, s.factor)) << where;
      EXPECT_TRUE(close(d.offset, s.offset)) << where;
      EXPECT_TRUE(close(d.minimum, static_cast<double>(s.raw_min) * s.factor + s.offset)) << where;
      EXPECT_TRUE(close(d.maximum, static_cast<double>(s.raw_max) * s.factor + s.offset)) << where;
      EXPECT_EQ(d.unit, s.unit) << where;
    }
  }
}

TEST(LinkDbc, AgreesWithTheCodecs) {
  expect_dbc_matches(std::string(BTS_SOURCE_DIR) + "/data/dbc/link.dbc", link_messages());
}

TEST(BduNetworkDbc, AgreesWithTheCodecs) {
  expect_dbc_matches(std::string(BTS_SOURCE_DIR) + "/data/dbc/bdu_network.dbc",
                     bdu_network::bdu_network_messages());
}

}  // namespace
}  // namespace bts::firmware
