#pragma once
// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) for non-volatile records.
#include <cstdint>
#include <span>

namespace bts::firmware {

constexpr std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0) {
  crc = ~crc;
  for (std::uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace bts::firmware
