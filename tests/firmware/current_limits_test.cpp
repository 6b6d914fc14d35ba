// The derating table of docs/firmware.md "Current limits" (firmware/estimation/current_limits.hpp):
// each row at its full-current point, its zero-current point, half way and beyond both ends; the
// smallest share wins; the converter's 7.5 A / 2.5 kW; and the taper's shortcut outside the
// window equal to the plain division and clamp for every value around many windows.
#include "firmware/estimation/current_limits.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace bts::firmware {
namespace {

// Comfortable readings: every taper at its full share.
constexpr std::int32_t kComfortableCell_mV = 3300;
constexpr std::int32_t kComfortable_ddegC = 250;

struct Readings {
  std::int32_t min_cell_mV = kComfortableCell_mV;
  std::int32_t max_cell_mV = kComfortableCell_mV;
  std::int32_t min_temperature_ddegC = kComfortable_ddegC;
  std::int32_t max_temperature_ddegC = kComfortable_ddegC;
  CurrentShares shares() const {
    return module_current_shares(min_cell_mV, max_cell_mV, min_temperature_ddegC,
                                 max_temperature_ddegC);
  }
};

TEST(CurrentLimits, ComfortableCellsAllowTheFullCurrentBothWays) {
  const CurrentShares shares = Readings{}.shares();
  EXPECT_EQ(shares.charge_permille, 1000);
  EXPECT_EQ(shares.discharge_permille, 1000);
}

/// The share each way with one cell extreme moved.
CurrentShares with_cell(bool highest, std::int32_t cell_mV) {
  Readings readings;
  (highest ? readings.max_cell_mV : readings.min_cell_mV) = cell_mV;
  return readings.shares();
}

TEST(CurrentLimits, HighestCellTapersChargingFrom3400To3500mV) {
  const std::array<std::pair<std::int32_t, std::int32_t>, 6> points{
      {{3399, 1000}, {3400, 1000}, {3450, 500}, {3499, 10}, {3500, 0}, {3650, 0}}};
  for (const auto& [cell_mV, charge_permille] : points) {
    EXPECT_EQ(with_cell(true, cell_mV).charge_permille, charge_permille) << cell_mV << " mV";
    EXPECT_EQ(with_cell(true, cell_mV).discharge_permille, 1000) << "discharging is not limited";
  }
}

TEST(CurrentLimits, LowestCellTapersDischargingFrom3050To2900mV) {
  // 2901 mV: 1/150 of the window, rounded toward zero.
  const std::array<std::pair<std::int32_t, std::int32_t>, 6> points{
      {{3100, 1000}, {3050, 1000}, {2975, 500}, {2901, 6}, {2900, 0}, {2500, 0}}};
  for (const auto& [cell_mV, discharge_permille] : points) {
    EXPECT_EQ(with_cell(false, cell_mV).discharge_permille, discharge_permille) << cell_mV << " mV";
    EXPECT_EQ(with_cell(false, cell_mV).charge_permille, 1000) << "charging is not limited";
  }
}

struct TemperatureRow {
  const char* name;
  bool coldest;   // the row reads the coldest cell (else the hottest)
  bool charging;  // the row limits charging (else discharging)
  std::int32_t full_ddegC;
  std::int32_t zero_ddegC;
};

// docs/firmware.md: charging 10 -> 0 degC and 40 -> 50 degC; discharging 0 -> -10 degC and
// 45 -> 55 degC.
constexpr std::array kTemperatureRows{
    TemperatureRow{"coldest cell, charging", true, true, 100, 0},
    TemperatureRow{"hottest cell, charging", false, true, 400, 500},
    TemperatureRow{"coldest cell, discharging", true, false, 0, -100},
    TemperatureRow{"hottest cell, discharging", false, false, 450, 550},
};

TEST(CurrentLimits, EachTemperatureRowTapersBetweenItsDocumentedPoints) {
  for (const TemperatureRow& row : kTemperatureRows) {
    const std::int32_t beyond_full = row.full_ddegC + (row.full_ddegC - row.zero_ddegC) / 2;
    const std::int32_t beyond_zero = row.zero_ddegC - (row.full_ddegC - row.zero_ddegC) / 2;
    const std::array<std::pair<std::int32_t, std::int32_t>, 5> points{{
        {beyond_full, 1000},
        {row.full_ddegC, 1000},
        {(row.full_ddegC + row.zero_ddegC) / 2, 500},
        {row.zero_ddegC, 0},
        {beyond_zero, 0},
    }};
    for (const auto& [temperature_ddegC, expected_permille] : points) {
      Readings readings;
      // Both extremes at the temperature, unless that would move the other row of the same
      // direction: the other extreme then stays comfortable.
      (row.coldest ? readings.min_temperature_ddegC : readings.max_temperature_ddegC) =
          temperature_ddegC;
      if (row.coldest) {
        readings.max_temperature_ddegC = std::max(kComfortable_ddegC, temperature_ddegC);
      } else {
        readings.min_temperature_ddegC = std::min(kComfortable_ddegC, temperature_ddegC);
      }
      const CurrentShares shares = readings.shares();
      const std::int32_t limited =
          row.charging ? shares.charge_permille : shares.discharge_permille;
      EXPECT_EQ(limited, expected_permille) << row.name << " at " << temperature_ddegC << " ddegC";
    }
  }
}

TEST(CurrentLimits, TheSmallestShareWins) {
  Readings readings;
  readings.max_cell_mV = 3450;           // charge 500
  readings.min_temperature_ddegC = 20;   // charge 200 (2 degC), discharge 1000
  readings.max_temperature_ddegC = 520;  // charge 0 (52 degC), discharge 300
  readings.min_cell_mV = 2975;           // discharge 500
  EXPECT_EQ(readings.shares().charge_permille, 0);
  EXPECT_EQ(readings.shares().discharge_permille, 300);
  readings.max_temperature_ddegC = 250;
  EXPECT_EQ(readings.shares().charge_permille, 200);
  EXPECT_EQ(readings.shares().discharge_permille, 500);
}

TEST(CurrentLimits, TheConverterCarriesItsCurrentBoundAndAtMostItsPower) {
  EXPECT_EQ(converter_full_current_mA(0), 7500);  // no bus reading: the current bound
  EXPECT_EQ(converter_full_current_mA(3000), 7500);
  EXPECT_EQ(converter_full_current_mA(3333), 7500);  // 2.5 kW / 333.3 V = 7.5008 A
  EXPECT_EQ(converter_full_current_mA(3900), 6410);  // 2.5 kW / 390 V, toward zero
  EXPECT_EQ(converter_full_current_mA(5000), 5000);
  const CurrentLimits limits = CurrentShares{500, 1000}.of(converter_full_current_mA(3900));
  EXPECT_EQ(limits.charge_mA, 3205);
  EXPECT_EQ(limits.discharge_mA, 6410);
  const CurrentLimits full = module_current_limits(kComfortableCell_mV, kComfortableCell_mV,
                                                   kComfortable_ddegC, kComfortable_ddegC, 7500);
  EXPECT_EQ(full.charge_mA, 7500);
  EXPECT_EQ(full.discharge_mA, 7500);
}

/// The taper as its definition: the share by a division toward zero, clamped to 0..1000.
std::int32_t taper_by_division(std::int32_t value, std::int32_t full, std::int32_t zero) {
  if (full == zero) return value < zero ? 1000 : 0;
  const std::int64_t share = (std::int64_t{value} - zero) * 1000 / (std::int64_t{full} - zero);
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(share, 0, 1000));
}

