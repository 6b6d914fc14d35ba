#pragma once
// A module's serial number as the inverter sees it in the Sofar serial reply: "BTS" and the
// number in eight upper-case hexadecimal digits (0xB0010001 -> "BTSB0010001"). Written out by
// hand: the BDU answers these inquiries many times a second, and a printf costs more than the
// rest of the reply.
#include <array>
#include <cstddef>
#include <cstdint>

namespace bts::firmware {

inline constexpr std::size_t kModuleSerialTextLength = 11;  // "BTS" + 8 digits, no terminator

constexpr std::array<char, kModuleSerialTextLength> module_serial_text(
    std::uint32_t serial_number) {
  constexpr char kHexDigits[] = "0123456789ABCDEF";
  constexpr std::size_t kPrefixLength = 3;
  constexpr std::size_t kDigits = kModuleSerialTextLength - kPrefixLength;
  std::array<char, kModuleSerialTextLength> text{'B', 'T', 'S'};
  for (std::size_t digit = 0; digit < kDigits; ++digit) {
    const unsigned shift = static_cast<unsigned>(4 * (kDigits - 1 - digit));
    text[kPrefixLength + digit] = kHexDigits[(serial_number >> shift) & 0xFu];
  }
  return text;
}

}  // namespace bts::firmware
