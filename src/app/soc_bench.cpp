#include "app/soc_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "firmware/common/nvm_record.hpp"
#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::app {

namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr double kScoreInterval_s = 60.0;
constexpr double kWrongStart = 0.20;       // the record's SOC is this far off the truth
constexpr double kRecordClaimedSd = 0.05;  // ... while claiming to be good to 5 %
constexpr double kAimRmse_percent = 1.0;
constexpr double kAimMax_percent = 3.0;

}  // namespace

plant::SystemDescription soc_bench_system(const SocBenchCase& bench_case, unsigned long seed) {
  plant::SystemDescription description;
  plant::builtin_system(bench_case.system, description);
  description.seed = seed;
  plant::SensorErrorParameters& sensors = description.module.sensors;
  sensors.current_offset_A = 0.05;
  sensors.current_gain_error = 0.005;
  sensors.cell_voltage_noise_sd_V = 0.002;
  sensors.temperature_offset_sd_degC = 1.0;
  description.household.kind = plant::HouseholdProfileKind::PvHomeDay;
  // The installer allowed the inverter to charge the battery from the grid when it asks for a
  // calibration (full) charge or, empty, for a forced charge (docs/firmware.md, "Calibration
  // charge", D-EMPTY).
  description.inverter.honours_full_charge_request = true;
  description.inverter.honours_force_charge_request = true;
  if (bench_case.winter) {
    description.ambient.kind = plant::AmbientProfileKind::Winter;
  } else {
    description.ambient.kind = plant::AmbientProfileKind::Constant;
    description.ambient.mean_degC = 25.0;
  }
  return description;
}

namespace {

double mean_cell_capacity_Ah(const plant::Module& module) {
  double sum = 0.0;
  for (int cell = 0; cell < module.cell_count(); ++cell) sum += module.cell(cell).capacity_Ah();
  return module.cell_count() > 0 ? sum / module.cell_count() : 0.0;
}

}  // namespace

/// Every module starts from a stored record whose SOC is wrong (up where the truth is low, down
/// where it is high), as after a long storage with a sensor that drifted.
void plant_wrong_soc_records(sim::LockstepRunner& runner, double wrong_by, double claimed_sd) {
  plant::SystemPlant& plant = runner.plant();
  for (int b = 0; b < plant.bdu_count(); ++b) {
    for (int m = 0; m < plant.module_count(b); ++m) {
      const double truth = plant.module(b, m).truth().soc_mean;
      const double wrong = truth < 0.5 ? truth + wrong_by : truth - wrong_by;
      firmware::ModuleRecord record;
      record.soc_ppm = static_cast<std::int32_t>(std::lround(wrong * 1e6));
      record.soc_sd_ppm = static_cast<std::int32_t>(std::lround(claimed_sd * 1e6));
      record.current_bias_sd_uA = 50000;
      const auto image = firmware::nvm_encode(record, firmware::kModuleRecordVersion);
      runner.module_hal(b, m).nvm_bytes().assign(image.bytes.begin(), image.bytes.end());
    }
  }
}

namespace {

struct ErrorAccumulator {
  double sum_squares = 0.0;
  double max_abs = 0.0;
  long samples = 0;
  void add(double error_percent) {
    sum_squares += error_percent * error_percent;
    max_abs = std::max(max_abs, std::fabs(error_percent));
    ++samples;
  }
  SocErrorStats stats() const {
    return {samples > 0 ? std::sqrt(sum_squares / static_cast<double>(samples)) : 0.0, max_abs,
            samples};
  }
};

}  // namespace

std::vector<SocBenchCase> soc_bench_cases() {
  return {{"e10-25degC", "e10", false},
          {"e10-winter", "e10", true},
          {"e40-25degC", "e40", false},
          {"e40-winter", "e40", true}};
}

