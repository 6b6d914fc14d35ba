#include "sim/reference_controller.hpp"

#include <algorithm>

namespace bts::sim {

using plant::PcuMode;
using plant::RelayId;

ReferenceController::ReferenceController(plant::SystemPlant& plant,
                                         ReferenceControllerSettings settings)
    : plant_(plant), settings_(settings), bdus_(static_cast<std::size_t>(plant.bdu_count())) {
  for (int b = 0; b < plant_.bdu_count(); ++b) {
    plant_.bdu(b).set_dc_switch_closed(true);
    for (int m = 0; m < plant_.module_count(b); ++m)
      plant_.module(b, m).pcu().set_mode(PcuMode::Running);
  }
}

void ReferenceController::update(double dt_s) {
  for (int b = 0; b < plant_.bdu_count(); ++b) update_bdu(b, dt_s);
}

void ReferenceController::update_bdu(int bdu, double dt_s) {
  BduControl& control = bdus_[static_cast<std::size_t>(bdu)];
  const plant::BduSensorReadings bdu_sensors = plant_.read_bdu_sensors(bdu);
  const int modules = plant_.module_count(bdu);

  double min_cell_V = 10.0, max_cell_V = 0.0, stack_sum_V = 0.0;
  for (int m = 0; m < modules; ++m) {
    const plant::ModuleSensorReadings readings = plant_.module(bdu, m).read_sensors();
    for (int c = 0; c < readings.cell_count; ++c) {
      min_cell_V = std::min(min_cell_V, readings.cell_voltage_V[static_cast<std::size_t>(c)]);
      max_cell_V = std::max(max_cell_V, readings.cell_voltage_V[static_cast<std::size_t>(c)]);
    }
    stack_sum_V += readings.stack_voltage_V;
  }
  control.min_cell_V = min_cell_V;
  control.max_cell_V = max_cell_V;
  control.stack_mean_V = stack_sum_V / std::max(modules, 1);

  // Bus set point follows the stack voltage between empty (2.9 V/cell) and full (3.45 V/cell).
  const double fill = std::clamp((control.stack_mean_V / 16.0 - 2.9) / (3.45 - 2.9), 0.0, 1.0);
  const double setpoint_V =
      settings_.bus_setpoint_at_empty_V +
      fill * (settings_.bus_setpoint_at_full_V - settings_.bus_setpoint_at_empty_V);

  plant::BduHardware& hardware = plant_.bdu(bdu);
  switch (control.phase) {
    case Phase::BusStart:
      if (bdu_sensors.bat_in_voltage_V > setpoint_V - 5.0) {
        hardware.set_relay_coil(RelayId::NegativeMain, true);
        hardware.set_relay_coil(RelayId::Precharge, true);
        control.phase = Phase::Precharge;
      }
      break;
    case Phase::Precharge:
      if (bdu_sensors.output_voltage_V >
          bdu_sensors.bat_in_voltage_V - settings_.precharge_done_difference_V) {
        hardware.set_relay_coil(RelayId::PositiveMain, true);
        hardware.set_relay_coil(RelayId::Precharge, false);
        control.phase = Phase::Closed;
      }
      break;
    case Phase::Closed:
      break;
  }

  // Bus regulation: the PCUs' droop loops hold the bus near the reference; a slow integral
  // (ignored until the bus is up) trims out the droop sag under load.
  if (control.phase == Phase::Closed) {
    const double max_offset_A = settings_.per_module_current_limit_A;
    control.offset_A =
        std::clamp(control.offset_A + settings_.sag_integral_gain_A_per_V_s *
                                          (setpoint_V - bdu_sensors.bat_in_voltage_V) * dt_s,
                   -max_offset_A, max_offset_A);
  }
  for (int m = 0; m < modules; ++m) {
    plant::Pcu& pcu = plant_.module(bdu, m).pcu();
    pcu.set_voltage_reference_V(setpoint_V);
    pcu.set_current_command_A(control.offset_A);
  }

  // Limits to the inverter, tapered by the extreme cell voltages.
  auto taper = [](double value, double start, double stop) {
    return std::clamp((value - stop) / (start - stop), 0.0, 1.0);
  };
  const double max_current_A = settings_.per_module_current_limit_A * modules;
  plant::BatteryLimits limits;
  limits.valid = control.phase == Phase::Closed;
  limits.charge_voltage_limit_V = settings_.bus_setpoint_at_full_V + 5.0;
  limits.discharge_voltage_limit_V = settings_.bus_setpoint_at_empty_V - 10.0;
  limits.charge_current_limit_A =
      max_current_A * taper(max_cell_V, settings_.charge_taper_start_V, settings_.charge_stop_V);
  limits.discharge_current_limit_A =
      max_current_A *
      taper(min_cell_V, settings_.discharge_taper_start_V, settings_.discharge_stop_V);
  plant_.inverter().set_battery_limits(std::min(bdu, 1), limits);
}

}  // namespace bts::sim
