#include "io/can/fd_channel.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace bts::io {

FdChannel::FdChannel(int fd) : fd_(fd) {
  const int flags = ::fcntl(fd_, F_GETFL, 0);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

FdChannel::~FdChannel() {
  if (fd_ >= 0) ::close(fd_);
}

std::string FdChannel::read_available() {
  std::string bytes;
  char buffer[4096];
  while (true) {
    const ssize_t count = ::read(fd_, buffer, sizeof buffer);
    if (count > 0) {
      hung_up_ = false;
      bytes.append(buffer, static_cast<std::size_t>(count));
      continue;
    }
    if (count == 0 || errno == EIO) {
      hung_up_ = true;  // the other side is closed (a pty master reads EIO then)
    }
    break;  // EAGAIN: nothing more now
  }
  return bytes;
}

bool FdChannel::write(std::string_view bytes) {
  if (backlog_.size() + bytes.size() > kMaxBacklog) {
    flush();
    if (backlog_.size() + bytes.size() > kMaxBacklog) return false;
  }
  backlog_.append(bytes);
  flush();
  return true;
}

void FdChannel::flush() {
  std::size_t written = 0;
  while (written < backlog_.size()) {
    const ssize_t count = ::write(fd_, backlog_.data() + written, backlog_.size() - written);
    if (count <= 0) break;  // EAGAIN: the reader is behind; try again later
    written += static_cast<std::size_t>(count);
  }
  backlog_.erase(0, written);
}

}  // namespace bts::io
