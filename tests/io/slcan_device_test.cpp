// The slcan virtual adapter's behaviour (src/io/can/slcan_device.*): what a CANable does with
// python-can's start-up sequence, frames to and from the bus, the commands tools send, and the
// traps (duplicate O, S7, a wrong bitrate, acknowledgement styles, listen-only, timestamps).
#include "io/can/slcan_device.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bts::io::slcan {
namespace {

const std::string kOk = "\r";
const std::string kError = "\a";

CanFrame poll_frame() {
  CanFrame frame;
  frame.id = 0x4200;
  frame.dlc = 8;
  return frame;
}

TEST(SlcanDevice, PythonCanStartUpSequenceIsAcceptedIncludingTheSecondOpen) {
  Device device;
  EXPECT_EQ(device.handle_line("C").text, kOk);
  EXPECT_EQ(device.handle_line("S6").text, kOk);
  EXPECT_EQ(device.handle_line("O").text, kOk);
  EXPECT_EQ(device.handle_line("O").text, kOk) << "python-can 4.1 opens twice";
  EXPECT_TRUE(device.is_open());
  EXPECT_EQ(device.bitrate(), 500000u);
}

TEST(SlcanDevice, FramesPassOnlyWhileOpenAndAreAcknowledged) {
  Device device;
  Device::Reply closed = device.handle_line("T0000420080000000000000000");
  EXPECT_EQ(closed.text, kError);
  EXPECT_FALSE(closed.to_bus);
  EXPECT_FALSE(device.line_for_host(poll_frame(), 0)) << "a closed channel reports nothing";
  device.handle_line("O");
  Device::Reply open = device.handle_line("T0000420080000000000000000");
  EXPECT_EQ(open.text, kOk);
  ASSERT_TRUE(open.to_bus);
  EXPECT_EQ(*open.to_bus, poll_frame());
  EXPECT_EQ(device.line_for_host(poll_frame(), 0), "T0000420080000000000000000\r");
  EXPECT_EQ(device.frames_from_host(), 1u);
  EXPECT_EQ(device.frames_to_host(), 1u);
  device.handle_line("C");
  EXPECT_FALSE(device.line_for_host(poll_frame(), 0));
}

TEST(SlcanDevice, CanusbStyleAcknowledgesWithZ) {
  DeviceOptions options;
  options.ack_with_z = true;
  Device device(options);
  device.handle_line("O");
  EXPECT_EQ(device.handle_line("t1230").text, "z\r");
  EXPECT_EQ(device.handle_line("T000001230").text, "Z\r");
}

TEST(SlcanDevice, ListenOnlyRefusesToTransmit) {
  Device device;
  EXPECT_EQ(device.handle_line("L").text, kOk);
  EXPECT_TRUE(device.listen_only());
  EXPECT_EQ(device.handle_line("t1230").text, kError);
  EXPECT_TRUE(device.line_for_host(poll_frame(), 0)) << "it still hears the bus";
}

TEST(SlcanDevice, BitrateOnlyWhileClosedAndAWrongOneCutsTheAdapterOffTheBus) {
  Device device;
  EXPECT_EQ(device.handle_line("S5").text, kOk);  // 250 kbit/s on a 500 kbit/s bus
  EXPECT_EQ(device.handle_line("O").text, kOk);
  EXPECT_EQ(device.handle_line("S6").text, kError) << "no bitrate change while open";
  const Device::Reply reply = device.handle_line("T0000420080000000000000000");
  EXPECT_EQ(reply.text, kOk) << "queued, as a real adapter would";
  EXPECT_FALSE(reply.to_bus) << "but it never reaches a bus at another bitrate";
  EXPECT_FALSE(device.line_for_host(poll_frame(), 0));
  EXPECT_EQ(device.handle_line("F").text, "FA0\r") << "bus error + error passive";
  device.handle_line("C");
  EXPECT_EQ(device.handle_line("S9").text, kError);
  EXPECT_EQ(device.handle_line("S").text, kError);
  EXPECT_EQ(device.handle_line("S7").text, kOk);
  EXPECT_EQ(device.bitrate(), 750000u);
  EXPECT_EQ(device.handle_line("s001C").text, kOk) << "bit timing registers";
  EXPECT_TRUE(device.bitrate_matches_bus());
  EXPECT_EQ(device.handle_line("s00").text, kError);
}

TEST(SlcanDevice, S7IsEightHundredKilobitInTheLawicelDialect) {
  DeviceOptions options;
  options.s7_is_750k = false;
  Device device(options);
  device.handle_line("S7");
  EXPECT_EQ(device.bitrate(), 800000u);
}

TEST(SlcanDevice, VersionSerialAndStatusLinesHaveTheShapesToolsParse) {
  Device device;
  // python-can's get_version() wants "V" + two decimal pairs, get_serial_number() 6 characters.
  EXPECT_EQ(device.handle_line("V").text, "V1013\r");
  EXPECT_EQ(device.handle_line("v").text, "v1013\r");
  EXPECT_EQ(device.handle_line("N").text, "NBTS1\r");
  EXPECT_EQ(device.handle_line("F").text, "F00\r");
  device.flag_status(status_bit::kRxQueueFull | status_bit::kDataOverrun);
  EXPECT_EQ(device.handle_line("F").text, "F09\r");
  EXPECT_EQ(device.handle_line("F").text, "F00\r") << "read clears";
}

TEST(SlcanDevice, TimestampsAreAppendedInMillisecondsWrappingAtSixtySeconds) {
  Device device;
  device.handle_line("O");
  EXPECT_EQ(device.handle_line("Z1").text, kOk);
  EXPECT_EQ(device.line_for_host(poll_frame(), 61234), "T000042008000000000000000004D2\r");
  EXPECT_EQ(device.handle_line("Z0").text, kOk);
  EXPECT_EQ(device.line_for_host(poll_frame(), 61234), "T0000420080000000000000000\r");
  EXPECT_EQ(device.handle_line("Z2").text, kError);
}

TEST(SlcanDevice, AcceptanceRegistersRemoteFramesAndUnknownCommands) {
  Device device;
  EXPECT_EQ(device.handle_line("M00000000").text, kOk);
  EXPECT_EQ(device.handle_line("mFFFFFFFF").text, kOk);
  EXPECT_EQ(device.handle_line("M0000").text, kError);
  device.handle_line("O");
  const Device::Reply remote = device.handle_line("r1238");
  EXPECT_EQ(remote.text, kOk);
  EXPECT_FALSE(remote.to_bus) << "no node on the battery's buses answers remote frames";
  EXPECT_EQ(device.remote_frames_dropped(), 1u);
  EXPECT_EQ(device.handle_line("P").text, kError);
  EXPECT_EQ(device.handle_line("Q1").text, kError);
  EXPECT_EQ(device.handle_line("").text, "") << "a lone CR is tolerated";
  EXPECT_EQ(device.handle_line("t1230EA5F").text, kError) << "hosts send no timestamps";
}

}  // namespace
}  // namespace bts::io::slcan
