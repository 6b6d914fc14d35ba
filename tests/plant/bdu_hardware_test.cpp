// BDU hardware: relays, precharge, fuse, residual voltage, isolation, loose terminal, energy.
#include "plant/bdu_hardware.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace bts::plant {
namespace {

constexpr double kInverterCapacitance_F = 2000e-6;

// BAT IN held like a stiff source: a huge capacitance instead of the PCUs' 400 uF.
BduParameters stiff_bat_in() {
  BduParameters parameters;
  parameters.bat_in_capacitance_F = 1000.0;
  return parameters;
}

void run(BduHardware& bdu, double seconds, double dt_s, double pcu_A = 0.0, double inverter_A = 0.0,
         double inverter_capacitance_F = kInverterCapacitance_F) {
  const int steps = static_cast<int>(std::lround(seconds / dt_s));
  for (int i = 0; i < steps; ++i) bdu.step(dt_s, pcu_A, inverter_A, inverter_capacitance_F);
}

// Mains closed, DC switch closed, all three nodes at the given voltage.
BduHardware connected_at(double voltage_V, const BduParameters& parameters = stiff_bat_in()) {
  BduHardware bdu(parameters);
  bdu.set_node_voltages_V(voltage_V, voltage_V, voltage_V);
  bdu.set_dc_switch_closed(true);
  bdu.set_relay_coil(RelayId::NegativeMain, true);
  bdu.set_relay_coil(RelayId::PositiveMain, true);
  run(bdu, 0.05, 0.01);
  return bdu;
}

// Time for the fuse to blow at a constant current (the PCUs feed what the inverter draws).
double time_to_blow_s(double current_A, double dt_s, double limit_s) {
  BduHardware bdu = connected_at(400.0);
  double t_s = 0.0;
  while (bdu.fuse_intact() && t_s < limit_s) {
    bdu.step(dt_s, current_A, current_A, kInverterCapacitance_F);
    t_s += dt_s;
  }
  return bdu.fuse_intact() ? INFINITY : t_s;
}

TEST(BduRelays, ContactsFollowTheCoilAfterTheCloseAndOpenTimes) {
  BduHardware bdu{BduParameters{}};
  bdu.set_relay_coil(RelayId::PositiveMain, true);
  EXPECT_TRUE(bdu.relay_coil(RelayId::PositiveMain));
  run(bdu, 0.029, 0.001);
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::PositiveMain));
  run(bdu, 0.001, 0.001);
  EXPECT_TRUE(bdu.relay_contacts_closed(RelayId::PositiveMain));  // at 30 ms

  bdu.set_relay_coil(RelayId::PositiveMain, false);
  run(bdu, 0.009, 0.001);
  EXPECT_TRUE(bdu.relay_contacts_closed(RelayId::PositiveMain));
  run(bdu, 0.001, 0.001);
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::PositiveMain));  // at 10 ms
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::NegativeMain));  // untouched
}

TEST(BduRelays, DelayHoldsWithTheSimulationStep) {
  BduHardware bdu{BduParameters{}};
  bdu.set_relay_coil(RelayId::Precharge, true);
  run(bdu, 0.02, 0.01);
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::Precharge));
  run(bdu, 0.01, 0.01);
  EXPECT_TRUE(bdu.relay_contacts_closed(RelayId::Precharge));
}

TEST(BduRelays, ShortCoilPulseDoesNotMoveTheContacts) {
  BduHardware bdu{BduParameters{}};
  bdu.set_relay_coil(RelayId::NegativeMain, true);
  run(bdu, 0.02, 0.001);
  bdu.set_relay_coil(RelayId::NegativeMain, false);
  run(bdu, 0.1, 0.001);
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::NegativeMain));
  EXPECT_EQ(bdu.relay(RelayId::NegativeMain).operations, 0);
}

