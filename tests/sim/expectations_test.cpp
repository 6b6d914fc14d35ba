// Expectations checked on a snapshot: every kind passes and fails, and says so in words a person
// reads ("at 00:15:00 (line 23): BDU1.M3 expected state Fault, was Standby").
#include "sim/expectations.hpp"

#include <gtest/gtest.h>

namespace bts::sim {
namespace {

using firmware::Code;
using firmware::LightMode;
using firmware::StatusColour;

/// One BDU with two modules, discharging at 12 A in Discharge with F10 on module 2.
SystemSnapshot snapshot() {
  SystemSnapshot s;
  s.time_s = 900.0;
  BduSnapshot bdu;
  bdu.state = "Discharge";
  bdu.lights.status_colour = StatusColour::Green;
  bdu.lights.status = LightMode::On;
  bdu.lights.soc = {LightMode::On, LightMode::On, LightMode::Off, LightMode::Off, LightMode::Off};
  bdu.codes.set(Code::A1);
  bdu.relays_closed = true;
  bdu.soc_percent = 42.5;
  bdu.limits_valid = true;
  bdu.charge_current_limit_A = 20.0;
  bdu.discharge_current_limit_A = 25.0;
  bdu.inverter_current_A = -3.25;
  s.bdus.push_back(bdu);
  ModuleSnapshot m1;
  m1.state = "Run";
  m1.soc_percent = 44.0;
  ModuleSnapshot m2;
  m2.state = "Standby";
  m2.soc_percent = 41.0;
  m2.codes.set(Code::F10);
  m2.codes.set(Code::A2);
  s.modules.push_back({m1, m2});
  return s;
}

Expectation at_15m(ExpectationKind kind, int module = -1) {
  Expectation e;
  e.time_s = 900.0;
  e.line = 23;
  e.kind = kind;
  e.bdu = 0;
  e.module = module;
  return e;
}

TEST(Expectations, StateComparesIgnoringCase) {
  Expectation e = at_15m(ExpectationKind::State, 1);
  e.state = "Fault";
  ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "at 00:15:00 (line 23): BDU1.M2 expected state Fault, was Standby");
  EXPECT_EQ(r.node, "BDU1.M2");
  EXPECT_EQ(r.line, 23);
  EXPECT_DOUBLE_EQ(r.time_s, 900.0);
  EXPECT_EQ(r.expected, "state Fault");

  e.state = "standby";
  r = check_expectation(e, snapshot());
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.message, "at 00:15:00 (line 23): BDU1.M2 state standby, as expected");

  e = at_15m(ExpectationKind::State);
  e.state = "DISCHARGE";
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
}

TEST(Expectations, LightsPrintAllSevenInTheManualsWords) {
  Expectation e = at_15m(ExpectationKind::Lights);
  e.lights.alarm = LightMode::On;
  e.lights.soc = {LightMode::On, LightMode::Off, LightMode::Off, LightMode::On, LightMode::Off};
  const ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1 expected lights status off, alarm on, L1 on, L2 off, L3 "
            "off, L4 on, L5 off, were status green on, alarm off, L1 on, L2 on, L3 off, L4 off, "
            "L5 off");

  // The same pattern as shown passes; a lit status light without a colour matches either.
  e.lights = snapshot().bdus[0].lights;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.lights.status_colour = StatusColour::None;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.lights.status_colour = StatusColour::Blue;
  const ExpectationResult blue = check_expectation(e, snapshot());
  EXPECT_FALSE(blue.passed);
  EXPECT_NE(blue.message.find("expected lights status blue on"), std::string::npos) << blue.message;
  e.lights.status = LightMode::Flash;
  e.lights.status_colour = StatusColour::None;
  EXPECT_NE(describe_lights(e.lights).find("status flashing (any colour)"), std::string::npos);
}

