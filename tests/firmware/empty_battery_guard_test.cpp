// What the BDU does with an empty battery (decision D-EMPTY, src/firmware/bdu/
// empty_battery_guard.*): ask for a forced charge, park when nobody charges, try again hourly,
// shut down at the cells' deep limit. The controller's side is in bdu_state_machine_test.cpp.
#include "firmware/bdu/empty_battery_guard.hpp"

#include <gtest/gtest.h>

namespace bts::firmware {
namespace {

constexpr TimeMs kSecond_ms = 1000;
constexpr TimeMs kMinute_ms = 60 * kSecond_ms;

EmptyGuardInputs connected_at(std::int32_t soc_permille, bool empty, std::int32_t lowest_mV) {
  EmptyGuardInputs in;
  in.awake = true;
  in.connected = true;
  in.soc_permille = soc_permille;
  in.every_module_at_empty_end = empty;
  in.lowest_cell_mV = lowest_mV;
  in.soc_known = true;
  in.charge_possible = true;
  return in;
}

EmptyGuardInputs parked_at(std::int32_t lowest_mV) {
  EmptyGuardInputs in = connected_at(5, true, lowest_mV);
  in.connected = false;
  in.standing_by = true;
  return in;
}

/// Feeds the same inputs once a second from `from_ms` for `duration_ms`; returns the end time.
TimeMs run(EmptyBatteryGuard& guard, const EmptyGuardInputs& in, TimeMs from_ms,
           TimeMs duration_ms) {
  TimeMs now_ms = from_ms;
  for (; now_ms < from_ms + duration_ms; now_ms += kSecond_ms) guard.update(in, now_ms);
  return now_ms;
}

TEST(EmptyBatteryGuard, AsksForAForcedChargeFrom5PercentUntil10Percent) {
  EmptyBatteryGuard guard;
  guard.update(connected_at(60, false, 3200), 0);
  EXPECT_FALSE(guard.force_charge_requested());
  guard.update(connected_at(50, false, 3150), kSecond_ms);
  EXPECT_TRUE(guard.force_charge_requested()) << "5 %";
  guard.update(connected_at(99, false, 3200), 2 * kSecond_ms);
  EXPECT_TRUE(guard.force_charge_requested()) << "hysteresis: still below 10 %";
  guard.update(connected_at(100, false, 3200), 3 * kSecond_ms);
  EXPECT_FALSE(guard.force_charge_requested()) << "back at 10 %";
  // Every module at its empty end asks whatever the SOC estimate says.
  guard.update(connected_at(300, true, 2880), 4 * kSecond_ms);
  EXPECT_TRUE(guard.force_charge_requested());
}

TEST(EmptyBatteryGuard, AnUnknownSocAsksNothing) {
  // Woken, no module has reported yet: the BDU's SOC of 0 is not a measurement.
  EmptyBatteryGuard guard;
  EmptyGuardInputs woken = connected_at(0, false, 0);
  woken.connected = false;
  woken.soc_known = false;
  guard.update(woken, 0);
  EXPECT_FALSE(guard.force_charge_requested());
  guard.update(connected_at(70, false, 3150), kSecond_ms);  // 7 %: above the 5 % that asks
  EXPECT_FALSE(guard.force_charge_requested());
}

TEST(EmptyBatteryGuard, ParksAfter30MinEmptyWithoutCharge) {
  EmptyBatteryGuard guard;
  const EmptyGuardInputs empty = connected_at(5, true, 2880);
  TimeMs now_ms = run(guard, empty, 0, 30 * kMinute_ms);  // last update at 29:59
  EXPECT_FALSE(guard.parked());
  guard.update(empty, now_ms);
  EXPECT_TRUE(guard.parked());
  EXPECT_TRUE(guard.holds_open());
  EXPECT_TRUE(guard.force_charge_requested()) << "parked, it still asks";
  EXPECT_FALSE(guard.deep_discharge_shutdown());
}

TEST(EmptyBatteryGuard, ChargeStopsTheCountAndEndsTheParking) {
  EmptyBatteryGuard guard;
  EmptyGuardInputs empty = connected_at(5, true, 2880);
  TimeMs now_ms = run(guard, empty, 0, 20 * kMinute_ms);
  EmptyGuardInputs charged = empty;
  charged.charging = true;
  now_ms = run(guard, charged, now_ms, 40 * kMinute_ms);
  EXPECT_FALSE(guard.parked());
  // The charge stopped (the cloud came back): the count starts again from zero.
  now_ms = run(guard, empty, now_ms, 29 * kMinute_ms);
  EXPECT_FALSE(guard.parked());
  now_ms = run(guard, empty, now_ms, 2 * kMinute_ms);
  ASSERT_TRUE(guard.parked());
  // Charge on a probe ends the parking.
  EmptyGuardInputs probe_charged = charged;
  guard.update(probe_charged, now_ms);
  EXPECT_FALSE(guard.parked());
  EXPECT_FALSE(guard.holds_open());
}

TEST(EmptyBatteryGuard, ADeepCellWhileConnectedDoesNotHurryTheParking) {
  // Connected, the converters' draw needs hours from 2.9 V to 2.7 V; a cell that gets there
  // sooner has a fault of its own (a short) that must stay on show.
  EmptyBatteryGuard guard;
  TimeMs now_ms = run(guard, connected_at(300, false, 3200), 0, 6 * kMinute_ms);
  now_ms = run(guard, connected_at(20, true, 2600), now_ms, 29 * kMinute_ms);
  EXPECT_FALSE(guard.parked());
  EXPECT_FALSE(guard.deep_discharge_shutdown());
  run(guard, connected_at(20, true, 2600), now_ms, 2 * kMinute_ms);
  EXPECT_TRUE(guard.parked());
}

TEST(EmptyBatteryGuard, ProbesForFiveMinutesEveryHourWhileParked) {
  EmptyBatteryGuard guard;
  const EmptyGuardInputs empty = connected_at(5, true, 2880);
  TimeMs now_ms = run(guard, empty, 0, 30 * kMinute_ms + kSecond_ms);
  ASSERT_TRUE(guard.parked());
  const EmptyGuardInputs parked = parked_at(2880);
  now_ms = run(guard, parked, now_ms, 59 * kMinute_ms);
  EXPECT_TRUE(guard.holds_open());
  now_ms = run(guard, parked, now_ms, 2 * kMinute_ms);
  EXPECT_FALSE(guard.holds_open()) << "probing: the BDU may reconnect";
  EXPECT_TRUE(guard.parked());
  now_ms = run(guard, empty, now_ms, 5 * kMinute_ms);
  EXPECT_TRUE(guard.holds_open()) << "nobody charged within 5 min: open again";
}

TEST(EmptyBatteryGuard, NoRetryWhileNoModuleMayBeCharged) {
  EmptyBatteryGuard guard;
  TimeMs now_ms = run(guard, connected_at(5, true, 2880), 0, 30 * kMinute_ms + kSecond_ms);
  ASSERT_TRUE(guard.parked());
  EmptyGuardInputs cold = parked_at(2880);
  cold.charge_possible = false;  // every module below 0 degC (F2)
  now_ms = run(guard, cold, now_ms, 3 * 60 * kMinute_ms);
  EXPECT_TRUE(guard.holds_open()) << "three hours cold: no retry";
  guard.inverter_wants_to_charge(now_ms);
  EXPECT_TRUE(guard.holds_open()) << "not even for a charge command";
  guard.update(parked_at(2880), now_ms);  // warmer: charge possible again
  EXPECT_FALSE(guard.holds_open()) << "the retry that was due starts at once";
}

TEST(EmptyBatteryGuard, AnInverterChargeCommandStartsAProbeAtOnce) {
  EmptyBatteryGuard guard;
  TimeMs now_ms = run(guard, connected_at(5, true, 2880), 0, 30 * kMinute_ms + kSecond_ms);
  ASSERT_TRUE(guard.holds_open());
  guard.inverter_wants_to_charge(now_ms);
  EXPECT_FALSE(guard.holds_open());
}

TEST(EmptyBatteryGuard, ShutsDownAtTheDeepLimitOnlyInStandby) {
  EmptyBatteryGuard guard;
  TimeMs now_ms = run(guard, parked_at(2710), 0, 10 * kMinute_ms);
  EXPECT_FALSE(guard.deep_discharge_shutdown()) << "2.71 V";
  EmptyGuardInputs connected = parked_at(2700);
  connected.standing_by = false;
  connected.connected = true;
  guard.update(connected, now_ms);
  EXPECT_FALSE(guard.deep_discharge_shutdown()) << "probing: connected";
  guard.update(parked_at(2700), now_ms);
  EXPECT_TRUE(guard.deep_discharge_shutdown());
  // Shut down: everything is forgotten.
  EmptyGuardInputs off;
  guard.update(off, now_ms + kSecond_ms);
  EXPECT_FALSE(guard.deep_discharge_shutdown());
  EXPECT_FALSE(guard.force_charge_requested());
  EXPECT_FALSE(guard.parked());
}

TEST(EmptyBatteryGuard, GivesTheInverterItsChanceAfterAWakeUp) {
  EmptyBatteryGuard guard;
  // Woken by the black start button with a deep cell: not shut down while the black start
  // window is open, nor for 5 min after it closed.
  EmptyGuardInputs woken = parked_at(2650);
  woken.black_start_window = true;
  TimeMs now_ms = run(guard, woken, 0, 8 * kMinute_ms);
  EXPECT_FALSE(guard.deep_discharge_shutdown());
  EXPECT_TRUE(guard.force_charge_requested());
  woken.black_start_window = false;
  now_ms = run(guard, woken, now_ms, 4 * kMinute_ms);
  EXPECT_FALSE(guard.deep_discharge_shutdown()) << "4 min after the window closed";
  run(guard, woken, now_ms, 2 * kMinute_ms);
  EXPECT_TRUE(guard.deep_discharge_shutdown());
}

}  // namespace
}  // namespace bts::firmware
