#pragma once
// A non-blocking byte channel on a file descriptor (a pty master, a serial device): reads what is
// there, writes without ever blocking the simulation, keeping a bounded backlog when the reader
// is slow and refusing more beyond it.
#include <cstddef>
#include <string>
#include <string_view>

namespace bts::io {

class FdChannel {
 public:
  static constexpr std::size_t kMaxBacklog = 256 * 1024;

  /// Takes ownership of fd and makes it non-blocking.
  explicit FdChannel(int fd);
  ~FdChannel();
  FdChannel(const FdChannel&) = delete;
  FdChannel& operator=(const FdChannel&) = delete;

  int fd() const { return fd_; }
  /// The bytes available now ("" when none). A hang-up (EIO on a pty whose other side closed,
  /// end of file) is remembered in hung_up() and reads as "".
  std::string read_available();
  /// Queues bytes and writes as much as the descriptor takes. False (nothing queued) when the
  /// backlog would grow beyond kMaxBacklog.
  bool write(std::string_view bytes);
  /// Writes what is still queued.
  void flush();
  /// Drops what is still queued and not yet written.
  void discard_backlog() { backlog_.clear(); }
  bool hung_up() const { return hung_up_; }
  std::size_t backlog() const { return backlog_.size(); }

 private:
  int fd_;
  std::string backlog_;
  bool hung_up_ = false;
};

}  // namespace bts::io
