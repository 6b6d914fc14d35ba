// Cell ageing: BLAST-Lite 250 Ah LFP capacity fade (calendar and cycle) and Naumann resistance
// growth, checked against the closed forms written out here, plus state continuation, the update
// interval and pre-ageing.
#include <gtest/gtest.h>

#include <cmath>

#include "plant/cell.hpp"
#include "plant/cell_parameters.hpp"

namespace bts::plant {
namespace {

constexpr double kDay_s = 86400.0;

// ---- Closed forms of the published models (independent of the implementation) ----

double anode_potential(double soc) {
  const double x = 0.0085 + soc * (0.78 - 0.0085);
  return 0.6379 + 0.5416 * std::exp(-305.5309 * x) + 0.044 * std::tanh(-(x - 0.1958) / 0.1088) -
         0.1978 * std::tanh((x - 1.0571) / 0.0854) - 0.6875 * std::tanh((x + 0.0117) / 0.0529) -
         0.0175 * std::tanh((x - 0.5692) / 0.0875);
}

double k_calendar(double temperature_degC, double soc) {
  const double t_K = temperature_degC + 273.15;
  return 8.37e4 * std::exp(-5.21e3 / t_K) * std::exp(-3.56e3 * anode_potential(soc) / t_K);
}

double calendar_fade(double temperature_degC, double soc, double days) {
  return k_calendar(temperature_degC, soc) * std::pow(days, 0.526);
}

double k_cycle(double temperature_degC, double dod, double c_rate) {
  const double t_K = temperature_degC + 273.15;
  return (4.38e-8 + 1.55e-8 * dod + 1.68e-7 * c_rate) *
         (std::exp(2.19e3 / t_K) + std::exp(-1.55e5 / t_K));
}

double naumann_calendar_resistance_per_s(double temperature_degC, double mean_square_soc_offset) {
  const double t_K = temperature_degC + 273.15;
  return 3.4194e-10 * std::exp(-71827.0 / 8.314462618 * (1.0 / t_K - 1.0 / 298.15)) *
         (-3.3903 * mean_square_soc_offset + 1.5604);
}

double naumann_cycle_resistance_per_cycle(double dod, double c_rate) {
  return (-0.0020 * c_rate + 0.0021) * (6.8477 * std::pow(dod - 0.5, 3) + 0.9182) / 100.0;
}

// Rest: no self-discharge (SOC stays put), so the calendar stress is exactly known.
LfpCellParameters storage_parameters() {
  LfpCellParameters p = LfpCellParameters::lfp_default();
  p.self_discharge_per_month = 0.0;
  return p;
}

void store(Cell& cell, double days, double temperature_degC, double dt_s = 3600.0) {
  const long steps = std::lround(days * kDay_s / dt_s);
  for (long k = 0; k < steps; ++k) cell.step(0.0, dt_s, temperature_degC);
}

// ---------------------------------------------------------------------------------------------

TEST(CellAgeing, CalendarYearAt25CMatchesClosedForm) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  store(cell, 365.0, 25.0);
  const double expected = calendar_fade(25.0, 0.5, 365.0);
  EXPECT_NEAR(expected, 0.011, 0.0005);  // modeling.md 4.2: 1.1 %/yr
  EXPECT_NEAR(cell.ageing().calendar_fade, expected, 0.0005);
  EXPECT_NEAR(cell.ageing().calendar_fade, expected, 1e-9);  // exact under constant stress
  EXPECT_DOUBLE_EQ(cell.ageing().cycle_fade, 0.0);
  EXPECT_NEAR(cell.capacity_Ah(), 100.0 * (1.0 - expected), 1e-7);
  // Naumann calendar resistance growth, linear in time.
  EXPECT_NEAR(cell.ageing().resistance_growth,
              naumann_calendar_resistance_per_s(25.0, 0.0) * 365.0 * kDay_s, 1e-9);
  EXPECT_NEAR(cell.ageing().calendar_time_s, 365.0 * kDay_s, 1e-3);
}

TEST(CellAgeing, CalendarFadeIsFasterWhenWarm) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell warm(chemistry, CellSpread{}, 0.5, 45.0);
  store(warm, 365.0, 45.0);
  EXPECT_NEAR(warm.ageing().calendar_fade, calendar_fade(45.0, 0.5, 365.0), 1e-9);
  EXPECT_GT(warm.ageing().calendar_fade, 3.0 * calendar_fade(25.0, 0.5, 365.0));
  EXPECT_GT(warm.ageing().resistance_growth,
            5.0 * naumann_calendar_resistance_per_s(25.0, 0.0) * 365.0 * kDay_s);
}

TEST(CellAgeing, CalendarFadeDependsOnSocThroughAnodePotential) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell high(chemistry, CellSpread{}, 0.95, 25.0);
  Cell low(chemistry, CellSpread{}, 0.10, 25.0);
  store(high, 100.0, 25.0);
  store(low, 100.0, 25.0);
  EXPECT_NEAR(high.ageing().calendar_fade, calendar_fade(25.0, 0.95, 100.0), 1e-9);
  EXPECT_NEAR(low.ageing().calendar_fade, calendar_fade(25.0, 0.10, 100.0), 1e-9);
  EXPECT_GT(high.ageing().calendar_fade, low.ageing().calendar_fade);
}

