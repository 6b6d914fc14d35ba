// F11's rest check (a cell that sinks below the others while the module rests) must see a real
// internal short and never a reading's noise: 2 mV per cell (the SOC benchmark's sensor errors)
// made the unfiltered check fire within hours in an E40.
#include "firmware/module_bms/sample_checks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

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

}  // namespace
}  // namespace bts::firmware
