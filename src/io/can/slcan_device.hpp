#pragma once
// The adapter's side of slcan: what a CANable or USBtin does with the lines its USB host sends
// (open, close, bitrate, status, version, timestamps, frames to transmit) and how it reports the
// frames it receives from the bus. Pure logic, no I/O: SlcanPtyAdapter puts it on a
// pseudo-terminal. Choices where adapters differ are options; docs/protocols/slcan.md lists them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/can/slcan_codec.hpp"

namespace bts::io::slcan {

struct DeviceOptions {
  std::uint32_t bus_bitrate = 500000;  // the bus the adapter is plugged into
  bool s7_is_750k = true;              // CANable / python-can; false: Lawicel's 800 kbit/s
  /// Acknowledge a transmitted frame with "z"/"Z" + CR (CANUSB, USBtin) instead of a bare CR
  /// (CANable, can-utils slcanpty). python-can ignores either.
  bool ack_with_z = false;
};

/// The `F` status bits (Lawicel CANUSB layout).
namespace status_bit {
inline constexpr std::uint8_t kRxQueueFull = 1u << 0;
inline constexpr std::uint8_t kTxQueueFull = 1u << 1;
inline constexpr std::uint8_t kErrorWarning = 1u << 2;
inline constexpr std::uint8_t kDataOverrun = 1u << 3;
inline constexpr std::uint8_t kErrorPassive = 1u << 5;
inline constexpr std::uint8_t kArbitrationLost = 1u << 6;
inline constexpr std::uint8_t kBusError = 1u << 7;
}  // namespace status_bit

class Device {
 public:
  explicit Device(const DeviceOptions& options = {});

  struct Reply {
    std::string text;                // what goes back to the host (CR, BEL, "F00\r", ...)
    std::optional<CanFrame> to_bus;  // a frame the host asked to transmit
  };
  /// One line from the host (without its CR).
  Reply handle_line(std::string_view line);
  /// A frame from the bus as the line (with CR) the host receives; nothing while the channel is
  /// closed or its bitrate is not the bus's (a real adapter would see only error frames).
  std::optional<std::string> line_for_host(const CanFrame& frame, std::uint64_t now_ms);

  bool is_open() const { return open_; }
  bool listen_only() const { return listen_only_; }
  /// The bitrate set with Sn (the bus's until the host sets one); 0 after a custom `s` timing.
  std::uint32_t bitrate() const { return bitrate_; }
  bool bitrate_matches_bus() const { return bitrate_ == 0 || bitrate_ == options_.bus_bitrate; }
  bool timestamps() const { return timestamps_; }
  /// Raised by the transport when it had to drop frames (host not reading / bus queue full).
  void flag_status(std::uint8_t bits) { pending_status_ |= bits; }

  std::uint64_t frames_from_host() const { return frames_from_host_; }
  std::uint64_t frames_to_host() const { return frames_to_host_; }
  std::uint64_t refused_lines() const { return refused_lines_; }
  std::uint64_t remote_frames_dropped() const { return remote_frames_dropped_; }

 private:
  Reply refuse();
  std::uint8_t status_byte();

  DeviceOptions options_;
  bool open_ = false;
  bool listen_only_ = false;
  bool timestamps_ = false;
  std::uint32_t bitrate_;
  std::uint32_t acceptance_code_ = 0;
  std::uint32_t acceptance_mask_ = 0xFFFFFFFFu;
  std::uint8_t pending_status_ = 0;
  std::uint64_t frames_from_host_ = 0;
  std::uint64_t frames_to_host_ = 0;
  std::uint64_t refused_lines_ = 0;
  std::uint64_t remote_frames_dropped_ = 0;
};

}  // namespace bts::io::slcan