TEST(CellAgeing, VirtualTimeCarriesFadeAcrossStressChanges) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, 45.0);
  store(cell, 182.5, 45.0);
  cell.set_temperature_degC(25.0);  // skip the cool-down so the stress switches at once
  store(cell, 182.5, 25.0);
  const double after_warm = calendar_fade(45.0, 0.5, 182.5);
  const double virtual_days = std::pow(after_warm / k_calendar(25.0, 0.5), 1.0 / 0.526);
  const double expected = k_calendar(25.0, 0.5) * std::pow(virtual_days + 182.5, 0.526);
  EXPECT_NEAR(cell.ageing().calendar_fade, expected, 1e-9);
  EXPECT_GT(cell.ageing().calendar_fade, calendar_fade(25.0, 0.5, 365.0));
  EXPECT_LT(cell.ageing().calendar_fade, calendar_fade(45.0, 0.5, 365.0));
}

TEST(CellAgeing, AdvancesEveryUpdateIntervalAndOnLongSteps) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell fine(chemistry, CellSpread{}, 0.5, 25.0);
  for (int k = 0; k < 59; ++k) fine.step(0.0, 1.0, 25.0);
  EXPECT_DOUBLE_EQ(fine.ageing().calendar_time_s, 0.0);
  fine.step(0.0, 1.0, 25.0);
  EXPECT_NEAR(fine.ageing().calendar_time_s, 60.0, 1e-9);
  EXPECT_GT(fine.ageing().calendar_fade, 0.0);

  // One day in one step and in 60 s steps give the same fade (exact continuation).
  Cell coarse(chemistry, CellSpread{}, 0.5, 25.0);
  Cell stepped(chemistry, CellSpread{}, 0.5, 25.0);
  coarse.step(0.0, kDay_s, 25.0);
  store(stepped, 1.0, 25.0, 60.0);
  EXPECT_NEAR(coarse.ageing().calendar_fade, stepped.ageing().calendar_fade,
              1e-9 * coarse.ageing().calendar_fade);
  EXPECT_NEAR(coarse.ageing().calendar_fade, calendar_fade(25.0, 0.5, 1.0), 1e-12);
}

TEST(CellAgeing, CycleFadeMatchesClosedFormAfter1000Cycles) {
  // Temperature pinned to 25 degC so the temperature stress is known.
  LfpCellParameters p = LfpCellParameters::lfp_default();
  p.conductance_to_module_W_per_K = 1.0e6;
  p.self_discharge_per_month = 0.0;
  const LfpChemistry chemistry(p, AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  const double current_A = 50.0;  // 0.5C
  const double dt_s = 30.0;
  double direction = 1.0;  // discharge first
  while (cell.ageing().equivalent_full_cycles < 1000.0) {
    if (direction > 0.0 && cell.soc() <= 0.05) direction = -1.0;
    if (direction < 0.0 && cell.soc() >= 0.95) direction = 1.0;
    cell.step(direction * current_A, dt_s, 25.0);
  }
  const double cycles = cell.ageing().equivalent_full_cycles;
  const double expected_cycle_fade = k_cycle(25.0, 0.9, 0.5) * std::pow(cycles, 0.828);
  EXPECT_NEAR(expected_cycle_fade, 0.067, 0.003);  // modeling.md 4.2: 6.8 % at DOD 1
  EXPECT_NEAR(cell.ageing().cycle_fade, expected_cycle_fade, 0.01 * expected_cycle_fade);
  EXPECT_NEAR(cell.ageing().throughput_Ah, 2.0 * 100.0 * cycles, 1e-6 * cycles);

  // Calendar fade kept running for the ~170 days (mean SOC 0.5 swept 0.05..0.95).
  const double days = cell.ageing().calendar_time_s / kDay_s;
  EXPECT_GT(days, 150.0);
  EXPECT_GT(cell.ageing().calendar_fade, 0.5 * calendar_fade(25.0, 0.5, days));
  EXPECT_LT(cell.ageing().calendar_fade, 2.0 * calendar_fade(25.0, 0.5, days));

  // Resistance: Naumann cycle term at DOD 0.9, 0.5C plus the calendar term over the swept SOC
  // (mean of (SOC - 0.5)^2 for a uniform sweep over 0.05..0.95 is 0.45^2 / 3).
  const double expected_growth =
      naumann_cycle_resistance_per_cycle(0.9, 0.5) * cycles +
      naumann_calendar_resistance_per_s(25.0, 0.45 * 0.45 / 3.0) * cell.ageing().calendar_time_s;
  EXPECT_NEAR(cell.ageing().resistance_growth, expected_growth, 0.02 * expected_growth);
}

TEST(CellAgeing, DisabledAgeingKeepsCapacityButCountsCycles) {
  AgeingParameters off;
  off.enabled = false;
  const LfpChemistry chemistry(storage_parameters(), off);
  Cell cell(chemistry, CellSpread{}, 0.5, 45.0);
  store(cell, 365.0, 45.0);
  for (int k = 0; k < 72; ++k) cell.step(50.0, 10.0, 25.0);  // 10 Ah
  EXPECT_DOUBLE_EQ(cell.capacity_Ah(), 100.0);
  EXPECT_DOUBLE_EQ(cell.ageing().resistance_growth, 0.0);
  EXPECT_NEAR(cell.ageing().throughput_Ah, 10.0, 1e-6);
  EXPECT_NEAR(cell.ageing().equivalent_full_cycles, 0.05, 1e-8);
}

TEST(CellAgeing, PreageToStateOfHealth) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  cell.preage_to_state_of_health(0.8);
  EXPECT_NEAR(cell.capacity_Ah(), 80.0, 1e-9);
  EXPECT_NEAR(cell.state_of_health(), 0.8, 1e-12);

  // The documented reference duty: 25 degC, 50 % mean SOC, one 80 % DOD cycle per day at 0.5C.
  const double days = cell.ageing().calendar_time_s / kDay_s;
  EXPECT_NEAR(cell.ageing().equivalent_full_cycles, days, 1e-9);
  EXPECT_NEAR(cell.ageing().calendar_fade, calendar_fade(25.0, 0.5, days), 1e-6);
  EXPECT_NEAR(cell.ageing().cycle_fade, k_cycle(25.0, 0.8, 0.5) * std::pow(days, 0.828), 1e-6);
  const double expected_growth = naumann_calendar_resistance_per_s(25.0, 0.0) * days * kDay_s +
                                 naumann_cycle_resistance_per_cycle(0.8, 0.5) * days;
  EXPECT_NEAR(cell.ageing().resistance_growth, expected_growth, 1e-9);
  EXPECT_GT(days, 2000.0);  // roughly 8 years of daily cycling
  EXPECT_LT(days, 4000.0);
  EXPECT_NEAR(cell.resistance_dc_Ohm(), 0.75e-3 * (1.0 + expected_growth), 1e-12);

  // Ageing continues from the pre-aged state, slower than a fresh cell's first year.
  Cell fresh(chemistry, CellSpread{}, 0.5, 25.0);
  const double before = cell.ageing().calendar_fade;
  store(cell, 365.0, 25.0);
  store(fresh, 365.0, 25.0);
  EXPECT_GT(cell.ageing().calendar_fade - before, 0.0);
  EXPECT_LT(cell.ageing().calendar_fade - before, 0.5 * fresh.ageing().calendar_fade);
}

