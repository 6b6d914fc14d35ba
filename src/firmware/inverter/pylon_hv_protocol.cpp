#include "firmware/inverter/pylon_hv_protocol.hpp"

#include <algorithm>

namespace bts::firmware::pylon_hv {

namespace {

// Reverse tables: which code a received bit stands for.
constexpr std::array<Code, 12> kAlarmBitCodes{Code::A4, Code::A3, Code::A4, Code::A3,
                                              Code::A2, Code::A1, Code::A2, Code::A1,
                                              Code::A5, Code::A5, Code::A4, Code::A3};
constexpr std::array<Code, 12> kProtectionBitCodes{Code::F4, Code::F3, Code::F4, Code::F3,
                                                   Code::F2, Code::F1, Code::F2, Code::F1,
                                                   Code::F5, Code::F5, Code::F4, Code::F3};
constexpr std::array<Code, 8> kErrorBitCodes{
    Code::F10,  // voltage sensor
    Code::F10,  // temperature sensor
    Code::F9,   // internal communication
    Code::F17,  // input over-voltage
    Code::F15,  // input reversal
    Code::F17,  // relay check
    Code::F11,  // battery damage
    Code::F17,  // other
};
// 0x4290 bits 3..7 (0..2 reserved).
constexpr std::array<Code, 5> kFaultExtensionBitCodes{
    Code::F17,  // safety function abnormal
    Code::F12,  // power-on self-test abnormal
    Code::F9,   // internal bus abnormal
    Code::F12,  // BMIC abnormal
    Code::F17,  // shutdown circuit abnormal
};

constexpr std::array<std::uint32_t, kFrameKinds> kBases{
    kTotals,
    kLimits,
    kCellVoltageExtremes,
    kCellTemperatureExtremes,
    kStatus,
    kModuleVoltageExtremes,
    kModuleTemperatureExtremes,
    kForbidden,
    kFaultExtension,
    kEnsembleManufacturer0,
    kEnsembleManufacturer1,
    kVersions,
    kTopology,
    kManufacturer0,
    kManufacturer1,
};

constexpr std::int32_t clamp32(std::int64_t value, std::int64_t low, std::int64_t high) {
  return static_cast<std::int32_t>(std::clamp(value, low, high));
}

/// The byte order of a frame's 16-bit fields under a dialect.
ByteOrder order_of(Frame frame, const PylonDialect& dialect) {
  switch (frame) {
    case Frame::Totals:
    case Frame::Limits:
    case Frame::CellVoltageExtremes:
    case Frame::CellTemperatureExtremes:
    case Frame::Status:
    case Frame::ModuleVoltageExtremes:
    case Frame::ModuleTemperatureExtremes:
      return dialect.byte_order;
    default:
      return ByteOrder::LittleEndian;
  }
}

struct Writer {
  CanFrame& frame;
  ByteOrder order;
  void u16(std::size_t offset, std::int64_t value) const {
    const auto raw = static_cast<std::uint16_t>(value);
    const auto low = static_cast<std::uint8_t>(raw & 0xFFu);
    const auto high = static_cast<std::uint8_t>(raw >> 8);
    frame.data[offset] = order == ByteOrder::LittleEndian ? low : high;
    frame.data[offset + 1] = order == ByteOrder::LittleEndian ? high : low;
  }
  /// Unsigned field, saturated to 0..65535.
  void unsigned16(std::size_t offset, std::int64_t value) const {
    u16(offset, std::clamp<std::int64_t>(value, 0, 0xFFFF));
  }
  /// Signed field, saturated to -32768..32767.
  void signed16(std::size_t offset, std::int64_t value) const {
    u16(offset, std::clamp<std::int64_t>(value, -32768, 32767));
  }
};

struct Reader {
  const CanFrame& frame;
  ByteOrder order;
  std::uint16_t u16(std::size_t offset) const {
    const std::uint8_t first = frame.data[offset];
    const std::uint8_t second = frame.data[offset + 1];
    return order == ByteOrder::LittleEndian ? static_cast<std::uint16_t>(first | (second << 8))
                                            : static_cast<std::uint16_t>(second | (first << 8));
  }
  std::int16_t s16(std::size_t offset) const { return static_cast<std::int16_t>(u16(offset)); }
};

/// A temperature of 0x4210 (always offset) or 0x4240/0x4270 (offset per dialect).
void put_temperature(const Writer& w, std::size_t offset, std::int16_t value, bool with_offset) {
  if (with_offset) {
    w.unsigned16(offset, static_cast<std::int64_t>(value) + kTemperatureOffset);
  } else {
    w.signed16(offset, value);
  }
}
bool get_temperature(const Reader& r, std::size_t offset, bool with_offset, std::int16_t& value) {
  if (!with_offset) {
    value = r.s16(offset);
    return true;
  }
  const std::int32_t v = static_cast<std::int32_t>(r.u16(offset)) - kTemperatureOffset;
  if (v > 32767) return false;  // cannot be a 16-bit ddegC value
  value = static_cast<std::int16_t>(v);
  return true;
}

/// A current (> 0 charging) of 0x4210.
void put_current(const Writer& w, std::size_t offset, std::int32_t current_dA,
                 const PylonDialect& dialect) {
  if (dialect.current_offset) {
    w.unsigned16(offset, static_cast<std::int64_t>(current_dA) + kCurrentOffset);
  } else {
    w.signed16(offset, current_dA);
  }
}
std::int32_t get_current(const Reader& r, std::size_t offset, const PylonDialect& dialect) {
  if (dialect.current_offset) return static_cast<std::int32_t>(r.u16(offset)) - kCurrentOffset;
  return r.s16(offset);
}

/// A current limit (magnitude >= 0); `negative` when it is sent as a discharge (negative) current.
void put_limit(const Writer& w, std::size_t offset, std::int32_t limit_dA, bool negative,
               const PylonDialect& dialect) {
  const std::int64_t base = dialect.current_offset ? kCurrentOffset : 0;
  const std::int64_t high = dialect.current_offset ? (negative ? kCurrentOffset : 0xFFFF - base)
                                                   : (negative ? 32768 : 32767);
  const std::int64_t magnitude = std::clamp<std::int64_t>(limit_dA, 0, high);
  const std::int64_t raw = negative ? base - magnitude : base + magnitude;
  w.u16(offset, raw);
}
bool get_limit(const Reader& r, std::size_t offset, bool negative, const PylonDialect& dialect,
               std::int32_t& limit_dA) {
  const std::int32_t raw = dialect.current_offset
                               ? static_cast<std::int32_t>(r.u16(offset)) - kCurrentOffset
                               : static_cast<std::int32_t>(r.s16(offset));
  const std::int32_t magnitude = negative ? -raw : raw;
  if (magnitude < 0) return false;
  limit_dA = magnitude;
  return true;
}

std::uint8_t percent_of(std::int32_t permille) {
  return static_cast<std::uint8_t>((clamp32(permille, 0, 1000) + 5) / 10);
}

bool negative_discharge(const PylonDialect& dialect) {
  return dialect.discharge_limit_sign == DischargeLimitSign::Negative;
}

void put_text(CanFrame& frame, std::string_view text, std::size_t first) {
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t at = first + i;
    frame.data[i] = at < text.size() && at < 16 ? static_cast<std::uint8_t>(text[at]) : 0;
  }
}

std::optional<Frame> frame_of(std::uint32_t base) {
  for (std::size_t i = 0; i < kFrameKinds; ++i) {
    if (kBases[i] == base) return static_cast<Frame>(i);
  }
  return std::nullopt;
}

bool is_pylon_frame(const CanFrame& frame) {
  return frame.extended && frame.dlc == kDlc && frame.id <= 0x1FFFFFFFu;
}

}  // namespace

