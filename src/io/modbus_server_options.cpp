#include "io/modbus_server_options.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace bts::io {
namespace {

constexpr std::array<int, 9> kBauds{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400};
constexpr int kMaxUnitId = 247;  // 248..255 are reserved, 0 is broadcast
constexpr int kMaxTcpClients = 64;

std::string baud_list() {
  std::string text;
  for (const int baud : kBauds) text += (text.empty() ? "" : ", ") + std::to_string(baud);
  return text;
}

void require(bool condition, const std::string& message) {
  if (!condition) throw ModbusServerError(message);
}

}  // namespace

void ModbusServerOptions::validate() const {
  require(unit_id >= 1 && unit_id <= kMaxUnitId,
          "Modbus unit id " + std::to_string(unit_id) + " is outside 1..247");
  if (transport == ModbusTransport::Tcp) {
    in_addr address{};
    require(inet_pton(AF_INET, host.c_str(), &address) == 1,
            "Modbus TCP host '" + host + "' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)");
    require(port >= 0 && port <= 65535,
            "Modbus TCP port " + std::to_string(port) + " is outside 0..65535");
    require(max_tcp_clients >= 1 && max_tcp_clients <= kMaxTcpClients,
            "Modbus TCP client limit " + std::to_string(max_tcp_clients) + " is outside 1..64");
    return;
  }
  require(!device.empty(), "Modbus RTU needs a serial device (e.g. /dev/ttyUSB0)");
  require(
      std::find(kBauds.begin(), kBauds.end(), baud) != kBauds.end(),
      "Modbus RTU baud " + std::to_string(baud) + " is not supported: use one of " + baud_list());
  require(parity == 'N' || parity == 'E' || parity == 'O',
          std::string("Modbus RTU parity '") + parity + "' is not N, E or O");
  require(data_bits == 7 || data_bits == 8,
          "Modbus RTU data bits " + std::to_string(data_bits) + " is not 7 or 8");
  require(stop_bits == 1 || stop_bits == 2,
          "Modbus RTU stop bits " + std::to_string(stop_bits) + " is not 1 or 2");
}

std::string ModbusServerOptions::endpoint() const {
  if (transport == ModbusTransport::Tcp) return host + ":" + std::to_string(port);
  return device + " " + std::to_string(baud) + " " + std::to_string(data_bits) + parity +
         std::to_string(stop_bits) + " unit " + std::to_string(unit_id);
}

}  // namespace bts::io
