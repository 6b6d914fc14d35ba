#include "app/run_setup.hpp"

#include <optional>
#include <stdexcept>

#include "app/duration.hpp"
#include "app/scenario_loader.hpp"
#include "app/system_loader.hpp"

namespace bts::app {

RunSetup load_run_setup(const std::string& system, const std::string& scenario,
                        const std::string& duration, double default_duration_s) {
  RunSetup setup;
  if (!scenario.empty()) setup.scenario = load_scenario(scenario);
  if (!system.empty()) setup.scenario.system = system;
  if (scenario.empty() && system.empty()) {
    setup.scenario.name = "default";
    setup.scenario.description = "E10 on a PV home day";
  }
  setup.description =
      load_system_description(setup.scenario.system.empty() ? "e10" : setup.scenario.system);
  std::optional<double> cli_duration_s;
  if (!duration.empty()) {
    std::string error;
    cli_duration_s = parse_duration_s(duration, error);
    if (!cli_duration_s) throw std::invalid_argument("--duration: " + error);
  }
  setup.duration_s =
      cli_duration_s.value_or(setup.scenario.duration_s.value_or(default_duration_s));
  validate_scenario(setup.scenario, setup.description, setup.duration_s);
  apply_scenario_to_system(setup.scenario, setup.description);
  return setup;
}

}  // namespace bts::app
