// The LFP cell: OCV and hysteresis, RC relaxation, capacity and energy, temperature dependence,
// heat, self-discharge, internal short, determinism and the production spread.
#include "plant/cell.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "plant/cell_parameters.hpp"
#include "plant/random.hpp"

namespace bts::plant {
namespace {

constexpr double kGasConstant = 8.314462618;

AgeingParameters no_ageing() {
  AgeingParameters a;
  a.enabled = false;
  return a;
}

// Default tables, but the cell's temperature pinned to its surroundings and no self-discharge,
// so electrical behaviour can be checked against closed forms.
LfpCellParameters isothermal_parameters() {
  LfpCellParameters p = LfpCellParameters::lfp_default();
  p.conductance_to_module_W_per_K = 1.0e6;
  p.self_discharge_per_month = 0.0;
  return p;
}

// Run a cell at a constant current for a duration.
void run(Cell& cell, double current_A, double duration_s, double dt_s, double surroundings_degC) {
  const long steps = std::lround(duration_s / dt_s);
  for (long k = 0; k < steps; ++k) cell.step(current_A, dt_s, surroundings_degC);
}

// ---------------------------------------------------------------------------------------------
// Tables

TEST(CellChemistry, OcvGridReproducesTablePoints) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  EXPECT_NEAR(chemistry.ocv_mean_V(0.00), 2.2862, 1e-12);
  EXPECT_NEAR(chemistry.ocv_mean_V(0.10), 3.1967, 1e-12);
  EXPECT_NEAR(chemistry.ocv_mean_V(0.50), 3.2995, 1e-12);
  EXPECT_NEAR(chemistry.ocv_mean_V(0.90), 3.3425, 1e-12);
  EXPECT_NEAR(chemistry.ocv_mean_V(1.00), 3.5305, 1e-12);
  // Between grid points the curve is linear: halfway between 50 % and 55 %.
  EXPECT_NEAR(chemistry.ocv_mean_V(0.525), 0.5 * (3.2995 + 3.3014), 1e-4);
}

TEST(CellChemistry, HysteresisGapMatchesTable) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  const double gap_at_half_V =
      chemistry.ocv_charge_branch_V(0.5) - chemistry.ocv_discharge_branch_V(0.5);
  EXPECT_NEAR(gap_at_half_V, 18.7e-3, 1e-6);
  for (double soc = 0.10; soc <= 0.90 + 1e-9; soc += 0.01) {
    const double gap_V = chemistry.ocv_charge_branch_V(soc) - chemistry.ocv_discharge_branch_V(soc);
    EXPECT_GE(gap_V, 15e-3) << "soc " << soc;
    EXPECT_LE(gap_V, 30e-3) << "soc " << soc;
  }
}

TEST(CellChemistry, OcvFallsAndRisesSteeplyBeyondTheTable) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  // End slopes of the 1 % segments: ~50 V per unit SOC at empty, ~17 V at full.
  EXPECT_LT(chemistry.ocv_mean_V(-0.01), chemistry.ocv_mean_V(0.0) - 0.4);
  EXPECT_GT(chemistry.ocv_mean_V(1.01), chemistry.ocv_mean_V(1.0) + 0.15);
  // Held beyond 4 % past either end.
  EXPECT_DOUBLE_EQ(chemistry.ocv_mean_V(-0.5), chemistry.ocv_mean_V(-0.04));
  EXPECT_DOUBLE_EQ(chemistry.ocv_mean_V(1.5), chemistry.ocv_mean_V(1.04));
}

TEST(CellChemistry, ResistanceFollowsArrhenius) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  const double expected = std::exp(20000.0 / kGasConstant * (1.0 / 283.15 - 1.0 / 298.15));
  EXPECT_NEAR(expected, 1.533, 0.002);
  EXPECT_NEAR(chemistry.resistance_temperature_factor(10.0), expected, 1e-9);
  EXPECT_NEAR(chemistry.resistance_temperature_factor(25.0), 1.0, 1e-12);

  Cell cold(chemistry, CellSpread{}, 0.5, 10.0);
  Cell warm(chemistry, CellSpread{}, 0.5, 25.0);
  EXPECT_NEAR(cold.resistance_dc_Ohm() / warm.resistance_dc_Ohm(), expected, 1e-9);
  // DC resistance at 25 degC in the plateau: R0 + R1 + R2 = 0.75 mOhm.
  EXPECT_NEAR(warm.resistance_dc_Ohm(), 0.75e-3, 1e-9);
}

