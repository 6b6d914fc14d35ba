#pragma once
// Sofar "BMS extended" CAN between a BDU and a Sofar hybrid inverter (500 kbit/s, 29-bit frames,
// little endian, ids offset by battery id << 12 so two BDUs share one bus). The cyclic battery
// frames, the enable frame 0x30F, the inverter's inquiries 0x605/0x705 and the battery's replies
// to them. Layouts, the alarm layouts and the timing: docs/protocols/inverter.md.
// Pure encode/decode, no I/O, no heap.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "firmware/common/codes.hpp"
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
inline constexpr std::uint32_t kRequestFlags =
    0x35C;                                        // Pylon LV layout (docs/protocols/inverter.md)
inline constexpr std::uint32_t kInquiry = 0x605;  // inverter -> battery
inline constexpr std::uint32_t kHistoryInquiry = 0x705;
inline constexpr std::uint32_t kBatteryIdShift = 12;
inline constexpr std::uint8_t kMaxBatteryId = 15;

// Replies to inquiries (battery -> inverter, offset by battery id like every battery frame).
inline constexpr std::uint32_t kReplySummary = 0x670;              // 0x605 what 0x00
inline constexpr std::uint32_t kReplySerial = 0x671;               // 0x605 what 0x01: 0x671..0x673
inline constexpr std::uint32_t kReplyCellVoltages = 0x680;         // 0x605 what 0x02/0x03: 0x680..
inline constexpr std::uint32_t kReplyTemperatures = 0x690;         // 0x605 what 0x0A/0x0B: 0x690..
inline constexpr std::uint32_t kReplyVersions = 0x6A0;             // 0x605 what 0x0C
inline constexpr std::uint32_t kReplyCellExtremes = 0x6B0;         // 0x605 what 0x0D
inline constexpr std::uint32_t kReplyTemperatureExtremes = 0x6C0;  // 0x605 what 0x0E
inline constexpr std::uint32_t kReplyHistory = 0x770;              // 0x705 what 0x00..0x03
inline constexpr std::uint32_t kReplyHistoryFaults = 0x780;        // 0x705 what 0x04..0x08

// Timing the firmware uses with this protocol (docs/protocols/inverter.md, "Supervision").
inline constexpr TimeMs kCyclicPeriod_ms = 1000;      // 0x351..0x35F, 0x30F
inline constexpr TimeMs kAlarmMinInterval_ms = 200;   // 0x35A on change, at least this apart
inline constexpr TimeMs kInverterTimeout_ms = 60000;  // no inquiry for 60 s: F9 (the default)
// What Battery-Emulator allows a Sofar inverter; BduConfig::inverter_timeout_ms takes it for
// inverters that poll rarely (scenario inverter_link.timeout_s, bts run --inverter-timeout).
inline constexpr TimeMs kInverterTimeoutLenient_ms = 120000;

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

/// 0x35A layouts. The real Sofar layout is not public: Battery-Emulator, which works with Sofar
/// HYD inverters, sends the frame all zero.
enum class AlarmLayout : std::uint8_t {
  CodeBits,  // project layout (default): bytes 0-3 one bit per active code, bit = code index
             // (A1 = bit 0 .. F17 = bit 25), little endian; bytes 4-7 zero
  Zero,      // all eight bytes zero whatever is active (as Battery-Emulator sends it)
};

struct SofarDialect {
  AlarmLayout alarm_layout = AlarmLayout::CodeBits;
};

/// Alarm bits in the CodeBits layout (bits above F17 are not sent).
CanFrame encode_alarms(std::uint8_t battery_id, std::uint32_t code_bits);
CanFrame encode_alarms(std::uint8_t battery_id, std::uint32_t code_bits,
                       const SofarDialect& dialect);
/// CodeBits layout; false on another id or dlc and on bits above F17 (not a code).
bool decode_alarms(const CanFrame& frame, std::uint32_t& code_bits);

CanFrame encode_manufacturer(std::uint8_t battery_id, std::string_view name);
struct Identity {
  std::uint8_t major = 0, minor = 0, patch = 0;
  std::uint16_t capacity_Ah = 100;
};
CanFrame encode_identity(std::uint8_t battery_id, const Identity& value);

/// 0x30F: operation mode and what the battery allows. Battery-Emulator sends it every second
/// (only while non-zero): 0x03 normally, 0x02 (charge only) when empty, 0x01 (discharge only)
/// when full.
struct Enable {
  std::uint8_t remote_command = 0;  // byte 0, 0 = normal operation
  bool discharge_allowed = false;   // byte 1 bit 0
  bool charge_allowed = false;      // byte 1 bit 1
  constexpr bool operator==(const Enable&) const = default;
};
CanFrame encode_enable(std::uint8_t battery_id, const Enable& value);
/// False on another id or dlc; byte 1 bits 2-7 and bytes 2-7 are reserved and ignored.
bool decode_enable(const CanFrame& frame, Enable& value);

/// 0x35C: what the battery asks of the inverter, in the Pylon LV layout that Sofar inverters also
/// read: byte 0 bit 7 charge enable, bit 6 discharge enable, bit 5 force charge I (empty: charge
/// from the grid now), bit 3 full-charge request (charge to full to calibrate the SOC).
struct RequestFlags {
  bool charge_enable = false;
  bool discharge_enable = false;
  bool force_charge = false;
  bool full_charge_request = false;
  constexpr bool operator==(const RequestFlags&) const = default;
};
CanFrame encode_request_flags(std::uint8_t battery_id, const RequestFlags& value);
/// False on another id or dlc; the other bits of byte 0 and bytes 1-7 are reserved and ignored.
bool decode_request_flags(const CanFrame& frame, RequestFlags& value);

