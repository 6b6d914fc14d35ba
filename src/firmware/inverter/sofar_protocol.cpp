#include "firmware/inverter/sofar_protocol.hpp"

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
bool matches(const CanFrame& frame, std::uint32_t base) {
  const auto parts = split_id(frame.id);
  return frame.extended && frame.dlc == 8 && parts && parts->first == base;
}
std::uint16_t clamp_u16(std::int32_t value) {
  return static_cast<std::uint16_t>(value < 0 ? 0 : (value > 0xFFFF ? 0xFFFF : value));
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
    case kInquiry:
    case kHistoryInquiry:
      return std::pair{base, static_cast<std::uint8_t>(battery)};
    default:
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
  CanFrame frame = frame_for(kAlarms, battery_id);
  for (int byte = 0; byte < 4; ++byte)
    frame.data[static_cast<std::size_t>(byte)] = static_cast<std::uint8_t>(code_bits >> (8 * byte));
  return frame;
}

bool decode_alarms(const CanFrame& frame, std::uint32_t& code_bits) {
  if (!matches(frame, kAlarms)) return false;
  code_bits = 0;
  for (int byte = 0; byte < 4; ++byte)
    code_bits |= static_cast<std::uint32_t>(frame.data[static_cast<std::size_t>(byte)])
                 << (8 * byte);
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
  CanFrame frame = frame_for(kInquiry, 0);
  frame.data[0] = inquiry.battery_id;
  frame.data[1] = inquiry.what;
  frame.data[2] = inquiry.module;
  return frame;
}

bool decode_inquiry(const CanFrame& frame, Inquiry& inquiry) {
  const auto parts = split_id(frame.id);
  if (!frame.extended || frame.dlc < 3 || !parts ||
      (parts->first != kInquiry && parts->first != kHistoryInquiry)) {
    return false;
  }
  inquiry = {frame.data[0], frame.data[1], frame.data[2]};
  return true;
}

}  // namespace bts::firmware::sofar
