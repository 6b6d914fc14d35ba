// Cost of one cell step: 128 cells (8 modules x 16) at dt = 0.01 s with a varying current.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "plant/cell.hpp"
#include "plant/cell_parameters.hpp"
#include "plant/random.hpp"

namespace {

using bts::plant::AgeingParameters;
using bts::plant::Cell;
using bts::plant::CellSpreadParameters;
using bts::plant::LfpCellParameters;
using bts::plant::LfpChemistry;
using bts::plant::Rng;

constexpr int kModules = 8;
constexpr int kCellsPerModule = 16;
constexpr int kCells = kModules * kCellsPerModule;
constexpr double kDt_s = 0.01;
constexpr std::size_t kProfileLength = 1 << 16;  // 655 s of current at 100 Hz

// A module current: slow charge/discharge swing, a faster load ripple and converter-like noise;
// mean zero over the profile so SOC stays bounded however long the benchmark runs.
std::vector<double> current_profile(Rng& rng) {
  std::vector<double> profile(kProfileLength);
  const double two_pi = 2.0 * 3.14159265358979323846;
  const double duration_s = kProfileLength * kDt_s;
  for (std::size_t k = 0; k < kProfileLength; ++k) {
    const double t_s = static_cast<double>(k) * kDt_s;
    profile[k] = 60.0 * std::sin(two_pi * t_s / duration_s) +
                 15.0 * std::sin(two_pi * 37.0 * t_s / duration_s) + 2.0 * rng.normal();
  }
  return profile;
}

// 128 cells with the project's spread, all at 50 % SOC and 25 degC, and one current profile per
// module (drawn after the cells, from the same generator).
struct CellRig {
  explicit CellRig(const LfpChemistry& chemistry) {
    Rng rng(12345);
    cells.reserve(kCells);
    for (int i = 0; i < kCells; ++i) {
      cells.emplace_back(chemistry, bts::plant::draw_cell_spread(CellSpreadParameters{}, rng), 0.5,
                         25.0);
    }
    for (int m = 0; m < kModules; ++m) profiles.push_back(current_profile(rng));
  }
  Cell* module_cells(int module) {
    return &cells[static_cast<std::size_t>(module * kCellsPerModule)];
  }
  double module_current_A(int module, std::size_t k) const {
    return profiles[static_cast<std::size_t>(module)][k];
  }
  std::vector<Cell> cells;
  std::vector<std::vector<double>> profiles;
};

// Cell steps per second, inverted: time per cell step (printed with an SI prefix, e.g. "16ns").
void report_cell_steps(benchmark::State& state) {
  const double cell_steps = static_cast<double>(state.iterations()) * kCells;
  state.counters["time_per_cell_step"] =
      benchmark::Counter(cell_steps, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(cell_steps));
}

void BM_CellStep128(benchmark::State& state) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  CellRig rig(chemistry);
  std::size_t k = 0;
  for (auto _ : state) {
    for (int m = 0; m < kModules; ++m) {
      const double current_A = rig.module_current_A(m, k);
      Cell* cells = rig.module_cells(m);
      for (int c = 0; c < kCellsPerModule; ++c) cells[c].step(current_A, kDt_s, 25.0);
    }
    k = (k + 1) & (kProfileLength - 1);
  }
  benchmark::DoNotOptimize(rig.cells.front().terminal_voltage_V());
  report_cell_steps(state);
}
BENCHMARK(BM_CellStep128);

/// Puts the rig's cells into shared state blocks, four cells a block, as a plant::Module does.
std::vector<bts::plant::CellStateBlock> share_state_blocks(CellRig& rig) {
  std::vector<bts::plant::CellStateBlock> blocks(kCells / bts::plant::kCellLanes);
  for (std::size_t i = 0; i < rig.cells.size(); ++i) {
    rig.cells[i].use_state_block(blocks[i / bts::plant::kCellLanes],
                                 static_cast<int>(i % bts::plant::kCellLanes));
  }
  return blocks;
}

// The same cells and currents, each module's cells stepped in pairs that share a state block (as a
// plant::Module steps them without AVX: two cells per SSE2 instruction).
void BM_CellStep128_Pairs(benchmark::State& state) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  CellRig rig(chemistry);
  const std::vector<bts::plant::CellStateBlock> blocks = share_state_blocks(rig);
  std::size_t k = 0;
  for (auto _ : state) {
    for (int m = 0; m < kModules; ++m) {
      const double current_A = rig.module_current_A(m, k);
      Cell* cells = rig.module_cells(m);
      for (int c = 0; c < kCellsPerModule; c += 2) {
        Cell::step_pair_with_external_heat(cells[c], cells[c + 1], current_A, current_A, kDt_s,
                                           25.0, 0.0, 0.0);
      }
    }
    k = (k + 1) & (kProfileLength - 1);
  }
  benchmark::DoNotOptimize(rig.cells.front().terminal_voltage_V());
  report_cell_steps(state);
}
BENCHMARK(BM_CellStep128_Pairs);

// The same, four cells per AVX instruction (as a plant::Module steps them where the processor
// has AVX).
void BM_CellStep128_Quads(benchmark::State& state) {
  if (!Cell::avx_available()) {
    state.SkipWithError("this processor has no AVX");
    return;
  }
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  CellRig rig(chemistry);
  const std::vector<bts::plant::CellStateBlock> blocks = share_state_blocks(rig);
  std::size_t k = 0;
  const std::array<double, 4> no_heat_W{};
  for (auto _ : state) {
    for (int m = 0; m < kModules; ++m) {
      const double current_A = rig.module_current_A(m, k);
      const std::array<double, 4> currents_A{current_A, current_A, current_A, current_A};
      Cell* cells = rig.module_cells(m);
      for (int c = 0; c < kCellsPerModule; c += 4) {
        Cell::step_quad_with_external_heat(cells + c, currents_A.data(), kDt_s, 25.0,
                                           no_heat_W.data());
      }
    }
    k = (k + 1) & (kProfileLength - 1);
  }
  benchmark::DoNotOptimize(rig.cells.front().terminal_voltage_V());
  report_cell_steps(state);
}
BENCHMARK(BM_CellStep128_Quads);

}  // namespace
