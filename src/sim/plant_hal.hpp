#pragma once
// The firmware's HALs implemented on the plant and the modelled buses: each module BMS and each
// BDU controller sees exactly what its converters, inputs and bus ports would give it.
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "firmware/hal/bdu_hal.hpp"
#include "firmware/hal/module_hal.hpp"
#include "plant/system_plant.hpp"
#include "sim/can_bus.hpp"

namespace bts::sim {

/// The wires of one BDU's Link daisy chain: enable lines between neighbours.
struct LinkChain {
  bool bdu_enable_out = false;
  std::array<bool, plant::SystemDescription::kMaxModulesPerBdu> module_enable_out{};
};

class PlantModuleHal final : public firmware::ModuleHal {
 public:
  PlantModuleHal(plant::SystemPlant& plant, int bdu, int module, CanBus& link, int port,
                 LinkChain& chain, const std::uint64_t& now_us);
  void sample(firmware::ModuleMeasurements& out) override;
  void set_balancing_mask(std::uint32_t mask) override;
  void set_heater(bool on) override;
  void set_pcu_mode(firmware::PcuModeCommand mode) override;
  void set_pcu_voltage_reference_dV(std::int32_t reference_dV) override;
  void set_pcu_current_command_mA(std::int32_t current_mA) override;
  void set_pcu_current_limits_mA(std::int32_t charge_limit_mA,
                                 std::int32_t discharge_limit_mA) override;
  bool link_send(const firmware::CanFrame& frame) override;
  bool link_receive(firmware::CanFrame& frame) override;
  void set_link_acceptance_filters(std::span<const firmware::CanAcceptanceFilter> filters) override;
  bool link_enable_in() override;
  void set_link_enable_out(bool enabled) override;
  std::size_t nvm_read(std::span<std::uint8_t> destination) override;
  bool nvm_write(std::span<const std::uint8_t> source) override;
  /// Fault injection on the memory chip itself (tests of corrupted records).
  std::vector<std::uint8_t>& nvm_bytes() { return nvm_; }
  void set_nvm_write_fails(bool fails) { nvm_write_fails_ = fails; }

 private:
  plant::SystemPlant& plant_;
  int bdu_;
  int module_;
  // The plant's module, taken once (it stays where the plant built it): the HAL's calls then
  // reach it without the plant's two-level lookup.
  plant::Module& plant_module_;
  CanBus& link_;
  int port_;
  LinkChain& chain_;
  const std::uint64_t& now_us_;
  std::uint32_t balancing_mask_ = 0xFFFFFFFFu;
  std::vector<std::uint8_t> nvm_;
  bool nvm_write_fails_ = false;
  // The module's readings, kept from one sample to the next (read in place, not cleared).
  plant::ModuleSensorReadings readings_;
  static constexpr int kSamplesPerTemperatureConversion = 10;
  int samples_since_temperatures_ = 0;
  // The last conversion to 0.1 degC of each temperature reading (the cell sensors, then terminal,
  // ambient and PCU): between conversions the readings repeat, and so does their conversion.
  struct ConvertedTemperature {
    std::uint64_t degC_bits = 0;
    std::int16_t ddegC = 0;
    bool valid = false;
  };
  std::array<ConvertedTemperature, firmware::kMaxTemperatureSensors + 3> converted_{};
  /// The same reading (bit for bit) converts to the same value: the last conversion of the slot
  /// when it was of this reading (most samples: between conversions the readings repeat), else a
  /// new one. Inline here: eleven checks per sample.
  std::int16_t temperature_ddegC(std::size_t slot, double degC) {
    const ConvertedTemperature& converted = converted_[slot];
    if (converted.valid && converted.degC_bits == std::bit_cast<std::uint64_t>(degC)) [[likely]]
      return converted.ddegC;
    return convert_temperature_ddegC(slot, degC);
  }
  std::int16_t convert_temperature_ddegC(std::size_t slot, double degC);
};

class PlantBduHal final : public firmware::BduHal {
 public:
  PlantBduHal(plant::SystemPlant& plant, int bdu, CanBus& link, int link_port, CanBus& com,
              int com_port, LinkChain& chain, const std::uint64_t& now_us);
  firmware::BduMeasurements sample() override;
  void set_relay(firmware::BduRelay relay, bool energised) override;
  bool link_send(const firmware::CanFrame& frame) override;
  bool link_receive(firmware::CanFrame& frame) override;
  void set_link_enable_out(bool enabled) override;
  bool com_send(const firmware::CanFrame& frame) override;
  bool com_receive(firmware::CanFrame& frame) override;
  void set_lights(const firmware::LightOutputs& lights) override { lights_ = lights; }
  std::size_t nvm_read(std::span<std::uint8_t> destination) override;
  bool nvm_write(std::span<const std::uint8_t> source) override;
  const firmware::LightOutputs& lights() const { return lights_; }

 private:
  plant::SystemPlant& plant_;
  int bdu_;
  CanBus& link_;
  int link_port_;
  CanBus& com_;
  int com_port_;
  LinkChain& chain_;
  const std::uint64_t& now_us_;
  firmware::LightOutputs lights_{};
  std::vector<std::uint8_t> nvm_;
};

}  // namespace bts::sim
