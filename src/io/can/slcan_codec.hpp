#pragma once
// The slcan (Lawicel) line protocol of serial CAN adapters (CANable, USBtin, CANUSB/CAN232,
// python-can's `slcan` interface), both directions: frames as text lines and the byte stream cut
// into lines. Grammar and the dialect differences: docs/protocols/slcan.md.
//
//   t iii l dd..   standard data frame      T iiiiiiii l dd..   extended data frame
//   r iii l        standard remote frame    R iiiiiiii l        extended remote frame
//   [tttt]         4 hex digits of milliseconds (0000..EA5F) after a received frame with Z1
//   CR ends every line; BEL (0x07) is the adapter's "error" reply.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firmware/common/types.hpp"

namespace bts::io::slcan {

using firmware::CanFrame;

inline constexpr char kCr = '\r';
inline constexpr char kBel = '\a';
/// The longest line: "T" + 8 id + 1 dlc + 16 data + 4 timestamp (+ CR not counted).
inline constexpr std::size_t kMaxLineLength = 30;
inline constexpr std::uint16_t kTimestampWrap_ms = 60000;  // 0000..EA5F

/// A frame line as read: the frame, whether it was a remote frame, and its timestamp if any.
struct FrameLine {
  CanFrame frame;
  bool remote = false;
  std::optional<std::uint16_t> timestamp_ms;
};

/// Parses one frame line (without its CR): t/T/r/R, hex digits of either case, exactly dlc data
/// bytes, optionally a 4-digit timestamp. Nothing for anything else (a command, a bad digit, a
/// dlc above 8, an id out of range, a length that matches neither form).
std::optional<FrameLine> parse_frame_line(std::string_view line);

/// The frame as a line without CR, upper case hex (python-can's form); the timestamp appended
/// when given (taken modulo 60000).
std::string format_frame_line(const CanFrame& frame,
                              std::optional<std::uint32_t> timestamp_ms = {});

/// The bitrate of an `Sn` command (S0..S8), nothing for another digit. S7 is 800 kbit/s in the
/// Lawicel documents and 750 kbit/s in CANable's firmware and python-can; `s7_is_750k` picks.
std::optional<std::uint32_t> bitrate_of_setting(char digit, bool s7_is_750k = true);
/// The `Sn` digit for a bitrate, nothing when slcan has no setting for it.
std::optional<char> setting_of_bitrate(std::uint32_t bitrate, bool s7_is_750k = true);

/// Cuts a byte stream into lines at CR (LF is taken as CR too, as some terminals send it). Empty
/// lines are skipped; a line longer than max_length is dropped whole (counted) instead of being
/// read as garbage, and reading resumes after its CR.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_length = 64) : max_length_(max_length) {}
  /// Feeds bytes; each complete line (without CR) is passed to on_line.
  template <class OnLine>
  void feed(std::string_view bytes, OnLine&& on_line) {
    for (const char c : bytes) {
      if (c == kCr || c == '\n') {
        if (!overlong_ && !line_.empty()) on_line(std::string_view(line_));
        line_.clear();
        overlong_ = false;
        continue;
      }
      if (overlong_) continue;
      if (line_.size() >= max_length_) {
        overlong_ = true;
        ++dropped_lines_;
        line_.clear();
        continue;
      }
      line_.push_back(c);
    }
  }
  std::uint64_t dropped_lines() const { return dropped_lines_; }

 private:
  std::size_t max_length_;
  std::string line_;
  bool overlong_ = false;
  std::uint64_t dropped_lines_ = 0;
};

}  // namespace bts::io::slcan
