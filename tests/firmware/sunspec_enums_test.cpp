// The BDU's states and codes as SunSpec enumerations and event bits (docs/protocols/sunspec.md).
#include "firmware/inverter/sunspec_enums.hpp"

#include <gtest/gtest.h>

#include <bit>

namespace bts::firmware::sunspec {
namespace {

BduValues in_state(BduState state, std::int32_t soc_permille = 500) {
  BduValues bdu;
  bdu.state = state;
  bdu.soc_permille = soc_permille;
  return bdu;
}

TEST(SunSpecEnums, BatteryStateOfEveryBduState) {
  const std::vector<std::pair<BduState, BatteryState>> table{
      {BduState::Shutdown, BatteryState::Disconnected},
      {BduState::SelfTest, BatteryState::Initializing},
      {BduState::Standby, BatteryState::Standby},
      {BduState::Precharge, BatteryState::Initializing},
      {BduState::Idle, BatteryState::Connected},
      {BduState::Charge, BatteryState::Connected},
      {BduState::Discharge, BatteryState::Connected},
      {BduState::Opening, BatteryState::Suspending},
      {BduState::Fault, BatteryState::Fault},
      {BduState::Updating, BatteryState::Disconnected},
  };
  ASSERT_EQ(table.size(), static_cast<std::size_t>(kBduStateCount));
  for (const auto& [state, expected] : table)
    EXPECT_EQ(battery_state(in_state(state)), expected) << bdu_state_name(state);
}

TEST(SunSpecEnums, ChargeStatusOfEveryBduStateAndTheEndsOfIdle) {
  const std::vector<std::pair<BduState, ChargeStatus>> table{
      {BduState::Shutdown, ChargeStatus::Off},
      {BduState::SelfTest, ChargeStatus::Testing},
      {BduState::Standby, ChargeStatus::Holding},
      {BduState::Precharge, ChargeStatus::Holding},
      {BduState::Idle, ChargeStatus::Holding},
      {BduState::Charge, ChargeStatus::Charging},
      {BduState::Discharge, ChargeStatus::Discharging},
      {BduState::Opening, ChargeStatus::Holding},
      {BduState::Fault, ChargeStatus::Off},
      {BduState::Updating, ChargeStatus::Off},
  };
  ASSERT_EQ(table.size(), static_cast<std::size_t>(kBduStateCount));
  for (const auto& [state, expected] : table)
    EXPECT_EQ(charge_status(in_state(state)), expected) << bdu_state_name(state);
  EXPECT_EQ(charge_status(in_state(BduState::Idle, 1000)), ChargeStatus::Full);
  EXPECT_EQ(charge_status(in_state(BduState::Idle, 0)), ChargeStatus::Empty);
}

TEST(SunSpecEnums, EveryCodeSetsAnEventBitAndAlarmsAreWarnings) {
  for (int index = 0; index < kCodeCount; ++index) {
    const auto code = static_cast<Code>(index);
    const std::uint32_t bits = event_bits_of(code);
    EXPECT_NE(bits, 0u) << code_info(code).label;
    // Warnings (alarms A1-A9) never set an alarm-level bit.
    const std::uint32_t alarm_level =
        (1u << event_bit::kOverTempAlarm) | (1u << event_bit::kUnderTempAlarm) |
        (1u << event_bit::kOverVoltAlarm) | (1u << event_bit::kUnderVoltAlarm) |
        (1u << event_bit::kOtherAlarm) | (1u << event_bit::kConfigurationAlarm);
    if (!is_fault(code)) {
      EXPECT_EQ(bits & alarm_level, 0u) << code_info(code).label;
    }
    EXPECT_EQ(bits & (1u << 24), 0u) << "bit 24 is reserved in the string models";
  }
  EXPECT_EQ(event_bits_of(Code::F1), 1u << 1);           // OVER_TEMP_ALARM
  EXPECT_EQ(event_bits_of(Code::A2), 1u << 4);           // UNDER_TEMP_WARNING
  EXPECT_EQ(event_bits_of(Code::F9), 1u << 0);           // COMMUNICATION_ERROR
  EXPECT_EQ(event_bits_of(Code::F16), 1u << 28);         // CONFIGURATION_ALARM
  EXPECT_EQ(std::popcount(event_bits_of(Code::F5)), 2);  // charge and discharge over-current
}

TEST(SunSpecEnums, EventBitsOfASetAreTheUnion) {
  CodeSet codes;
  codes.set(Code::A3);
  codes.set(Code::F4);
  EXPECT_EQ(event_bits(codes), (1u << 10) | (1u << 11));
  EXPECT_EQ(event_bits(CodeSet{}), 0u);
}

TEST(SunSpecEnums, ConnectionFailureAndDisabledReason) {
  BduValues bdu = in_state(BduState::Fault);
  EXPECT_EQ(connection_failure(bdu), ConnectionFailure::StringFault);
  EXPECT_EQ(disabled_reason(bdu), DisabledReason::Fault);
  bdu.precharge_given_up = true;
  EXPECT_EQ(connection_failure(bdu), ConnectionFailure::PrechargeFailure);
  bdu.codes.set(Code::F14);
  EXPECT_EQ(connection_failure(bdu), ConnectionFailure::FuseOpen);
  EXPECT_EQ(connection_failure(in_state(BduState::Charge)), ConnectionFailure::None);
  EXPECT_EQ(disabled_reason(in_state(BduState::Shutdown)), DisabledReason::External);
  EXPECT_EQ(disabled_reason(in_state(BduState::Updating)), DisabledReason::Maintenance);
  EXPECT_TRUE(string_enabled(in_state(BduState::Standby)));
  EXPECT_FALSE(string_enabled(in_state(BduState::Fault)));
}

}  // namespace
}  // namespace bts::firmware::sunspec