TEST(CellAgeing, PreageScalesWithSpreadAndFreshMeansFresh) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  CellSpread spread;
  spread.capacity_factor = 1.02;
  Cell cell(chemistry, spread, 0.5, 25.0);
  cell.preage_to_state_of_health(0.9);
  EXPECT_NEAR(cell.capacity_Ah(), 0.9 * 102.0, 1e-9);
  Cell fresh(chemistry, CellSpread{}, 0.5, 25.0);
  fresh.preage_to_state_of_health(1.0);
  EXPECT_DOUBLE_EQ(fresh.capacity_Ah(), 100.0);
  EXPECT_DOUBLE_EQ(fresh.ageing().resistance_growth, 0.0);
}

TEST(CellAgeing, ProjectionMatchesClosedForms) {
  const LfpChemistry chemistry(storage_parameters(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  // Ten years of storage plus 3650 cycles of 90 % depth at 0.5C, in one call.
  const double days = 3650.0;
  const double cycles = 3650.0;
  cell.project_ageing(days * kDay_s, 0.5, 25.0, 2.0 * 100.0 * cycles, 0.9, 0.5);
  EXPECT_NEAR(cell.ageing().calendar_fade, calendar_fade(25.0, 0.5, days), 1e-12);
  EXPECT_NEAR(cell.ageing().calendar_fade, 0.037, 0.001);  // modeling.md 4.2: 3.7 % in 10 years
  EXPECT_NEAR(cell.ageing().cycle_fade, k_cycle(25.0, 0.9, 0.5) * std::pow(cycles, 0.828), 1e-12);
  EXPECT_NEAR(cell.ageing().equivalent_full_cycles, cycles, 1e-9);
  EXPECT_NEAR(cell.ageing().resistance_growth,
              naumann_calendar_resistance_per_s(25.0, 0.0) * days * kDay_s +
                  naumann_cycle_resistance_per_cycle(0.9, 0.5) * cycles,
              1e-12);
  EXPECT_DOUBLE_EQ(cell.soc(), 0.5);
  // Projecting in two halves gives the same state (exact continuation under constant stress).
  Cell halves(chemistry, CellSpread{}, 0.5, 25.0);
  for (int i = 0; i < 2; ++i) {
    halves.project_ageing(0.5 * days * kDay_s, 0.5, 25.0, 100.0 * cycles, 0.9, 0.5);
  }
  EXPECT_NEAR(halves.ageing().calendar_fade, cell.ageing().calendar_fade, 1e-12);
  EXPECT_NEAR(halves.ageing().cycle_fade, cell.ageing().cycle_fade, 1e-12);
}

}  // namespace
}  // namespace bts::plant
