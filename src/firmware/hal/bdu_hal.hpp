#pragma once
// What the BDU controller's MCU can touch: its measurements, the three relays with auxiliary
// contacts, the black start button and DC switch positions, three CAN ports (Link to its
// modules, and COM which carries both the BDU network and the inverter link), the indicator
// lights and a small non-volatile memory.
#include <array>
#include <cstdint>
#include <span>

#include "firmware/common/types.hpp"

namespace bts::firmware {

inline constexpr int kMaxModulesPerBdu = 4;

struct BduMeasurements {
  std::int32_t bat_in_voltage_dV = 0;
  std::int32_t output_voltage_dV = 0;
  std::int32_t output_current_dA = 0;  // > 0 to the inverter
  std::int32_t fuse_voltage_drop_dV = 0;
  std::int16_t bdu_temperature_ddegC = 0;
  std::int16_t output_terminal_temperature_ddegC = 0;
  std::array<std::int32_t, kMaxModulesPerBdu> input_voltage_dV{};  // per BAT IN input
  bool black_start_pressed = false;
  bool dc_switch_closed = false;
  std::array<bool, 3> relay_auxiliary_closed{};  // positive main, negative main, precharge
};

enum class BduRelay : std::uint8_t { PositiveMain = 0, NegativeMain = 1, Precharge = 2 };

/// The seven lights as driven at this instant (the simulator records them).
struct LightOutputs {
  bool status_green = false;
  bool status_blue = false;
  bool alarm = false;
  std::array<bool, 5> soc{};
};

class BduHal {
 public:
  virtual ~BduHal() = default;
  virtual BduMeasurements sample() = 0;
  virtual void set_relay(BduRelay relay, bool energised) = 0;
  virtual bool link_send(const CanFrame& frame) = 0;
  virtual bool link_receive(CanFrame& frame) = 0;
  /// The enable line the BDU's Link port drives towards module 1.
  virtual void set_link_enable_out(bool enabled) = 0;
  virtual bool com_send(const CanFrame& frame) = 0;
  virtual bool com_receive(CanFrame& frame) = 0;
  virtual void set_lights(const LightOutputs& lights) = 0;
  virtual std::size_t nvm_read(std::span<std::uint8_t> destination) = 0;
  virtual bool nvm_write(std::span<const std::uint8_t> source) = 0;
};

}  // namespace bts::firmware
