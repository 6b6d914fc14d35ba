#include "io/can/slcan_device.hpp"

namespace bts::io::slcan {

namespace {

const std::string kOk(1, kCr);

bool all_hex(std::string_view text) {
  for (const char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    if (!hex) return false;
  }
  return true;
}

}  // namespace

Device::Device(const DeviceOptions& options) : options_(options), bitrate_(options.bus_bitrate) {}

Device::Reply Device::refuse() {
  ++refused_lines_;
  return {std::string(1, kBel), std::nullopt};
}

std::uint8_t Device::status_byte() {
  std::uint8_t status = pending_status_;
  pending_status_ = 0;  // the flags are cleared by reading them, as on the SJA1000
  if (open_ && !bitrate_matches_bus()) status |= status_bit::kBusError | status_bit::kErrorPassive;
  return status;
}

Device::Reply Device::handle_line(std::string_view line) {
  if (line.empty()) return {};  // a lone CR: tolerated, as slcanpty does
  const char command = line.front();
  const std::string_view argument = line.substr(1);
  switch (command) {
    case 't':
    case 'T':
    case 'r':
    case 'R': {
      if (!open_ || listen_only_) return refuse();
      const auto parsed = parse_frame_line(line);
      if (!parsed || parsed->timestamp_ms) return refuse();  // hosts send no timestamps
      Reply reply;
      reply.text = options_.ack_with_z
                       ? std::string(1, command == 't' || command == 'r' ? 'z' : 'Z') + kCr
                       : kOk;
      if (parsed->remote) {
        ++remote_frames_dropped_;  // no node on the battery's buses answers remote frames
      } else if (bitrate_matches_bus()) {
        reply.to_bus = parsed->frame;
        ++frames_from_host_;
      }
      return reply;
    }
    case 'O':
    case 'L':
      // Opening an open channel is accepted: python-can 4.1 sends O twice at start-up.
      if (!argument.empty()) return refuse();
      open_ = true;
      listen_only_ = command == 'L';
      return {kOk, std::nullopt};
    case 'C':
      if (!argument.empty()) return refuse();
      open_ = false;
      listen_only_ = false;
      return {kOk, std::nullopt};
    case 'S': {
      if (open_ || argument.size() != 1) return refuse();
      const auto bitrate = bitrate_of_setting(argument[0], options_.s7_is_750k);
      if (!bitrate) return refuse();
      bitrate_ = *bitrate;
      return {kOk, std::nullopt};
    }
    case 's':
      // Bit timing registers (SJA1000 BTR0/BTR1, or MCP2515 CNF1..3 on USBtin): the bitrate
      // they give depends on the adapter's clock, so it is taken as matching the bus.
      if (open_ || (argument.size() != 4 && argument.size() != 6) || !all_hex(argument))
        return refuse();
      bitrate_ = 0;
      return {kOk, std::nullopt};
    case 'F': {
      if (!argument.empty()) return refuse();
      static constexpr char kHex[] = "0123456789ABCDEF";
      const std::uint8_t status = status_byte();
      return {std::string{'F', kHex[status >> 4], kHex[status & 0xF], kCr}, std::nullopt};
    }
    case 'V':
      // Two decimal pairs: python-can parses them with int().
      return argument.empty() ? Reply{std::string("V1013") + kCr, std::nullopt} : refuse();
    case 'v':
      return argument.empty() ? Reply{std::string("v1013") + kCr, std::nullopt} : refuse();
    case 'N':
      return argument.empty() ? Reply{std::string("NBTS1") + kCr, std::nullopt} : refuse();
    case 'Z':
      if (argument != "0" && argument != "1") return refuse();
      timestamps_ = argument == "1";
      return {kOk, std::nullopt};
    case 'M':
    case 'm': {
      // Acceptance code / mask of the SJA1000: stored and acknowledged, all frames still pass
      // (the battery's inverter port carries only a few ids; filtering is the host's job).
      if (argument.size() != 8 || !all_hex(argument)) return refuse();
      const auto value = static_cast<std::uint32_t>(std::stoul(std::string(argument), nullptr, 16));
      (command == 'M' ? acceptance_code_ : acceptance_mask_) = value;
      return {kOk, std::nullopt};
    }
    default:
      return refuse();
  }
}

std::optional<std::string> Device::line_for_host(const CanFrame& frame, std::uint64_t now_ms) {
  if (!open_ || !bitrate_matches_bus()) return std::nullopt;
  ++frames_to_host_;
  std::optional<std::uint32_t> stamp;
  if (timestamps_) stamp = static_cast<std::uint32_t>(now_ms % kTimestampWrap_ms);
  return format_frame_line(frame, stamp) + kCr;
}

}  // namespace bts::io::slcan
