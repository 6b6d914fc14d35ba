#pragma once
// Pylon HV CAN ("CANBUS protocol of high voltage system") between a BDU and a hybrid inverter:
// 500 kbit/s, CAN 2.0B 29-bit identifiers, DLC 8 on every frame. The inverter polls, the battery
// answers; the battery never sends on its own.
//
//   inverter -> battery   0x4200 poll (byte 0: 0x00 ensemble, 0x02 equipment, 0x01 cell data)
//                         0x8200+a sleep / wake, 0x8210+a charge / discharge command (close the
//                         relay), 0x8240+a keep the relay on without communication for 5 min
//   battery -> inverter   0x4210+a .. 0x4290+a ensemble answer, 0x7310+a .. 0x7340+a equipment
//                         answer, 0x8250+a answer to 0x8240
//
// "a" is the battery address (0..15) in the low nibble of the identifier. Field encodings follow
// the spec (little endian, currents with a 30000 offset, temperatures with a 1000 offset); the
// variants seen in the field are options of PylonDialect. docs/protocols/inverter.md has every
// table, the CodeSet mapping and the dialects. Pure encode/decode, no I/O, no heap.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"

namespace bts::firmware::pylon_hv {

// ---------------------------------------------------------------------------------------------
// Identifiers (address 0; add the battery address to every id except the poll)

inline constexpr std::uint32_t kPoll = 0x4200;                     // inverter -> all batteries
inline constexpr std::uint32_t kTotals = 0x4210;                   // voltage, current, T, SOC, SOH
inline constexpr std::uint32_t kLimits = 0x4220;                   // cut-off voltages, currents
inline constexpr std::uint32_t kCellVoltageExtremes = 0x4230;      // max/min cell mV and numbers
inline constexpr std::uint32_t kCellTemperatureExtremes = 0x4240;  // max/min cell T and numbers
inline constexpr std::uint32_t kStatus = 0x4250;                   // status, errors, alarms, prot.
inline constexpr std::uint32_t kModuleVoltageExtremes = 0x4260;    // max/min module mV, numbers
inline constexpr std::uint32_t kModuleTemperatureExtremes = 0x4270;  // max/min module T, numbers
inline constexpr std::uint32_t kForbidden = 0x4280;                  // charge/discharge forbidden
inline constexpr std::uint32_t kFaultExtension = 0x4290;             // extra fault flags
inline constexpr std::uint32_t kEnsembleManufacturer0 = 0x42E0;      // Deye V1.17: name chars 0-7
inline constexpr std::uint32_t kEnsembleManufacturer1 = 0x42F0;      // Deye V1.17: name chars 8-15
inline constexpr std::uint32_t kVersions = 0x7310;                   // hardware/software versions
inline constexpr std::uint32_t kTopology = 0x7320;                   // cells, modules, V, Ah
inline constexpr std::uint32_t kManufacturer0 = 0x7330;              // name chars 0-7
inline constexpr std::uint32_t kManufacturer1 = 0x7340;              // name chars 8-15
inline constexpr std::uint32_t kSleepCommand = 0x8200;               // inverter -> battery a
inline constexpr std::uint32_t kRelayCommand = 0x8210;               // inverter -> battery a
inline constexpr std::uint32_t kKeepRelayRequest = 0x8240;           // inverter -> battery a
inline constexpr std::uint32_t kKeepRelayReply = 0x8250;             // battery a -> inverter

inline constexpr std::uint8_t kDlc = 8;
inline constexpr std::uint8_t kMaxAddress = 15;
inline constexpr std::uint32_t kBitrate_bps = 500'000;

inline constexpr std::int32_t kCurrentOffset = 30000;     // raw = dA + 30000 (spec)
inline constexpr std::int32_t kTemperatureOffset = 1000;  // raw = ddegC + 1000
inline constexpr std::uint8_t kMark = 0xAA;               // "yes" in 0x4280, 0x8210, 0x8250
inline constexpr std::uint8_t kSleepByte = 0x55;          // 0x8200 byte 0: enter sleep
inline constexpr std::uint8_t kWakeByte = 0xAA;           // 0x8200 byte 0: quit sleep

// Timing the firmware uses with this protocol (docs/protocols/inverter.md, "Supervision").
inline constexpr TimeMs kInverterPollPeriod_ms = 1000;  // inverters poll about once a second
inline constexpr TimeMs kInverterTimeout_ms = 60000;    // no poll for 60 s: inverter missing (F9)
inline constexpr TimeMs kKeepRelayHold_ms = 300000;     // 0x8240 accepted: ignore lost comms 5 min

/// Splits an identifier into (base, address); nothing when it is no Pylon HV identifier. The poll
/// (0x4200) has no address and splits into (0x4200, 0).
std::optional<std::pair<std::uint32_t, std::uint8_t>> split_id(std::uint32_t id);

// ---------------------------------------------------------------------------------------------
// Dialects

enum class ByteOrder : std::uint8_t {
  LittleEndian,  // spec
  BigEndian,     // Battery-Emulator's default for the u16 fields of 0x4210..0x4270
};

enum class DischargeLimitSign : std::uint8_t {
  Negative,  // spec: the discharge limit is a negative current, raw = offset - dA
  Positive,  // Sofar HYD (as Battery-Emulator sends it), GCE: raw = offset + dA
};

/// What 0x7320 reports: cells in series, modules in series, cells per module, voltage level (1 V),
/// capacity (1 Ah).
struct Topology {
  std::uint16_t cells_in_series = 0;
  std::uint8_t modules_in_series = 0;
  std::uint8_t cells_per_module = 0;
  std::uint16_t voltage_level_V = 0;
  std::uint16_t capacity_Ah = 0;
  constexpr bool operator==(const Topology&) const = default;
};

/// Battery-Emulator's default topology, a 4 x 96 V Force H2 (what Sofar HYD inverters accept).
inline constexpr Topology kForceH2Topology{120, 4, 30, 384, 37};

/// The field encoding an inverter expects. Every default is the spec encoding.
struct PylonDialect {
  /// Byte order of the 16-bit fields of 0x4210..0x4270 (0x7320 stays little endian always).
  ByteOrder byte_order = ByteOrder::LittleEndian;
  /// 30000 offset on the 0x4210 current and both 0x4220 current limits; without it the current
  /// is a signed 16-bit dA value and the limits plain dA values (sign still per
  /// discharge_limit_sign).
  bool current_offset = true;
  DischargeLimitSign discharge_limit_sign = DischargeLimitSign::Negative;
  /// 1000 offset on the 0x4240 and 0x4270 temperatures (0x4210 always has it); without it they
  /// are signed 16-bit ddegC values (Ferroamp, Solxpow).
  bool extremes_temperature_offset = true;
  /// Topology reported in 0x7320 instead of the battery's own (inverters that only accept known
  /// Pylon stacks).
  std::optional<Topology> reported_topology{};
  /// Manufacturer name of 0x7330/0x7340 (ASCII, at most 16 characters, zero padded).
  std::string_view manufacturer = "PYLON";
  /// Also answer the ensemble poll with 0x42E0/0x42F0 carrying the manufacturer (Deye V1.17).
  bool manufacturer_in_ensemble = false;
  /// Send the fault-extension flags in 0x4290 (bit positions from a single source); false sends
  /// the frame all zero.
  bool fault_extension = true;
  /// Address of BDU 1 (BDU 2 is the next one). Spec 0; Sofar HYD and Ferroamp expect 1.
  std::uint8_t first_address = 0;
};

inline constexpr PylonDialect kSpecDialect{};
/// Sofar HYD with battery type "Pylontech", battery address 01 (Battery-Emulator wiki).
inline constexpr PylonDialect kSofarHydDialect = [] {
  PylonDialect d;
  d.discharge_limit_sign = DischargeLimitSign::Positive;
  d.first_address = 1;
  return d;
}();
/// Battery-Emulator's default PylonInverter output: big-endian u16, no current offset.
inline constexpr PylonDialect kBatteryEmulatorDialect = [] {
  PylonDialect d;
  d.byte_order = ByteOrder::BigEndian;
  d.current_offset = false;
  d.discharge_limit_sign = DischargeLimitSign::Positive;
  return d;
}();
/// Ferroamp EnergyHub: spec encoding, address 1, extreme temperatures without offset.
inline constexpr PylonDialect kFerroampDialect = [] {
  PylonDialect d;
  d.extremes_temperature_offset = false;
  d.first_address = 1;
  return d;
}();
/// Solxpow: no current offset, extreme temperatures without offset.
inline constexpr PylonDialect kSolxpowDialect = [] {
  PylonDialect d;
  d.current_offset = false;
  d.extremes_temperature_offset = false;
  return d;
}();
/// GCE HV BMS: spec encoding but a positive discharge limit.
inline constexpr PylonDialect kGceDialect = [] {
  PylonDialect d;
  d.discharge_limit_sign = DischargeLimitSign::Positive;
  return d;
}();
/// Deye V1.17 document: spec encoding plus the manufacturer in 0x42E0/0x42F0.
inline constexpr PylonDialect kDeyeDialect = [] {
  PylonDialect d;
  d.manufacturer_in_ensemble = true;
  return d;
}();

/// The dialects by the names the command line and scenario files use.
struct NamedDialect {
  std::string_view name;
  PylonDialect dialect;
};
inline constexpr std::array<NamedDialect, 7> kNamedDialects{{
    {"spec", kSpecDialect},
    {"sofar-hyd", kSofarHydDialect},
    {"battery-emulator", kBatteryEmulatorDialect},
    {"ferroamp", kFerroampDialect},
    {"solxpow", kSolxpowDialect},
    {"gce", kGceDialect},
    {"deye", kDeyeDialect},
}};

/// The address a BDU answers on (BDU 1 = index 0).
constexpr std::uint8_t address_for(const PylonDialect& dialect, std::uint8_t bdu_index) {
  return static_cast<std::uint8_t>((dialect.first_address + bdu_index) & kMaxAddress);
}

// ---------------------------------------------------------------------------------------------
// Status, errors, alarms, protections and the CodeSet mapping

/// 0x4250 byte 0 bits 0-2.
enum class BasicStatus : std::uint8_t { Sleep = 0, Charge = 1, Discharge = 2, Idle = 3 };

/// The basic status from the output state and the current (> 0 charging); |current| within the
/// dead band is idle.
constexpr BasicStatus basic_status(bool output_on, std::int32_t current_dA,
                                   std::int32_t deadband_dA) {
  if (!output_on) return BasicStatus::Sleep;
  if (current_dA > deadband_dA) return BasicStatus::Charge;
  if (current_dA < -deadband_dA) return BasicStatus::Discharge;
  return BasicStatus::Idle;
}

// 0x4250 bytes 4-5 (alarms) and 6-7 (protections) share one bit layout.
namespace bit {
inline constexpr std::uint16_t kCellLowVoltage = 1u << 0;
inline constexpr std::uint16_t kCellHighVoltage = 1u << 1;
inline constexpr std::uint16_t kPackLowVoltage = 1u << 2;
inline constexpr std::uint16_t kPackHighVoltage = 1u << 3;
inline constexpr std::uint16_t kChargeLowTemperature = 1u << 4;
inline constexpr std::uint16_t kChargeHighTemperature = 1u << 5;
inline constexpr std::uint16_t kDischargeLowTemperature = 1u << 6;
inline constexpr std::uint16_t kDischargeHighTemperature = 1u << 7;
inline constexpr std::uint16_t kChargeOverCurrent = 1u << 8;
inline constexpr std::uint16_t kDischargeOverCurrent = 1u << 9;
inline constexpr std::uint16_t kModuleLowVoltage = 1u << 10;
inline constexpr std::uint16_t kModuleHighVoltage = 1u << 11;
inline constexpr std::uint16_t kAlarmMask = 0x0FFF;  // bits 12-15 reserved
// 0x4250 byte 3 (errors)
inline constexpr std::uint8_t kVoltageSensorError = 1u << 0;
inline constexpr std::uint8_t kTemperatureSensorError = 1u << 1;
inline constexpr std::uint8_t kInternalCommunicationError = 1u << 2;
inline constexpr std::uint8_t kInputOverVoltageError = 1u << 3;
inline constexpr std::uint8_t kInputReversalError = 1u << 4;
inline constexpr std::uint8_t kRelayCheckError = 1u << 5;
inline constexpr std::uint8_t kBatteryDamageError = 1u << 6;
inline constexpr std::uint8_t kOtherError = 1u << 7;
// 0x4290 byte 0 (fault extension; bits 0-2 reserved)
inline constexpr std::uint8_t kSafetyFunctionAbnormal = 1u << 3;
inline constexpr std::uint8_t kSelfTestAbnormal = 1u << 4;
inline constexpr std::uint8_t kInternalBusAbnormal = 1u << 5;
inline constexpr std::uint8_t kBmicAbnormal = 1u << 6;
inline constexpr std::uint8_t kShutdownCircuitAbnormal = 1u << 7;
inline constexpr std::uint8_t kFaultExtensionMask = 0xF8;
}  // namespace bit

/// The bit fields of 0x4250 and 0x4290 as sent.
struct StatusBits {
  std::uint8_t errors = 0;
  std::uint16_t alarms = 0;
  std::uint16_t protections = 0;
  std::uint8_t fault_extension = 0;
  constexpr bool operator==(const StatusBits&) const = default;
};

/// One row of the CodeSet -> Pylon table: the bits a code sets.
struct CodeBits {
  Code code;
  std::uint16_t alarms;
  std::uint16_t protections;
  std::uint8_t errors;
  std::uint8_t fault_extension;
};

/// Encode direction, one row per code in CodeSet order (docs/protocols/inverter.md). Codes with
/// no Pylon counterpart set no bit (A6-A9: the inverter sees only the reduced limits) or the
/// "other error" bit (F6-F8, F13-F17). Codes carry no direction, so temperature and over-current
/// codes set the charge and the discharge bit; the limits say which direction is blocked.
inline constexpr std::array<CodeBits, kCodeCount> kCodeBitsTable{{
    {Code::A1, bit::kChargeHighTemperature | bit::kDischargeHighTemperature, 0, 0, 0},
    {Code::A2, bit::kChargeLowTemperature | bit::kDischargeLowTemperature, 0, 0, 0},
    {Code::A3, bit::kCellHighVoltage, 0, 0, 0},
    {Code::A4, bit::kCellLowVoltage, 0, 0, 0},
    {Code::A5, bit::kChargeOverCurrent | bit::kDischargeOverCurrent, 0, 0, 0},
    {Code::A6, 0, 0, 0, 0},
    {Code::A7, 0, 0, 0, 0},
    {Code::A8, 0, 0, 0, 0},
    {Code::A9, 0, 0, 0, 0},
    {Code::F1, 0, bit::kChargeHighTemperature | bit::kDischargeHighTemperature, 0, 0},
    {Code::F2, 0, bit::kChargeLowTemperature | bit::kDischargeLowTemperature, 0, 0},
    {Code::F3, 0, bit::kCellHighVoltage, 0, 0},
    {Code::F4, 0, bit::kCellLowVoltage, 0, 0},
    {Code::F5, 0, bit::kChargeOverCurrent | bit::kDischargeOverCurrent, 0, 0},
    {Code::F6, 0, 0, bit::kOtherError, 0},
    {Code::F7, 0, 0, bit::kOtherError, 0},
    {Code::F8, 0, 0, bit::kOtherError, 0},
    {Code::F9, 0, 0, bit::kInternalCommunicationError, 0},
    {Code::F10, 0, 0, bit::kVoltageSensorError | bit::kTemperatureSensorError, 0},
    {Code::F11, 0, 0, bit::kBatteryDamageError, 0},
    {Code::F12, 0, 0, bit::kOtherError, bit::kSelfTestAbnormal},
    {Code::F13, 0, 0, bit::kOtherError, 0},
    {Code::F14, 0, 0, bit::kOtherError, 0},
    {Code::F15, 0, 0, bit::kOtherError, 0},
    {Code::F16, 0, 0, bit::kOtherError, 0},
    {Code::F17, 0, 0, bit::kOtherError, 0},
}};

/// The bits for a set of codes (the union of the rows).
StatusBits status_bits_for(CodeSet codes);
/// Decode direction: every set bit becomes the code of the documented reverse table (an alarm bit
/// an A code, a protection bit an F code, error/fault-extension bits F9/F10/F11/F12/F15/F17).
CodeSet codes_for(const StatusBits& bits);

// ---------------------------------------------------------------------------------------------
// The battery's values and its answers

/// 0x7310: versions as the inverter shows them.
struct Versions {
  std::uint8_t hardware_type = 1;  // byte 0: 1 for an "A" board, 2 for "B"
  std::uint8_t hardware_major = 0, hardware_minor = 0;
  std::uint8_t software_major = 0, software_minor = 0;
  std::uint8_t software_dev_major = 0, software_dev_minor = 0;
  constexpr bool operator==(const Versions&) const = default;
};

/// Everything the answers carry, in firmware units. Currents > 0 charge the battery (Pylon's
/// sign); limits are magnitudes (>= 0); cell, sensor and module numbers are 1-based as sent.
struct BatteryValues {
  // 0x4210
  std::int32_t voltage_dV = 0;
  std::int32_t current_dA = 0;
  std::int16_t bms_temperature_ddegC = 0;
  std::int32_t soc_permille = 0;  // sent in whole percent (rounded)
  std::int32_t soh_permille = 1000;
  // 0x4220
  std::int32_t charge_voltage_limit_dV = 0;
  std::int32_t discharge_voltage_limit_dV = 0;
  std::int32_t charge_current_limit_dA = 0;
  std::int32_t discharge_current_limit_dA = 0;
  // 0x4230
  std::int32_t max_cell_mV = 0;
  std::int32_t min_cell_mV = 0;
  std::uint16_t max_cell_number = 0;
  std::uint16_t min_cell_number = 0;
  // 0x4240
  std::int16_t max_cell_temperature_ddegC = 0;
  std::int16_t min_cell_temperature_ddegC = 0;
  std::uint16_t max_cell_temperature_number = 0;
  std::uint16_t min_cell_temperature_number = 0;
  // 0x4250 (+ 0x4290 from the codes)
  BasicStatus status = BasicStatus::Idle;
  bool forced_charge_request = false;
  bool balance_charge_request = false;
  std::uint16_t cycle_period = 0;  // meaning not confirmed by any source; sent as given
  CodeSet codes;
  // 0x4260
  std::int32_t max_module_mV = 0;
  std::int32_t min_module_mV = 0;
  std::uint16_t max_module_number = 0;
  std::uint16_t min_module_number = 0;
  // 0x4270
  std::int16_t max_module_temperature_ddegC = 0;
  std::int16_t min_module_temperature_ddegC = 0;
  std::uint16_t max_module_temperature_number = 0;
  std::uint16_t min_module_temperature_number = 0;
  // 0x4280
  bool charge_forbidden = false;
  bool discharge_forbidden = false;
  // 0x7310, 0x7320
  Versions versions;
  Topology topology;  // the battery's own; the dialect may report another

