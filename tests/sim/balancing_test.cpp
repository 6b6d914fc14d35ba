// Passive cell balancing through the whole system (firmware/module_bms/balancing.hpp,
// docs/firmware.md "Cell balancing"): cells of one module that start at different SOC are bled on
// the upper knee, where voltage tells SOC, until their spread is gone; the spread never grows while
// it works.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::sim {
namespace {

double cell_soc_spread(LockstepRunner& runner) {
  const plant::ModuleTruth truth = runner.plant().module(0, 0).truth();
  return truth.soc_max - truth.soc_min;
}

TEST(Balancing, CellsAtDifferentSocConvergeOnTheUpperKnee) {
  plant::SystemDescription system;
  ASSERT_TRUE(plant::builtin_system("e5", system));
  // Only the SOC differs between cells (same capacity, same self-discharge): what balancing is for.
  system.spread.initial_soc_sd = 0.01;
  system.spread.capacity_relative_sd = 0.0;
  system.spread.self_discharge_relative_sd = 0.0;
  system.bdus[0].modules[0].initial_soc = 0.85;
  system.household.kind = plant::HouseholdProfileKind::ConstantPower;
  system.household.constant_power_W = -800.0;  // charged to full, then held there
  LockstepRunner runner(system, Scenario{});
  runner.advance_to(60.0);
  const double start = cell_soc_spread(runner);
  ASSERT_GT(start, 0.02) << "the cells start a few percent apart";
  std::vector<double> spreads;
  for (int hour = 1; hour <= 48; ++hour) {
    runner.advance_to(hour * 3600.0);
    spreads.push_back(cell_soc_spread(runner));
  }
  // Once on the knee the spread only shrinks (each hour no wider than the hour before, within
  // the measurement's 0.05 % of a cell's quantisation and relaxation).
  for (std::size_t k = 6; k < spreads.size(); ++k) {
    EXPECT_LE(spreads[k], spreads[k - 1] + 0.0005) << "hour " << k + 1;
  }
  std::printf("cell SOC spread: start %.2f %%, after 24 h %.2f %%, after 48 h %.2f %%\n",
              start * 100.0, spreads[23] * 100.0, spreads.back() * 100.0);
  EXPECT_LT(spreads.back(), start / 2.0) << "start " << start << ", after 48 h " << spreads.back();
  EXPECT_FALSE(runner.bdu(0).codes().has(firmware::Code::A7));
  EXPECT_LE(runner.plant().extremes().cell_voltage_max_V, 3.65);
}

}  // namespace
}  // namespace bts::sim
