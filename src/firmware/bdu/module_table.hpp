#pragma once
// What the BDU knows of each module on its Link bus: only what the module's frames said.
#include <array>
#include <cstdint>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"
#include "firmware/hal/bdu_hal.hpp"
#include "firmware/version.hpp"

namespace bts::firmware {

template <typename T, std::size_t N>
constexpr std::array<T, N> filled(T value) {
  std::array<T, N> values{};
  values.fill(value);
  return values;
}

struct ModuleEntry {
  bool assigned = false;   // an address was given to this position
  bool reporting = false;  // a status frame arrived within the timeout
  bool ever_reported = false;
  std::uint32_t serial_number = 0;
  TimeMs last_status_ms = 0;
  std::uint8_t state = 0;  // the module's state enum as it reported it
  CodeSet codes;
  std::int32_t soc_permille = 0;
  // From MODULE_ESTIMATES (nominal values until the first one arrives).
  std::int32_t soc_uncertainty_permille = 1000;
  bool calibration_request = false;
  std::int32_t capacity_permille = 1000;
  std::int32_t resistance_permille = 1000;
  std::int32_t equivalent_full_cycles = 0;
  std::int32_t stack_voltage_mV = 0;
  std::int32_t current_mA = 0;  // LV side, > 0 discharging
  std::int32_t bus_voltage_dV = 0;
  std::int32_t min_cell_mV = 0, max_cell_mV = 0;
  std::uint8_t min_cell_index = 0, max_cell_index = 0;  // 0-based, from the extremes frame
  std::int16_t min_temperature_ddegC = 0, max_temperature_ddegC = 0;
  bool derating = false;  // the BDU's reading of its codes (derive once per 100 ms task)
  // A direction the module's own codes stop (A3/F3 charging, A4/F4 discharging, F1/F2 by
  // temperature): its converter's window is zero that way, and the BDU counts it out.
  bool charge_blocked = false;
  bool discharge_blocked = false;
  // Since when a blocked module still carries current in its blocked direction (0: it does not).
  TimeMs against_block_since_ms = 0;
  // Bus side, from the module's extremes: what its converter may carry at the bus set point
  // (7.5 A and 2.5 kW, tapered by its cells), offered to the inverter and shared ...
  std::int32_t charge_limit_mA = 0;
  std::int32_t discharge_limit_mA = 0;
  // ... and the window the module is sent (7.5 A tapered; the converter itself keeps to its
  // 2.5 kW at whatever the bus is, so a sagging bus still gets all it can give).
  std::int32_t charge_window_mA = 0;
  std::int32_t discharge_window_mA = 0;
  /// The above with a stopped direction at zero: what the BDU offers, shares and sends.
  std::int32_t allowed_charge_mA() const { return charge_blocked ? 0 : charge_limit_mA; }
  std::int32_t allowed_discharge_mA() const { return discharge_blocked ? 0 : discharge_limit_mA; }
  std::int32_t allowed_charge_window_mA() const { return charge_blocked ? 0 : charge_window_mA; }
  std::int32_t allowed_discharge_window_mA() const {
    return discharge_blocked ? 0 : discharge_window_mA;
  }
  // Cell data (1 s frames); what the inverter's per-module inquiries are answered with.
  std::array<std::uint16_t, 16> cell_mV = filled<std::uint16_t, 16>(0xFFFF);
  std::array<std::int16_t, 8> cell_temperature_ddegC = filled<std::int16_t, 8>(-32768);
  bool version_known = false;
  FirmwareVersion version{0, 0, 0};
  // Link quality: the module counts its status frames; gaps in the count are lost frames.
  bool counter_known = false;
  std::uint8_t last_counter = 0;
  std::uint16_t frames_received = 0;  // in the current supervision window
  std::uint16_t frames_missed = 0;
};

using ModuleTable = std::array<ModuleEntry, kMaxModulesPerBdu>;

}  // namespace bts::firmware
