// Pylon HV CAN codec: golden frames for the example value set of docs/protocols/inverter.md
// (which contains the research test vectors), every dialect option, the CodeSet mapping, inverter
// commands, round trips for every field and refusals of wrong ids, dlcs and ranges.
#include "firmware/inverter/pylon_hv_protocol.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace bts::firmware::pylon_hv {
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

CodeSet codes_of(std::initializer_list<Code> codes) {
  CodeSet set;
  for (Code c : codes) set.set(c);
  return set;
}

/// The example value set of docs/protocols/inverter.md ("Pylon HV example").
BatteryValues example() {
  BatteryValues v;
  v.voltage_dV = 4000;  // 400.0 V
  v.current_dA = -100;  // 10.0 A discharging
  v.bms_temperature_ddegC = 250;
  v.soc_permille = 500;
  v.soh_permille = 1000;
  v.charge_voltage_limit_dV = 4000;
  v.discharge_voltage_limit_dV = 3000;
  v.charge_current_limit_dA = 250;
  v.discharge_current_limit_dA = 250;
  v.max_cell_mV = 3295;
  v.min_cell_mV = 3290;
  v.max_cell_number = 3;
  v.min_cell_number = 6;
  v.max_cell_temperature_ddegC = 150;
  v.min_cell_temperature_ddegC = 122;
  v.max_cell_temperature_number = 17;
  v.min_cell_temperature_number = 3;
  v.status = BasicStatus::Discharge;
  v.forced_charge_request = true;
  v.balance_charge_request = false;
  v.cycle_period = 0;
  v.codes = codes_of({Code::A1, Code::F4, Code::F10});
  v.max_module_mV = 52800;
  v.min_module_mV = 52600;
  v.max_module_number = 2;
  v.min_module_number = 1;
  v.max_module_temperature_ddegC = 240;
  v.min_module_temperature_ddegC = 215;
  v.max_module_temperature_number = 3;
  v.min_module_temperature_number = 1;
  v.charge_forbidden = false;
  v.discharge_forbidden = true;
  v.versions = {1, 2, 1, 1, 4, 0, 3};
  v.topology = {45, 3, 15, 144, 50};
  return v;
}

// ---------------------------------------------------------------------------------------------
// Golden frames, spec dialect

