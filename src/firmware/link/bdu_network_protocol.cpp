#include "firmware/link/bdu_network_protocol.hpp"

#include <array>

namespace bts::firmware::bdu_network {

namespace {

constexpr std::string_view kBdu = "BDU";

constexpr std::array<MessageSpec, 4> kMessages{{
    {"BDU_PEER_STATUS", MessageType::BduPeerStatus, PeerStatus::kDlc, kFastPeriod_ms, kBdu,
     kAddressBdu1, kAddressBroadcast, PeerStatus::kSignals},
    {"BDU_PEER_LIMITS", MessageType::BduPeerLimits, PeerLimits::kDlc, kFastPeriod_ms, kBdu,
     kAddressBdu1, kAddressBroadcast, PeerLimits::kSignals},
    {"BDU_PEER_MEASUREMENTS", MessageType::BduPeerMeasurements, PeerMeasurements::kDlc,
     kFastPeriod_ms, kBdu, kAddressBdu1, kAddressBroadcast, PeerMeasurements::kSignals},
    {"BDU_PEER_INFO", MessageType::BduPeerInfo, PeerInfo::kDlc, kSlowPeriod_ms, kBdu, kAddressBdu1,
     kAddressBroadcast, PeerInfo::kSignals},
}};

}  // namespace

std::span<const MessageSpec> bdu_network_messages() { return kMessages; }

std::string_view message_name(MessageType type) {
  for (const MessageSpec& spec : kMessages) {
    if (spec.type == type) return spec.name;
  }
  return "UNKNOWN";
}

}  // namespace bts::firmware::bdu_network
