#pragma once
// What `bts simulate` and `bts run` both read before a run: the scenario (built-in name or file),
// the system it runs on (the scenario's, or --system), and the duration (--duration, else the
// scenario's, else a default). Everything is checked here, before anything runs.
#include <string>

#include "plant/system_description.hpp"
#include "sim/scenario.hpp"

namespace bts::app {

struct RunSetup {
  sim::Scenario scenario;
  plant::SystemDescription description;
  double duration_s = 0.0;
};

/// Throws SystemDescriptionError, ScenarioError or std::invalid_argument ("--duration: ...")
/// with the reason.
RunSetup load_run_setup(const std::string& system, const std::string& scenario,
                        const std::string& duration, double default_duration_s);

}  // namespace bts::app
