#pragma once
// One row of a diagnosis table: which input is compared with which thresholds, how long the
// condition must hold to raise and to clear the row's code, what the node does while it is active,
// whether it latches and whether a long-lasting alarm escalates. See docs/diagnosis.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firmware/common/codes.hpp"

namespace bts::firmware {

/// One value per measured quantity or flag a node feeds into its diagnosis. The unit is in the
/// name; names without a unit are flags, 0 or 1.
enum class DiagnosisInput : std::uint8_t {
  // Module BMS: cells (extremes over the module's sensors).
  MaxCellTemperature_ddegC,
  MinCellTemperatureWhileCharging_ddegC,     // a neutral +250 (25 degC) while not charging
  MinCellTemperatureWhileDischarging_ddegC,  // a neutral +250 (25 degC) while not discharging
  MaxCellVoltage_mV,
  MinCellVoltage_mV,
  ChargeCurrent_mA,     // magnitude on the module LV side, 0 while discharging
  DischargeCurrent_mA,  // magnitude on the module LV side, 0 while charging
  CellTemperatureSpread_ddegC,
  CellVoltageSpread_mV,
  // Both nodes: the air inside the enclosure (module internal air, BDU enclosure); one input
  // carries a high and a low row.
  AmbientTemperature_ddegC,
  // Power terminals: a loose connection heats with I^2 R.
  TerminalTemperature_ddegC,        // module: its HV power terminal block
  OutputTerminalTemperature_ddegC,  // BDU: its BAT OUT terminal
  // Flags (0/1): conclusions of the node's own checks.
  SamplingImplausible,    // a channel open, shorted, stuck or out of range; sums disagree
  CellBehaviourAbnormal,  // a cell self-discharges or drifts against its neighbours
  SelfTestFailed,         // the node's own self test (module BMS, or the BDU controller)
  PcuReportsFault,        // the PCU reports an internal fault
  PcuNotFollowing,        // the PCU's current does not follow its command
  PcuAgainstProtection,   // the PCU carries current in a direction a protection (F2-F4) blocked
  PcuOverTemperature,     // the PCU stopped itself for over-temperature
  BusReversed,            // negative voltage at the module's PCU output terminal
  HeaterFault,            // heater commanded but not heating, or heating uncommanded
  OtherFault,
  LinkTimeout,      // Link bus frames overdue (BDU: from a module; module: from its BDU)
  LinkFrameLoss,    // many of a module's Link frames lost (BDU; from the frames' counters)
  NetworkTimeout,   // the other BDU's frames on the BDU network are overdue
  InverterTimeout,  // the inverter's frames are overdue
  FuseOpen,
  InputReversed,  // negative voltage on a BAT IN input
  InputOpen,      // a BAT IN input at about 0 V while the bus is up (power cable off)
  VersionMismatch,
  RelayWelded,      // a relay's auxiliary contact stays closed with its coil off
  PrechargeFailed,  // the precharge gave up after its three attempts
  OtherWarning,
  Count,
};

inline constexpr std::size_t kDiagnosisInputCount = static_cast<std::size_t>(DiagnosisInput::Count);

inline constexpr std::array<std::string_view, kDiagnosisInputCount> kDiagnosisInputNames{{
    "MaxCellTemperature_ddegC",
    "MinCellTemperatureWhileCharging_ddegC",
    "MinCellTemperatureWhileDischarging_ddegC",
    "MaxCellVoltage_mV",
    "MinCellVoltage_mV",
    "ChargeCurrent_mA",
    "DischargeCurrent_mA",
    "CellTemperatureSpread_ddegC",
    "CellVoltageSpread_mV",
    "AmbientTemperature_ddegC",
    "TerminalTemperature_ddegC",
    "OutputTerminalTemperature_ddegC",
    "SamplingImplausible",
    "CellBehaviourAbnormal",
    "SelfTestFailed",
    "PcuReportsFault",
    "PcuNotFollowing",
    "PcuAgainstProtection",
    "PcuOverTemperature",
    "BusReversed",
    "HeaterFault",
    "OtherFault",
    "LinkTimeout",
    "LinkFrameLoss",
    "NetworkTimeout",
    "InverterTimeout",
    "FuseOpen",
    "InputReversed",
    "InputOpen",
    "VersionMismatch",
    "RelayWelded",
    "PrechargeFailed",
    "OtherWarning",
}};

static_assert(!kDiagnosisInputNames.back().empty(), "one name per DiagnosisInput");

constexpr std::string_view diagnosis_input_name(DiagnosisInput input) {
  const auto index = static_cast<std::size_t>(input);
  return index < kDiagnosisInputCount ? kDiagnosisInputNames[index] : std::string_view("?");
}

/// What a node does while a row is active, weakest first:
///   None            report only (lights and interfaces)
///   Derate          the limit calculation reduces the current limits it offers
///   StopCharging    charging blocked: charge current limit 0; discharging still allowed
///   StopDischarging discharging blocked: discharge current limit 0; charging still allowed
///   OpenRelays      both blocked and the power path opened (BDU: main relays; module: PCU off)
enum class Reaction : std::uint8_t { None, Derate, StopCharging, StopDischarging, OpenRelays };

constexpr std::string_view reaction_name(Reaction reaction) {
  switch (reaction) {
    case Reaction::None:
      return "none";
    case Reaction::Derate:
      return "derate";
    case Reaction::StopCharging:
      return "stop charging";
    case Reaction::StopDischarging:
      return "stop discharging";
    case Reaction::OpenRelays:
      return "open relays";
  }
  return "?";
}

/// Above: the condition is present when the value is at or above set_threshold and gone when it
/// is at or below clear_threshold. Below: mirrored. In between (the hysteresis band) the row keeps
/// its state.
enum class Comparison : std::uint8_t { Above, Below };

struct DiagnosisRow {
  Code code = Code::A1;
  DiagnosisInput input = DiagnosisInput::Count;
  Comparison comparison = Comparison::Above;
  std::int32_t set_threshold = 0;
  std::int32_t clear_threshold = 0;
  std::uint32_t set_delay_ms = 0;    // the condition must hold this long, continuously, to raise
  std::uint32_t clear_delay_ms = 0;  // and be gone this long, continuously, to clear
  Reaction reaction = Reaction::None;
  bool latching = false;                // stays active after clearing until request_reset()
  std::uint32_t escalate_after_ms = 0;  // 0: never; else active this long raises escalates_to
  Code escalates_to = Code::A1;
  Reaction escalation_reaction = Reaction::None;  // while escalated
  std::string_view source;                        // where the threshold comes from
};

/// Thresholds on the right sides, a real input, an escalation to another code.
constexpr bool row_is_consistent(const DiagnosisRow& row) {
  if (static_cast<std::size_t>(row.input) >= kDiagnosisInputCount) return false;
  const bool hysteresis_ok = row.comparison == Comparison::Above
                                 ? row.clear_threshold < row.set_threshold
                                 : row.clear_threshold > row.set_threshold;
  const bool escalation_ok = row.escalate_after_ms == 0 || row.escalates_to != row.code;
  return hysteresis_ok && escalation_ok && !row.source.empty();
}

}  // namespace bts::firmware
