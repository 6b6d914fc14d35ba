#include "app/simulate_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/duration.hpp"
#include "app/output_files.hpp"
#include "app/system_loader.hpp"
#include "sim/plant_run.hpp"

namespace bts::app {

namespace {

struct SimulateOptions {
  std::string system = "e10";
  std::string duration = "24h";
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string out_dir = "out/simulate";
  double step_s = 0.01;
  bool quiet = false;
};

std::string timeseries_csv(const sim::PlantRunResult& result) {
  std::ostringstream csv;
  csv << "time_s,bdu,bat_in_voltage_V,output_voltage_V,output_current_A,soc_mean,"
         "cell_voltage_min_V,cell_voltage_max_V,cell_temperature_min_degC,cell_temperature_max_"
         "degC,"
         "ambient_degC,household_request_W\n";
  char line[512];
  for (const auto& s : result.samples) {
    std::snprintf(line, sizeof line, "%.1f,%d,%.2f,%.2f,%.3f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,%.1f\n",
                  s.time_s, s.bdu + 1, s.bat_in_voltage_V, s.output_voltage_V, s.output_current_A,
                  s.soc_mean, s.cell_voltage_min_V, s.cell_voltage_max_V,
                  s.cell_temperature_min_degC, s.cell_temperature_max_degC, s.ambient_degC,
                  s.household_request_W);
    csv << line;
  }
  return csv.str();
}

nlohmann::json summary_json(const plant::SystemDescription& description,
                            const sim::PlantRunResult& result) {
  nlohmann::json summary;
  summary["system"] = description.name;
  summary["seed"] = description.seed;
  summary["modules"] = description.module_count();
  summary["bdus"] = description.bdus.size();
  summary["simulated_s"] = result.simulated_s;
  summary["wall_s"] = result.wall_s;
  summary["real_time_factor"] = result.wall_s > 0.0 ? result.simulated_s / result.wall_s : 0.0;
  summary["steps"] = result.steps;
  summary["controller"] = "reference (plant-only; firmware arrives with issue 3)";
  summary["energy"] = {{"discharged_Wh", result.energy_discharged_Wh},
                       {"charged_Wh", result.energy_charged_Wh},
                       {"stored_start_Wh", result.stored_energy_start_Wh},
                       {"stored_end_Wh", result.stored_energy_end_Wh}};
  summary["ground_truth_extremes"] = {
      {"cell_voltage_min_V", result.cell_voltage_min_V},
      {"cell_voltage_max_V", result.cell_voltage_max_V},
      {"cell_temperature_min_degC", result.cell_temperature_min_degC},
      {"cell_temperature_max_degC", result.cell_temperature_max_degC}};
  return summary;
}

int run_simulate(const SimulateOptions& options) {
  std::string error;
  const auto duration_s = parse_duration_s(options.duration, error);
  if (!duration_s) {
    std::cerr << "bts simulate: --duration: " << error << "\n";
    return 2;
  }
  plant::SystemDescription description;
  try {
    description = load_system_description(options.system);
  } catch (const SystemDescriptionError& failure) {
    std::cerr << "bts simulate: " << failure.what() << "\n";
    return 2;
  }
  if (options.seed_given) description.seed = options.seed;

  sim::PlantRunOptions run_options;
  run_options.duration_s = *duration_s;
  run_options.step_s = options.step_s;
  const bool show_progress = !options.quiet && *duration_s >= 3600.0;
  if (show_progress) {
    // On a terminal the line rewrites itself; in a log it prints every 10 %.
    const bool terminal = isatty(fileno(stderr)) != 0;
    run_options.progress = [terminal, last_tenth = -1](double done) mutable {
      if (terminal) {
        std::fprintf(stderr, "\rsimulating... %3.0f %%", done * 100.0);
      } else if (static_cast<int>(done * 10.0) > last_tenth) {
        last_tenth = static_cast<int>(done * 10.0);
        std::fprintf(stderr, "simulating... %3d %%\n", last_tenth * 10);
      }
      std::fflush(stderr);
    };
  }
  if (!options.quiet) std::cout << describe_system(description) << "\n";
  const sim::PlantRunResult result = sim::run_plant(description, run_options);
  if (show_progress && isatty(fileno(stderr))) std::fprintf(stderr, "\n");

  OutputDirectory out(options.out_dir);
  if (!out.ok()) {
    std::cerr << "bts simulate: --out: " << out.error() << "\n";
    return 2;
  }
  const nlohmann::json summary = summary_json(description, result);
  if (!out.write("timeseries.csv", timeseries_csv(result)) ||
      !out.write("summary.json", summary.dump(2) + "\n")) {
    std::cerr << "bts simulate: " << out.error() << "\n";
    return 2;
  }
  std::printf("simulated %s in %.2f s wall (%.0fx real time)\n",
              format_duration(result.simulated_s).c_str(), result.wall_s,
              summary["real_time_factor"].get<double>());
  std::printf("energy at BAT OUT: %.2f kWh discharged, %.2f kWh charged\n",
              result.energy_discharged_Wh / 1000.0, result.energy_charged_Wh / 1000.0);
  std::printf("cell voltage %.3f..%.3f V, cell temperature %.1f..%.1f degC (ground truth)\n",
              result.cell_voltage_min_V, result.cell_voltage_max_V,
              result.cell_temperature_min_degC, result.cell_temperature_max_degC);
  std::printf("wrote %s/timeseries.csv and %s/summary.json\n", options.out_dir.c_str(),
              options.out_dir.c_str());
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* command =
      app.add_subcommand("simulate", "Run a system faster than real time and write its results");
  command
      ->add_option("--system", options->system,
                   "Built-in system (e5, e10, e15, e20, e40) or a YAML file")
      ->capture_default_str();
  command->add_option("--duration", options->duration, "Simulated time: 90s, 15m, 24h, 7d")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Random seed (overrides the system description)")
      ->each([options](const std::string&) { options->seed_given = true; });
  command->add_option("--out", options->out_dir, "Directory for timeseries.csv and summary.json")
      ->capture_default_str();
  command->add_option("--step", options->step_s, "Plant step in seconds")
      ->check(CLI::Range(0.001, 1.0))
      ->capture_default_str();
  command->add_flag("--quiet", options->quiet, "Print only the result lines");
  command->callback([options, &exit_code]() { exit_code = run_simulate(*options); });
}

}  // namespace bts::app