  constexpr bool operator==(const BatteryValues&) const = default;
};

/// The frames of the answers, in sending order.
enum class Frame : std::uint8_t {
  Totals,
  Limits,
  CellVoltageExtremes,
  CellTemperatureExtremes,
  Status,
  ModuleVoltageExtremes,
  ModuleTemperatureExtremes,
  Forbidden,
  FaultExtension,
  EnsembleManufacturer0,
  EnsembleManufacturer1,
  Versions,
  Topology,
  Manufacturer0,
  Manufacturer1,
};
inline constexpr std::size_t kFrameKinds = 15;
/// The base identifier (address 0) of a frame.
std::uint32_t base_of(Frame frame);

/// One answer frame. Values outside a field's range are saturated (limits below 0 go to 0).
CanFrame encode_frame(Frame frame, const BatteryValues& values, std::uint8_t address,
                      const PylonDialect& dialect);

inline constexpr std::size_t kEnsembleFrames = 9;      // 0x4210..0x4290
inline constexpr std::size_t kEquipmentFrames = 4;     // 0x7310..0x7340
inline constexpr std::size_t kMaxResponseFrames = 11;  // ensemble + 0x42E0/0x42F0

/// Frames in the ensemble answer under this dialect (9, or 11 with the manufacturer).
constexpr std::size_t ensemble_frame_count(const PylonDialect& dialect) {
  return dialect.manufacturer_in_ensemble ? kEnsembleFrames + 2 : kEnsembleFrames;
}

/// The answer to an ensemble poll into out; returns the count, 0 (nothing written) when out is
/// too small.
std::size_t encode_ensemble(const BatteryValues& values, std::uint8_t address,
                            const PylonDialect& dialect, std::span<CanFrame> out);
/// The answer to an equipment poll (4 frames) into out; 0 when out is too small.
std::size_t encode_equipment(const BatteryValues& values, std::uint8_t address,
                             const PylonDialect& dialect, std::span<CanFrame> out);

/// What an inverter (or a test) reads back from the answers of one battery.
struct BatteryReport {
  BatteryValues values;
  StatusBits bits;                      // 0x4250 and 0x4290 as received
  std::array<char, 16> manufacturer{};  // 0x7330/0x7340 (or 0x42E0/0x42F0), zero padded
  std::uint32_t frames_seen = 0;        // bit = Frame index
  std::uint8_t address = 0;             // of the last frame decoded
};

/// Decodes one answer frame into the report (only that frame's fields; values.codes is
/// recomputed from all bits received). False, report unchanged, on a standard frame, another id,
/// a dlc other than 8, or a field outside its range (a negative limit, SOC/SOH above 100 %, a
/// status above 3, a temperature that does not fit 16 bits).
bool decode_frame(const CanFrame& frame, const PylonDialect& dialect, BatteryReport& report);

// ---------------------------------------------------------------------------------------------
// Inverter messages

enum class PollRequest : std::uint8_t {
  Ensemble = 0x00,
  CellData = 0x01,  // mentioned only as "cell voltages"; the battery does not answer it
  Equipment = 0x02,
};

enum class SleepCommand : std::uint8_t {
  None = 0x00,  // any byte other than 0x55 / 0xAA
  Sleep = kSleepByte,
  Wake = kWakeByte,
};

/// A decoded inverter message. Only the fields of its kind are meaningful (the others default).
struct InverterCommand {
  enum class Kind : std::uint8_t { Poll, Sleep, Relay, KeepRelay };
  Kind kind = Kind::Poll;
  std::uint8_t address = 0;  // the battery it is for (0 for the poll, which is for all)
  PollRequest poll = PollRequest::Ensemble;
  SleepCommand sleep = SleepCommand::None;
  bool charge_command = false;     // 0x8210 byte 0 = 0xAA: close the relay to charge
  bool discharge_command = false;  // 0x8210 byte 1 = 0xAA: close the relay to discharge
  constexpr bool operator==(const InverterCommand&) const = default;
};

/// Decodes 0x4200, 0x8200+a, 0x8210+a, 0x8240+a. False on a standard frame, a dlc other than 8,
/// another id, an address above 15 (id outside base..base+15) or a poll byte other than 0/1/2.
/// Bytes the message does not use are ignored; 0x8200/0x8210 bytes other than the command values
/// mean "no command", as the spec says.
bool decode_command(const CanFrame& frame, InverterCommand& command);
/// The frame an inverter sends (the simulated inverter and the tests use it); unused bytes 0.
CanFrame encode_command(const InverterCommand& command);

/// 0x8250+a: whether the battery will keep its relay on without communication for 5 minutes.
CanFrame encode_keep_relay_reply(std::uint8_t address, bool accepted);
bool decode_keep_relay_reply(const CanFrame& frame, std::uint8_t& address, bool& accepted);

/// The battery's whole answer to a command for the battery at `address`: the ensemble or
/// equipment burst for those polls, 0x8250 for a keep-relay request to this address (accepted as
/// given), nothing otherwise. Returns the count; 0 when out is too small for the answer.
std::size_t encode_response(const InverterCommand& command, const BatteryValues& values,
                            std::uint8_t address, const PylonDialect& dialect,
                            bool keep_relay_accepted, std::span<CanFrame> out);

}  // namespace bts::firmware::pylon_hv
