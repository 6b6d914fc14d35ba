// Sofar "BMS extended" codec: golden frames for the example value set of
// docs/protocols/inverter.md and for the real battery log the research quotes (0x351, 0x356,
// 0x671..0x673, 0x680..0x685, 0x690), the enable frame, both alarm layouts, inquiries and replies
// with the battery-id offset, round trips and refusals.
#include "firmware/inverter/sofar_protocol.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace bts::firmware::sofar {
namespace {

void expect_frame(const CanFrame& frame, std::uint32_t id, std::initializer_list<int> bytes) {
  EXPECT_TRUE(frame.extended);
  EXPECT_EQ(frame.id, id) << std::hex << "got 0x" << frame.id << " want 0x" << id;
  ASSERT_EQ(frame.dlc, 8);
  ASSERT_EQ(bytes.size(), 8u);
  std::size_t i = 0;
  for (int b : bytes) {
    EXPECT_EQ(frame.data[i], b) << std::hex << "frame 0x" << frame.id << " byte " << std::dec << i;
    ++i;
  }
}

CanFrame frame_of(std::uint32_t id, std::initializer_list<int> bytes, bool extended = true) {
  CanFrame frame;
  frame.id = id;
  frame.extended = extended;
  frame.dlc = static_cast<std::uint8_t>(bytes.size());
  std::size_t i = 0;
  for (int b : bytes) frame.data[i++] = static_cast<std::uint8_t>(b);
  return frame;
}

std::uint32_t bits_of(std::initializer_list<Code> codes) {
  CodeSet set;
  for (Code c : codes) set.set(c);
  return set.bits();
}

// ---------------------------------------------------------------------------------------------
// Cyclic frames

TEST(SofarGolden, CyclicFramesOfTheExampleForBdu2) {
  // docs/protocols/inverter.md "Sofar example": BDU 2 = battery id 1, ids + 0x1000.
  expect_frame(encode_limits(1, {4250, 280, 280, 3500}), 0x1351,
               {0x9A, 0x10, 0x18, 0x01, 0x18, 0x01, 0xAC, 0x0D});
  expect_frame(encode_soc_soh(1, {50, 100}), 0x1355, {0x32, 0, 0x64, 0, 0, 0, 0, 0});
  expect_frame(encode_measurements(1, {4000, -100, 250}), 0x1356,
               {0xA0, 0x0F, 0x9C, 0xFF, 0xFA, 0x00, 0, 0});
  expect_frame(encode_configuration(1, {2, 1, 1, 16}), 0x1359, {2, 1, 1, 16, 0, 0, 0, 0});
  expect_frame(encode_alarms(1, bits_of({Code::A1, Code::F9})), 0x135A,
               {0x01, 0x00, 0x02, 0x00, 0, 0, 0, 0});
  expect_frame(encode_manufacturer(1, "BTS5K"), 0x135E, {'B', 'T', 'S', '5', 'K', 0, 0, 0});
  expect_frame(encode_identity(1, {1, 2, 3, 200}), 0x135F, {0x01, 1, 2, 3, 0xC8, 0, 0, 0});
  expect_frame(encode_enable(1, {0, true, true}), 0x130F, {0, 0x03, 0, 0, 0, 0, 0, 0});
}

TEST(SofarGolden, RealBatteryLogFrames) {
  // The AMASS log quoted in the research: 224.6 V / 25.0 A / 25.0 A / 192.0 V, "AMASS", 210.2 V
  // at 20.8 degC.
  expect_frame(encode_limits(0, {2246, 250, 250, 1920}), 0x351,
               {0xC6, 0x08, 0xFA, 0x00, 0xFA, 0x00, 0x80, 0x07});
  expect_frame(encode_manufacturer(0, "AMASS"), 0x35E, {'A', 'M', 'A', 'S', 'S', 0, 0, 0});
  const CanFrame measured = frame_of(0x356, {0x36, 0x08, 0x00, 0x00, 0xD0, 0x00, 0, 0});
  Measurements m;
  ASSERT_TRUE(decode_measurements(measured, m));
  EXPECT_EQ(m.voltage_dV, 2102);
  EXPECT_EQ(m.current_dA, 0);
  EXPECT_EQ(m.temperature_ddegC, 208);
  EXPECT_EQ(encode_measurements(0, m), measured);
}

TEST(SofarGolden, SplitIdKnowsEveryFrameAndBothBatteries) {
  for (std::uint32_t base : {kLimits,
                             kSocSoh,
                             kMeasurements,
                             kConfiguration,
                             kAlarms,
                             kManufacturer,
                             kIdentity,
                             kEnable,
                             kInquiry,
                             kHistoryInquiry,
                             kReplySummary,
                             kReplySerial,
                             kReplySerial + 2,
                             kReplyCellVoltages,
                             kReplyCellVoltages + 15,
                             kReplyTemperatures,
                             kReplyTemperatures + 15,
                             kReplyVersions,
                             kReplyCellExtremes,
                             kReplyTemperatureExtremes,
                             kReplyHistory,
                             kReplyHistory + 3,
                             kReplyHistoryFaults,
                             kReplyHistoryFaults + 4}) {
    for (std::uint8_t battery : {0, 1, 15}) {
      const auto parts = split_id(id_for(base, battery));
      ASSERT_TRUE(parts) << std::hex << base;
      EXPECT_EQ(parts->first, base);
      EXPECT_EQ(parts->second, battery);
    }
  }
  for (std::uint32_t id : {0x350u, 0x674u, 0x6A1u, 0x774u, 0x785u, 0x790u, 0x10351u, 0x4210u}) {
    EXPECT_FALSE(split_id(id)) << std::hex << id;
  }
}

TEST(SofarCyclic, RoundTripsAndRefusals) {
  const Limits limits{4250, 280, 0, 3500};
  Limits l;
  ASSERT_TRUE(decode_limits(encode_limits(1, limits), l));
  EXPECT_EQ(l.charge_voltage_limit_dV, 4250);
  EXPECT_EQ(l.charge_current_limit_dA, 280);
  EXPECT_EQ(l.discharge_current_limit_dA, 0);
  EXPECT_EQ(l.discharge_voltage_limit_dV, 3500);
  // Saturation of negative and too large values.
  ASSERT_TRUE(decode_limits(encode_limits(0, {70000, -1, 65535, 0}), l));
  EXPECT_EQ(l.charge_voltage_limit_dV, 65535);
  EXPECT_EQ(l.charge_current_limit_dA, 0);
  SocSoh s;
  ASSERT_TRUE(decode_soc_soh(encode_soc_soh(0, {99, 98}), s));
  EXPECT_EQ(s.soc_percent, 99);
  EXPECT_EQ(s.soh_percent, 98);
  Measurements m;
  ASSERT_TRUE(decode_measurements(encode_measurements(1, {3999, -32768, -400}), m));
  EXPECT_EQ(m.voltage_dV, 3999);
  EXPECT_EQ(m.current_dA, -32768);
  EXPECT_EQ(m.temperature_ddegC, -400);

  CanFrame f = encode_limits(0, limits);
  f.extended = false;
  EXPECT_FALSE(decode_limits(f, l));
  f = encode_limits(0, limits);
  f.dlc = 7;
  EXPECT_FALSE(decode_limits(f, l));
  f = encode_limits(0, limits);
  f.id = 0x355;
  EXPECT_FALSE(decode_limits(f, l));
  f.id = 0x10351;  // battery id 16 does not exist
  EXPECT_FALSE(decode_limits(f, l));
  f.id = 0xF351;  // battery id 15, the last one
  EXPECT_TRUE(decode_limits(f, l));
}

// ---------------------------------------------------------------------------------------------
// 0x35A alarms and 0x30F enable

TEST(SofarAlarms, CodeBitsLayoutRoundTripsEveryCode) {
  for (int i = 0; i < kCodeCount; ++i) {
    const std::uint32_t bits = 1u << i;
    std::uint32_t decoded = 0;
    ASSERT_TRUE(decode_alarms(encode_alarms(0, bits), decoded));
    EXPECT_EQ(decoded, bits);
  }
  const std::uint32_t all = (1u << kCodeCount) - 1u;
  expect_frame(encode_alarms(0, all), 0x35A, {0xFF, 0xFF, 0xFF, 0x03, 0, 0, 0, 0});
  // Bits above F17 are not codes: not sent, and refused when received.
  expect_frame(encode_alarms(0, 0xFC000001u), 0x35A, {0x01, 0, 0, 0, 0, 0, 0, 0});
  std::uint32_t decoded = 7;
  EXPECT_FALSE(decode_alarms(frame_of(0x35A, {0, 0, 0, 0x04, 0, 0, 0, 0}), decoded));
  EXPECT_EQ(decoded, 7u);
}

TEST(SofarAlarms, ZeroLayoutSendsNothing) {
  SofarDialect dialect;
  dialect.alarm_layout = AlarmLayout::Zero;
  expect_frame(encode_alarms(1, bits_of({Code::F1, Code::A9}), dialect), 0x135A,
               {0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(encode_alarms(1, bits_of({Code::F1}), SofarDialect{}),
            encode_alarms(1, bits_of({Code::F1})));
}

TEST(SofarRequestFlags, GoldenFramesRoundTripAndReservedBits) {
  // Pylon LV layout of 0x35C: b7 charge enable, b6 discharge enable, b5 force charge I, b3 full
  // charge request; offset by the battery id like every battery frame.
  expect_frame(encode_request_flags(0, {true, true, false, false}), 0x35C,
               {0xC0, 0, 0, 0, 0, 0, 0, 0});
  expect_frame(encode_request_flags(1, {true, false, false, true}), 0x135C,
               {0x88, 0, 0, 0, 0, 0, 0, 0});
  expect_frame(encode_request_flags(0, {false, false, true, false}), 0x35C,
               {0x20, 0, 0, 0, 0, 0, 0, 0});
  for (int flags = 0; flags < 16; ++flags) {
    const RequestFlags e{(flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0};
    RequestFlags d;
    ASSERT_TRUE(decode_request_flags(encode_request_flags(1, e), d));
    EXPECT_EQ(d, e);
  }
  RequestFlags d;
  ASSERT_TRUE(decode_request_flags(frame_of(0x35C, {0x17, 9, 9, 9, 9, 9, 9, 9}), d));
  EXPECT_EQ(d, (RequestFlags{false, false, false, false}));  // b4, b2-b0 and bytes 1-7 reserved
  EXPECT_FALSE(decode_request_flags(frame_of(0x35C, {0x08}), d));
  EXPECT_FALSE(decode_request_flags(frame_of(0x351, {0x08, 0, 0, 0, 0, 0, 0, 0}), d));
}

TEST(SofarEnable, GoldenFramesRoundTripAndReservedBits) {
  expect_frame(encode_enable(0, {0, false, true}), 0x30F, {0, 0x02, 0, 0, 0, 0, 0, 0});
  expect_frame(encode_enable(0, {0, true, false}), 0x30F, {0, 0x01, 0, 0, 0, 0, 0, 0});
  expect_frame(encode_enable(1, {5, false, false}), 0x130F, {5, 0x00, 0, 0, 0, 0, 0, 0});
  for (int command = 0; command < 256; command += 51) {
    for (int flags = 0; flags < 4; ++flags) {
      const Enable e{static_cast<std::uint8_t>(command), (flags & 1) != 0, (flags & 2) != 0};
      Enable d;
      ASSERT_TRUE(decode_enable(encode_enable(1, e), d));
      EXPECT_EQ(d, e);
    }
  }
  Enable d;
  ASSERT_TRUE(decode_enable(frame_of(0x30F, {0, 0xFE, 1, 2, 3, 4, 5, 6}), d));
  EXPECT_TRUE(d.charge_allowed);
  EXPECT_FALSE(d.discharge_allowed);
  EXPECT_FALSE(decode_enable(frame_of(0x30F, {0, 3}), d));
  EXPECT_FALSE(decode_enable(frame_of(0x30F, {0, 3, 0, 0, 0, 0, 0, 0}, false), d));
  EXPECT_FALSE(decode_enable(frame_of(0x35A, {0, 3, 0, 0, 0, 0, 0, 0}), d));
}

// ---------------------------------------------------------------------------------------------
// Inquiries

TEST(SofarInquiry, GoldenFramesAndDecode) {
  expect_frame(encode_inquiry({1, 0x02, 3}), 0x605, {1, 0x02, 3, 0, 0, 0, 0, 0});
  Inquiry history;
  history.battery_id = 0;
  history.what = 0x04;
  history.module = 2;
  history.history = true;
  history.record = 5;
  expect_frame(encode_inquiry(history), 0x705, {0, 0x04, 5, 2, 0, 0, 0, 0});
  Inquiry i;
  ASSERT_TRUE(decode_inquiry(encode_inquiry(history), i));
  EXPECT_EQ(i, history);
  ASSERT_TRUE(decode_inquiry(frame_of(0x605, {1, 0x0E, 3}), i));
  EXPECT_EQ(i, (Inquiry{1, 0x0E, 3, false, 0}));
  ASSERT_TRUE(decode_inquiry(frame_of(0x705, {1, 0x08, 9, 2}), i));
  EXPECT_EQ(i, (Inquiry{1, 0x08, 2, true, 9}));
  // Unknown inquiry ids are still inquiries (the inverter is there).
  ASSERT_TRUE(decode_inquiry(frame_of(0x605, {0, 0x77, 0, 0, 0, 0, 0, 0}), i));
  EXPECT_EQ(i.what, 0x77);
}

TEST(SofarInquiry, Refusals) {
  Inquiry i{9, 9, 9, true, 9};
  const Inquiry before = i;
  EXPECT_FALSE(decode_inquiry(frame_of(0x605, {0, 0}), i));            // dlc 2
  EXPECT_FALSE(decode_inquiry(frame_of(0x705, {0, 0, 0}), i));         // dlc 3 for history
  EXPECT_FALSE(decode_inquiry(frame_of(0x605, {0, 0, 0}, false), i));  // standard frame
  EXPECT_FALSE(decode_inquiry(frame_of(0x605, {16, 0, 0}), i));        // battery id 16
  EXPECT_FALSE(decode_inquiry(frame_of(0x1605, {1, 0, 0}), i));        // offset id: no inquiry
  EXPECT_FALSE(decode_inquiry(frame_of(0x606, {0, 0, 0}), i));
  EXPECT_FALSE(decode_inquiry(frame_of(0x351, {0, 0, 0}), i));
  CanFrame long_frame = frame_of(0x605, {0, 0, 0});
  long_frame.dlc = 9;
  EXPECT_FALSE(decode_inquiry(long_frame, i));
  EXPECT_EQ(i, before);
}

// ---------------------------------------------------------------------------------------------
// Replies

/// The module of the real log: 18 cells, 2 temperature sensors, serial "BHU512025EPC21426162".
constexpr std::array<std::uint16_t, 18> kLogCells{3255, 3251, 3252, 3254, 3251, 3252,
                                                  3254, 3251, 3252, 3254, 3251, 3252,
                                                  3254, 3251, 3252, 3251, 3259, 3251};
constexpr std::array<std::int16_t, 2> kLogTemperatures{215, 212};

/// A BTS module: 16 cells, 8 sensors (one not measured), firmware 1.4.2, hardware 3.
constexpr std::array<std::uint16_t, 16> kBtsCells{3300, 3301, 3302, 3303, 3304, 3305, 3306, 3307,
                                                  3308, 3309, 3310, 3311, 3312, 3290, 3320, 3299};
constexpr std::array<std::int16_t, 8> kBtsTemperatures{251, 249, -32768, 262, 240, 255, 238, 250};

std::array<ModuleData, 2> modules() {
  ModuleData log;
  log.soc_permille = 455;
  log.stack_voltage_mV = 58585;
  log.cell_mV = kLogCells;
  log.temperature_ddegC = kLogTemperatures;
  log.serial = "BHU512025EPC21426162";
  ModuleData bts;
  bts.soc_permille = 1000;
  bts.stack_voltage_mV = 52882;
  bts.cell_mV = kBtsCells;
  bts.temperature_ddegC = kBtsTemperatures;
  bts.serial = "BTSM00012345";
  bts.firmware_major = 1;
  bts.firmware_minor = 4;
  bts.firmware_patch = 2;
  bts.hardware_version = 3;
  return {log, bts};
}

std::size_t reply(std::uint8_t battery, const Inquiry& inquiry, std::span<CanFrame> out) {
  const auto m = modules();
  return encode_inquiry_replies(battery, inquiry, m, out);
}

TEST(SofarReplies, SerialNumberFramesOfTheLog) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  ASSERT_EQ(reply(0, {0, 0x01, 0}, out), 3u);
  expect_frame(out[0], 0x671, {0, 'B', 'H', 'U', '5', '1', '2', '0'});
  expect_frame(out[1], 0x672, {0, '2', '5', 'E', 'P', 'C', '2', '1'});
  expect_frame(out[2], 0x673, {0, 0x34, 0x32, 0x36, 0x31, 0x36, 0x32, 0x00});
}

TEST(SofarReplies, CellVoltageFramesOfTheLog) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  ASSERT_EQ(reply(0, {0, 0x02, 0}, out), 6u);
  expect_frame(out[0], 0x680, {0x00, 0xB7, 0x0C, 0xB3, 0x0C, 0xB4, 0x0C, 0x00});
  expect_frame(out[1], 0x681, {0x00, 0xB6, 0x0C, 0xB3, 0x0C, 0xB4, 0x0C, 0x00});
  expect_frame(out[4], 0x684, {0x00, 0xB6, 0x0C, 0xB3, 0x0C, 0xB4, 0x0C, 0x00});
  expect_frame(out[5], 0x685, {0x00, 0xB3, 0x0C, 0xBB, 0x0C, 0xB3, 0x0C, 0x00});
  // Inquiry 0x03 (Battery-Emulator maps it to 0x681) gets the same set.
  std::array<CanFrame, kMaxReplyFrames> again{};
  ASSERT_EQ(reply(0, {0, 0x03, 0}, again), 6u);
  EXPECT_EQ(again, out);
}

TEST(SofarReplies, TemperatureFrameOfTheLog) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  ASSERT_EQ(reply(0, {0, 0x0A, 0}, out), 1u);
  expect_frame(out[0], 0x690, {0x00, 0xD7, 0x00, 0xD4, 0x00, 0x00, 0x00, 0x00});
  ASSERT_EQ(reply(0, {0, 0x0B, 0}, out), 1u);
  expect_frame(out[0], 0x690, {0x00, 0xD7, 0x00, 0xD4, 0x00, 0x00, 0x00, 0x00});
}

TEST(SofarReplies, EveryReplyOfABtsModuleForBdu2) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  // Summary: SOC 100 %, 52.88 V (5288 = 0x14A8), 16 cells, 8 sensors.
  ASSERT_EQ(reply(1, {1, 0x00, 1}, out), 1u);
  expect_frame(out[0], 0x1670, {1, 100, 0xA8, 0x14, 16, 8, 0, 0});
  ASSERT_EQ(reply(1, {1, 0x01, 1}, out), 3u);
  expect_frame(out[0], 0x1671, {1, 'B', 'T', 'S', 'M', '0', '0', '0'});
  expect_frame(out[1], 0x1672, {1, '1', '2', '3', '4', '5', 0, 0});
  expect_frame(out[2], 0x1673, {1, 0, 0, 0, 0, 0, 0, 0});
  // 16 cells in six frames; the two slots past cell 16 read "not measured".
  ASSERT_EQ(reply(1, {1, 0x02, 1}, out), 6u);
  expect_frame(out[0], 0x1680, {1, 0xE4, 0x0C, 0xE5, 0x0C, 0xE6, 0x0C, 0});
  expect_frame(out[4], 0x1684, {1, 0xF0, 0x0C, 0xDA, 0x0C, 0xF8, 0x0C, 0});
  expect_frame(out[5], 0x1685, {1, 0xE3, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0});
  // 8 sensors in four frames; sensor 3 not measured (0x8000).
  ASSERT_EQ(reply(1, {1, 0x0A, 1}, out), 4u);
  expect_frame(out[0], 0x1690, {1, 0xFB, 0x00, 0xF9, 0x00, 0, 0, 0});
  expect_frame(out[1], 0x1691, {1, 0x00, 0x80, 0x06, 0x01, 0, 0, 0});
  expect_frame(out[3], 0x1693, {1, 0xEE, 0x00, 0xFA, 0x00, 0, 0, 0});
  ASSERT_EQ(reply(1, {1, 0x0C, 1}, out), 1u);
  expect_frame(out[0], 0x16A0, {1, 1, 4, 2, 3, 0, 0, 0});
  // Cell extremes: max 3320 mV (cell 15), min 3290 mV (cell 14).
  ASSERT_EQ(reply(1, {1, 0x0D, 1}, out), 1u);
  expect_frame(out[0], 0x16B0, {1, 0xF8, 0x0C, 0xDA, 0x0C, 15, 14, 0});
  // Temperature extremes skip the missing sensor: max 26.2 degC (4), min 23.8 degC (7).
  ASSERT_EQ(reply(1, {1, 0x0E, 1}, out), 1u);
  expect_frame(out[0], 0x16C0, {1, 0x06, 0x01, 0xEE, 0x00, 4, 7, 0});
}

