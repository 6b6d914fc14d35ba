#pragma once
// `bts bench soc`: the SOC estimator against the plant's ground truth. Each case runs a built-in
// system on the PV home profile with sensor errors on (current offset 50 mA and gain 0.5 %, cell
// voltage noise 2 mV, temperature offsets 1 degC), cell spread on, and every module's record
// holding an SOC 20 % wrong; it scores the BDU and module SOC every minute after the first day.
#include <string>
#include <vector>

#include "plant/system_description.hpp"

namespace bts::sim {
class LockstepRunner;
}

namespace bts::app {

struct SocBenchCase {
  std::string name;     // "e10-25degC"
  std::string system;   // built-in system name
  bool winter = false;  // winter garage ambient instead of a constant 25 degC
};

struct SocErrorStats {
  double rmse_percent = 0.0;
  double max_percent = 0.0;
  long samples = 0;
};

struct SocBenchResult {
  SocBenchCase bench_case;
  double days = 0.0;
  int modules = 0;
  SocErrorStats bdu;     // every BDU's reported SOC against its capacity-weighted truth
  SocErrorStats module;  // every module's reported SOC against its cells' mean
  double max_uncertainty_percent = 0.0;  // largest module 1 sigma after the first day
  double final_uncertainty_percent = 0.0;
  bool calibration_requested_at_end = false;
  double wall_s = 0.0;
  double real_time_factor = 0.0;
};

/// The system of a case: the built-in system with the bench's sensor errors, household and ambient.
plant::SystemDescription soc_bench_system(const SocBenchCase& bench_case, unsigned long seed);

/// Stores in every module's memory a record whose SOC is wrong_by off the plant's truth (up where
/// the truth is below half, down above), claiming an uncertainty of claimed_sd.
void plant_wrong_soc_records(sim::LockstepRunner& runner, double wrong_by, double claimed_sd);

/// The four cases of the issue: E10 and E40, each at 25 degC and in a winter garage.
std::vector<SocBenchCase> soc_bench_cases();

/// Runs one case for `days` simulated days (scoring starts after the first day, or at once when
/// days <= 1, after a quarter of the run).
SocBenchResult run_soc_bench(const SocBenchCase& bench_case, double days, unsigned long seed);

/// The whole report as one JSON object (aim, cases, whether the aim is met).
std::string soc_bench_json(const std::vector<SocBenchResult>& results);

}  // namespace bts::app
