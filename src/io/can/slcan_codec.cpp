#include "io/can/slcan_codec.hpp"

#include <array>

#include "io/can/hex_text.hpp"

namespace bts::io::slcan {

namespace {

/// The value of `count` hex digits at `text`, or nothing if one is not a hex digit.
std::optional<std::uint32_t> hex_field(std::string_view text, std::size_t count) {
  if (text.size() < count) return std::nullopt;
  return parse_hex_digits(text.substr(0, count));
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

void append_hex(std::string& out, std::uint32_t value, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
    out.push_back(kHexDigits[(value >> shift) & 0xF]);
}

// Sn digit -> bitrate; S7 differs between dialects.
constexpr std::array<std::uint32_t, 9> kBitrates{10000,  20000,  50000,  100000, 125000,
                                                 250000, 500000, 800000, 1000000};

}  // namespace

std::optional<FrameLine> parse_frame_line(std::string_view line) {
  if (line.empty()) return std::nullopt;
  const char kind = line[0];
  const bool extended = kind == 'T' || kind == 'R';
  const bool remote = kind == 'r' || kind == 'R';
  if (kind != 't' && kind != 'T' && !remote) return std::nullopt;
  const std::size_t id_digits = extended ? 8 : 3;
  const auto id = hex_field(line.substr(1), id_digits);
  if (!id || *id > (extended ? 0x1FFFFFFFu : 0x7FFu)) return std::nullopt;
  const std::size_t dlc_at = 1 + id_digits;
  if (line.size() <= dlc_at) return std::nullopt;
  const int dlc = line[dlc_at] - '0';
  if (dlc < 0 || dlc > 8) return std::nullopt;
  const std::size_t data_digits = remote ? 0 : static_cast<std::size_t>(dlc) * 2;
  const std::size_t frame_length = dlc_at + 1 + data_digits;
  if (line.size() != frame_length && line.size() != frame_length + 4) return std::nullopt;
  FrameLine result;
  result.remote = remote;
  result.frame.id = *id;
  result.frame.extended = extended;
  result.frame.dlc = static_cast<std::uint8_t>(dlc);
  for (std::size_t k = 0; k < data_digits / 2; ++k) {
    const auto byte = hex_field(line.substr(dlc_at + 1 + 2 * k), 2);
    if (!byte) return std::nullopt;
    result.frame.data[k] = static_cast<std::uint8_t>(*byte);
  }
  if (line.size() == frame_length + 4) {
    const auto stamp = hex_field(line.substr(frame_length), 4);
    if (!stamp || *stamp >= kTimestampWrap_ms) return std::nullopt;
    result.timestamp_ms = static_cast<std::uint16_t>(*stamp);
  }
  return result;
}

std::string format_frame_line(const CanFrame& frame, std::optional<std::uint32_t> timestamp_ms) {
  std::string line;
  line.reserve(kMaxLineLength);
  line.push_back(frame.extended ? 'T' : 't');
  append_hex(line, frame.id, frame.extended ? 8 : 3);
  const std::uint8_t dlc = frame.dlc > 8 ? 8 : frame.dlc;
  line.push_back(static_cast<char>('0' + dlc));
  for (std::uint8_t k = 0; k < dlc; ++k) append_hex(line, frame.data[k], 2);
  if (timestamp_ms) append_hex(line, *timestamp_ms % kTimestampWrap_ms, 4);
  return line;
}

std::optional<std::uint32_t> bitrate_of_setting(char digit, bool s7_is_750k) {
  if (digit < '0' || digit > '8') return std::nullopt;
  if (digit == '7' && s7_is_750k) return 750000;
  return kBitrates[static_cast<std::size_t>(digit - '0')];
}

std::optional<char> setting_of_bitrate(std::uint32_t bitrate, bool s7_is_750k) {
  for (char digit = '0'; digit <= '8'; ++digit) {
    if (bitrate_of_setting(digit, s7_is_750k) == bitrate) return digit;
  }
  return std::nullopt;
}

}  // namespace bts::io::slcan
