#include "app/simulate_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "app/duration.hpp"
#include "app/output_files.hpp"
#include "app/run_outputs.hpp"
#include "app/run_setup.hpp"
#include "app/scenario_loader.hpp"
#include "app/system_loader.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::app {

namespace {

struct SimulateOptions {
  std::string system;
  std::string scenario;
  std::string duration;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string out_dir = "out/simulate";
  double step_s = 0.1;
  double record_interval_s = 60.0;
  bool quiet = false;
  bool list = false;
};

constexpr double kDefaultDuration_s = 24.0 * 3600.0;

void print_list() {
  std::cout << "Built-in systems:\n";
  for (const std::string& name : plant::builtin_system_names()) {
    plant::SystemDescription description;
    plant::builtin_system(name, description);
    std::cout << "  " << name << "  " << describe_system(description) << "\n";
  }
  std::cout << "Built-in scenarios (" << scenario_directory() << "):\n";
  for (const std::string& name : builtin_scenario_names()) {
    try {
      const sim::Scenario scenario = load_scenario(name);
      std::cout << "  " << name << "  " << scenario.description << "\n";
    } catch (const std::exception& error) {
      std::cout << "  " << name << "  (does not load: " << error.what() << ")\n";
    }
  }
}

std::function<void(double)> progress_printer(bool show) {
  if (!show) return {};
  // On a terminal the line rewrites itself; in a log it prints every 10 %.
  const bool terminal = isatty(fileno(stderr)) != 0;
  return [terminal, last_tenth = -1](double done) mutable {
    if (terminal) {
      std::fprintf(stderr, "\rsimulating... %3.0f %%", done * 100.0);
    } else if (static_cast<int>(done * 10.0) > last_tenth) {
      last_tenth = static_cast<int>(done * 10.0);
      std::fprintf(stderr, "simulating... %3d %%\n", last_tenth * 10);
    }
    std::fflush(stderr);
  };
}

int run_simulate(const SimulateOptions& options) {
  if (options.list) {
    print_list();
    return 0;
  }
  // Everything is read and checked before the run starts; any problem is bad input (exit 2).
  RunSetup setup;
  try {
    setup = load_run_setup(options.system, options.scenario, options.duration, kDefaultDuration_s);
  } catch (const std::exception& failure) {
    // SystemDescriptionError, ScenarioError and bad options all name file, line and key.
    std::cerr << "bts simulate: " << failure.what() << "\n";
    return 2;
  }
  sim::Scenario& scenario = setup.scenario;
  plant::SystemDescription& description = setup.description;
  const double duration_s = setup.duration_s;
  if (options.seed_given) description.seed = options.seed;

  OutputDirectory out(options.out_dir);
  if (!out.ok()) {
    std::cerr << "bts simulate: --out: " << out.error() << "\n";
    return 2;
  }
  if (!options.quiet)
    std::cout << describe_system(description) << std::endl;  // before the progress lines

  sim::RunnerOptions runner_options;
  runner_options.plant_step_s = options.step_s;
  runner_options.record_interval_s = options.record_interval_s;
  runner_options.progress = progress_printer(!options.quiet && duration_s >= 3600.0);
  sim::LockstepRunner runner(description, scenario, runner_options);
  const double stored_start_Wh = runner.plant().stored_energy_Wh();
  const sim::RunResult result = runner.run(duration_s);
  if (runner_options.progress && isatty(fileno(stderr))) std::fprintf(stderr, "\n");

  RunSummary summary;
  summary.system_name = description.name;
  summary.system_text = describe_system(description);
  summary.scenario_name = scenario.name;
  summary.scenario_description = scenario.description;
  summary.seed = description.seed;
  summary.simulated_s = result.simulated_s;
  summary.wall_s = result.wall_s;
  summary.steps = result.ticks;
  summary.record_interval_s = options.record_interval_s;
  summary.extremes = {true, result.extremes.cell_voltage_min_V, result.extremes.cell_voltage_max_V,
                      result.extremes.cell_temperature_min_degC,
                      result.extremes.cell_temperature_max_degC};
  summary.energy = EnergyCounters{result.energy_discharged_Wh, result.energy_charged_Wh,
                                  stored_start_Wh, runner.plant().stored_energy_Wh()};
  summary.protection.min_cell_voltage_V = scenario.protection_min_cell_voltage_V;
  summary.protection.max_cell_voltage_V = scenario.protection_max_cell_voltage_V;
  summary.protection.max_cell_temperature_degC = scenario.protection_max_cell_temperature_degC;
  for (const sim::ScenarioEvent& event : scenario.events)
    summary.markers.push_back({event.time_s, describe_event(event)});
  complete_summary(summary, result.snapshots, result.code_events);
  if (!write_run_outputs(out, summary, result.snapshots, result.code_events, result.state_events,
                         result.expectations)) {
    std::cerr << "bts simulate: " << out.error() << "\n";
    return 2;
  }

  const bool expectations_held = all_passed(result.expectations);
  std::printf("simulated %s in %.2f s wall (%.0fx real time)\n",
              format_duration(result.simulated_s).c_str(), result.wall_s,
              result.wall_s > 0.0 ? result.simulated_s / result.wall_s : 0.0);
  for (std::size_t b = 0; b < summary.final_states.size(); ++b) {
    std::printf("BDU%zu ends %s\n", b + 1, summary.final_states[b].c_str());
  }
  std::printf("energy at BAT OUT: %.2f kWh discharged, %.2f kWh charged\n",
              result.energy_discharged_Wh / 1000.0, result.energy_charged_Wh / 1000.0);
  std::printf(
      "cell voltage %.3f..%.3f V, cell temperature %.1f..%.1f degC (ground truth): %s\n",
      result.extremes.cell_voltage_min_V, result.extremes.cell_voltage_max_V,
      result.extremes.cell_temperature_min_degC, result.extremes.cell_temperature_max_degC,
      summary.protection.held ? "within protection limits" : summary.protection.message.c_str());
  if (!summary.codes_seen.empty()) {
    std::printf("codes seen:");
    for (const std::string& code : summary.codes_seen) std::printf(" %s", code.c_str());
    std::printf("\n");
  }
  if (!result.expectations.empty()) {
    int passed = 0;
    for (const sim::ExpectationResult& expectation : result.expectations) {
      if (expectation.passed) {
        ++passed;
      } else {
        std::printf("FAILED %s\n", expectation.message.c_str());
      }
    }
    std::printf("%d of %zu expectations held\n", passed, result.expectations.size());
  }
  std::printf("wrote %s/{timeseries.csv,events.csv,summary.json,report.html}\n",
              options.out_dir.c_str());
  return expectations_held && summary.protection.held ? 0 : 1;
}

}  // namespace