std::optional<std::pair<std::uint32_t, std::uint8_t>> split_id(std::uint32_t id) {
  if (id == kPoll) return std::pair{kPoll, std::uint8_t{0}};
  const std::uint32_t base = id & ~std::uint32_t{kMaxAddress};
  const auto address = static_cast<std::uint8_t>(id & kMaxAddress);
  if (frame_of(base) || base == kSleepCommand || base == kRelayCommand ||
      base == kKeepRelayRequest || base == kKeepRelayReply) {
    return std::pair{base, address};
  }
  return std::nullopt;
}

StatusBits status_bits_for(CodeSet codes) {
  StatusBits bits;
  for (const CodeBits& row : kCodeBitsTable) {
    if (!codes.has(row.code)) continue;
    bits.alarms = static_cast<std::uint16_t>(bits.alarms | row.alarms);
    bits.protections = static_cast<std::uint16_t>(bits.protections | row.protections);
    bits.errors = static_cast<std::uint8_t>(bits.errors | row.errors);
    bits.fault_extension = static_cast<std::uint8_t>(bits.fault_extension | row.fault_extension);
  }
  return bits;
}

CodeSet codes_for(const StatusBits& bits) {
  CodeSet codes;
  for (unsigned b = 0; b < kAlarmBitCodes.size(); ++b) {
    if ((bits.alarms >> b) & 1u) codes.set(kAlarmBitCodes[b]);
    if ((bits.protections >> b) & 1u) codes.set(kProtectionBitCodes[b]);
  }
  for (unsigned b = 0; b < kErrorBitCodes.size(); ++b) {
    if ((bits.errors >> b) & 1u) codes.set(kErrorBitCodes[b]);
  }
  for (unsigned b = 0; b < kFaultExtensionBitCodes.size(); ++b) {
    if ((bits.fault_extension >> (b + 3)) & 1u) codes.set(kFaultExtensionBitCodes[b]);
  }
  return codes;
}

