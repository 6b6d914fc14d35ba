#include "app/bench_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "app/sharing_bench.hpp"
#include "app/soc_bench.hpp"

namespace bts::app {

namespace {

struct SocBenchOptions {
  double days = 30.0;
  std::vector<std::string> cases;
  unsigned long seed = 1;
};

int run_soc_bench_command(const SocBenchOptions& options) {
  std::vector<SocBenchCase> selected;
  for (const SocBenchCase& bench_case : soc_bench_cases()) {
    if (options.cases.empty() || std::find(options.cases.begin(), options.cases.end(),
                                           bench_case.name) != options.cases.end())
      selected.push_back(bench_case);
  }
  if (selected.empty()) {
    std::cerr << "bts bench soc: --case: none of the names is a case (e10-25degC, e10-winter, "
                 "e40-25degC, e40-winter)\n";
    return 2;
  }
  std::vector<SocBenchResult> results;
  for (const SocBenchCase& bench_case : selected)
    results.push_back(run_soc_bench(bench_case, options.days, options.seed));
  std::cout << soc_bench_json(results) << std::endl;
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Accuracy benchmarks; each prints one JSON object");
  bench->require_subcommand(1);
  auto soc = std::make_shared<SocBenchOptions>();
  CLI::App* command = bench->add_subcommand(
      "soc", "SOC estimate against ground truth: E10 and E40, 25 degC and winter, PV home days");
  command->add_option("--days", soc->days, "Simulated days per case")
      ->check(CLI::Range(0.05, 365.0))
      ->capture_default_str();
  command->add_option("--case", soc->cases,
                      "Only these cases (e10-25degC, e10-winter, e40-25degC, e40-winter)");
  command->add_option("--seed", soc->seed, "Random seed of the systems")->capture_default_str();
  command->callback([soc, &exit_code]() { exit_code = run_soc_bench_command(*soc); });

  auto energy = std::make_shared<EnergyBenchOptions>();
  CLI::App* energy_command = bench->add_subcommand(
      "energy",
      "Usable energy: E20 at SOH 100/95/85/80 % and SOC 90/70/50/30 % discharged at rated power, "
      "with current sharing and with equal sharing");
  energy_command->add_option("--seed", energy->seed, "Random seed")->capture_default_str();
  energy_command->callback([energy, &exit_code]() {
    std::cout << run_energy_bench(*energy) << std::endl;
    exit_code = 0;
  });
  auto expansion = std::make_shared<ExpansionBenchOptions>();
  CLI::App* expansion_command = bench->add_subcommand(
      "expansion", "A new module at 30 % joins an E15 at 80 %: time until all SOCs are within 2 %");
  expansion_command->add_option("--seed", expansion->seed, "Random seed")->capture_default_str();
  expansion_command->add_option("--max-days", expansion->max_days, "Give up after this many days")
      ->check(CLI::Range(0.1, 365.0))
      ->capture_default_str();
  expansion_command->callback([expansion, &exit_code]() {
    std::cout << run_expansion_bench(*expansion) << std::endl;
    exit_code = 0;
  });
}

}  // namespace bts::app
