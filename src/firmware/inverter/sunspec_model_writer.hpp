#pragma once
// Writes points into one model's registers: SunSpec types, clamping to the type's range (its
// "not implemented" value is never produced by clamping) and the "not implemented" values.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace bts::firmware::sunspec {

// "Not implemented" per SunSpec type.
inline constexpr std::uint16_t kNotImplementedU16 = 0xFFFF;       // uint16, enum16, bitfield16
inline constexpr std::uint16_t kNotImplementedS16 = 0x8000;       // int16, sunssf
inline constexpr std::uint32_t kNotImplementedU32 = 0xFFFFFFFFu;  // uint32, enum32, bitfield32
inline constexpr std::int16_t kNotImplementedSf = -32768;         // sunssf (0x8000)

class ModelWriter {
 public:
  explicit ModelWriter(std::span<std::uint16_t> model) : model_(model) {}

  void u16(std::size_t offset, std::uint16_t value) {
    if (offset < model_.size()) model_[offset] = value;
  }
  /// uint16 point from a wider value: clamped to 0..65534.
  void unsigned_point(std::size_t offset, std::int64_t value) {
    u16(offset, static_cast<std::uint16_t>(std::clamp<std::int64_t>(value, 0, 0xFFFE)));
  }
  /// int16 point: clamped to -32767..32767.
  void signed_point(std::size_t offset, std::int64_t value) {
    u16(offset, static_cast<std::uint16_t>(
                    static_cast<std::int16_t>(std::clamp<std::int64_t>(value, -32767, 32767))));
  }
  void u32(std::size_t offset, std::uint32_t value) {
    u16(offset, static_cast<std::uint16_t>(value >> 16));
    u16(offset + 1, static_cast<std::uint16_t>(value & 0xFFFFu));
  }
  /// Consecutive sunssf points from `first`.
  void scale_factors(std::size_t first, std::initializer_list<std::int16_t> exponents) {
    for (const std::int16_t exponent : exponents)
      u16(first++, static_cast<std::uint16_t>(exponent));
  }
  /// uint16 point that reads "not implemented" while its source is not known.
  void unsigned_if_known(std::size_t offset, bool known, std::int64_t value) {
    if (known) {
      unsigned_point(offset, value);
    } else {
      not_implemented_u16(offset);
    }
  }
  /// ASCII, two characters per register (first in the high byte), NUL padded, cut to fit.
  void text(std::size_t offset, std::size_t registers, std::string_view value) {
    for (std::size_t index = 0; index < registers; ++index) {
      const std::size_t first = 2 * index;
      const auto high = first < value.size() ? static_cast<std::uint8_t>(value[first]) : 0u;
      const auto low = first + 1 < value.size() ? static_cast<std::uint8_t>(value[first + 1]) : 0u;
      u16(offset + index, static_cast<std::uint16_t>((high << 8) | low));
    }
  }
  void not_implemented_u16(std::size_t offset) { u16(offset, kNotImplementedU16); }
  void not_implemented_s16(std::size_t offset) { u16(offset, kNotImplementedS16); }
  void not_implemented_u32(std::size_t offset) { u32(offset, kNotImplementedU32); }

 private:
  std::span<std::uint16_t> model_;
};

}  // namespace bts::firmware::sunspec
