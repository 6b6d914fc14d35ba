#pragma once
// How a BDU splits its current among its modules' converters (REQ-FEA-2, "current balance between
// battery modules, higher available capacity"). Each converter follows a droop law, bus side:
//   I_k = offset_k + G * (V_ref - V_bus)
// The common part (the BDU's sag trim plus the droop) is the same for all; the per-module offsets
// computed here sum to zero and move current between modules without changing the total, so that
// each carries its share of what it can give (discharging: its remaining charge, SOC x capacity)
// or take (charging: its room, (1 - SOC) x capacity). Modules of different SOC, capacity and age
// then empty and fill together. A module's share never exceeds its own limit (7.5 A / 2.5 kW of its
// converter, derated by its cells' voltage and temperature); what it cannot carry goes to the
// others in proportion to their shares ("water filling"). docs/firmware.md, "Current sharing".
#include <array>
#include <cstdint>
#include <span>

namespace bts::firmware {

enum class ModuleSharing : std::uint8_t {
  RemainingCharge,  // the shares above (default)
  Equal,            // every module the same current; the BDU offers only n x its weakest limit
};

struct ShareInput {
  bool active = false;  // reporting and on the bus
  std::int32_t soc_permille = 0;
  std::int32_t capacity_mAh = 100000;  // what the module knows of its own capacity (SOH)
  std::int32_t charge_limit_mA = 0;    // bus side, >= 0
  std::int32_t discharge_limit_mA = 0;
};

inline constexpr std::size_t kMaxSharedModules = 4;

/// The per-module offsets (bus side, mA, > 0 = more discharge) for a BDU total of total_mA
/// (> 0 discharging). Zero for inactive modules, in Equal mode, with fewer than two active
/// modules, or below min_total_mA (no direction to share in).
std::array<std::int32_t, kMaxSharedModules> sharing_offsets_mA(std::span<const ShareInput> modules,
                                                               std::int32_t total_mA,
                                                               ModuleSharing mode,
                                                               std::int32_t min_total_mA = 200);

}  // namespace bts::firmware