TEST(BduRelays, OperationsCountMakeBreakCycles) {
  BduHardware bdu{BduParameters{}};
  for (int i = 0; i < 3; ++i) {
    bdu.set_relay_coil(RelayId::NegativeMain, true);
    run(bdu, 0.05, 0.01);
    bdu.set_relay_coil(RelayId::NegativeMain, false);
    run(bdu, 0.05, 0.01);
  }
  EXPECT_EQ(bdu.relay(RelayId::NegativeMain).operations, 3);
  EXPECT_EQ(bdu.relay(RelayId::PositiveMain).operations, 0);
}

TEST(BduRelays, WeldedRelayStaysClosedAndKeepsConducting) {
  BduHardware bdu = connected_at(400.0);
  bdu.failures().relay_welded[static_cast<int>(RelayId::PositiveMain)] = true;
  bdu.set_relay_coil(RelayId::PositiveMain, false);
  run(bdu, 1.0, 0.01, 10.0, 10.0);
  EXPECT_FALSE(bdu.relay_coil(RelayId::PositiveMain));
  EXPECT_TRUE(bdu.relay_contacts_closed(RelayId::PositiveMain));
  EXPECT_TRUE(bdu.relay(RelayId::PositiveMain).welded);
  EXPECT_NEAR(bdu.truth().output_current_A, 10.0, 0.05);
  // The healthy negative main still opens and interrupts the current.
  bdu.set_relay_coil(RelayId::NegativeMain, false);
  run(bdu, 0.05, 0.01, 0.0, 0.0);
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::NegativeMain));
  EXPECT_EQ(bdu.truth().output_current_A, 0.0);
}

TEST(BduRelays, OpeningAboveTheRatedBreakCurrentIsCounted) {
  BduHardware bdu = connected_at(400.0);
  run(bdu, 0.1, 0.01, 50.0, 50.0);
  ASSERT_NEAR(bdu.relay_current_A(RelayId::PositiveMain), 50.0, 0.05);
  bdu.set_relay_coil(RelayId::PositiveMain, false);
  run(bdu, 0.05, 0.01, 50.0, 50.0);
  EXPECT_FALSE(bdu.relay_contacts_closed(RelayId::PositiveMain));
  EXPECT_EQ(bdu.relay(RelayId::PositiveMain).openings_above_break_current, 1);
  EXPECT_EQ(bdu.relay(RelayId::NegativeMain).openings_above_break_current, 0);
}

TEST(BduRelays, OpeningBelowTheRatedBreakCurrentIsNotCounted) {
  BduHardware bdu = connected_at(400.0);
  run(bdu, 0.1, 0.01, 30.0, 30.0);
  bdu.set_relay_coil(RelayId::PositiveMain, false);
  bdu.set_relay_coil(RelayId::NegativeMain, false);
  run(bdu, 0.05, 0.01, 30.0, 30.0);
  EXPECT_EQ(bdu.relay(RelayId::PositiveMain).openings_above_break_current, 0);
  EXPECT_EQ(bdu.relay(RelayId::NegativeMain).openings_above_break_current, 0);
}

TEST(BduPrecharge, InverterSideFollowsTheRcCurve) {
  const BduParameters parameters = stiff_bat_in();
  BduHardware bdu(parameters);
  bdu.set_node_voltages_V(400.0, 0.0, 0.0);
  bdu.set_dc_switch_closed(true);
  bdu.set_relay_coil(RelayId::NegativeMain, true);
  bdu.set_relay_coil(RelayId::Precharge, true);
  const double dt_s = 0.001;
  while (!bdu.relay_contacts_closed(RelayId::Precharge)) run(bdu, dt_s, dt_s);
  const double tau_s = parameters.precharge_resistance_Ohm *
                       (parameters.dc_link_capacitance_F + kInverterCapacitance_F);
  ASSERT_NEAR(tau_s, 0.3, 1e-12);
  double t_s = 0.0;  // the first closed step already charged
  for (double mark : {0.5, 1.0, 2.0, 3.0}) {
    while (t_s < mark * tau_s - 1e-9) {
      run(bdu, dt_s, dt_s);
      t_s += dt_s;
    }
    const double expected_V = 400.0 * (1.0 - std::exp(-(t_s + dt_s) / tau_s));
    EXPECT_NEAR(bdu.truth().inverter_voltage_V, expected_V, 0.02 * expected_V) << mark;
    EXPECT_NEAR(bdu.truth().dc_link_voltage_V, bdu.truth().inverter_voltage_V, 0.5);
  }
  // Heat in the resistor: integral of (V e^(-t/tau))^2 / R = 1/2 C V^2 (1 - e^(-2t/tau)).
  const double heat_J =
      0.5 * 3000e-6 * 400.0 * 400.0 * (1.0 - std::exp(-2.0 * (t_s + dt_s) / tau_s));
  EXPECT_NEAR(bdu.truth().precharge_resistor_energy_J, heat_J, 0.03 * heat_J);
}

