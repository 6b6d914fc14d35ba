// The inverter follows the household request within every limit its batteries report.
#include "plant/inverter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace bts::plant {
namespace {

constexpr double kDt_s = 0.01;

HouseholdProfileParameters constant_request(double power_W) {
  HouseholdProfileParameters h;
  h.kind = HouseholdProfileKind::ConstantPower;
  h.constant_power_W = power_W;
  return h;
}

/// Ramp fast enough that one step reaches the target, so a test sees only the limit it checks.
InverterParameters fast_inverter(int inputs = 1) {
  InverterParameters p;
  p.current_ramp_A_per_s = 1e6;
  p.battery_inputs = inputs;
  return p;
}

BatteryLimits generous_limits() {
  BatteryLimits limits;
  limits.valid = true;
  limits.charge_voltage_limit_V = 430.0;
  limits.charge_current_limit_A = 50.0;
  limits.discharge_current_limit_A = 50.0;
  limits.discharge_voltage_limit_V = 320.0;
  return limits;
}

/// One input at voltage_V after a few steps.
double settled_current_A(Inverter& inverter, double voltage_V, int steps = 3) {
  for (int i = 0; i < steps; ++i) inverter.step(i * kDt_s, kDt_s, {voltage_V, 0.0});
  return inverter.input_current_A(0);
}

TEST(Inverter, FollowsTheRequestAtTheInputVoltage) {
  Inverter discharge(fast_inverter(), constant_request(4000.0), 1);
  discharge.set_battery_limits(0, generous_limits());
  EXPECT_NEAR(settled_current_A(discharge, 400.0), 10.0, 1e-9);
  EXPECT_NEAR(discharge.input_power_W(0), 4000.0, 1e-9);

  Inverter charge(fast_inverter(), constant_request(-2000.0), 1);
  charge.set_battery_limits(0, generous_limits());
  EXPECT_NEAR(settled_current_A(charge, 400.0), -5.0, 1e-9);
}

TEST(Inverter, HonoursReportedCurrentLimits) {
  auto limits = generous_limits();
  limits.discharge_current_limit_A = 12.0;
  limits.charge_current_limit_A = 7.0;
  Inverter discharge(fast_inverter(), constant_request(8000.0), 1);
  discharge.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(discharge, 400.0), 12.0, 1e-9);

  Inverter charge(fast_inverter(), constant_request(-8000.0), 1);
  charge.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(charge, 400.0), -7.0, 1e-9);
}

// A battery that asks for a full (calibration) charge is charged at what it allows, from the grid
// when the house gives nothing, by an inverter set to honour it; one that is not set ignores it.
TEST(Inverter, HonoursAFullChargeRequestWhenSetTo) {
  auto limits = generous_limits();
  limits.charge_current_limit_A = 9.0;
  limits.full_charge_requested = true;
  InverterParameters honouring = fast_inverter();
  honouring.honours_full_charge_request = true;
  Inverter charging(honouring, constant_request(1500.0), 1);  // the house draws 1.5 kW
  charging.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(charging, 400.0), -9.0, 1e-9);
  EXPECT_GT(charging.grid_power_W(), 1500.0 + 3500.0);  // house and battery from the grid

  Inverter not_set(fast_inverter(), constant_request(1500.0), 1);
  not_set.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(not_set, 400.0), 3.75, 1e-9);

  limits.full_charge_requested = false;  // withdrawn: back to the house's request
  charging.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(charging, 400.0), 3.75, 1e-9);
}

// An empty battery's forced-charge request is met the same way, and only by an inverter set to
// honour that request: the full-charge setting alone does not answer it.
TEST(Inverter, HonoursAForcedChargeRequestWhenSetTo) {
  auto limits = generous_limits();
  limits.charge_current_limit_A = 6.0;
  limits.discharge_current_limit_A = 0.0;  // empty
  limits.force_charge_requested = true;
  InverterParameters honouring = fast_inverter();
  honouring.honours_force_charge_request = true;
  Inverter charging(honouring, constant_request(1500.0), 1);
  charging.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(charging, 400.0), -6.0, 1e-9);
  EXPECT_GT(charging.grid_power_W(), 1500.0 + 2300.0);

  InverterParameters full_only = fast_inverter();
  full_only.honours_full_charge_request = true;
  Inverter not_set(full_only, constant_request(1500.0), 1);
  not_set.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(not_set, 400.0), 0.0, 1e-9) << "empty, and nobody charges it";

  limits.force_charge_requested = false;
  charging.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(charging, 400.0), 0.0, 1e-9);
}

