#pragma once
// How the BDU's state and codes become SunSpec enumerations and event bit fields (the tables are
// in docs/protocols/sunspec.md, "Enumerations" and "Events").
#include <cstdint>

#include "firmware/inverter/sunspec_values.hpp"

namespace bts::firmware::sunspec {

// 802 State
enum class BatteryState : std::uint16_t {
  Disconnected = 1,
  Initializing = 2,
  Connected = 3,
  Standby = 4,
  SocProtection = 5,
  Suspending = 6,
  Fault = 99,
};
// 802 ChaSt
enum class ChargeStatus : std::uint16_t {
  Off = 1,
  Empty = 2,
  Discharging = 3,
  Charging = 4,
  Full = 5,
  Holding = 6,
  Testing = 7,
};
// 803 StrConFail, 804 ConFail
enum class ConnectionFailure : std::uint16_t {
  None = 0,
  FuseOpen = 5,
  PrechargeFailure = 7,
  StringFault = 8,
};
// 803 StrDisRsn
enum class DisabledReason : std::uint16_t {
  None = 0,
  Fault = 1,
  Maintenance = 2,
  External = 3,
};

// 802 Evt1 bits (803 StrEvt1 and 804 Evt1 share them; this map never sets bit 24, which the
// string models reserve).
namespace event_bit {
inline constexpr int kCommunicationError = 0;
inline constexpr int kOverTempAlarm = 1;
inline constexpr int kOverTempWarning = 2;
inline constexpr int kUnderTempAlarm = 3;
inline constexpr int kUnderTempWarning = 4;
inline constexpr int kOverChargeCurrentAlarm = 5;
inline constexpr int kOverChargeCurrentWarning = 6;
inline constexpr int kOverDischargeCurrentAlarm = 7;
inline constexpr int kOverDischargeCurrentWarning = 8;
inline constexpr int kOverVoltAlarm = 9;
inline constexpr int kOverVoltWarning = 10;
inline constexpr int kUnderVoltAlarm = 11;
inline constexpr int kUnderVoltWarning = 12;
inline constexpr int kVoltageImbalanceWarning = 17;
inline constexpr int kTemperatureImbalanceAlarm = 18;
inline constexpr int kTemperatureImbalanceWarning = 19;
inline constexpr int kOtherAlarm = 25;
inline constexpr int kOtherWarning = 26;
inline constexpr int kConfigurationAlarm = 28;
}  // namespace event_bit

/// The SunSpec event bits one code sets (a mask of 1 << event_bit::...).
std::uint32_t event_bits_of(Code code);
/// Evt1 for a set of codes: the union of event_bits_of.
std::uint32_t event_bits(CodeSet codes);

BatteryState battery_state(const BduValues& bdu);
ChargeStatus charge_status(const BduValues& bdu);
ConnectionFailure connection_failure(const BduValues& bdu);
DisabledReason disabled_reason(const BduValues& bdu);
/// Both main relays closed (their auxiliary contacts say so).
bool contactors_closed(const BduValues& bdu);
/// The string is enabled unless the BDU is shut down, faulted or updating.
bool string_enabled(const BduValues& bdu);

}  // namespace bts::firmware::sunspec
