#pragma once
// The slcan virtual adapter: a pseudo-terminal that behaves like a CANable/USBtin plugged into
// the battery's inverter CAN port, so python-can (`interface="slcan", channel=<pty path>`),
// SavvyCAN or any slcan tool can talk to the simulated battery. The adapter keeps the terminal's
// other side open itself, so a tool may come and go; what a tool left unread is discarded when
// it closes the channel (C).
#include <memory>
#include <string>

#include "io/can/can_port.hpp"
#include "io/can/fd_channel.hpp"
#include "io/can/slcan_device.hpp"

namespace bts::io {

class SlcanPtyAdapter final : public CanPort {
 public:
  /// Creates the pseudo-terminal; with link_path also a symbolic link to it (replacing an old
  /// link, refusing to replace anything else). Throws std::runtime_error with the reason.
  explicit SlcanPtyAdapter(const slcan::DeviceOptions& options = {}, std::string link_path = "");
  ~SlcanPtyAdapter() override;

  /// The terminal's path (/dev/pts/N) a tool opens.
  const std::string& path() const { return path_; }
  /// The symbolic link, when one was asked for.
  const std::string& link_path() const { return link_path_; }
  const slcan::Device& device() const { return device_; }

  int poll_fd() const override { return master_->fd(); }
  void receive(std::vector<CanFrame>& frames, std::uint64_t now_ms) override;
  bool send(const CanFrame& frame, std::uint64_t now_ms) override;
  std::string description() const override;
  std::uint64_t dropped_frames() const override { return dropped_; }

 private:
  std::unique_ptr<FdChannel> master_;
  int slave_fd_ = -1;  // held open by the adapter itself (no hang-ups while tools come and go)
  std::string path_;
  std::string link_path_;
  slcan::Device device_;
  slcan::LineSplitter splitter_;
  std::uint64_t dropped_ = 0;
};

}  // namespace bts::io
