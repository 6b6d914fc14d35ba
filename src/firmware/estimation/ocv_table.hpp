#pragma once
// The firmware's own copy of the LFP open-circuit voltage curve (mean of the charge and discharge
// branches, 5 % steps), used to start SOC after a power-up without a trusted record.
#include <array>
#include <cstdint>

namespace bts::firmware {

inline constexpr std::array<std::int32_t, 21> kOcvMean_mV{2286, 3065, 3197, 3212, 3234, 3255, 3270,
                                                          3283, 3292, 3297, 3300, 3301, 3304, 3306,
                                                          3311, 3319, 3335, 3340, 3343, 3345, 3531};

/// SOC in permille from a rested cell voltage (monotone table, linear between points).
constexpr std::int32_t soc_permille_from_ocv(std::int32_t cell_voltage_mV) {
  if (cell_voltage_mV <= kOcvMean_mV.front()) return 0;
  if (cell_voltage_mV >= kOcvMean_mV.back()) return 1000;
  for (std::size_t i = 1; i < kOcvMean_mV.size(); ++i) {
    if (cell_voltage_mV <= kOcvMean_mV[i]) {
      const std::int32_t low = kOcvMean_mV[i - 1], high = kOcvMean_mV[i];
      return static_cast<std::int32_t>((i - 1) * 50 + (cell_voltage_mV - low) * 50 / (high - low));
    }
  }
  return 1000;
}

}  // namespace bts::firmware