TEST(SofarReplies, HistoryInquiriesGetAnEmptyRecord) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  const std::array<std::uint32_t, 9> ids{0x770, 0x771, 0x772, 0x773, 0x780,
                                         0x781, 0x782, 0x783, 0x784};
  for (std::uint8_t what = 0; what < 9; ++what) {
    Inquiry inquiry{1, what, 1, true, 7};
    ASSERT_EQ(reply(1, inquiry, out), 1u);
    expect_frame(out[0], 0x1000 + ids[what], {1, 7, 0, 0, 0, 0, 0, 0});
  }
  EXPECT_EQ(reply(1, {1, 0x09, 1, true, 0}, out), 0u);
}

TEST(SofarReplies, NoReplyForOthersUnknownsOrNoRoom) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  EXPECT_EQ(reply(0, {1, 0x00, 0}, out), 0u);  // for battery 1
  EXPECT_EQ(reply(1, {1, 0x00, 2}, out), 0u);  // module 2 does not exist
  for (std::uint8_t what : {0x04, 0x05, 0x09, 0x0F, 0x10, 0xFF}) {
    EXPECT_EQ(reply(0, {0, what, 0}, out), 0u) << int{what};
  }
  std::array<CanFrame, 5> small{};
  EXPECT_EQ(reply(0, {0, 0x02, 0}, small), 0u);  // six frames needed
  EXPECT_EQ(reply(0, {0, 0x01, 0}, std::span<CanFrame>(small).first(2)), 0u);
  EXPECT_EQ(reply(0, {0, 0x00, 0}, {}), 0u);
  for (const CanFrame& f : small) EXPECT_EQ(f.id, 0u);
  // A module without cells or sensors has no cell or temperature frames.
  const ModuleData empty;
  EXPECT_EQ(encode_inquiry_replies(0, {0, 0x02, 0}, std::span<const ModuleData>(&empty, 1), out),
            0u);
  EXPECT_EQ(encode_inquiry_replies(0, {0, 0x0A, 0}, std::span<const ModuleData>(&empty, 1), out),
            0u);
  ASSERT_EQ(encode_inquiry_replies(0, {0, 0x0D, 0}, std::span<const ModuleData>(&empty, 1), out),
            1u);
  expect_frame(out[0], 0x6B0, {0, 0, 0, 0, 0, 0, 0, 0});
}

