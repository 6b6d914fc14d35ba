// Cost of the physical plant: a two-BDU, eight-module (128-cell) system stepped at 10 ms.
// Reports ns per cell-step and the real-time factor (simulated seconds per wall second).
#include <benchmark/benchmark.h>

#include "plant/system_plant.hpp"
#include "sim/reference_controller.hpp"

namespace {

constexpr double kStep_s = 0.01;

bts::plant::SystemDescription e40(bts::plant::HouseholdProfileKind household) {
  bts::plant::SystemDescription description;
  bts::plant::builtin_system("e40", description);
  description.household.kind = household;
  return description;
}

int cell_count(const bts::plant::SystemPlant& plant) {
  int cells = 0;
  for (int b = 0; b < plant.bdu_count(); ++b) {
    for (int m = 0; m < plant.module_count(b); ++m) cells += plant.module(b, m).cell_count();
  }
  return cells;
}

void report(benchmark::State& state, int cells) {
  const double steps = static_cast<double>(state.iterations());
  state.counters["cells"] = cells;
  // kIsRate|kInvert turns a count into seconds per count; the report prints it with its unit.
  state.counters["time_per_cell_step"] = benchmark::Counter(
      steps * cells, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["real_time_factor"] =
      benchmark::Counter(steps * kStep_s, benchmark::Counter::kIsRate);
}

// The plant alone: relays closed, household idle, converters running at zero current.
void BM_PlantStep_E40_Idle(benchmark::State& state) {
  bts::plant::SystemPlant plant(e40(bts::plant::HouseholdProfileKind::Idle));
  bts::sim::ReferenceController controller(plant);
  for (int i = 0; i < 6000; ++i) {  // one minute to bring the buses up and close the relays
    controller.update(kStep_s);
    plant.step(kStep_s);
  }
  for (auto _ : state) {
    plant.step(kStep_s);
    benchmark::DoNotOptimize(plant.time_s());
  }
  report(state, cell_count(plant));
}
BENCHMARK(BM_PlantStep_E40_Idle);

// The plant on a PV home day with the reference controller reading all sensors every 100 ms.
void BM_PlantStep_E40_PvHome_ControllerEvery100ms(benchmark::State& state) {
  bts::plant::SystemPlant plant(e40(bts::plant::HouseholdProfileKind::PvHomeDay));
  bts::sim::ReferenceController controller(plant);
  for (int i = 0; i < 6000; ++i) {
    controller.update(kStep_s);
    plant.step(kStep_s);
  }
  int step = 0;
  for (auto _ : state) {
    if (++step % 10 == 0) controller.update(kStep_s * 10);
    plant.step(kStep_s);
    benchmark::DoNotOptimize(plant.time_s());
  }
  report(state, cell_count(plant));
}
BENCHMARK(BM_PlantStep_E40_PvHome_ControllerEvery100ms);

}  // namespace
