#pragma once
// A node's non-volatile record: a fixed-size blob with a magic, a version, the payload and a
// CRC-32. A record that fails any check is not trusted: the node rebuilds it from defaults and
// says so (event), never reads a corrupted value.
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "firmware/common/crc32.hpp"

namespace bts::firmware {

inline constexpr std::uint32_t kNvmMagic = 0x42545331;  // "BTS1"

template <typename Payload>
struct NvmImage {
  static_assert(std::is_trivially_copyable_v<Payload>);
  static constexpr std::size_t kSize = 12 + sizeof(Payload);
  std::array<std::uint8_t, kSize> bytes{};
};

template <typename Payload>
NvmImage<Payload> nvm_encode(const Payload& payload, std::uint16_t version) {
  NvmImage<Payload> image;
  std::uint8_t* out = image.bytes.data();
  std::memcpy(out, &kNvmMagic, 4);
  std::memcpy(out + 4, &version, 2);
  const std::uint16_t size = sizeof(Payload);
  std::memcpy(out + 6, &size, 2);
  std::memcpy(out + 8, &payload, sizeof(Payload));
  const std::uint32_t crc = crc32(std::span<const std::uint8_t>(out, 8 + sizeof(Payload)));
  std::memcpy(out + 8 + sizeof(Payload), &crc, 4);
  return image;
}

enum class NvmStatus : std::uint8_t { Ok, Empty, Corrupted, WrongVersion };

/// Decodes a record read back from memory; payload is written only when the status is Ok.
template <typename Payload>
NvmStatus nvm_decode(std::span<const std::uint8_t> bytes, std::uint16_t version, Payload& payload) {
  if (bytes.empty()) return NvmStatus::Empty;
  if (bytes.size() != NvmImage<Payload>::kSize) return NvmStatus::Corrupted;
  std::uint32_t magic = 0, stored_crc = 0;
  std::uint16_t stored_version = 0, size = 0;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&stored_version, bytes.data() + 4, 2);
  std::memcpy(&size, bytes.data() + 6, 2);
  std::memcpy(&stored_crc, bytes.data() + 8 + sizeof(Payload), 4);
  if (magic != kNvmMagic || size != sizeof(Payload)) return NvmStatus::Corrupted;
  if (crc32(bytes.first(8 + sizeof(Payload))) != stored_crc) return NvmStatus::Corrupted;
  if (stored_version != version) return NvmStatus::WrongVersion;
  std::memcpy(&payload, bytes.data() + 8, sizeof(Payload));
  return NvmStatus::Ok;
}

}  // namespace bts::firmware
