#include "io/can/slcan_pty_adapter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace bts::io {

namespace {

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

SlcanPtyAdapter::SlcanPtyAdapter(const slcan::DeviceOptions& options, std::string link_path)
    : link_path_(std::move(link_path)), device_(options), splitter_(slcan::kMaxLineLength + 8) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0) throw system_error("slcan adapter: cannot create a pseudo-terminal");
  master_ = std::make_unique<FdChannel>(master);
  if (::grantpt(master) != 0 || ::unlockpt(master) != 0)
    throw system_error("slcan adapter: cannot unlock the pseudo-terminal");
  const char* name = ::ptsname(master);
  if (name == nullptr) throw system_error("slcan adapter: pseudo-terminal without a name");
  path_ = name;
  slave_fd_ = ::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (slave_fd_ < 0) throw system_error("slcan adapter: cannot open " + path_);
  // Raw bytes both ways: no echo, no CR/LF translation, no line editing.
  termios settings{};
  if (::tcgetattr(slave_fd_, &settings) == 0) {
    ::cfmakeraw(&settings);
    ::tcsetattr(slave_fd_, TCSANOW, &settings);
  }
  if (!link_path_.empty()) {
    struct stat existing {};
    if (::lstat(link_path_.c_str(), &existing) == 0) {
      if (!S_ISLNK(existing.st_mode))
        throw std::runtime_error("slcan adapter: " + link_path_ +
                                 " exists and is not a symbolic link; not replacing it");
      ::unlink(link_path_.c_str());
    }
    if (::symlink(path_.c_str(), link_path_.c_str()) != 0)
      throw system_error("slcan adapter: cannot create the link " + link_path_);
  }
}

SlcanPtyAdapter::~SlcanPtyAdapter() {
  if (!link_path_.empty()) ::unlink(link_path_.c_str());
  if (slave_fd_ >= 0) ::close(slave_fd_);
}

void SlcanPtyAdapter::receive(std::vector<CanFrame>& frames, std::uint64_t /*now_ms*/) {
  const std::string bytes = master_->read_available();
  if (bytes.empty()) return;
  std::string replies;
  splitter_.feed(bytes, [&](std::string_view line) {
    if (line.front() == 'C' && device_.is_open()) {
      // A tool closing the channel reads no more: what it left unread would reach the next tool
      // as stale frames. Discarded only here: a tool that is reading (or starting, C S6 O) may
      // have been told by select() that bytes wait, and a read after the discard would find none
      // (pyserial then reports the device as disconnected).
      ::tcflush(slave_fd_, TCIFLUSH);
      master_->discard_backlog();
    }
    slcan::Device::Reply reply = device_.handle_line(line);
    replies += reply.text;
    if (reply.to_bus) frames.push_back(*reply.to_bus);
  });
  if (!replies.empty()) master_->write(replies);
}

bool SlcanPtyAdapter::send(const CanFrame& frame, std::uint64_t now_ms) {
  const auto line = device_.line_for_host(frame, now_ms);
  if (!line) return false;
  if (!master_->write(*line)) {
    device_.flag_status(slcan::status_bit::kRxQueueFull | slcan::status_bit::kDataOverrun);
    ++dropped_;
    return false;
  }
  return true;
}

std::string SlcanPtyAdapter::description() const {
  return "slcan virtual adapter on " + path_ + (link_path_.empty() ? "" : " (" + link_path_ + ")");
}

}  // namespace bts::io
