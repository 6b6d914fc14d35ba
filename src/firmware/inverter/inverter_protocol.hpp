#pragma once
// Which protocol a BDU speaks on its inverter CAN port (docs/protocols/inverter.md).
#include <cstdint>
#include <optional>
#include <string_view>

#include "firmware/common/types.hpp"

namespace bts::firmware {

/// How long the inverter may stay silent before the BDU counts it as gone (BduConfig::
/// inverter_timeout_ms, docs/protocols/inverter.md "Supervision"): 60 s by default for either
/// protocol (Battery-Emulator's inverter-alive counter), up to 10 min for inverters that poll
/// rarely (Battery-Emulator gives Sofar 120 s). Not below the F9 row's own 60 s set delay.
inline constexpr TimeMs kDefaultInverterTimeout_ms = 60000;
inline constexpr TimeMs kMinInverterTimeout_ms = 60000;
inline constexpr TimeMs kMaxInverterTimeout_ms = 600000;

enum class InverterProtocol : std::uint8_t {
  SofarExtended,  // cyclic 0x351..0x35F every second, replies to 0x605/0x705 inquiries
  PylonHv,        // silent until polled: answers 0x4200, obeys 0x8200/0x8210/0x8240
};

/// The names used on the command line and in scenario files.
constexpr std::string_view inverter_protocol_name(InverterProtocol protocol) {
  return protocol == InverterProtocol::PylonHv ? "pylon-hv" : "sofar";
}

constexpr std::optional<InverterProtocol> inverter_protocol_from_name(std::string_view name) {
  if (name == "sofar") return InverterProtocol::SofarExtended;
  if (name == "pylon-hv") return InverterProtocol::PylonHv;
  return std::nullopt;
}

}  // namespace bts::firmware