TEST(SofarReplies, LongSerialsAndManyCellsAreCut) {
  std::array<std::uint16_t, 60> cells{};
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<std::uint16_t>(3000 + i);
  std::array<std::int16_t, 40> temps{};
  ModuleData m;
  m.cell_mV = cells;
  m.temperature_ddegC = temps;
  m.serial = "0123456789ABCDEFGHIJKLMNOP";
  m.soc_permille = -20;
  m.stack_voltage_mV = 900000;
  std::array<CanFrame, kMaxReplyFrames> out{};
  const std::span<const ModuleData> one(&m, 1);
  ASSERT_EQ(encode_inquiry_replies(0, {0, 0x02, 0}, one, out), 16u);
  expect_frame(out[15], 0x68F, {0, 0xE5, 0x0B, 0xE6, 0x0B, 0xE7, 0x0B, 0});  // cells 46..48
  ASSERT_EQ(encode_inquiry_replies(0, {0, 0x0A, 0}, one, out), 16u);
  EXPECT_EQ(out[15].id, 0x69Fu);
  ASSERT_EQ(encode_inquiry_replies(0, {0, 0x01, 0}, one, out), 3u);
  expect_frame(out[2], 0x673, {0, 'E', 'F', 'G', 'H', 'I', 'J', 'K'});
  ASSERT_EQ(encode_inquiry_replies(0, {0, 0x00, 0}, one, out), 1u);
  expect_frame(out[0], 0x670, {0, 0, 0xFF, 0xFF, 48, 32, 0, 0});
}

