#pragma once
// Passive balancing: bleed the cells that sit above the lowest one, where voltage tells SOC
// (the upper knee of LFP's curve), while the module rests or moves little current.
#include <cstdint>

#include "firmware/hal/module_hal.hpp"
#include "firmware/module_bms/cell_statistics.hpp"

namespace bts::firmware {

struct BalancingSettings {
  std::int32_t min_cell_voltage_mV = 3330;   // only on the upper knee (flat plateau below)
  std::int32_t start_spread_mV = 15;         // start when max - min reaches this
  std::int32_t stop_spread_mV = 5;           // stop when the spread falls to this
  std::int32_t cell_above_min_mV = 5;        // bleed every cell this far above the lowest
  std::int32_t max_current_mA = 10000;       // only while |I| is below this
  std::int16_t max_temperature_ddegC = 500;  // resistors heat the module: not above 50 degC
};

class Balancer {
 public:
  explicit Balancer(const BalancingSettings& settings = {}) : settings_(settings) {}
  /// Decide the switch mask for this sample; allowed = the BDU permits balancing.
  std::uint32_t update(const ModuleMeasurements& sample, const CellStatistics& stats, bool allowed);
  bool active() const { return active_; }

 private:
  BalancingSettings settings_;
  bool active_ = false;
};

inline std::uint32_t Balancer::update(const ModuleMeasurements& sample, const CellStatistics& stats,
                                      bool allowed) {
  const bool current_small =
      sample.current_mA < settings_.max_current_mA && -sample.current_mA < settings_.max_current_mA;
  const bool conditions = allowed && current_small &&
                          stats.max_voltage_mV >= settings_.min_cell_voltage_mV &&
                          stats.max_temperature_ddegC < settings_.max_temperature_ddegC;
  if (!conditions) {
    active_ = false;
    return 0;
  }
  const std::int32_t spread_mV = stats.voltage_spread_mV();
  if (!active_ && spread_mV >= settings_.start_spread_mV) active_ = true;
  if (active_ && spread_mV <= settings_.stop_spread_mV) active_ = false;
  if (!active_) return 0;
  std::uint32_t mask = 0;
  for (std::uint8_t cell = 0; cell < sample.cell_count; ++cell) {
    if (sample.cell_voltage_mV[cell] > stats.min_voltage_mV + settings_.cell_above_min_mV)
      mask |= 1u << cell;
  }
  return mask;
}

}  // namespace bts::firmware
