#include "io/modbus_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bts::io {
namespace {

using firmware::sunspec::ControlRequest;
using firmware::sunspec::ControlRequests;
using firmware::sunspec::SunSpecMap;
using firmware::sunspec::SunSpecValues;
using Clock = std::chrono::steady_clock;

constexpr int kWriteTimeout_ms = 200;  // a serial line that takes no more bytes

std::string system_error(int error) { return std::strerror(error); }

void set_non_blocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

/// Writes all of data, waiting (bounded) while the device's buffer is full.
bool write_all(int fd, std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written > 0) {
      data = data.subspan(static_cast<std::size_t>(written));
      continue;
    }
    if (written < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd ready{fd, POLLOUT, 0};
    if (poll(&ready, 1, kWriteTimeout_ms) <= 0) return false;
  }
  return true;
}

std::string serial_open_error(const std::string& device, int error) {
  switch (error) {
    case ENOENT:
      return "serial device " + device + " does not exist";
    case EACCES:
      return "serial device " + device + ": permission denied (is the user in group dialout?)";
    case ENOTTY:
    case EINVAL:
      return device + " is not a serial device";
    default:
      return "serial device " + device + ": " + system_error(error);
  }
}

}  // namespace

ModbusServer::ModbusServer(const ModbusServerOptions& options) : options_(options) {
  options_.validate();
  endpoint_ = options_.endpoint();
  rebuild_map();
  if (options_.transport == ModbusTransport::Tcp) {
    open_tcp();
  } else {
    open_rtu();
  }
}

void ModbusServer::ContextDeleter::operator()(_modbus* context) const {
  modbus_close(context);
  modbus_free(context);
}

ModbusServer::~ModbusServer() {
  for (TcpClient& client : clients_) close_client(client);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void ModbusServer::open_tcp() {
  context_.reset(modbus_new_tcp(options_.host.c_str(), options_.port));
  if (context_ == nullptr)
    throw ModbusServerError("Modbus TCP " + endpoint_ + ": " + modbus_strerror(errno));
  listen_fd_ = modbus_tcp_listen(context_.get(), options_.max_tcp_clients);
  if (listen_fd_ < 0) {
    const int error = errno;
    if (error == EADDRINUSE) throw ModbusServerError(endpoint_ + " is in use");
    if (error == EACCES)
      throw ModbusServerError(endpoint_ + ": permission denied (ports below 1024 need root)");
    throw ModbusServerError("Modbus TCP " + endpoint_ + ": " + modbus_strerror(error));
  }
  set_non_blocking(listen_fd_);
  sockaddr_in bound{};
  socklen_t size = sizeof(bound);
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &size) == 0)
    tcp_port_ = ntohs(bound.sin_port);
  endpoint_ = options_.host + ":" + std::to_string(tcp_port_);
}

void ModbusServer::open_rtu() {
  context_.reset(modbus_new_rtu(options_.device.c_str(), options_.baud, options_.parity,
                                options_.data_bits, options_.stop_bits));
  if (context_ == nullptr)
    throw ModbusServerError("Modbus RTU " + endpoint_ + ": " + modbus_strerror(errno));
  if (modbus_connect(context_.get()) < 0)
    throw ModbusServerError(serial_open_error(options_.device, errno));
  // libmodbus opened and configured the line; framing is ours (next_rtu_frame), because
  // modbus_receive drops the request after one addressed to another unit.
  serial_fd_ = modbus_get_socket(context_.get());
  set_non_blocking(serial_fd_);
}

void ModbusServer::publish(const SunSpecValues& values) {
  const SunSpecValues previous = values_;
  values_ = values;
  for (std::size_t bdu = 0; bdu < values_.bdus.size(); ++bdu)
    values_.bdus[bdu].controls = previous.bdus[bdu].controls;
  rebuild_map();
}

void ModbusServer::rebuild_map() {
  values_.writes_enabled = options_.writes_enabled;
  values_.unit_id = static_cast<std::uint8_t>(options_.unit_id);
  map_ = std::make_unique<SunSpecMap>(values_);
}

std::vector<ControlRequest> ModbusServer::take_control_requests() {
  std::vector<ControlRequest> taken;
  taken.swap(pending_);
  return taken;
}

int ModbusServer::serve(std::chrono::milliseconds budget) {
  const auto deadline = Clock::now() + budget;
  const std::uint64_t requests_before = stats_.requests;
  constexpr short kReadable = POLLIN | POLLHUP | POLLERR;
  std::vector<pollfd> watched;
  while (true) {
    // poll, not select: a program with many descriptors may hand out numbers above FD_SETSIZE.
    watched.clear();
    const int port_fd = listen_fd_ >= 0 ? listen_fd_ : serial_fd_;
    watched.push_back({port_fd, POLLIN, 0});
    for (const TcpClient& client : clients_) watched.push_back({client.fd, POLLIN, 0});
    const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
    const auto left_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec timeout{static_cast<time_t>(left_ns / 1000000000),
                           static_cast<long>(left_ns % 1000000000)};
    const int ready = ppoll(watched.data(), watched.size(), &timeout, nullptr);
    if (ready < 0 && errno != EINTR)
      throw ModbusServerError("Modbus " + endpoint_ + ": poll failed: " + system_error(errno));
    if (ready > 0) {
      for (std::size_t index = 0; index < clients_.size(); ++index) {
        if ((watched[index + 1].revents & kReadable) && !serve_client(clients_[index]))
          close_client(clients_[index]);
      }
      std::erase_if(clients_, [](const TcpClient& client) { return client.fd < 0; });
      if (watched[0].revents & kReadable) {
        if (listen_fd_ >= 0) {
          accept_client();
        } else {
          serve_serial();
        }
      }
    }
    if (ready <= 0 || Clock::now() >= deadline) break;
  }
  return static_cast<int>(stats_.requests - requests_before);
}