TEST(CellChemistry, StoredEnergyIntegratesTheMeanOcv) {
  const LfpCellParameters parameters = LfpCellParameters::lfp_default();
  const LfpChemistry chemistry(parameters, AgeingParameters{});
  // Trapezoid over the original (non-uniform) table: the same curve, integrated independently.
  double integral_V = 0.0;
  const auto& table = parameters.ocv_mean_V;
  for (std::size_t i = 1; i < table.size(); ++i) {
    integral_V += 0.5 * (table[i - 1].value + table[i].value) * (table[i].soc - table[i - 1].soc);
  }
  EXPECT_NEAR(chemistry.ocv_integral_V(1.0), integral_V, 0.002 * integral_V);
  EXPECT_DOUBLE_EQ(chemistry.ocv_integral_V(0.0), 0.0);

  Cell full(chemistry, CellSpread{}, 1.0, 25.0);
  Cell half(chemistry, CellSpread{}, 0.5, 25.0);
  Cell empty(chemistry, CellSpread{}, 0.0, 25.0);
  EXPECT_NEAR(full.stored_energy_Wh(), 100.0 * integral_V, 0.002 * 100.0 * integral_V);
  EXPECT_NEAR(full.stored_energy_Wh(), 320.0, 12.0);  // 5120 Wh / 16 cells
  EXPECT_DOUBLE_EQ(empty.stored_energy_Wh(), 0.0);
  // The upper half holds more energy than the lower half (higher voltage).
  EXPECT_GT(full.stored_energy_Wh() - half.stored_energy_Wh(), half.stored_energy_Wh());
}

// ---------------------------------------------------------------------------------------------
// Hysteresis and relaxation

TEST(CellHysteresis, DischargeThenChargeMovesBetweenBranches) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.9, 25.0);
  run(cell, 50.0, 60.0 * 0.01 * 3600.0 / 0.5, 1.0, 25.0);  // 60 % of capacity at 0.5C
  ASSERT_NEAR(cell.soc(), 0.3, 0.002);
  EXPECT_LT(cell.hysteresis_state(), -0.999);
  EXPECT_NEAR(cell.open_circuit_voltage_V(), chemistry.ocv_discharge_branch_V(cell.soc()), 1e-4);

  // Resting four hours: the terminal voltage settles on the discharge branch.
  run(cell, 0.0, 4 * 3600.0, 10.0, 25.0);
  EXPECT_NEAR(cell.terminal_voltage_V(), chemistry.ocv_discharge_branch_V(cell.soc()), 1e-3);

  // Charging 20 % moves it to the charge branch; the gap then equals the table.
  run(cell, -50.0, 0.2 * 3600.0 / 0.5, 1.0, 25.0);
  EXPECT_GT(cell.hysteresis_state(), 0.99);
  const double gap_V = cell.open_circuit_voltage_V() - chemistry.ocv_discharge_branch_V(cell.soc());
  const double table_gap_V =
      chemistry.ocv_charge_branch_V(cell.soc()) - chemistry.ocv_discharge_branch_V(cell.soc());
  EXPECT_NEAR(gap_V, table_gap_V, 0.5e-3);
  EXPECT_NEAR(gap_V, 18.7e-3, 0.7e-3);  // at ~50 % SOC
  run(cell, 0.0, 4 * 3600.0, 10.0, 25.0);
  EXPECT_NEAR(cell.terminal_voltage_V(), chemistry.ocv_charge_branch_V(cell.soc()), 1e-3);
}

TEST(CellHysteresis, SmallSwingMovesOnlyPartWay) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  cell.set_hysteresis_state(-1.0);
  // Charging 1/gamma of capacity (3.33 %) moves h 63 % of the way from -1 to +1.
  const double swing = 1.0 / chemistry.parameters().hysteresis_rate;
  run(cell, -10.0, swing * 100.0 * 3600.0 / 10.0, 0.1, 25.0);
  EXPECT_NEAR(cell.hysteresis_state(), -1.0 + 2.0 * (1.0 - std::exp(-1.0)), 0.01);
}