std::uint32_t base_of(Frame frame) { return kBases[static_cast<std::size_t>(frame)]; }

CanFrame encode_frame(Frame kind, const BatteryValues& v, std::uint8_t address,
                      const PylonDialect& dialect) {
  CanFrame frame;
  frame.id = base_of(kind) + (address & kMaxAddress);
  frame.extended = true;
  frame.dlc = kDlc;
  const Writer w{frame, order_of(kind, dialect)};
  switch (kind) {
    case Frame::Totals:
      w.unsigned16(0, v.voltage_dV);
      put_current(w, 2, v.current_dA, dialect);
      put_temperature(w, 4, v.bms_temperature_ddegC, true);
      frame.data[6] = percent_of(v.soc_permille);
      frame.data[7] = percent_of(v.soh_permille);
      break;
    case Frame::Limits:
      w.unsigned16(0, v.charge_voltage_limit_dV);
      w.unsigned16(2, v.discharge_voltage_limit_dV);
      put_limit(w, 4, v.charge_current_limit_dA, false, dialect);
      put_limit(w, 6, v.discharge_current_limit_dA, negative_discharge(dialect), dialect);
      break;
    case Frame::CellVoltageExtremes:
      w.unsigned16(0, v.max_cell_mV);
      w.unsigned16(2, v.min_cell_mV);
      w.u16(4, v.max_cell_number);
      w.u16(6, v.min_cell_number);
      break;
    case Frame::CellTemperatureExtremes:
      put_temperature(w, 0, v.max_cell_temperature_ddegC, dialect.extremes_temperature_offset);
      put_temperature(w, 2, v.min_cell_temperature_ddegC, dialect.extremes_temperature_offset);
      w.u16(4, v.max_cell_temperature_number);
      w.u16(6, v.min_cell_temperature_number);
      break;
    case Frame::Status: {
      const StatusBits bits = status_bits_for(v.codes);
      frame.data[0] = static_cast<std::uint8_t>((static_cast<unsigned>(v.status) & 0x07u) |
                                                (v.forced_charge_request ? 0x08u : 0u) |
                                                (v.balance_charge_request ? 0x10u : 0u));
      w.u16(1, v.cycle_period);
      frame.data[3] = bits.errors;
      w.u16(4, bits.alarms);
      w.u16(6, bits.protections);
      break;
    }
    case Frame::ModuleVoltageExtremes:
      w.unsigned16(0, v.max_module_mV);
      w.unsigned16(2, v.min_module_mV);
      w.u16(4, v.max_module_number);
      w.u16(6, v.min_module_number);
      break;
    case Frame::ModuleTemperatureExtremes:
      put_temperature(w, 0, v.max_module_temperature_ddegC, dialect.extremes_temperature_offset);
      put_temperature(w, 2, v.min_module_temperature_ddegC, dialect.extremes_temperature_offset);
      w.u16(4, v.max_module_temperature_number);
      w.u16(6, v.min_module_temperature_number);
      break;
    case Frame::Forbidden:
      frame.data[0] = v.charge_forbidden ? kMark : 0x00;
      frame.data[1] = v.discharge_forbidden ? kMark : 0x00;
      break;
    case Frame::FaultExtension:
      frame.data[0] = dialect.fault_extension ? status_bits_for(v.codes).fault_extension : 0;
      break;
    case Frame::EnsembleManufacturer0:
    case Frame::Manufacturer0:
      put_text(frame, dialect.manufacturer, 0);
      break;
    case Frame::EnsembleManufacturer1:
    case Frame::Manufacturer1:
      put_text(frame, dialect.manufacturer, 8);
      break;
    case Frame::Versions:
      frame.data[0] = v.versions.hardware_type;
      frame.data[1] = 0;
      frame.data[2] = v.versions.hardware_major;
      frame.data[3] = v.versions.hardware_minor;
      frame.data[4] = v.versions.software_major;
      frame.data[5] = v.versions.software_minor;
      frame.data[6] = v.versions.software_dev_major;
      frame.data[7] = v.versions.software_dev_minor;
      break;
    case Frame::Topology: {
      const Topology& t = dialect.reported_topology ? *dialect.reported_topology : v.topology;
      w.u16(0, t.cells_in_series);
      frame.data[2] = t.modules_in_series;
      frame.data[3] = t.cells_per_module;
      w.u16(4, t.voltage_level_V);
      w.u16(6, t.capacity_Ah);
      break;
    }
  }
  return frame;
}

