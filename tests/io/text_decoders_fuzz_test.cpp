// Deterministic fuzzing of the text decoders a host tool feeds: slcan lines (the virtual adapter
// takes whatever a program writes to its terminal) and candump log lines (replayed logs come from
// anywhere). Seeded random text and mutations of valid lines are fed in; each target checks that
//   - nothing crashes or reads out of bounds (the sanitizer build runs these as ordinary tests),
//   - an accepted frame line formats back to a line that parses to the same frame,
//   - the adapter answers every line with CR, BEL, a status/version line or nothing, and only
//     an accepted data frame reaches the bus.
// BTS_FUZZ_ITERATIONS sets the inputs per target (default 100 000).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "io/can/candump_log.hpp"
#include "io/can/slcan_codec.hpp"
#include "io/can/slcan_device.hpp"

namespace bts::io {
namespace {

std::uint64_t iterations() {
  const char* text = std::getenv("BTS_FUZZ_ITERATIONS");
  const unsigned long long value = text != nullptr ? std::strtoull(text, nullptr, 10) : 0;
  return value > 0 ? value : 100'000;
}

const std::string kAlphabet = "0123456789ABCDEFabcdefTtRrOCLSsFVvNZMm#() .\r\a\n-xG";

/// A random line, or a valid one with a few characters changed, inserted or removed.
std::string next_input(std::mt19937_64& random, const std::vector<std::string>& seeds) {
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string text;
  if (random() % 3 == 0) {
    const std::size_t length = random() % 40;
    for (std::size_t k = 0; k < length; ++k) text.push_back(kAlphabet[pick(random)]);
    return text;
  }
  text = seeds[random() % seeds.size()];
  const int edits = 1 + static_cast<int>(random() % 3);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = text.empty() ? 0 : random() % (text.size() + 1);
    switch (random() % 3) {
      case 0:
        if (at < text.size()) text[at] = kAlphabet[pick(random)];
        break;
      case 1:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), kAlphabet[pick(random)]);
        break;
      default:
        if (at < text.size()) text.erase(at, 1);
    }
  }
  return text;
}

TEST(TextDecodersFuzz, SlcanFrameLinesRoundTripWhenAccepted) {
  std::mt19937_64 random(0x51CA);
  const std::vector<std::string> seeds = {"T0000420080000000000000000",
                                          "t3514A00F2C01",
                                          "r1238",
                                          "R123456784",
                                          "t1A22BEEFEA5F",
                                          "t7FF0"};
  std::uint64_t accepted = 0;
  for (std::uint64_t k = 0; k < iterations(); ++k) {
    const std::string line = next_input(random, seeds);
    const auto parsed = slcan::parse_frame_line(line);
    if (!parsed) continue;
    ++accepted;
    ASSERT_LE(parsed->frame.dlc, 8);
    ASSERT_LE(parsed->frame.id, parsed->frame.extended ? 0x1FFFFFFFu : 0x7FFu);
    if (parsed->remote) continue;
    const auto again = slcan::parse_frame_line(slcan::format_frame_line(parsed->frame));
    ASSERT_TRUE(again) << line;
    ASSERT_EQ(again->frame, parsed->frame) << line;
  }
  EXPECT_GT(accepted, iterations() / 20) << "the mutations still reach the accepting paths";
}

TEST(TextDecodersFuzz, SlcanAdapterAnswersEveryLineSafely) {
  std::mt19937_64 random(0xADA9);
  const std::vector<std::string> seeds = {"O",
                                          "C",
                                          "S6",
                                          "L",
                                          "F",
                                          "V",
                                          "N",
                                          "Z1",
                                          "M00000000",
                                          "T0000420080000000000000000",
                                          "t3514A00F2C01",
                                          "s001C"};
  slcan::Device device;
  slcan::LineSplitter splitter(slcan::kMaxLineLength + 8);
  std::uint64_t to_bus = 0;
  for (std::uint64_t k = 0; k < iterations(); ++k) {
    const std::string bytes = next_input(random, seeds) + (random() % 4 == 0 ? "" : "\r");
    splitter.feed(bytes, [&](std::string_view line) {
      const slcan::Device::Reply reply = device.handle_line(line);
      const bool known_reply = reply.text.empty() || reply.text == "\r" || reply.text == "\a" ||
                               reply.text == "z\r" || reply.text == "Z\r" ||
                               (reply.text.size() >= 4 && reply.text.back() == '\r');
      ASSERT_TRUE(known_reply) << line;
      if (reply.to_bus) {
        ++to_bus;
        const auto parsed = slcan::parse_frame_line(line);
        ASSERT_TRUE(parsed && !parsed->remote) << line;
        ASSERT_EQ(*reply.to_bus, parsed->frame);
      }
    });
  }
  EXPECT_GT(to_bus, 0u);
}

TEST(TextDecodersFuzz, CandumpLinesRoundTripWhenAccepted) {
  std::mt19937_64 random(0xCA4D);
  const std::vector<std::string> seeds = {"(1700000000.123456) can0 00004210#A00FCC74E2043264",
                                          "(0.500000) vcan1 351#", "(1.0) can0 123#R",
                                          "(12.000001) slcan0 7FF#0102030405060708"};
  std::uint64_t accepted = 0;
  for (std::uint64_t k = 0; k < iterations(); ++k) {
    const std::string line = next_input(random, seeds);
    const auto parsed = parse_candump_line(line);
    if (!parsed) continue;
    ++accepted;
    ASSERT_LE(parsed->frame.dlc, 8);
    const auto again = parse_candump_line(format_candump_line(*parsed));
    ASSERT_TRUE(again) << line;
    ASSERT_EQ(again->frame, parsed->frame) << line;
    ASSERT_EQ(again->remote, parsed->remote) << line;
  }
  EXPECT_GT(accepted, iterations() / 50);
}

}  // namespace
}  // namespace bts::io
