#pragma once
// The BDU network: up to two BDUs joined by COM-IN/COM-OUT, on the same CAN bus as the inverter
// link (500 kbit/s). Same 29-bit identifier layout as the Link bus (link_protocol.hpp) with
// priority class 0x1C and types 0xC0..0xCF: every identifier is at least 0x1CC00000, so it can
// neither equal an inverter-protocol identifier (Pylon HV and Sofar use extended identifiers
// below 0x10000 and standard identifiers) nor win arbitration against one (its 11-bit base
// 0x730.. is above every standard identifier those protocols use).
// Addresses: BDU 1 = 0x80, BDU 2 = 0x81 (set by configuration), destination broadcast 0xFF.
// docs/protocols/link.md ("BDU network") describes the messages; data/dbc/bdu_network.dbc
// repeats them.
#include <array>
#include <cstdint>
#include <span>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"
#include "firmware/link/can_signal.hpp"
#include "firmware/link/link_protocol.hpp"

namespace bts::firmware::bdu_network {

using link::LinkId;
using link::MessageSpec;
using link::MessageType;

inline constexpr std::uint8_t kAddressBdu1 = 0x80;
inline constexpr std::uint8_t kAddressBdu2 = 0x81;
inline constexpr std::uint8_t kAddressBroadcast = link::kAddressBroadcast;
inline constexpr std::uint8_t kPriority = 0x1C;

inline constexpr TimeMs kFastPeriod_ms = 100;        // status, limits, measurements
inline constexpr TimeMs kSlowPeriod_ms = 1000;       // info
inline constexpr TimeMs kPeerLostTimeout_ms = 1000;  // no BDU_PEER_STATUS -> F9

constexpr bool is_bdu_address(std::uint8_t address) {
  return address == kAddressBdu1 || address == kAddressBdu2;
}

/// A frame of the BDU network (as opposed to an inverter-protocol frame on the same bus).
constexpr bool is_bdu_network_frame(const CanFrame& frame) {
  if (!frame.extended || frame.id > 0x1FFFFFFFu) return false;
  const LinkId id = link::decode_id(frame.id);
  const auto type = static_cast<std::uint8_t>(id.type);
  return id.priority == kPriority && type >= 0xC0 && type <= 0xCF;
}

enum class BduState : std::uint8_t {
  Init = 0,
  Standby = 1,    // output relays open
  Precharge = 2,  // precharging the DC link
  Idle = 3,       // output on, no current
  Charge = 4,
  Discharge = 5,
  Fault = 6,  // output off because of an active fault
  Updating = 7,
  ShuttingDown = 8,
};

namespace detail {
constexpr bool match(const CanFrame& frame, MessageType type, std::uint8_t dlc, LinkId& id) {
  if (frame.dlc != dlc || !link::peek_id(frame, id)) return false;
  return id.type == type && is_bdu_address(id.source) && id.destination == kAddressBroadcast;
}
constexpr std::uint32_t id_of(MessageType type, std::uint8_t source) {
  return link::message_id(type, kAddressBroadcast, source);
}
}  // namespace detail

/// Every 100 ms, broadcast: state, every active code, SOC, a rolling counter.
struct PeerStatus {
  static constexpr MessageType kType = MessageType::BduPeerStatus;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kState{"State", 0, 8, false, 0, 8, 1, 0, 1, 0, ""};
  static constexpr CanSignal kCounter{"Counter", 8, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kCodes{
      "ActiveCodes", 16, 26, false, 0, (1 << kCodeCount) - 1, 1, 0, 1, 0, ""};
  static constexpr CanSignal kSoc{"Soc", 48, 16, false, 0, 1000, 1, 0, 0.1, 0, "%"};
  static constexpr std::array<CanSignal, 4> kSignals{kState, kCounter, kCodes, kSoc};

  std::uint8_t source = kAddressBdu1;
  BduState state = BduState::Init;
  std::uint8_t counter = 0;
  CodeSet codes;
  std::int32_t soc_permille = 0;  // 0..1000

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kState, static_cast<std::int64_t>(state));
    p.put(kCounter, counter);
    p.put(kCodes, codes.bits());
    p.put(kSoc, soc_permille);
    return p.to_frame(detail::id_of(kType, source), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    const CanPayload p(frame);
    std::int64_t s = 0, n = 0, c = 0, soc = 0;
    if (!p.get(kState, s) || !p.get(kCounter, n) || !p.get(kCodes, c) || !p.get(kSoc, soc)) {
      return false;
    }
    source = id.source;
    state = static_cast<BduState>(s);
    counter = static_cast<std::uint8_t>(n);
    codes = CodeSet::from_bits(static_cast<std::uint32_t>(c));
    soc_permille = static_cast<std::int32_t>(soc);
    return true;
  }
  constexpr bool operator==(const PeerStatus&) const = default;
};

/// Every 100 ms, broadcast: the limits this BDU can honour at its output now.
struct PeerLimits {
  static constexpr MessageType kType = MessageType::BduPeerLimits;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kChargeCurrent{
      "ChargeCurrentLimit", 0, 16, false, 0, 1000, 1, 0, 0.1, 0, "A"};
  static constexpr CanSignal kDischargeCurrent{
      "DischargeCurrentLimit", 16, 16, false, 0, 1000, 1, 0, 0.1, 0, "A"};
  static constexpr CanSignal kChargeVoltage{
      "ChargeVoltageLimit", 32, 16, false, 0, 6000, 1, 0, 0.1, 0, "V"};
  static constexpr CanSignal kDischargeVoltage{
      "DischargeVoltageLimit", 48, 16, false, 0, 6000, 1, 0, 0.1, 0, "V"};
  static constexpr std::array<CanSignal, 4> kSignals{kChargeCurrent, kDischargeCurrent,
                                                     kChargeVoltage, kDischargeVoltage};

