// `bts run` refusing what it cannot do, before it starts: every bad option gets exit code 2 and a
// message naming the option and what is allowed. (The live runs themselves are driven from
// python-can in tests/integration/.)
#include <gtest/gtest.h>

#include <string>

#include "bts_process.hpp"

namespace {

using bts::testing_support::run_bts;

void expect_refused(const std::string& arguments, const std::string& message) {
  const auto result = run_bts("run --duration 1s " + arguments);
  EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.output;
  EXPECT_NE(result.output.find(message), std::string::npos)
      << arguments << ": expected \"" << message << "\" in\n"
      << result.output;
}

TEST(BtsRun, RefusesBadOptionsBeforeStarting) {
  expect_refused("--can slcan-pty", "--inverter is required");
  expect_refused("--inverter growatt --can slcan-pty", "use pylon-hv or sofar");
  expect_refused("--inverter pylon-hv --pylon-dialect nope --can slcan-pty",
                 "use one of spec, sofar-hyd");
  expect_refused("--inverter sofar", "--can: give the CAN port");
  expect_refused("--inverter sofar --can usb", "use slcan-pty, slcan:DEVICE@BITRATE");
  expect_refused("--inverter sofar --can slcan:/dev/ttyACM-missing-7@500000", "plugged in");
  expect_refused("--inverter sofar --can slcan:/dev/ttyACM0@83333", "allowed 10000");
  expect_refused("--inverter sofar --can replay:/nonexistent/bus.log", "cannot read the CAN log");
  expect_refused("--inverter sofar --can socketcan:nosuchcan7", "nosuchcan7");
  expect_refused("--inverter sofar --can slcan-pty --speed 0", "--speed");
  expect_refused("--inverter sofar --can slcan-pty --inverter-timeout 30", "--inverter-timeout");
  expect_refused("--inverter sofar --can slcan-pty --system e99", "e99");
  expect_refused("--inverter sofar --can slcan-pty --log-can /nonexistent/dir/can.log",
                 "cannot write the CAN log");
}

}  // namespace
