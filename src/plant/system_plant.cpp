#include "plant/system_plant.hpp"

#include <algorithm>
#include <cmath>

#include "plant/units.hpp"

namespace bts::plant {

namespace {

constexpr int kBduVoltageChannels = 2;  // BAT IN and output

}  // namespace

SystemPlant::SystemPlant(const SystemDescription& description)
    : description_(description),
      chemistry_(std::make_unique<LfpChemistry>(description.cell, description.ageing)),
      noise_rng_(Rng(description.seed).fork(0xBD0)) {
  const Rng root(description.seed);
  for (std::size_t bdu_index = 0; bdu_index < description.bdus.size(); ++bdu_index) {
    const BduDescription& bdu = description.bdus[bdu_index];
    std::vector<std::unique_ptr<Module>> modules;
    for (std::size_t module_index = 0; module_index < bdu.modules.size(); ++module_index) {
      // One independent random stream per module position: adding a module elsewhere does not
      // change the cells or sensor errors of this one.
      const Rng module_rng = root.fork(1000 * (bdu_index + 1) + module_index);
      modules.push_back(std::make_unique<Module>(*chemistry_, description.spread,
                                                 description.module, description.pcu,
                                                 bdu.modules[module_index], module_rng));
    }
    modules_.push_back(std::move(modules));
    bdus_.push_back(std::make_unique<BduHardware>(description.bdu));
    BduWiring wiring;
    wiring.terminal_resistor_present = bdu.terminal_resistor_present;
    wiring_.push_back(wiring);
    ambient_overridden_.emplace_back(bdu.modules.size(), false);
    ambient_override_degC_.emplace_back(bdu.modules.size(), 0.0);
    memory_write_fails_.emplace_back(bdu.modules.size() + 1, false);
    bdu_energy_.emplace_back();
    Rng calibration = root.fork(5000 + bdu_index);
    for (int channel = 0; channel < kBduVoltageChannels; ++channel) {
      bdu_voltage_channels_.emplace_back(
          0.0, 0.002 * calibration.normal(), description.module.sensors.bus_voltage_noise_sd_V,
          description.module.sensors.bus_voltage_quantum_V, 0.0, 0.0);
    }
    bdu_current_channels_.emplace_back(0.02 * calibration.normal(), 0.003 * calibration.normal(),
                                       0.02, 0.01, 0.0, 0.0);
  }
  InverterParameters inverter_parameters = description.inverter;
  inverter_parameters.battery_inputs = std::max(inverter_parameters.battery_inputs, bdu_count());
  inverter_ =
      std::make_unique<Inverter>(inverter_parameters, description.household, description.seed);
  ambient_ = std::make_unique<AmbientProfile>(description.ambient);
  ambient_degC_ = ambient_->temperature_degC(0.0);
  update_extremes();
}

double SystemPlant::module_ambient_temperature_degC(int bdu, int module) const {
  const auto b = static_cast<std::size_t>(bdu);
  const auto m = static_cast<std::size_t>(module);
  return ambient_overridden_[b][m] ? ambient_override_degC_[b][m] : ambient_degC_;
}

bool SystemPlant::memory_write_fails(int bdu, int module) const {
  return memory_write_fails_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(module + 1)];
}

void SystemPlant::step(double dt_s) {
  const double time_s = this->time_s();
  ambient_degC_ = fixed_ambient_degC_ ? *fixed_ambient_degC_ : ambient_->temperature_degC(time_s);
  std::array<double, 2> inverter_input_V{0.0, 0.0};
  for (std::size_t b = 0; b < bdus_.size(); ++b) {
    BduHardware& hardware = *bdus_[b];
    const double bat_in_V = hardware.truth().bat_in_voltage_V;
    std::array<PcuBusSource, BduHardware::kMaxSources> sources{};
    const std::size_t module_count = modules_[b].size();
    for (std::size_t m = 0; m < module_count; ++m) {
      sources[m] = modules_[b][m]->prepare_converter(
          dt_s, bat_in_V,
          module_ambient_temperature_degC(static_cast<int>(b), static_cast<int>(m)));
    }
    const int input = std::min<int>(static_cast<int>(b), 1);
    hardware.step(dt_s, std::span<const PcuBusSource>(sources.data(), module_count),
                  inverter_->input_current_A(input), description_.inverter.input_capacitance_F);
    const double bat_in_after_V = hardware.truth().bat_in_voltage_V;
    for (std::size_t m = 0; m < module_count; ++m) {
      modules_[b][m]->complete_converter(
          dt_s, hardware.source_current_A(m), bat_in_after_V,
          module_ambient_temperature_degC(static_cast<int>(b), static_cast<int>(m)));
    }
    const BduTruth& truth = hardware.truth();
    inverter_input_V[static_cast<std::size_t>(input)] = truth.inverter_voltage_V;
    const double output_power_W = truth.dc_link_voltage_V * truth.output_current_A;
    BduTruthSummary& energy = bdu_energy_[b];
    if (output_power_W >= 0.0) {
      energy.energy_discharged_Wh += output_power_W * dt_s / kSecondsPerHour;
    } else {
      energy.energy_charged_Wh -= output_power_W * dt_s / kSecondsPerHour;
    }
  }
  inverter_->step(time_s, dt_s, inverter_input_V);
  for (std::size_t b = 0; b < bdus_.size(); ++b) {
    for (std::size_t m = 0; m < modules_[b].size(); ++m) {
      // The extremes take in each cell as it is stepped, in the order update_extremes() uses.
      modules_[b][m]->step_cells(
          dt_s, module_ambient_temperature_degC(static_cast<int>(b), static_cast<int>(m)),
          extremes_);
    }
  }
  time_us_ += std::llround(dt_s * 1e6);
}