  std::uint8_t source = kAddressBdu1;
  std::int32_t charge_current_limit_dA = 0;     // 0..1000
  std::int32_t discharge_current_limit_dA = 0;  // 0..1000
  std::int32_t charge_voltage_limit_dV = 0;     // 0..6000
  std::int32_t discharge_voltage_limit_dV = 0;  // 0..6000

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kChargeCurrent, charge_current_limit_dA);
    p.put(kDischargeCurrent, discharge_current_limit_dA);
    p.put(kChargeVoltage, charge_voltage_limit_dV);
    p.put(kDischargeVoltage, discharge_voltage_limit_dV);
    return p.to_frame(detail::id_of(kType, source), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    const CanPayload p(frame);
    std::int64_t a = 0, b = 0, c = 0, d = 0;
    if (!p.get(kChargeCurrent, a) || !p.get(kDischargeCurrent, b) || !p.get(kChargeVoltage, c) ||
        !p.get(kDischargeVoltage, d)) {
      return false;
    }
    source = id.source;
    charge_current_limit_dA = static_cast<std::int32_t>(a);
    discharge_current_limit_dA = static_cast<std::int32_t>(b);
    charge_voltage_limit_dV = static_cast<std::int32_t>(c);
    discharge_voltage_limit_dV = static_cast<std::int32_t>(d);
    return true;
  }
  constexpr bool operator==(const PeerLimits&) const = default;
};

