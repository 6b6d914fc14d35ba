#pragma once
// Parameters of one battery module (BTS 5K) apart from its cells and PCU: thermal network,
// sensors as the module BMS sees them, balancing resistors and the heater film.
namespace bts::plant {

struct SensorErrorParameters {
  // Cell voltage channels (REQ: 1 mV quantisation).
  double cell_voltage_noise_sd_V = 0.001;
  double cell_voltage_offset_sd_V = 0.002;  // fixed per channel, drawn from the seed
  double cell_voltage_quantum_V = 0.001;
  // Temperature channels.
  double temperature_noise_sd_degC = 0.2;
  double temperature_offset_sd_degC = 0.5;
  double temperature_quantum_degC = 0.1;
  // Module current (LV side, shunt or hall).
  double current_offset_A = 0.05;     // fixed offset (sign drawn from the seed)
  double current_gain_error = 0.005;  // relative, sign drawn from the seed
  double current_noise_sd_A = 0.02;
  double current_quantum_A = 0.01;
  // HV-side voltage and current of the PCU.
  double bus_voltage_noise_sd_V = 0.2;
  double bus_voltage_quantum_V = 0.1;
  // Each PCU's own bus-voltage sense (its droop loop regulates on it).
  double pcu_voltage_sense_offset_sd_V = 0.2;
};

struct ModuleParameters {
  int cells_in_series = 16;          // decision D-CELL
  int cell_temperature_sensors = 8;  // each senses a pair of neighbouring cells
  /// Module internal air/structure node and its conductance to ambient through the enclosure.
  double internal_heat_capacity_J_per_K = 10000.0;
  double enclosure_conductance_W_per_K = 5.0;
  /// Terminal block: its temperature rises with I^2*R of the connection (loose terminal fault).
  double terminal_resistance_Ohm = 0.2e-3;
  double terminal_heat_capacity_J_per_K = 200.0;
  double terminal_conductance_W_per_K = 0.5;
  double loose_terminal_resistance_Ohm = 0.5;  // a loose HV terminal (fault injection default)
  /// PCU output capacitor, on which the output floats when the power cable is cut or reversed.
  double pcu_output_capacitance_F = 100e-6;
  double pcu_output_bleeder_Ohm = 1.0e6;
  /// Share of heater power that goes into the cells (the rest heats the module air).
  double heater_share_into_cells = 0.8;
  /// Passive balancing: one resistor per cell with its switch.
  double balancing_resistance_Ohm = 36.0;  // ~90 mA at 3.3 V
  /// Heater film under the cells, usable below 0 degC.
  double heater_power_W = 150.0;
  double standby_draw_shutdown_W = 0.0;  // fully off: nothing
  SensorErrorParameters sensors;
};

}  // namespace bts::plant
