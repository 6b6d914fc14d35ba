#include "io/can/slcan_serial_host.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bts::io {

SerialEndpoint parse_serial_endpoint(const std::string& text) {
  SerialEndpoint endpoint;
  const std::size_t at = text.rfind('@');
  endpoint.device = text.substr(0, at);
  if (endpoint.device.empty())
    throw std::invalid_argument("slcan: no device given (e.g. slcan:/dev/ttyACM0@500000)");
  if (at != std::string::npos) {
    const std::string rate = text.substr(at + 1);
    std::size_t used = 0;
    unsigned long value = 0;
    try {
      value = std::stoul(rate, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != rate.size() || !slcan::setting_of_bitrate(static_cast<std::uint32_t>(value)))
      throw std::invalid_argument("slcan: bitrate '" + rate +
                                  "' has no slcan setting; allowed 10000, 20000, 50000, 100000, "
                                  "125000, 250000, 500000, 750000, 1000000");
    endpoint.bitrate = static_cast<std::uint32_t>(value);
  }
  return endpoint;
}

SlcanSerialHost::SlcanSerialHost(const SerialEndpoint& endpoint)
    : endpoint_(endpoint), splitter_(slcan::kMaxLineLength + 8) {
  const auto setting = slcan::setting_of_bitrate(endpoint.bitrate);
  if (!setting)
    throw std::runtime_error("slcan: no setting for bitrate " + std::to_string(endpoint.bitrate));
  const int fd = ::open(endpoint.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    throw std::runtime_error("slcan: cannot open " + endpoint.device + ": " + std::strerror(errno) +
                             (errno == ENOENT ? " (is the adapter plugged in?)" : ""));
  }
  channel_ = std::make_unique<FdChannel>(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("slcan: " + endpoint.device + " is in use by another program");
  termios settings{};
  if (::tcgetattr(fd, &settings) != 0)
    throw std::runtime_error("slcan: " + endpoint.device + " is not a serial device");
  ::cfmakeraw(&settings);
  // USB CDC adapters ignore the line speed; a UART-attached CAN232 needs its own setting.
  ::cfsetspeed(&settings, B115200);
  ::tcsetattr(fd, TCSANOW, &settings);
  ::tcflush(fd, TCIOFLUSH);
  channel_->write(std::string("\r\rC\rS") + *setting + "\rO\r");
}

SlcanSerialHost::~SlcanSerialHost() {
  if (channel_) channel_->write("C\r");
}

void SlcanSerialHost::receive(std::vector<CanFrame>& frames, std::uint64_t /*now_ms*/) {
  std::string bytes = channel_->read_available();
  channel_->flush();
  // BEL is a complete reply of its own (an error); it may come without a CR.
  for (char& c : bytes) {
    if (c == slcan::kBel) {
      ++error_replies_;
      c = slcan::kCr;
    }
  }
  splitter_.feed(bytes, [&](std::string_view line) {
    const auto parsed = slcan::parse_frame_line(line);
    if (parsed && !parsed->remote) frames.push_back(parsed->frame);
    // Anything else is an acknowledgement (z, Z), a status (Fxx) or a version line.
  });
}

bool SlcanSerialHost::send(const CanFrame& frame, std::uint64_t /*now_ms*/) {
  if (channel_->write(slcan::format_frame_line(frame) + slcan::kCr)) return true;
  ++dropped_;
  return false;
}

std::string SlcanSerialHost::description() const {
  return "slcan adapter " + endpoint_.device + " at " + std::to_string(endpoint_.bitrate) +
         " bit/s";
}

}  // namespace bts::io
