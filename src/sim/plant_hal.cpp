#include "sim/plant_hal.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "plant/sensors.hpp"

namespace bts::sim {

namespace {

// Rounding to the nearest integer unit, as the converters' own scaling would.
std::int32_t to_milli(double value) {
  return static_cast<std::int32_t>(plant::floor_half_up(value * 1000.0));
}
std::int32_t to_deci(double value) {
  return static_cast<std::int32_t>(plant::floor_half_up(value * 10.0));
}
std::int16_t to_ddegC(double value_degC) {
  return static_cast<std::int16_t>(
      std::clamp(plant::floor_half_up(value_degC * 10.0), -32000.0, 32000.0));
}

}  // namespace

PlantModuleHal::PlantModuleHal(plant::SystemPlant& plant, int bdu, int module, CanBus& link,
                               int port, LinkChain& chain, const std::uint64_t& now_us)
    : plant_(plant),
      bdu_(bdu),
      module_(module),
      plant_module_(plant.module(bdu, module)),
      link_(link),
      port_(port),
      chain_(chain),
      now_us_(now_us) {}

void PlantModuleHal::sample(firmware::ModuleMeasurements& sample) {
  // The front end converts cell voltages, stack, current and bus voltage on every sample and the
  // eleven temperature channels once a second (every tenth 100 ms sample).
  const bool convert_temperatures = samples_since_temperatures_ == 0;
  samples_since_temperatures_ =
      (samples_since_temperatures_ + 1) % kSamplesPerTemperatureConversion;
  plant::Module& module = plant_module_;
  module.read_sensors(convert_temperatures, readings_);
  const plant::ModuleSensorReadings& readings = readings_;
  // Every field is written, slots past the last cell or sensor with 0.
  sample.cell_count =
      static_cast<std::uint8_t>(std::min(readings.cell_count, firmware::kMaxCellsPerModule));
  sample.temperature_count = static_cast<std::uint8_t>(
      std::min(readings.cell_temperature_count, firmware::kMaxTemperatureSensors));
  if (readings.cell_voltage_quanta_valid &&
      readings.cell_voltage_quantum_V == plant::kMilliQuantum) {
    // A count of 0.001 V quanta is to_milli of its reading, bit for bit (plant/sensors.hpp).
    // All slots are copied at once: past the last cell the readings' counts stay 0 (the plant
    // writes only its cells' slots). A loop of the cell count became a memcpy of variable
    // length, which GCC expands as `rep movsq`, slow to start for 64 bytes (`perf` put 40 % of
    // this function's time on it). Both arrays sit on 16 bytes and the plant stores the counts
    // four at a time, so each 16-byte load of the copy takes one store's data.
    static_assert(sizeof(sample.cell_voltage_mV) == sizeof(readings.cell_voltage_quanta));
    std::memcpy(sample.cell_voltage_mV.data(), readings.cell_voltage_quanta.data(),
                sizeof(sample.cell_voltage_mV));
  } else {
    for (std::size_t cell = 0; cell < sample.cell_voltage_mV.size(); ++cell) {
      sample.cell_voltage_mV[cell] =
          cell < sample.cell_count ? to_milli(readings.cell_voltage_V[cell]) : 0;
    }
  }
  for (std::size_t slot = 0; slot < sample.cell_temperature_ddegC.size(); ++slot) {
    sample.cell_temperature_ddegC[slot] =
        slot < sample.temperature_count
            ? temperature_ddegC(slot, readings.cell_temperature_degC[slot])
            : std::int16_t{0};
  }
  sample.stack_voltage_mV = to_milli(readings.stack_voltage_V);
  sample.current_mA = to_milli(readings.current_A);
  constexpr std::size_t kTerminal = firmware::kMaxTemperatureSensors;
  sample.terminal_temperature_ddegC =
      temperature_ddegC(kTerminal, readings.terminal_temperature_degC);
  sample.ambient_temperature_ddegC =
      temperature_ddegC(kTerminal + 1, readings.ambient_temperature_degC);
  sample.pcu_temperature_ddegC = temperature_ddegC(kTerminal + 2, readings.pcu_temperature_degC);
  sample.bus_voltage_dV = to_deci(readings.bus_voltage_V);
  sample.pcu_reports_internal_fault = readings.pcu_reports_internal_fault;
  sample.pcu_reports_over_temperature = readings.pcu_reports_over_temperature;
  sample.pcu_reports_bus_reversed = module.pcu().reports_bus_reversed();
}

std::int16_t PlantModuleHal::convert_temperature_ddegC(std::size_t slot, double degC) {
  ConvertedTemperature& converted = converted_[slot];
  converted.degC_bits = std::bit_cast<std::uint64_t>(degC);
  converted.ddegC = to_ddegC(degC);
  converted.valid = true;
  return converted.ddegC;
}

void PlantModuleHal::set_balancing_mask(std::uint32_t mask) {
  if (mask == balancing_mask_) return;
  balancing_mask_ = mask;
  plant::Module& module = plant_module_;
  for (int cell = 0; cell < module.cell_count(); ++cell)
    module.set_balancing(cell, (mask >> cell) & 1u);
}

void PlantModuleHal::set_heater(bool on) { plant_module_.set_heater_command(on); }

void PlantModuleHal::set_pcu_mode(firmware::PcuModeCommand mode) {
  plant::Pcu& pcu = plant_module_.pcu();
  switch (mode) {
    case firmware::PcuModeCommand::Off:
      pcu.set_mode(plant::PcuMode::Off);
      break;
    case firmware::PcuModeCommand::EnergySaving:
      pcu.set_mode(plant::PcuMode::EnergySaving);
      break;
    case firmware::PcuModeCommand::Running:
      pcu.set_mode(plant::PcuMode::Running);
      break;
  }
}

void PlantModuleHal::set_pcu_voltage_reference_dV(std::int32_t reference_dV) {
  plant_module_.pcu().set_voltage_reference_V(reference_dV * 0.1);
}

void PlantModuleHal::set_pcu_current_command_mA(std::int32_t current_mA) {
  plant_module_.pcu().set_current_command_A(current_mA * 0.001);
}

void PlantModuleHal::set_pcu_current_limits_mA(std::int32_t charge_limit_mA,
                                               std::int32_t discharge_limit_mA) {
  plant_module_.pcu().set_current_limits_A(charge_limit_mA * 0.001, discharge_limit_mA * 0.001);
}

bool PlantModuleHal::link_send(const firmware::CanFrame& frame) {
  return link_.send(port_, frame, now_us_);
}
bool PlantModuleHal::link_receive(firmware::CanFrame& frame) { return link_.receive(port_, frame); }

void PlantModuleHal::set_link_acceptance_filters(
    std::span<const firmware::CanAcceptanceFilter> filters) {
  // The modelled controller has the filter bank the HAL promises, so the firmware's set always
  // fits.
  static_assert(firmware::ModuleHal::kMaxLinkFilters <=
                static_cast<std::size_t>(CanBus::kMaxFilters));
  link_.set_acceptance_filters(port_, filters);
}

bool PlantModuleHal::link_enable_in() {
  // The enable wire runs inside the Link cable: a cut cable cuts it for every module after it.
  const int cut_before = plant_.wiring(bdu_).link_cable_cut_before_module;
  if (cut_before >= 0 && module_ >= cut_before) return false;
  return module_ == 0 ? chain_.bdu_enable_out
                      : chain_.module_enable_out[static_cast<std::size_t>(module_ - 1)];
}

void PlantModuleHal::set_link_enable_out(bool enabled) {
  chain_.module_enable_out[static_cast<std::size_t>(module_)] = enabled;
}

std::size_t PlantModuleHal::nvm_read(std::span<std::uint8_t> destination) {
  const std::size_t length = std::min(destination.size(), nvm_.size());
  std::copy_n(nvm_.begin(), length, destination.begin());
  return length;
}

bool PlantModuleHal::nvm_write(std::span<const std::uint8_t> source) {
  if (nvm_write_fails_ || plant_.memory_write_fails(bdu_, module_)) return false;
  nvm_.assign(source.begin(), source.end());
  return true;
}

PlantBduHal::PlantBduHal(plant::SystemPlant& plant, int bdu, CanBus& link, int link_port,
                         CanBus& com, int com_port, LinkChain& chain, const std::uint64_t& now_us)
    : plant_(plant),
      bdu_(bdu),
      link_(link),
      link_port_(link_port),
      com_(com),
      com_port_(com_port),
      chain_(chain),
      now_us_(now_us) {}

firmware::BduMeasurements PlantBduHal::sample() {
  const plant::BduSensorReadings readings = plant_.read_bdu_sensors(bdu_);
  firmware::BduMeasurements sample;
  sample.bat_in_voltage_dV = to_deci(readings.bat_in_voltage_V);
  sample.output_voltage_dV = to_deci(readings.output_voltage_V);
  sample.output_current_dA = to_deci(readings.output_current_A);
  sample.fuse_voltage_drop_dV = to_deci(readings.fuse_voltage_drop_V);
  sample.bdu_temperature_ddegC = to_ddegC(readings.bdu_temperature_degC);
  sample.output_terminal_temperature_ddegC = to_ddegC(readings.output_terminal_temperature_degC);
  for (std::size_t input = 0; input < sample.input_voltage_dV.size(); ++input) {
    sample.input_voltage_dV[input] = to_deci(readings.input_voltage_V[input]);
  }
  sample.black_start_pressed = readings.black_start_pressed;
  sample.dc_switch_closed = readings.dc_switch_closed;
  sample.relay_auxiliary_closed = readings.relay_auxiliary_closed;
  return sample;
}

void PlantBduHal::set_relay(firmware::BduRelay relay, bool energised) {
  plant_.bdu(bdu_).set_relay_coil(static_cast<plant::RelayId>(relay), energised);
}

bool PlantBduHal::link_send(const firmware::CanFrame& frame) {
  return link_.send(link_port_, frame, now_us_);
}
bool PlantBduHal::link_receive(firmware::CanFrame& frame) {
  return link_.receive(link_port_, frame);
}
void PlantBduHal::set_link_enable_out(bool enabled) { chain_.bdu_enable_out = enabled; }
bool PlantBduHal::com_send(const firmware::CanFrame& frame) {
  return com_.send(com_port_, frame, now_us_);
}
bool PlantBduHal::com_receive(firmware::CanFrame& frame) { return com_.receive(com_port_, frame); }

std::size_t PlantBduHal::nvm_read(std::span<std::uint8_t> destination) {
  const std::size_t length = std::min(destination.size(), nvm_.size());
  std::copy_n(nvm_.begin(), length, destination.begin());
  return length;
}

bool PlantBduHal::nvm_write(std::span<const std::uint8_t> source) {
  if (plant_.memory_write_fails(bdu_, -1)) return false;
  nvm_.assign(source.begin(), source.end());
  return true;
}

}  // namespace bts::sim
