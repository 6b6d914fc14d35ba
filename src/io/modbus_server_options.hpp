#pragma once
// How the Modbus server is reached: TCP (host:port) or RTU (serial device, baud, framing, unit
// id), and whether writes to the SunSpec control points are accepted. validate() refuses bad
// values with a message naming the option and the allowed range.
#include <stdexcept>
#include <string>

namespace bts::io {

/// Every refusal of the Modbus server: bad options, a busy port, a missing serial device.
class ModbusServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ModbusTransport { Tcp, Rtu };

struct ModbusServerOptions {
  ModbusTransport transport = ModbusTransport::Tcp;
  // TCP
  std::string host = "127.0.0.1";  // an IPv4 address to bind; 0.0.0.0 for every interface
  int port = 1502;                 // 0: any free port (ModbusServer::tcp_port() tells which)
  int max_tcp_clients = 8;         // further connections are closed at once
  // RTU
  std::string device;  // e.g. /dev/ttyUSB0
  int baud = 9600;
  char parity = 'N';  // N, E or O
  int data_bits = 8;
  int stop_bits = 1;
  // Both
  int unit_id = 1;  // RTU answers only this unit (and broadcasts to 0); TCP answers any unit id
  bool writes_enabled = false;

  /// Throws ModbusServerError naming the first bad option and its allowed values.
  void validate() const;
  /// "127.0.0.1:1502" or "/dev/ttyUSB0 9600 8N1 unit 1".
  std::string endpoint() const;
};

}  // namespace bts::io
