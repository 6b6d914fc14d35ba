#pragma once
// Maximum, minimum (with positions) and average of cell voltages and temperatures, for one module
// (positions are cell numbers) or for a BDU's string (positions are module numbers), and how the
// models lay them out.
#include <cstdint>

#include "firmware/inverter/sunspec_model_writer.hpp"
#include "firmware/inverter/sunspec_values.hpp"

namespace bts::firmware::sunspec {

struct Extremes {
  bool known = false;  // false: every point reads "not implemented"
  std::int32_t max = 0;
  std::uint16_t max_position = kNotImplementedU16;  // 1-based
  std::int32_t min = 0;
  std::uint16_t min_position = kNotImplementedU16;
  std::int32_t average = 0;
};

struct CellExtremes {
  Extremes voltage_mV;
  Extremes temperature_ddegC;
};

/// One module: cell voltage positions are its cell numbers; the average cell voltage is the stack
/// voltage over the cell count; temperature positions are unknown (the module reports sensor
/// numbers, not cells) and the average temperature is the midpoint of its extremes.
CellExtremes module_extremes(const ModuleValues& module);
/// A BDU's string: over its reporting modules, positions are module numbers, averages are the
/// mean of the modules' averages.
CellExtremes string_extremes(const BduValues& bdu);

enum class PointType : std::uint8_t { Unsigned, Signed };

/// Five registers: max, max position, min, min position, average.
void write_extremes(ModelWriter& writer, std::size_t offset, const Extremes& extremes,
                    PointType type);
/// Seven registers: max, its string (1), its position, min, its string (1), its position, average.
void write_extremes_with_string(ModelWriter& writer, std::size_t offset, const Extremes& extremes,
                                PointType type);

}  // namespace bts::firmware::sunspec
