#pragma once
// Extremes and spreads of one sample of cell voltages and temperatures.
#include <cstdint>

#include "firmware/hal/module_hal.hpp"

namespace bts::firmware {

struct CellStatistics {
  std::int32_t min_voltage_mV = 0;
  std::int32_t max_voltage_mV = 0;
  std::uint8_t min_voltage_cell = 0;
  std::uint8_t max_voltage_cell = 0;
  std::int32_t sum_voltage_mV = 0;
  std::int16_t min_temperature_ddegC = 0;
  std::int16_t max_temperature_ddegC = 0;
  std::uint8_t min_temperature_sensor = 0;
  std::uint8_t max_temperature_sensor = 0;
  std::int32_t voltage_spread_mV() const { return max_voltage_mV - min_voltage_mV; }
  std::int32_t temperature_spread_ddegC() const {
    return max_temperature_ddegC - min_temperature_ddegC;
  }
};

constexpr CellStatistics cell_statistics(const ModuleMeasurements& sample) {
  CellStatistics stats;
  if (sample.cell_count > 0) {
    stats.min_voltage_mV = stats.max_voltage_mV = sample.cell_voltage_mV[0];
    for (std::uint8_t cell = 0; cell < sample.cell_count; ++cell) {
      const std::int32_t voltage_mV = sample.cell_voltage_mV[cell];
      stats.sum_voltage_mV += voltage_mV;
      if (voltage_mV < stats.min_voltage_mV) {
        stats.min_voltage_mV = voltage_mV;
        stats.min_voltage_cell = cell;
      }
      if (voltage_mV > stats.max_voltage_mV) {
        stats.max_voltage_mV = voltage_mV;
        stats.max_voltage_cell = cell;
      }
    }
  }
  if (sample.temperature_count > 0) {
    stats.min_temperature_ddegC = stats.max_temperature_ddegC = sample.cell_temperature_ddegC[0];
    for (std::uint8_t sensor = 0; sensor < sample.temperature_count; ++sensor) {
      const std::int16_t temperature = sample.cell_temperature_ddegC[sensor];
      if (temperature < stats.min_temperature_ddegC) {
        stats.min_temperature_ddegC = temperature;
        stats.min_temperature_sensor = sensor;
      }
      if (temperature > stats.max_temperature_ddegC) {
        stats.max_temperature_ddegC = temperature;
        stats.max_temperature_sensor = sensor;
      }
    }
  }
  return stats;
}

}  // namespace bts::firmware
