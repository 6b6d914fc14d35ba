#pragma once
// The whole physical system as described by a system description file (YAML, loaded in app/):
// topology (1-2 BDUs of 1-4 modules, REQ-TOP-3), every physical parameter with its default,
// the initial condition of each module, the inverter, household and ambient.
#include <cstdint>
#include <string>
#include <vector>

#include "plant/bdu_hardware.hpp"
#include "plant/cell_parameters.hpp"
#include "plant/inverter_parameters.hpp"
#include "plant/module_parameters.hpp"
#include "plant/pcu.hpp"

namespace bts::plant {

struct ModuleDescription {
  double initial_soc = 0.5;      // 0..1, mean of the module's cells
  double state_of_health = 1.0;  // remaining capacity share (pre-aged module), 0.5..1
  double initial_temperature_degC = 25.0;
  bool power_cable_reversed = false;  // B+/B- swapped at BAT IN (REQ-TOP-5)
  std::string serial_number;
};

struct BduDescription {
  std::vector<ModuleDescription> modules;  // 1..4, Link daisy-chain order
  bool terminal_resistor_present = true;   // on the last module's Link Out (REQ-TOP-4)
  std::string serial_number;
};

struct SystemDescription {
  std::string name = "e10";
  std::uint64_t seed = 1;
  LfpCellParameters cell = LfpCellParameters::lfp_default();
  AgeingParameters ageing;
  CellSpreadParameters spread;
  ModuleParameters module;
  PcuParameters pcu;
  BduParameters bdu;
  InverterParameters inverter;
  HouseholdProfileParameters household;
  AmbientProfileParameters ambient;
  std::vector<BduDescription> bdus;  // 1..2

  static constexpr int kMaxBdus = 2;
  static constexpr int kMaxModulesPerBdu = 4;

  int module_count() const {
    int count = 0;
    for (const auto& one_bdu : bdus) count += static_cast<int>(one_bdu.modules.size());
    return count;
  }
};

/// The built-in systems: e5, e10, e15, e20 (one BDU of 1-4 modules) and e40 (two BDUs of four).
/// Returns false for an unknown name.
bool builtin_system(const std::string& name, SystemDescription& out);
std::vector<std::string> builtin_system_names();

}  // namespace bts::plant
