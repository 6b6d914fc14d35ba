#include "io/can/socketcan_port.hpp"

#include <fcntl.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bts::io {

std::string socketcan_unavailable_reason() {
  const int fd = ::socket(PF_CAN, SOCK_RAW, CAN_RAW);
  if (fd < 0) {
    return std::string("this kernel offers no CAN sockets (socket(PF_CAN) failed: ") +
           std::strerror(errno) + "); load can and can_raw, or use --can slcan-pty";
  }
  ::close(fd);
  return "";
}

SocketCanPort::SocketCanPort(const std::string& interface_name) : name_(interface_name) {
  if (name_.empty() || name_.size() >= IFNAMSIZ)
    throw std::runtime_error("SocketCAN: interface name '" + name_ + "' must be 1 to " +
                             std::to_string(IFNAMSIZ - 1) + " characters");
  const std::string unavailable = socketcan_unavailable_reason();
  if (!unavailable.empty()) throw std::runtime_error("SocketCAN " + name_ + ": " + unavailable);
  fd_ = ::socket(PF_CAN, SOCK_RAW, CAN_RAW);
  ifreq request{};
  std::strncpy(request.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd_, SIOCGIFINDEX, &request) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("SocketCAN: no interface '" + name_ + "' (" + reason +
                             "); list them with `ip link show type can`");
  }
  sockaddr_can address{};
  address.can_family = AF_CAN;
  address.can_ifindex = request.ifr_ifindex;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("SocketCAN: cannot bind to " + name_ + ": " + reason);
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL, 0) | O_NONBLOCK);
}

SocketCanPort::~SocketCanPort() {
  if (fd_ >= 0) ::close(fd_);
}

void SocketCanPort::receive(std::vector<CanFrame>& frames, std::uint64_t /*now_ms*/) {
  can_frame raw{};
  while (::read(fd_, &raw, sizeof raw) == static_cast<ssize_t>(sizeof raw)) {
    if ((raw.can_id & (CAN_RTR_FLAG | CAN_ERR_FLAG)) != 0) continue;  // not used on this bus
    CanFrame frame;
    frame.extended = (raw.can_id & CAN_EFF_FLAG) != 0;
    frame.id = raw.can_id & (frame.extended ? CAN_EFF_MASK : CAN_SFF_MASK);
    frame.dlc = raw.can_dlc > 8 ? 8 : raw.can_dlc;
    std::memcpy(frame.data.data(), raw.data, frame.dlc);
    frames.push_back(frame);
  }
}

bool SocketCanPort::send(const CanFrame& frame, std::uint64_t /*now_ms*/) {
  can_frame raw{};
  raw.can_id = frame.extended ? (frame.id & CAN_EFF_MASK) | CAN_EFF_FLAG : frame.id & CAN_SFF_MASK;
  raw.can_dlc = frame.dlc > 8 ? 8 : frame.dlc;
  std::memcpy(raw.data, frame.data.data(), raw.can_dlc);
  if (::write(fd_, &raw, sizeof raw) == static_cast<ssize_t>(sizeof raw)) return true;
  ++dropped_;  // ENOBUFS: the interface's queue is full
  return false;
}

}  // namespace bts::io