TEST(BduPrecharge, NoPathWithoutTheNegativeMain) {
  BduHardware bdu(stiff_bat_in());
  bdu.set_node_voltages_V(400.0, 0.0, 0.0);
  bdu.set_dc_switch_closed(true);
  bdu.set_relay_coil(RelayId::Precharge, true);
  bdu.set_relay_coil(RelayId::PositiveMain, true);
  run(bdu, 1.0, 0.01);
  EXPECT_EQ(bdu.truth().dc_link_voltage_V, 0.0);
  EXPECT_EQ(bdu.truth().precharge_resistor_energy_J, 0.0);
}

TEST(BduFuse, CurveIsLogLogBetweenPointsAndInfiniteBelow) {
  const BduHardware bdu{BduParameters{}};
  EXPECT_NEAR(bdu.fuse_melting_time_s(80.0), 60.0, 1e-9);
  EXPECT_NEAR(bdu.fuse_melting_time_s(-120.0), 5.0, 1e-9);  // either direction
  EXPECT_NEAR(bdu.fuse_melting_time_s(200.0), 0.5, 1e-9);
  EXPECT_TRUE(std::isinf(bdu.fuse_melting_time_s(44.0)));
  EXPECT_TRUE(std::isinf(bdu.fuse_melting_time_s(0.0)));
  // Halfway in log current between 2x and 3x lies halfway in log time.
  const double log_mid_A = 40.0 * std::sqrt(2.0 * 3.0);
  EXPECT_NEAR(bdu.fuse_melting_time_s(log_mid_A), std::sqrt(60.0 * 5.0), 1e-9);
  // Past the last point: constant I^2*t.
  EXPECT_NEAR(bdu.fuse_melting_time_s(800.0), 0.02 / 4.0, 1e-12);
}

TEST(BduFuse, BlowsAtTheCurveTimeAt2x3x5x) {
  EXPECT_NEAR(time_to_blow_s(80.0, 0.01, 120.0), 60.0, 0.05 * 60.0);
  EXPECT_NEAR(time_to_blow_s(120.0, 0.001, 10.0), 5.0, 0.05 * 5.0);
  EXPECT_NEAR(time_to_blow_s(200.0, 0.0005, 1.0), 0.5, 0.05 * 0.5);
}

TEST(BduFuse, NeverBlowsAt1_1xWithinTenHours) {
  BduHardware bdu = connected_at(400.0);
  run(bdu, 36000.0, 0.1, 44.0, 44.0);
  EXPECT_TRUE(bdu.fuse_intact());
  EXPECT_EQ(bdu.fuse_melt_fraction(), 0.0);
  EXPECT_NEAR(bdu.truth().output_current_A, 44.0, 0.1);  // it really carried 1.1x
}

TEST(BduFuse, BlownFuseIsPermanentAndShowsTheBusAcrossIt) {
  BduHardware bdu = connected_at(400.0);
  run(bdu, 1.0, 0.001, 200.0, 200.0);
  ASSERT_FALSE(bdu.fuse_intact());
  run(bdu, 1000.0, 0.1, 0.0, 10.0);
  EXPECT_FALSE(bdu.fuse_intact());
  EXPECT_TRUE(bdu.failures().fuse_blown);
  EXPECT_EQ(bdu.truth().output_current_A, 0.0);
  EXPECT_NEAR(bdu.truth().fuse_voltage_drop_V, bdu.truth().bat_in_voltage_V, 1.0);
  EXPECT_GT(bdu.truth().fuse_voltage_drop_V, 300.0);
}

