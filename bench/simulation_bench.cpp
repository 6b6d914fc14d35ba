// Real-time factor of the whole simulation: a two-BDU, eight-module system (E40, 128 cells) with
// every firmware node running (8 module BMSs, 2 BDU controllers), the Link buses and the COM
// bus, on a PV home day, for 24 simulated hours. Aim (issue 3): 10 000x real time on one core.
#include <benchmark/benchmark.h>

#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace {

void run_day(benchmark::State& state, const char* system) {
  bts::plant::SystemDescription description;
  bts::plant::builtin_system(system, description);
  const double day_s = 24.0 * 3600.0;
  double simulated_s = 0.0;
  for (auto _ : state) {
    bts::sim::RunnerOptions options;
    options.record_interval_s = 60.0;
    bts::sim::LockstepRunner runner(description, bts::sim::Scenario{}, options);
    const bts::sim::RunResult result = runner.run(day_s);
    simulated_s += result.simulated_s;
    benchmark::DoNotOptimize(result.snapshots.size());
  }
  state.counters["real_time_factor"] = benchmark::Counter(simulated_s, benchmark::Counter::kIsRate);
  state.counters["simulated_h"] = simulated_s / 3600.0 / static_cast<double>(state.iterations());
}

void BM_Simulate_E40_24h(benchmark::State& state) { run_day(state, "e40"); }
BENCHMARK(BM_Simulate_E40_24h)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void BM_Simulate_E10_24h(benchmark::State& state) { run_day(state, "e10"); }
BENCHMARK(BM_Simulate_E10_24h)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
