#pragma once
// Firmware identity reported on every bus; compared across nodes for F16.
#include <cstdint>

namespace bts::firmware {

struct FirmwareVersion {
  std::uint8_t major;
  std::uint8_t minor;
  std::uint8_t patch;
  constexpr bool operator==(const FirmwareVersion&) const = default;
};

/// The version this source tree builds for every node (module BMS, PCU control, BDU).
FirmwareVersion built_firmware_version();

}  // namespace bts::firmware