TEST(SofarReplies, EveryReplyFrameRoundTrips) {
  std::array<CanFrame, kMaxReplyFrames> out{};
  const auto m = modules();
  for (std::uint8_t battery : {0, 1}) {
    for (std::uint8_t module = 0; module < 2; ++module) {
      for (int what = 0; what < 16; ++what) {
        for (bool history : {false, true}) {
          const Inquiry inquiry{battery, static_cast<std::uint8_t>(what), module, history, 3};
          const std::size_t n = encode_inquiry_replies(battery, inquiry, m, out);
          for (std::size_t k = 0; k < n; ++k) {
            InquiryReply r;
            ASSERT_TRUE(decode_inquiry_reply(out[k], r)) << std::hex << out[k].id;
            EXPECT_EQ(r.battery_id, battery);
            EXPECT_EQ(r.module, module);
            EXPECT_EQ(encode_inquiry_reply(r), out[k]) << std::hex << out[k].id;
          }
        }
      }
    }
  }
  // Decoded fields of a few kinds.
  ASSERT_EQ(encode_inquiry_replies(1, {1, 0x00, 1}, m, out), 1u);
  InquiryReply r;
  ASSERT_TRUE(decode_inquiry_reply(out[0], r));
  EXPECT_EQ(r.kind, ReplyKind::Summary);
  EXPECT_EQ(r.soc_percent, 100);
  EXPECT_EQ(r.stack_voltage_cV, 5288);
  EXPECT_EQ(r.cell_count, 16);
  EXPECT_EQ(r.temperature_count, 8);
  ASSERT_EQ(encode_inquiry_replies(1, {1, 0x02, 1}, m, out), 6u);
  ASSERT_TRUE(decode_inquiry_reply(out[4], r));
  EXPECT_EQ(r.kind, ReplyKind::CellVoltages);
  EXPECT_EQ(r.index, 4);
  EXPECT_EQ(r.cell_mV, (std::array<std::uint16_t, 3>{3312, 3290, 3320}));
  ASSERT_EQ(encode_inquiry_replies(1, {1, 0x05, 1, true, 9}, m, out), 1u);
  ASSERT_TRUE(decode_inquiry_reply(out[0], r));
  EXPECT_EQ(r.kind, ReplyKind::History);
  EXPECT_EQ(r.index, 5);
  EXPECT_EQ(r.record, 9);
}