// An inverter whose battery type is set wrong ignores the reported current limits: it follows
// the request up to its own power rating, still keeping the voltage limits and drawing nothing
// from a battery it does not hear.
TEST(Inverter, IgnoringTheCurrentLimitsItKeepsOnlyItsRatingAndTheVoltageLimits) {
  auto limits = generous_limits();
  limits.discharge_current_limit_A = 0.0;
  limits.charge_current_limit_A = 0.0;
  Inverter discharge(fast_inverter(), constant_request(8000.0), 1);
  discharge.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(discharge, 400.0), 0.0, 1e-9);
  discharge.set_ignores_current_limits(0, true);
  EXPECT_NEAR(settled_current_A(discharge, 400.0), 20.0, 1e-9);

  Inverter charge(fast_inverter(), constant_request(-8000.0), 1);
  charge.set_battery_limits(0, limits);
  charge.set_ignores_current_limits(0, true);
  EXPECT_NEAR(settled_current_A(charge, 400.0), -20.0, 1e-9);
  EXPECT_NEAR(settled_current_A(charge, limits.charge_voltage_limit_V + 1.0), 0.0, 1e-9);

  Inverter unheard(fast_inverter(), constant_request(8000.0), 1);
  unheard.set_ignores_current_limits(0, true);
  EXPECT_NEAR(settled_current_A(unheard, 400.0), 0.0, 1e-9);
}

TEST(Inverter, TapersChargeCurrentNearTheChargeVoltageLimit) {
  auto limits = generous_limits();
  limits.charge_current_limit_A = 20.0;
  limits.charge_voltage_limit_V = 420.0;
  Inverter inverter(fast_inverter(), constant_request(-9000.0), 1);
  inverter.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(inverter, 417.0), -20.0, 1e-9);  // below the 2 V band
  EXPECT_NEAR(settled_current_A(inverter, 419.0), -10.0, 1e-9);  // half way into it
  EXPECT_NEAR(settled_current_A(inverter, 420.0), 0.0, 1e-9);    // at CVL
  EXPECT_NEAR(settled_current_A(inverter, 425.0), 0.0, 1e-9);    // above: never charges
}

TEST(Inverter, TapersDischargeCurrentNearTheDischargeVoltageLimit) {
  auto limits = generous_limits();
  limits.discharge_current_limit_A = 20.0;
  limits.discharge_voltage_limit_V = 330.0;
  Inverter inverter(fast_inverter(), constant_request(9000.0), 1);
  inverter.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(inverter, 340.0), 20.0, 1e-9);
  EXPECT_NEAR(settled_current_A(inverter, 331.5), 15.0, 1e-9);
  EXPECT_NEAR(settled_current_A(inverter, 330.0), 0.0, 1e-9);
  EXPECT_NEAR(settled_current_A(inverter, 320.0), 0.0, 1e-9);
}

TEST(Inverter, ChargesBelowTheDischargeVoltageLimit) {
  auto limits = generous_limits();
  limits.discharge_voltage_limit_V = 330.0;
  Inverter inverter(fast_inverter(), constant_request(-3200.0), 1);
  inverter.set_battery_limits(0, limits);
  EXPECT_NEAR(settled_current_A(inverter, 320.0), -10.0, 1e-9);
}

TEST(Inverter, HonoursMaximumBatteryPower) {
  auto parameters = fast_inverter();
  parameters.max_battery_power_W = 3000.0;
  Inverter discharge(parameters, constant_request(9000.0), 1);
  discharge.set_battery_limits(0, generous_limits());
  EXPECT_NEAR(settled_current_A(discharge, 400.0), 7.5, 1e-9);
  Inverter charge(parameters, constant_request(-9000.0), 1);
  charge.set_battery_limits(0, generous_limits());
  EXPECT_NEAR(settled_current_A(charge, 400.0), -7.5, 1e-9);
}