TEST(CellRelaxation, VoltageRelaxesWithTheRcTimeConstants) {
  const LfpCellParameters p = isothermal_parameters();
  const LfpChemistry chemistry(p, no_ageing());
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  cell.set_hysteresis_state(-1.0);
  const double current_A = 100.0;
  const double pulse_s = 300.0;
  run(cell, current_A, pulse_s, 1.0, 25.0);  // SOC 0.5 -> 0.417: plateau, factor 1
  const double loaded_V = cell.terminal_voltage_V();

  const double v1_0 = current_A * p.r1_Ohm * (1.0 - std::exp(-pulse_s / p.tau1_s));
  const double v2_0 = current_A * p.r2_Ohm * (1.0 - std::exp(-pulse_s / p.tau2_s));
  EXPECT_NEAR(loaded_V, cell.open_circuit_voltage_V() - current_A * p.r0_Ohm - v1_0 - v2_0, 1e-6);

  // Overpotential while resting: v1(0) e^(-t/tau1) + v2(0) e^(-t/tau2).
  auto overpotential = [&]() { return cell.open_circuit_voltage_V() - cell.terminal_voltage_V(); };
  cell.step(0.0, 1.0, 25.0);
  EXPECT_NEAR(cell.terminal_voltage_V() - loaded_V,
              current_A * p.r0_Ohm + v1_0 * (1.0 - std::exp(-1.0 / p.tau1_s)) +
                  v2_0 * (1.0 - std::exp(-1.0 / p.tau2_s)),
              1e-7);
  run(cell, 0.0, p.tau1_s - 1.0, 1.0, 25.0);
  const double at_tau1 = v1_0 * std::exp(-1.0) + v2_0 * std::exp(-p.tau1_s / p.tau2_s);
  EXPECT_NEAR(overpotential(), at_tau1, 0.01 * at_tau1);
  run(cell, 0.0, p.tau2_s - p.tau1_s, 1.0, 25.0);
  const double at_tau2 = v1_0 * std::exp(-p.tau2_s / p.tau1_s) + v2_0 * std::exp(-1.0);
  EXPECT_NEAR(overpotential(), at_tau2, 0.01 * at_tau2);
}

// ---------------------------------------------------------------------------------------------
// Capacity, energy and the voltage ends

TEST(CellDischarge, HalfCRateStringDeliversRatedChargeAndEnergy) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  std::vector<Cell> cells;
  for (int i = 0; i < 16; ++i) {
    cells.emplace_back(chemistry, CellSpread{}, 1.0, 25.0);
    cells.back().set_hysteresis_state(-1.0);
  }
  const double current_A = 50.0;
  const double dt_s = 1.0;
  double charge_Ah = 0.0;
  double energy_Wh = 0.0;
  double min_V = 10.0;
  while (min_V > 2.5 && charge_Ah < 120.0) {
    min_V = 10.0;
    for (Cell& cell : cells) {
      cell.step(current_A, dt_s, 25.0);
      energy_Wh += cell.terminal_voltage_V() * current_A * dt_s / 3600.0;
      min_V = std::min(min_V, cell.terminal_voltage_V());
    }
    charge_Ah += current_A * dt_s / 3600.0;
  }
  EXPECT_NEAR(charge_Ah, 100.0, 2.0);
  EXPECT_NEAR(energy_Wh, 5120.0, 0.03 * 5120.0);
  EXPECT_LT(min_V, 2.5);
  EXPECT_GT(cells.front().soc(), -0.01);  // it got there by the steep end, not by running far
}

TEST(CellDischarge, ChargeEndRisesAbove365V) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.9, 25.0);
  cell.set_hysteresis_state(1.0);
  while (cell.terminal_voltage_V() <= 3.65 && cell.soc() < 1.05) cell.step(-50.0, 1.0, 25.0);
  EXPECT_GT(cell.terminal_voltage_V(), 3.65);
  EXPECT_GT(cell.soc(), 0.98);
  EXPECT_LT(cell.soc(), 1.01);
}

// ---------------------------------------------------------------------------------------------
// Heat and temperature

TEST(CellThermal, ApproachesSteadyStateWithTimeConstant) {
  // Constant heat: no entropic term, no hysteresis, temperature-independent resistance, and a
  // cell so large that SOC barely moves.
  LfpCellParameters p = LfpCellParameters::lfp_default();
  p.nominal_capacity_Ah = 1.0e4;
  p.entropic_coefficient_V_per_K = {{0.0, 0.0}, {1.0, 0.0}};
  p.hysteresis_half_gap_V = {{0.0, 0.0}, {1.0, 0.0}};
  p.resistance_soc_factor = {{0.0, 1.0}, {1.0, 1.0}};
  p.resistance_activation_energy_J_per_mol = 0.0;
  p.tau2_s = 10.0;
  p.self_discharge_per_month = 0.0;
  const LfpChemistry chemistry(p, no_ageing());
  Cell cell(chemistry, CellSpread{}, 0.5, 20.0);
  const double current_A = 100.0;
  const double heat_W = current_A * current_A * (p.r0_Ohm + p.r1_Ohm + p.r2_Ohm);
  const double rise_K = heat_W / p.conductance_to_module_W_per_K;
  const double tau_s = p.heat_capacity_J_per_K / p.conductance_to_module_W_per_K;

  run(cell, current_A, tau_s, 1.0, 20.0);
  EXPECT_NEAR(cell.heat_W(), heat_W, 1e-3 * heat_W);
  EXPECT_NEAR(cell.temperature_degC() - 20.0, rise_K * (1.0 - std::exp(-1.0)), 0.02 * rise_K);
  run(cell, current_A, 5.0 * tau_s, 1.0, 20.0);
  EXPECT_NEAR(cell.temperature_degC() - 20.0, rise_K, 0.01 * rise_K);
}

