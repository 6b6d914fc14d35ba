// Bad Modbus server options are refused with a message naming the option and what is allowed;
// a serial device that is missing or is not a serial device is a clear error too.
#include "io/modbus_server_options.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "io/modbus_server.hpp"

namespace bts::io {
namespace {

std::string refusal(const ModbusServerOptions& options) {
  try {
    ModbusServer server(options);
  } catch (const ModbusServerError& error) {
    return error.what();
  }
  return "(accepted)";
}

ModbusServerOptions rtu(const std::string& device) {
  ModbusServerOptions options;
  options.transport = ModbusTransport::Rtu;
  options.device = device;
  return options;
}

struct Refusal {
  std::function<void(ModbusServerOptions&)> change;  // one bad option on good ones
  std::string message;
};

void expect_refusals(const ModbusServerOptions& good, const std::vector<Refusal>& refusals) {
  for (const Refusal& refusal_case : refusals) {
    ModbusServerOptions options = good;
    refusal_case.change(options);
    EXPECT_EQ(refusal(options), refusal_case.message);
  }
}

TEST(ModbusServerOptions, TcpRefusals) {
  ModbusServerOptions good;
  good.port = 0;
  expect_refusals(
      good,
      {{[](auto& o) { o.unit_id = 0; }, "Modbus unit id 0 is outside 1..247"},
       {[](auto& o) { o.unit_id = 248; }, "Modbus unit id 248 is outside 1..247"},
       {[](auto& o) { o.host = "localhost"; },
        "Modbus TCP host 'localhost' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)"},
       {[](auto& o) { o.port = 70000; }, "Modbus TCP port 70000 is outside 0..65535"},
       {[](auto& o) { o.max_tcp_clients = 0; }, "Modbus TCP client limit 0 is outside 1..64"}});
}

TEST(ModbusServerOptions, RtuRefusals) {
  expect_refusals(
      rtu("/dev/ttyUSB0"),
      {{[](auto& o) { o.device.clear(); }, "Modbus RTU needs a serial device (e.g. /dev/ttyUSB0)"},
       {[](auto& o) { o.baud = 1234; },
        "Modbus RTU baud 1234 is not supported: use one of 1200, 2400, 4800, 9600, 19200, "
        "38400, 57600, 115200, 230400"},
       {[](auto& o) { o.parity = 'X'; }, "Modbus RTU parity 'X' is not N, E or O"},
       {[](auto& o) { o.data_bits = 9; }, "Modbus RTU data bits 9 is not 7 or 8"},
       {[](auto& o) { o.stop_bits = 3; }, "Modbus RTU stop bits 3 is not 1 or 2"}});
}

TEST(ModbusServerOptions, MissingSerialDevice) {
  EXPECT_EQ(refusal(rtu("/dev/bts-no-such-serial-port")),
            "serial device /dev/bts-no-such-serial-port does not exist");
}

TEST(ModbusServerOptions, DeviceThatIsNotASerialPort) {
  EXPECT_EQ(refusal(rtu("/dev/null")), "/dev/null is not a serial device");
}

TEST(ModbusServerOptions, EndpointNamesTheConnection) {
  ModbusServerOptions options = rtu("/dev/ttyUSB0");
  options.baud = 19200;
  options.parity = 'E';
  options.unit_id = 3;
  EXPECT_EQ(options.endpoint(), "/dev/ttyUSB0 19200 8E1 unit 3");
  EXPECT_EQ(ModbusServerOptions{}.endpoint(), "127.0.0.1:1502");
}

}  // namespace
}  // namespace bts::io
