#pragma once
// What the recorder and the expectations see of a running system at one instant: the firmware's
// own view (states, lights, codes, limits, its SOC) beside the plant's ground truth.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/common/codes.hpp"
#include "firmware/lights/indicator_lights.hpp"

namespace bts::sim {

struct ModuleSnapshot {
  std::string state;  // module BMS state name
  firmware::CodeSet codes;
  firmware::LightPattern lights{};
  double soc_percent = 0.0;         // the BMS's estimate
  double current_A = 0.0;           // measured, LV side, > 0 discharging
  double cell_voltage_min_V = 0.0;  // measured
  double cell_voltage_max_V = 0.0;
  double cell_temperature_min_degC = 0.0;
  double cell_temperature_max_degC = 0.0;
  bool balancing = false;
  bool heater_on = false;
  double soc_uncertainty_percent = 0.0;   // the estimate's 1 sigma
  double soh_capacity_percent = 100.0;    // learned capacity against the nominal
  double soh_resistance_percent = 100.0;  // learned ohmic resistance against the data sheet
  bool calibration_requested = false;
  // Ground truth
  double true_soc_percent = 0.0;
  double true_capacity_percent = 100.0;  // mean cell capacity against the nominal
  double true_cell_voltage_min_V = 0.0;
  double true_cell_voltage_max_V = 0.0;
  double true_cell_temperature_min_degC = 0.0;
  double true_cell_temperature_max_degC = 0.0;
};

struct BduSnapshot {
  std::string state;  // BDU controller state name
  firmware::DisplayState display = firmware::DisplayState::Shutdown;
  firmware::LightPattern lights{};
  firmware::CodeSet codes;     // the BDU's own and every module's codes it knows of
  bool relays_closed = false;  // both main relays' auxiliary contacts closed
  bool precharge_closed = false;
  double bus_voltage_V = 0.0;     // measured BAT IN
  double output_voltage_V = 0.0;  // measured BAT OUT
  double output_current_A = 0.0;  // measured, > 0 to the inverter
  double soc_percent = 0.0;       // reported to the inverter
  double soc_uncertainty_percent = 0.0;
  double soh_percent = 100.0;
  bool calibration_requested = false;
  bool limits_valid = false;
  double charge_voltage_limit_V = 0.0;
  double discharge_voltage_limit_V = 0.0;
  double charge_current_limit_A = 0.0;
  double discharge_current_limit_A = 0.0;
  // Ground truth
  double inverter_current_A = 0.0;  // what the inverter really draws (> 0 discharge)
  double true_soc_percent = 0.0;    // capacity-weighted over the BDU's modules
};

struct SystemSnapshot {
  double time_s = 0.0;
  double ambient_degC = 0.0;
  double household_request_W = 0.0;
  std::vector<BduSnapshot> bdus;
  std::vector<std::vector<ModuleSnapshot>> modules;  // [bdu][module]
};

/// A code raised or cleared on a node, for events.csv.
struct CodeEvent {
  double time_s = 0.0;
  std::string node;  // "BDU1" or "BDU1.M3"
  firmware::Code code = firmware::Code::A1;
  bool raised = true;
};

/// A state change on a node, for events and the report.
struct StateEvent {
  double time_s = 0.0;
  std::string node;
  std::string from;
  std::string to;
};

}  // namespace bts::sim
