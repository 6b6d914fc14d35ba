// The slcan line protocol (src/io/can/slcan_codec.*, docs/protocols/slcan.md): frame lines both
// ways, the refusals, the bitrate settings with the S7 dialect trap, and the line splitter.
#include "io/can/slcan_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "can_frames.hpp"

namespace bts::io::slcan {
namespace {

using test::frame_of;

TEST(SlcanCodec, FormatsFramesAsPythonCanDoes) {
  EXPECT_EQ(format_frame_line(frame_of(0x4200, true, {0, 0, 0, 0, 0, 0, 0, 0})),
            "T0000420080000000000000000");
  EXPECT_EQ(format_frame_line(frame_of(0x351, false, {0xA0, 0x0F, 0x2C, 0x01})), "t3514A00F2C01");
  EXPECT_EQ(format_frame_line(frame_of(0x7FF, false, {})), "t7FF0");
  EXPECT_EQ(format_frame_line(frame_of(0x1FFFFFFF, true, {0xAB}), 1234), "T1FFFFFFF1AB04D2");
  EXPECT_EQ(format_frame_line(frame_of(0x123, false, {}), 60001), "t12300001") << "wraps at 60 s";
}

TEST(SlcanCodec, EveryLengthAndBothIdFormsRoundTrip) {
  for (const bool extended : {false, true}) {
    for (std::uint8_t dlc = 0; dlc <= 8; ++dlc) {
      std::vector<std::uint8_t> data;
      for (std::uint8_t k = 0; k < dlc; ++k)
        data.push_back(static_cast<std::uint8_t>(0x11 * k + 7));
      const CanFrame frame = frame_of(extended ? 0x18FF50E5 : 0x6A5, extended, data);
      const auto parsed = parse_frame_line(format_frame_line(frame));
      ASSERT_TRUE(parsed) << int(dlc);
      EXPECT_EQ(parsed->frame, frame);
      EXPECT_FALSE(parsed->remote);
      EXPECT_FALSE(parsed->timestamp_ms);
    }
  }
}

TEST(SlcanCodec, ReadsLowerCaseHexTimestampsAndRemoteFrames) {
  const auto lower = parse_frame_line("t1a22beef");
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->frame, frame_of(0x1A2, false, {0xBE, 0xEF}));
  const auto stamped = parse_frame_line("t1A22BEEFEA5F");
  ASSERT_TRUE(stamped);
  EXPECT_EQ(stamped->timestamp_ms, 59999);
  const auto remote = parse_frame_line("R123456784");
  ASSERT_TRUE(remote);
  EXPECT_TRUE(remote->remote);
  EXPECT_EQ(remote->frame.id, 0x12345678u);
  EXPECT_EQ(remote->frame.dlc, 4);
}

TEST(SlcanCodec, RefusesMalformedLines) {
  for (const char* line : {"", "t", "t12", "t123", "t1239", "t1231", "t12311", "t1231112",
                           "t800"
                           "0",
                           "T200000000", "tXYZ0", "t12320G00", "x1230", "T1234567", "t1232AABBEA60",
                           "t1232AABBC", "O", "S6", "t1232AABB0000FF"}) {
    EXPECT_FALSE(parse_frame_line(line)) << '"' << line << '"';
  }
}

TEST(SlcanCodec, BitrateSettingsWithTheS7DialectTrap) {
  EXPECT_EQ(bitrate_of_setting('6'), 500000u);
  EXPECT_EQ(bitrate_of_setting('0'), 10000u);
  EXPECT_EQ(bitrate_of_setting('8'), 1000000u);
  EXPECT_EQ(bitrate_of_setting('7', true), 750000u) << "CANable, python-can";
  EXPECT_EQ(bitrate_of_setting('7', false), 800000u) << "Lawicel, USBtin";
  EXPECT_FALSE(bitrate_of_setting('9'));
  EXPECT_EQ(setting_of_bitrate(500000), '6');
  EXPECT_EQ(setting_of_bitrate(125000), '4');
  EXPECT_FALSE(setting_of_bitrate(83333));
}

TEST(SlcanLineSplitter, CutsAtCrToleratesLfAndEmptyLinesAndDropsOverlongOnes) {
  LineSplitter splitter(12);
  std::vector<std::string> lines;
  auto keep = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.feed("\r\rC\rS6\rO\rO\rt12", keep);
  splitter.feed("30\n", keep);
  EXPECT_EQ(lines, (std::vector<std::string>{"C", "S6", "O", "O", "t1230"}));
  lines.clear();
  splitter.feed("T0000000000000000000000\rV\r", keep);
  EXPECT_EQ(lines, (std::vector<std::string>{"V"})) << "the overlong line is dropped whole";
  EXPECT_EQ(splitter.dropped_lines(), 1u);
}

}  // namespace
}  // namespace bts::io::slcan