TEST(PylonHvGolden, EnsembleAnswerOfTheExample) {
  std::array<CanFrame, kMaxResponseFrames> out{};
  ASSERT_EQ(encode_ensemble(example(), 0, kSpecDialect, out), kEnsembleFrames);
  // Research test vectors 1.5 (computed from the spec tables and Battery-Emulator's data).
  expect_frame(out[0], 0x4210, {0xA0, 0x0F, 0xCC, 0x74, 0xE2, 0x04, 0x32, 0x64});
  expect_frame(out[1], 0x4220, {0xA0, 0x0F, 0xB8, 0x0B, 0x2A, 0x76, 0x36, 0x74});
  expect_frame(out[2], 0x4230, {0xDF, 0x0C, 0xDA, 0x0C, 0x03, 0x00, 0x06, 0x00});
  expect_frame(out[3], 0x4240, {0x7E, 0x04, 0x62, 0x04, 0x11, 0x00, 0x03, 0x00});
  // Status discharge + forced charge; errors F10 -> sensor bits; alarm A1 -> high-T bits 5, 7;
  // protection F4 -> cell low voltage bit 0.
  expect_frame(out[4], 0x4250, {0x0A, 0x00, 0x00, 0x03, 0xA0, 0x00, 0x01, 0x00});
  expect_frame(out[5], 0x4260, {0x40, 0xCE, 0x78, 0xCD, 0x02, 0x00, 0x01, 0x00});
  expect_frame(out[6], 0x4270, {0xD8, 0x04, 0xBF, 0x04, 0x03, 0x00, 0x01, 0x00});
  expect_frame(out[7], 0x4280, {0x00, 0xAA, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  expect_frame(out[8], 0x4290, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
}

TEST(PylonHvGolden, EquipmentAnswerOfTheExample) {
  std::array<CanFrame, kEquipmentFrames> out{};
  ASSERT_EQ(encode_equipment(example(), 0, kSpecDialect, out), kEquipmentFrames);
  expect_frame(out[0], 0x7310, {0x01, 0x00, 0x02, 0x01, 0x01, 0x04, 0x00, 0x03});
  // Research test vector (eevblog SC0500 + 3 x H48050).
  expect_frame(out[1], 0x7320, {0x2D, 0x00, 0x03, 0x0F, 0x90, 0x00, 0x32, 0x00});
  expect_frame(out[2], 0x7330, {'P', 'Y', 'L', 'O', 'N', 0, 0, 0});
  expect_frame(out[3], 0x7340, {0, 0, 0, 0, 0, 0, 0, 0});
}

TEST(PylonHvGolden, BatteryEmulatorInitialFramesDecodeAndReencode) {
  // Research test vectors 1.5 from Battery-Emulator's initial frame data.
  const CanFrame totals = frame_of(0x4210, {0xA5, 0x09, 0x30, 0x75, 0x9D, 0x04, 0x2E, 0x64});
  BatteryReport report;
  ASSERT_TRUE(decode_frame(totals, kSpecDialect, report));
  EXPECT_EQ(report.values.voltage_dV, 2469);
  EXPECT_EQ(report.values.current_dA, 0);
  EXPECT_EQ(report.values.bms_temperature_ddegC, 181);
  EXPECT_EQ(report.values.soc_permille, 460);
  EXPECT_EQ(report.values.soh_permille, 1000);
  EXPECT_EQ(encode_frame(Frame::Totals, report.values, 0, kSpecDialect), totals);

  // 0x4220 with the discharge limit encoded positive: the spec dialect refuses it (a negative
  // limit), the positive-sign dialects read 105.0 A.
  const CanFrame limits = frame_of(0x4220, {0x8C, 0x0A, 0xE9, 0x07, 0x4A, 0x79, 0x4A, 0x79});
  BatteryReport spec;
  EXPECT_FALSE(decode_frame(limits, kSpecDialect, spec));
  EXPECT_EQ(spec.frames_seen, 0u);
  for (const PylonDialect& dialect : {kGceDialect, kSofarHydDialect}) {
    BatteryReport positive;
    ASSERT_TRUE(decode_frame(limits, dialect, positive));
    EXPECT_EQ(positive.values.charge_voltage_limit_dV, 2700);
    EXPECT_EQ(positive.values.discharge_voltage_limit_dV, 2025);
    EXPECT_EQ(positive.values.charge_current_limit_dA, 1050);
    EXPECT_EQ(positive.values.discharge_current_limit_dA, 1050);
    EXPECT_EQ(encode_frame(Frame::Limits, positive.values, 0, dialect), limits);
  }

  const CanFrame cells = frame_of(0x4230, {0xDF, 0x0C, 0xDA, 0x0C, 0x03, 0x00, 0x06, 0x00});
  ASSERT_TRUE(decode_frame(cells, kSpecDialect, report));
  EXPECT_EQ(report.values.max_cell_mV, 3295);
  EXPECT_EQ(report.values.min_cell_mV, 3290);
  EXPECT_EQ(report.values.max_cell_number, 3);
  EXPECT_EQ(report.values.min_cell_number, 6);

  const CanFrame temps = frame_of(0x4240, {0x7E, 0x04, 0x62, 0x04, 0x11, 0x00, 0x03, 0x00});
  ASSERT_TRUE(decode_frame(temps, kSpecDialect, report));
  EXPECT_EQ(report.values.max_cell_temperature_ddegC, 150);
  EXPECT_EQ(report.values.min_cell_temperature_ddegC, 122);
  EXPECT_EQ(report.values.max_cell_temperature_number, 17);
  EXPECT_EQ(report.values.min_cell_temperature_number, 3);

  const CanFrame topology = frame_of(0x7320, {0x2D, 0x00, 0x03, 0x0F, 0x90, 0x00, 0x32, 0x00});
  ASSERT_TRUE(decode_frame(topology, kSpecDialect, report));
  EXPECT_EQ(report.values.topology, (Topology{45, 3, 15, 144, 50}));
}

TEST(PylonHvGolden, AddressSuffixForASecondBattery) {
  std::array<CanFrame, kMaxResponseFrames> out{};
  ASSERT_EQ(encode_ensemble(example(), 1, kSpecDialect, out), kEnsembleFrames);
  for (std::size_t i = 0; i < kEnsembleFrames; ++i) {
    EXPECT_EQ(out[i].id, 0x4211u + 0x10u * i);
  }
  ASSERT_EQ(encode_equipment(example(), 15, kSpecDialect, out), kEquipmentFrames);
  EXPECT_EQ(out[0].id, 0x731Fu);
  EXPECT_EQ(out[3].id, 0x734Fu);
  EXPECT_EQ(address_for(kSpecDialect, 0), 0);
  EXPECT_EQ(address_for(kSpecDialect, 1), 1);
  EXPECT_EQ(address_for(kSofarHydDialect, 0), 1);
  EXPECT_EQ(address_for(kSofarHydDialect, 1), 2);
  EXPECT_EQ(address_for(kFerroampDialect, 0), 1);
  // An address above 15 wraps into the nibble rather than into the next frame's id.
  EXPECT_EQ(encode_frame(Frame::Totals, example(), 0x13, kSpecDialect).id, 0x4213u);
}

TEST(PylonHvGolden, IdsSplitIntoBaseAndAddress) {
  EXPECT_EQ(split_id(0x4200), (std::pair<std::uint32_t, std::uint8_t>{0x4200, 0}));
  EXPECT_EQ(split_id(0x4213), (std::pair<std::uint32_t, std::uint8_t>{0x4210, 3}));
  EXPECT_EQ(split_id(0x42EF), (std::pair<std::uint32_t, std::uint8_t>{0x42E0, 15}));
  EXPECT_EQ(split_id(0x7341), (std::pair<std::uint32_t, std::uint8_t>{0x7340, 1}));
  EXPECT_EQ(split_id(0x8252), (std::pair<std::uint32_t, std::uint8_t>{0x8250, 2}));
  EXPECT_FALSE(split_id(0x4201));  // the poll has no address
  EXPECT_FALSE(split_id(0x42A0));
  EXPECT_FALSE(split_id(0x7350));
  EXPECT_FALSE(split_id(0x8220));
  EXPECT_FALSE(split_id(0x351));
  for (std::size_t i = 0; i < kFrameKinds; ++i) {
    const auto parts = split_id(base_of(static_cast<Frame>(i)) + 5);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->first, base_of(static_cast<Frame>(i)));
    EXPECT_EQ(parts->second, 5);
  }
}

// ---------------------------------------------------------------------------------------------
// Dialect options, one at a time against the spec encoding

TEST(PylonHvDialect, BigEndianSwapsTheEnsembleWordsButNotTheEquipment) {
  PylonDialect d;
  d.byte_order = ByteOrder::BigEndian;
  const BatteryValues v = example();
  expect_frame(encode_frame(Frame::Totals, v, 0, d), 0x4210,
               {0x0F, 0xA0, 0x74, 0xCC, 0x04, 0xE2, 0x32, 0x64});
  expect_frame(encode_frame(Frame::Limits, v, 0, d), 0x4220,
               {0x0F, 0xA0, 0x0B, 0xB8, 0x76, 0x2A, 0x74, 0x36});
  expect_frame(encode_frame(Frame::CellVoltageExtremes, v, 0, d), 0x4230,
               {0x0C, 0xDF, 0x0C, 0xDA, 0x00, 0x03, 0x00, 0x06});
  expect_frame(encode_frame(Frame::CellTemperatureExtremes, v, 0, d), 0x4240,
               {0x04, 0x7E, 0x04, 0x62, 0x00, 0x11, 0x00, 0x03});
  BatteryValues status = v;
  status.cycle_period = 0x0102;
  status.codes = codes_of({Code::A1, Code::A5, Code::F5});
  expect_frame(encode_frame(Frame::Status, status, 0, d), 0x4250,
               {0x0A, 0x01, 0x02, 0x00, 0x03, 0xA0, 0x03, 0x00});
  expect_frame(encode_frame(Frame::Status, status, 0, kSpecDialect), 0x4250,
               {0x0A, 0x02, 0x01, 0x00, 0xA0, 0x03, 0x00, 0x03});
  expect_frame(encode_frame(Frame::ModuleVoltageExtremes, v, 0, d), 0x4260,
               {0xCE, 0x40, 0xCD, 0x78, 0x00, 0x02, 0x00, 0x01});
  expect_frame(encode_frame(Frame::ModuleTemperatureExtremes, v, 0, d), 0x4270,
               {0x04, 0xD8, 0x04, 0xBF, 0x00, 0x03, 0x00, 0x01});
  expect_frame(encode_frame(Frame::Topology, v, 0, d), 0x7320,
               {0x2D, 0x00, 0x03, 0x0F, 0x90, 0x00, 0x32, 0x00});
}

TEST(PylonHvDialect, WithoutCurrentOffsetCurrentsAreSigned) {
  PylonDialect d;
  d.current_offset = false;
  const BatteryValues v = example();
  expect_frame(encode_frame(Frame::Totals, v, 0, d), 0x4210,
               {0xA0, 0x0F, 0x9C, 0xFF, 0xE2, 0x04, 0x32, 0x64});
  // Charge 25.0 A = 250; discharge as a negative current -250 = 0xFF06.
  expect_frame(encode_frame(Frame::Limits, v, 0, d), 0x4220,
               {0xA0, 0x0F, 0xB8, 0x0B, 0xFA, 0x00, 0x06, 0xFF});
  d.discharge_limit_sign = DischargeLimitSign::Positive;
  expect_frame(encode_frame(Frame::Limits, v, 0, d), 0x4220,
               {0xA0, 0x0F, 0xB8, 0x0B, 0xFA, 0x00, 0xFA, 0x00});
}

TEST(PylonHvDialect, PositiveDischargeLimitWithOffset) {
  PylonDialect d;
  d.discharge_limit_sign = DischargeLimitSign::Positive;
  // 30000 + 250 = 30250 for both limits.
  expect_frame(encode_frame(Frame::Limits, example(), 0, d), 0x4220,
               {0xA0, 0x0F, 0xB8, 0x0B, 0x2A, 0x76, 0x2A, 0x76});
}

TEST(PylonHvDialect, ExtremeTemperaturesWithoutOffset) {
  PylonDialect d;
  d.extremes_temperature_offset = false;
  BatteryValues v = example();
  v.min_module_temperature_ddegC = -50;
  expect_frame(encode_frame(Frame::CellTemperatureExtremes, v, 0, d), 0x4240,
               {0x96, 0x00, 0x7A, 0x00, 0x11, 0x00, 0x03, 0x00});
  expect_frame(encode_frame(Frame::ModuleTemperatureExtremes, v, 0, d), 0x4270,
               {0xF0, 0x00, 0xCE, 0xFF, 0x03, 0x00, 0x01, 0x00});
  // 0x4210 keeps its offset in every dialect.
  expect_frame(encode_frame(Frame::Totals, v, 0, d), 0x4210,
               {0xA0, 0x0F, 0xCC, 0x74, 0xE2, 0x04, 0x32, 0x64});
}

TEST(PylonHvDialect, ReportedTopologyReplacesTheBatterysOwn) {
  PylonDialect d;
  d.reported_topology = kForceH2Topology;
  expect_frame(encode_frame(Frame::Topology, example(), 0, d), 0x7320,
               {0x78, 0x00, 0x04, 0x1E, 0x80, 0x01, 0x25, 0x00});
}

TEST(PylonHvDialect, ManufacturerStringAndTheDeyeEnsembleFrames) {
  PylonDialect d;
  d.manufacturer = "PYLONTECH";
  std::array<CanFrame, kEquipmentFrames> equipment{};
  ASSERT_EQ(encode_equipment(example(), 0, d, equipment), 4u);
  expect_frame(equipment[2], 0x7330, {'P', 'Y', 'L', 'O', 'N', 'T', 'E', 'C'});
  expect_frame(equipment[3], 0x7340, {'H', 0, 0, 0, 0, 0, 0, 0});
  d.manufacturer = "A name longer than sixteen";
  ASSERT_EQ(encode_equipment(example(), 0, d, equipment), 4u);
  expect_frame(equipment[3], 0x7340, {'o', 'n', 'g', 'e', 'r', ' ', 't', 'h'});

  PylonDialect deye = kDeyeDialect;
  deye.manufacturer = "Deye";
  std::array<CanFrame, kMaxResponseFrames> out{};
  ASSERT_EQ(ensemble_frame_count(deye), 11u);
  ASSERT_EQ(encode_ensemble(example(), 1, deye, out), 11u);
  expect_frame(out[9], 0x42E1, {'D', 'e', 'y', 'e', 0, 0, 0, 0});
  expect_frame(out[10], 0x42F1, {0, 0, 0, 0, 0, 0, 0, 0});
  BatteryReport report;
  ASSERT_TRUE(decode_frame(out[9], deye, report));
  ASSERT_TRUE(decode_frame(out[10], deye, report));
  EXPECT_EQ(std::string(report.manufacturer.data()), "Deye");
}

TEST(PylonHvDialect, FaultExtensionCanBeSilenced) {
  BatteryValues v = example();
  v.codes = codes_of({Code::F12});
  expect_frame(encode_frame(Frame::FaultExtension, v, 0, kSpecDialect), 0x4290,
               {0x10, 0, 0, 0, 0, 0, 0, 0});
  expect_frame(encode_frame(Frame::Status, v, 0, kSpecDialect), 0x4250,
               {0x0A, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00});
  PylonDialect d;
  d.fault_extension = false;
  expect_frame(encode_frame(Frame::FaultExtension, v, 0, d), 0x4290, {0, 0, 0, 0, 0, 0, 0, 0});
}

TEST(PylonHvDialect, PresetsAreTheDocumentedCombinations) {
  EXPECT_EQ(kSpecDialect.byte_order, ByteOrder::LittleEndian);
  EXPECT_TRUE(kSpecDialect.current_offset);
  EXPECT_EQ(kSpecDialect.discharge_limit_sign, DischargeLimitSign::Negative);
  EXPECT_TRUE(kSpecDialect.extremes_temperature_offset);
  EXPECT_FALSE(kSpecDialect.reported_topology);
  EXPECT_EQ(kSpecDialect.manufacturer, "PYLON");
  EXPECT_FALSE(kSpecDialect.manufacturer_in_ensemble);
  EXPECT_TRUE(kSpecDialect.fault_extension);
  EXPECT_EQ(kSpecDialect.first_address, 0);

  EXPECT_EQ(kSofarHydDialect.discharge_limit_sign, DischargeLimitSign::Positive);
  EXPECT_EQ(kSofarHydDialect.first_address, 1);
  EXPECT_TRUE(kSofarHydDialect.current_offset);
  EXPECT_EQ(kBatteryEmulatorDialect.byte_order, ByteOrder::BigEndian);
  EXPECT_FALSE(kBatteryEmulatorDialect.current_offset);
  EXPECT_FALSE(kFerroampDialect.extremes_temperature_offset);
  EXPECT_EQ(kFerroampDialect.first_address, 1);
  EXPECT_FALSE(kSolxpowDialect.current_offset);
  EXPECT_FALSE(kSolxpowDialect.extremes_temperature_offset);
  EXPECT_EQ(kGceDialect.discharge_limit_sign, DischargeLimitSign::Positive);
  EXPECT_TRUE(kDeyeDialect.manufacturer_in_ensemble);
}

// ---------------------------------------------------------------------------------------------
// Saturation and refusals

TEST(PylonHvEncode, OutOfRangeValuesSaturate) {
  BatteryValues v;
  v.voltage_dV = -5;
  v.current_dA = -40000;
  v.bms_temperature_ddegC = -2000;
  v.soc_permille = 1200;
  v.soh_permille = -3;
  v.charge_current_limit_dA = -10;
  v.discharge_current_limit_dA = 40000;
  v.charge_voltage_limit_dV = 70000;
  expect_frame(encode_frame(Frame::Totals, v, 0, kSpecDialect), 0x4210,
               {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00});
  // Charge limit -1.0 A -> 0 A (30000); discharge 4000 A -> at most 3000 A (raw 0).
  expect_frame(encode_frame(Frame::Limits, v, 0, kSpecDialect), 0x4220,
               {0xFF, 0xFF, 0x00, 0x00, 0x30, 0x75, 0x00, 0x00});
  v.current_dA = 40000;
  v.charge_current_limit_dA = 40000;
  expect_frame(encode_frame(Frame::Totals, v, 0, kSpecDialect), 0x4210,
               {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x64, 0x00});
  PylonDialect d;
  d.current_offset = false;
  expect_frame(encode_frame(Frame::Totals, v, 0, d), 0x4210,
               {0x00, 0x00, 0xFF, 0x7F, 0x00, 0x00, 0x64, 0x00});
  expect_frame(encode_frame(Frame::Limits, v, 0, d), 0x4220,
               {0xFF, 0xFF, 0x00, 0x00, 0xFF, 0x7F, 0x00, 0x80});
  // SOC rounds to the nearest percent.
  v.soc_permille = 455;
  EXPECT_EQ(encode_frame(Frame::Totals, v, 0, kSpecDialect).data[6], 46);
  v.soc_permille = 454;
  EXPECT_EQ(encode_frame(Frame::Totals, v, 0, kSpecDialect).data[6], 45);
}

TEST(PylonHvDecode, RefusesWrongFramesAndRanges) {
  BatteryReport report;
  const CanFrame good = encode_frame(Frame::Totals, example(), 0, kSpecDialect);
  ASSERT_TRUE(decode_frame(good, kSpecDialect, report));
  const BatteryReport before = report;

  CanFrame f = good;
  f.extended = false;
  EXPECT_FALSE(decode_frame(f, kSpecDialect, report));
  for (std::uint8_t dlc : {0, 1, 7, 9, 15}) {
    f = good;
    f.dlc = dlc;
    EXPECT_FALSE(decode_frame(f, kSpecDialect, report)) << int{dlc};
  }
  for (std::uint32_t id : {0x4200u, 0x42A0u, 0x4300u, 0x7350u, 0x8210u, 0x14210u, 0x351u}) {
    f = good;
    f.id = id;
    EXPECT_FALSE(decode_frame(f, kSpecDialect, report)) << std::hex << id;
  }
  f = good;
  f.data[6] = 101;  // SOC
  EXPECT_FALSE(decode_frame(f, kSpecDialect, report));
  f = good;
  f.data[7] = 0xFF;  // SOH
  EXPECT_FALSE(decode_frame(f, kSpecDialect, report));
  f = good;
  f.data[4] = 0xFF;  // temperature 65535 - 1000 does not fit 16 bits
  f.data[5] = 0xFF;
  EXPECT_FALSE(decode_frame(f, kSpecDialect, report));

  CanFrame limits = encode_frame(Frame::Limits, example(), 0, kSpecDialect);
  limits.data[4] = 0x00;  // charge limit raw 0x7500 < 30000: negative
  limits.data[5] = 0x75;
  EXPECT_FALSE(decode_frame(limits, kSpecDialect, report));

  CanFrame status = encode_frame(Frame::Status, example(), 0, kSpecDialect);
  status.data[0] = 0x04;  // basic status 4..7 reserved
  EXPECT_FALSE(decode_frame(status, kSpecDialect, report));
  status.data[0] = 0x07;
  EXPECT_FALSE(decode_frame(status, kSpecDialect, report));

  CanFrame temps = encode_frame(Frame::ModuleTemperatureExtremes, example(), 0, kSpecDialect);
  temps.data[2] = 0xFF;
  temps.data[3] = 0xFF;
  EXPECT_FALSE(decode_frame(temps, kSpecDialect, report));

  EXPECT_EQ(report.values, before.values);
  EXPECT_EQ(report.frames_seen, before.frames_seen);
}

TEST(PylonHvDecode, ReservedBitsAreIgnored) {
  CanFrame status = frame_of(0x4251, {0xE3, 0x00, 0x00, 0x00, 0xFF, 0xF0, 0xFF, 0xF0});
  BatteryReport report;
  ASSERT_TRUE(decode_frame(status, kSpecDialect, report));
  EXPECT_EQ(report.address, 1);
  EXPECT_EQ(report.values.status, BasicStatus::Idle);
  EXPECT_EQ(report.bits.alarms, 0x00FF);
  EXPECT_EQ(report.bits.protections, 0x00FF);
  CanFrame extension = frame_of(0x4290, {0x07, 1, 2, 3, 4, 5, 6, 7});
  ASSERT_TRUE(decode_frame(extension, kSpecDialect, report));
  EXPECT_EQ(report.bits.fault_extension, 0);
  CanFrame forbidden = frame_of(0x4280, {0xAB, 0x55, 1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(decode_frame(forbidden, kSpecDialect, report));
  EXPECT_FALSE(report.values.charge_forbidden);
  EXPECT_FALSE(report.values.discharge_forbidden);
}

// ---------------------------------------------------------------------------------------------
// CodeSet mapping

TEST(PylonHvCodes, TableHasOneRowPerCodeInOrder) {
  for (int i = 0; i < kCodeCount; ++i) {
    EXPECT_EQ(kCodeBitsTable[static_cast<std::size_t>(i)].code, static_cast<Code>(i));
    const CodeBits& row = kCodeBitsTable[static_cast<std::size_t>(i)];
    EXPECT_EQ(row.alarms & ~bit::kAlarmMask, 0);
    EXPECT_EQ(row.protections & ~bit::kAlarmMask, 0);
    EXPECT_EQ(row.fault_extension & ~bit::kFaultExtensionMask, 0);
    if (is_fault(row.code)) {
      EXPECT_EQ(row.alarms, 0) << code_info(row.code).label;  // faults never as warnings
    } else {
      EXPECT_EQ(row.protections | row.errors | row.fault_extension, 0)
          << code_info(row.code).label;  // alarms only as warnings
    }
  }
}

TEST(PylonHvCodes, EachCodeDecodesToTheDocumentedCodes) {
  struct Row {
    Code code;
    std::uint32_t decoded;  // CodeSet bits after encode + decode
  };
  const auto b = [](std::initializer_list<Code> codes) { return codes_of(codes).bits(); };
  const std::array<Row, kCodeCount> rows{{
      {Code::A1, b({Code::A1})},
      {Code::A2, b({Code::A2})},
      {Code::A3, b({Code::A3})},
      {Code::A4, b({Code::A4})},
      {Code::A5, b({Code::A5})},
      {Code::A6, 0},
      {Code::A7, 0},
      {Code::A8, 0},
      {Code::A9, 0},
      {Code::F1, b({Code::F1})},
      {Code::F2, b({Code::F2})},
      {Code::F3, b({Code::F3})},
      {Code::F4, b({Code::F4})},
      {Code::F5, b({Code::F5})},
      {Code::F6, b({Code::F17})},
      {Code::F7, b({Code::F17})},
      {Code::F8, b({Code::F17})},
      {Code::F9, b({Code::F9})},
      {Code::F10, b({Code::F10})},
      {Code::F11, b({Code::F11})},
      {Code::F12, b({Code::F12, Code::F17})},
      {Code::F13, b({Code::F17})},
      {Code::F14, b({Code::F17})},
      {Code::F15, b({Code::F17})},
      {Code::F16, b({Code::F17})},
      {Code::F17, b({Code::F17})},
  }};
  for (const Row& row : rows) {
    const StatusBits bits = status_bits_for(codes_of({row.code}));
    EXPECT_EQ(codes_for(bits).bits(), row.decoded) << code_info(row.code).label;
    // Through the frames as an inverter receives them.
    BatteryValues v;
    v.codes = codes_of({row.code});
    BatteryReport report;
    ASSERT_TRUE(
        decode_frame(encode_frame(Frame::Status, v, 0, kSpecDialect), kSpecDialect, report));
    ASSERT_TRUE(decode_frame(encode_frame(Frame::FaultExtension, v, 0, kSpecDialect), kSpecDialect,
                             report));
    EXPECT_EQ(report.values.codes.bits(), row.decoded) << code_info(row.code).label;
  }
}

TEST(PylonHvCodes, EveryReceivedBitNamesACode) {
  for (unsigned b = 0; b < 12; ++b) {
    StatusBits alarm;
    alarm.alarms = static_cast<std::uint16_t>(1u << b);
    const CodeSet a = codes_for(alarm);
    ASSERT_TRUE(a.highest_priority());
    EXPECT_FALSE(a.any_fault());
    StatusBits protection;
    protection.protections = static_cast<std::uint16_t>(1u << b);
    const CodeSet p = codes_for(protection);
    ASSERT_TRUE(p.highest_priority());
    EXPECT_TRUE(p.any_fault());
  }
  for (unsigned b = 0; b < 8; ++b) {
    StatusBits error;
    error.errors = static_cast<std::uint8_t>(1u << b);
    EXPECT_TRUE(codes_for(error).any_fault()) << b;
  }
  for (unsigned b = 3; b < 8; ++b) {
    StatusBits extension;
    extension.fault_extension = static_cast<std::uint8_t>(1u << b);
    EXPECT_TRUE(codes_for(extension).any_fault()) << b;
  }
  // Pack and module voltage bits read as the cell voltage codes.
  StatusBits pack;
  pack.alarms = bit::kPackHighVoltage | bit::kModuleLowVoltage;
  pack.protections = bit::kModuleHighVoltage | bit::kPackLowVoltage;
  EXPECT_EQ(codes_for(pack), codes_of({Code::A3, Code::A4, Code::F3, Code::F4}));
  StatusBits reversal;
  reversal.errors = bit::kInputReversalError;
  EXPECT_EQ(codes_for(reversal), codes_of({Code::F15}));
}

TEST(PylonHvCodes, BasicStatusFromOutputAndCurrent) {
  EXPECT_EQ(basic_status(false, 100, 5), BasicStatus::Sleep);
  EXPECT_EQ(basic_status(true, 6, 5), BasicStatus::Charge);
  EXPECT_EQ(basic_status(true, 5, 5), BasicStatus::Idle);
  EXPECT_EQ(basic_status(true, -5, 5), BasicStatus::Idle);
  EXPECT_EQ(basic_status(true, -6, 5), BasicStatus::Discharge);
}

// ---------------------------------------------------------------------------------------------
// Round trips for every field under every dialect

const std::array<PylonDialect, 10> kAllDialects = [] {
  PylonDialect topology;
  topology.reported_topology = kForceH2Topology;
  PylonDialect big_offset;
  big_offset.byte_order = ByteOrder::BigEndian;
  PylonDialect silent;
  silent.fault_extension = false;
  silent.manufacturer = "PYLON SILENT";
  return std::array<PylonDialect, 10>{kSpecDialect,
                                      kSofarHydDialect,
                                      kBatteryEmulatorDialect,
                                      kFerroampDialect,
                                      kSolxpowDialect,
                                      kGceDialect,
                                      kDeyeDialect,
                                      big_offset,
                                      topology,
                                      silent};
}();

struct Ranges {
  std::int32_t current_min, current_max;
  std::int32_t charge_limit_max, discharge_limit_max;
  std::int16_t extremes_temperature_min;
};

Ranges ranges_of(const PylonDialect& d) {
  const bool neg = d.discharge_limit_sign == DischargeLimitSign::Negative;
  if (d.current_offset) {
    return {-30000, 35535, 35535, neg ? 30000 : 35535,
            static_cast<std::int16_t>(d.extremes_temperature_offset ? -1000 : -32768)};
  }
  return {-32768, 32767, 32767, neg ? 32768 : 32767,
          static_cast<std::int16_t>(d.extremes_temperature_offset ? -1000 : -32768)};
}

/// Value sets covering each field's ends and a middle value under a dialect.
std::array<BatteryValues, 3> value_sets(const PylonDialect& d) {
  const Ranges r = ranges_of(d);
  BatteryValues low;
  low.voltage_dV = 0;
  low.current_dA = r.current_min;
  low.bms_temperature_ddegC = -1000;
  low.soc_permille = 0;
  low.soh_permille = 0;
  low.charge_voltage_limit_dV = 0;
  low.discharge_voltage_limit_dV = 0;
  low.charge_current_limit_dA = 0;
  low.discharge_current_limit_dA = 0;
  low.max_cell_mV = 0;
  low.min_cell_mV = 0;
  low.max_cell_temperature_ddegC = r.extremes_temperature_min;
  low.min_cell_temperature_ddegC = r.extremes_temperature_min;
  low.status = BasicStatus::Sleep;
  low.max_module_mV = 0;
  low.min_module_mV = 0;
  low.max_module_temperature_ddegC = r.extremes_temperature_min;
  low.min_module_temperature_ddegC = r.extremes_temperature_min;
  low.versions = {0, 0, 0, 0, 0, 0, 0};
  low.topology = {0, 0, 0, 0, 0};

  BatteryValues high;
  high.voltage_dV = 65535;
  high.current_dA = r.current_max;
  high.bms_temperature_ddegC = 32767;
  high.soc_permille = 1000;
  high.soh_permille = 1000;
  high.charge_voltage_limit_dV = 65535;
  high.discharge_voltage_limit_dV = 65535;
  high.charge_current_limit_dA = r.charge_limit_max;
  high.discharge_current_limit_dA = r.discharge_limit_max;
  high.max_cell_mV = 65535;
  high.min_cell_mV = 65535;
  high.max_cell_number = 65535;
  high.min_cell_number = 65535;
  high.max_cell_temperature_ddegC = 32767;
  high.min_cell_temperature_ddegC = 32767;
  high.max_cell_temperature_number = 65535;
  high.min_cell_temperature_number = 65535;
  high.status = BasicStatus::Idle;
  high.forced_charge_request = true;
  high.balance_charge_request = true;
  high.cycle_period = 65535;
  high.codes =
      codes_of({Code::A1, Code::A2, Code::A3, Code::A4, Code::A5, Code::F1, Code::F2, Code::F3,
                Code::F4, Code::F5, Code::F9, Code::F10, Code::F11, Code::F12, Code::F17});
  high.max_module_mV = 65535;
  high.min_module_mV = 65535;
  high.max_module_number = 65535;
  high.min_module_number = 65535;
  high.max_module_temperature_ddegC = 32767;
  high.min_module_temperature_ddegC = 32767;
  high.max_module_temperature_number = 65535;
  high.min_module_temperature_number = 65535;
  high.charge_forbidden = true;
  high.discharge_forbidden = true;
  high.versions = {255, 255, 255, 255, 255, 255, 255};
  high.topology = {65535, 255, 255, 65535, 65535};

  BatteryValues mid = example();
  mid.codes = codes_of({Code::A2, Code::F3, Code::F9});
  mid.status = BasicStatus::Charge;
  mid.current_dA = 123;
  mid.cycle_period = 0x1234;
  mid.max_cell_temperature_ddegC = -5;
  return {low, high, mid};
}

TEST(PylonHvRoundTrip, EveryFieldUnderEveryDialect) {
  for (std::size_t di = 0; di < kAllDialects.size(); ++di) {
    const PylonDialect& d = kAllDialects[di];
    for (const BatteryValues& values : value_sets(d)) {
      for (std::uint8_t address : {0, 1, 15}) {
        std::array<CanFrame, kMaxResponseFrames> ensemble{};
        std::array<CanFrame, kEquipmentFrames> equipment{};
        const std::size_t n = encode_ensemble(values, address, d, ensemble);
        ASSERT_EQ(n, ensemble_frame_count(d));
        ASSERT_EQ(encode_equipment(values, address, d, equipment), kEquipmentFrames);
        BatteryReport report;
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(decode_frame(ensemble[i], d, report)) << "dialect " << di << " frame " << i;
          EXPECT_EQ(report.address, address);
        }
        for (const CanFrame& frame : equipment) ASSERT_TRUE(decode_frame(frame, d, report));
        BatteryValues expected = values;
        expected.codes = codes_for(status_bits_for(values.codes));
        if (!d.fault_extension) expected.codes.set(Code::F12, false);
        if (d.reported_topology) expected.topology = *d.reported_topology;
        EXPECT_EQ(report.values, expected) << "dialect " << di;
        EXPECT_EQ(std::string(report.manufacturer.data(), 5), "PYLON");
        // Re-encoding the decoded values gives the same frames.
        for (std::size_t i = 0; i < n; ++i) {
          EXPECT_EQ(encode_frame(static_cast<Frame>(i), report.values, address, d), ensemble[i])
              << "dialect " << di << " frame " << i;
        }
      }
    }
  }
}

TEST(PylonHvRoundTrip, EachFieldAloneAtManyValues) {
  // Sweep single fields through their range so that a field written to the wrong bytes or with
  // the wrong width shows up as a mismatch, under each dialect.
  for (const PylonDialect& d : kAllDialects) {
    const Ranges r = ranges_of(d);
    for (std::int32_t step = 0; step <= 64; ++step) {
      BatteryValues v;
      const auto u16 = static_cast<std::uint16_t>(step * 1021);
      v.voltage_dV = u16;
      v.current_dA = r.current_min + (r.current_max - r.current_min) / 64 * step;
      v.bms_temperature_ddegC = static_cast<std::int16_t>(-1000 + step * 500);
      v.soc_permille = (step % 11) * 100;
      v.soh_permille = 1000 - (step % 11) * 100;
      v.charge_voltage_limit_dV = u16 ^ 0x5555;
      v.discharge_voltage_limit_dV = u16 ^ 0xAAAA;
      v.charge_current_limit_dA = r.charge_limit_max / 64 * step;
      v.discharge_current_limit_dA = r.discharge_limit_max / 64 * (64 - step);
      v.max_cell_mV = u16;
      v.min_cell_mV = 65535 - u16;
      v.max_cell_number = static_cast<std::uint16_t>(step);
      v.min_cell_number = static_cast<std::uint16_t>(step * 1000);
      v.max_cell_temperature_ddegC =
          static_cast<std::int16_t>(r.extremes_temperature_min + step * 500);
      v.min_cell_temperature_ddegC = static_cast<std::int16_t>(32767 - step * 500);
      v.status = static_cast<BasicStatus>(step % 4);
      v.forced_charge_request = step % 2 == 0;
      v.balance_charge_request = step % 3 == 0;
      v.cycle_period = static_cast<std::uint16_t>(step * 997);
      v.max_module_mV = 65535 - u16;
      v.min_module_mV = u16;
      v.max_module_temperature_ddegC = static_cast<std::int16_t>(step * 300);
      v.min_module_temperature_ddegC = static_cast<std::int16_t>(-step * 15);
      v.charge_forbidden = step % 2 == 1;
      v.discharge_forbidden = step % 4 == 1;
      v.versions = {static_cast<std::uint8_t>(step),
                    static_cast<std::uint8_t>(step * 3),
                    7,
                    static_cast<std::uint8_t>(255 - step),
                    1,
                    2,
                    static_cast<std::uint8_t>(step)};
      v.topology = {static_cast<std::uint16_t>(step * 16), static_cast<std::uint8_t>(step % 5), 16,
                    static_cast<std::uint16_t>(step * 51), static_cast<std::uint16_t>(step)};
      BatteryReport report;
      for (std::size_t i = 0; i < kFrameKinds; ++i) {
        ASSERT_TRUE(decode_frame(encode_frame(static_cast<Frame>(i), v, 2, d), d, report))
            << "frame " << i << " step " << step;
      }
      BatteryValues expected = v;
      if (d.reported_topology) expected.topology = *d.reported_topology;
      EXPECT_EQ(report.values, expected) << "step " << step;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Inverter commands

TEST(PylonHvCommands, PollGoldenFramesAndDecode) {
  InverterCommand poll;
  poll.poll = PollRequest::Ensemble;
  expect_frame(encode_command(poll), 0x4200, {0, 0, 0, 0, 0, 0, 0, 0});
  poll.poll = PollRequest::Equipment;
  expect_frame(encode_command(poll), 0x4200, {2, 0, 0, 0, 0, 0, 0, 0});
  // The eevblog log line "0x4200 [8] 02 00 00 00 00 00 00 00".
  InverterCommand c;
  ASSERT_TRUE(decode_command(frame_of(0x4200, {2, 0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_EQ(c.kind, InverterCommand::Kind::Poll);
  EXPECT_EQ(c.poll, PollRequest::Equipment);
  ASSERT_TRUE(decode_command(frame_of(0x4200, {0, 0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_EQ(c.poll, PollRequest::Ensemble);
  ASSERT_TRUE(decode_command(frame_of(0x4200, {1, 9, 9, 9, 9, 9, 9, 9}), c));
  EXPECT_EQ(c.poll, PollRequest::CellData);
  EXPECT_FALSE(decode_command(frame_of(0x4200, {3, 0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_FALSE(decode_command(frame_of(0x4200, {0xFF, 0, 0, 0, 0, 0, 0, 0}), c));
}

TEST(PylonHvCommands, SleepWakeGoldenFramesAndDecode) {
  InverterCommand sleep;
  sleep.kind = InverterCommand::Kind::Sleep;
  sleep.address = 1;
  sleep.sleep = SleepCommand::Sleep;
  expect_frame(encode_command(sleep), 0x8201, {0x55, 0, 0, 0, 0, 0, 0, 0});
  sleep.sleep = SleepCommand::Wake;
  expect_frame(encode_command(sleep), 0x8201, {0xAA, 0, 0, 0, 0, 0, 0, 0});
  InverterCommand c;
  // Battery-Emulator's inverter role sends 0x8200 {AA ...} every second.
  ASSERT_TRUE(decode_command(frame_of(0x8200, {0xAA, 0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_EQ(c.kind, InverterCommand::Kind::Sleep);
  EXPECT_EQ(c.address, 0);
  EXPECT_EQ(c.sleep, SleepCommand::Wake);
  ASSERT_TRUE(decode_command(frame_of(0x820F, {0x55, 1, 2, 3, 4, 5, 6, 7}), c));
  EXPECT_EQ(c.address, 15);
  EXPECT_EQ(c.sleep, SleepCommand::Sleep);
  ASSERT_TRUE(decode_command(frame_of(0x8202, {0x12, 0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_EQ(c.sleep, SleepCommand::None);
}

TEST(PylonHvCommands, RelayCommandGoldenFramesAndDecode) {
  InverterCommand relay;
  relay.kind = InverterCommand::Kind::Relay;
  relay.address = 0;
  relay.charge_command = true;
  expect_frame(encode_command(relay), 0x8210, {0xAA, 0, 0, 0, 0, 0, 0, 0});
  relay.address = 2;
  relay.charge_command = false;
  relay.discharge_command = true;
  expect_frame(encode_command(relay), 0x8212, {0, 0xAA, 0, 0, 0, 0, 0, 0});
  InverterCommand c;
  ASSERT_TRUE(decode_command(frame_of(0x8211, {0xAA, 0xAA, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_EQ(c.kind, InverterCommand::Kind::Relay);
  EXPECT_EQ(c.address, 1);
  EXPECT_TRUE(c.charge_command);
  EXPECT_TRUE(c.discharge_command);
  ASSERT_TRUE(decode_command(frame_of(0x8210, {0xAB, 0x55, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_FALSE(c.charge_command);
  EXPECT_FALSE(c.discharge_command);
}

TEST(PylonHvCommands, KeepRelayRequestAndReply) {
  InverterCommand keep;
  keep.kind = InverterCommand::Kind::KeepRelay;
  keep.address = 1;
  expect_frame(encode_command(keep), 0x8241, {0, 0, 0, 0, 0, 0, 0, 0});
  InverterCommand c;
  ASSERT_TRUE(decode_command(frame_of(0x8241, {0, 0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_EQ(c, keep);

  expect_frame(encode_keep_relay_reply(1, true), 0x8251, {0xAA, 0, 0, 0, 0, 0, 0, 0});
  expect_frame(encode_keep_relay_reply(0, false), 0x8250, {0x00, 0, 0, 0, 0, 0, 0, 0});
  std::uint8_t address = 0;
  bool accepted = false;
  ASSERT_TRUE(decode_keep_relay_reply(encode_keep_relay_reply(3, true), address, accepted));
  EXPECT_EQ(address, 3);
  EXPECT_TRUE(accepted);
  ASSERT_TRUE(decode_keep_relay_reply(encode_keep_relay_reply(4, false), address, accepted));
  EXPECT_EQ(address, 4);
  EXPECT_FALSE(accepted);
  EXPECT_FALSE(
      decode_keep_relay_reply(frame_of(0x8250, {0x55, 0, 0, 0, 0, 0, 0, 0}), address, accepted));
  EXPECT_FALSE(
      decode_keep_relay_reply(frame_of(0x8240, {0xAA, 0, 0, 0, 0, 0, 0, 0}), address, accepted));
  EXPECT_FALSE(
      decode_keep_relay_reply(frame_of(0x8250, {0xAA, 0, 0, 0, 0, 0, 0}), address, accepted));
  // The battery's reply is no command.
  EXPECT_FALSE(decode_command(encode_keep_relay_reply(0, true), c));
}

TEST(PylonHvCommands, RefusesWrongIdsAndDlcs) {
  InverterCommand c;
  c.kind = InverterCommand::Kind::Relay;
  c.address = 7;
  const InverterCommand before = c;
  EXPECT_FALSE(decode_command(frame_of(0x4200, {0, 0, 0, 0, 0, 0, 0, 0}, false), c));
  EXPECT_FALSE(decode_command(frame_of(0x4200, {0, 0, 0, 0, 0, 0, 0}), c));
  EXPECT_FALSE(decode_command(frame_of(0x4200, {0}), c));
  CanFrame long_frame = frame_of(0x8200, {0x55, 0, 0, 0, 0, 0, 0, 0});
  long_frame.dlc = 9;
  EXPECT_FALSE(decode_command(long_frame, c));
  for (std::uint32_t id :
       {0x4201u, 0x4210u, 0x8220u, 0x8230u, 0x8250u, 0x8260u, 0x18200u, 0x605u, 0x1CC0FF80u}) {
    EXPECT_FALSE(decode_command(frame_of(id, {0x55, 0xAA, 0, 0, 0, 0, 0, 0}), c)) << std::hex << id;
  }
  EXPECT_EQ(c, before);
}

TEST(PylonHvCommands, RoundTripEveryCommand) {
  for (std::uint8_t address = 0; address <= kMaxAddress; ++address) {
    for (int kind = 0; kind < 4; ++kind) {
      InverterCommand c;
      c.kind = static_cast<InverterCommand::Kind>(kind);
      switch (c.kind) {
        case InverterCommand::Kind::Poll:
          c.poll = static_cast<PollRequest>(address % 3);
          break;
        case InverterCommand::Kind::Sleep:
          c.address = address;
          c.sleep = address % 3 == 0   ? SleepCommand::None
                    : address % 3 == 1 ? SleepCommand::Sleep
                                       : SleepCommand::Wake;
          break;
        case InverterCommand::Kind::Relay:
          c.address = address;
          c.charge_command = (address & 1) != 0;
          c.discharge_command = (address & 2) != 0;
          break;
        case InverterCommand::Kind::KeepRelay:
          c.address = address;
          break;
      }
      InverterCommand decoded;
      ASSERT_TRUE(decode_command(encode_command(c), decoded));
      EXPECT_EQ(decoded, c);
    }
  }
}

TEST(PylonHvCommands, ResponsesToEachCommand) {
  std::array<CanFrame, kMaxResponseFrames> out{};
  InverterCommand c;
  c.poll = PollRequest::Ensemble;
  ASSERT_EQ(encode_response(c, example(), 1, kSpecDialect, false, out), 9u);
  EXPECT_EQ(out[0].id, 0x4211u);
  EXPECT_EQ(out[8].id, 0x4291u);
  ASSERT_EQ(encode_response(c, example(), 1, kDeyeDialect, false, out), 11u);
  c.poll = PollRequest::Equipment;
  ASSERT_EQ(encode_response(c, example(), 1, kSpecDialect, false, out), 4u);
  EXPECT_EQ(out[0].id, 0x7311u);
  c.poll = PollRequest::CellData;
  EXPECT_EQ(encode_response(c, example(), 1, kSpecDialect, false, out), 0u);

  c.kind = InverterCommand::Kind::KeepRelay;
  c.address = 1;
  ASSERT_EQ(encode_response(c, example(), 1, kSpecDialect, true, out), 1u);
  expect_frame(out[0], 0x8251, {0xAA, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(encode_response(c, example(), 0, kSpecDialect, true, out), 0u);  // not for us
  c.kind = InverterCommand::Kind::Sleep;
  EXPECT_EQ(encode_response(c, example(), 1, kSpecDialect, true, out), 0u);
  c.kind = InverterCommand::Kind::Relay;
  EXPECT_EQ(encode_response(c, example(), 1, kSpecDialect, true, out), 0u);

  // Too little room: nothing written.
  std::array<CanFrame, 8> small{};
  c.kind = InverterCommand::Kind::Poll;
  c.poll = PollRequest::Ensemble;
  EXPECT_EQ(encode_response(c, example(), 0, kSpecDialect, false, small), 0u);
  for (const CanFrame& f : small) EXPECT_EQ(f.id, 0u);
  EXPECT_EQ(encode_equipment(example(), 0, kSpecDialect, std::span<CanFrame>(small).first(3)), 0u);
  EXPECT_EQ(encode_response(c, example(), 0, kSpecDialect, false, {}), 0u);
}

}  // namespace
}  // namespace bts::firmware::pylon_hv
