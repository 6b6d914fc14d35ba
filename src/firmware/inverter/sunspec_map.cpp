#include "firmware/inverter/sunspec_map.hpp"

#include <algorithm>

#include "firmware/inverter/sunspec_models.hpp"

namespace bts::firmware::sunspec {
namespace {

constexpr std::uint16_t kMarkerHigh = 0x5375;  // "Su"
constexpr std::uint16_t kMarkerLow = 0x6E53;   // "nS"

// Ranges of the enumerated control points (802).
constexpr std::uint16_t kAlarmResetRequest = 1;  // 0 is accepted and does nothing
constexpr std::uint16_t kInverterStateMax = kInverterStarted;

bool inside(std::uint32_t address, std::uint32_t start, std::uint32_t length) {
  return address >= start && address < start + length;
}

}  // namespace

const char* control_kind_name(ControlKind kind) {
  switch (kind) {
    case ControlKind::AlarmReset:
      return "alarm reset";
    case ControlKind::ControllerHeartbeat:
      return "controller heartbeat";
    case ControlKind::SetOperation:
      return "set operation";
    case ControlKind::SetInverterState:
      return "set inverter state";
  }
  return "unknown";
}

void apply_control(const ControlRequest& request, SunSpecValues& values) {
  if (request.bdu_index >= kMaxBdus) return;
  ControlPoints& controls = values.bdus[request.bdu_index].controls;
  switch (request.kind) {
    case ControlKind::ControllerHeartbeat:
      controls.controller_heartbeat = request.value;
      break;
    case ControlKind::SetOperation:
      controls.set_operation = request.value;
      break;
    case ControlKind::SetInverterState:
      controls.set_inverter_state = request.value;
      break;
    case ControlKind::AlarmReset:  // reads back as 0 (done) at once
      break;
  }
}

const char* map_status_text(MapStatus status) {
  switch (status) {
    case MapStatus::Ok:
      return "ok";
    case MapStatus::OutsideMap:
      return "address outside the SunSpec map";
    case MapStatus::NotWritable:
      return "point is read-only";
    case MapStatus::WritesDisabled:
      return "writes are disabled";
    case MapStatus::ValueOutOfRange:
      return "value outside the point's range";
  }
  return "unknown";
}

SunSpecLayout layout_of(const SunSpecValues& values) {
  SunSpecLayout layout;
  std::uint32_t address = kBaseAddress + 2;
  const auto take = [&address](std::uint32_t length) {
    const auto start = static_cast<std::uint16_t>(address);
    address += 2 + length;
    return start;
  };
  layout.common = take(kCommonLength);
  layout.bdu_count = installed_bdus(values);
  for (int bdu = 0; bdu < layout.bdu_count; ++bdu) {
    BduModelAddresses& models = layout.bdus[static_cast<std::size_t>(bdu)];
    models.module_count = installed_modules(values.bdus[static_cast<std::size_t>(bdu)]);
    models.battery = take(kBatteryLength);
    models.bank = take(kBankFixedLength + kBankStringLength);
    models.string = take(kStringFixedLength + kStringModuleLength * models.module_count);
    for (int module = 0; module < models.module_count; ++module)
      models.modules[static_cast<std::size_t>(module)] = take(kModuleLength);
  }
  layout.end = take(0);
  layout.register_count = static_cast<std::uint16_t>(address - kBaseAddress);
  return layout;
}

SunSpecMap::SunSpecMap(const SunSpecValues& values)
    : layout_(layout_of(values)), writes_enabled_(values.writes_enabled) {
  const auto model = [this](std::uint16_t address, std::size_t length) {
    return std::span<std::uint16_t>(image_).subspan(address - kBaseAddress, 2 + length);
  };
  image_[0] = kMarkerHigh;
  image_[1] = kMarkerLow;
  write_common_model(values, model(layout_.common, kCommonLength));
  for (int bdu = 0; bdu < layout_.bdu_count; ++bdu) {
    const BduModelAddresses& models = layout_.bdus[static_cast<std::size_t>(bdu)];
    const BduValues& bdu_values = values.bdus[static_cast<std::size_t>(bdu)];
    write_battery_model(values, bdu, model(models.battery, kBatteryLength));
    write_bank_model(bdu_values, model(models.bank, kBankFixedLength + kBankStringLength));
    write_string_model(
        bdu_values,
        model(models.string, kStringFixedLength + kStringModuleLength * models.module_count));
    for (int module = 0; module < models.module_count; ++module)
      write_module_model(bdu_values, module,
                         model(models.modules[static_cast<std::size_t>(module)], kModuleLength));
  }
  image_[layout_.end - kBaseAddress] = kEndModel;
  image_[layout_.end - kBaseAddress + 1] = 0;
}

MapStatus SunSpecMap::read(std::uint32_t start_address, std::uint32_t count,
                           std::span<std::uint16_t> out) const {
  if (count == 0 || count > out.size() || start_address < kBaseAddress ||
      start_address + count > kBaseAddress + std::uint32_t{register_count()})
    return MapStatus::OutsideMap;
  const auto first = image_.begin() + (start_address - kBaseAddress);
  std::copy(first, first + count, out.begin());
  return MapStatus::Ok;
}

MapStatus SunSpecMap::check_write(std::uint32_t start_address,
                                  std::span<const std::uint16_t> registers,
                                  ControlRequests& requests) const {
  if (registers.empty() || start_address < kBaseAddress ||
      start_address + registers.size() > kBaseAddress + std::uint32_t{register_count()})
    return MapStatus::OutsideMap;
  if (!writes_enabled_) return MapStatus::WritesDisabled;
  ControlRequests pending;
  for (std::size_t index = 0; index < registers.size(); ++index) {
    const MapStatus status = check_register(start_address + static_cast<std::uint32_t>(index),
                                            registers[index], pending);
    if (status != MapStatus::Ok) return status;
  }
  for (const ControlRequest& request : pending) requests.push(request);
  return MapStatus::Ok;
}

MapStatus SunSpecMap::check_register(std::uint32_t address, std::uint16_t value,
                                     ControlRequests& requests) const {
  for (int bdu = 0; bdu < layout_.bdu_count; ++bdu) {
    const std::uint16_t battery = layout_.bdus[static_cast<std::size_t>(bdu)].battery;
    if (!inside(address, battery, 2 + kBatteryLength)) continue;
    const auto index = static_cast<std::uint8_t>(bdu);
    switch (address - battery) {
      case kCtrlHbOffset:
        requests.push({ControlKind::ControllerHeartbeat, index, value});
        return MapStatus::Ok;
      case kAlmRstOffset:
        if (value > kAlarmResetRequest) return MapStatus::ValueOutOfRange;
        if (value == kAlarmResetRequest) requests.push({ControlKind::AlarmReset, index, value});
        return MapStatus::Ok;
      case kSetOpOffset:
        if (value != kSetOpConnect && value != kSetOpDisconnect) return MapStatus::ValueOutOfRange;
        requests.push({ControlKind::SetOperation, index, value});
        return MapStatus::Ok;
      case kSetInvStateOffset:
        if (value < kInverterStopped || value > kInverterStateMax)
          return MapStatus::ValueOutOfRange;
        requests.push({ControlKind::SetInverterState, index, value});
        return MapStatus::Ok;
      default:
        return MapStatus::NotWritable;
    }
  }
  return MapStatus::NotWritable;
}

MapStatus read_registers(const SunSpecValues& values, std::uint32_t start_address,
                         std::uint32_t count, std::span<std::uint16_t> out) {
  return SunSpecMap(values).read(start_address, count, out);
}

MapStatus check_write(const SunSpecValues& values, std::uint32_t start_address,
                      std::span<const std::uint16_t> registers, ControlRequests& requests) {
  return SunSpecMap(values).check_write(start_address, registers, requests);
}

}  // namespace bts::firmware::sunspec