TEST(CellThermal, BernardiHeatIncludesHysteresisAndEntropicTerms) {
  const LfpCellParameters p = isothermal_parameters();
  const LfpChemistry chemistry(p, no_ageing());
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  cell.set_hysteresis_state(-1.0);
  const double current_A = 50.0;
  const double duration_s = 600.0;
  run(cell, current_A, duration_s, 1.0, 25.0);
  const double soc = cell.soc();
  const double joule_W = current_A * current_A *
                         (p.r0_Ohm + p.r1_Ohm * (1.0 - std::exp(-duration_s / p.tau1_s)) +
                          p.r2_Ohm * (1.0 - std::exp(-duration_s / p.tau2_s)));
  const double hysteresis_W = current_A * chemistry.hysteresis_half_gap_V(soc);
  const double entropic_W = -current_A * 298.15 * chemistry.entropic_coefficient_V_per_K(soc);
  ASSERT_LT(entropic_W, -1.0);  // endothermic discharge in the plateau (dU/dT > 0)
  EXPECT_NEAR(cell.heat_W(), joule_W + hysteresis_W + entropic_W, 0.05);
}

TEST(CellThermal, HourLongStepsFollowTheExactExponential) {
  const LfpCellParameters p = LfpCellParameters::lfp_default();
  const LfpChemistry chemistry(p, no_ageing());
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  cell.set_external_heat_W(10.0);
  const double tau_s = p.heat_capacity_J_per_K / p.conductance_to_module_W_per_K;
  const double rise_K = 10.0 / p.conductance_to_module_W_per_K;
  cell.step(0.0, 3600.0, 25.0);
  EXPECT_NEAR(cell.temperature_degC(), 25.0 + rise_K * (1.0 - std::exp(-3600.0 / tau_s)), 1e-9);
  for (int hour = 0; hour < 10; ++hour) {
    cell.step(0.0, 3600.0, 25.0);
    EXPECT_LE(cell.temperature_degC(), 25.0 + rise_K + 1e-9);  // no overshoot
  }
  EXPECT_NEAR(cell.temperature_degC(), 25.0 + rise_K, 1e-3);
}

// ---------------------------------------------------------------------------------------------
// Self-discharge and the internal short

double soc_lost_in_a_month(double temperature_degC) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Cell cell(chemistry, CellSpread{}, 0.5, temperature_degC);
  run(cell, 0.0, 30.0 * 86400.0, 60.0, temperature_degC);
  return 0.5 - cell.soc();
}

TEST(CellSelfDischarge, LosesOnePercentPerMonthAt25C) {
  EXPECT_NEAR(soc_lost_in_a_month(25.0), 0.01, 0.0005);
}

TEST(CellSelfDischarge, LosesMoreWhenWarm) {
  const double factor = std::exp(50000.0 / kGasConstant * (1.0 / 298.15 - 1.0 / 318.15));
  EXPECT_NEAR(soc_lost_in_a_month(45.0), 0.01 * factor, 0.03 * 0.01 * factor);
  EXPECT_GT(soc_lost_in_a_month(45.0), 3.0 * soc_lost_in_a_month(25.0));
}

TEST(CellSelfDischarge, SpreadFactorScalesTheLeak) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), no_ageing());
  CellSpread leaky;
  leaky.self_discharge_factor = 2.0;
  Cell normal(chemistry, CellSpread{}, 0.5, 25.0);
  Cell fast(chemistry, leaky, 0.5, 25.0);
  run(normal, 0.0, 30.0 * 86400.0, 600.0, 25.0);
  run(fast, 0.0, 30.0 * 86400.0, 600.0, 25.0);
  EXPECT_NEAR((0.5 - fast.soc()) / (0.5 - normal.soc()), 2.0, 1e-6);
}

