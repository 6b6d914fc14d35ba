#pragma once
// A single-threaded Modbus server (TCP or RTU, with libmodbus) that answers from the SunSpec map
// (firmware/inverter/sunspec_map.hpp). The owner calls, from one thread:
//   publish(values)            whenever the BDU values change (each cycle),
//   serve(budget)              to accept clients and answer what is pending, for at most budget
//                              (it waits in poll(), answering each request as it arrives),
//   take_control_requests()    to collect what accepted writes asked (alarm reset, heartbeat ...).
// Refused writes answer a Modbus exception and change nothing. docs/protocols/sunspec.md.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "firmware/inverter/modbus_pdu.hpp"
#include "firmware/inverter/sunspec_map.hpp"
#include "io/modbus_frames.hpp"
#include "io/modbus_server_options.hpp"

struct _modbus;  // libmodbus context (modbus_t)

namespace bts::io {

/// RTU: bytes that have not made a frame after this much silence are dropped (3.5 characters
/// at 9600 baud is 4 ms; USB serial adapters deliver in bursts up to 16 ms apart).
inline constexpr int kRtuSilence_ms = 50;

struct ModbusServerStats {
  std::uint64_t requests = 0;    // request PDUs answered (exceptions included)
  std::uint64_t exceptions = 0;  // of which answered with an exception
  std::uint64_t writes_accepted = 0;
  std::uint64_t clients_accepted = 0;  // TCP
  std::uint64_t clients_closed = 0;    // TCP: disconnects, bad frames, clients over the limit
  std::uint64_t frames_discarded = 0;  // RTU: bytes that made no frame before a silence
};

class ModbusServer {
 public:
  /// Opens the port (TCP: listens; RTU: opens and configures the device). Throws
  /// ModbusServerError for bad options, a port in use, a missing or unusable serial device.
  explicit ModbusServer(const ModbusServerOptions& options);
  ~ModbusServer();
  ModbusServer(const ModbusServer&) = delete;
  ModbusServer& operator=(const ModbusServer&) = delete;

  /// New values for the map; the control points keep what controllers wrote.
  void publish(const firmware::sunspec::SunSpecValues& values);
  /// Accepts clients and answers requests until budget has passed (0: only what is pending now).
  /// Returns the number of requests answered.
  int serve(std::chrono::milliseconds budget);
  /// What accepted writes asked since the last call, oldest first.
  std::vector<firmware::sunspec::ControlRequest> take_control_requests();

  /// The TCP port listened on (useful with port 0); 0 for RTU.
  int tcp_port() const { return tcp_port_; }
  /// "127.0.0.1:1502" or "/dev/ttyUSB0 9600 8N1 unit 1".
  const std::string& endpoint() const { return endpoint_; }
  const ModbusServerStats& stats() const { return stats_; }
  const firmware::sunspec::SunSpecMap& map() const { return *map_; }

 private:
  struct TcpClient {
    int fd = -1;
    std::array<std::uint8_t, 2 * kMaxTcpAduBytes> buffer{};
    std::size_t used = 0;
  };

  void open_tcp();
  void open_rtu();
  void accept_client();
  bool serve_client(TcpClient& client);  // false: close it
  void serve_serial();
  void close_client(TcpClient& client);
  /// Answers one PDU from the map; applies and queues the requests of an accepted write.
  std::size_t answer(std::span<const std::uint8_t> pdu,
                     std::span<std::uint8_t, firmware::modbus::kMaxPduBytes> response);
  void rebuild_map();

  struct ContextDeleter {
    void operator()(_modbus* context) const;  // modbus_close and modbus_free
  };

  ModbusServerOptions options_;
  std::unique_ptr<_modbus, ContextDeleter> context_;  // freed also when the constructor throws
  int listen_fd_ = -1;
  int serial_fd_ = -1;
  std::array<std::uint8_t, 2 * kMaxRtuAduBytes> serial_buffer_{};
  std::size_t serial_used_ = 0;
  std::chrono::steady_clock::time_point last_serial_byte_{};
  int tcp_port_ = 0;
  std::string endpoint_;
  std::vector<TcpClient> clients_;
  firmware::sunspec::SunSpecValues values_{};
  std::unique_ptr<firmware::sunspec::SunSpecMap> map_;
  std::vector<firmware::sunspec::ControlRequest> pending_;
  ModbusServerStats stats_;
};

}  // namespace bts::io
