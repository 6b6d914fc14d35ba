// The SunSpec map: the marker, the model chain to the end marker, every scale factor, values
// per model and the "not implemented" values, checked at the offsets of the SunSpec model
// definitions (written here as numbers, not taken from the code under test).
#include "firmware/inverter/sunspec_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sunspec_test_values.hpp"

namespace bts::firmware::sunspec {
namespace {

using testing::example_e10;
using testing::example_e40;

struct ModelHeader {
  std::uint32_t address;
  std::uint16_t id;
  std::uint16_t length;
};

/// Walks the chain as a SunSpec client does: from base + 2, next = address + 2 + L.
std::vector<ModelHeader> walk(const SunSpecMap& map) {
  std::vector<ModelHeader> models;
  const auto registers = map.registers();
  std::uint32_t offset = 2;
  while (offset + 1 < registers.size()) {
    const ModelHeader header{kBaseAddress + offset, registers[offset], registers[offset + 1]};
    models.push_back(header);
    if (header.id == 0xFFFF) break;
    offset += 2 + header.length;
  }
  return models;
}

/// The register at `offset` of the n-th (0-based) model with this id.
std::uint16_t point(const SunSpecMap& map, std::uint16_t model_id, int instance,
                    std::uint32_t offset) {
  for (const ModelHeader& header : walk(map)) {
    if (header.id != model_id || instance-- > 0) continue;
    return map.registers()[header.address - kBaseAddress + offset];
  }
  ADD_FAILURE() << "no model " << model_id;
  return 0;
}

std::int16_t signed_point(const SunSpecMap& map, std::uint16_t model_id, int instance,
                          std::uint32_t offset) {
  return static_cast<std::int16_t>(point(map, model_id, instance, offset));
}

std::string text(const SunSpecMap& map, std::uint16_t model_id, std::uint32_t offset,
                 int registers) {
  std::string result;
  for (int index = 0; index < registers; ++index) {
    const std::uint16_t value = point(map, model_id, 0, offset + static_cast<std::uint32_t>(index));
    for (const int byte : {value >> 8, value & 0xFF})
      if (byte != 0) result.push_back(static_cast<char>(byte));
  }
  return result;
}

TEST(SunSpecMap, StartsWithTheSunSMarker) {
  const SunSpecMap map(example_e10());
  EXPECT_EQ(map.registers()[0], 0x5375);
  EXPECT_EQ(map.registers()[1], 0x6E53);
}

TEST(SunSpecMap, E10ChainsCommonBatteryBankStringAndTwoModulesToTheEndMarker) {
  const SunSpecMap map(example_e10());
  const std::vector<ModelHeader> models = walk(map);
  ASSERT_EQ(models.size(), 7u);
  const std::vector<std::pair<int, int>> expected{{1, 66},   {802, 62}, {803, 58},  {804, 78},
                                                  {805, 42}, {805, 42}, {0xFFFF, 0}};
  for (std::size_t index = 0; index < expected.size(); ++index) {
    EXPECT_EQ(models[index].id, expected[index].first) << "model " << index;
    EXPECT_EQ(models[index].length, expected[index].second) << "model " << index;
  }
  EXPECT_EQ(models.front().address, 40002u);
  EXPECT_EQ(models[1].address, 40070u);
  // The end marker is the last two registers of the map.
  EXPECT_EQ(models.back().address + 2, kBaseAddress + map.register_count());
  EXPECT_EQ(map.register_count(), 364);
}

TEST(SunSpecMap, E40HasABatteryBankStringAndFourModulesPerBdu) {
  const SunSpecMap map(example_e40());
  std::vector<int> ids;
  for (const ModelHeader& header : walk(map)) ids.push_back(header.id);
  const std::vector<int> per_bdu{802, 803, 804, 805, 805, 805, 805};
  std::vector<int> expected{1};
  expected.insert(expected.end(), per_bdu.begin(), per_bdu.end());
  expected.insert(expected.end(), per_bdu.begin(), per_bdu.end());
  expected.push_back(0xFFFF);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(map.register_count(), kMaxRegisterCount);
  EXPECT_EQ(point(map, 804, 0, 1), 46 + 4 * 16);
  // The layout the server uses agrees with the chain.
  const SunSpecLayout layout = map.layout();
  EXPECT_EQ(layout.bdus[1].battery, walk(map)[8].address);
  EXPECT_EQ(layout.bdus[1].modules[3], walk(map)[14].address);
}

TEST(SunSpecMap, CommonModelNamesTheProduct) {
  const SunSpecMap map(example_e10());
  EXPECT_EQ(text(map, 1, 2, 16), "BTS");
  EXPECT_EQ(text(map, 1, 18, 16), "E5~E20-DS5");
  EXPECT_EQ(text(map, 1, 34, 8), "E10");
  EXPECT_EQ(text(map, 1, 42, 8), "1.4.12");
  EXPECT_EQ(text(map, 1, 50, 16), "B0001234");
  EXPECT_EQ(point(map, 1, 0, 66), 7);  // DA: the unit id
  EXPECT_EQ(text(map, 1, 34, 8), "E10");
  EXPECT_EQ(text(SunSpecMap(example_e40()), 1, 34, 8), "E40");
}

TEST(SunSpecMap, BatteryModelScaleFactors) {
  const SunSpecMap map(example_e10());
  const std::vector<int> expected{0, 0, 0, -32768, -1, -1, -1, -1, -3, -1, -1, 0};
  for (std::size_t index = 0; index < expected.size(); ++index)
    EXPECT_EQ(signed_point(map, 802, 0, 52 + static_cast<std::uint32_t>(index)), expected[index])
        << "802 offset " << 52 + index;
}

TEST(SunSpecMap, BatteryModelValues) {
  const SunSpecMap map(example_e10());
  EXPECT_EQ(point(map, 802, 0, 2), 200);    // AHRtg: 2 x 100 Ah
  EXPECT_EQ(point(map, 802, 0, 3), 10240);  // WHRtg: 2 x 5120 Wh
  EXPECT_EQ(point(map, 802, 0, 4), 5000);   // WChaRteMax
  EXPECT_EQ(point(map, 802, 0, 11), 523);   // SoC 52.3 %
  EXPECT_EQ(point(map, 802, 0, 12), 477);   // DoD
  EXPECT_EQ(point(map, 802, 0, 13), 987);   // SoH
  EXPECT_EQ(point(map, 802, 0, 16), 4);     // ChaSt CHARGING
  EXPECT_EQ(point(map, 802, 0, 17), 1);     // LocRemCtl LOCAL: writes disabled
  EXPECT_EQ(point(map, 802, 0, 18), 4711);  // Hb
  EXPECT_EQ(point(map, 802, 0, 21), 4);     // Typ LITHIUM_ION
  EXPECT_EQ(point(map, 802, 0, 22), 3);     // State CONNECTED
  EXPECT_EQ(point(map, 802, 0, 23), 5);     // StateVnd: BduState::Charge
  // Evt1: A1 over-temperature warning (bit 2), F9 communication error (bit 0).
  EXPECT_EQ(point(map, 802, 0, 26), 0);
  EXPECT_EQ(point(map, 802, 0, 27), 0b101);
  // EvtVnd1: every code (A1 = bit 0, F9 = bit 17); EvtVnd2: the BDU's own (F9).
  EXPECT_EQ(point(map, 802, 0, 30), 0x0002);
  EXPECT_EQ(point(map, 802, 0, 31), 0x0001);
  EXPECT_EQ(point(map, 802, 0, 32), 0x0002);
  EXPECT_EQ(point(map, 802, 0, 33), 0x0000);
  EXPECT_EQ(point(map, 802, 0, 34), 3987);  // V 398.7 V
  EXPECT_EQ(point(map, 802, 0, 35), 4250);  // VMax: charge voltage limit
  EXPECT_EQ(point(map, 802, 0, 36), 3500);  // VMin: discharge voltage limit
  EXPECT_EQ(point(map, 802, 0, 37), 3341);  // CellVMax, in module 2 of string 1
  EXPECT_EQ(point(map, 802, 0, 38), 1);
  EXPECT_EQ(point(map, 802, 0, 39), 2);
  EXPECT_EQ(point(map, 802, 0, 40), 3300);  // CellVMin, in module 1
  EXPECT_EQ(point(map, 802, 0, 42), 1);
  EXPECT_EQ(point(map, 802, 0, 43), 3320);          // CellVAvg: stack voltages / 16, averaged
  EXPECT_EQ(signed_point(map, 802, 0, 44), -123);   // A: charging 12.3 A
  EXPECT_EQ(point(map, 802, 0, 45), 150);           // AChaMax 15.0 A
  EXPECT_EQ(point(map, 802, 0, 46), 280);           // ADisChaMax 28.0 A
  EXPECT_EQ(signed_point(map, 802, 0, 47), -4904);  // W = 398.7 V x -12.3 A
  EXPECT_EQ(point(map, 802, 0, 48), 0);             // ReqInvState NO REQUEST
  EXPECT_EQ(point(map, 802, 0, 50), 1);             // SetOp CONNECT
}

TEST(SunSpecMap, AnEmptyBatteryAsksTheInverterToStart) {
  SunSpecValues values = example_e10();
  values.bdus[0].force_charge_requested = true;  // D-EMPTY
  const SunSpecMap map(values);
  EXPECT_EQ(point(map, 802, 0, 48), 1);  // ReqInvState START
}

TEST(SunSpecMap, BatteryModelNotImplementedPoints) {
  const SunSpecMap map(example_e10());
  for (std::uint32_t offset : {6, 7, 8, 9, 10, 14, 15, 24, 25})
    EXPECT_EQ(point(map, 802, 0, offset), 0xFFFF) << "802 offset " << offset;
  EXPECT_EQ(point(map, 802, 0, 49), 0x8000);  // ReqW (int16)
  EXPECT_EQ(point(map, 802, 0, 51), 0xFFFF);  // SetInvState until a controller writes it
}

TEST(SunSpecMap, BankModelHasOneStringWithTheBduValues) {
  const SunSpecMap map(example_e10());
  EXPECT_EQ(point(map, 803, 0, 2), 1);             // NStr
  EXPECT_EQ(point(map, 803, 0, 3), 1);             // NStrCon: both main relays closed
  EXPECT_EQ(signed_point(map, 803, 0, 4), 265);    // ModTmpMax, module 2
  EXPECT_EQ(point(map, 803, 0, 6), 2);             //
  EXPECT_EQ(signed_point(map, 803, 0, 7), 210);    // ModTmpMin, module 1
  EXPECT_EQ(point(map, 803, 0, 9), 1);             //
  EXPECT_EQ(signed_point(map, 803, 0, 10), 236);   // ModTmpAvg: mean of midpoints
  EXPECT_EQ(point(map, 803, 0, 11), 3991);         // StrVMax: the BAT IN bus
  EXPECT_EQ(signed_point(map, 803, 0, 16), -123);  // StrAMax
  EXPECT_EQ(point(map, 803, 0, 21), 0xFFFF);       // NCellBal not implemented
  const std::vector<int> scale_factors{-3, -1, -1, -1, -1, -1};
  for (std::size_t index = 0; index < scale_factors.size(); ++index)
    EXPECT_EQ(signed_point(map, 803, 0, 22 + static_cast<std::uint32_t>(index)),
              scale_factors[index]);
  // The string group at 28.
  EXPECT_EQ(point(map, 803, 0, 28), 2);       // StrNMod
  EXPECT_EQ(point(map, 803, 0, 30), 0b11);    // StrSt: enabled, contactor closed
  EXPECT_EQ(point(map, 803, 0, 31), 0);       // StrConFail NO_FAILURE
  EXPECT_EQ(point(map, 803, 0, 32), 523);     // StrSoC
  EXPECT_EQ(point(map, 803, 0, 35), 3341);    // StrCellVMax
  EXPECT_EQ(point(map, 803, 0, 36), 2);       // StrCellVMaxMod
  EXPECT_EQ(point(map, 803, 0, 47), 0b011);   // StrConSt: both main relays
  EXPECT_EQ(point(map, 803, 0, 49), 0b101);   // StrEvt1
  EXPECT_EQ(point(map, 803, 0, 56), 0xFFFF);  // StrSetEna not implemented
}

TEST(SunSpecMap, StringModelAndItsModuleGroups) {
  const SunSpecMap map(example_e10());
  EXPECT_EQ(point(map, 804, 0, 2), 1);             // Idx
  EXPECT_EQ(point(map, 804, 0, 3), 2);             // NMod
  EXPECT_EQ(point(map, 804, 0, 8), 523);           // SoC
  EXPECT_EQ(signed_point(map, 804, 0, 13), -123);  // A
  EXPECT_EQ(point(map, 804, 0, 14), 3991);         // V: the BAT IN bus
  EXPECT_EQ(point(map, 804, 0, 15), 3341);         // CellVMax
  EXPECT_EQ(signed_point(map, 804, 0, 20), 265);   // ModTmpMax
  const std::vector<int> scale_factors{-1, -1, -1, -1, -1, -3, -1};
  for (std::size_t index = 0; index < scale_factors.size(); ++index)
    EXPECT_EQ(signed_point(map, 804, 0, 38 + static_cast<std::uint32_t>(index)),
              scale_factors[index]);
  // Module 2's group: 48 + 16.
  EXPECT_EQ(point(map, 804, 0, 64), 16);          // ModNCell
  EXPECT_EQ(point(map, 804, 0, 65), 530);         // ModSoC
  EXPECT_EQ(point(map, 804, 0, 66), 0xFFFF);      // ModSoH not implemented
  EXPECT_EQ(point(map, 804, 0, 67), 3341);        // ModCellVMax
  EXPECT_EQ(point(map, 804, 0, 68), 12);          // ... in cell 12
  EXPECT_EQ(point(map, 804, 0, 70), 5);           // ModCellVMinCell
  EXPECT_EQ(signed_point(map, 804, 0, 72), 265);  // ModCellTmpMax
  EXPECT_EQ(point(map, 804, 0, 73), 0xFFFF);      // ... its cell is not known
}

TEST(SunSpecMap, ModuleModelValuesAndScaleFactors) {
  const SunSpecMap map(example_e10());
  EXPECT_EQ(point(map, 805, 0, 2), 1);            // StrIdx
  EXPECT_EQ(point(map, 805, 1, 3), 2);            // ModIdx of the second
  EXPECT_EQ(point(map, 805, 0, 4), 16);           // NCell
  EXPECT_EQ(point(map, 805, 0, 5), 520);          // SoC
  EXPECT_EQ(point(map, 805, 0, 6), 480);          // DoD
  EXPECT_EQ(point(map, 805, 0, 10), 5312);        // V 53.12 V
  EXPECT_EQ(point(map, 805, 0, 11), 3340);        // CellVMax
  EXPECT_EQ(point(map, 805, 0, 12), 11);          // CellVMaxCell
  EXPECT_EQ(point(map, 805, 0, 15), 3320);        // CellVAvg
  EXPECT_EQ(signed_point(map, 805, 0, 16), 260);  // CellTmpMax
  EXPECT_EQ(signed_point(map, 805, 0, 20), 235);  // CellTmpAvg
  EXPECT_EQ(point(map, 805, 0, 22), 0x3541);      // SN "5A000010"
  const std::vector<int> scale_factors{-1, -32768, -1, -2, -3, -1};
  for (std::size_t index = 0; index < scale_factors.size(); ++index)
    EXPECT_EQ(signed_point(map, 805, 0, 38 + static_cast<std::uint32_t>(index)),
              scale_factors[index]);
  for (std::uint32_t offset : {7, 8, 9, 17, 19, 21})
    EXPECT_EQ(point(map, 805, 0, offset), 0xFFFF) << "805 offset " << offset;
}

TEST(SunSpecMap, SilentModuleReadsNotImplementedAndLeavesTheStringStatistics) {
  SunSpecValues values = example_e10();
  values.bdus[0].modules[1].reporting = false;
  values.bdus[0].modules[1].serial_number = 0;
  const SunSpecMap map(values);
  EXPECT_EQ(point(map, 805, 1, 3), 2);  // still in the layout
  for (std::uint32_t offset : {5, 6, 10, 11, 12, 13, 15})
    EXPECT_EQ(point(map, 805, 1, offset), 0xFFFF) << "805 offset " << offset;
  EXPECT_EQ(point(map, 805, 1, 16), 0x8000);  // CellTmpMax (int16)
  for (std::uint32_t offset = 22; offset < 38; ++offset) EXPECT_EQ(point(map, 805, 1, offset), 0);
  EXPECT_EQ(point(map, 802, 0, 37), 3340);  // CellVMax now from module 1 only
  EXPECT_EQ(point(map, 802, 0, 39), 1);
}

TEST(SunSpecMap, NoModuleReportingMeansNoCellStatistics) {
  SunSpecValues values = example_e10();
  for (ModuleValues& module : values.bdus[0].modules) module.reporting = false;
  const SunSpecMap map(values);
  EXPECT_EQ(point(map, 802, 0, 37), 0xFFFF);  // CellVMax
  EXPECT_EQ(point(map, 802, 0, 38), 0xFFFF);  // CellVMaxStr
  EXPECT_EQ(point(map, 803, 0, 4), 0x8000);   // ModTmpMax (int16)
}

TEST(SunSpecMap, ValuesOutsideAPointsTypeAreClampedNotWrapped) {
  SunSpecValues values = example_e10();
  values.bdus[0].output_current_dA = -40000;  // beyond int16
  values.bdus[0].bus_voltage_dV = -50;        // reversed input: uint16 cannot go negative
  const SunSpecMap map(values);
  EXPECT_EQ(signed_point(map, 802, 0, 44), -32767);
  EXPECT_EQ(point(map, 804, 0, 14), 0);
}

TEST(SunSpecMap, ReadCopiesAWindowAndRefusesAnythingOutsideTheMap) {
  const SunSpecMap map(example_e10());
  std::vector<std::uint16_t> out(4, 0xABCD);
  ASSERT_EQ(map.read(40000, 4, out), MapStatus::Ok);
  EXPECT_EQ(out, (std::vector<std::uint16_t>{0x5375, 0x6E53, 1, 66}));
  ASSERT_EQ(map.read(40362, 2, out), MapStatus::Ok);  // the end marker
  EXPECT_EQ(out[0], 0xFFFF);
  EXPECT_EQ(out[1], 0);
  std::vector<std::uint16_t> untouched(4, 0xABCD);
  for (const auto& [start, count] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{
           {39999, 2}, {40000, 0}, {40363, 2}, {40364, 1}, {0, 1}, {65535, 1}}) {
    EXPECT_EQ(map.read(start, count, untouched), MapStatus::OutsideMap) << start << "+" << count;
    EXPECT_EQ(untouched, std::vector<std::uint16_t>(4, 0xABCD));
  }
  EXPECT_EQ(map.read(40000, 5, untouched), MapStatus::OutsideMap);  // more than out holds
  EXPECT_EQ(read_registers(example_e10(), 40002, 2, out), MapStatus::Ok);
  EXPECT_EQ(out[0], 1);
}

}  // namespace
}  // namespace bts::firmware::sunspec