TEST(CellInternalShort, DrainsAtVoltageOverResistanceAndHeats) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), no_ageing());
  Cell shorted(chemistry, CellSpread{}, 0.5, 25.0);
  Cell healthy(chemistry, CellSpread{}, 0.5, 25.0);
  const double short_Ohm = 10.0;
  shorted.set_internal_short_Ohm(short_Ohm);
  const double voltage_V = shorted.terminal_voltage_V();
  run(shorted, 0.0, 3600.0, 1.0, 25.0);
  run(healthy, 0.0, 3600.0, 1.0, 25.0);

  const double expected_drain = voltage_V / short_Ohm * 3600.0 / (100.0 * 3600.0);
  EXPECT_NEAR(healthy.soc() - shorted.soc(), expected_drain, 0.02 * expected_drain);
  EXPECT_NEAR(shorted.internal_short_current_A(), shorted.terminal_voltage_V() / short_Ohm, 1e-6);
  // Heat ~ V^2/R, and the cell warms toward surroundings + heat / G.
  EXPECT_NEAR(shorted.heat_W(), voltage_V * voltage_V / short_Ohm,
              0.03 * voltage_V * voltage_V / short_Ohm);
  EXPECT_GT(shorted.temperature_degC(), 25.7);
  EXPECT_DOUBLE_EQ(healthy.temperature_degC(), 25.0);
  // The short draws charge through the cell: the terminal sags below the rested healthy cell.
  EXPECT_LT(shorted.terminal_voltage_V(), healthy.terminal_voltage_V());
}

TEST(CellInternalShort, HardShortCollapsesTheVoltage) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), no_ageing());
  Cell cell(chemistry, CellSpread{}, 0.5, 25.0);
  cell.set_internal_short_Ohm(2.0e-3);
  run(cell, 0.0, 10.0, 0.01, 25.0);
  // ~3.3 V over 2 mOhm + 0.3 mOhm R0 (plus RC building up): over 1 kA and a deep sag.
  EXPECT_GT(cell.internal_short_current_A(), 1000.0);
  EXPECT_LT(cell.terminal_voltage_V(), 3.0);
  EXPECT_GT(cell.heat_W(), 2000.0);
}

// ---------------------------------------------------------------------------------------------
// Determinism, spread and initial state

TEST(CellDeterminism, SameInputsGiveBitIdenticalResults) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Rng rng_a(42);
  Rng rng_b(42);
  const CellSpread spread_a = draw_cell_spread(CellSpreadParameters{}, rng_a);
  const CellSpread spread_b = draw_cell_spread(CellSpreadParameters{}, rng_b);
  Cell a(chemistry, spread_a, 0.6, 20.0);
  Cell b(chemistry, spread_b, 0.6, 20.0);
  for (int k = 0; k < 20000; ++k) {
    const double current_A = 60.0 * std::sin(k * 0.001) + 15.0 * std::sin(k * 0.037);
    const double dt_s = (k % 3 == 0) ? 0.5 : 1.0;
    a.step(current_A, dt_s, 22.0);
    b.step(current_A, dt_s, 22.0);
  }
  EXPECT_EQ(a.terminal_voltage_V(), b.terminal_voltage_V());
  EXPECT_EQ(a.soc(), b.soc());
  EXPECT_EQ(a.temperature_degC(), b.temperature_degC());
  EXPECT_EQ(a.hysteresis_state(), b.hysteresis_state());
  EXPECT_EQ(a.ageing().calendar_fade, b.ageing().calendar_fade);
  EXPECT_EQ(a.ageing().cycle_fade, b.ageing().cycle_fade);
  EXPECT_EQ(a.ageing().resistance_growth, b.ageing().resistance_growth);
  EXPECT_GT(a.ageing().cycle_fade, 0.0);
}

// ---------------------------------------------------------------------------------------------
// The paired (SSE2) step

// Bit patterns, so that -0.0 differs from 0.0 and a NaN equals itself.
std::uint64_t bits(double value) { return std::bit_cast<std::uint64_t>(value); }