TEST(CurrentLimits, TaperEqualsTheDivisionAndClampForEveryValueAroundManyWindows) {
  // Rising and falling windows, narrow and wide, around zero and far from it, and one point.
  constexpr std::array<std::pair<std::int32_t, std::int32_t>, 12> windows{{
      {3400, 3500},
      {3050, 2900},
      {100, 0},
      {0, -100},
      {1, 0},
      {0, 1},
      {-7, 5},
      {5, -7},
      {1000, 3},
      {-30000, 30000},
      {1999, -1999},
      {42, 42},
  }};
  for (const auto& [full, zero] : windows) {
    const std::int32_t width = std::max(1, std::abs(full - zero));
    const std::int32_t low = std::min(full, zero) - 2 * width - 3;
    const std::int32_t high = std::max(full, zero) + 2 * width + 3;
    for (std::int32_t value = low; value <= high; ++value) {
      ASSERT_EQ(taper_permille(value, full, zero), taper_by_division(value, full, zero))
          << "value " << value << ", full " << full << ", zero " << zero;
    }
  }
  // Far outside, where a 32-bit difference would overflow.
  constexpr std::int32_t kMax = 2147483647;
  constexpr std::int32_t kMin = -kMax - 1;
  EXPECT_EQ(taper_permille(kMax, 3400, 3500), 0);
  EXPECT_EQ(taper_permille(kMin, 3400, 3500), 1000);
  EXPECT_EQ(taper_permille(kMin, 3050, 2900), 0);
  EXPECT_EQ(taper_permille(kMax, 3050, 2900), 1000);
  EXPECT_EQ(taper_permille(0, kMin, kMax), 499);
}

}  // namespace
}  // namespace bts::firmware