SocBenchResult run_soc_bench(const SocBenchCase& bench_case, double days, unsigned long seed) {
  SocBenchResult result;
  result.bench_case = bench_case;
  result.days = days;
  const plant::SystemDescription description = soc_bench_system(bench_case, seed);
  result.modules = description.module_count();
  sim::Scenario scenario;
  scenario.name = "soc-bench";
  sim::LockstepRunner runner(description, scenario);
  plant_wrong_soc_records(runner, kWrongStart, kRecordClaimedSd);

  const double duration_s = days * kSecondsPerDay;
  const double score_from_s = days > 1.0 ? kSecondsPerDay : duration_s / 4.0;
  ErrorAccumulator bdu_errors, module_errors;
  const auto wall_start = std::chrono::steady_clock::now();
  plant::SystemPlant& plant = runner.plant();
  for (double t = kScoreInterval_s; t <= duration_s + 1e-6; t += kScoreInterval_s) {
    runner.advance_to(t);
    if (t < score_from_s) continue;
    for (int b = 0; b < plant.bdu_count(); ++b) {
      double weighted_truth = 0.0, capacity = 0.0;
      for (int m = 0; m < plant.module_count(b); ++m) {
        const plant::Module& module = plant.module(b, m);
        const double truth = module.truth().soc_mean;
        const double module_capacity_Ah = mean_cell_capacity_Ah(module);
        weighted_truth += truth * module_capacity_Ah;
        capacity += module_capacity_Ah;
        const firmware::ModuleBms& bms = runner.module(b, m);
        module_errors.add(bms.soc_permille() * 0.1 - truth * 100.0);
        const double sd_percent = bms.soc_uncertainty_permille() * 0.1;
        result.max_uncertainty_percent = std::max(result.max_uncertainty_percent, sd_percent);
      }
      if (capacity > 0.0)
        bdu_errors.add(runner.bdu(b).soc_permille() * 0.1 - weighted_truth / capacity * 100.0);
    }
  }
  result.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.real_time_factor = result.wall_s > 0.0 ? duration_s / result.wall_s : 0.0;
  result.bdu = bdu_errors.stats();
  result.module = module_errors.stats();
  for (int b = 0; b < plant.bdu_count(); ++b) {
    for (int m = 0; m < plant.module_count(b); ++m) {
      const firmware::ModuleBms& bms = runner.module(b, m);
      result.final_uncertainty_percent =
          std::max(result.final_uncertainty_percent, bms.soc_uncertainty_permille() * 0.1);
      result.calibration_requested_at_end |= bms.calibration_charge_requested();
    }
  }
  return result;
}

std::string soc_bench_json(const std::vector<SocBenchResult>& results) {
  using nlohmann::json;
  json j;
  j["benchmark"] = "soc";
  j["aim"] = {{"rmse_percent", kAimRmse_percent}, {"max_error_percent", kAimMax_percent}};
  j["conditions"] =
      "PV home day, sensor errors on (current offset 50 mA, gain 0.5 %, cell voltage noise 2 mV, "
      "temperature offset 1 degC), cell spread on, every module's record 20 % wrong; scored "
      "every minute after the first day against the plant's ground truth";
  bool met = true;
  json cases = json::array();
  for (const SocBenchResult& r : results) {
    auto stats = [](const SocErrorStats& s) {
      return json{{"rmse_percent", s.rmse_percent},
                  {"max_error_percent", s.max_percent},
                  {"samples", s.samples}};
    };
    const bool case_met =
        r.bdu.rmse_percent <= kAimRmse_percent && r.module.rmse_percent <= kAimRmse_percent &&
        r.bdu.max_percent <= kAimMax_percent && r.module.max_percent <= kAimMax_percent;
    met = met && case_met;
    cases.push_back({{"name", r.bench_case.name},
                     {"system", r.bench_case.system},
                     {"ambient", r.bench_case.winter ? "winter garage" : "constant 25 degC"},
                     {"days", r.days},
                     {"modules", r.modules},
                     {"bdu_soc", stats(r.bdu)},
                     {"module_soc", stats(r.module)},
                     {"max_uncertainty_percent", r.max_uncertainty_percent},
                     {"final_uncertainty_percent", r.final_uncertainty_percent},
                     {"calibration_requested_at_end", r.calibration_requested_at_end},
                     {"aim_met", case_met},
                     {"wall_s", r.wall_s},
                     {"real_time_factor", r.real_time_factor}});
  }
  j["cases"] = cases;
  j["aim_met"] = met;
  return j.dump(2);
}

}  // namespace bts::app