void expect_same_cell(const Cell& paired, const Cell& alone, int step) {
  SCOPED_TRACE(step);
  EXPECT_EQ(bits(paired.terminal_voltage_V()), bits(alone.terminal_voltage_V()));
  EXPECT_EQ(bits(paired.open_circuit_voltage_V()), bits(alone.open_circuit_voltage_V()));
  EXPECT_EQ(bits(paired.soc()), bits(alone.soc()));
  EXPECT_EQ(bits(paired.temperature_degC()), bits(alone.temperature_degC()));
  EXPECT_EQ(bits(paired.hysteresis_state()), bits(alone.hysteresis_state()));
  EXPECT_EQ(bits(paired.heat_W()), bits(alone.heat_W()));
  EXPECT_EQ(bits(paired.rc1_voltage_V()), bits(alone.rc1_voltage_V()));
  EXPECT_EQ(bits(paired.rc2_voltage_V()), bits(alone.rc2_voltage_V()));
  EXPECT_EQ(bits(paired.internal_short_current_A()), bits(alone.internal_short_current_A()));
  EXPECT_EQ(bits(paired.resistance_dc_Ohm()), bits(alone.resistance_dc_Ohm()));
  EXPECT_EQ(bits(paired.ageing().calendar_fade), bits(alone.ageing().calendar_fade));
  EXPECT_EQ(bits(paired.ageing().cycle_fade), bits(alone.ageing().cycle_fade));
  EXPECT_EQ(bits(paired.ageing().resistance_growth), bits(alone.ageing().resistance_growth));
  EXPECT_EQ(bits(paired.ageing().throughput_Ah), bits(alone.ageing().throughput_Ah));
}

// Two cells sharing a state block and stepped together equal the same two cells stepped one at a
// time, to the bit, through currents of both signs and exactly zero, current reversals, a
// balancing bleed on one cell, changing surroundings and heat, a dt change, long steps (the
// hysteresis beyond its Taylor range), SOC past both table ends, ageing updates and an internal
// short on one cell of the pair.
TEST(CellPairStep, EqualsTheScalarStepToTheBit) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Rng rng(2024);
  struct Start {
    double first_soc, second_soc, first_degC, second_degC;
  };
  for (const Start start : {Start{0.5, 0.52, 25.0, 24.0}, Start{0.011, 0.02, 5.0, -10.0},
                            Start{0.985, 0.99, 40.0, 45.0}}) {
    Cell first_alone(chemistry, draw_cell_spread(CellSpreadParameters{}, rng), start.first_soc,
                     start.first_degC);
    Cell second_alone(chemistry, draw_cell_spread(CellSpreadParameters{}, rng), start.second_soc,
                      start.second_degC);
    Cell first_paired = first_alone;
    Cell second_paired = second_alone;
    CellStateBlock block;
    first_paired.use_state_block(block, 0);
    second_paired.use_state_block(block, 1);
    for (int k = 0; k < 12000; ++k) {
      const double dt_s = k < 4000 ? 0.1 : (k < 11000 ? 0.01 : 60.0);
      double current_A = 0.0;
      if (k % 1000 >= 100) {  // every second's first 100 steps at exactly zero current
        current_A = 150.0 * std::sin(k * 0.003) + 20.0 * std::sin(k * 0.05) + rng.normal();
      }
      // Drive the end cells past the table ends and back.
      if (start.first_soc < 0.1) current_A += k < 6000 ? 60.0 : -60.0;
      if (start.first_soc > 0.9) current_A -= k < 6000 ? 60.0 : -60.0;
      const double bleed_A = (k / 700) % 2 == 0 ? second_alone.terminal_voltage_V() / 33.0 : 0.0;
      const double surroundings_degC = start.first_degC + 3.0 * std::sin(k * 0.0007);
      const double first_heat_W = k % 500 < 250 ? 0.0 : 1.5;
      const double second_heat_W = 0.25;
      if (k == 7000) {
        first_alone.set_internal_short_Ohm(0.5);
        first_paired.set_internal_short_Ohm(0.5);
      }
      if (k == 9000) {
        first_alone.set_internal_short_Ohm(0.0);
        first_paired.set_internal_short_Ohm(0.0);
      }
      Cell::step_pair_with_external_heat(first_paired, second_paired, current_A,
                                         current_A + bleed_A, dt_s, surroundings_degC, first_heat_W,
                                         second_heat_W);
      first_alone.step_with_external_heat(current_A, dt_s, surroundings_degC, first_heat_W);
      second_alone.step_with_external_heat(current_A + bleed_A, dt_s, surroundings_degC,
                                           second_heat_W);
      expect_same_cell(first_paired, first_alone, k);
      expect_same_cell(second_paired, second_alone, k);
      if (testing::Test::HasFailure()) return;
    }
    EXPECT_GT(first_alone.ageing().cycle_fade, 0.0);
  }
}