void SystemPlant::update_extremes() {
  for (const auto& modules : modules_) {
    for (const auto& module : modules) {
      for (int index = 0; index < module->cell_count(); ++index) {
        extremes_.include(module->cell(index));
      }
    }
  }
}

BduSensorReadings SystemPlant::read_bdu_sensors(int bdu) {
  const auto b = static_cast<std::size_t>(bdu);
  const BduHardware& hardware = *bdus_[b];
  const BduTruth& truth = hardware.truth();
  BduSensorReadings readings;
  readings.bat_in_voltage_V =
      bdu_voltage_channels_[b * kBduVoltageChannels].read(truth.bat_in_voltage_V, noise_rng_);
  readings.output_voltage_V =
      bdu_voltage_channels_[b * kBduVoltageChannels + 1].read(truth.dc_link_voltage_V, noise_rng_);
  readings.output_current_A = bdu_current_channels_[b].read(truth.output_current_A, noise_rng_);
  readings.fuse_voltage_drop_V = truth.fuse_voltage_drop_V;
  // The BDU enclosure runs slightly above ambient from its own losses (relays, fuse, electronics).
  const double losses_W = description_.bdu.housekeeping_draw_W +
                          truth.output_current_A * truth.output_current_A *
                              (2.0 * description_.bdu.relay_contact_resistance_Ohm + 0.002);
  readings.bdu_temperature_degC =
      ambient_degC_ + losses_W * description_.bdu.ambient_to_bdu_rise_degC_per_W;
  readings.output_terminal_temperature_degC =
      readings.bdu_temperature_degC + truth.output_terminal_temperature_rise_degC;
  for (std::size_t m = 0; m < modules_[b].size(); ++m) {
    readings.input_voltage_V[m] = modules_[b][m]->output_voltage_V();
  }
  readings.black_start_pressed = hardware.black_start_pressed();
  readings.dc_switch_closed = hardware.dc_switch_closed();
  for (int relay = 0; relay < 3; ++relay) {
    readings.relay_auxiliary_closed[static_cast<std::size_t>(relay)] =
        hardware.relay_contacts_closed(static_cast<RelayId>(relay));
  }
  return readings;
}

BduTruthSummary SystemPlant::bdu_truth(int bdu) const {
  BduTruthSummary summary = bdu_energy_[static_cast<std::size_t>(bdu)];
  summary.electrical = bdus_[static_cast<std::size_t>(bdu)]->truth();
  return summary;
}

double SystemPlant::stored_energy_Wh() const {
  double energy_Wh = 0.0;
  for (const auto& modules : modules_) {
    for (const auto& module : modules) energy_Wh += module->truth().stored_energy_Wh;
  }
  return energy_Wh;
}

