#pragma once
// Scenario files (YAML): a system, its starting conditions, timed events and expectations checked
// at times, so that a scenario is also a test. The format, every key and every refusal are in
// docs/scenarios.md. Loading is all or nothing: a complete, valid scenario or a ScenarioError
// that names the file, the line, the key path and what is allowed.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plant/system_description.hpp"
#include "sim/scenario.hpp"

namespace bts::app {

/// Why a scenario was refused, e.g.
/// "sampling.yaml, line 12, column 36: events[2].inject: unknown fault 'cell_internal_shrt'; did
/// you mean 'cell_internal_short'?".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The folder of the built-in scenarios: $BTS_SCENARIO_DIR when set, else the project's
/// scenarios/ folder (its path compiled in as BTS_SCENARIO_SOURCE_DIR).
std::string scenario_directory();

/// Names of the built-in scenarios (the *.yaml files of scenario_directory(), without .yaml).
std::vector<std::string> builtin_scenario_names();

/// The path of an existing file, or a built-in name ("sampling-fault" ->
/// <dir>/sampling-fault.yaml). Relative CSV paths inside the file are taken from its folder. Throws
/// ScenarioError.
sim::Scenario load_scenario(const std::string& name_or_path);

/// The same from YAML text: file_label names it in messages, csv_directory anchors relative CSV
/// paths of the household and ambient sections.
sim::Scenario parse_scenario(const std::string& yaml_text, const std::string& file_label,
                             const std::string& csv_directory = ".");

/// Checks every place the scenario names against the system it runs on (BDU, module, cell and
/// sensor channel exist; a BDU network cable needs two BDUs; one initial SOC per module) and every
/// time against the run's duration (run_duration_s when given, else the scenario's). Throws
/// ScenarioError naming the file, the line, the key path and the allowed range.
void validate_scenario(const sim::Scenario& scenario, const plant::SystemDescription& system,
                       std::optional<double> run_duration_s = std::nullopt);

/// Applies what the scenario says about the system's starting point: seed (when set), household,
/// ambient (its clock follows the household's unless it sets start_time_h), initial SOC and
/// temperature per module (modules start at the scenario ambient's temperature at time 0 when the
/// scenario sets an ambient but no initial_temperature_degC). Call after validate_scenario.
void apply_scenario_to_system(const sim::Scenario& scenario, plant::SystemDescription& system);

/// One line for people and report timelines: "inject cell_internal_short BDU1.M3 cell 5 (0.5 Ohm)".
std::string describe_event(const sim::ScenarioEvent& event);

/// State names an expectation may name (compared ignoring case): the manual's normal states,
/// Fault, and the firmware's BDU and module states.
const std::vector<std::string>& known_state_names();

}  // namespace bts::app