// Four cells sharing a state block and stepped with AVX equal the same four stepped one at a
// time, to the bit: each lane on its own course (mid, empty end, full end, frost), currents of
// both signs and exactly zero, a bleed on two lanes, an internal short on one, dt changes, long
// steps and ageing updates; a rare path in any lane sends the four through the paired steps. The
// pair step on lanes 2 and 3 of a block is checked on the same courses.
TEST(CellQuadStep, EqualsTheScalarStepToTheBitAndSoDoesThePairOnLanesTwoAndThree) {
  if (!Cell::avx_available()) GTEST_SKIP() << "this processor has no AVX: the quad step is unused";
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Rng rng(4096);
  constexpr std::array<double, 4> kStartSoc{0.5, 0.011, 0.985, 0.52};
  constexpr std::array<double, 4> kStartDegC{25.0, 5.0, 40.0, -10.0};
  std::vector<Cell> alone, quad, pairs;
  for (std::size_t lane = 0; lane < 4; ++lane) {
    alone.emplace_back(chemistry, draw_cell_spread(CellSpreadParameters{}, rng), kStartSoc[lane],
                       kStartDegC[lane]);
  }
  quad = alone;
  pairs = alone;
  CellStateBlock quad_block, pair_block;
  for (int lane = 0; lane < 4; ++lane) {
    quad[static_cast<std::size_t>(lane)].use_state_block(quad_block, lane);
    pairs[static_cast<std::size_t>(lane)].use_state_block(pair_block, lane);
  }
  for (int k = 0; k < 12000; ++k) {
    const double dt_s = k < 4000 ? 0.1 : (k < 11000 ? 0.01 : 60.0);
    std::array<double, 4> current_A{};
    std::array<double, 4> heat_W{0.0, 0.25, k % 500 < 250 ? 0.0 : 1.5, 0.5};
    double common_A = 0.0;
    if (k % 1000 >= 100) common_A = 150.0 * std::sin(k * 0.003) + 20.0 * std::sin(k * 0.05);
    for (std::size_t lane = 0; lane < 4; ++lane) {
      current_A[lane] = common_A == 0.0 ? 0.0 : common_A + rng.normal();
      if ((k / 700) % 2 == static_cast<int>(lane % 2))
        current_A[lane] += alone[lane].terminal_voltage_V() / 33.0;  // a bleed on lanes 0/2 or 1/3
    }
    current_A[1] += k < 6000 ? 60.0 : -60.0;  // past the empty end and back
    current_A[2] -= k < 6000 ? 60.0 : -60.0;  // past the full end and back
    if (k == 7000 || k == 9000) {
      const double short_Ohm = k == 7000 ? 0.5 : 0.0;
      alone[2].set_internal_short_Ohm(short_Ohm);
      quad[2].set_internal_short_Ohm(short_Ohm);
      pairs[2].set_internal_short_Ohm(short_Ohm);
    }
    const double surroundings_degC = 20.0 + 3.0 * std::sin(k * 0.0007);
    Cell::step_quad_with_external_heat(quad.data(), current_A.data(), dt_s, surroundings_degC,
                                       heat_W.data());
    for (std::size_t lane = 0; lane < 4; lane += 2) {
      Cell::step_pair_with_external_heat(pairs[lane], pairs[lane + 1], current_A[lane],
                                         current_A[lane + 1], dt_s, surroundings_degC, heat_W[lane],
                                         heat_W[lane + 1]);
    }
    for (std::size_t lane = 0; lane < 4; ++lane) {
      alone[lane].step_with_external_heat(current_A[lane], dt_s, surroundings_degC, heat_W[lane]);
    }
    for (std::size_t lane = 0; lane < 4; ++lane) {
      SCOPED_TRACE(lane);
      expect_same_cell(quad[lane], alone[lane], k);
      expect_same_cell(pairs[lane], alone[lane], k);
    }
    if (testing::Test::HasFailure()) return;
  }
  EXPECT_GT(alone[0].ageing().cycle_fade, 0.0);
}

TEST(CellPairStep, CopiesAreIndependentAndAssignmentWritesIntoTheBlock) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  Cell first(chemistry, CellSpread{}, 0.5, 25.0);
  Cell second(chemistry, CellSpread{}, 0.6, 25.0);
  CellStateBlock block;
  first.use_state_block(block, 0);
  second.use_state_block(block, 1);
  EXPECT_EQ(block.soc[1], 0.6);

  Cell copy = second;  // a cell of its own
  copy.step(50.0, 1.0, 25.0);
  EXPECT_EQ(second.soc(), 0.6);
  EXPECT_LT(copy.soc(), 0.6);

  second = copy;  // into the shared block
  EXPECT_EQ(block.soc[1], copy.soc());
  EXPECT_EQ(first.soc(), 0.5);
  second.set_soc(0.3);
  EXPECT_EQ(block.soc[1], 0.3);
  EXPECT_EQ(first.soc(), 0.5);
}

