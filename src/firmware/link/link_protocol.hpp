#pragma once
// The Link bus protocol between a BDU and its 1..4 battery modules (REQ-TOP-4): identifiers,
// addresses, timing constants and one codec per message. Pure encode/decode, no I/O.
// docs/protocols/link.md is the description; data/dbc/link.dbc repeats every message and signal
// and tests/firmware/link_protocol_test.cpp keeps the three in agreement.
//
// Identifier (CAN 2.0B, 29 bit, 500 kbit/s):
//   bits 28..24 priority class (lower wins arbitration), 23..16 message type,
//   15..8 destination address, 7..0 source address.
// All multi-byte fields are little endian. Every decode() returns false, and leaves the object
// unchanged, on a standard frame, another priority or type, another dlc, an address that does not
// fit the message, or a field outside its valid range. Reserved bits are sent as zero and ignored.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"
#include "firmware/link/can_signal.hpp"

namespace bts::firmware::link {

// ---------------------------------------------------------------------------------------------
// Bus, addresses, timing

inline constexpr std::uint32_t kBitrate_bps = 500'000;
inline constexpr std::uint8_t kProtocolVersion = 1;  // sent in ADDRESS_CLAIM

inline constexpr std::uint8_t kAddressUnassigned = 0x00;  // a module before ADDRESS_ASSIGN
inline constexpr std::uint8_t kAddressFirstModule = 0x01;
inline constexpr std::uint8_t kMaxModules = 4;  // modules 0x01..0x04 by chain position
inline constexpr std::uint8_t kAddressBdu = 0x80;
inline constexpr std::uint8_t kAddressBroadcast = 0xFF;

constexpr bool is_module_address(std::uint8_t address) {
  return address >= kAddressFirstModule && address < kAddressFirstModule + kMaxModules;
}

inline constexpr std::uint8_t kCellsPerModule = 16;  // D-CELL
inline constexpr std::uint8_t kCellTemperatureSensors = 8;
inline constexpr std::uint8_t kCellsPerFrame = 4;
inline constexpr std::uint8_t kCellVoltageFrames = kCellsPerModule / kCellsPerFrame;  // 4
inline constexpr std::uint8_t kCellTemperatureFrames =
    kCellTemperatureSensors / kCellsPerFrame;  // 2

// Periods and supervision (docs/protocols/link.md, "Timing and supervision").
inline constexpr TimeMs kFastPeriod_ms = 100;            // BDU_COMMAND, BDU_SHARE, MODULE_STATUS/..
inline constexpr TimeMs kSlowPeriod_ms = 1000;           // cell data, MODULE_INFO
inline constexpr TimeMs kBduLostTimeout_ms = 1000;       // module: no BDU_COMMAND -> safe state
inline constexpr TimeMs kModuleLostTimeout_ms = 1000;    // BDU: no MODULE_STATUS -> F9
inline constexpr TimeMs kClaimResponseMax_ms = 20;       // module answers ADDRESS_REQUEST within
inline constexpr TimeMs kClaimWindow_ms = 100;           // BDU waits this long for a claim
inline constexpr TimeMs kAssignConfirmTimeout_ms = 300;  // first MODULE_STATUS after ASSIGN
inline constexpr std::uint8_t kAssignRetries = 3;        // ASSIGN repeats before giving up
inline constexpr std::uint8_t kEmptyRequestsToFinish = 3;  // unanswered requests end enumeration
inline constexpr TimeMs kEnableSettle_ms = 20;  // enable out raised -> next request no earlier
inline constexpr TimeMs kExpansionPollPeriod_ms = 2000;      // ADDRESS_REQUEST while running
inline constexpr TimeMs kRecoveryPollPeriod_ms = 200;        // ... while a known module is silent
inline constexpr TimeMs kSilentBeforeRecoveryPoll_ms = 300;  // silence that starts fast polling
// BDU_SHARE: a discharge limit of at least this lets a module whose own window is zero (empty,
// cold) still raise and hold the bus (HV side); the BDU sends it only while no module can.
inline constexpr std::int32_t kBusKeepAlive_mA = 1000;
inline constexpr TimeMs kSlowDataStaleTimeout_ms = 3000;   // cell data older -> stale
inline constexpr TimeMs kLossWindow_ms = 5000;             // counter-gap supervision window
inline constexpr std::uint32_t kLossWindowMaxMissed = 10;  // > this many missed -> F9 (20 %)

// ---------------------------------------------------------------------------------------------
// Identifiers

/// Message types of the Link bus (0x10..0x3F) and of the BDU network (0xC0..0xCF, see
/// bdu_network_protocol.hpp); one registry so that a type number never means two things.
/// 0x60..0x6F are reserved for the firmware transfer of the update path.
enum class MessageType : std::uint8_t {
  BduCommand = 0x10,
  BduShare = 0x11,
  InfoRequest = 0x12,
  AddressRequest = 0x18,
  AddressClaim = 0x19,
  AddressAssign = 0x1A,
  ModuleStatus = 0x20,
  ModuleMeasurements = 0x21,
  ModuleExtremes = 0x22,
  CellVoltages0 = 0x30,  // cells 1-4; CellVoltages0 + k carries cells 4k+1..4k+4
  CellVoltages1 = 0x31,
  CellVoltages2 = 0x32,
  CellVoltages3 = 0x33,
  CellTemperatures0 = 0x34,  // sensors 1-4
  CellTemperatures1 = 0x35,  // sensors 5-8
  ModuleTemperatures = 0x36,
  ModuleEstimates = 0x37,
  ModuleInfo = 0x38,
  BduPeerStatus = 0xC0,
  BduPeerLimits = 0xC1,
  BduPeerMeasurements = 0xC2,
  BduPeerInfo = 0xC3,
};

/// Fixed priority class of each message type (bits 28..24). 0 and 1 are reserved.
constexpr std::uint8_t priority_of(MessageType type) {
  switch (type) {
    case MessageType::BduCommand:
      return 2;
    case MessageType::BduShare:
    case MessageType::ModuleStatus:
      return 3;
    case MessageType::ModuleMeasurements:
    case MessageType::ModuleExtremes:
      return 4;
    case MessageType::InfoRequest:
    case MessageType::AddressRequest:
    case MessageType::AddressClaim:
    case MessageType::AddressAssign:
      return 5;
    case MessageType::CellVoltages0:
    case MessageType::CellVoltages1:
    case MessageType::CellVoltages2:
    case MessageType::CellVoltages3:
    case MessageType::CellTemperatures0:
    case MessageType::CellTemperatures1:
    case MessageType::ModuleTemperatures:
    case MessageType::ModuleEstimates:
    case MessageType::ModuleInfo:
      return 6;
    case MessageType::BduPeerStatus:
    case MessageType::BduPeerLimits:
    case MessageType::BduPeerMeasurements:
    case MessageType::BduPeerInfo:
      return 0x1C;  // below every inverter-protocol frame on the shared COM bus
  }
  return 0x1F;
}

struct LinkId {
  std::uint8_t priority = 0;  // 0..31
  MessageType type{};
  std::uint8_t destination = 0;
  std::uint8_t source = 0;
  constexpr bool operator==(const LinkId&) const = default;
};

constexpr std::uint32_t encode_id(const LinkId& id) {
  return (static_cast<std::uint32_t>(id.priority & 0x1Fu) << 24) |
         (static_cast<std::uint32_t>(id.type) << 16) |
         (static_cast<std::uint32_t>(id.destination) << 8) | id.source;
}

constexpr LinkId decode_id(std::uint32_t can_id) {
  LinkId id;
  id.priority = static_cast<std::uint8_t>((can_id >> 24) & 0x1Fu);
  id.type = static_cast<MessageType>((can_id >> 16) & 0xFFu);
  id.destination = static_cast<std::uint8_t>((can_id >> 8) & 0xFFu);
  id.source = static_cast<std::uint8_t>(can_id & 0xFFu);
  return id;
}

/// The identifier of a message of this type (its fixed priority class) between two nodes.
constexpr std::uint32_t message_id(MessageType type, std::uint8_t destination,
                                   std::uint8_t source) {
  return encode_id(LinkId{priority_of(type), type, destination, source});
}

namespace detail {
/// priority_of for every type byte, as a table (every received frame's id is checked with it).
inline constexpr std::array<std::uint8_t, 256> kPriorityOfType = [] {
  std::array<std::uint8_t, 256> table{};
  for (std::size_t type = 0; type < table.size(); ++type)
    table[type] = priority_of(static_cast<MessageType>(type));
  return table;
}();
}  // namespace detail

/// The id of an extended frame whose priority class is the one of its type; false otherwise.
constexpr bool peek_id(const CanFrame& frame, LinkId& id) {
  if (!frame.extended || frame.id > 0x1FFFFFFFu) return false;
  const LinkId candidate = decode_id(frame.id);
  if (candidate.priority != detail::kPriorityOfType[static_cast<std::uint8_t>(candidate.type)])
    return false;
  id = candidate;
  return true;
}

/// Whether a node with this address should look at a frame with this id.
constexpr bool is_addressed_to(const LinkId& id, std::uint8_t own_address) {
  return id.destination == own_address || id.destination == kAddressBroadcast;
}

/// A module's Link acceptance filters for its address: frames from the BDU to this address and
/// to everyone. Every frame a module acts on is one of them (an unaddressed module's
/// ADDRESS_ASSIGN goes to kAddressUnassigned, its own address then). They keep out the other
/// modules' frames and the BDU_SHAREs for the other modules (three of the five frames the BDU
/// sends a full chain every 100 ms), which the module would otherwise wake up for and drop.
constexpr std::array<CanAcceptanceFilter, 2> module_acceptance_filters(std::uint8_t own_address) {
  constexpr std::uint32_t kDestinationAndSource = 0xFFFFu;
  return {{{(std::uint32_t{own_address} << 8) | kAddressBdu, kDestinationAndSource},
           {(std::uint32_t{kAddressBroadcast} << 8) | kAddressBdu, kDestinationAndSource}}};
}

/// Frames missed between two received rolling counters (8 bit, +1 per frame): 0 when
/// consecutive, n when n frames were lost, 255 when the counter repeated (a stale sender).
constexpr std::uint8_t counter_gap(std::uint8_t previous, std::uint8_t current) {
  return static_cast<std::uint8_t>(current - previous - 1u);
}

namespace detail {
/// Header check shared by every decode: extended, right priority/type/dlc.
constexpr bool match(const CanFrame& frame, MessageType type, std::uint8_t dlc, LinkId& id) {
  if (frame.dlc != dlc) return false;
  if (!peek_id(frame, id)) return false;
  return id.type == type;
}
constexpr bool in_range(std::int64_t value, std::int64_t low, std::int64_t high) {
  return value >= low && value <= high;
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Enumerations carried in messages

enum class RequestedMode : std::uint8_t {
  Off = 0,      // PCU off, balancing and heater off; the module may power down
  Standby = 1,  // energy saving: PCU off, BMS measuring and protecting
  Run = 2,      // PCU regulating the bus
};

enum class ModuleState : std::uint8_t {
  Init = 0,      // self test after reset
  Off = 1,       // PCU off, ready to power down
  Standby = 2,   // energy saving, PCU off
  Run = 3,       // PCU running
  Fault = 4,     // PCU off because of an active fault
  Updating = 5,  // receiving firmware
};

enum class InfoItem : std::uint8_t {
  ModuleInfo = 0,
};

// ---------------------------------------------------------------------------------------------
// Messages. Signal tables are static members so that the DBC test can compare them.

/// BDU -> all modules, every 100 ms.
struct BduCommand {
  static constexpr MessageType kType = MessageType::BduCommand;
  static constexpr std::uint8_t kDlc = 4;
  static constexpr CanSignal kMode{"RequestedMode", 0, 2, false, 0, 2, 1, 0, 1, 0, ""};
  static constexpr CanSignal kAllowBalancing{"AllowBalancing", 2, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kAllowHeater{"AllowHeater", 3, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kFaultReset{"FaultResetRequest", 4, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kBusVoltageRef{
      "BusVoltageReference", 8, 16, false, 0, 5000, 1, 0, 0.1, 0, "V"};
  static constexpr CanSignal kCounter{"Counter", 24, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 6> kSignals{kMode,       kAllowBalancing, kAllowHeater,
                                                     kFaultReset, kBusVoltageRef,  kCounter};

  RequestedMode mode = RequestedMode::Standby;
  bool allow_balancing = false;
  bool allow_heater = false;
  bool fault_reset_request = false;
  std::int32_t bus_voltage_reference_dV = 0;  // 0..5000 (0..500.0 V)
  std::uint8_t counter = 0;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kMode, static_cast<std::int64_t>(mode));
    p.put(kAllowBalancing, allow_balancing);
    p.put(kAllowHeater, allow_heater);
    p.put(kFaultReset, fault_reset_request);
    p.put(kBusVoltageRef, bus_voltage_reference_dV);
    p.put(kCounter, counter);
    return p.to_frame(message_id(kType, kAddressBroadcast, kAddressBdu), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (id.source != kAddressBdu || id.destination != kAddressBroadcast) return false;
    const CanPayload p(frame);
    std::int64_t m = 0, v = 0, c = 0;
    if (!p.get(kMode, m) || !p.get(kBusVoltageRef, v) || !p.get(kCounter, c)) return false;
    mode = static_cast<RequestedMode>(m);
    allow_balancing = p.get_flag(kAllowBalancing);
    allow_heater = p.get_flag(kAllowHeater);
    fault_reset_request = p.get_flag(kFaultReset);
    bus_voltage_reference_dV = static_cast<std::int32_t>(v);
    counter = static_cast<std::uint8_t>(c);
    return true;
  }
  constexpr bool operator==(const BduCommand&) const = default;
};

/// BDU -> one module (destination = its address), every 100 ms: the current-sharing set point.
/// Currents are on the PCU's HV side; positive = the module discharges (delivers) more.
struct BduShare {
  static constexpr MessageType kType = MessageType::BduShare;
  static constexpr std::uint8_t kDlc = 7;
  static constexpr CanSignal kOffset{"CurrentOffset", 0, 16, true, -10000, 10000, 1, 0,
                                     0.001,           0, "A"};
  static constexpr CanSignal kDischargeLimit{
      "DischargeCurrentLimit", 16, 16, false, 0, 10000, 1, 0, 0.001, 0, "A"};
  static constexpr CanSignal kChargeLimit{
      "ChargeCurrentLimit", 32, 16, false, 0, 10000, 1, 0, 0.001, 0, "A"};
  static constexpr CanSignal kCounter{"Counter", 48, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 4> kSignals{kOffset, kDischargeLimit, kChargeLimit,
                                                     kCounter};

  std::uint8_t module_address = kAddressFirstModule;  // destination, 1..4
  std::int32_t current_offset_mA = 0;                 // -10000..10000
  std::int32_t discharge_limit_mA = 0;                // 0..10000
  std::int32_t charge_limit_mA = 0;                   // 0..10000
  std::uint8_t counter = 0;                           // the BDU_COMMAND counter of this cycle

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kOffset, current_offset_mA);
    p.put(kDischargeLimit, discharge_limit_mA);
    p.put(kChargeLimit, charge_limit_mA);
    p.put(kCounter, counter);
    return p.to_frame(message_id(kType, module_address, kAddressBdu), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (id.source != kAddressBdu || !is_module_address(id.destination)) return false;
    const CanPayload p(frame);
    std::int64_t o = 0, d = 0, c = 0, n = 0;
    if (!p.get(kOffset, o) || !p.get(kDischargeLimit, d) || !p.get(kChargeLimit, c) ||
        !p.get(kCounter, n)) {
      return false;
    }
    module_address = id.destination;
    current_offset_mA = static_cast<std::int32_t>(o);
    discharge_limit_mA = static_cast<std::int32_t>(d);
    charge_limit_mA = static_cast<std::int32_t>(c);
    counter = static_cast<std::uint8_t>(n);
    return true;
  }
  constexpr bool operator==(const BduShare&) const = default;
};

/// BDU -> one module or all (destination), on event: asks for a message outside its period.
struct InfoRequest {
  static constexpr MessageType kType = MessageType::InfoRequest;
  static constexpr std::uint8_t kDlc = 1;
  static constexpr CanSignal kItem{"Item", 0, 8, false, 0, 0, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 1> kSignals{kItem};

  std::uint8_t destination = kAddressBroadcast;  // a module address or broadcast
  InfoItem item = InfoItem::ModuleInfo;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kItem, static_cast<std::int64_t>(item));
    return p.to_frame(message_id(kType, destination, kAddressBdu), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (id.source != kAddressBdu) return false;
    if (!is_module_address(id.destination) && id.destination != kAddressBroadcast) return false;
    std::int64_t i = 0;
    if (!CanPayload(frame).get(kItem, i)) return false;
    destination = id.destination;
    item = static_cast<InfoItem>(i);
    return true;
  }
  constexpr bool operator==(const InfoRequest&) const = default;
};

/// BDU -> all: "an unaddressed module whose enable input is high, claim" (next_address is the
/// address the BDU will assign, 0 when all four are taken: a claim then means a fifth module).
/// With restart set, every module drops its address and its enable out instead, and no module
/// answers (the BDU sends this when it starts, before enumerating).
struct AddressRequest {
  static constexpr MessageType kType = MessageType::AddressRequest;
  static constexpr std::uint8_t kDlc = 2;
  static constexpr CanSignal kNextAddress{"NextAddress", 0, 8, false, 0, 4, 1, 0, 1, 0, ""};
  static constexpr CanSignal kRestart{"Restart", 8, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 2> kSignals{kNextAddress, kRestart};

  std::uint8_t next_address = kAddressFirstModule;  // 1..4, 0 = none free
  bool restart = false;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kNextAddress, next_address);
    p.put(kRestart, restart);
    return p.to_frame(message_id(kType, kAddressBroadcast, kAddressBdu), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (id.source != kAddressBdu || id.destination != kAddressBroadcast) return false;
    const CanPayload p(frame);
    std::int64_t a = 0;
    if (!p.get(kNextAddress, a)) return false;
    next_address = static_cast<std::uint8_t>(a);
    restart = p.get_flag(kRestart);
    return true;
  }
  constexpr bool operator==(const AddressRequest&) const = default;
};

/// Unaddressed module (source 0x00) -> BDU: "I am serial S, my enable input is high".
struct AddressClaim {
  static constexpr MessageType kType = MessageType::AddressClaim;
  static constexpr std::uint8_t kDlc = 5;
  static constexpr CanSignal kSerial{"SerialNumber", 0, 32, false, 0, 0xFFFFFFFF, 1, 0, 1, 0, ""};
  static constexpr CanSignal kProtocol{"ProtocolVersion", 32, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 2> kSignals{kSerial, kProtocol};

  std::uint32_t serial_number = 0;
  std::uint8_t protocol_version = kProtocolVersion;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kSerial, serial_number);
    p.put(kProtocol, protocol_version);
    return p.to_frame(message_id(kType, kAddressBdu, kAddressUnassigned), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (id.source != kAddressUnassigned || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    std::int64_t s = 0, v = 0;
    if (!p.get(kSerial, s) || !p.get(kProtocol, v)) return false;
    serial_number = static_cast<std::uint32_t>(s);
    protocol_version = static_cast<std::uint8_t>(v);
    return true;
  }
  constexpr bool operator==(const AddressClaim&) const = default;
};

/// BDU -> unaddressed modules (destination 0x00): "serial S, take address A".
struct AddressAssign {
  static constexpr MessageType kType = MessageType::AddressAssign;
  static constexpr std::uint8_t kDlc = 5;
  static constexpr CanSignal kSerial{"SerialNumber", 0, 32, false, 0, 0xFFFFFFFF, 1, 0, 1, 0, ""};
  static constexpr CanSignal kAddress{"Address", 32, 8, false, 1, 4, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 2> kSignals{kSerial, kAddress};

  std::uint32_t serial_number = 0;
  std::uint8_t address = kAddressFirstModule;  // 1..4

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kSerial, serial_number);
    p.put(kAddress, address);
    return p.to_frame(message_id(kType, kAddressUnassigned, kAddressBdu), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (id.source != kAddressBdu || id.destination != kAddressUnassigned) return false;
    const CanPayload p(frame);
    std::int64_t s = 0, a = 0;
    if (!p.get(kSerial, s) || !p.get(kAddress, a)) return false;
    serial_number = static_cast<std::uint32_t>(s);
    address = static_cast<std::uint8_t>(a);
    return true;
  }
  constexpr bool operator==(const AddressAssign&) const = default;
};

/// Module -> BDU, every 100 ms: state, flags, every active alarm and fault (CodeSet bits).
struct ModuleStatus {
  static constexpr MessageType kType = MessageType::ModuleStatus;
  static constexpr std::uint8_t kDlc = 7;
  static constexpr CanSignal kState{"State", 0, 8, false, 0, 5, 1, 0, 1, 0, ""};
  static constexpr CanSignal kBalancing{"BalancingActive", 8, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kHeater{"HeaterOn", 9, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kPcuRunning{"PcuRunning", 10, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kEnableOut{"EnableOutHigh", 11, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kBduLost{"BduLost", 12, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kCodes{
      "ActiveCodes", 16, 26, false, 0, (1 << kCodeCount) - 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kCounter{"Counter", 48, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 8> kSignals{kState,     kBalancing, kHeater, kPcuRunning,
                                                     kEnableOut, kBduLost,   kCodes,  kCounter};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  ModuleState state = ModuleState::Init;
  bool balancing_active = false;
  bool heater_on = false;
  bool pcu_running = false;
  bool enable_out_high = false;
  bool bdu_lost = false;  // in the safe state because BDU_COMMAND stopped (or was just lost)
  CodeSet codes;
  std::uint8_t counter = 0;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kState, static_cast<std::int64_t>(state));
    p.put(kBalancing, balancing_active);
    p.put(kHeater, heater_on);
    p.put(kPcuRunning, pcu_running);
    p.put(kEnableOut, enable_out_high);
    p.put(kBduLost, bdu_lost);
    p.put(kCodes, codes.bits());
    p.put(kCounter, counter);
    return p.to_frame(message_id(kType, kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    std::int64_t s = 0, c = 0, n = 0;
    if (!p.get(kState, s) || !p.get(kCodes, c) || !p.get(kCounter, n)) return false;
    module_address = id.source;
    state = static_cast<ModuleState>(s);
    balancing_active = p.get_flag(kBalancing);
    heater_on = p.get_flag(kHeater);
    pcu_running = p.get_flag(kPcuRunning);
    enable_out_high = p.get_flag(kEnableOut);
    bdu_lost = p.get_flag(kBduLost);
    codes = CodeSet::from_bits(static_cast<std::uint32_t>(c));
    counter = static_cast<std::uint8_t>(n);
    return true;
  }
  constexpr bool operator==(const ModuleStatus&) const = default;
};

/// Module -> BDU, every 100 ms. Current positive = the module's cells discharge.
struct ModuleMeasurements {
  static constexpr MessageType kType = MessageType::ModuleMeasurements;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kStackVoltage{"StackVoltage", 0, 16, false, 0, 65535, 1, 0,
                                           0.001,          0, "V"};
  static constexpr CanSignal kCurrent{
      "ModuleCurrent", 16, 16, true, -32767, 32767, 10, 0, 0.01, 0, "A"};
  static constexpr CanSignal kBusVoltage{"BusVoltage", 32, 16, false, 0, 6000, 1, 0, 0.1, 0, "V"};
  static constexpr CanSignal kSoc{"Soc", 48, 16, false, 0, 1000, 1, 0, 0.1, 0, "%"};
  static constexpr std::array<CanSignal, 4> kSignals{kStackVoltage, kCurrent, kBusVoltage, kSoc};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::int32_t stack_voltage_mV = 0;                  // 0..65535
  std::int32_t current_mA = 0;      // LV side, sent in 10 mA steps, -327670..327670
  std::int32_t bus_voltage_dV = 0;  // PCU HV side, 0..6000
  std::int32_t soc_permille = 0;    // 0..1000

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kStackVoltage, stack_voltage_mV);
    p.put(kCurrent, current_mA);
    p.put(kBusVoltage, bus_voltage_dV);
    p.put(kSoc, soc_permille);
    return p.to_frame(message_id(kType, kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    std::int64_t v = 0, i = 0, b = 0, s = 0;
    if (!p.get(kStackVoltage, v) || !p.get(kCurrent, i) || !p.get(kBusVoltage, b) ||
        !p.get(kSoc, s)) {
      return false;
    }
    module_address = id.source;
    stack_voltage_mV = static_cast<std::int32_t>(v);
    current_mA = static_cast<std::int32_t>(i);
    bus_voltage_dV = static_cast<std::int32_t>(b);
    soc_permille = static_cast<std::int32_t>(s);
    return true;
  }
  constexpr bool operator==(const ModuleMeasurements&) const = default;
};

/// Module -> BDU, every 100 ms: lowest and highest cell voltage and cell temperature, packed.
/// Indices are 0-based (cell 0..15, sensor 0..7). Temperatures -40.0..+164.7 degC.
struct ModuleExtremes {
  static constexpr MessageType kType = MessageType::ModuleExtremes;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kMinCell{"MinCellVoltage", 0, 13, false, 0, 8191, 1, 0, 0.001, 0, "V"};
  static constexpr CanSignal kMinCellIndex{"MinCellIndex", 13, 4, false, 0, 15, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMaxCell{
      "MaxCellVoltage", 17, 13, false, 0, 8191, 1, 0, 0.001, 0, "V"};
  static constexpr CanSignal kMaxCellIndex{"MaxCellIndex", 30, 4, false, 0, 15, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMinTemp{
      "MinTemperature", 34, 11, false, 0, 2047, 1, -400, 0.1, -40, "degC"};
  static constexpr CanSignal kMinTempIndex{
      "MinTemperatureIndex", 45, 3, false, 0, 7, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMaxTemp{
      "MaxTemperature", 48, 11, false, 0, 2047, 1, -400, 0.1, -40, "degC"};
  static constexpr CanSignal kMaxTempIndex{
      "MaxTemperatureIndex", 59, 3, false, 0, 7, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 8> kSignals{kMinCell,      kMinCellIndex, kMaxCell,
                                                     kMaxCellIndex, kMinTemp,      kMinTempIndex,
                                                     kMaxTemp,      kMaxTempIndex};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::int32_t min_cell_mV = 0;                       // 0..8191
  std::uint8_t min_cell_index = 0;                    // 0..15
  std::int32_t max_cell_mV = 0;
  std::uint8_t max_cell_index = 0;
  std::int16_t min_temperature_ddegC = 0;  // -400..1647
  std::uint8_t min_temperature_index = 0;  // 0..7
  std::int16_t max_temperature_ddegC = 0;
  std::uint8_t max_temperature_index = 0;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kMinCell, min_cell_mV);
    p.put(kMinCellIndex, min_cell_index);
    p.put(kMaxCell, max_cell_mV);
    p.put(kMaxCellIndex, max_cell_index);
    p.put(kMinTemp, min_temperature_ddegC);
    p.put(kMinTempIndex, min_temperature_index);
    p.put(kMaxTemp, max_temperature_ddegC);
    p.put(kMaxTempIndex, max_temperature_index);
    return p.to_frame(message_id(kType, kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    std::int64_t v[8]{};
    // Signal by signal in order, the first refused one ends it: an unrolled loop, so that each
    // signal's layout is a constant (a frame every 100 ms from every module).
    const bool all = [&]<std::size_t... K>(std::index_sequence<K...>) {
      return (p.get(kSignals[K], v[K]) && ...);
    }
    (std::make_index_sequence<kSignals.size()>{});
    if (!all) return false;
    module_address = id.source;
    min_cell_mV = static_cast<std::int32_t>(v[0]);
    min_cell_index = static_cast<std::uint8_t>(v[1]);
    max_cell_mV = static_cast<std::int32_t>(v[2]);
    max_cell_index = static_cast<std::uint8_t>(v[3]);
    min_temperature_ddegC = static_cast<std::int16_t>(v[4]);
    min_temperature_index = static_cast<std::uint8_t>(v[5]);
    max_temperature_ddegC = static_cast<std::int16_t>(v[6]);
    max_temperature_index = static_cast<std::uint8_t>(v[7]);
    return true;
  }
  constexpr bool operator==(const ModuleExtremes&) const = default;
};

/// Module -> BDU, every 1 s as four frames (types 0x30..0x33): cells 4k+1..4k+4 in mV.
/// 0xFFFF = not measured (a sampling fault on that channel).
struct CellVoltages {
  static constexpr std::uint8_t kDlc = 8;
  static constexpr std::uint16_t kNotAvailable = 0xFFFF;
  static constexpr MessageType type_of(std::uint8_t index) {
    return static_cast<MessageType>(static_cast<std::uint8_t>(MessageType::CellVoltages0) + index);
  }
  static constexpr std::array<std::array<CanSignal, 4>, kCellVoltageFrames> kSignals{
      {{{{"Cell01Voltage", 0, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell02Voltage", 16, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell03Voltage", 32, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell04Voltage", 48, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"}}},
       {{{"Cell05Voltage", 0, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell06Voltage", 16, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell07Voltage", 32, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell08Voltage", 48, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"}}},
       {{{"Cell09Voltage", 0, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell10Voltage", 16, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell11Voltage", 32, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell12Voltage", 48, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"}}},
       {{{"Cell13Voltage", 0, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell14Voltage", 16, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell15Voltage", 32, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"},
         {"Cell16Voltage", 48, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"}}}}};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::uint8_t index = 0;                             // 0..3
  std::array<std::uint16_t, kCellsPerFrame> cell_mV{};

  constexpr CanFrame encode() const {
    CanPayload p;
    const std::uint8_t i = index < kCellVoltageFrames ? index : kCellVoltageFrames - 1;
    for (std::uint8_t k = 0; k < kCellsPerFrame; ++k) p.put(kSignals[i][k], cell_mV[k]);
    return p.to_frame(message_id(type_of(i), kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (frame.dlc != kDlc || !peek_id(frame, id)) return false;
    const auto raw_type = static_cast<std::uint8_t>(id.type);
    const auto first = static_cast<std::uint8_t>(MessageType::CellVoltages0);
    if (raw_type < first || raw_type >= first + kCellVoltageFrames) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    module_address = id.source;
    index = static_cast<std::uint8_t>(raw_type - first);
    for (std::uint8_t k = 0; k < kCellsPerFrame; ++k) {
      cell_mV[k] = static_cast<std::uint16_t>(p.get_raw(kSignals[index][k]));
    }
    return true;
  }
  constexpr bool operator==(const CellVoltages&) const = default;
};

/// Module -> BDU, every 1 s as two frames (types 0x34, 0x35): sensors 4k+1..4k+4 in 0.1 degC.
/// -32768 = not measured.
struct CellTemperatures {
  static constexpr std::uint8_t kDlc = 8;
  static constexpr std::int16_t kNotAvailable = -32768;
  static constexpr MessageType type_of(std::uint8_t index) {
    return static_cast<MessageType>(static_cast<std::uint8_t>(MessageType::CellTemperatures0) +
                                    index);
  }
  static constexpr std::array<std::array<CanSignal, 4>, kCellTemperatureFrames> kSignals{
      {{{{"Sensor1Temperature", 0, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"},
         {"Sensor2Temperature", 16, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"},
         {"Sensor3Temperature", 32, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"},
         {"Sensor4Temperature", 48, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"}}},
       {{{"Sensor5Temperature", 0, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"},
         {"Sensor6Temperature", 16, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"},
         {"Sensor7Temperature", 32, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"},
         {"Sensor8Temperature", 48, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"}}}}};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::uint8_t index = 0;                             // 0..1
  std::array<std::int16_t, kCellsPerFrame> temperature_ddegC{};

  constexpr CanFrame encode() const {
    CanPayload p;
    const std::uint8_t i = index < kCellTemperatureFrames ? index : kCellTemperatureFrames - 1;
    for (std::uint8_t k = 0; k < kCellsPerFrame; ++k) p.put(kSignals[i][k], temperature_ddegC[k]);
    return p.to_frame(message_id(type_of(i), kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (frame.dlc != kDlc || !peek_id(frame, id)) return false;
    const auto raw_type = static_cast<std::uint8_t>(id.type);
    const auto first = static_cast<std::uint8_t>(MessageType::CellTemperatures0);
    if (raw_type < first || raw_type >= first + kCellTemperatureFrames) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    module_address = id.source;
    index = static_cast<std::uint8_t>(raw_type - first);
    for (std::uint8_t k = 0; k < kCellsPerFrame; ++k) {
      temperature_ddegC[k] = static_cast<std::int16_t>(p.get_raw(kSignals[index][k]));
    }
    return true;
  }
  constexpr bool operator==(const CellTemperatures&) const = default;
};

/// Module -> BDU, every 1 s: the temperatures that are not cell temperatures.
struct ModuleTemperatures {
  static constexpr MessageType kType = MessageType::ModuleTemperatures;
  static constexpr std::uint8_t kDlc = 6;
  static constexpr std::int16_t kNotAvailable = -32768;
  static constexpr CanSignal kAmbient{
      "AmbientTemperature", 0, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"};
  static constexpr CanSignal kTerminal{
      "TerminalTemperature", 16, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"};
  static constexpr CanSignal kPcu{
      "PcuTemperature", 32, 16, true, -32768, 32767, 1, 0, 0.1, 0, "degC"};
  static constexpr std::array<CanSignal, 3> kSignals{kAmbient, kTerminal, kPcu};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::int16_t ambient_ddegC = 0;                     // module internal air
  std::int16_t terminal_ddegC = 0;                    // HV power terminal block
  std::int16_t pcu_ddegC = 0;                         // PCU heatsink

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kAmbient, ambient_ddegC);
    p.put(kTerminal, terminal_ddegC);
    p.put(kPcu, pcu_ddegC);
    return p.to_frame(message_id(kType, kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    module_address = id.source;
    ambient_ddegC = static_cast<std::int16_t>(p.get_raw(kAmbient));
    terminal_ddegC = static_cast<std::int16_t>(p.get_raw(kTerminal));
    pcu_ddegC = static_cast<std::int16_t>(p.get_raw(kPcu));
    return true;
  }
  constexpr bool operator==(const ModuleTemperatures&) const = default;
};

/// Module -> BDU, every 1 s: what the module's estimators know of it (docs/firmware.md, "State
/// estimation"): the SOC estimate's uncertainty, its wish for a calibration (full) charge, the
/// learned capacity and resistance against the data sheet, and its equivalent full cycles.
struct ModuleEstimates {
  static constexpr MessageType kType = MessageType::ModuleEstimates;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kSocUncertainty{
      "SocUncertainty", 0, 10, false, 0, 1000, 1, 0, 0.1, 0, "%"};
  static constexpr CanSignal kCalibration{"CalibrationRequest", 10, 1, false, 0, 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kCapacity{"CapacityHealth", 16, 16, false, 0, 2000, 1, 0, 0.1, 0, "%"};
  static constexpr CanSignal kResistance{
      "ResistanceHealth", 32, 16, false, 0, 10000, 1, 0, 0.1, 0, "%"};
  static constexpr CanSignal kCycles{
      "EquivalentFullCycles", 48, 16, false, 0, 65535, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 5> kSignals{kSocUncertainty, kCalibration, kCapacity,
                                                     kResistance, kCycles};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::int32_t soc_uncertainty_permille = 0;          // 1 sigma, 0..1000
  bool calibration_request = false;                   // the module asks for a full charge
  std::int32_t capacity_permille = 1000;              // learned capacity / nominal, 0..2000
  std::int32_t resistance_permille = 1000;            // learned R0 / data sheet, 0..10000
  std::int32_t equivalent_full_cycles = 0;            // 0..65535

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kSocUncertainty, soc_uncertainty_permille);
    p.put(kCalibration, calibration_request);
    p.put(kCapacity, capacity_permille);
    p.put(kResistance, resistance_permille);
    p.put(kCycles, equivalent_full_cycles);
    return p.to_frame(message_id(kType, kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    std::int64_t u = 0, c = 0, r = 0, n = 0;
    if (!p.get(kSocUncertainty, u) || !p.get(kCapacity, c) || !p.get(kResistance, r) ||
        !p.get(kCycles, n)) {
      return false;
    }
    module_address = id.source;
    soc_uncertainty_permille = static_cast<std::int32_t>(u);
    calibration_request = p.get_flag(kCalibration);
    capacity_permille = static_cast<std::int32_t>(c);
    resistance_permille = static_cast<std::int32_t>(r);
    equivalent_full_cycles = static_cast<std::int32_t>(n);
    return true;
  }
  constexpr bool operator==(const ModuleEstimates&) const = default;
};

/// Module -> BDU, every 1 s and within 100 ms of an INFO_REQUEST: identity for F16 checks.
struct ModuleInfo {
  static constexpr MessageType kType = MessageType::ModuleInfo;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kSerial{"SerialNumber", 0, 32, false, 0, 0xFFFFFFFF, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMajor{"FirmwareMajor", 32, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMinor{"FirmwareMinor", 40, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kPatch{"FirmwarePatch", 48, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kHardware{"HardwareVersion", 56, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 5> kSignals{kSerial, kMajor, kMinor, kPatch, kHardware};

  std::uint8_t module_address = kAddressFirstModule;  // source, 1..4
  std::uint32_t serial_number = 0;
  std::uint8_t firmware_major = 0;
  std::uint8_t firmware_minor = 0;
  std::uint8_t firmware_patch = 0;
  std::uint8_t hardware_version = 0;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kSerial, serial_number);
    p.put(kMajor, firmware_major);
    p.put(kMinor, firmware_minor);
    p.put(kPatch, firmware_patch);
    p.put(kHardware, hardware_version);
    return p.to_frame(message_id(kType, kAddressBdu, module_address), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    if (!is_module_address(id.source) || id.destination != kAddressBdu) return false;
    const CanPayload p(frame);
    module_address = id.source;
    serial_number = static_cast<std::uint32_t>(p.get_raw(kSerial));
    firmware_major = static_cast<std::uint8_t>(p.get_raw(kMajor));
    firmware_minor = static_cast<std::uint8_t>(p.get_raw(kMinor));
    firmware_patch = static_cast<std::uint8_t>(p.get_raw(kPatch));
    hardware_version = static_cast<std::uint8_t>(p.get_raw(kHardware));
    return true;
  }
  constexpr bool operator==(const ModuleInfo&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Message table (for tools, the DBC check and logging)

struct MessageSpec {
  std::string_view name;  // the DBC message name
  MessageType type;
  std::uint8_t dlc;
  TimeMs period_ms;         // 0 = on event
  std::string_view sender;  // DBC node: "BDU" or "MODULE"
  std::uint8_t source;      // the addresses the DBC entry is written for (module 1, BDU)
  std::uint8_t destination;
  std::span<const CanSignal> signals;

  constexpr std::uint32_t id() const { return message_id(type, destination, source); }
};

/// Every Link message, in type order (the four cell-voltage and two cell-temperature frames
/// are separate entries).
std::span<const MessageSpec> link_messages();

/// The entry for a type, or nullptr.
const MessageSpec* find_message(MessageType type);

/// "BDU_COMMAND", ..., or "UNKNOWN".
std::string_view message_name(MessageType type);

}  // namespace bts::firmware::link