std::size_t encode_ensemble(const BatteryValues& values, std::uint8_t address,
                            const PylonDialect& dialect, std::span<CanFrame> out) {
  const std::size_t count = ensemble_frame_count(dialect);
  if (out.size() < count) return 0;
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = encode_frame(static_cast<Frame>(i), values, address, dialect);
  }
  return count;
}

std::size_t encode_equipment(const BatteryValues& values, std::uint8_t address,
                             const PylonDialect& dialect, std::span<CanFrame> out) {
  if (out.size() < kEquipmentFrames) return 0;
  constexpr std::array<Frame, kEquipmentFrames> kFrames{Frame::Versions, Frame::Topology,
                                                        Frame::Manufacturer0, Frame::Manufacturer1};
  for (std::size_t i = 0; i < kEquipmentFrames; ++i) {
    out[i] = encode_frame(kFrames[i], values, address, dialect);
  }
  return kEquipmentFrames;
}

bool decode_frame(const CanFrame& frame, const PylonDialect& dialect, BatteryReport& report) {
  if (!is_pylon_frame(frame)) return false;
  const auto parts = split_id(frame.id);
  if (!parts) return false;
  const auto kind = frame_of(parts->first);
  if (!kind) return false;
  const Reader r{frame, order_of(*kind, dialect)};
  BatteryValues v = report.values;
  StatusBits bits = report.bits;
  std::array<char, 16> name = report.manufacturer;
  switch (*kind) {
    case Frame::Totals: {
      if (frame.data[6] > 100 || frame.data[7] > 100) return false;
      if (!get_temperature(r, 4, true, v.bms_temperature_ddegC)) return false;
      v.voltage_dV = r.u16(0);
      v.current_dA = get_current(r, 2, dialect);
      v.soc_permille = frame.data[6] * 10;
      v.soh_permille = frame.data[7] * 10;
      break;
    }
    case Frame::Limits:
      if (!get_limit(r, 4, false, dialect, v.charge_current_limit_dA) ||
          !get_limit(r, 6, negative_discharge(dialect), dialect, v.discharge_current_limit_dA)) {
        return false;
      }
      v.charge_voltage_limit_dV = r.u16(0);
      v.discharge_voltage_limit_dV = r.u16(2);
      break;
    case Frame::CellVoltageExtremes:
      v.max_cell_mV = r.u16(0);
      v.min_cell_mV = r.u16(2);
      v.max_cell_number = r.u16(4);
      v.min_cell_number = r.u16(6);
      break;
    case Frame::CellTemperatureExtremes:
      if (!get_temperature(r, 0, dialect.extremes_temperature_offset,
                           v.max_cell_temperature_ddegC) ||
          !get_temperature(r, 2, dialect.extremes_temperature_offset,
                           v.min_cell_temperature_ddegC)) {
        return false;
      }
      v.max_cell_temperature_number = r.u16(4);
      v.min_cell_temperature_number = r.u16(6);
      break;
    case Frame::Status: {
      const unsigned status = frame.data[0] & 0x07u;
      if (status > static_cast<unsigned>(BasicStatus::Idle)) return false;
      v.status = static_cast<BasicStatus>(status);
      v.forced_charge_request = (frame.data[0] & 0x08u) != 0;
      v.balance_charge_request = (frame.data[0] & 0x10u) != 0;
      v.cycle_period = r.u16(1);
      bits.errors = frame.data[3];
      bits.alarms = static_cast<std::uint16_t>(r.u16(4) & bit::kAlarmMask);
      bits.protections = static_cast<std::uint16_t>(r.u16(6) & bit::kAlarmMask);
      break;
    }
    case Frame::ModuleVoltageExtremes:
      v.max_module_mV = r.u16(0);
      v.min_module_mV = r.u16(2);
      v.max_module_number = r.u16(4);
      v.min_module_number = r.u16(6);
      break;
    case Frame::ModuleTemperatureExtremes:
      if (!get_temperature(r, 0, dialect.extremes_temperature_offset,
                           v.max_module_temperature_ddegC) ||
          !get_temperature(r, 2, dialect.extremes_temperature_offset,
                           v.min_module_temperature_ddegC)) {
        return false;
      }
      v.max_module_temperature_number = r.u16(4);
      v.min_module_temperature_number = r.u16(6);
      break;
    case Frame::Forbidden:
      v.charge_forbidden = frame.data[0] == kMark;
      v.discharge_forbidden = frame.data[1] == kMark;
      break;
    case Frame::FaultExtension:
      bits.fault_extension = static_cast<std::uint8_t>(frame.data[0] & bit::kFaultExtensionMask);
      break;
    case Frame::EnsembleManufacturer0:
    case Frame::Manufacturer0:
      for (std::size_t i = 0; i < 8; ++i) name[i] = static_cast<char>(frame.data[i]);
      break;
    case Frame::EnsembleManufacturer1:
    case Frame::Manufacturer1:
      for (std::size_t i = 0; i < 8; ++i) name[8 + i] = static_cast<char>(frame.data[i]);
      break;
    case Frame::Versions:
      v.versions.hardware_type = frame.data[0];
      v.versions.hardware_major = frame.data[2];
      v.versions.hardware_minor = frame.data[3];
      v.versions.software_major = frame.data[4];
      v.versions.software_minor = frame.data[5];
      v.versions.software_dev_major = frame.data[6];
      v.versions.software_dev_minor = frame.data[7];
      break;
    case Frame::Topology:
      v.topology.cells_in_series = r.u16(0);
      v.topology.modules_in_series = frame.data[2];
      v.topology.cells_per_module = frame.data[3];
      v.topology.voltage_level_V = r.u16(4);
      v.topology.capacity_Ah = r.u16(6);
      break;
  }
  v.codes = codes_for(bits);
  report.values = v;
  report.bits = bits;
  report.manufacturer = name;
  report.frames_seen |= 1u << static_cast<unsigned>(*kind);
  report.address = parts->second;
  return true;
}