TEST(Expectations, CodesActiveInactiveAndNone) {
  Expectation e = at_15m(ExpectationKind::CodeActive, 1);
  e.code = Code::F10;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.code = Code::F11;
  ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1.M2 expected F11 (battery cell fault) active, active "
            "were: A2 F10");
  e.module = 0;
  EXPECT_NE(check_expectation(e, snapshot()).message.find("active were: none"), std::string::npos);

  e = at_15m(ExpectationKind::CodeInactive);
  e.code = Code::A1;
  r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1 expected A1 (high temperature) inactive, but it is "
            "active");
  e.code = Code::F1;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);

  e = at_15m(ExpectationKind::NoCodes, 1);
  r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "at 00:15:00 (line 23): BDU1.M2 expected no codes, active were: A2 F10");
  e.module = 0;
  r = check_expectation(e, snapshot());
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.message, "at 00:15:00 (line 23): BDU1.M1 no codes, as expected");
}

TEST(Expectations, Relays) {
  Expectation e = at_15m(ExpectationKind::RelaysClosed);
  e.flag = true;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.flag = false;
  const ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "at 00:15:00 (line 23): BDU1 expected main relays open, were closed");
  e.module = 0;
  EXPECT_NE(check_expectation(e, snapshot()).message.find("checked on a BDU only"),
            std::string::npos);
}

TEST(Expectations, LimitsAtMostAndAtLeast) {
  Expectation e = at_15m(ExpectationKind::ChargeLimitAtMost);
  e.value = 0.0;
  ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1 expected charge current limit at most 0 A, was 20 A");
  e.value = 20.0;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);

  e = at_15m(ExpectationKind::DischargeLimitAtMost);
  e.value = 24.5;
  EXPECT_FALSE(check_expectation(e, snapshot()).passed);
  e.value = 30.0;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);

  e = at_15m(ExpectationKind::ChargeLimitAtLeast);
  e.value = 5.0;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.value = 25.0;
  r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1 expected charge current limit at least 25 A, was 20 A");

  e = at_15m(ExpectationKind::DischargeLimitAtLeast);
  e.value = 5.0;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.value = 25.5;
  EXPECT_FALSE(check_expectation(e, snapshot()).passed);

  // No limits reported: 0 A.
  SystemSnapshot silent = snapshot();
  silent.bdus[0].limits_valid = false;
  r = check_expectation(e, silent);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.message.find("no limits were reported (counts as 0 A)"), std::string::npos);
  e = at_15m(ExpectationKind::ChargeLimitAtMost);
  e.value = 0.0;
  EXPECT_TRUE(check_expectation(e, silent).passed);
}

TEST(Expectations, InverterCurrentByMagnitude) {
  Expectation e = at_15m(ExpectationKind::InverterCurrentAtMost);
  e.value = 0.5;
  const ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1 expected inverter current at most 0.5 A, was -3.25 A");
  e.value = 3.25;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
}

TEST(Expectations, SocBetweenInclusive) {
  Expectation e = at_15m(ExpectationKind::SocBetween);
  e.value = 40.0;
  e.value_high = 60.0;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.value = 42.5;
  e.value_high = 42.5;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
  e.value = 50.0;
  e.value_high = 60.0;
  ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message, "at 00:15:00 (line 23): BDU1 expected SOC 50..60 %, was 42.5 %");
  e.module = 1;
  e.value = 0.0;
  e.value_high = 41.0;
  EXPECT_TRUE(check_expectation(e, snapshot()).passed);
}

TEST(Expectations, ANodeTheRunDoesNotHaveFails) {
  Expectation e = at_15m(ExpectationKind::NoCodes, 3);
  ExpectationResult r = check_expectation(e, snapshot());
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "at 00:15:00 (line 23): BDU1.M4 expected no codes, but the run has no such node");
  e.module = -1;
  e.bdu = 1;
  EXPECT_FALSE(check_expectation(e, snapshot()).passed);
}

TEST(Expectations, ClockAndNames) {
  EXPECT_EQ(format_clock(0.0), "00:00:00");
  EXPECT_EQ(format_clock(3723.0), "01:02:03");
  EXPECT_EQ(format_clock(2.5), "00:00:02.5");
  EXPECT_EQ(format_clock(86400.0 + 7200.0), "1d 02:00:00");
  EXPECT_EQ(node_name(0, -1), "BDU1");
  EXPECT_EQ(node_name(1, 2), "BDU2.M3");
  firmware::CodeSet codes;
  codes.set(Code::F10);
  codes.set(Code::A1);
  EXPECT_EQ(code_labels(codes), "A1 F10");
  EXPECT_EQ(code_labels({}), "");
}

}  // namespace
}  // namespace bts::sim