void ModbusServer::accept_client() {
  // Not modbus_tcp_accept: older libmodbus closes the listening socket when an accept fails.
  const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;  // the client gave up before we accepted it
  ++stats_.clients_accepted;
  if (clients_.size() >= static_cast<std::size_t>(options_.max_tcp_clients)) {
    close(fd);
    ++stats_.clients_closed;
    return;
  }
  TcpClient client;
  client.fd = fd;
  clients_.push_back(client);
}

void ModbusServer::close_client(TcpClient& client) {
  if (client.fd < 0) return;
  close(client.fd);
  client.fd = -1;
  ++stats_.clients_closed;
}

bool ModbusServer::serve_client(TcpClient& client) {
  const ssize_t received = recv(client.fd, client.buffer.data() + client.used,
                                client.buffer.size() - client.used, MSG_DONTWAIT);
  if (received == 0) return false;  // the client closed, maybe in the middle of a request
  if (received < 0) return errno == EAGAIN || errno == EINTR;
  client.used += static_cast<std::size_t>(received);
  while (true) {
    const TcpFrame frame = next_tcp_frame({client.buffer.data(), client.used});
    if (frame.status == FrameStatus::Invalid) return false;
    if (frame.status == FrameStatus::NeedMore) return true;
    std::array<std::uint8_t, firmware::modbus::kMaxPduBytes> response{};
    const std::size_t length = answer(frame.pdu, response);
    std::array<std::uint8_t, kMaxTcpAduBytes> adu{};
    const std::size_t size = write_tcp_response(frame.header, {response.data(), length}, adu);
    if (size > 0 && send(client.fd, adu.data(), size, MSG_NOSIGNAL | MSG_DONTWAIT) !=
                        static_cast<ssize_t>(size))
      return false;  // a client that does not read its answers is dropped
    std::copy(client.buffer.begin() + static_cast<std::ptrdiff_t>(frame.size),
              client.buffer.begin() + static_cast<std::ptrdiff_t>(client.used),
              client.buffer.begin());
    client.used -= frame.size;
  }
}

void ModbusServer::serve_serial() {
  const auto now = Clock::now();
  // Bytes that did not make a frame before a silence are noise or another unit's traffic.
  if (serial_used_ > 0 && now - last_serial_byte_ > std::chrono::milliseconds(kRtuSilence_ms)) {
    ++stats_.frames_discarded;
    serial_used_ = 0;
  }
  const ssize_t received =
      read(serial_fd_, serial_buffer_.data() + serial_used_, serial_buffer_.size() - serial_used_);
  if (received < 0 && errno != EAGAIN && errno != EINTR)
    throw ModbusServerError("serial device " + options_.device +
                            ": read failed: " + system_error(errno));
  if (received <= 0) return;
  last_serial_byte_ = now;
  serial_used_ += static_cast<std::size_t>(received);
  std::size_t consumed = 0;
  while (true) {
    const RtuFrame frame =
        next_rtu_frame({serial_buffer_.data() + consumed, serial_used_ - consumed});
    if (frame.status == FrameStatus::NeedMore) break;
    if (frame.status == FrameStatus::Invalid) {  // look for a frame one byte later
      ++consumed;
      continue;
    }
    consumed += frame.size;
    if (frame.unit_id != options_.unit_id && frame.unit_id != 0) continue;  // another unit's
    std::array<std::uint8_t, firmware::modbus::kMaxPduBytes> response{};
    const std::size_t length = answer(frame.pdu, response);
    if (frame.unit_id == 0 || length == 0) continue;  // broadcasts get no answer
    std::array<std::uint8_t, kMaxRtuAduBytes> reply{};
    const std::size_t size = write_rtu_response(frame.unit_id, {response.data(), length}, reply);
    write_all(serial_fd_, {reply.data(), size});
  }
  std::copy(serial_buffer_.begin() + static_cast<std::ptrdiff_t>(consumed),
            serial_buffer_.begin() + static_cast<std::ptrdiff_t>(serial_used_),
            serial_buffer_.begin());
  serial_used_ -= consumed;
}

std::size_t ModbusServer::answer(std::span<const std::uint8_t> pdu,
                                 std::span<std::uint8_t, firmware::modbus::kMaxPduBytes> response) {
  ControlRequests requests;
  const firmware::modbus::PduAnswer answer =
      firmware::modbus::answer_request(*map_, pdu, response, requests);
  if (answer.length == 0) return 0;
  ++stats_.requests;
  if (answer.exception != firmware::modbus::ExceptionCode::None) ++stats_.exceptions;
  const bool is_write = pdu[0] == firmware::modbus::kWriteSingleRegister ||
                        pdu[0] == firmware::modbus::kWriteMultipleRegisters;
  if (is_write && answer.exception == firmware::modbus::ExceptionCode::None) {
    ++stats_.writes_accepted;
    for (const ControlRequest& request : requests) {
      firmware::sunspec::apply_control(request, values_);
      pending_.push_back(request);
    }
    rebuild_map();
  }
  return answer.length;
}

}  // namespace bts::io