TEST(Inverter, RampsItsCurrent) {
  InverterParameters parameters;  // 10 A/s
  Inverter inverter(parameters, constant_request(6000.0), 1);
  inverter.set_battery_limits(0, generous_limits());
  inverter.step(0.0, kDt_s, {400.0, 0.0});
  EXPECT_NEAR(inverter.input_current_A(0), 0.1, 1e-9);
  for (int i = 1; i < 100; ++i) inverter.step(i * kDt_s, kDt_s, {400.0, 0.0});
  EXPECT_NEAR(inverter.input_current_A(0), 10.0, 1e-6);
  for (int i = 100; i < 200; ++i) inverter.step(i * kDt_s, kDt_s, {400.0, 0.0});
  EXPECT_NEAR(inverter.input_current_A(0), 15.0, 1e-6);  // 6000 W / 400 V reached, held

  // A lowered limit applies at once, not at the ramp rate.
  auto limits = generous_limits();
  limits.discharge_current_limit_A = 4.0;
  inverter.set_battery_limits(0, limits);
  inverter.step(2.0, kDt_s, {400.0, 0.0});
  EXPECT_NEAR(inverter.input_current_A(0), 4.0, 1e-9);
}

TEST(Inverter, DrawsNothingWithoutValidLimits) {
  Inverter inverter(fast_inverter(), constant_request(4000.0), 1);
  EXPECT_EQ(settled_current_A(inverter, 400.0), 0.0);  // never heard a BMS
  inverter.set_battery_limits(0, generous_limits());
  EXPECT_GT(settled_current_A(inverter, 400.0), 0.0);
  auto lost = generous_limits();
  lost.valid = false;  // communication lost: stops at once
  inverter.set_battery_limits(0, lost);
  inverter.step(1.0, kDt_s, {400.0, 0.0});
  EXPECT_EQ(inverter.input_current_A(0), 0.0);
}

TEST(Inverter, DrawsNothingOutsideItsInputVoltageWindow) {
  InverterParameters parameters;  // 150..600 V, 10 A/s
  Inverter inverter(parameters, constant_request(4000.0), 1);
  inverter.set_battery_limits(0, generous_limits());
  EXPECT_EQ(settled_current_A(inverter, 100.0, 50), 0.0);
  EXPECT_EQ(settled_current_A(inverter, 650.0, 50), 0.0);
  EXPECT_GT(settled_current_A(inverter, 400.0, 50), 0.0);
  inverter.step(1.0, kDt_s, {140.0, 0.0});
  EXPECT_EQ(inverter.input_current_A(0), 0.0);
}

TEST(Inverter, SplitsBetweenTwoInputsInProportionToTheirLimits) {
  Inverter inverter(fast_inverter(2), constant_request(6000.0), 1);
  auto a = generous_limits();
  auto b = generous_limits();
  a.discharge_current_limit_A = 20.0;
  b.discharge_current_limit_A = 10.0;
  inverter.set_battery_limits(0, a);
  inverter.set_battery_limits(1, b);
  inverter.step(0.0, kDt_s, {400.0, 400.0});
  EXPECT_NEAR(inverter.input_current_A(0), 10.0, 1e-9);  // 4000 W of 8000 W available
  EXPECT_NEAR(inverter.input_current_A(1), 5.0, 1e-9);   // 2000 W of 4000 W available

  // One battery silent: the other takes the whole request, up to its own limit.
  b.valid = false;
  inverter.set_battery_limits(1, b);
  inverter.step(kDt_s, kDt_s, {400.0, 400.0});
  EXPECT_NEAR(inverter.input_current_A(0), 15.0, 1e-9);
  EXPECT_EQ(inverter.input_current_A(1), 0.0);
}

