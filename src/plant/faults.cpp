#include "plant/faults.hpp"

#include <array>
#include <utility>

namespace bts::plant {

namespace {

constexpr std::array<std::pair<PlantFaultKind, const char*>, 19> kNames{{
    {PlantFaultKind::CellExternalHeat, "cell_external_heat"},
    {PlantFaultKind::AmbientOverride, "ambient_override"},
    {PlantFaultKind::HeaterStuckOn, "heater_stuck_on"},
    {PlantFaultKind::CellInternalShort, "cell_internal_short"},
    {PlantFaultKind::SensorFailure, "sensor_failure"},
    {PlantFaultKind::PcuFailure, "pcu_failure"},
    {PlantFaultKind::FuseBlown, "fuse_blown"},
    {PlantFaultKind::RelayWelded, "relay_welded"},
    {PlantFaultKind::PowerCableReversed, "power_cable_reversed"},
    {PlantFaultKind::PowerCableCut, "power_cable_cut"},
    {PlantFaultKind::ModuleTerminalLoose, "module_terminal_loose"},
    {PlantFaultKind::BduOutputTerminalLoose, "bdu_output_terminal_loose"},
    {PlantFaultKind::TerminalResistorRemoved, "terminal_resistor_removed"},
    {PlantFaultKind::LinkCableCut, "link_cable_cut"},
    {PlantFaultKind::InverterCableCut, "inverter_cable_cut"},
    {PlantFaultKind::InverterCommunicationCut, "inverter_communication_cut"},
    {PlantFaultKind::BduNetworkCableCut, "bdu_network_cable_cut"},
    {PlantFaultKind::InverterIgnoresLimits, "inverter_ignores_limits"},
    {PlantFaultKind::MemoryWriteFailure, "nvm_write_failure"},
}};

}  // namespace

const char* fault_kind_name(PlantFaultKind kind) {
  for (const auto& [candidate, name] : kNames) {
    if (candidate == kind) return name;
  }
  return "unknown";
}

bool fault_kind_from_name(const std::string& name, PlantFaultKind& kind) {
  for (const auto& [candidate, candidate_name] : kNames) {
    if (name == candidate_name) {
      kind = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace bts::plant
