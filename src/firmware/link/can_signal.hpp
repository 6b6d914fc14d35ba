#pragma once
// Bit-field signals inside a CAN payload, the way a DBC file describes them: little-endian
// ("Intel", DBC byte order @1) fields given by start bit and length, with a raw range the decoder
// enforces and two linear mappings:
//   firmware value = raw * value_scale + value_offset   (integers, the unit is in the field name)
//   DBC physical   = raw * factor      + offset         (what data/dbc/*.dbc must repeat)
// Pure functions, no I/O, no heap, usable in constant expressions.
#include <array>
#include <bit>
#include <cstdint>
#include <string_view>

#include "firmware/common/types.hpp"

namespace bts::firmware {

struct CanSignal {
  std::string_view name;   // the signal's name in the DBC
  std::uint8_t start_bit;  // bit 0 = byte 0 bit 0, bit 63 = byte 7 bit 7 (DBC @1 start bit)
  std::uint8_t length;     // 1..32 bits
  bool is_signed;          // two's complement
  std::int64_t raw_min;    // valid raw range; decode refuses outside, encode saturates
  std::int64_t raw_max;
  std::int32_t value_scale;  // firmware value = raw * value_scale + value_offset
  std::int32_t value_offset;
  double factor;  // DBC physical value = raw * factor + offset
  double offset;
  std::string_view unit;  // DBC unit of the physical value
};

/// Up to eight payload bytes as one little-endian 64-bit word, for packing signals.
class CanPayload {
 public:
  constexpr CanPayload() = default;
  /// Reads the frame's first dlc bytes; bytes past the dlc read as zero.
  constexpr explicit CanPayload(const CanFrame& frame) {
    if constexpr (std::endian::native == std::endian::little) {
      bits_ = std::bit_cast<std::uint64_t>(frame.data) & bytes_mask(frame.dlc);
    } else {
      for (std::uint8_t i = 0; i < frame.dlc && i < 8; ++i) {
        bits_ |= static_cast<std::uint64_t>(frame.data[i]) << (8u * i);
      }
    }
  }

  [[gnu::always_inline]] constexpr void put_raw(const CanSignal& signal, std::int64_t raw) {
    const std::uint64_t mask = mask_of(signal);
    const std::uint64_t field = static_cast<std::uint64_t>(raw) & mask;
    bits_ = (bits_ & ~(mask << signal.start_bit)) | (field << signal.start_bit);
  }

  [[gnu::always_inline]] constexpr std::int64_t get_raw(const CanSignal& signal) const {
    const std::uint64_t field = (bits_ >> signal.start_bit) & mask_of(signal);
    if (signal.is_signed && ((field >> (signal.length - 1u)) & 1u) != 0u) {
      return static_cast<std::int64_t>(field | ~mask_of(signal));  // sign extension
    }
    return static_cast<std::int64_t>(field);
  }

  /// Puts a firmware value: converted to raw (rounded to nearest), saturated to the raw range.
  [[gnu::always_inline]] constexpr void put(const CanSignal& signal, std::int64_t value) {
    put_raw(signal, value_to_raw(signal, value));
  }

  /// Gets a firmware value; false when the raw field is outside the signal's valid range.
  [[gnu::always_inline]] constexpr bool get(const CanSignal& signal, std::int64_t& value) const {
    const std::int64_t raw = get_raw(signal);
    if (raw < signal.raw_min || raw > signal.raw_max) return false;
    value = raw * signal.value_scale + signal.value_offset;
    return true;
  }

  constexpr bool get_flag(const CanSignal& signal) const { return get_raw(signal) != 0; }

  constexpr std::uint64_t bits() const { return bits_; }

  /// A frame with this payload: the first dlc bytes written, the rest zero.
  constexpr CanFrame to_frame(std::uint32_t id, bool extended, std::uint8_t dlc) const {
    CanFrame frame;
    frame.id = id;
    frame.extended = extended;
    frame.dlc = dlc;
    if constexpr (std::endian::native == std::endian::little) {
      frame.data = std::bit_cast<std::array<std::uint8_t, 8>>(bits_ & bytes_mask(dlc));
    } else {
      for (std::uint8_t i = 0; i < dlc && i < 8; ++i) {
        frame.data[i] = static_cast<std::uint8_t>(bits_ >> (8u * i));
      }
    }
    return frame;
  }

  [[gnu::always_inline]] static constexpr std::int64_t value_to_raw(const CanSignal& signal,
                                                                    std::int64_t value) {
    const std::int64_t numerator = value - signal.value_offset;
    const std::int64_t scale = signal.value_scale;
    std::int64_t raw = 0;
    if (scale == 1) {
      raw = numerator;
    } else if (numerator >= 0) {
      raw = (numerator + scale / 2) / scale;
    } else {
      raw = -((-numerator + scale / 2) / scale);
    }
    if (raw < signal.raw_min) return signal.raw_min;
    if (raw > signal.raw_max) return signal.raw_max;
    return raw;
  }

 private:
  /// The low dlc bytes of a payload word (all eight from a dlc of 8 up).
  static constexpr std::uint64_t bytes_mask(std::uint8_t dlc) {
    return dlc >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8u * dlc)) - 1u;
  }

  [[gnu::always_inline]] static constexpr std::uint64_t mask_of(const CanSignal& signal) {
    return signal.length >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << signal.length) - 1u);
  }

  std::uint64_t bits_ = 0;
};

}  // namespace bts::firmware
