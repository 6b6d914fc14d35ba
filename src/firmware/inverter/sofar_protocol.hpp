#pragma once
// Sofar "BMS extended" CAN between a BDU and a Sofar hybrid inverter (500 kbit/s, 29-bit frames,
// little endian, ids offset by battery id << 12 so two BDUs share one bus). The cyclic battery
// frames and the inverter's inquiries; replies to inquiries and field dialects come with the
// inverter-link work (issue 5). Layouts: docs/protocols/inverter.md.
#include <cstdint>
#include <optional>
#include <string_view>

#include "firmware/common/types.hpp"

namespace bts::firmware::sofar {

inline constexpr std::uint32_t kLimits = 0x351;  // CVL, CCL, DCL, DVL
inline constexpr std::uint32_t kSocSoh = 0x355;
inline constexpr std::uint32_t kMeasurements = 0x356;  // voltage, current, temperature
inline constexpr std::uint32_t kConfiguration = 0x359;
inline constexpr std::uint32_t kAlarms = 0x35A;
inline constexpr std::uint32_t kManufacturer = 0x35E;
inline constexpr std::uint32_t kIdentity = 0x35F;
inline constexpr std::uint32_t kEnable = 0x30F;
inline constexpr std::uint32_t kInquiry = 0x605;  // inverter -> battery
inline constexpr std::uint32_t kHistoryInquiry = 0x705;
inline constexpr std::uint32_t kBatteryIdShift = 12;

constexpr std::uint32_t id_for(std::uint32_t base, std::uint8_t battery_id) {
  return base + (static_cast<std::uint32_t>(battery_id) << kBatteryIdShift);
}
/// Splits an id into (base, battery id); nothing when it is not a Sofar id.
std::optional<std::pair<std::uint32_t, std::uint8_t>> split_id(std::uint32_t id);

struct Limits {
  std::int32_t charge_voltage_limit_dV = 0;
  std::int32_t charge_current_limit_dA = 0;
  std::int32_t discharge_current_limit_dA = 0;
  std::int32_t discharge_voltage_limit_dV = 0;
};
CanFrame encode_limits(std::uint8_t battery_id, const Limits& limits);
bool decode_limits(const CanFrame& frame, Limits& limits);

struct SocSoh {
  std::int32_t soc_percent = 0;
  std::int32_t soh_percent = 100;
};
CanFrame encode_soc_soh(std::uint8_t battery_id, const SocSoh& value);
bool decode_soc_soh(const CanFrame& frame, SocSoh& value);

struct Measurements {
  std::int32_t voltage_dV = 0;
  std::int32_t current_dA = 0;  // on the wire: > 0 charging (Sofar convention)
  std::int16_t temperature_ddegC = 0;
};
CanFrame encode_measurements(std::uint8_t battery_id, const Measurements& value);
bool decode_measurements(const CanFrame& frame, Measurements& value);

struct Configuration {
  std::uint8_t parallel_packs = 1;  // modules on this BDU
  std::uint8_t modules_in_series = 1;
  std::uint8_t protocol_version = 1;
  std::uint8_t cells_in_series = 16;
};
CanFrame encode_configuration(std::uint8_t battery_id, const Configuration& value);

/// Alarm bits: one bit per active code (bit = code index), little endian over 4 bytes.
CanFrame encode_alarms(std::uint8_t battery_id, std::uint32_t code_bits);
bool decode_alarms(const CanFrame& frame, std::uint32_t& code_bits);

CanFrame encode_manufacturer(std::uint8_t battery_id, std::string_view name);
struct Identity {
  std::uint8_t major = 0, minor = 0, patch = 0;
  std::uint16_t capacity_Ah = 100;
};
CanFrame encode_identity(std::uint8_t battery_id, const Identity& value);

/// Inverter inquiry: byte 0 the battery it asks, byte 1 what, byte 2 which module.
struct Inquiry {
  std::uint8_t battery_id = 0;
  std::uint8_t what = 0;
  std::uint8_t module = 0;
};
CanFrame encode_inquiry(const Inquiry& inquiry);
bool decode_inquiry(const CanFrame& frame, Inquiry& inquiry);

}  // namespace bts::firmware::sofar
