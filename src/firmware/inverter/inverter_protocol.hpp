#pragma once
// Which protocol a BDU speaks on its inverter CAN port (docs/protocols/inverter.md).
#include <cstdint>
#include <optional>
#include <string_view>

namespace bts::firmware {

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
