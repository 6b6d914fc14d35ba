#include "firmware/inverter/sofar_protocol.hpp"

#include <algorithm>

namespace bts::firmware::sofar {

namespace {

void put_u16(CanFrame& frame, int offset, std::int32_t value) {
  const auto raw = static_cast<std::uint16_t>(value);
  frame.data[static_cast<std::size_t>(offset)] = static_cast<std::uint8_t>(raw & 0xFF);
  frame.data[static_cast<std::size_t>(offset + 1)] = static_cast<std::uint8_t>(raw >> 8);
}
std::uint16_t get_u16(const CanFrame& frame, int offset) {
  return static_cast<std::uint16_t>(frame.data[static_cast<std::size_t>(offset)] |
                                    (frame.data[static_cast<std::size_t>(offset + 1)] << 8));
}
std::int16_t get_s16(const CanFrame& frame, int offset) {
  return static_cast<std::int16_t>(get_u16(frame, offset));
}
CanFrame frame_for(std::uint32_t base, std::uint8_t battery_id) {
  CanFrame frame;
  frame.id = id_for(base, battery_id);
  frame.extended = true;
  frame.dlc = 8;
  return frame;
}
/// split_id(frame.id) gives (base, a battery id) for an 8-byte extended frame: for the cyclic
/// bases below, which split_id accepts, that is the base bits equal and a battery id up to 15
/// (checked directly: every frame the inverter model reads is tried against several of them).
bool matches(const CanFrame& frame, std::uint32_t base) {
  return frame.extended && frame.dlc == 8 && (frame.id & 0xFFFu) == base &&
         (frame.id >> kBatteryIdShift) <= kMaxBatteryId;
}
std::uint16_t clamp_u16(std::int32_t value) {
  return static_cast<std::uint16_t>(value < 0 ? 0 : (value > 0xFFFF ? 0xFFFF : value));
}

constexpr std::uint32_t kCodeMask = (1u << kCodeCount) - 1u;

bool is_reply_base(std::uint32_t base) {
  return base == kReplySummary || (base >= kReplySerial && base < kReplySerial + kSerialFrames) ||
         (base >= kReplyCellVoltages && base < kReplyCellVoltages + kMaxReplyFrames) ||
         (base >= kReplyTemperatures && base < kReplyTemperatures + kMaxReplyFrames) ||
         base == kReplyVersions || base == kReplyCellExtremes ||
         base == kReplyTemperatureExtremes || (base >= kReplyHistory && base < kReplyHistory + 4) ||
         (base >= kReplyHistoryFaults && base < kReplyHistoryFaults + 5);
}

/// The reply kind and first id for an inquiry; nothing when it gets no reply.
std::optional<std::pair<ReplyKind, std::uint32_t>> reply_for(const Inquiry& inquiry) {
  if (inquiry.history) {
    if (inquiry.what <= 0x03) return std::pair{ReplyKind::History, kReplyHistory + inquiry.what};
    if (inquiry.what <= 0x08) {
      return std::pair{ReplyKind::History, kReplyHistoryFaults + (inquiry.what - 0x04u)};
    }
    return std::nullopt;
  }
  switch (inquiry.what) {
    case 0x00:
      return std::pair{ReplyKind::Summary, kReplySummary};
    case 0x01:
      return std::pair{ReplyKind::Serial, kReplySerial};
    case 0x02:
    case 0x03:
      return std::pair{ReplyKind::CellVoltages, kReplyCellVoltages};
    case 0x0A:
    case 0x0B:
      return std::pair{ReplyKind::Temperatures, kReplyTemperatures};
    case 0x0C:
      return std::pair{ReplyKind::Versions, kReplyVersions};
    case 0x0D:
      return std::pair{ReplyKind::CellExtremes, kReplyCellExtremes};
    case 0x0E:
      return std::pair{ReplyKind::TemperatureExtremes, kReplyTemperatureExtremes};
    default:
      return std::nullopt;
  }
}

std::size_t frames_for(std::size_t items, std::size_t per_frame) {
  return std::min((items + per_frame - 1) / per_frame, kMaxReplyFrames);
}

}  // namespace

std::optional<std::pair<std::uint32_t, std::uint8_t>> split_id(std::uint32_t id) {
  const std::uint32_t base = id & 0xFFF;
  const std::uint32_t battery = id >> kBatteryIdShift;
  if (battery > 15) return std::nullopt;
  switch (base) {
    case kLimits:
    case kSocSoh:
    case kMeasurements:
    case kConfiguration:
    case kAlarms:
    case kManufacturer:
    case kIdentity:
    case kEnable:
    case kRequestFlags:
    case kInquiry:
    case kHistoryInquiry:
      return std::pair{base, static_cast<std::uint8_t>(battery)};
    default:
      if (is_reply_base(base)) return std::pair{base, static_cast<std::uint8_t>(battery)};
      return std::nullopt;
  }
}

CanFrame encode_limits(std::uint8_t battery_id, const Limits& limits) {
  CanFrame frame = frame_for(kLimits, battery_id);
  put_u16(frame, 0, clamp_u16(limits.charge_voltage_limit_dV));
  put_u16(frame, 2, clamp_u16(limits.charge_current_limit_dA));
  put_u16(frame, 4, clamp_u16(limits.discharge_current_limit_dA));
  put_u16(frame, 6, clamp_u16(limits.discharge_voltage_limit_dV));
  return frame;
}

bool decode_limits(const CanFrame& frame, Limits& limits) {
  if (!matches(frame, kLimits)) return false;
  limits = {get_u16(frame, 0), get_u16(frame, 2), get_u16(frame, 4), get_u16(frame, 6)};
  return true;
}

CanFrame encode_soc_soh(std::uint8_t battery_id, const SocSoh& value) {
  CanFrame frame = frame_for(kSocSoh, battery_id);
  put_u16(frame, 0, clamp_u16(value.soc_percent));
  put_u16(frame, 2, clamp_u16(value.soh_percent));
  return frame;
}

bool decode_soc_soh(const CanFrame& frame, SocSoh& value) {
  if (!matches(frame, kSocSoh)) return false;
  value = {get_u16(frame, 0), get_u16(frame, 2)};
  return true;
}

CanFrame encode_measurements(std::uint8_t battery_id, const Measurements& value) {
  CanFrame frame = frame_for(kMeasurements, battery_id);
  put_u16(frame, 0, clamp_u16(value.voltage_dV));
  put_u16(frame, 2, static_cast<std::int16_t>(value.current_dA));
  put_u16(frame, 4, value.temperature_ddegC);
  return frame;
}

bool decode_measurements(const CanFrame& frame, Measurements& value) {
  if (!matches(frame, kMeasurements)) return false;
  value = {get_u16(frame, 0), get_s16(frame, 2), get_s16(frame, 4)};
  return true;
}

CanFrame encode_configuration(std::uint8_t battery_id, const Configuration& value) {
  CanFrame frame = frame_for(kConfiguration, battery_id);
  frame.data[0] = value.parallel_packs;
  frame.data[1] = value.modules_in_series;
  frame.data[2] = value.protocol_version;
  frame.data[3] = value.cells_in_series;
  return frame;
}

CanFrame encode_alarms(std::uint8_t battery_id, std::uint32_t code_bits) {
  return encode_alarms(battery_id, code_bits, SofarDialect{});
}

CanFrame encode_alarms(std::uint8_t battery_id, std::uint32_t code_bits,
                       const SofarDialect& dialect) {
  CanFrame frame = frame_for(kAlarms, battery_id);
  if (dialect.alarm_layout == AlarmLayout::Zero) return frame;
  const std::uint32_t bits = code_bits & kCodeMask;
  for (int byte = 0; byte < 4; ++byte)
    frame.data[static_cast<std::size_t>(byte)] = static_cast<std::uint8_t>(bits >> (8 * byte));
  return frame;
}

bool decode_alarms(const CanFrame& frame, std::uint32_t& code_bits) {
  if (!matches(frame, kAlarms)) return false;
  std::uint32_t bits = 0;
  for (int byte = 0; byte < 4; ++byte)
    bits |= static_cast<std::uint32_t>(frame.data[static_cast<std::size_t>(byte)]) << (8 * byte);
  if ((bits & ~kCodeMask) != 0) return false;
  code_bits = bits;
  return true;
}

CanFrame encode_enable(std::uint8_t battery_id, const Enable& value) {
  CanFrame frame = frame_for(kEnable, battery_id);
  frame.data[0] = value.remote_command;
  frame.data[1] = static_cast<std::uint8_t>((value.discharge_allowed ? 0x01u : 0u) |
                                            (value.charge_allowed ? 0x02u : 0u));
  return frame;
}

bool decode_enable(const CanFrame& frame, Enable& value) {
  if (!matches(frame, kEnable)) return false;
  value = {frame.data[0], (frame.data[1] & 0x01u) != 0, (frame.data[1] & 0x02u) != 0};
  return true;
}

CanFrame encode_request_flags(std::uint8_t battery_id, const RequestFlags& value) {
  CanFrame frame = frame_for(kRequestFlags, battery_id);
  frame.data[0] = static_cast<std::uint8_t>(
      (value.charge_enable ? 0x80u : 0u) | (value.discharge_enable ? 0x40u : 0u) |
      (value.force_charge ? 0x20u : 0u) | (value.full_charge_request ? 0x08u : 0u));
  return frame;
}

bool decode_request_flags(const CanFrame& frame, RequestFlags& value) {
  if (!matches(frame, kRequestFlags)) return false;
  value = {(frame.data[0] & 0x80u) != 0, (frame.data[0] & 0x40u) != 0, (frame.data[0] & 0x20u) != 0,
           (frame.data[0] & 0x08u) != 0};
  return true;
}

CanFrame encode_manufacturer(std::uint8_t battery_id, std::string_view name) {
  CanFrame frame = frame_for(kManufacturer, battery_id);
  for (std::size_t i = 0; i < 8 && i < name.size(); ++i)
    frame.data[i] = static_cast<std::uint8_t>(name[i]);
  return frame;
}

CanFrame encode_identity(std::uint8_t battery_id, const Identity& value) {
  CanFrame frame = frame_for(kIdentity, battery_id);
  frame.data[0] = 0x01;  // lithium-ion
  frame.data[1] = value.major;
  frame.data[2] = value.minor;
  frame.data[3] = value.patch;
  put_u16(frame, 4, value.capacity_Ah);
  return frame;
}

CanFrame encode_inquiry(const Inquiry& inquiry) {
  CanFrame frame = frame_for(inquiry.history ? kHistoryInquiry : kInquiry, 0);
  frame.data[0] = inquiry.battery_id;
  frame.data[1] = inquiry.what;
  if (inquiry.history) {
    frame.data[2] = inquiry.record;
    frame.data[3] = inquiry.module;
  } else {
    frame.data[2] = inquiry.module;
  }
  return frame;
}

bool decode_inquiry(const CanFrame& frame, Inquiry& inquiry) {
  if (!frame.extended || frame.dlc > 8) return false;
  const bool history = frame.id == kHistoryInquiry;
  if (frame.id != kInquiry && !history) return false;
  if (frame.dlc < (history ? 4 : 3) || frame.data[0] > kMaxBatteryId) return false;
  Inquiry decoded;
  decoded.battery_id = frame.data[0];
  decoded.what = frame.data[1];
  decoded.history = history;
  if (history) {
    decoded.record = frame.data[2];
    decoded.module = frame.data[3];
  } else {
    decoded.module = frame.data[2];
  }
  inquiry = decoded;
  return true;
}

CanFrame encode_inquiry_reply(const InquiryReply& reply) {
  std::uint32_t base = 0;
  const auto index = reply.index;
  switch (reply.kind) {
    case ReplyKind::Summary:
      base = kReplySummary;
      break;
    case ReplyKind::Serial:
      base = kReplySerial + std::min<std::uint32_t>(index, kSerialFrames - 1);
      break;
    case ReplyKind::CellVoltages:
      base = kReplyCellVoltages + std::min<std::uint32_t>(index, kMaxReplyFrames - 1);
      break;
    case ReplyKind::Temperatures:
      base = kReplyTemperatures + std::min<std::uint32_t>(index, kMaxReplyFrames - 1);
      break;
    case ReplyKind::Versions:
      base = kReplyVersions;
      break;
    case ReplyKind::CellExtremes:
      base = kReplyCellExtremes;
      break;
    case ReplyKind::TemperatureExtremes:
      base = kReplyTemperatureExtremes;
      break;
    case ReplyKind::History: {
      const std::uint32_t slot = std::min<std::uint32_t>(index, 8);
      base = slot <= 3 ? kReplyHistory + slot : kReplyHistoryFaults + (slot - 4);
      break;
    }
  }
  CanFrame frame = frame_for(base, static_cast<std::uint8_t>(reply.battery_id & kMaxBatteryId));
  frame.data[0] = reply.module;
  switch (reply.kind) {
    case ReplyKind::Summary:
      frame.data[1] = std::min<std::uint8_t>(reply.soc_percent, 100);
      put_u16(frame, 2, reply.stack_voltage_cV);
      frame.data[4] = reply.cell_count;
      frame.data[5] = reply.temperature_count;
      break;
    case ReplyKind::Serial:
      for (std::size_t i = 0; i < kSerialCharsPerFrame; ++i)
        frame.data[1 + i] = static_cast<std::uint8_t>(reply.text[i]);
      break;
    case ReplyKind::CellVoltages:
      for (std::size_t i = 0; i < kCellsPerReplyFrame; ++i)
        put_u16(frame, static_cast<int>(1 + 2 * i), reply.cell_mV[i]);
      break;
    case ReplyKind::Temperatures:
      for (std::size_t i = 0; i < kTemperaturesPerReplyFrame; ++i)
        put_u16(frame, static_cast<int>(1 + 2 * i), reply.temperature_ddegC[i]);
      break;
    case ReplyKind::Versions:
      frame.data[1] = reply.firmware_major;
      frame.data[2] = reply.firmware_minor;
      frame.data[3] = reply.firmware_patch;
      frame.data[4] = reply.hardware_version;
      break;
    case ReplyKind::CellExtremes:
      put_u16(frame, 1, reply.cell_mV[0]);
      put_u16(frame, 3, reply.cell_mV[1]);
      frame.data[5] = reply.max_number;
      frame.data[6] = reply.min_number;
      break;
    case ReplyKind::TemperatureExtremes:
      put_u16(frame, 1, reply.temperature_ddegC[0]);
      put_u16(frame, 3, reply.temperature_ddegC[1]);
      frame.data[5] = reply.max_number;
      frame.data[6] = reply.min_number;
      break;
    case ReplyKind::History:
      frame.data[1] = reply.record;
      break;
  }
  return frame;
}

bool decode_inquiry_reply(const CanFrame& frame, InquiryReply& reply) {
  if (!frame.extended || frame.dlc != 8) return false;
  const auto parts = split_id(frame.id);
  if (!parts || !is_reply_base(parts->first)) return false;
  const std::uint32_t base = parts->first;
  InquiryReply r;
  r.battery_id = parts->second;
  r.module = frame.data[0];
  if (base == kReplySummary) {
    if (frame.data[1] > 100) return false;
    r.kind = ReplyKind::Summary;
    r.soc_percent = frame.data[1];
    r.stack_voltage_cV = get_u16(frame, 2);
    r.cell_count = frame.data[4];
    r.temperature_count = frame.data[5];
  } else if (base >= kReplySerial && base < kReplySerial + kSerialFrames) {
    r.kind = ReplyKind::Serial;
    r.index = static_cast<std::uint8_t>(base - kReplySerial);
    for (std::size_t i = 0; i < kSerialCharsPerFrame; ++i)
      r.text[i] = static_cast<char>(frame.data[1 + i]);
  } else if (base >= kReplyCellVoltages && base < kReplyCellVoltages + kMaxReplyFrames) {
    r.kind = ReplyKind::CellVoltages;
    r.index = static_cast<std::uint8_t>(base - kReplyCellVoltages);
    for (std::size_t i = 0; i < kCellsPerReplyFrame; ++i)
      r.cell_mV[i] = get_u16(frame, static_cast<int>(1 + 2 * i));
  } else if (base >= kReplyTemperatures && base < kReplyTemperatures + kMaxReplyFrames) {
    r.kind = ReplyKind::Temperatures;
    r.index = static_cast<std::uint8_t>(base - kReplyTemperatures);
    for (std::size_t i = 0; i < kTemperaturesPerReplyFrame; ++i)
      r.temperature_ddegC[i] = get_s16(frame, static_cast<int>(1 + 2 * i));
  } else if (base == kReplyVersions) {
    r.kind = ReplyKind::Versions;
    r.firmware_major = frame.data[1];
    r.firmware_minor = frame.data[2];
    r.firmware_patch = frame.data[3];
    r.hardware_version = frame.data[4];
  } else if (base == kReplyCellExtremes || base == kReplyTemperatureExtremes) {
    const bool cells = base == kReplyCellExtremes;
    const std::uint8_t most = cells ? 48 : 32;
    if (frame.data[5] > most || frame.data[6] > most) return false;
    r.kind = cells ? ReplyKind::CellExtremes : ReplyKind::TemperatureExtremes;
    if (cells) {
      r.cell_mV[0] = get_u16(frame, 1);
      r.cell_mV[1] = get_u16(frame, 3);
    } else {
      r.temperature_ddegC[0] = get_s16(frame, 1);
      r.temperature_ddegC[1] = get_s16(frame, 3);
    }
    r.max_number = frame.data[5];
    r.min_number = frame.data[6];
  } else {
    r.kind = ReplyKind::History;
    r.index = static_cast<std::uint8_t>(
        base < kReplyHistoryFaults ? base - kReplyHistory : 4 + base - kReplyHistoryFaults);
    r.record = frame.data[1];
  }
  reply = r;
  return true;
}

std::size_t encode_inquiry_replies(std::uint8_t battery_id, const Inquiry& inquiry,
                                   std::span<const ModuleData> modules, std::span<CanFrame> out) {
  if (inquiry.battery_id != battery_id || battery_id > kMaxBatteryId) return 0;
  if (inquiry.module >= modules.size()) return 0;
  const auto reply_kind = reply_for(inquiry);
  if (!reply_kind) return 0;
  const ModuleData& m = modules[inquiry.module];
  const std::size_t cells = std::min<std::size_t>(m.cell_mV.size(), 48);
  const std::size_t sensors = std::min<std::size_t>(m.temperature_ddegC.size(), 32);
  InquiryReply r;
  r.kind = reply_kind->first;
  r.battery_id = battery_id;
  r.module = inquiry.module;
  switch (r.kind) {
    case ReplyKind::Summary: {
      if (out.empty()) return 0;
      r.soc_percent = static_cast<std::uint8_t>((std::clamp(m.soc_permille, 0, 1000) + 5) / 10);
      r.stack_voltage_cV = clamp_u16((std::max(m.stack_voltage_mV, 0) + 5) / 10);
      r.cell_count = static_cast<std::uint8_t>(cells);
      r.temperature_count = static_cast<std::uint8_t>(sensors);
      out[0] = encode_inquiry_reply(r);
      return 1;
    }
    case ReplyKind::Serial: {
      if (out.size() < kSerialFrames) return 0;
      for (std::size_t f = 0; f < kSerialFrames; ++f) {
        r.index = static_cast<std::uint8_t>(f);
        for (std::size_t i = 0; i < kSerialCharsPerFrame; ++i) {
          const std::size_t at = f * kSerialCharsPerFrame + i;
          r.text[i] = at < m.serial.size() ? m.serial[at] : '\0';
        }
        out[f] = encode_inquiry_reply(r);
      }
      return kSerialFrames;
    }
    case ReplyKind::CellVoltages: {
      const std::size_t count = frames_for(cells, kCellsPerReplyFrame);
      if (count == 0 || out.size() < count) return 0;
      for (std::size_t f = 0; f < count; ++f) {
        r.index = static_cast<std::uint8_t>(f);
        for (std::size_t i = 0; i < kCellsPerReplyFrame; ++i) {
          const std::size_t at = f * kCellsPerReplyFrame + i;
          r.cell_mV[i] = at < cells ? m.cell_mV[at] : kCellNotMeasured;
        }
        out[f] = encode_inquiry_reply(r);
      }
      return count;
    }
    case ReplyKind::Temperatures: {
      const std::size_t count = frames_for(sensors, kTemperaturesPerReplyFrame);
      if (count == 0 || out.size() < count) return 0;
      for (std::size_t f = 0; f < count; ++f) {
        r.index = static_cast<std::uint8_t>(f);
        for (std::size_t i = 0; i < kTemperaturesPerReplyFrame; ++i) {
          const std::size_t at = f * kTemperaturesPerReplyFrame + i;
          r.temperature_ddegC[i] = at < sensors ? m.temperature_ddegC[at] : kTemperatureNotMeasured;
        }
        out[f] = encode_inquiry_reply(r);
      }
      return count;
    }
    case ReplyKind::Versions:
      if (out.empty()) return 0;
      r.firmware_major = m.firmware_major;
      r.firmware_minor = m.firmware_minor;
      r.firmware_patch = m.firmware_patch;
      r.hardware_version = m.hardware_version;
      out[0] = encode_inquiry_reply(r);
      return 1;
    case ReplyKind::CellExtremes: {
      if (out.empty()) return 0;
      bool any = false;
      for (std::size_t i = 0; i < cells; ++i) {
        const std::uint16_t v = m.cell_mV[i];
        if (v == kCellNotMeasured) continue;
        if (!any || v > r.cell_mV[0]) {
          r.cell_mV[0] = v;
          r.max_number = static_cast<std::uint8_t>(i + 1);
        }
        if (!any || v < r.cell_mV[1]) {
          r.cell_mV[1] = v;
          r.min_number = static_cast<std::uint8_t>(i + 1);
        }
        any = true;
      }
      out[0] = encode_inquiry_reply(r);
      return 1;
    }
    case ReplyKind::TemperatureExtremes: {
      if (out.empty()) return 0;
      bool any = false;
      for (std::size_t i = 0; i < sensors; ++i) {
        const std::int16_t v = m.temperature_ddegC[i];
        if (v == kTemperatureNotMeasured) continue;
        if (!any || v > r.temperature_ddegC[0]) {
          r.temperature_ddegC[0] = v;
          r.max_number = static_cast<std::uint8_t>(i + 1);
        }
        if (!any || v < r.temperature_ddegC[1]) {
          r.temperature_ddegC[1] = v;
          r.min_number = static_cast<std::uint8_t>(i + 1);
        }
        any = true;
      }
      out[0] = encode_inquiry_reply(r);
      return 1;
    }
    case ReplyKind::History:
      if (out.empty()) return 0;
      r.index = static_cast<std::uint8_t>(inquiry.what);
      r.record = inquiry.record;
      out[0] = encode_inquiry_reply(r);
      return 1;
  }
  return 0;
}

}  // namespace bts::firmware::sofar