bool decode_command(const CanFrame& frame, InverterCommand& command) {
  if (!is_pylon_frame(frame)) return false;
  const auto parts = split_id(frame.id);
  if (!parts) return false;
  InverterCommand c;
  c.address = parts->second;
  switch (parts->first) {
    case kPoll:
      if (frame.data[0] > static_cast<std::uint8_t>(PollRequest::Equipment)) return false;
      c.kind = InverterCommand::Kind::Poll;
      c.poll = static_cast<PollRequest>(frame.data[0]);
      break;
    case kSleepCommand:
      c.kind = InverterCommand::Kind::Sleep;
      c.sleep = frame.data[0] == kSleepByte  ? SleepCommand::Sleep
                : frame.data[0] == kWakeByte ? SleepCommand::Wake
                                             : SleepCommand::None;
      break;
    case kRelayCommand:
      c.kind = InverterCommand::Kind::Relay;
      c.charge_command = frame.data[0] == kMark;
      c.discharge_command = frame.data[1] == kMark;
      break;
    case kKeepRelayRequest:
      c.kind = InverterCommand::Kind::KeepRelay;
      break;
    default:
      return false;
  }
  command = c;
  return true;
}

CanFrame encode_command(const InverterCommand& command) {
  CanFrame frame;
  frame.extended = true;
  frame.dlc = kDlc;
  const auto address = static_cast<std::uint8_t>(command.address & kMaxAddress);
  switch (command.kind) {
    case InverterCommand::Kind::Poll:
      frame.id = kPoll;
      frame.data[0] = static_cast<std::uint8_t>(command.poll);
      break;
    case InverterCommand::Kind::Sleep:
      frame.id = kSleepCommand + address;
      frame.data[0] = static_cast<std::uint8_t>(command.sleep);
      break;
    case InverterCommand::Kind::Relay:
      frame.id = kRelayCommand + address;
      frame.data[0] = command.charge_command ? kMark : 0x00;
      frame.data[1] = command.discharge_command ? kMark : 0x00;
      break;
    case InverterCommand::Kind::KeepRelay:
      frame.id = kKeepRelayRequest + address;
      break;
  }
  return frame;
}