/// Inverter inquiry. 0x605 (real time): byte 0 the battery it asks, byte 1 what, byte 2 which
/// module. 0x705 (history): byte 0 battery, byte 1 what, byte 2 record, byte 3 module.
struct Inquiry {
  std::uint8_t battery_id = 0;
  std::uint8_t what = 0;
  std::uint8_t module = 0;
  bool history = false;     // 0x705
  std::uint8_t record = 0;  // 0x705 only
  constexpr bool operator==(const Inquiry&) const = default;
};
CanFrame encode_inquiry(const Inquiry& inquiry);
/// False on a standard frame, an id other than exactly 0x605/0x705, a dlc below 3 (0x605) or 4
/// (0x705) or above 8, or a battery id above 15. Any `what`, module and record is accepted (an
/// unknown inquiry still shows the inverter is there; it just gets no reply).
bool decode_inquiry(const CanFrame& frame, Inquiry& inquiry);

// ---------------------------------------------------------------------------------------------
// Replies to inquiries. The frame shapes are those of a real Sofar battery log (an index byte,
// then serial-number text, three cell voltages or two temperatures per frame); the id each
// inquiry gets follows Battery-Emulator's mapping. Byte 0 of every reply is the module index k
// of the inquiry. Full table: docs/protocols/inverter.md.

/// What the BDU knows of one module (index k = position in the span passed below).
struct ModuleData {
  std::int32_t soc_permille = 0;
  std::int32_t stack_voltage_mV = 0;
  std::span<const std::uint16_t> cell_mV;           // 0xFFFF = not measured; at most 48
  std::span<const std::int16_t> temperature_ddegC;  // -32768 = not measured; at most 32
  std::string_view serial;                          // ASCII, at most 21 characters sent
  std::uint8_t firmware_major = 0, firmware_minor = 0, firmware_patch = 0;
  std::uint8_t hardware_version = 0;
};

inline constexpr std::size_t kSerialFrames = 3;
inline constexpr std::size_t kSerialCharsPerFrame = 7;
inline constexpr std::size_t kCellsPerReplyFrame = 3;
inline constexpr std::size_t kTemperaturesPerReplyFrame = 2;
inline constexpr std::size_t kMaxReplyFrames = 16;  // 48 cells or 32 temperatures
inline constexpr std::uint16_t kCellNotMeasured = 0xFFFF;
inline constexpr std::int16_t kTemperatureNotMeasured = -32768;

enum class ReplyKind : std::uint8_t {
  Summary,              // 0x670
  Serial,               // 0x671..0x673
  CellVoltages,         // 0x680..0x68F
  Temperatures,         // 0x690..0x69F
  Versions,             // 0x6A0
  CellExtremes,         // 0x6B0
  TemperatureExtremes,  // 0x6C0
  History,              // 0x770..0x773, 0x780..0x784 (no record stored: zero payload)
};

/// One reply frame, decoded. Only the fields of its kind are meaningful.
struct InquiryReply {
  ReplyKind kind = ReplyKind::Summary;
  std::uint8_t battery_id = 0;
  std::uint8_t module = 0;  // byte 0
  std::uint8_t index = 0;   // frame within its set (serial 0..2, cells/temperatures 0..15),
                            // or the history slot (0..3 -> 0x770.., 4..8 -> 0x780..)
  // Summary
  std::uint8_t soc_percent = 0;
  std::uint16_t stack_voltage_cV = 0;  // 0.01 V
  std::uint8_t cell_count = 0;
  std::uint8_t temperature_count = 0;
  // Serial
  std::array<char, kSerialCharsPerFrame> text{};
  // CellVoltages: three cells; CellExtremes: [0] max, [1] min
  std::array<std::uint16_t, kCellsPerReplyFrame> cell_mV{};
  // Temperatures: two sensors; TemperatureExtremes: [0] max, [1] min
  std::array<std::int16_t, kTemperaturesPerReplyFrame> temperature_ddegC{};
  // CellExtremes / TemperatureExtremes: 1-based numbers of the max and min
  std::uint8_t max_number = 0;
  std::uint8_t min_number = 0;
  // Versions
  std::uint8_t firmware_major = 0, firmware_minor = 0, firmware_patch = 0;
  std::uint8_t hardware_version = 0;
  // History
  std::uint8_t record = 0;  // byte 1
  constexpr bool operator==(const InquiryReply&) const = default;
};

CanFrame encode_inquiry_reply(const InquiryReply& reply);
/// False on a standard frame, a dlc other than 8, an id that is no reply, a battery id above 15,
/// SOC above 100 % or an extreme number above its set.
bool decode_inquiry_reply(const CanFrame& frame, InquiryReply& reply);

/// The reply frames of battery `battery_id` to an inquiry, written to out; returns the count.
/// 0 (nothing written) when the inquiry is for another battery, asks for a module the span does
/// not have, is unknown, or out is too small for the whole answer.
std::size_t encode_inquiry_replies(std::uint8_t battery_id, const Inquiry& inquiry,
                                   std::span<const ModuleData> modules, std::span<CanFrame> out);

}  // namespace bts::firmware::sofar
