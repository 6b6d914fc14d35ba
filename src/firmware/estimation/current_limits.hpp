#pragma once
// The current a module may carry, bus side, from its extreme cells: full current inside the
// comfortable window, tapering linearly to zero at the edges (cell voltage 3.40 -> 3.50 V when
// charging and 3.05 -> 2.90 V when discharging; charging 10 -> 0 degC and 40 -> 50 degC;
// discharging 0 -> -10 degC and 45 -> 55 degC). The module applies it to its own converter and
// the BDU computes the same from the module's reported extremes. Reasons: docs/firmware.md.
#include <algorithm>
#include <cstdint>

namespace bts::firmware {

struct CurrentLimits {
  std::int32_t charge_mA = 0;
  std::int32_t discharge_mA = 0;
};

/// 1000 at or beyond `full`, 0 at or beyond `zero`, linear between, in permille (rounded toward
/// zero current).
constexpr std::int32_t taper_permille(std::int32_t value, std::int32_t full, std::int32_t zero) {
  if (full == zero) return value < zero ? 1000 : 0;
  const std::int64_t from_zero = std::int64_t{value} - zero;
  const std::int64_t span = std::int64_t{full} - zero;
  // Outside the taper without a division (six tapers per module every 100 ms, nearly always in
  // the comfortable window): at or past `full` it is 1000, at or past `zero` 0, as the division
  // and the clamp below would give.
  if (span > 0 ? from_zero >= span : from_zero <= span) return 1000;
  if (span > 0 ? from_zero <= 0 : from_zero >= 0) return 0;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(from_zero * 1000 / span, 0, 1000));
}

inline constexpr std::int32_t kConverterMaxCurrent_mA = 7500;  // PCU bus side (REQ-TOP-1)
inline constexpr std::int64_t kConverterMaxPower_W = 2500;     // ... and its power

/// What one module's converter can carry on the bus side at a bus voltage: 7.5 A, and no more
/// than 2.5 kW (REQ-TOP-1); above 333 V the power is the tighter bound.
constexpr std::int32_t converter_full_current_mA(std::int32_t bus_dV) {
  if (bus_dV <= 0) return kConverterMaxCurrent_mA;
  return static_cast<std::int32_t>(
      std::min<std::int64_t>(kConverterMaxCurrent_mA, kConverterMaxPower_W * 10'000 / bus_dV));
}

/// The share of its full current a module allows each way, in permille, from its extremes.
struct CurrentShares {
  std::int32_t charge_permille = 0;
  std::int32_t discharge_permille = 0;
  constexpr CurrentLimits of(std::int32_t full_mA) const {
    return {
        static_cast<std::int32_t>(static_cast<std::int64_t>(full_mA) * charge_permille / 1000),
        static_cast<std::int32_t>(static_cast<std::int64_t>(full_mA) * discharge_permille / 1000)};
  }
};

constexpr CurrentShares module_current_shares(std::int32_t min_cell_mV, std::int32_t max_cell_mV,
                                              std::int32_t min_temperature_ddegC,
                                              std::int32_t max_temperature_ddegC) {
  // The charge end is at 3.50 V on the highest cell (it was 3.55 V): on LFP's upper knee a few
  // tenths of a percent of charge make 100 mV, so cells a normal 0.5 % apart, held at 3.55 V by the
  // old taper, spread past A7's 150 mV for hours on every sunny day (scenarios/pv-day.yaml). The
  // battery still reaches about 97.5 % reported SOC; balancing closes the gap.
  return {std::min({taper_permille(max_cell_mV, 3400, 3500),
                    taper_permille(min_temperature_ddegC, 100, 0),
                    taper_permille(max_temperature_ddegC, 400, 500)}),
          std::min({taper_permille(min_cell_mV, 3050, 2900),
                    taper_permille(min_temperature_ddegC, 0, -100),
                    taper_permille(max_temperature_ddegC, 450, 550)})};
}

constexpr CurrentLimits module_current_limits(std::int32_t min_cell_mV, std::int32_t max_cell_mV,
                                              std::int32_t min_temperature_ddegC,
                                              std::int32_t max_temperature_ddegC,
                                              std::int32_t full_mA) {
  return module_current_shares(min_cell_mV, max_cell_mV, min_temperature_ddegC,
                               max_temperature_ddegC)
      .of(full_mA);
}

}  // namespace bts::firmware
