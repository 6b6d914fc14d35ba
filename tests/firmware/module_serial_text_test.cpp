// The module serial text the BDU puts in the Sofar serial reply: "BTS" and eight upper-case
// hexadecimal digits, exactly what printf's "BTS%08X" gives.
#include "firmware/bdu/module_serial_text.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace bts::firmware {
namespace {

std::string text_of(std::uint32_t serial_number) {
  const auto text = module_serial_text(serial_number);
  return std::string(text.data(), text.size());
}

TEST(ModuleSerialText, IsBtsAndEightUpperCaseHexDigits) {
  EXPECT_EQ(text_of(0xB0010001u), "BTSB0010001");
  EXPECT_EQ(text_of(0u), "BTS00000000");
  EXPECT_EQ(text_of(0xFFFFFFFFu), "BTSFFFFFFFF");
  EXPECT_EQ(text_of(0x00ABCDEFu), "BTS00ABCDEF");  // leading zeros kept
}

TEST(ModuleSerialText, EqualsPrintfForEveryDigitInEveryPosition) {
  for (unsigned position = 0; position < 8; ++position) {
    for (std::uint32_t digit = 0; digit < 16; ++digit) {
      const std::uint32_t serial_number = (digit << (4 * position)) | 0x10000001u;
      char expected[16];
      std::snprintf(expected, sizeof expected, "BTS%08X", serial_number);
      EXPECT_EQ(text_of(serial_number), expected);
    }
  }
}

static_assert(module_serial_text(0x12345678u)[3] == '1' &&
              module_serial_text(0x12345678u)[10] == '8');

}  // namespace
}  // namespace bts::firmware