TEST(BduFuse, IntactFuseDropIsItsResistanceTimesCurrent) {
  BduHardware bdu = connected_at(400.0);
  run(bdu, 0.1, 0.01, 25.0, 25.0);
  EXPECT_NEAR(bdu.truth().fuse_voltage_drop_V, 25.0 * 2e-3, 1e-3);
}

TEST(BduFuse, CoolsAndForgetsAShortOverload) {
  BduHardware rested = connected_at(400.0);
  run(rested, 2.5, 0.001, 120.0, 120.0);
  EXPECT_NEAR(rested.fuse_melt_fraction(), 0.5, 0.01);
  run(rested, 600.0, 0.1);  // five cooling time constants at no current
  EXPECT_NEAR(rested.fuse_melt_fraction(), 0.5 * std::exp(-5.0), 0.001);
  run(rested, 4.5, 0.001, 120.0, 120.0);
  EXPECT_TRUE(rested.fuse_intact());

  BduHardware unrested = connected_at(400.0);  // same overloads without the pause
  run(unrested, 2.5, 0.001, 120.0, 120.0);
  run(unrested, 4.5, 0.001, 120.0, 120.0);
  EXPECT_FALSE(unrested.fuse_intact());
}

TEST(BduResidualVoltage, DcLinkBelow60VFiveMinutesAfter435V) {
  const BduParameters parameters;
  BduHardware bdu(parameters);
  bdu.set_node_voltages_V(435.0, 435.0, 0.0);  // relays open, DC switch open: no inverter
  run(bdu, 300.0, 0.01);
  const double tau_s = parameters.bleeder_resistance_Ohm * parameters.dc_link_capacitance_F;
  ASSERT_NEAR(tau_s, 82.0, 1e-9);
  const double expected_V = 435.0 * std::exp(-300.0 / tau_s);
  EXPECT_LT(bdu.truth().dc_link_voltage_V, 60.0);
  EXPECT_NEAR(bdu.truth().dc_link_voltage_V, expected_V, 0.01 * expected_V);
  // BAT IN: its bleeder alone would leave 435 V e^(-300/80); the housekeeping load speeds it up.
  const double bat_in_tau_s =
      parameters.bat_in_bleeder_resistance_Ohm * parameters.bat_in_capacitance_F;
  EXPECT_LT(bdu.truth().bat_in_voltage_V, 435.0 * std::exp(-300.0 / bat_in_tau_s));
}

TEST(BduIsolation, DcSwitchOpenIsolatesTheInverter) {
  BduHardware bdu(stiff_bat_in());
  bdu.set_node_voltages_V(400.0, 400.0, 0.0);
  bdu.set_relay_coil(RelayId::NegativeMain, true);
  bdu.set_relay_coil(RelayId::PositiveMain, true);
  run(bdu, 1.0, 0.01, 0.0, 5.0);
  EXPECT_EQ(bdu.truth().inverter_voltage_V, 0.0);
  EXPECT_EQ(bdu.inverter_current_drawn_A(), 0.0);  // limited: nothing to draw from
  EXPECT_NEAR(bdu.truth().dc_link_voltage_V, 400.0, 0.5);
  bdu.set_dc_switch_closed(true);
  run(bdu, 0.1, 0.01, 5.0, 5.0);
  EXPECT_NEAR(bdu.truth().inverter_voltage_V, 400.0, 0.5);
  EXPECT_NEAR(bdu.inverter_current_drawn_A(), 5.0, 1e-9);
}

