#pragma once
// Types shared by all firmware: time from the tick, fixed-point units in the names, CAN frames.
// Firmware rules: standard library only, no heap after start-up, no exceptions, no wall clock.
#include <array>
#include <cstdint>

namespace bts::firmware {

/// Milliseconds since the node started, from its tick (never from a wall clock).
using TimeMs = std::uint64_t;

// Units used across the firmware (the unit is in every name):
//   voltages   std::int32_t ..._mV (cells, stack) or ..._dV (0.1 V: HV bus)
//   currents   std::int32_t ..._mA (module LV side) or ..._dA (0.1 A: HV side, inverter)
//   temperature std::int16_t ..._ddegC (0.1 degC)
//   SOC        std::int32_t soc_permille (0.1 %), 0..1000

/// A CAN 2.0 frame as every bus in the system carries it.
struct CanFrame {
  std::uint32_t id = 0;  // 11-bit or 29-bit identifier
  bool extended = true;  // 29-bit identifier
  std::uint8_t dlc = 0;  // 0..8 data bytes
  // On 8 bytes (the struct stays 16): the codecs read and write the payload as one 64-bit word,
  // which then neither crosses an 8-byte boundary nor straddles two stores of a 16-byte copy.
  alignas(8) std::array<std::uint8_t, 8> data{};
};
static_assert(sizeof(CanFrame) == 16);

/// One acceptance filter of a CAN controller: a frame passes when (id & mask) == (filter_id &
/// mask).
struct CanAcceptanceFilter {
  std::uint32_t filter_id = 0;
  std::uint32_t mask = 0;
};

inline bool operator==(const CanFrame& a, const CanFrame& b) {
  if (a.id != b.id || a.extended != b.extended || a.dlc != b.dlc) return false;
  for (std::uint8_t i = 0; i < a.dlc && i < 8; ++i) {
    if (a.data[i] != b.data[i]) return false;
  }
  return true;
}

}  // namespace bts::firmware
