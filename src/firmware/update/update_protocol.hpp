#pragma once
// Firmware update path (the manual's "Updating" state): a service tool on the COM bus asks a BDU
// for an update; the BDU streams the image to its modules on the Link bus in numbered 6-byte
// blocks (message types 0x60-0x62, the range the Link protocol reserves for firmware transfer)
// and ends with the image's CRC-32; a module that received every block in order with the right
// CRC restarts on the new version, any gap or a wrong CRC keeps the old one. The image here is a
// deterministic synthetic one (its bytes follow from the version and block number), so the
// transfer, its timing and its checks are real while no binary is shipped.
#include <array>
#include <cstdint>
#include <span>

#include "firmware/common/crc32.hpp"
#include "firmware/common/types.hpp"
#include "firmware/version.hpp"

namespace bts::firmware::update {

inline constexpr std::uint8_t kTypeStart = 0x60;    // BDU -> modules: version, block count
inline constexpr std::uint8_t kTypeBlock = 0x61;    // BDU -> modules: sequence number, 6 bytes
inline constexpr std::uint8_t kTypeEnd = 0x62;      // BDU -> modules: CRC-32 of the image
inline constexpr std::uint8_t kTypeRequest = 0xC8;  // service tool -> BDU on COM
inline constexpr std::uint8_t kLinkPriority = 6;
inline constexpr std::uint8_t kComPriority = 0x1C;
inline constexpr std::uint8_t kAddressServiceTool = 0xE0;
inline constexpr std::uint8_t kAddressBroadcast = 0xFF;
inline constexpr std::uint8_t kBytesPerBlock = 6;
inline constexpr std::uint16_t kDefaultBlocks = 2048;  // a 12 KiB image

constexpr std::uint32_t make_id(std::uint8_t priority, std::uint8_t type, std::uint8_t destination,
                                std::uint8_t source) {
  return (static_cast<std::uint32_t>(priority) << 24) | (static_cast<std::uint32_t>(type) << 16) |
         (static_cast<std::uint32_t>(destination) << 8) | source;
}
constexpr std::uint8_t type_of(const CanFrame& frame) {
  return static_cast<std::uint8_t>(frame.id >> 16);
}
constexpr std::uint8_t destination_of(const CanFrame& frame) {
  return static_cast<std::uint8_t>(frame.id >> 8);
}
constexpr std::uint8_t source_of(const CanFrame& frame) {
  return static_cast<std::uint8_t>(frame.id);
}

/// The synthetic image's bytes of one block.
constexpr std::array<std::uint8_t, kBytesPerBlock> image_block(const FirmwareVersion& version,
                                                               std::uint16_t sequence) {
  std::array<std::uint8_t, kBytesPerBlock> bytes{};
  for (std::uint8_t i = 0; i < kBytesPerBlock; ++i) {
    bytes[i] = static_cast<std::uint8_t>(sequence * 31u + i * 7u + version.major * 13u +
                                         version.minor * 5u + version.patch);
  }
  return bytes;
}

constexpr std::uint32_t image_crc(const FirmwareVersion& version, std::uint16_t blocks) {
  std::uint32_t crc = 0;
  for (std::uint16_t sequence = 0; sequence < blocks; ++sequence) {
    const auto bytes = image_block(version, sequence);
    crc = crc32(bytes, crc);
  }
  return crc;
}

struct Start {
  FirmwareVersion version{0, 0, 0};
  std::uint16_t blocks = 0;
};
struct Block {
  std::uint16_t sequence = 0;
  std::array<std::uint8_t, kBytesPerBlock> bytes{};
};

constexpr CanFrame encode_start(std::uint8_t source, const Start& start) {
  CanFrame frame;
  frame.id = make_id(kLinkPriority, kTypeStart, kAddressBroadcast, source);
  frame.dlc = 5;
  frame.data = {start.version.major,
                start.version.minor,
                start.version.patch,
                static_cast<std::uint8_t>(start.blocks & 0xFF),
                static_cast<std::uint8_t>(start.blocks >> 8),
                0,
                0,
                0};
  return frame;
}
constexpr bool decode_start(const CanFrame& frame, Start& start) {
  if (!frame.extended || frame.dlc != 5 || type_of(frame) != kTypeStart ||
      (frame.id >> 24) != kLinkPriority)
    return false;
  start.version = FirmwareVersion{frame.data[0], frame.data[1], frame.data[2]};
  start.blocks = static_cast<std::uint16_t>(frame.data[3] | (frame.data[4] << 8));
  return start.blocks > 0;
}
constexpr CanFrame encode_block(std::uint8_t source, const Block& block) {
  CanFrame frame;
  frame.id = make_id(kLinkPriority, kTypeBlock, kAddressBroadcast, source);
  frame.dlc = 8;
  frame.data[0] = static_cast<std::uint8_t>(block.sequence & 0xFF);
  frame.data[1] = static_cast<std::uint8_t>(block.sequence >> 8);
  for (std::uint8_t i = 0; i < kBytesPerBlock; ++i) frame.data[2 + i] = block.bytes[i];
  return frame;
}
constexpr bool decode_block(const CanFrame& frame, Block& block) {
  if (!frame.extended || frame.dlc != 8 || type_of(frame) != kTypeBlock ||
      (frame.id >> 24) != kLinkPriority)
    return false;
  block.sequence = static_cast<std::uint16_t>(frame.data[0] | (frame.data[1] << 8));
  for (std::uint8_t i = 0; i < kBytesPerBlock; ++i) block.bytes[i] = frame.data[2 + i];
  return true;
}
constexpr CanFrame encode_end(std::uint8_t source, std::uint32_t crc) {
  CanFrame frame;
  frame.id = make_id(kLinkPriority, kTypeEnd, kAddressBroadcast, source);
  frame.dlc = 4;
  for (int i = 0; i < 4; ++i)
    frame.data[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  return frame;
}
constexpr bool decode_end(const CanFrame& frame, std::uint32_t& crc) {
  if (!frame.extended || frame.dlc != 4 || type_of(frame) != kTypeEnd ||
      (frame.id >> 24) != kLinkPriority)
    return false;
  crc = 0;
  for (int i = 0; i < 4; ++i)
    crc |= static_cast<std::uint32_t>(frame.data[static_cast<std::size_t>(i)]) << (8 * i);
  return true;
}
/// The service tool's request on COM, addressed to one BDU (0x80 or 0x81).
constexpr CanFrame encode_request(std::uint8_t bdu_address, const Start& request) {
  CanFrame frame = encode_start(kAddressServiceTool, request);
  frame.id = make_id(kComPriority, kTypeRequest, bdu_address, kAddressServiceTool);
  return frame;
}
constexpr bool decode_request(const CanFrame& frame, std::uint8_t own_address, Start& request) {
  if (!frame.extended || frame.dlc != 5 || type_of(frame) != kTypeRequest ||
      (frame.id >> 24) != kComPriority || destination_of(frame) != own_address ||
      source_of(frame) != kAddressServiceTool) {
    return false;
  }
  request.version = FirmwareVersion{frame.data[0], frame.data[1], frame.data[2]};
  request.blocks = static_cast<std::uint16_t>(frame.data[3] | (frame.data[4] << 8));
  return request.blocks > 0;
}

}  // namespace bts::firmware::update
