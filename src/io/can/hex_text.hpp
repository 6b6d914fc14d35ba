#pragma once
// Hex digits in the text formats of CAN tools (slcan lines, candump logs).
#include <cstdint>
#include <optional>
#include <string_view>

namespace bts::io {

/// 0..15 for a hex digit of either case, -1 otherwise.
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// The value of 1..8 hex digits (all of text), nothing if one is not a hex digit.
constexpr std::optional<std::uint32_t> parse_hex_digits(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  std::uint32_t value = 0;
  for (const char c : text) {
    const int digit = hex_digit_value(c);
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<std::uint32_t>(digit);
  }
  return value;
}

}  // namespace bts::io
