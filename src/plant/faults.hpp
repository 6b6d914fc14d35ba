#pragma once
// Physical faults that can be injected into the plant. Each acts on hardware (a cell, a sensor
// channel, a converter, a relay, a cable), never on a firmware flag; the firmware has to notice.
// The comment on each kind names the manual's code it is expected to lead to.
#include <cstdint>
#include <string>

#include "plant/bdu_hardware.hpp"
#include "plant/module.hpp"
#include "plant/pcu.hpp"
#include "plant/sensors.hpp"

namespace bts::plant {

enum class PlantFaultKind : std::uint8_t {
  CellExternalHeat,   // value = W into one cell (hot spot)                     -> A1/F1
  AmbientOverride,    // value = degC around one module (module < 0: all)       -> A2/F2, A8/F8
  HeaterStuckOn,      // heater film relay welded: heats regardless of command  -> A1/F1, A8/F8
  CellInternalShort,  // value = Ohm across one cell inside the can             -> F11
  SensorFailure,      // sensor + index + sensor_failure on one module          -> F10
  PcuFailure,   // pcu_failure on one module           -> F13; current_limit_lost: A3/F3, A5/F5
  FuseBlown,    // the BDU fuse opens                                     -> F14
  RelayWelded,  // relay contacts welded shut                             -> F12/F17
  PowerCableReversed,        // module B+/B- swapped at BAT IN (REQ-TOP-5)             -> F15
  PowerCableCut,             // module power cable disconnected                        -> F15
  ModuleTerminalLoose,       // value = Ohm of a loose module HV terminal              -> F15
  BduOutputTerminalLoose,    // BAT OUT terminal loose                                 -> F15
  TerminalResistorRemoved,   // Link bus left unterminated (REQ-TOP-4)                 -> F9
  LinkCableCut,              // Link cable into `module` cut (module and beyond silent)-> F9
  InverterCableCut,          // BDU-to-inverter power cable cut
  InverterCommunicationCut,  // CAN/RS485 cable between BDU and inverter cut           -> F9
  BduNetworkCableCut,        // COM cable between the two BDUs cut                     -> F9
  InverterIgnoresLimits,     // the inverter input of this BDU ignores the current limits -> F3, F5
  MemoryWriteFailure,        // a node's record memory refuses writes (module, or the BDU) -> F12
};

struct PlantFault {
  PlantFaultKind kind = PlantFaultKind::CellExternalHeat;
  int bdu = 0;
  int module = 0;  // index within the BDU; -1 = every module where that makes sense
  int index = 0;   // cell or sensor channel
  double value = 0.0;
  ModuleSensor sensor = ModuleSensor::CellVoltage;
  SensorFailure sensor_failure = SensorFailure::Open;
  PcuFailure pcu_failure = PcuFailure::Dead;
  RelayId relay = RelayId::PositiveMain;
};

/// Name used in scenario files and logs, e.g. "cell_internal_short".
const char* fault_kind_name(PlantFaultKind kind);
bool fault_kind_from_name(const std::string& name, PlantFaultKind& kind);

/// Communication wiring of one BDU and the system (read by the simulator's bus models).
struct BduWiring {
  bool terminal_resistor_present = true;
  int link_cable_cut_before_module = -1;  // -1: intact; k: the cable into module k is cut
  bool inverter_communication_cut = false;
};

}  // namespace bts::plant