void add_simulate_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* command = app.add_subcommand("simulate",
                                         "Run a system with its firmware faster than real time; "
                                         "write timeseries, events, summary and report");
  command->add_option("--system", options->system,
                      "Built-in system (e5, e10, e15, e20, e40) or a YAML file");
  command->add_option("--scenario", options->scenario, "Built-in scenario name or a YAML file");
  command->add_option("--duration", options->duration,
                      "Simulated time: 90s, 15m, 24h, 7d (default: the scenario's, else 24h)");
  command
      ->add_option("--seed", options->seed,
                   "Random seed (overrides the system description and scenario)")
      ->each([options](const std::string&) { options->seed_given = true; });
  command->add_option("--out", options->out_dir, "Directory for the result files")
      ->capture_default_str();
  command
      ->add_option("--step", options->step_s, "Plant step in seconds (firmware ticks every 10 ms)")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  command->add_option("--record", options->record_interval_s, "Seconds between recorded rows")
      ->check(CLI::Range(0.01, 86400.0))
      ->capture_default_str();
  command->add_flag("--list", options->list, "List the built-in systems and scenarios");
  command->add_flag("--quiet", options->quiet, "Print only the result lines");
  command->callback([options, &exit_code]() { exit_code = run_simulate(*options); });
}

}  // namespace bts::app
