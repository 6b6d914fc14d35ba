#include "firmware/inverter/sunspec_models.hpp"

#include <array>
#include <string_view>

#include "firmware/inverter/sunspec_enums.hpp"
#include "firmware/inverter/sunspec_extremes.hpp"
#include "firmware/inverter/sunspec_map.hpp"
#include "firmware/inverter/sunspec_model_writer.hpp"
#include "firmware/link/link_protocol.hpp"

namespace bts::firmware::sunspec {
namespace {

// Nameplate of one BTS 5K module (REQ-TOP-1, D-CELL); the BDU's ratings are the sum over its
// installed modules. Ah as the BDU tells the Sofar inverter: the cells' 100 Ah per module.
constexpr std::int64_t kModuleCapacity_Ah = 100;
constexpr std::int64_t kModuleEnergy_Wh = 5120;
constexpr std::int64_t kModulePower_W = 2500;

// Scale factors (10^sf): SOC, DoD and SOH in 0.1 %, HV voltages in 0.1 V, module voltage in
// 0.01 V, cell voltage in mV, currents in 0.1 A, temperatures in 0.1 degC, power in W.
constexpr std::int16_t kPercentSf = -1;
constexpr std::int16_t kVoltageSf = -1;
constexpr std::int16_t kModuleVoltageSf = -2;
constexpr std::int16_t kCellVoltageSf = -3;
constexpr std::int16_t kCurrentSf = -1;
constexpr std::int16_t kTemperatureSf = -1;
constexpr std::int16_t kUnitSf = 0;

constexpr std::uint16_t kLithiumIon = 4;  // 802 Typ
constexpr std::uint16_t kRemote = 0;      // 802 LocRemCtl
constexpr std::uint16_t kLocal = 1;
constexpr std::uint16_t kNoRequest = 0;  // 802 ReqInvState
constexpr std::uint16_t kRequestStart = 1;

/// Text of a number in upper-case hex, eight digits.
std::array<char, 8> hex8(std::uint32_t value) {
  std::array<char, 8> text{};
  for (int index = 7; index >= 0; --index) {
    text[static_cast<std::size_t>(index)] = "0123456789ABCDEF"[value & 0xFu];
    value >>= 4;
  }
  return text;
}
std::string_view view(const std::array<char, 8>& text) { return {text.data(), text.size()}; }

/// Appends a decimal number (0..999) to text at position, returns the new position.
std::size_t append_decimal(std::array<char, 16>& text, std::size_t position, unsigned value) {
  if (value >= 100 && position < text.size())
    text[position++] = static_cast<char>('0' + value / 100);
  if (value >= 10 && position < text.size())
    text[position++] = static_cast<char>('0' + value / 10 % 10);
  if (position < text.size()) text[position++] = static_cast<char>('0' + value % 10);
  return position;
}

/// One value that is its own maximum, minimum and average (the bank's single string).
Extremes single_string(std::int32_t value) { return {true, value, 1, value, 1, value}; }

std::uint32_t string_status_bits(const BduValues& bdu) {
  return (string_enabled(bdu) ? 1u : 0u) | (contactors_closed(bdu) ? 2u : 0u);
}

/// Bit n: relay n's auxiliary contact is closed (0 positive main, 1 negative main, 2 precharge).
std::uint32_t contactor_bits(const BduValues& bdu) {
  std::uint32_t bits = 0;
  for (std::size_t relay = 0; relay < bdu.relay_closed.size(); ++relay) {
    if (bdu.relay_closed[relay]) bits |= 1u << relay;
  }
  return bits;
}

/// Evt1, Evt2 (reserved: 0), EvtVnd1 (every active code, bit = code), EvtVnd2 (the BDU's own).
void write_events(ModelWriter& writer, std::size_t offset, const BduValues& bdu) {
  writer.u32(offset, event_bits(bdu.codes));
  writer.u32(offset + 2, 0);
  writer.u32(offset + 4, bdu.codes.bits());
  writer.u32(offset + 6, bdu.own_codes.bits());
}

void write_header(ModelWriter& writer, std::uint16_t id, std::size_t length) {
  writer.u16(0, id);
  writer.u16(1, static_cast<std::uint16_t>(length));
}

}  // namespace

void write_common_model(const SunSpecValues& values, std::span<std::uint16_t> model) {
  ModelWriter writer(model);
  write_header(writer, kCommonModel, kCommonLength);
  const BduValues& first = values.bdus[0];
  int modules = 0;
  for (int bdu = 0; bdu < installed_bdus(values); ++bdu)
    modules += installed_modules(values.bdus[static_cast<std::size_t>(bdu)]);
  std::array<char, 16> options{};  // the system size, "E5" .. "E40"
  options[0] = 'E';
  const std::size_t options_length = append_decimal(options, 1, static_cast<unsigned>(5 * modules));
  std::array<char, 16> version{};
  std::size_t version_length = append_decimal(version, 0, first.firmware_version.major);
  version[version_length++] = '.';
  version_length = append_decimal(version, version_length, first.firmware_version.minor);
  version[version_length++] = '.';
  version_length = append_decimal(version, version_length, first.firmware_version.patch);
  writer.text(2, 16, "BTS");
  writer.text(18, 16, "E5~E20-DS5");
  writer.text(34, 8, {options.data(), options_length});
  writer.text(42, 8, {version.data(), version_length});
  writer.text(50, 16, view(hex8(first.serial_number)));
  writer.u16(66, values.unit_id);
  writer.u16(67, 0);
}

void write_battery_model(const SunSpecValues& values, int bdu_index,
                         std::span<std::uint16_t> model) {
  const BduValues& bdu = values.bdus[static_cast<std::size_t>(bdu_index)];
  const int modules = installed_modules(bdu);
  ModelWriter writer(model);
  write_header(writer, kBatteryModel, kBatteryLength);
  writer.unsigned_point(2, kModuleCapacity_Ah * modules);
  writer.unsigned_point(3, kModuleEnergy_Wh * modules);
  writer.unsigned_point(4, kModulePower_W * modules);
  writer.unsigned_point(5, kModulePower_W * modules);
  for (std::size_t offset = 6; offset <= 10; ++offset) writer.not_implemented_u16(offset);
  writer.unsigned_point(11, bdu.soc_permille);
  writer.unsigned_point(12, 1000 - bdu.soc_permille);
  writer.unsigned_point(13, bdu.soh_permille);
  writer.not_implemented_u32(14);
  writer.u16(16, static_cast<std::uint16_t>(charge_status(bdu)));
  writer.u16(17, values.writes_enabled ? kRemote : kLocal);
  writer.u16(18, bdu.heartbeat_s);
  writer.u16(kCtrlHbOffset, bdu.controls.controller_heartbeat);
  writer.u16(kAlmRstOffset, 0);  // a reset is handed over at once: it always reads as done
  writer.u16(21, kLithiumIon);
  writer.u16(22, static_cast<std::uint16_t>(battery_state(bdu)));
  writer.u16(23, static_cast<std::uint16_t>(bdu.state));
  writer.not_implemented_u32(24);
  write_events(writer, 26, bdu);
  writer.unsigned_point(34, bdu.output_voltage_dV);
  writer.unsigned_if_known(35, bdu.charge_voltage_limit_dV > 0, bdu.charge_voltage_limit_dV);
  writer.unsigned_if_known(36, bdu.discharge_voltage_limit_dV > 0, bdu.discharge_voltage_limit_dV);
  write_extremes_with_string(writer, 37, string_extremes(bdu).voltage_mV, PointType::Unsigned);
  writer.signed_point(44, bdu.output_current_dA);
  writer.unsigned_point(45, bdu.charge_current_limit_dA);
  writer.unsigned_point(46, bdu.discharge_current_limit_dA);
  writer.signed_point(
      47, static_cast<std::int64_t>(bdu.output_voltage_dV) * bdu.output_current_dA / 100);
  // ReqInvState: an empty battery asks the inverter to START (to charge it; D-EMPTY).
  writer.u16(48, bdu.force_charge_requested ? kRequestStart : kNoRequest);
  writer.not_implemented_s16(49);
  writer.u16(kSetOpOffset, bdu.controls.set_operation);
  writer.u16(kSetInvStateOffset, bdu.controls.set_inverter_state);
  writer.scale_factors(
      52, {kUnitSf, kUnitSf, kUnitSf, kNotImplementedSf, kPercentSf, kPercentSf, kPercentSf,
           kVoltageSf, kCellVoltageSf, kCurrentSf, kCurrentSf, kUnitSf});
}

void write_bank_model(const BduValues& bdu, std::span<std::uint16_t> model) {
  const CellExtremes extremes = string_extremes(bdu);
  ModelWriter writer(model);
  write_header(writer, kBankModel, kBankFixedLength + kBankStringLength);
  writer.u16(2, 1);
  writer.u16(3, contactors_closed(bdu) ? 1 : 0);
  write_extremes_with_string(writer, 4, extremes.temperature_ddegC, PointType::Signed);
  write_extremes(writer, 11, single_string(bdu.bus_voltage_dV), PointType::Unsigned);
  write_extremes(writer, 16, single_string(bdu.output_current_dA), PointType::Signed);
  writer.not_implemented_u16(21);
  writer.scale_factors(
      22, {kCellVoltageSf, kTemperatureSf, kCurrentSf, kPercentSf, kPercentSf, kVoltageSf});
  // The one string.
  constexpr std::size_t kString = 2 + kBankFixedLength;
  writer.u16(kString, static_cast<std::uint16_t>(installed_modules(bdu)));
  writer.u32(kString + 1, string_status_bits(bdu));
  writer.u16(kString + 3, static_cast<std::uint16_t>(connection_failure(bdu)));
  writer.unsigned_point(kString + 4, bdu.soc_permille);
  writer.unsigned_point(kString + 5, bdu.soh_permille);
  writer.signed_point(kString + 6, bdu.output_current_dA);
  write_extremes(writer, kString + 7, extremes.voltage_mV, PointType::Unsigned);
  write_extremes(writer, kString + 12, extremes.temperature_ddegC, PointType::Signed);
  writer.u16(kString + 17, static_cast<std::uint16_t>(disabled_reason(bdu)));
  writer.u32(kString + 18, contactor_bits(bdu));
  write_events(writer, kString + 20, bdu);
  writer.not_implemented_u16(kString + 28);
  writer.not_implemented_u16(kString + 29);
  writer.u16(kString + 30, 0);
  writer.u16(kString + 31, 0);
}

void write_string_model(const BduValues& bdu, std::span<std::uint16_t> model) {
  const int modules = installed_modules(bdu);
  const CellExtremes extremes = string_extremes(bdu);
  ModelWriter writer(model);
  write_header(writer, kStringModel, kStringFixedLength + kStringModuleLength * modules);
  writer.u16(2, 1);
  writer.u16(3, static_cast<std::uint16_t>(modules));
  writer.u32(4, string_status_bits(bdu));
  writer.u16(6, static_cast<std::uint16_t>(connection_failure(bdu)));
  writer.not_implemented_u16(7);
  writer.unsigned_point(8, bdu.soc_permille);
  writer.unsigned_point(9, 1000 - bdu.soc_permille);
  writer.not_implemented_u32(10);
  writer.unsigned_point(12, bdu.soh_permille);
  writer.signed_point(13, bdu.output_current_dA);
  writer.unsigned_point(14, bdu.bus_voltage_dV);
  write_extremes(writer, 15, extremes.voltage_mV, PointType::Unsigned);
  write_extremes(writer, 20, extremes.temperature_ddegC, PointType::Signed);
  writer.u16(25, 0);
  writer.u32(26, contactor_bits(bdu));
  write_events(writer, 28, bdu);
  writer.not_implemented_u16(36);
  writer.not_implemented_u16(37);
  writer.scale_factors(38, {kPercentSf, kPercentSf, kPercentSf, kCurrentSf, kVoltageSf,
                            kCellVoltageSf, kTemperatureSf});
  for (std::size_t offset = 45; offset <= 47; ++offset) writer.u16(offset, 0);
  for (int index = 0; index < modules; ++index) {
    const ModuleValues& module = bdu.modules[static_cast<std::size_t>(index)];
    const std::size_t group = 2 + kStringFixedLength + kStringModuleLength * index;
    const CellExtremes module_cells = module_extremes(module);
    writer.u16(group, link::kCellsPerModule);
    writer.unsigned_if_known(group + 1, module.reporting, module.soc_permille);
    writer.not_implemented_u16(group + 2);
    write_extremes(writer, group + 3, module_cells.voltage_mV, PointType::Unsigned);
    write_extremes(writer, group + 8, module_cells.temperature_ddegC, PointType::Signed);
    for (std::size_t pad = 13; pad <= 15; ++pad) writer.u16(group + pad, 0);
  }
}

void write_module_model(const BduValues& bdu, int module_index, std::span<std::uint16_t> model) {
  const ModuleValues& module = bdu.modules[static_cast<std::size_t>(module_index)];
  const CellExtremes cells = module_extremes(module);
  ModelWriter writer(model);
  write_header(writer, kModuleModel, kModuleLength);
  writer.u16(2, 1);
  writer.u16(3, static_cast<std::uint16_t>(module_index + 1));
  writer.u16(4, link::kCellsPerModule);
  writer.unsigned_if_known(5, module.reporting, module.soc_permille);
  writer.unsigned_if_known(6, module.reporting, 1000 - module.soc_permille);
  writer.unsigned_if_known(10, module.reporting, module.stack_voltage_mV / 10);
  writer.not_implemented_u16(7);
  writer.not_implemented_u32(8);
  write_extremes(writer, 11, cells.voltage_mV, PointType::Unsigned);
  write_extremes(writer, 16, cells.temperature_ddegC, PointType::Signed);
  writer.not_implemented_u16(21);
  // A string that is not implemented reads as all NUL.
  writer.text(22, 16, module.serial_number != 0 ? view(hex8(module.serial_number)) : "");
  writer.scale_factors(38, {kPercentSf, kNotImplementedSf, kPercentSf, kModuleVoltageSf,
                            kCellVoltageSf, kTemperatureSf});
}

}  // namespace bts::firmware::sunspec
