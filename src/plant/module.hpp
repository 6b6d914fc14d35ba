#pragma once
// One battery module (BTS 5K, REQ-TOP-1): a series stack of LFP cells with their thermal network,
// passive balancing resistors, a heater film, the PCU, the HV power terminal, and the sensors the
// module BMS reads. The module BMS firmware acts on it only through set_* controls and sees it
// only through read_sensors().
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "plant/cell.hpp"
#include "plant/memo_exp.hpp"
#include "plant/module_parameters.hpp"
#include "plant/pcu.hpp"
#include "plant/random.hpp"
#include "plant/sensors.hpp"

namespace bts::plant {

struct ModuleDescription;

inline constexpr int kMaxCellsPerModule = 24;
inline constexpr int kMaxTemperatureSensorsPerModule = 12;

/// One sample of every module sensor, as the BMS's converters deliver it.
struct ModuleSensorReadings {
  int cell_count = 0;
  int cell_temperature_count = 0;
  std::array<double, kMaxCellsPerModule> cell_voltage_V{};
  /// When cell_voltage_quanta_valid: each cell voltage reading as a whole number of its
  /// converter's quanta (cell_voltage_V = quanta * cell_voltage_quantum_V, |quanta| < 2^31).
  bool cell_voltage_quanta_valid = false;
  double cell_voltage_quantum_V = 0.0;
  // On 16 bytes, stored four counts at a time: the simulator's HAL copies it 16 bytes at a time.
  alignas(16) std::array<std::int32_t, kMaxCellsPerModule> cell_voltage_quanta{};
  std::array<double, kMaxTemperatureSensorsPerModule> cell_temperature_degC{};
  double stack_voltage_V = 0.0;            // separate divider across the whole stack
  double current_A = 0.0;                  // LV side, > 0 discharging
  double terminal_temperature_degC = 0.0;  // HV power terminal block
  double ambient_temperature_degC = 0.0;   // module internal air
  double pcu_temperature_degC = 0.0;       // PCU heatsink
  double bus_voltage_V = 0.0;              // PCU HV side, at the module's power terminal
  bool pcu_reports_internal_fault = false;
  bool pcu_reports_over_temperature = false;
};

/// Which physical channel a sensor failure is injected on.
enum class ModuleSensor : std::uint8_t {
  CellVoltage,      // index = cell (an open sense wire also corrupts the next channel)
  CellTemperature,  // index = temperature sensor
  StackVoltage,
  Current,
  TerminalTemperature,
  AmbientTemperature,
  PcuTemperature,
  BusVoltage,
};

/// Ground truth of one module for scoring (never given to firmware).
struct ModuleTruth {
  double soc_mean = 0.0;
  double soc_min = 0.0;
  double soc_max = 0.0;
  double cell_voltage_min_V = 0.0;
  double cell_voltage_max_V = 0.0;
  double cell_temperature_min_degC = 0.0;
  double cell_temperature_max_degC = 0.0;
  double stack_voltage_V = 0.0;
  double stack_current_A = 0.0;  // > 0 discharging, all loads included
  double bus_current_A = 0.0;    // PCU output into BAT IN
  double capacity_Ah_min = 0.0;  // weakest cell
  double stored_energy_Wh = 0.0;
  double internal_temperature_degC = 0.0;
  double terminal_temperature_degC = 0.0;
};

/// Ground-truth extremes over every cell of a plant since its start.
struct PlantExtremes {
  double cell_voltage_min_V = 1e9;
  double cell_voltage_max_V = -1e9;
  double cell_temperature_min_degC = 1e9;
  double cell_temperature_max_degC = -1e9;
  double soc_min = 1e9;
  double soc_max = -1e9;
  void include(const Cell& cell) {
    cell_voltage_min_V = std::min(cell_voltage_min_V, cell.terminal_voltage_V());
    cell_voltage_max_V = std::max(cell_voltage_max_V, cell.terminal_voltage_V());
    cell_temperature_min_degC = std::min(cell_temperature_min_degC, cell.temperature_degC());
    cell_temperature_max_degC = std::max(cell_temperature_max_degC, cell.temperature_degC());
    soc_min = std::min(soc_min, cell.soc());
    soc_max = std::max(soc_max, cell.soc());
  }
};

class Module {
 public:
  Module(const LfpChemistry& chemistry, const CellSpreadParameters& spread,
         const ModuleParameters& parameters, const PcuParameters& pcu,
         const ModuleDescription& description, Rng rng);
  // The cells point into the module's state blocks, so a module stays where it was built.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // --- Controls (what the module BMS drives through its HAL) ---
  void set_balancing(int cell, bool on);
  bool balancing(int cell) const { return balancing_[static_cast<std::size_t>(cell)]; }
  void set_heater_command(bool on) { heater_command_ = on; }
  bool heater_on() const { return heater_command_ || heater_stuck_on_; }
  Pcu& pcu() { return pcu_; }
  const Pcu& pcu() const { return pcu_; }

