#pragma once
// A Linux SocketCAN interface by name (can0, vcan0, slcan0): raw CAN_RAW socket, classic frames.
// Where the kernel has no CAN support (containers, this project's CI sandbox) opening fails with
// a message that says so.
#include <string>

#include "io/can/can_port.hpp"

namespace bts::io {

/// Whether this kernel lets a program open a CAN socket at all (nothing = yes, else why not).
std::string socketcan_unavailable_reason();

class SocketCanPort final : public CanPort {
 public:
  /// Throws std::runtime_error: no CAN support in the kernel, no such interface, interface down.
  explicit SocketCanPort(const std::string& interface_name);
  ~SocketCanPort() override;
  SocketCanPort(const SocketCanPort&) = delete;
  SocketCanPort& operator=(const SocketCanPort&) = delete;

  int poll_fd() const override { return fd_; }
  void receive(std::vector<CanFrame>& frames, std::uint64_t now_ms) override;
  bool send(const CanFrame& frame, std::uint64_t now_ms) override;
  std::string description() const override { return "SocketCAN " + name_; }
  std::uint64_t dropped_frames() const override { return dropped_; }

 private:
  std::string name_;
  int fd_ = -1;
  std::uint64_t dropped_ = 0;
};

}  // namespace bts::io