TEST(CellSpreadDraw, SameSeedSameSpread) {
  Rng a(7);
  Rng b(7);
  Rng c(8);
  const CellSpreadParameters parameters;
  for (int i = 0; i < 16; ++i) {
    const CellSpread x = draw_cell_spread(parameters, a);
    const CellSpread y = draw_cell_spread(parameters, b);
    const CellSpread z = draw_cell_spread(parameters, c);
    EXPECT_EQ(x.capacity_factor, y.capacity_factor);
    EXPECT_EQ(x.resistance_factor, y.resistance_factor);
    EXPECT_EQ(x.self_discharge_factor, y.self_discharge_factor);
    EXPECT_EQ(x.initial_soc_offset, y.initial_soc_offset);
    EXPECT_NE(x.capacity_factor, z.capacity_factor);
  }
}

TEST(CellSpreadDraw, StandardDeviationsMatchParameters) {
  const CellSpreadParameters parameters;
  Rng rng(2024);
  const int n = 20000;
  double sums[4] = {0, 0, 0, 0};
  double squares[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; ++i) {
    const CellSpread s = draw_cell_spread(parameters, rng);
    const double values[4] = {s.capacity_factor, s.resistance_factor, s.self_discharge_factor,
                              s.initial_soc_offset};
    for (int j = 0; j < 4; ++j) {
      sums[j] += values[j];
      squares[j] += values[j] * values[j];
    }
  }
  const double expected_mean[4] = {1.0, 1.0, 1.0, 0.0};
  const double expected_sd[4] = {parameters.capacity_relative_sd, parameters.resistance_relative_sd,
                                 parameters.self_discharge_relative_sd, parameters.initial_soc_sd};
  for (int j = 0; j < 4; ++j) {
    const double mean = sums[j] / n;
    const double sd = std::sqrt(squares[j] / n - mean * mean);
    EXPECT_NEAR(mean, expected_mean[j], 4.0 * expected_sd[j] / std::sqrt(n)) << "field " << j;
    EXPECT_NEAR(sd, expected_sd[j], 0.03 * expected_sd[j]) << "field " << j;
  }
}

TEST(CellSpreadDraw, FactorsStayPositiveAndBounded) {
  CellSpreadParameters wide;
  wide.capacity_relative_sd = 1.0;
  wide.resistance_relative_sd = 1.0;
  wide.self_discharge_relative_sd = 1.0;
  wide.initial_soc_sd = 0.1;
  Rng rng(3);
  for (int i = 0; i < 5000; ++i) {
    const CellSpread s = draw_cell_spread(wide, rng);
    EXPECT_GE(s.capacity_factor, 0.05);
    EXPECT_GE(s.resistance_factor, 0.05);
    EXPECT_GE(s.self_discharge_factor, 0.05);
    EXPECT_LE(s.capacity_factor, 5.0);
    EXPECT_LE(std::fabs(s.initial_soc_offset), 0.4 + 1e-12);
  }
}

TEST(CellSoc, InitialOffsetAppliedAndClamped) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  CellSpread spread;
  spread.initial_soc_offset = 0.01;
  EXPECT_NEAR(Cell(chemistry, spread, 0.5, 25.0).soc(), 0.51, 1e-12);
  EXPECT_DOUBLE_EQ(Cell(chemistry, spread, 1.0, 25.0).soc(), 1.0);
  spread.initial_soc_offset = -0.01;
  EXPECT_DOUBLE_EQ(Cell(chemistry, spread, 0.0, 25.0).soc(), 0.0);
}

TEST(CellSoc, SpreadCapacityAndResistanceApply) {
  const LfpChemistry chemistry(LfpCellParameters::lfp_default(), AgeingParameters{});
  CellSpread spread;
  spread.capacity_factor = 1.01;
  spread.resistance_factor = 1.1;
  Cell cell(chemistry, spread, 0.5, 25.0);
  EXPECT_NEAR(cell.capacity_Ah(), 101.0, 1e-9);
  EXPECT_NEAR(cell.resistance_dc_Ohm(), 1.1 * 0.75e-3, 1e-12);
  EXPECT_NEAR(cell.state_of_health(), 1.0, 1e-12);
  // 10 Ah out of a 101 Ah cell.
  run(cell, 10.0, 3600.0, 1.0, 25.0);
  EXPECT_NEAR(0.5 - cell.soc(), 10.0 / 101.0, 2e-4);
}

}  // namespace
}  // namespace bts::plant