TEST(Inverter, SecondInputUnusedOnASingleInputInverter) {
  Inverter inverter(fast_inverter(1), constant_request(6000.0), 1);
  inverter.set_battery_limits(0, generous_limits());
  inverter.set_battery_limits(1, generous_limits());
  inverter.step(0.0, kDt_s, {400.0, 400.0});
  EXPECT_NEAR(inverter.input_current_A(0), 15.0, 1e-9);
  EXPECT_EQ(inverter.input_current_A(1), 0.0);
  EXPECT_THROW(inverter.set_battery_limits(2, generous_limits()), std::out_of_range);
  EXPECT_THROW(static_cast<void>(inverter.input_current_A(-1)), std::out_of_range);
}

TEST(Inverter, CountsBatteryAndGridEnergy) {
  auto limits = generous_limits();
  limits.discharge_current_limit_A = 10.0;  // 4000 W at 400 V
  Inverter inverter(fast_inverter(), constant_request(6000.0), 1);
  inverter.set_battery_limits(0, limits);
  for (int i = 0; i < 3600; ++i) inverter.step(i * 1.0, 1.0, {400.0, 0.0});
  EXPECT_NEAR(inverter.input_energy(0).discharged_Wh, 4000.0, 1e-6);
  EXPECT_EQ(inverter.input_energy(0).charged_Wh, 0.0);
  EXPECT_NEAR(inverter.household_energy().house_load_Wh, 6000.0, 1e-6);
  EXPECT_NEAR(inverter.household_energy().grid_import_Wh, 2000.0, 1e-6);
  EXPECT_EQ(inverter.household_energy().grid_export_Wh, 0.0);
  EXPECT_NEAR(inverter.grid_power_W(), 2000.0, 1e-9);
}

TEST(Inverter, CountsChargingAndExportOfUnusedSurplus) {
  auto limits = generous_limits();
  limits.charge_current_limit_A = 5.0;  // takes 2000 W of a 3000 W surplus
  Inverter inverter(fast_inverter(), constant_request(-3000.0), 1);
  inverter.set_battery_limits(0, limits);
  for (int i = 0; i < 1800; ++i) inverter.step(i * 1.0, 1.0, {400.0, 0.0});
  EXPECT_NEAR(inverter.input_energy(0).charged_Wh, 1000.0, 1e-6);
  EXPECT_EQ(inverter.input_energy(0).discharged_Wh, 0.0);
  EXPECT_NEAR(inverter.household_energy().pv_produced_Wh, 1500.0, 1e-6);
  EXPECT_NEAR(inverter.household_energy().grid_export_Wh, 500.0, 1e-6);
  EXPECT_NEAR(inverter.household_energy().pv_used_Wh, 1000.0, 1e-6);
  EXPECT_EQ(inverter.household_energy().grid_import_Wh, 0.0);
}

TEST(Inverter, PvHomeDayBalancesOverADay) {
  HouseholdProfileParameters household;  // PvHomeDay
  Inverter inverter(fast_inverter(), household, 3);
  inverter.set_battery_limits(0, generous_limits());
  for (int i = 0; i < 86400; i += 10) inverter.step(i, 10.0, {400.0, 0.0});
  const auto& e = inverter.household_energy();
  const auto& battery = inverter.input_energy(0);
  // load = PV used on site + import + battery discharge - battery charge from PV ... in sum:
  EXPECT_NEAR(e.house_load_Wh - (e.pv_produced_Wh - e.grid_export_Wh) - e.grid_import_Wh,
              battery.discharged_Wh - battery.charged_Wh, 1e-6);
  EXPECT_GT(battery.charged_Wh, 1000.0);
  EXPECT_GT(battery.discharged_Wh, 1000.0);
  EXPECT_NEAR(e.pv_used_Wh, e.pv_produced_Wh - e.grid_export_Wh, 1e-6);
}

TEST(Inverter, BadCsvHouseholdFailsAtConstruction) {
  HouseholdProfileParameters household;
  household.kind = HouseholdProfileKind::CsvSeries;
  household.csv_path = "/nonexistent/household.csv";
  EXPECT_THROW(Inverter(InverterParameters{}, household, 1), ProfileFileError);
}

}  // namespace
}  // namespace bts::plant