CanFrame encode_keep_relay_reply(std::uint8_t address, bool accepted) {
  CanFrame frame;
  frame.id = kKeepRelayReply + (address & kMaxAddress);
  frame.extended = true;
  frame.dlc = kDlc;
  frame.data[0] = accepted ? kMark : 0x00;
  return frame;
}

bool decode_keep_relay_reply(const CanFrame& frame, std::uint8_t& address, bool& accepted) {
  if (!is_pylon_frame(frame)) return false;
  const auto parts = split_id(frame.id);
  if (!parts || parts->first != kKeepRelayReply) return false;
  if (frame.data[0] != kMark && frame.data[0] != 0x00) return false;
  address = parts->second;
  accepted = frame.data[0] == kMark;
  return true;
}

std::size_t encode_response(const InverterCommand& command, const BatteryValues& values,
                            std::uint8_t address, const PylonDialect& dialect,
                            bool keep_relay_accepted, std::span<CanFrame> out) {
  switch (command.kind) {
    case InverterCommand::Kind::Poll:
      if (command.poll == PollRequest::Ensemble) {
        return encode_ensemble(values, address, dialect, out);
      }
      if (command.poll == PollRequest::Equipment) {
        return encode_equipment(values, address, dialect, out);
      }
      return 0;
    case InverterCommand::Kind::KeepRelay:
      if (command.address != (address & kMaxAddress) || out.empty()) return 0;
      out[0] = encode_keep_relay_reply(address, keep_relay_accepted);
      return 1;
    default:
      return 0;
  }
}

}  // namespace bts::firmware::pylon_hv