TEST(SofarReplies, DecodeRefusals) {
  InquiryReply r;
  r.module = 42;
  const InquiryReply before = r;
  EXPECT_FALSE(decode_inquiry_reply(frame_of(0x670, {0, 101, 0, 0, 0, 0, 0, 0}), r));  // SOC
  EXPECT_FALSE(decode_inquiry_reply(frame_of(0x670, {0, 50, 0, 0, 0, 0, 0}), r));      // dlc
  EXPECT_FALSE(decode_inquiry_reply(frame_of(0x670, {0, 50, 0, 0, 0, 0, 0, 0}, false), r));
  EXPECT_FALSE(decode_inquiry_reply(frame_of(0x6B0, {0, 0, 0, 0, 0, 49, 1, 0}), r));
  EXPECT_FALSE(decode_inquiry_reply(frame_of(0x6C0, {0, 0, 0, 0, 0, 1, 33, 0}), r));
  for (std::uint32_t id : {0x351u, 0x605u, 0x674u, 0x6D0u, 0x774u, 0x785u, 0x10670u}) {
    EXPECT_FALSE(decode_inquiry_reply(frame_of(id, {0, 0, 0, 0, 0, 0, 0, 0}), r)) << std::hex << id;
  }
  EXPECT_EQ(r, before);
}

}  // namespace
}  // namespace bts::firmware::sofar
