#include "firmware/inverter/sunspec_extremes.hpp"

#include "firmware/link/link_protocol.hpp"

namespace bts::firmware::sunspec {
namespace {

std::uint16_t position_of(std::uint8_t zero_based) {
  return zero_based == kUnknownIndex ? kNotImplementedU16
                                     : static_cast<std::uint16_t>(zero_based + 1);
}

/// Folds one module's extremes into the string's (positions become the module number).
void fold(Extremes& into, const Extremes& module, std::uint16_t module_number) {
  if (!into.known || module.max > into.max) {
    into.max = module.max;
    into.max_position = module_number;
  }
  if (!into.known || module.min < into.min) {
    into.min = module.min;
    into.min_position = module_number;
  }
  into.average += module.average;  // divided by the count at the end
  into.known = true;
}

void write_point(ModelWriter& writer, std::size_t offset, std::int32_t value, PointType type) {
  if (type == PointType::Signed) {
    writer.signed_point(offset, value);
  } else {
    writer.unsigned_point(offset, value);
  }
}

void write_not_implemented(ModelWriter& writer, std::size_t offset, PointType type) {
  if (type == PointType::Signed) {
    writer.not_implemented_s16(offset);
  } else {
    writer.not_implemented_u16(offset);
  }
}

}  // namespace

CellExtremes module_extremes(const ModuleValues& module) {
  CellExtremes result;
  if (!module.reporting) return result;
  result.voltage_mV = {true,
                       module.max_cell_mV,
                       position_of(module.max_cell_index),
                       module.min_cell_mV,
                       position_of(module.min_cell_index),
                       module.stack_voltage_mV / link::kCellsPerModule};
  result.temperature_ddegC = {true,
                              module.max_temperature_ddegC,
                              kNotImplementedU16,
                              module.min_temperature_ddegC,
                              kNotImplementedU16,
                              (module.max_temperature_ddegC + module.min_temperature_ddegC) / 2};
  return result;
}

CellExtremes string_extremes(const BduValues& bdu) {
  CellExtremes result;
  int modules = 0;
  for (int index = 0; index < bdu.module_count && index < kMaxModulesPerBdu; ++index) {
    const ModuleValues& module = bdu.modules[static_cast<std::size_t>(index)];
    if (!module.reporting) continue;
    const CellExtremes one = module_extremes(module);
    const auto number = static_cast<std::uint16_t>(index + 1);
    fold(result.voltage_mV, one.voltage_mV, number);
    fold(result.temperature_ddegC, one.temperature_ddegC, number);
    ++modules;
  }
  if (modules > 0) {
    result.voltage_mV.average /= modules;
    result.temperature_ddegC.average /= modules;
  }
  return result;
}

void write_extremes(ModelWriter& writer, std::size_t offset, const Extremes& extremes,
                    PointType type) {
  if (!extremes.known) {
    for (std::size_t value_offset : {offset, offset + 2, offset + 4})
      write_not_implemented(writer, value_offset, type);
    writer.not_implemented_u16(offset + 1);
    writer.not_implemented_u16(offset + 3);
    return;
  }
  write_point(writer, offset, extremes.max, type);
  writer.u16(offset + 1, extremes.max_position);
  write_point(writer, offset + 2, extremes.min, type);
  writer.u16(offset + 3, extremes.min_position);
  write_point(writer, offset + 4, extremes.average, type);
}

void write_extremes_with_string(ModelWriter& writer, std::size_t offset, const Extremes& extremes,
                                PointType type) {
  // The BDU's bank has one string, number 1.
  const std::uint16_t string_number = extremes.known ? 1 : kNotImplementedU16;
  if (extremes.known) {
    write_point(writer, offset, extremes.max, type);
    write_point(writer, offset + 3, extremes.min, type);
    write_point(writer, offset + 6, extremes.average, type);
  } else {
    for (std::size_t value_offset : {offset, offset + 3, offset + 6})
      write_not_implemented(writer, value_offset, type);
  }
  writer.u16(offset + 1, string_number);
  writer.u16(offset + 2, extremes.known ? extremes.max_position : kNotImplementedU16);
  writer.u16(offset + 4, string_number);
  writer.u16(offset + 5, extremes.known ? extremes.min_position : kNotImplementedU16);
}

}  // namespace bts::firmware::sunspec
