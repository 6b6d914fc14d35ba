// The host CAN transports (src/io/can/): the slcan virtual adapter on a pseudo-terminal driven by
// the project's own slcan host (the code that drives a real CANable), their errors, the symbolic
// link, SocketCAN where the kernel has it (skipped with the reason where it has not), and bus
// logs in candump -l format with their replay.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "can_frames.hpp"
#include "io/can/candump_log.hpp"
#include "io/can/slcan_pty_adapter.hpp"
#include "io/can/slcan_serial_host.hpp"
#include "io/can/socketcan_port.hpp"

namespace bts::io {
namespace {

using test::frame_of;

/// Runs both ends until `done` or 2 s pass; returns what each end received.
struct Exchange {
  std::vector<CanFrame> at_adapter;  // from the host, onto the "bus"
  std::vector<CanFrame> at_host;     // from the "bus", to the host
};
template <class Done>
Exchange pump(SlcanPtyAdapter& adapter, SlcanSerialHost& host, Done done) {
  Exchange exchange;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done(exchange) && std::chrono::steady_clock::now() < deadline) {
    adapter.receive(exchange.at_adapter, 0);
    host.receive(exchange.at_host, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return exchange;
}

std::string temporary_path(const std::string& name) {
  return ::testing::TempDir() + "bts_io_" + std::to_string(::getpid()) + "_" + name;
}

TEST(SlcanPtyAdapter, TheProjectsSlcanHostTalksToItBothWays) {
  SlcanPtyAdapter adapter;
  ASSERT_EQ(adapter.path().rfind("/dev/pts/", 0), 0u) << adapter.path();
  SlcanSerialHost host({adapter.path(), 500000});  // sends C, S6, O
  pump(adapter, host, [&](const Exchange&) { return adapter.device().is_open(); });
  ASSERT_TRUE(adapter.device().is_open()) << "the host opened the channel";
  const CanFrame poll = frame_of(0x4200, true, {0, 0, 0, 0, 0, 0, 0, 0});
  const CanFrame answer = frame_of(0x4210, true, {0xA0, 0x0F, 0xCC, 0x74, 0xE2, 0x04, 0x32, 0x64});
  const CanFrame standard = frame_of(0x351, false, {1, 2, 3});
  ASSERT_TRUE(host.send(poll, 0));
  ASSERT_TRUE(adapter.send(answer, 0));
  ASSERT_TRUE(adapter.send(standard, 0));
  const Exchange exchange = pump(adapter, host, [](const Exchange& e) {
    return e.at_adapter.size() >= 1 && e.at_host.size() >= 2;
  });
  ASSERT_EQ(exchange.at_adapter.size(), 1u);
  EXPECT_EQ(exchange.at_adapter[0], poll);
  ASSERT_EQ(exchange.at_host.size(), 2u);
  EXPECT_EQ(exchange.at_host[0], answer);
  EXPECT_EQ(exchange.at_host[1], standard);
  EXPECT_EQ(host.error_replies(), 0u);
}

/// A tool on the adapter's terminal at the byte level: raw, non-blocking, as pyserial opens it.
class RawTool {
 public:
  explicit RawTool(const std::string& path)
      : fd_(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK)) {
    termios settings{};
    if (fd_ >= 0 && ::tcgetattr(fd_, &settings) == 0) {
      ::cfmakeraw(&settings);
      ::tcsetattr(fd_, TCSANOW, &settings);
    }
  }
  ~RawTool() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawTool(const RawTool&) = delete;
  RawTool& operator=(const RawTool&) = delete;
  bool is_open() const { return fd_ >= 0; }
  /// Writes one command line and lets the adapter take it (and answer) before the next.
  void command(SlcanPtyAdapter& adapter, const std::string& line) {
    const std::string bytes = line + "\r";
    ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    std::vector<CanFrame> frames;
    for (int pass = 0; pass < 20; ++pass) {
      adapter.receive(frames, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  /// Everything waiting for the tool now.
  std::string read_all() {
    std::string text;
    char buffer[4096];
    for (ssize_t count; (count = ::read(fd_, buffer, sizeof buffer)) > 0;)
      text.append(buffer, static_cast<std::size_t>(count));
    return text;
  }

 private:
  int fd_;
};

TEST(SlcanPtyAdapter, OpeningTheChannelDiscardsNoAnswerTheToolMayBeReading) {
  // python-can opens with C, S6, O and may read between them: every answer stays readable (an
  // answer discarded after select() said it waits made pyserial report the device as gone).
  SlcanPtyAdapter adapter;
  RawTool tool(adapter.path());
  ASSERT_TRUE(tool.is_open());
  tool.command(adapter, "C");
  tool.command(adapter, "S6");
  tool.command(adapter, "O");
  ASSERT_TRUE(adapter.device().is_open());
  EXPECT_EQ(tool.read_all(), "\r\r\r");
  tool.command(adapter, "O");  // again, while open: still nothing discarded
  ASSERT_TRUE(adapter.send(frame_of(0x4210, true, {1, 2}), 0));
  EXPECT_EQ(tool.read_all(), "\rT0000421020102\r");
}

TEST(SlcanPtyAdapter, UnreadFramesOfAToolAreDiscardedWhenItClosesTheChannel) {
  SlcanPtyAdapter adapter;
  {
    RawTool first(adapter.path());
    first.command(adapter, "O");
    EXPECT_EQ(first.read_all(), "\r");
    for (int k = 0; k < 50; ++k) ASSERT_TRUE(adapter.send(frame_of(0x4210, true, {1, 2}), 0));
    first.command(adapter, "C");  // leaves without reading the 50 frames
  }
  RawTool next(adapter.path());
  EXPECT_EQ(next.read_all(), "\r") << "only the answer to the first tool's C";
  next.command(adapter, "C");
  next.command(adapter, "O");
  EXPECT_EQ(next.read_all(), "\r\r");
}

TEST(SlcanPtyAdapter, MakesAndRemovesItsLinkAndNeverReplacesAFile) {
  const std::string link = temporary_path("can-link");
  {
    SlcanPtyAdapter adapter({}, link);
    char target[256] = {};
    ASSERT_GT(::readlink(link.c_str(), target, sizeof target - 1), 0);
    EXPECT_EQ(std::string(target), adapter.path());
    SlcanPtyAdapter second({}, link);  // an old link is replaced
  }
  struct stat info {};
  EXPECT_NE(::lstat(link.c_str(), &info), 0) << "removed when the adapter goes";
  const std::string file = temporary_path("not-a-link");
  std::ofstream(file) << "keep me";
  try {
    SlcanPtyAdapter adapter({}, file);
    FAIL() << "replaced a regular file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("not a symbolic link"), std::string::npos)
        << error.what();
  }
  std::remove(file.c_str());
}

TEST(SlcanSerialHost, ClearErrorsForAMissingDeviceABusyOneAndABadBitrate) {
  try {
    SlcanSerialHost host({"/dev/ttyACM-missing-42", 500000});
    FAIL();
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("/dev/ttyACM-missing-42"), std::string::npos) << text;
    EXPECT_NE(text.find("plugged in"), std::string::npos) << text;
  }
  SlcanPtyAdapter adapter;
  SlcanSerialHost first({adapter.path(), 500000});
  try {
    SlcanSerialHost second({adapter.path(), 500000});
    FAIL() << "two programs on one adapter";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("in use"), std::string::npos) << error.what();
  }
  EXPECT_EQ(parse_serial_endpoint("/dev/ttyACM0@250000").bitrate, 250000u);
  EXPECT_EQ(parse_serial_endpoint("/dev/ttyACM0").bitrate, 500000u);
  try {
    parse_serial_endpoint("/dev/ttyACM0@83333");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("allowed 10000"), std::string::npos) << error.what();
  }
  EXPECT_THROW(parse_serial_endpoint("@500000"), std::invalid_argument);
  EXPECT_THROW(parse_serial_endpoint("/dev/x@fast"), std::invalid_argument);
}

TEST(SocketCan, LoopbackOnVcan0WhereTheKernelAllows) {
  const std::string unavailable = socketcan_unavailable_reason();
  if (!unavailable.empty()) GTEST_SKIP() << "SocketCAN not tested here: " << unavailable;
  try {
    SocketCanPort sender("vcan0");
    SocketCanPort receiver("vcan0");
    const CanFrame frame = frame_of(0x4210, true, {1, 2, 3, 4, 5, 6, 7, 8});
    ASSERT_TRUE(sender.send(frame, 0));
    std::vector<CanFrame> received;
    for (int k = 0; k < 200 && received.empty(); ++k) {
      receiver.receive(received, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0], frame);
  } catch (const std::runtime_error& error) {
    GTEST_SKIP() << "SocketCAN present but no vcan0 to test on: " << error.what();
  }
}

TEST(SocketCan, AMissingInterfaceOrKernelSupportIsNamedInTheError) {
  try {
    SocketCanPort port("nosuchcan7");
    FAIL();
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("nosuchcan7"), std::string::npos) << text;
  }
  EXPECT_THROW(SocketCanPort("an-interface-name-too-long"), std::runtime_error);
}

TEST(CandumpLog, LinesInCanUtilsFormatBothWays) {
  LoggedFrame entry{1700000000.123456, "can0", frame_of(0x4210, true, {0xA0, 0x0F}), false};
  EXPECT_EQ(format_candump_line(entry), "(1700000000.123456) can0 00004210#A00F");
  EXPECT_EQ(format_candump_line({0.5, "vcan1", frame_of(0x351, false, {}), false}),
            "(0.500000) vcan1 351#");
  const auto parsed = parse_candump_line("(1700000000.123456) can0 00004210#a00f\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->frame, entry.frame);
  EXPECT_NEAR(parsed->time_s, entry.time_s, 1e-6);
  EXPECT_EQ(parsed->interface_name, "can0");
  const auto remote = parse_candump_line("(1.0) can0 123#R");
  ASSERT_TRUE(remote);
  EXPECT_TRUE(remote->remote);
  EXPECT_TRUE(parse_candump_line("(1.000000) can0 123#11 R")) << "a trailing flags field";
  for (const char* bad :
       {"", "1.0 can0 123#", "(x) can0 123#", "(1.0)can0 123#", "(1.0) can0 1234#",
        "(1.0) can0 800#", "(1.0) can0 123#1", "(1.0) can0 123#001122334455667788",
        "(1.0) can0 123#GG", "(-1.0) can0 123#", "(1.0) can0"}) {
    EXPECT_FALSE(parse_candump_line(bad)) << '"' << bad << '"';
  }
}

TEST(CandumpLog, WrittenLogIsReplayedAtItsPaceWithOnlyTheWantedFrames) {
  const std::string path = temporary_path("bus.log");
  {
    CandumpWriter writer(path);
    writer.write(1000.0, frame_of(0x4200, true, {0, 0, 0, 0, 0, 0, 0, 0}));
    writer.write(1000.001, frame_of(0x4210, true, {1}));  // the battery's answer
    writer.write(1001.0, frame_of(0x4200, true, {2, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(writer.frames_written(), 3u);
  }
  CandumpReplayPort replay(path, [](const CanFrame& frame) { return frame.id == 0x4200; });
  EXPECT_EQ(replay.frames_in_log(), 2u);
  EXPECT_EQ(replay.skipped(), 1u);
  std::vector<CanFrame> frames;
  replay.receive(frames, 0);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].data[0], 0);
  replay.receive(frames, 999);
  EXPECT_EQ(frames.size(), 1u) << "the second poll came a second later";
  replay.receive(frames, 1000);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].data[0], 2);
  EXPECT_TRUE(replay.finished());
  EXPECT_NEAR(replay.duration_s(), 1.0, 1e-6);
  std::remove(path.c_str());
}

TEST(CandumpLog, ABadLineIsRefusedWithFileAndLine) {
  const std::string path = temporary_path("bad.log");
  std::ofstream(path) << "(1.0) can0 00004200#0000000000000000\n\n(2.0) can0 nonsense\n";
  try {
    CandumpReplayPort replay(path, [](const CanFrame&) { return true; });
    FAIL();
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find(path + ", line 3"), std::string::npos) << text;
  }
  EXPECT_THROW(CandumpReplayPort("/nonexistent/bus.log", [](const CanFrame&) { return true; }),
               std::runtime_error);
  EXPECT_THROW(CandumpWriter("/nonexistent/dir/bus.log"), std::runtime_error);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bts::io
