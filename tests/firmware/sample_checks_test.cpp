// F11's rest check (a cell that sinks below the others while the module rests) must see a real
// internal short and never a reading's noise: 2 mV per cell (the SOC benchmark's sensor errors)
// made the unfiltered check fire within hours in an E40.
#include "firmware/module_bms/sample_checks.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>

#include "firmware/estimation/lfp_cell_model.hpp"

namespace bts::firmware {
namespace {

constexpr TimeMs kSample_ms = 100;

ModuleMeasurements resting_module(std::int32_t cell_mV) {
  ModuleMeasurements sample;
  sample.cell_count = 16;
  sample.temperature_count = 8;
  sample.cell_voltage_mV.fill(cell_mV);
  sample.cell_temperature_ddegC.fill(250);
  sample.stack_voltage_mV = 16 * cell_mV;
  sample.current_mA = 200;  // the BMS's own draw: at rest
  sample.terminal_temperature_ddegC = sample.ambient_temperature_ddegC = 250;
  sample.pcu_temperature_ddegC = 250;
  return sample;
}

/// Hours of rest with 2 mV of noise on every cell; cell 5 sinks by sink_mV_per_h once settled.
/// Returns when the check first called a cell abnormal (hours), or -1.
double first_abnormal_h(std::int32_t cell_mV, double hours, double sink_mV_per_h) {
  SampleChecks checks;
  std::mt19937 random(7);
  std::normal_distribution<double> noise_mV(0.0, 2.0);
  const auto samples = static_cast<long>(hours * 3600.0 * 1000.0 / kSample_ms);
  for (long k = 0; k < samples; ++k) {
    const double t_h = k * kSample_ms / 3.6e6;
    ModuleMeasurements sample = resting_module(cell_mV);
    // Time stamps vary with each cell's own noise so the stuck check never sees a frozen channel.
    for (std::uint8_t cell = 0; cell < 16; ++cell) {
      double value_mV = cell_mV + noise_mV(random);
      if (cell == 5 && t_h > 0.5) value_mV -= sink_mV_per_h * (t_h - 0.5);
      sample.cell_voltage_mV[cell] = static_cast<std::int32_t>(std::lround(value_mV));
    }
    checks.update(sample, 0, static_cast<TimeMs>(k * kSample_ms));
    if (checks.cell_behaviour_abnormal()) return t_h;
  }
  return -1.0;
}

TEST(SampleChecks, RestDriftIgnoresTwoMillivoltsOfNoiseOnThePlateauAndBelowTheKnee) {
  EXPECT_LT(first_abnormal_h(3300, 4.0, 0.0), 0.0) << "plateau, compared in mV";
  EXPECT_LT(first_abnormal_h(3100, 4.0, 0.0), 0.0) << "below the knee, compared in charge";
}

TEST(SampleChecks, RestDriftStillFindsACellThatSinks) {
  // 10 mV an hour (an internal short): found within about an hour of settling, noise or not.
  const double found_h = first_abnormal_h(3300, 4.0, 10.0);
  EXPECT_GT(found_h, 0.5);
  EXPECT_LT(found_h, 2.0);
}

/// One parameter set of the below-knee rest: the cells' SOC spread (lowest, highest).
struct KneeRest {
  double lowest_soc = 0.055;
  double highest_soc = 0.105;
  double hysteresis_shift_mV = -12.0;
};

/// Below the knee: 16 cells spread over 5.5-10.5 % SOC (a winter module that never reached its
/// top to balance), resting with the converters' own draw (discharge_mA) while their hysteresis
/// moves from the charge to the discharge branch (about 12 mV over three hours), 2 mV of noise on
/// every reading. Cell 5 (at 7 %) loses short_permille_per_h of its charge to an internal short
/// from the first hour on. Returns when the check first called a cell abnormal (hours), or -1.
double first_abnormal_below_knee_h(double hours, std::int32_t discharge_mA,
                                   double short_permille_per_h, const KneeRest& rest = {}) {
  SampleChecks checks;
  std::mt19937 random(11);
  std::normal_distribution<double> noise_mV(0.0, 2.0);
  std::array<double, 16> soc{};
  for (std::size_t cell = 0; cell < 16; ++cell)
    soc[cell] = rest.lowest_soc + (rest.highest_soc - rest.lowest_soc) * cell / 15.0;
  std::swap(soc[5], soc[8]);  // cell 5 near the middle of the spread: about 8 %
  const double capacity_mAs = 100000.0 * 3600.0;
  const auto samples = static_cast<long>(hours * 3600.0 * 1000.0 / kSample_ms);
  for (long k = 0; k < samples; ++k) {
    const double t_h = k * kSample_ms / 3.6e6;
    const double hysteresis_shift_mV = rest.hysteresis_shift_mV * (1.0 - std::exp(-t_h / 1.5));
    ModuleMeasurements sample = resting_module(3100);
    sample.current_mA = discharge_mA;
    for (std::uint8_t cell = 0; cell < 16; ++cell) {
      soc[cell] -= discharge_mA * (kSample_ms / 1000.0) / capacity_mAs;
      if (cell == 5 && t_h > 1.0) soc[cell] -= short_permille_per_h / 1000.0 * kSample_ms / 3.6e6;
      const double value_mV =
          lookup_ocv(soc[cell]).mean_V * 1000.0 + hysteresis_shift_mV + noise_mV(random);
      sample.cell_voltage_mV[cell] = static_cast<std::int32_t>(std::lround(value_mV));
    }
    checks.update(sample, 0, static_cast<TimeMs>(k * kSample_ms));
    if (checks.cell_behaviour_abnormal()) return t_h;
  }
  return -1.0;
}

TEST(SampleChecks, BelowTheKneeTheHysteresisAndTheConvertersDrawAreNotASinkingCell) {
  // The winter case: a module at 5-10 % rests for six hours with its converter's 0.4 A draw
  // after a charge; its cells' voltages move by different amounts, none of them sinks.
  EXPECT_LT(first_abnormal_below_knee_h(6.0, 400, 0.0), 0.0);
  EXPECT_LT(first_abnormal_below_knee_h(6.0, 0, 0.0), 0.0) << "truly at rest";
}

TEST(SampleChecks, AtTheEmptyEndOnlyALargeDriftCounts) {
  // A parked, empty winter module (cells 1.5-5 %, its BMS drawing 0.1 A for 8 hours, until its
  // lowest cell is near 2.7 V): the curve is too coarse there to predict a cell to a few mV; a
  // cell drained by a short still stands out.
  EXPECT_LT(first_abnormal_below_knee_h(8.0, 100, 0.0, {0.015, 0.05, -5.0}), 0.0);
  const double found_h = first_abnormal_below_knee_h(4.0, 100, 10.0, {0.015, 0.05, -5.0});
  EXPECT_GT(found_h, 1.0);
  EXPECT_LT(found_h, 2.5);
}

TEST(SampleChecks, BelowTheKneeACellThatLosesChargeIsFound) {
  // 1 % of its charge an hour (a soft short of about 30 ohm): found within about an hour,
  // at rest and beside the converters' draw.
  const double at_rest_h = first_abnormal_below_knee_h(4.0, 0, 10.0);
  EXPECT_GT(at_rest_h, 1.0);
  EXPECT_LT(at_rest_h, 2.5);
  const double drawing_h = first_abnormal_below_knee_h(4.0, 400, 10.0);
  EXPECT_GT(drawing_h, 1.0);
  EXPECT_LT(drawing_h, 2.5);
}

TEST(SampleChecks, SampleStatisticsAreThoseOfCellStatistics) {
  // Gathered in the checks' own passes: the same extremes, first cells and sum as
  // cell_statistics(), on random samples with ties, implausible channels and varying counts.
  SampleChecks checks;
  std::mt19937 random(11);
  std::uniform_int_distribution<std::int32_t> cell_mV(0, 40);
  std::uniform_int_distribution<int> temperature_ddegC(-400, 1200);
  std::uniform_int_distribution<int> count(0, 16);
  for (int k = 0; k < 2000; ++k) {
    ModuleMeasurements sample = resting_module(3300);
    sample.cell_count = static_cast<std::uint8_t>(count(random));
    sample.temperature_count = static_cast<std::uint8_t>(count(random) / 2);
    for (auto& voltage_mV : sample.cell_voltage_mV) voltage_mV = 2500 + 50 * cell_mV(random);
    for (auto& temperature : sample.cell_temperature_ddegC)
      temperature = static_cast<std::int16_t>(temperature_ddegC(random) / 50 * 50);
    checks.update(sample, 0, static_cast<TimeMs>(k * kSample_ms));
    const CellStatistics expected = cell_statistics(sample);
    const CellStatistics& gathered = checks.sample_statistics();
    EXPECT_EQ(gathered.min_voltage_mV, expected.min_voltage_mV);
    EXPECT_EQ(gathered.max_voltage_mV, expected.max_voltage_mV);
    EXPECT_EQ(gathered.min_voltage_cell, expected.min_voltage_cell);
    EXPECT_EQ(gathered.max_voltage_cell, expected.max_voltage_cell);
    EXPECT_EQ(gathered.sum_voltage_mV, expected.sum_voltage_mV);
    EXPECT_EQ(gathered.min_temperature_ddegC, expected.min_temperature_ddegC);
    EXPECT_EQ(gathered.max_temperature_ddegC, expected.max_temperature_ddegC);
    EXPECT_EQ(gathered.min_temperature_sensor, expected.min_temperature_sensor);
    EXPECT_EQ(gathered.max_temperature_sensor, expected.max_temperature_sensor);
  }
}

TEST(SampleChecks, StuckCellChannelsAreThoseOfAPlainCount) {
  // The cells' last-move times are kept with selects (a mask): the same F10 decision as counting
  // with plain comparisons, on channels that freeze for random spells around stuck_after_ms, with
  // a varying cell count and repeated time stamps.
  SampleCheckLimits limits;
  limits.stuck_after_ms = 1000;
  SampleChecks checks(limits);
  std::mt19937 random(13);
  std::uniform_int_distribution<int> permille(0, 999);
  std::uniform_int_distribution<std::int32_t> step_mV(-2, 2);
  std::array<TimeMs, kMaxCellsPerModule> changed_ms{};
  std::array<bool, kMaxCellsPerModule> frozen{};
  ModuleMeasurements previous;
  TimeMs now_ms = 0;
  int stuck_decisions = 0;
  for (int k = 0; k < 20000; ++k) {
    now_ms += permille(random) < 20 ? 0 : kSample_ms;
    // The temperatures never move: never 3/4 of them moving, so never channel 600.
    ModuleMeasurements sample = resting_module(3300);
    sample.cell_count = permille(random) < 10 ? std::uint8_t{12} : std::uint8_t{16};
    std::int32_t sum_mV = 0;
    for (std::uint8_t cell = 0; cell < sample.cell_count; ++cell) {
      if (permille(random) < (frozen[cell] ? 30 : 5)) frozen[cell] = !frozen[cell];
      sample.cell_voltage_mV[cell] =
          k > 0 && frozen[cell] ? previous.cell_voltage_mV[cell] : 3300 + step_mV(random);
      sum_mV += sample.cell_voltage_mV[cell];
    }
    sample.stack_voltage_mV = sum_mV;
    checks.update(sample, 0, now_ms);
    // The plain count: a channel moves when its reading differs from the last sample's.
    if (k == 0) changed_ms.fill(now_ms);
    int moving = 0;
    for (std::uint8_t cell = 0; cell < sample.cell_count; ++cell) {
      if (sample.cell_voltage_mV[cell] != previous.cell_voltage_mV[cell]) changed_ms[cell] = now_ms;
      if (now_ms - changed_ms[cell] < limits.stuck_after_ms) ++moving;
    }
    const bool stuck = k > 0 && moving * 4 >= sample.cell_count * 3 && moving < sample.cell_count;
    EXPECT_EQ(checks.sampling_implausible(), stuck) << k;
    if (stuck) {
      EXPECT_EQ(checks.implausible_channel(), 500) << k;
      ++stuck_decisions;
    }
    previous = sample;
  }
  EXPECT_GT(stuck_decisions, 1000) << "the test must see stuck channels";
  EXPECT_LT(stuck_decisions, 19000) << "... and all channels moving";
}

}  // namespace
}  // namespace bts::firmware
