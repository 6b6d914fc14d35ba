#pragma once
// A scenario: what happens to a system over time (events) and what must then be true
// (expectations), so that a scenario is also a test. Loaded from YAML in app/scenario_loader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "firmware/bdu/module_sharing.hpp"
#include "firmware/common/codes.hpp"
#include "firmware/inverter/inverter_protocol.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/lights/indicator_lights.hpp"
#include "plant/faults.hpp"
#include "plant/inverter_parameters.hpp"

namespace bts::sim {

enum class ScenarioEventKind : std::uint8_t {
  PressBlackStart,        // duration_s: how long the button is held (one-key activate/shutdown)
  SetDcSwitch,            // flag: closed (true) or open (false); bdu
  InjectFault,            // fault (plant::PlantFault) switched on
  ClearFault,             // fault switched off
  SilenceInverter,        // flag: true = the inverter stops talking, false = it talks again
  SetHouseholdPower,      // value: constant battery power request from now on, W (> 0 discharge)
  SetAmbient,             // value: ambient temperature from now on, degC
  InstallFirmware,        // node (bdu, module or -1 for the BDU) reports version major.minor.patch
  RequestFirmwareUpdate,  // the service tool on COM asks BDU `bdu` to update itself and its modules
};

struct FirmwareVersionText {
  int major = 0;
  int minor = 0;
  int patch = 0;
};

struct ScenarioEvent {
  double time_s = 0.0;
  ScenarioEventKind kind = ScenarioEventKind::PressBlackStart;
  int line = 0;     // line in the scenario file, for messages
  int bdu = 0;      // 0-based
  int module = -1;  // 0-based; -1 = the BDU itself / not applicable
  double duration_s = 0.0;
  bool flag = false;
  double value = 0.0;
  plant::PlantFault fault;
  FirmwareVersionText version;
  // Where the event is written, for messages about it (app/scenario_loader).
  std::string path;     // "events[3]"
  int bdu_line = 0;     // line of its bdu key (0: not given)
  int module_line = 0;  // line of its module key
  int index_line = 0;   // line of its cell or channel key
};

enum class ExpectationKind : std::uint8_t {
  State,              // state: the BDU's (or module's) state name, e.g. "Fault", "Discharge"
  Lights,             // lights: the node's seven lights (status with colour, alarm, L1..L5)
  CodeActive,         // code is active on the node
  CodeInactive,       // code is not active on the node
  NoCodes,            // no code at all on the node
  RelaysClosed,       // flag: main relays closed (true) or open (false); BDU only
  ChargeLimitAtMost,  // value A: the charge current limit reported to the inverter
  DischargeLimitAtMost,
  ChargeLimitAtLeast,
  DischargeLimitAtLeast,
  InverterCurrentAtMost,  // value A: |current| at the inverter input of this BDU
  SocBetween,             // value..value_high percent, the node's reported SOC
  ModuleCurrentAtMost,    // value A: the module's measured cell-side current (> 0 discharging)
  ModuleCurrentAtLeast,
};

struct Expectation {
  double time_s = 0.0;
  int line = 0;
  ExpectationKind kind = ExpectationKind::State;
  int bdu = 0;
  int module = -1;  // -1 = the BDU
  std::string state;
  firmware::LightPattern lights{};
  firmware::Code code = firmware::Code::A1;
  bool flag = false;
  double value = 0.0;
  double value_high = 0.0;
  // Where the expectation is written, for messages about it (app/scenario_loader).
  std::string path;  // "expectations[2].state"
  int bdu_line = 0;
  int module_line = 0;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string system = "e10";  // built-in name or path of a system description file
  std::optional<double> duration_s;
  std::optional<std::uint64_t> seed;
  std::optional<plant::HouseholdProfileParameters> household;
  std::optional<plant::AmbientProfileParameters> ambient;
  std::vector<double> initial_soc;  // 0..1 per module in order (all BDUs), empty = system's
  bool start_activated = true;      // black start pressed and DC switch closed at t = 0
  /// What the BDUs and the inverter speak on the inverter CAN port.
  firmware::InverterProtocol inverter_protocol = firmware::InverterProtocol::SofarExtended;
  firmware::pylon_hv::PylonDialect pylon_dialect{};
  /// How long the BDUs let the inverter stay silent (BduConfig::inverter_timeout_ms).
  firmware::TimeMs inverter_timeout_ms = firmware::kDefaultInverterTimeout_ms;
  /// How often the simulated inverter asks (Sofar inquiry, Pylon HV poll).
  std::uint64_t inverter_poll_interval_us = 1000000;
  /// The inverter's installer settings, when the scenario sets them (else the system's).
  std::optional<bool> honours_full_charge_request;
  std::optional<bool> honours_force_charge_request;
  /// How each BDU splits its current among its modules (REQ-FEA-2); Equal is the baseline.
  firmware::ModuleSharing module_sharing = firmware::ModuleSharing::RemainingCharge;
  std::vector<ScenarioEvent> events;      // sorted by time
  std::vector<Expectation> expectations;  // sorted by time
  /// Limits every run checks on the plant's ground truth (cell never beyond these).
  double protection_min_cell_voltage_V = 2.5;
  double protection_max_cell_voltage_V = 3.65;
  double protection_max_cell_temperature_degC = 60.0;
  // Added by app/scenario_loader (docs/scenarios.md):
  std::string file;                              // label of the file, for messages
  std::vector<double> initial_temperature_degC;  // per module in order, empty = system's/ambient's
  /// The scenario gives an ambient without start_time_h: it follows the household's clock.
  bool ambient_follows_household_clock = false;
  int initial_soc_line = 0;
  int initial_temperature_line = 0;
};

}  // namespace bts::sim
