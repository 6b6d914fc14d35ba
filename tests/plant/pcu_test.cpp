// PCU: limits, efficiency and power balance, response, draws, windows, lock-out, failures.
#include "plant/pcu.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace bts::plant {
namespace {

constexpr double kStack_V = 51.2;
constexpr double kAir_degC = 25.0;

Pcu running_pcu(double command_A, const PcuParameters& parameters = PcuParameters{}) {
  Pcu pcu(parameters, kAir_degC);
  pcu.set_mode(PcuMode::Running);
  pcu.set_current_command_A(command_A);
  return pcu;
}

// Step long enough for the 20 ms lag to settle completely.
void settle(Pcu& pcu, double bus_V, double stack_V = kStack_V, double seconds = 1.0) {
  const double dt_s = 0.001;
  for (int i = 0; i < static_cast<int>(seconds / dt_s); ++i) {
    pcu.step(dt_s, stack_V, bus_V, kAir_degC);
  }
}

// Expected limit: the smaller of 7.5 A and 2.5 kW / V.
double expected_limit_A(double bus_V) { return std::min(7.5, 2500.0 / bus_V); }

class PcuLimitsTest : public ::testing::TestWithParam<double> {};

TEST_P(PcuLimitsTest, CurrentAndPowerLimitsInBothDirections) {
  const double bus_V = GetParam();
  for (double command_A : {20.0, -20.0}) {
    Pcu pcu = running_pcu(command_A);
    settle(pcu, bus_V);
    const double limit_A = expected_limit_A(bus_V);
    EXPECT_NEAR(std::abs(pcu.bus_current_A()), limit_A, 1e-9) << bus_V << " V " << command_A;
    EXPECT_LE(std::abs(pcu.bus_current_A()), 7.5 + 1e-12);
    EXPECT_LE(std::abs(pcu.bus_power_W()), 2500.0 + 1e-9);
    EXPECT_EQ(pcu.bus_current_A() > 0.0, command_A > 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(PcuBusVoltages, PcuLimitsTest,
                         ::testing::Values(300.0, 350.0, 400.0, 435.0));

TEST(PcuLimits, CurrentLimitBindsAt300VAndPowerLimitAbove) {
  EXPECT_NEAR(expected_limit_A(300.0), 7.5, 1e-12);
  Pcu pcu = running_pcu(20.0);
  EXPECT_NEAR(pcu.bus_current_window_A(300.0).second, 7.5, 1e-12);
  EXPECT_NEAR(pcu.bus_current_window_A(350.0).second, 2500.0 / 350.0, 1e-12);
  EXPECT_NEAR(pcu.bus_current_window_A(400.0).second, 6.25, 1e-12);
  EXPECT_NEAR(pcu.bus_current_window_A(435.0).second, 2500.0 / 435.0, 1e-12);
}

TEST(PcuLimits, CommandInsideTheWindowIsFollowedExactly) {
  Pcu pcu = running_pcu(3.3);
  settle(pcu, 400.0);
  EXPECT_NEAR(pcu.bus_current_A(), 3.3, 1e-12);
}

TEST(PcuEfficiency, CurvePointsAndInterpolation) {
  const Pcu pcu(PcuParameters{});
  EXPECT_DOUBLE_EQ(pcu.efficiency_at(0.40 * 2500.0), 0.970);
  EXPECT_DOUBLE_EQ(pcu.efficiency_at(0.10 * 2500.0), 0.94);
  EXPECT_DOUBLE_EQ(pcu.efficiency_at(2500.0), 0.960);
  EXPECT_DOUBLE_EQ(pcu.efficiency_at(-2500.0), 0.960);         // symmetric in direction
  EXPECT_NEAR(pcu.efficiency_at(0.15 * 2500.0), 0.95, 1e-12);  // halfway 0.10 -> 0.20
  EXPECT_DOUBLE_EQ(pcu.efficiency_at(0.01 * 2500.0), 0.80);    // below the first point
  EXPECT_DOUBLE_EQ(pcu.efficiency_at(0.0), 0.80);
}

TEST(PcuEfficiency, DischargeStackPowerIsBusPowerOverEfficiencyPlusTheBmsDraw) {
  // 2.5 A at 400 V = 1000 W = 40 % load: efficiency 0.97 at the terminals, which already holds
  // the power stage's no-load loss; only the BMS board's 5 W comes on top.
  Pcu pcu = running_pcu(2.5);
  settle(pcu, 400.0);
  const double expected_stack_W = 1000.0 / 0.97 + 5.0;
  EXPECT_NEAR(pcu.bus_power_W(), 1000.0, 1e-9);
  EXPECT_NEAR(pcu.stack_power_W(), expected_stack_W, 1e-9);
  EXPECT_NEAR(pcu.stack_current_A(), expected_stack_W / kStack_V, 1e-9);
  EXPECT_NEAR(pcu.loss_W(), 1000.0 / 0.97 - 1000.0 + 5.0, 1e-9);
}

TEST(PcuEfficiency, ChargeStackPowerIsBusPowerTimesEfficiencyPlusTheBmsDraw) {
  // -5 A at 400 V = 2000 W charging = 80 % load: efficiency 0.965.
  Pcu pcu = running_pcu(-5.0);
  settle(pcu, 400.0);
  EXPECT_NEAR(pcu.stack_power_W(), -2000.0 * 0.965 + 5.0, 1e-9);
  EXPECT_LT(pcu.stack_current_A(), 0.0);
  EXPECT_NEAR(pcu.stack_current_A(), (-2000.0 * 0.965 + 5.0) / kStack_V, 1e-9);
  EXPECT_NEAR(pcu.loss_W(), 2000.0 * 0.035 + 5.0, 1e-9);
}

TEST(PcuEfficiency, TheNoLoadLossIsTheFloorOfTheConversionLossNotAddedToIt) {
  // ZCS: 20 W per module with the DC/DC on and no current, 5 W with it off: the power stage's
  // own no-load loss is 15 W. At rated power the terminal efficiency (96 %) holds it already.
  Pcu idle = running_pcu(0.0);
  settle(idle, 400.0);
  EXPECT_NEAR(idle.loss_W(), 20.0, 1e-9);
  Pcu light = running_pcu(0.1);  // 40 W: the curve's 80 % would lose 10 W, less than no load
  settle(light, 400.0);
  EXPECT_NEAR(light.loss_W(), 15.0 + 5.0, 1e-9);
  Pcu rated = running_pcu(6.25);  // 2500 W at 400 V
  settle(rated, 400.0);
  EXPECT_NEAR(rated.loss_W(), 2500.0 / 0.96 - 2500.0 + 5.0, 1e-9);  // 109.2 W, not 124.2 W
  Pcu saving(PcuParameters{});
  saving.set_mode(PcuMode::EnergySaving);
  settle(saving, 400.0);
  EXPECT_NEAR(saving.loss_W(), 5.0, 1e-9);
}

TEST(PcuEfficiency, EnergyCountersSumWhatEachStepCarried) {
  Pcu pcu = running_pcu(6.25);
  settle(pcu, 400.0);  // 1 s: the output is at 2.5 kW after its 20 ms lag
  const PcuEnergy settled = pcu.energy();
  for (int k = 0; k < 3600; ++k) pcu.step(1.0, kStack_V, 400.0, kAir_degC);
  const PcuEnergy hour = pcu.energy();
  const double to_Wh = 1.0 / 3600.0;
  EXPECT_NEAR((hour.bus_J - settled.bus_J) * to_Wh, 2500.0, 1e-6);
  EXPECT_NEAR((hour.conversion_loss_J - settled.conversion_loss_J) * to_Wh, 2500.0 / 0.96 - 2500.0,
              1e-6);
  EXPECT_NEAR((hour.bms_draw_J - settled.bms_draw_J) * to_Wh, 5.0, 1e-9);
  EXPECT_NEAR(hour.stack_J, hour.bus_J + hour.conversion_loss_J + hour.bms_draw_J, 1e-6);
}

TEST(PcuEfficiency, EnergyIsConservedAcrossTheLoadRange) {
  for (double command_A : {-7.5, -4.0, -0.3, 0.0, 0.2, 1.0, 3.0, 6.0, 7.5}) {
    for (double bus_V : {300.0, 380.0, 435.0}) {
      Pcu pcu = running_pcu(command_A);
      settle(pcu, bus_V, 48.0, 0.2);
      const double stack_W = pcu.stack_current_A() * 48.0;
      EXPECT_NEAR(stack_W, pcu.bus_current_A() * bus_V + pcu.loss_W(), 1e-9);
      EXPECT_GE(pcu.loss_W(), 20.0 - 1e-9);  // losses never negative, no-load draw included
    }
  }
}

TEST(PcuResponse, FirstOrderReaches63PercentAtTheTimeConstant) {
  Pcu pcu = running_pcu(5.0);
  const double tau_s = pcu.parameters().current_time_constant_s;
  const int steps = 20;
  for (int i = 0; i < steps; ++i) pcu.step(tau_s / steps, kStack_V, 400.0, kAir_degC);
  EXPECT_NEAR(pcu.bus_current_A(), 5.0 * (1.0 - std::exp(-1.0)), 1e-9);
}

TEST(PcuResponse, ExactDiscretisationIsIndependentOfTheStep) {
  Pcu coarse = running_pcu(5.0);
  Pcu fine = running_pcu(5.0);
  coarse.step(0.03, kStack_V, 400.0, kAir_degC);
  for (int i = 0; i < 30; ++i) fine.step(0.001, kStack_V, 400.0, kAir_degC);
  EXPECT_NEAR(coarse.bus_current_A(), fine.bus_current_A(), 1e-12);
  EXPECT_NEAR(coarse.bus_current_A(), 5.0 * (1.0 - std::exp(-1.5)), 1e-9);
}

TEST(PcuDraw, RunningEnergySavingAndOff) {
  Pcu pcu = running_pcu(0.0);
  settle(pcu, 400.0, kStack_V, 0.01);
  EXPECT_NEAR(pcu.stack_power_W(), 20.0, 1e-12);
  EXPECT_NEAR(pcu.stack_current_A(), 20.0 / kStack_V, 1e-12);
  EXPECT_NEAR(pcu.loss_W(), 20.0, 1e-12);

  pcu.set_mode(PcuMode::EnergySaving);
  pcu.set_current_command_A(5.0);  // ignored: the converter is off
  settle(pcu, 400.0, kStack_V, 0.01);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_NEAR(pcu.stack_power_W(), 5.0, 1e-12);
  EXPECT_NEAR(pcu.stack_current_A(), 5.0 / kStack_V, 1e-12);

  pcu.set_mode(PcuMode::Off);
  settle(pcu, 400.0, kStack_V, 0.01);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_EQ(pcu.stack_current_A(), 0.0);
  EXPECT_EQ(pcu.loss_W(), 0.0);
}

TEST(PcuWindow, SoftStartBelow300VOnlyDischargesAtTheSoftStartCurrent) {
  for (double bus_V : {0.0, 50.0, 299.0}) {
    Pcu pcu = running_pcu(7.0);
    settle(pcu, bus_V);
    EXPECT_NEAR(pcu.bus_current_A(), 1.0, 1e-12) << bus_V;
    Pcu charging = running_pcu(-7.0);
    settle(charging, bus_V);
    EXPECT_EQ(charging.bus_current_A(), 0.0) << bus_V;  // cannot charge from a low bus
  }
  Pcu small = running_pcu(0.4);  // a smaller command is followed
  settle(small, 100.0);
  EXPECT_NEAR(small.bus_current_A(), 0.4, 1e-12);
}

TEST(PcuWindow, AboveTheWindowNoDischargeButChargeStillFlows) {
  Pcu pcu = running_pcu(5.0);
  settle(pcu, 440.0);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  Pcu charging = running_pcu(-7.5);
  settle(charging, 440.0);
  EXPECT_NEAR(charging.bus_current_A(), -2500.0 / 440.0, 1e-9);
}

TEST(PcuWindow, CurrentStopsAtOnceWhenTheBusLeavesTheWindow) {
  Pcu pcu = running_pcu(5.0);
  settle(pcu, 430.0);
  ASSERT_NEAR(pcu.bus_current_A(), 5.0, 1e-9);
  pcu.step(0.001, kStack_V, 436.0, kAir_degC);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
}

TEST(PcuWindow, ReversedBusGetsNoCurrentAndIsReported) {
  Pcu pcu = running_pcu(5.0);
  settle(pcu, -5.0);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_FALSE(pcu.reports_bus_reversed());  // within the detection threshold
  settle(pcu, -400.0);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_TRUE(pcu.reports_bus_reversed());
  settle(pcu, 0.0);
  EXPECT_FALSE(pcu.reports_bus_reversed());
  EXPECT_NEAR(pcu.bus_current_A(), 1.0, 1e-12);  // soft start from 0 V again
}

TEST(PcuLockOut, StackBelowMinimumGivesNoOutputButTheBmsStillDraws) {
  Pcu pcu = running_pcu(5.0);
  settle(pcu, 400.0, 37.9);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_FALSE(pcu.power_stage_running());
  EXPECT_NEAR(pcu.stack_power_W(), 5.0, 1e-12);  // BMS draw only
  settle(pcu, 400.0, 38.0);
  EXPECT_NEAR(pcu.bus_current_A(), 5.0, 1e-9);  // restarts at the threshold
}

TEST(PcuLockOut, NoStackMeansNoDrawAndNoDivisionByZero) {
  Pcu pcu = running_pcu(5.0);
  pcu.step(0.01, 0.0, 400.0, kAir_degC);
  EXPECT_EQ(pcu.stack_current_A(), 0.0);
  EXPECT_TRUE(std::isfinite(pcu.stack_current_A()));
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
}

TEST(PcuFailures, DeadGivesNoCurrentAndReportsAnInternalFault) {
  Pcu pcu = running_pcu(5.0);
  settle(pcu, 400.0);
  ASSERT_FALSE(pcu.reports_internal_fault());
  pcu.set_failure(PcuFailure::Dead);
  settle(pcu, 400.0, kStack_V, 0.01);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_TRUE(pcu.reports_internal_fault());
  EXPECT_FALSE(pcu.reports_over_temperature());
}

TEST(PcuFailures, IgnoresCommandGivesNoCurrentSilently) {
  Pcu pcu = running_pcu(5.0);
  pcu.set_failure(PcuFailure::IgnoresCommand);
  settle(pcu, 400.0);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_FALSE(pcu.reports_internal_fault());
  EXPECT_FALSE(pcu.reports_over_temperature());
  EXPECT_NEAR(pcu.stack_power_W(), 20.0, 1e-12);  // it still runs, and draws like it
}

// A failed current-limit circuit: the BMS window and the 7.5 A / 2.5 kW limits no longer act,
// only the power stage's trip (15 A on the bus side); its enable still stops it.
TEST(PcuFailures, CurrentLimitLostFollowsTheCommandUpToTheTripOnly) {
  Pcu pcu = running_pcu(12.0);
  pcu.set_current_limits_A(0.0, 2.0);
  settle(pcu, 400.0);
  EXPECT_NEAR(pcu.bus_current_A(), 2.0, 1e-9);  // healthy: the BMS window holds
  pcu.set_failure(PcuFailure::CurrentLimitLost);
  settle(pcu, 400.0);
  EXPECT_NEAR(pcu.bus_current_A(), 12.0, 1e-9);  // 4.8 kW, past 2.5 kW
  pcu.set_current_command_A(-40.0);
  settle(pcu, 400.0);
  EXPECT_NEAR(pcu.bus_current_A(), -pcu.parameters().power_stage_trip_bus_current_A, 1e-9);
  EXPECT_FALSE(pcu.reports_internal_fault());
  pcu.set_mode(PcuMode::EnergySaving);
  settle(pcu, 400.0);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
}

TEST(PcuThermal, HealthyConverterStaysBelowTheShutdownAtFullPower) {
  Pcu pcu = running_pcu(7.5);
  for (int i = 0; i < 20000; ++i) pcu.step(1.0, kStack_V, 400.0, 45.0);  // 5.5 h, hot air
  EXPECT_FALSE(pcu.reports_over_temperature());
  const double steady_degC = 45.0 + pcu.loss_W() / 3.0;
  EXPECT_NEAR(pcu.heatsink_temperature_degC(), steady_degC, 1e-6);
  EXPECT_LT(pcu.heatsink_temperature_degC(), 95.0);
}

TEST(PcuThermal, CoolingBlockedOverheatsStopsAndRestartsAfterCooling) {
  Pcu pcu = running_pcu(6.25);
  pcu.set_failure(PcuFailure::CoolingBlocked);
  double t_s = 0.0;
  while (!pcu.reports_over_temperature() && t_s < 20000.0) {
    pcu.step(1.0, kStack_V, 400.0, kAir_degC);
    t_s += 1.0;
  }
  ASSERT_TRUE(pcu.reports_over_temperature());
  // Loss at 2.5 kW: 2500/0.96 - 2500 (terminal efficiency) + 5 W BMS; G = 0.3 W/K, C = 1500 J/K.
  const double loss_W = 2500.0 / 0.96 - 2500.0 + 5.0;
  const double steady_rise_K = loss_W / 0.3;
  const double expected_s = -(1500.0 / 0.3) * std::log(1.0 - (95.0 - 25.0) / steady_rise_K);
  EXPECT_NEAR(t_s, expected_s, 3.0);
  pcu.step(1.0, kStack_V, 400.0, kAir_degC);
  EXPECT_EQ(pcu.bus_current_A(), 0.0);
  EXPECT_FALSE(pcu.reports_internal_fault());

  while (pcu.reports_over_temperature() && t_s < 40000.0) {
    pcu.step(1.0, kStack_V, 400.0, kAir_degC);
    t_s += 1.0;
  }
  ASSERT_FALSE(pcu.reports_over_temperature());
  EXPECT_LT(pcu.heatsink_temperature_degC(), 80.0);
  pcu.step(1.0, kStack_V, 400.0, kAir_degC);
  EXPECT_NEAR(pcu.bus_current_A(), 6.25, 1e-9);  // running again
}

TEST(PcuThermal, SameLoadWithoutTheFailureNeverStops) {
  Pcu pcu = running_pcu(6.25);
  for (int i = 0; i < 20000; ++i) pcu.step(1.0, kStack_V, 400.0, kAir_degC);
  EXPECT_FALSE(pcu.reports_over_temperature());
  EXPECT_NEAR(pcu.bus_current_A(), 6.25, 1e-9);
}

}  // namespace
}  // namespace bts::plant
