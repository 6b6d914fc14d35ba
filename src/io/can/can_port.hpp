#pragma once
// A CAN port on the host: where `bts run` meets the outside world's CAN (the slcan virtual
// adapter on a pseudo-terminal, a serial slcan adapter, a SocketCAN interface, a replayed log).
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/common/types.hpp"

namespace bts::io {

using firmware::CanFrame;

class CanPort {
 public:
  virtual ~CanPort() = default;
  /// A file descriptor that becomes readable when frames may be waiting (-1: none, poll by time).
  virtual int poll_fd() const = 0;
  /// Appends every frame that arrived from outside, without blocking. now_ms is the port's
  /// clock (slcan timestamps, replay pacing).
  virtual void receive(std::vector<CanFrame>& frames, std::uint64_t now_ms) = 0;
  /// Sends a frame to the outside; false when it had to be dropped (nobody reading, queue full).
  virtual bool send(const CanFrame& frame, std::uint64_t now_ms) = 0;
  /// What a person reads in messages: "slcan adapter on /dev/pts/5", "SocketCAN can0".
  virtual std::string description() const = 0;
  /// Frames dropped so far, and the reasons, for the closing summary.
  virtual std::uint64_t dropped_frames() const = 0;
};

}  // namespace bts::io