TEST(BduIsolation, CableCutIsolatesTheInverter) {
  BduHardware bdu = connected_at(400.0);
  run(bdu, 0.5, 0.01, 10.0, 10.0);
  ASSERT_NEAR(bdu.truth().output_current_A, 10.0, 0.05);
  bdu.failures().cable_to_inverter_cut = true;
  run(bdu, 1.0, 0.01, 0.0, 10.0);
  EXPECT_EQ(bdu.truth().inverter_voltage_V, 0.0);  // inverter drained its own capacitance
  EXPECT_EQ(bdu.inverter_current_drawn_A(), 0.0);
  EXPECT_NEAR(bdu.truth().dc_link_voltage_V, 400.0, 0.5);
  EXPECT_LT(std::abs(bdu.truth().output_current_A), 0.01);  // only the bleeder
}

TEST(BduTerminal, LooseTerminalDropsVoltageAndHeats) {
  BduHardware healthy = connected_at(400.0);
  BduHardware loose = connected_at(400.0);
  loose.failures().output_terminal_loose = true;
  run(healthy, 3600.0, 0.1, 25.0, 25.0);
  run(loose, 3600.0, 0.1, 25.0, 25.0);
  const double extra_drop_V = healthy.truth().inverter_voltage_V - loose.truth().inverter_voltage_V;
  EXPECT_NEAR(extra_drop_V, 25.0 * 0.15, 0.05);
  EXPECT_NEAR(loose.truth().dc_link_voltage_V, healthy.truth().dc_link_voltage_V, 0.05);
  // 25^2 * 0.1502 W through 0.5 W/K, after 9 time constants of 400 s.
  EXPECT_NEAR(loose.truth().output_terminal_temperature_rise_degC, 625.0 * 0.1502 / 0.5, 0.5);
  EXPECT_LT(healthy.truth().output_terminal_temperature_rise_degC, 1.0);
  EXPECT_GT(loose.enclosure_loss_W(), healthy.enclosure_loss_W() + 90.0);
}

TEST(BduNetwork, HousekeepingRunsOnlyAbove100V) {
  BduHardware high{BduParameters{}};
  high.set_node_voltages_V(400.0, 0.0, 0.0);
  high.step(0.01, 0.0, 0.0, kInverterCapacitance_F);
  BduHardware low{BduParameters{}};
  low.set_node_voltages_V(90.0, 0.0, 0.0);
  low.step(0.01, 0.0, 0.0, kInverterCapacitance_F);
  const double bleeder_400_W = 400.0 * 400.0 / 200e3;
  EXPECT_NEAR(high.loss_W(), 6.0 + bleeder_400_W, 0.05);
  EXPECT_NEAR(low.loss_W(), 90.0 * 90.0 / 200e3, 0.01);
}

TEST(BduNetwork, VoltagesNeverGoNegative) {
  BduHardware bdu{BduParameters{}};
  bdu.set_node_voltages_V(310.0, 0.0, 50.0);
  bdu.set_dc_switch_closed(true);
  for (int i = 0; i < 100; ++i) {
    bdu.step(0.01, -30.0, 30.0, kInverterCapacitance_F);  // PCUs charge, inverter draws
    EXPECT_GE(bdu.truth().bat_in_voltage_V, 0.0);
    EXPECT_GE(bdu.truth().dc_link_voltage_V, 0.0);
    EXPECT_GE(bdu.truth().inverter_voltage_V, 0.0);
  }
  EXPECT_NEAR(bdu.truth().bat_in_voltage_V, 0.0, 1e-9);
  EXPECT_NEAR(bdu.pcu_current_accepted_A(), 0.0, 1e-9);
  EXPECT_NEAR(bdu.inverter_current_drawn_A(), 0.0, 1e-9);
}