/// Every 100 ms, broadcast: output voltage and current, lowest and highest cell of the BDU.
/// Current positive = discharging (to the inverter).
struct PeerMeasurements {
  static constexpr MessageType kType = MessageType::BduPeerMeasurements;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kVoltage{"OutputVoltage", 0, 16, false, 0, 6000, 1, 0, 0.1, 0, "V"};
  static constexpr CanSignal kCurrent{
      "OutputCurrent", 16, 16, true, -1000, 1000, 1, 0, 0.1, 0, "A"};
  static constexpr CanSignal kMinCell{
      "MinCellVoltage", 32, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"};
  static constexpr CanSignal kMaxCell{
      "MaxCellVoltage", 48, 16, false, 0, 65535, 1, 0, 0.001, 0, "V"};
  static constexpr std::array<CanSignal, 4> kSignals{kVoltage, kCurrent, kMinCell, kMaxCell};

  std::uint8_t source = kAddressBdu1;
  std::int32_t output_voltage_dV = 0;  // 0..6000
  std::int32_t output_current_dA = 0;  // -1000..1000
  std::int32_t min_cell_mV = 0;
  std::int32_t max_cell_mV = 0;

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kVoltage, output_voltage_dV);
    p.put(kCurrent, output_current_dA);
    p.put(kMinCell, min_cell_mV);
    p.put(kMaxCell, max_cell_mV);
    return p.to_frame(detail::id_of(kType, source), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    const CanPayload p(frame);
    std::int64_t v = 0, i = 0, lo = 0, hi = 0;
    if (!p.get(kVoltage, v) || !p.get(kCurrent, i) || !p.get(kMinCell, lo) ||
        !p.get(kMaxCell, hi)) {
      return false;
    }
    source = id.source;
    output_voltage_dV = static_cast<std::int32_t>(v);
    output_current_dA = static_cast<std::int32_t>(i);
    min_cell_mV = static_cast<std::int32_t>(lo);
    max_cell_mV = static_cast<std::int32_t>(hi);
    return true;
  }
  constexpr bool operator==(const PeerMeasurements&) const = default;
};

/// Every 1 s, broadcast: identity and size, for the version check (F16) and the topology.
struct PeerInfo {
  static constexpr MessageType kType = MessageType::BduPeerInfo;
  static constexpr std::uint8_t kDlc = 8;
  static constexpr CanSignal kSerial{"SerialNumber", 0, 32, false, 0, 0xFFFFFFFF, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMajor{"FirmwareMajor", 32, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kMinor{"FirmwareMinor", 40, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kPatch{"FirmwarePatch", 48, 8, false, 0, 255, 1, 0, 1, 0, ""};
  static constexpr CanSignal kModules{"ModuleCount", 56, 8, false, 0, 4, 1, 0, 1, 0, ""};
  static constexpr std::array<CanSignal, 5> kSignals{kSerial, kMajor, kMinor, kPatch, kModules};

  std::uint8_t source = kAddressBdu1;
  std::uint32_t serial_number = 0;
  std::uint8_t firmware_major = 0;
  std::uint8_t firmware_minor = 0;
  std::uint8_t firmware_patch = 0;
  std::uint8_t module_count = 0;  // modules addressed on this BDU's Link bus, 0..4

  constexpr CanFrame encode() const {
    CanPayload p;
    p.put(kSerial, serial_number);
    p.put(kMajor, firmware_major);
    p.put(kMinor, firmware_minor);
    p.put(kPatch, firmware_patch);
    p.put(kModules, module_count);
    return p.to_frame(detail::id_of(kType, source), true, kDlc);
  }

  constexpr bool decode(const CanFrame& frame) {
    LinkId id;
    if (!detail::match(frame, kType, kDlc, id)) return false;
    const CanPayload p(frame);
    std::int64_t m = 0;
    if (!p.get(kModules, m)) return false;
    source = id.source;
    serial_number = static_cast<std::uint32_t>(p.get_raw(kSerial));
    firmware_major = static_cast<std::uint8_t>(p.get_raw(kMajor));
    firmware_minor = static_cast<std::uint8_t>(p.get_raw(kMinor));
    firmware_patch = static_cast<std::uint8_t>(p.get_raw(kPatch));
    module_count = static_cast<std::uint8_t>(m);
    return true;
  }
  constexpr bool operator==(const PeerInfo&) const = default;
};

/// Every BDU network message; the DBC entries are written for BDU 1 (source 0x80).
std::span<const MessageSpec> bdu_network_messages();

/// "BDU_PEER_STATUS", ..., or "UNKNOWN".
std::string_view message_name(MessageType type);

}  // namespace bts::firmware::bdu_network
