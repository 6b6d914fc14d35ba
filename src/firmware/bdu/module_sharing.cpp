#include "firmware/bdu/module_sharing.hpp"

#include <algorithm>
#include <cstdlib>

namespace bts::firmware {

std::array<std::int32_t, kMaxSharedModules> sharing_offsets_mA(std::span<const ShareInput> modules,
                                                               std::int32_t total_mA,
                                                               ModuleSharing mode,
                                                               std::int32_t min_total_mA) {
  std::array<std::int32_t, kMaxSharedModules> offsets{};
  const std::size_t count = std::min(modules.size(), kMaxSharedModules);
  int active = 0;
  for (std::size_t k = 0; k < count; ++k) active += modules[k].active ? 1 : 0;
  if (mode == ModuleSharing::Equal || active < 2 || std::abs(total_mA) < min_total_mA)
    return offsets;

  const bool discharging = total_mA > 0;
  const std::int64_t magnitude_mA = std::abs(total_mA);
  // Weights in permille x mAh: what each module can still give or take.
  std::array<std::int64_t, kMaxSharedModules> weight{};
  std::array<std::int64_t, kMaxSharedModules> cap_mA{};
  for (std::size_t k = 0; k < count; ++k) {
    const ShareInput& m = modules[k];
    if (!m.active) continue;
    const std::int64_t soc = std::clamp(m.soc_permille, 0, 1000);
    weight[k] = (discharging ? soc : 1000 - soc) * std::max(m.capacity_mAh, 1);
    cap_mA[k] = std::max(discharging ? m.discharge_limit_mA : m.charge_limit_mA, 0);
  }
  // Water filling: a module whose share exceeds its limit carries its limit; the rest is shared
  // again among the others by weight. At most `count` rounds (one module fixed per round).
  std::array<std::int64_t, kMaxSharedModules> target{};
  std::array<bool, kMaxSharedModules> fixed{};
  std::int64_t remaining_mA = magnitude_mA;
  for (std::size_t round = 0; round < count; ++round) {
    std::int64_t free_weight = 0;
    for (std::size_t k = 0; k < count; ++k) free_weight += fixed[k] ? 0 : weight[k];
    if (free_weight <= 0) break;
    bool fixed_one = false;
    for (std::size_t k = 0; k < count; ++k) {
      if (fixed[k] || weight[k] == 0) continue;
      target[k] = remaining_mA * weight[k] / free_weight;
      if (target[k] > cap_mA[k]) {
        target[k] = cap_mA[k];
        fixed[k] = true;
        remaining_mA -= cap_mA[k];
        fixed_one = true;
      }
    }
    if (!fixed_one) break;
    // Shares of the modules not fixed are recomputed from the new remainder in the next round.
    for (std::size_t k = 0; k < count; ++k) {
      if (!fixed[k]) target[k] = 0;
    }
    if (remaining_mA <= 0) break;
  }
  const std::int64_t even_mA = magnitude_mA / active;
  const std::int64_t sign = discharging ? 1 : -1;
  for (std::size_t k = 0; k < count; ++k) {
    if (!modules[k].active) continue;
    offsets[k] = static_cast<std::int32_t>(sign * (target[k] - even_mA));
  }
  return offsets;
}

}  // namespace bts::firmware
