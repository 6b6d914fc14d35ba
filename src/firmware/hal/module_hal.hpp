#pragma once
// What a module BMS's MCU can touch: its measurement front end, its balancing switches, the
// heater relay, its PCU's control inputs, the Link bus port with its daisy-chain enable lines,
// and a small non-volatile memory. The simulator implements it on the plant; a real board would
// implement it on its drivers.
#include <array>
#include <cstdint>
#include <span>

#include "firmware/common/types.hpp"

namespace bts::firmware {

inline constexpr int kMaxCellsPerModule = 24;
inline constexpr int kMaxTemperatureSensors = 12;

/// One sample of the module's converters, in the firmware's integer units.
struct ModuleMeasurements {
  std::uint8_t cell_count = 0;
  std::uint8_t temperature_count = 0;
  // On 16 bytes: copied and scanned four cells at a time, each 16-byte load then matches one
  // 16-byte store (a load across several stores waits for them to reach the cache).
  alignas(16) std::array<std::int32_t, kMaxCellsPerModule> cell_voltage_mV{};
  std::array<std::int16_t, kMaxTemperatureSensors> cell_temperature_ddegC{};
  std::int32_t stack_voltage_mV = 0;
  std::int32_t current_mA = 0;  // LV side, > 0 discharging
  std::int16_t terminal_temperature_ddegC = 0;
  std::int16_t ambient_temperature_ddegC = 0;  // module internal air
  std::int16_t pcu_temperature_ddegC = 0;
  std::int32_t bus_voltage_dV = 0;  // PCU HV side
  bool pcu_reports_internal_fault = false;
  bool pcu_reports_over_temperature = false;
  bool pcu_reports_bus_reversed = false;
};

enum class PcuModeCommand : std::uint8_t { Off, EnergySaving, Running };

class ModuleHal {
 public:
  virtual ~ModuleHal() = default;
  /// One sample of every channel, written into out (every field of it). In place rather than
  /// returned: the firmware keeps its sample, and a copy of a struct just written field by field
  /// loads across those stores, which the processor cannot forward.
  virtual void sample(ModuleMeasurements& out) = 0;
  virtual void set_balancing_mask(std::uint32_t mask) = 0;  // bit k closes cell k's switch
  virtual void set_heater(bool on) = 0;
  virtual void set_pcu_mode(PcuModeCommand mode) = 0;
  /// Droop regulation towards this bus voltage (0 = pure current mode).
  virtual void set_pcu_voltage_reference_dV(std::int32_t reference_dV) = 0;
  /// Current offset (droop mode) or current (current mode), bus side, > 0 discharging.
  virtual void set_pcu_current_command_mA(std::int32_t current_mA) = 0;
  /// Hardware window the converter must stay inside, bus side, both >= 0 (charge, discharge).
  virtual void set_pcu_current_limits_mA(std::int32_t charge_limit_mA,
                                         std::int32_t discharge_limit_mA) = 0;
  virtual bool link_send(const CanFrame& frame) = 0;  // false: TX queue full
  virtual bool link_receive(CanFrame& frame) = 0;     // false: nothing waiting
  /// Replaces the Link controller's acceptance filters (at most kMaxLinkFilters; a frame passes
  /// one of them or is not received; none set = every frame). The controller still acknowledges
  /// every frame on the wire, as a real one does.
  static constexpr std::size_t kMaxLinkFilters = 4;
  virtual void set_link_acceptance_filters(std::span<const CanAcceptanceFilter> filters) = 0;
  /// The daisy-chain enable line from the previous module (or the BDU) on Link In.
  virtual bool link_enable_in() = 0;
  virtual void set_link_enable_out(bool enabled) = 0;
  /// Non-volatile record: read returns the bytes stored (0 when empty); write replaces them.
  virtual std::size_t nvm_read(std::span<std::uint8_t> destination) = 0;
  virtual bool nvm_write(std::span<const std::uint8_t> source) = 0;
};

}  // namespace bts::firmware