TEST(BduNetwork, StableWithTheContactResistanceAtA10msStep) {
  BduHardware bdu = connected_at(390.0, BduParameters{});  // 400 uF BAT IN, 0.5 mOhm contacts
  double previous_V = bdu.truth().bat_in_voltage_V;
  for (int i = 0; i < 100; ++i) {
    bdu.step(0.01, 20.0, 20.0, kInverterCapacitance_F);
    const double v_in_V = bdu.truth().bat_in_voltage_V;
    // The first step moves charge to set up the 0.7 V drop; then a slow monotone drain by the
    // bleeders and housekeeping (~22 mA from 3.4 mF), never ringing.
    if (i > 0) {
      EXPECT_LE(v_in_V - previous_V, 0.0) << "step " << i;
      EXPECT_GT(v_in_V - previous_V, -0.1) << "step " << i;
    }
    EXPECT_NEAR(bdu.truth().dc_link_voltage_V, v_in_V - 20.0 * 3e-3, 0.01);
    EXPECT_NEAR(bdu.truth().output_current_A, 20.0, 0.05);
    previous_V = v_in_V;
  }
  EXPECT_NEAR(previous_V, 390.0 - 1.0 * 0.022 / 3.4e-3, 1.0);
}

// Per step of implicit Euler: energy in - energy out - losses = sum C v' (v' - v), exactly.
double discrete_storage_change_J(const BduTruth& before, const BduTruth& after,
                                 const BduParameters& parameters) {
  const double c[] = {parameters.bat_in_capacitance_F, parameters.dc_link_capacitance_F,
                      kInverterCapacitance_F};
  const double v0[] = {before.bat_in_voltage_V, before.dc_link_voltage_V,
                       before.inverter_voltage_V};
  const double v1[] = {after.bat_in_voltage_V, after.dc_link_voltage_V, after.inverter_voltage_V};
  double sum_J = 0.0;
  for (int i = 0; i < 3; ++i) sum_J += c[i] * v1[i] * (v1[i] - v0[i]);
  return sum_J;
}

TEST(BduEnergy, PrechargeAndLoadStepConserveEnergy) {
  const BduParameters parameters;  // real 400 uF BAT IN fed by a PCU-like source
  BduHardware bdu(parameters);
  bdu.set_node_voltages_V(400.0, 0.0, 0.0);
  bdu.set_dc_switch_closed(true);
  bdu.set_relay_coil(RelayId::NegativeMain, true);
  bdu.set_relay_coil(RelayId::Precharge, true);
  const double dt_s = 0.001;
  const double initial_J = bdu.stored_energy_J();
  double in_J = 0.0, out_J = 0.0, loss_J = 0.0;
  for (int i = 0; i < 3000; ++i) {
    if (i == 1500) bdu.set_relay_coil(RelayId::PositiveMain, true);
    if (i == 1600) bdu.set_relay_coil(RelayId::Precharge, false);
    const double inverter_A = i >= 2000 ? 20.0 : 0.0;  // load step at 2 s
    // PCUs: 30 A at most, proportional voltage control around 400 V plus the load feed-forward.
    const double pcu_A =
        std::clamp(inverter_A + 0.3 * (400.0 - bdu.truth().bat_in_voltage_V), 0.0, 30.0);
    const BduTruth before = bdu.truth();
    bdu.step(dt_s, pcu_A, inverter_A, kInverterCapacitance_F);
    const BduTruth& after = bdu.truth();
    const double step_in_J = bdu.pcu_current_accepted_A() * after.bat_in_voltage_V * dt_s;
    const double step_out_J = bdu.inverter_current_drawn_A() * after.inverter_voltage_V * dt_s;
    const double step_loss_J = bdu.loss_W() * dt_s;
    ASSERT_NEAR(step_in_J - step_out_J - step_loss_J,
                discrete_storage_change_J(before, after, parameters), 1e-9 + 1e-9 * step_in_J)
        << "step " << i;
    in_J += step_in_J;
    out_J += step_out_J;
    loss_J += step_loss_J;
  }
  const double stored_change_J = bdu.stored_energy_J() - initial_J;
  EXPECT_GT(loss_J, 0.3 * stored_change_J);  // the precharge loss is substantial
  EXPECT_GT(out_J, 0.3 * in_J);
  EXPECT_NEAR(in_J, out_J + loss_J + stored_change_J, 0.01 * in_J);
}

}  // namespace
}  // namespace bts::plant