  // --- Physics, called by the system plant each step ---
  /// Two-phase converter step around the BDU's network solve. prepare_converter() gives the
  /// PCU's output source at this module's power terminal (a zero source when the power cable is
  /// cut or reversed: then the BDU input blocks it and the output floats on the PCU's own
  /// capacitor, solved here); complete_converter() books the current the network settled on.
  /// The PCU heatsink sits on the enclosure and sheds its losses to the outside air (ambient_degC).
  PcuBusSource prepare_converter(double dt_s, double bat_in_voltage_V, double ambient_degC);
  void complete_converter(double dt_s, double bus_current_A, double bat_in_voltage_V,
                          double ambient_degC);
  bool connected_to_bdu() const { return !cut_ && !reversed_; }
  /// Current this module's PCU pushes into BAT IN this step (0 when not connected).
  double bus_current_into_bdu_A() const { return connected_ ? pcu_.bus_current_A() : 0.0; }
  /// Voltage the module's output terminal shows to the BDU input (negative when reversed).
  double output_voltage_V() const { return output_voltage_V_; }
  /// Cells, balancing, heater and thermal network; each stepped cell goes into extremes.
  void step_cells(double dt_s, double ambient_degC, PlantExtremes& extremes);
  /// Whether step_cells steps four cells per AVX instruction (on by default where the processor
  /// has AVX; off: two per SSE2 instruction). The results are the same to the bit either way.
  void set_avx_cell_step(bool on) { avx_cell_step_ = on && Cell::avx_available(); }
  bool avx_cell_step() const { return avx_cell_step_; }

  // --- Sensors ---
  /// One sample of every channel. convert_temperatures = false returns the temperature channels'
  /// last conversion (a multiplexed front end converts temperatures at a slower rate).
  ModuleSensorReadings read_sensors(bool convert_temperatures = true);
  /// The same into a reading kept by the caller (no new one to clear each sample). Every field is
  /// written, except that cell_voltage_quanta holds nothing meaningful while
  /// !cell_voltage_quanta_valid, and the slots past cell_count() are never written (a reading
  /// that starts cleared keeps 0 there: the module HAL copies all slots at once).
  void read_sensors(bool convert_temperatures, ModuleSensorReadings& readings);
  void set_sensor_failure(ModuleSensor sensor, int index, SensorFailure failure);

  // --- Physical faults (fault injection) ---
  void set_cell_external_heat_W(int cell, double heat_W);
  void set_cell_internal_short_Ohm(int cell, double resistance_Ohm);
  void set_heater_stuck_on(bool stuck) { heater_stuck_on_ = stuck; }
  void set_terminal_loose(bool loose, double resistance_Ohm);
  void set_power_cable_reversed(bool reversed) { reversed_ = reversed; }
  bool power_cable_reversed() const { return reversed_; }
  void set_power_cable_cut(bool cut) { cut_ = cut; }
  bool power_cable_cut() const { return cut_; }

  // --- Ground truth ---
  int cell_count() const { return static_cast<int>(cells_.size()); }
  const Cell& cell(int index) const { return cells_[static_cast<std::size_t>(index)]; }
  Cell& cell(int index) { return cells_[static_cast<std::size_t>(index)]; }
  ModuleTruth truth() const;
  double stack_voltage_V() const { return stack_voltage_V_; }
  double internal_temperature_degC() const { return internal_degC_; }
  double terminal_temperature_degC() const { return terminal_degC_; }
  double heater_energy_Wh() const { return heater_energy_Wh_; }
  double balancing_energy_Wh() const { return balancing_energy_Wh_; }

 private:
  double temperature_of_sensor(int sensor) const;

  ModuleParameters parameters_;
  MemoExp terminal_exp_;  // the HV terminal node's decay
  std::vector<Cell> cells_;
  // The cells' per-step state, four cells per block (cells 4k..4k+3 in block k), so that they
  // are stepped four at a time with AVX (Cell::step_quad_with_external_heat) or two at a time
  // with SSE2 (Cell::step_pair_with_external_heat).
  std::vector<CellStateBlock> cell_states_;
  // The chemistry every cell of the module was made with (nothing gives a cell another one).
  struct CellStepSums;
  /// step_cells' AVX path: the cells in fours, from the first; returns how many it stepped.
  std::size_t step_cell_quads(double dt_s, double heater_per_cell_W, CellStepSums& sums);
  const LfpChemistry* chemistry_;
  bool avx_cell_step_ = false;  // Cell::avx_available(); set_avx_cell_step for tests
  Pcu pcu_;
  Rng noise_rng_;
  std::array<bool, kMaxCellsPerModule> balancing_{};
  bool heater_command_ = false;
  bool heater_stuck_on_ = false;
  bool reversed_ = false;
  bool cut_ = false;
  bool connected_ = false;
  double floating_output_V_ = 0.0;  // PCU output capacitor when not connected to BAT IN
  std::array<double, kMaxCellsPerModule> fault_heat_W_{};
  double terminal_resistance_Ohm_;
  double cell_conductance_W_per_K_;
  double output_voltage_V_ = 0.0;
  double stack_voltage_V_ = 0.0;
  double stack_current_A_ = 0.0;
  double internal_degC_;
  double terminal_degC_;
  double heater_energy_Wh_ = 0.0;
  double balancing_energy_Wh_ = 0.0;
  double balancing_heat_W_ = 0.0;
  std::vector<SensorChannel> cell_voltage_channels_;
  bool cell_voltage_channels_working_ = true;  // no cell voltage channel has a failure
  bool cell_voltage_channels_noisy_ = false;   // every cell voltage channel has noise
  // The same channels laid out for one sample of all (while they all work and are noisy: their
  // last readings are kept here then, and handed back when a failure comes).
  CellVoltageFrontEnd cell_voltage_front_end_;
  bool cell_voltages_through_front_end() const;
  std::vector<SensorChannel> cell_temperature_channels_;
  SensorChannel stack_voltage_channel_;
  SensorChannel current_channel_;
  SensorChannel terminal_temperature_channel_;
  SensorChannel ambient_temperature_channel_;
  SensorChannel pcu_temperature_channel_;
  SensorChannel bus_voltage_channel_;
};

}  // namespace bts::plant
