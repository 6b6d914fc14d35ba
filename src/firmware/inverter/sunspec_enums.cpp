#include "firmware/inverter/sunspec_enums.hpp"

#include <array>

namespace bts::firmware::sunspec {
namespace {

constexpr std::uint32_t bit(int index) { return 1u << index; }

// One row per code, in the order of the Code enum. A5 and F5 do not say the direction of the
// current, so they set both the charge and the discharge bit; a voltage differential has no
// alarm bit, so F7 adds "other alarm" to the imbalance warning.
constexpr std::array<std::uint32_t, kCodeCount> kEventBitsByCode{{
    bit(event_bit::kOverTempWarning),                                                          // A1
    bit(event_bit::kUnderTempWarning),                                                         // A2
    bit(event_bit::kOverVoltWarning),                                                          // A3
    bit(event_bit::kUnderVoltWarning),                                                         // A4
    bit(event_bit::kOverChargeCurrentWarning) | bit(event_bit::kOverDischargeCurrentWarning),  // A5
    bit(event_bit::kTemperatureImbalanceWarning),                                              // A6
    bit(event_bit::kVoltageImbalanceWarning),                                                  // A7
    bit(event_bit::kOtherWarning),                                                             // A8
    bit(event_bit::kOtherWarning),                                                             // A9
    bit(event_bit::kOverTempAlarm),                                                            // F1
    bit(event_bit::kUnderTempAlarm),                                                           // F2
    bit(event_bit::kOverVoltAlarm),                                                            // F3
    bit(event_bit::kUnderVoltAlarm),                                                           // F4
    bit(event_bit::kOverChargeCurrentAlarm) | bit(event_bit::kOverDischargeCurrentAlarm),      // F5
    bit(event_bit::kTemperatureImbalanceAlarm),                                                // F6
    bit(event_bit::kVoltageImbalanceWarning) | bit(event_bit::kOtherAlarm),                    // F7
    bit(event_bit::kOtherAlarm),                                                               // F8
    bit(event_bit::kCommunicationError),                                                       // F9
    bit(event_bit::kOtherAlarm),          // F10
    bit(event_bit::kOtherAlarm),          // F11
    bit(event_bit::kOtherAlarm),          // F12
    bit(event_bit::kOtherAlarm),          // F13
    bit(event_bit::kOtherAlarm),          // F14
    bit(event_bit::kOtherAlarm),          // F15
    bit(event_bit::kConfigurationAlarm),  // F16
    bit(event_bit::kOtherAlarm),          // F17
}};

}  // namespace

std::uint32_t event_bits_of(Code code) { return kEventBitsByCode[static_cast<std::size_t>(code)]; }

std::uint32_t event_bits(CodeSet codes) {
  std::uint32_t bits = 0;
  for (int index = 0; index < kCodeCount; ++index) {
    const auto code = static_cast<Code>(index);
    if (codes.has(code)) bits |= event_bits_of(code);
  }
  return bits;
}

BatteryState battery_state(const BduValues& bdu) {
  switch (bdu.state) {
    case BduState::SelfTest:
    case BduState::Precharge:
      return BatteryState::Initializing;
    case BduState::Standby:
      return BatteryState::Standby;
    case BduState::Idle:
    case BduState::Charge:
    case BduState::Discharge:
      return BatteryState::Connected;
    case BduState::Opening:
      return BatteryState::Suspending;
    case BduState::Fault:
      return BatteryState::Fault;
    case BduState::Shutdown:
    case BduState::Updating:
      break;
  }
  return BatteryState::Disconnected;
}

ChargeStatus charge_status(const BduValues& bdu) {
  switch (bdu.state) {
    case BduState::SelfTest:
      return ChargeStatus::Testing;
    case BduState::Standby:
    case BduState::Precharge:
    case BduState::Opening:
      return ChargeStatus::Holding;
    case BduState::Idle:
      if (bdu.soc_permille >= 1000) return ChargeStatus::Full;
      if (bdu.soc_permille <= 0) return ChargeStatus::Empty;
      return ChargeStatus::Holding;
    case BduState::Charge:
      return ChargeStatus::Charging;
    case BduState::Discharge:
      return ChargeStatus::Discharging;
    case BduState::Shutdown:
    case BduState::Fault:
    case BduState::Updating:
      break;
  }
  return ChargeStatus::Off;
}

ConnectionFailure connection_failure(const BduValues& bdu) {
  if (bdu.codes.has(Code::F14)) return ConnectionFailure::FuseOpen;
  if (bdu.precharge_given_up) return ConnectionFailure::PrechargeFailure;
  if (bdu.state == BduState::Fault) return ConnectionFailure::StringFault;
  return ConnectionFailure::None;
}

DisabledReason disabled_reason(const BduValues& bdu) {
  switch (bdu.state) {
    case BduState::Fault:
      return DisabledReason::Fault;
    case BduState::Updating:
      return DisabledReason::Maintenance;
    case BduState::Shutdown:
      return DisabledReason::External;
    default:
      return DisabledReason::None;
  }
}

bool contactors_closed(const BduValues& bdu) { return bdu.relay_closed[0] && bdu.relay_closed[1]; }

bool string_enabled(const BduValues& bdu) { return disabled_reason(bdu) == DisabledReason::None; }

}  // namespace bts::firmware::sunspec
