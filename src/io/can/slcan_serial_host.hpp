#pragma once
// The host's side of slcan: drives a real serial CAN adapter (CANable with slcan firmware,
// USBtin, Lawicel CANUSB) at a device path, e.g. `slcan:/dev/ttyACM0@500000`. At start it closes
// the channel, sets the bitrate and opens it; then frames go out as t/T lines and the adapter's
// received-frame lines come back, with or without timestamps; acknowledgements (CR, z, Z) and
// error replies (BEL) are counted, not mistaken for frames.
#include <memory>
#include <string>

#include "io/can/can_port.hpp"
#include "io/can/fd_channel.hpp"
#include "io/can/slcan_codec.hpp"

namespace bts::io {

struct SerialEndpoint {
  std::string device;              // /dev/ttyACM0
  std::uint32_t bitrate = 500000;  // CAN bitrate
};

/// Parses "DEVICE@BITRATE" (bitrate optional, default 500000). Throws std::invalid_argument with
/// a message naming the allowed bitrates.
SerialEndpoint parse_serial_endpoint(const std::string& text);

class SlcanSerialHost final : public CanPort {
 public:
  /// Opens and configures the adapter. Throws std::runtime_error: a missing device, one that is
  /// busy or not a terminal, a bitrate slcan has no setting for.
  explicit SlcanSerialHost(const SerialEndpoint& endpoint);
  ~SlcanSerialHost() override;

  int poll_fd() const override { return channel_->fd(); }
  void receive(std::vector<CanFrame>& frames, std::uint64_t now_ms) override;
  bool send(const CanFrame& frame, std::uint64_t now_ms) override;
  std::string description() const override;
  std::uint64_t dropped_frames() const override { return dropped_; }
  std::uint64_t error_replies() const { return error_replies_; }

 private:
  SerialEndpoint endpoint_;
  std::unique_ptr<FdChannel> channel_;
  slcan::LineSplitter splitter_;
  std::uint64_t dropped_ = 0;
  std::uint64_t error_replies_ = 0;
};

}  // namespace bts::io