bool SystemPlant::check_location(const PlantFault& fault, std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  if (fault.bdu < 0 || fault.bdu >= bdu_count()) {
    return fail("BDU " + std::to_string(fault.bdu + 1) + " does not exist (system has " +
                std::to_string(bdu_count()) + ")");
  }
  const bool needs_module = fault.kind != PlantFaultKind::FuseBlown &&
                            fault.kind != PlantFaultKind::RelayWelded &&
                            fault.kind != PlantFaultKind::BduOutputTerminalLoose &&
                            fault.kind != PlantFaultKind::TerminalResistorRemoved &&
                            fault.kind != PlantFaultKind::InverterCableCut &&
                            fault.kind != PlantFaultKind::InverterCommunicationCut &&
                            fault.kind != PlantFaultKind::BduNetworkCableCut &&
                            fault.kind != PlantFaultKind::InverterIgnoresLimits;
  // Without a module these act on every module of the BDU (ambient) or on the BDU (memory).
  const bool all_modules_allowed = fault.kind == PlantFaultKind::AmbientOverride ||
                                   fault.kind == PlantFaultKind::MemoryWriteFailure;
  if (needs_module && !(all_modules_allowed && fault.module < 0) &&
      (fault.module < 0 || fault.module >= module_count(fault.bdu))) {
    return fail("module " + std::to_string(fault.module + 1) + " does not exist on BDU " +
                std::to_string(fault.bdu + 1) + " (it has " +
                std::to_string(module_count(fault.bdu)) + ")");
  }
  const bool needs_cell = fault.kind == PlantFaultKind::CellExternalHeat ||
                          fault.kind == PlantFaultKind::CellInternalShort;
  if (needs_cell &&
      (fault.index < 0 || fault.index >= module(fault.bdu, fault.module).cell_count())) {
    return fail("cell " + std::to_string(fault.index + 1) + " does not exist (a module has " +
                std::to_string(module(fault.bdu, fault.module).cell_count()) + " cells)");
  }
  if (fault.kind == PlantFaultKind::BduNetworkCableCut && bdu_count() < 2) {
    return fail("there is no BDU network cable in a system with one BDU");
  }
  return true;
}

bool SystemPlant::set_fault(const PlantFault& fault, bool active, std::string* error) {
  if (!check_location(fault, error)) return false;
  const auto b = static_cast<std::size_t>(fault.bdu);
  BduHardware& hardware = *bdus_[b];
  BduWiring& wiring = wiring_[b];
  switch (fault.kind) {
    case PlantFaultKind::CellExternalHeat:
      module(fault.bdu, fault.module)
          .set_cell_external_heat_W(fault.index, active ? fault.value : 0.0);
      break;
    case PlantFaultKind::AmbientOverride:
      for (int m = 0; m < module_count(fault.bdu); ++m) {
        if (fault.module >= 0 && m != fault.module) continue;
        ambient_overridden_[b][static_cast<std::size_t>(m)] = active;
        ambient_override_degC_[b][static_cast<std::size_t>(m)] = fault.value;
      }
      break;
    case PlantFaultKind::HeaterStuckOn:
      module(fault.bdu, fault.module).set_heater_stuck_on(active);
      break;
    case PlantFaultKind::CellInternalShort:
      module(fault.bdu, fault.module)
          .set_cell_internal_short_Ohm(fault.index, active ? fault.value : 0.0);
      break;
    case PlantFaultKind::SensorFailure:
      module(fault.bdu, fault.module)
          .set_sensor_failure(fault.sensor, fault.index,
                              active ? fault.sensor_failure : SensorFailure::None);
      break;
    case PlantFaultKind::PcuFailure:
      module(fault.bdu, fault.module)
          .pcu()
          .set_failure(active ? fault.pcu_failure : PcuFailure::None);
      break;
    case PlantFaultKind::FuseBlown:
      // A blown fuse stays blown: clearing the fault means replacing the fuse.
      hardware.failures().fuse_blown = active;
      break;
    case PlantFaultKind::RelayWelded:
      hardware.failures().relay_welded[static_cast<std::size_t>(fault.relay)] = active;
      break;
    case PlantFaultKind::PowerCableReversed:
      module(fault.bdu, fault.module).set_power_cable_reversed(active);
      break;
    case PlantFaultKind::PowerCableCut:
      module(fault.bdu, fault.module).set_power_cable_cut(active);
      break;
    case PlantFaultKind::ModuleTerminalLoose:
      module(fault.bdu, fault.module)
          .set_terminal_loose(active, fault.value > 0.0
                                          ? fault.value
                                          : description_.module.loose_terminal_resistance_Ohm);
      break;
    case PlantFaultKind::BduOutputTerminalLoose:
      hardware.failures().output_terminal_loose = active;
      break;
    case PlantFaultKind::TerminalResistorRemoved:
      wiring.terminal_resistor_present = !active;
      break;
    case PlantFaultKind::LinkCableCut:
      wiring.link_cable_cut_before_module = active ? fault.module : -1;
      break;
    case PlantFaultKind::InverterCableCut:
      hardware.failures().cable_to_inverter_cut = active;
      break;
    case PlantFaultKind::InverterCommunicationCut:
      wiring.inverter_communication_cut = active;
      break;
    case PlantFaultKind::BduNetworkCableCut:
      bdu_network_cable_cut_ = active;
      break;
    case PlantFaultKind::InverterIgnoresLimits:
      inverter_->set_ignores_current_limits(std::min(fault.bdu, 1), active);
      break;
    case PlantFaultKind::MemoryWriteFailure:
      memory_write_fails_[b][static_cast<std::size_t>(std::max(fault.module, -1) + 1)] = active;
      break;
  }
  return true;
}

}  // namespace bts::plant
