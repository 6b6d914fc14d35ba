#include "plant/module.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "plant/system_description.hpp"
#include "plant/units.hpp"

namespace bts::plant {

namespace {

constexpr double kOpenNtcReading_degC = -40.0;  // open NTC: the divider reads the cold rail
constexpr double kShortedNtcReading_degC = 125.0;
constexpr double kCurrentSensorRail_A = 300.0;  // a shorted current sensor reads full scale

double signed_draw(Rng& rng) { return rng.uniform() < 0.5 ? -1.0 : 1.0; }

// PlantExtremes::include for the cells of a step, held in registers: with SSE2 the voltage and
// temperature extremes side by side (lane 0 voltage, lane 1 temperature). std::min(running, x) is
// (x < running) ? x : running, which is _mm_min_pd(x, running) in each lane (and max likewise),
// so every extreme takes its values in the same order with the same comparisons.
class RunningExtremes {
 public:
  explicit RunningExtremes(const PlantExtremes& extremes)
      : soc_min_(extremes.soc_min), soc_max_(extremes.soc_max) {
#if defined(__SSE2__)
    minima_ = _mm_set_pd(extremes.cell_temperature_min_degC, extremes.cell_voltage_min_V);
    maxima_ = _mm_set_pd(extremes.cell_temperature_max_degC, extremes.cell_voltage_max_V);
#else
    minima_ = {extremes.cell_voltage_min_V, extremes.cell_temperature_min_degC};
    maxima_ = {extremes.cell_voltage_max_V, extremes.cell_temperature_max_degC};
#endif
  }
  void include(double voltage_V, double temperature_degC, double soc) {
#if defined(__SSE2__)
    const __m128d voltage_temperature = _mm_set_pd(temperature_degC, voltage_V);
    minima_ = _mm_min_pd(voltage_temperature, minima_);
    maxima_ = _mm_max_pd(voltage_temperature, maxima_);
#else
    minima_[0] = std::min(minima_[0], voltage_V);
    minima_[1] = std::min(minima_[1], temperature_degC);
    maxima_[0] = std::max(maxima_[0], voltage_V);
    maxima_[1] = std::max(maxima_[1], temperature_degC);
#endif
    soc_min_ = std::min(soc_min_, soc);
    soc_max_ = std::max(soc_max_, soc);
  }
  void store(PlantExtremes& extremes) const {
#if defined(__SSE2__)
    extremes.cell_voltage_min_V = _mm_cvtsd_f64(minima_);
    extremes.cell_temperature_min_degC = _mm_cvtsd_f64(_mm_unpackhi_pd(minima_, minima_));
    extremes.cell_voltage_max_V = _mm_cvtsd_f64(maxima_);
    extremes.cell_temperature_max_degC = _mm_cvtsd_f64(_mm_unpackhi_pd(maxima_, maxima_));
#else
    extremes.cell_voltage_min_V = minima_[0];
    extremes.cell_temperature_min_degC = minima_[1];
    extremes.cell_voltage_max_V = maxima_[0];
    extremes.cell_temperature_max_degC = maxima_[1];
#endif
    extremes.soc_min = soc_min_;
    extremes.soc_max = soc_max_;
  }

 private:
#if defined(__SSE2__)
  __m128d minima_;
  __m128d maxima_;
#else
  std::array<double, 2> minima_;
  std::array<double, 2> maxima_;
#endif
  double soc_min_;
  double soc_max_;
};

}  // namespace

Module::Module(const LfpChemistry& chemistry, const CellSpreadParameters& spread,
               const ModuleParameters& parameters, const PcuParameters& pcu,
               const ModuleDescription& description, Rng rng)
    : parameters_(parameters),
      chemistry_(&chemistry),
      pcu_(pcu, description.initial_temperature_degC),
      noise_rng_(rng.fork(1)),
      terminal_resistance_Ohm_(parameters.terminal_resistance_Ohm),
      cell_conductance_W_per_K_(chemistry.parameters().conductance_to_module_W_per_K),
      internal_degC_(description.initial_temperature_degC),
      terminal_degC_(description.initial_temperature_degC) {
  Rng spread_rng = rng.fork(2);
  Rng calibration_rng = rng.fork(3);
  const int cell_count = std::clamp(parameters.cells_in_series, 1, kMaxCellsPerModule);
  cells_.reserve(static_cast<std::size_t>(cell_count));
  for (int index = 0; index < cell_count; ++index) {
    const CellSpread cell_spread = draw_cell_spread(spread, spread_rng);
    // Initial SOC is a starting condition, so keeping it inside 0..1 is not clamping physics.
    const double soc =
        std::clamp(description.initial_soc + cell_spread.initial_soc_offset, 0.0, 1.0);
    cells_.emplace_back(chemistry, cell_spread, soc, description.initial_temperature_degC);
    if (description.state_of_health < 1.0) {
      cells_.back().preage_to_state_of_health(description.state_of_health);
    }
  }
  constexpr auto kLanes = static_cast<std::size_t>(kCellLanes);
  cell_states_.resize((cells_.size() + kLanes - 1) / kLanes);
  for (std::size_t index = 0; index < cells_.size(); ++index) {
    cells_[index].use_state_block(cell_states_[index / kLanes], static_cast<int>(index % kLanes));
  }
  avx_cell_step_ = Cell::avx_available();
  reversed_ = description.power_cable_reversed;

  const SensorErrorParameters& errors = parameters.sensors;
  for (int index = 0; index < cell_count; ++index) {
    cell_voltage_channels_.emplace_back(errors.cell_voltage_offset_sd_V * calibration_rng.normal(),
                                        0.0, errors.cell_voltage_noise_sd_V,
                                        errors.cell_voltage_quantum_V, 0.0, 0.0);
  }
  const int temperature_count =
      std::clamp(parameters.cell_temperature_sensors, 1, kMaxTemperatureSensorsPerModule);
  auto make_temperature_channel = [&]() {
    return SensorChannel(errors.temperature_offset_sd_degC * calibration_rng.normal(), 0.0,
                         errors.temperature_noise_sd_degC, errors.temperature_quantum_degC,
                         kOpenNtcReading_degC, kShortedNtcReading_degC);
  };
  for (int index = 0; index < temperature_count; ++index) {
    cell_temperature_channels_.push_back(make_temperature_channel());
  }
  cell_voltage_channels_noisy_ =
      std::all_of(cell_voltage_channels_.begin(), cell_voltage_channels_.end(),
                  [](const SensorChannel& channel) { return channel.noise_sd() > 0.0; });
  static_assert(kMaxCellsPerModule <= CellVoltageFrontEnd::kMaxChannels);
  cell_voltage_front_end_.take(cell_voltage_channels_.data(), cell_voltage_channels_.size());
  terminal_temperature_channel_ = make_temperature_channel();
  ambient_temperature_channel_ = make_temperature_channel();
  pcu_temperature_channel_ = make_temperature_channel();
  stack_voltage_channel_ =
      SensorChannel(0.0, 0.002 * calibration_rng.normal(), 0.02, 0.01, 0.0, 0.0);
  current_channel_ =
      SensorChannel(errors.current_offset_A * signed_draw(calibration_rng),
                    errors.current_gain_error * signed_draw(calibration_rng),
                    errors.current_noise_sd_A, errors.current_quantum_A, 0.0, kCurrentSensorRail_A);
  bus_voltage_channel_ = SensorChannel(0.0, 0.0, errors.bus_voltage_noise_sd_V,
                                       errors.bus_voltage_quantum_V, 0.0, 0.0);
  pcu_.set_voltage_sense_offset_V(errors.pcu_voltage_sense_offset_sd_V * calibration_rng.normal());

  for (const Cell& cell : cells_) stack_voltage_V_ += cell.open_circuit_voltage_V();
}

void Module::set_balancing(int cell, bool on) {
  if (cell >= 0 && cell < cell_count()) balancing_[static_cast<std::size_t>(cell)] = on;
}

void Module::set_cell_external_heat_W(int cell, double heat_W) {
  if (cell >= 0 && cell < cell_count()) fault_heat_W_[static_cast<std::size_t>(cell)] = heat_W;
}

void Module::set_cell_internal_short_Ohm(int cell, double resistance_Ohm) {
  if (cell >= 0 && cell < cell_count()) this->cell(cell).set_internal_short_Ohm(resistance_Ohm);
}

void Module::set_terminal_loose(bool loose, double resistance_Ohm) {
  terminal_resistance_Ohm_ = loose ? resistance_Ohm : parameters_.terminal_resistance_Ohm;
}

PcuBusSource Module::prepare_converter(double dt_s, double bat_in_voltage_V, double ambient_degC) {
  connected_ = connected_to_bdu();
  if (connected_) {
    // The converter sees the bus plus the drop across its own power terminal.
    const double terminal_drop_V = pcu_.bus_current_A() * terminal_resistance_Ohm_;
    return pcu_.prepare_step(dt_s, stack_voltage_V_, bat_in_voltage_V + terminal_drop_V);
  }
  // Not connected: whatever the converter pushes charges its own output capacitor, solved
  // implicitly here like the BDU's network.
  const PcuBusSource source = pcu_.prepare_step(dt_s, stack_voltage_V_, floating_output_V_);
  const double capacitance_S = parameters_.pcu_output_capacitance_F / dt_s;
  const double bleeder_S = 1.0 / parameters_.pcu_output_bleeder_Ohm;
  double voltage_V = (capacitance_S * floating_output_V_ + source.current_at_zero_V_A) /
                     (capacitance_S + source.conductance_S + bleeder_S);
  const double current_A = source.current_at(voltage_V);
  voltage_V =
      std::max(0.0, (capacitance_S * floating_output_V_ + current_A) / (capacitance_S + bleeder_S));
  floating_output_V_ = voltage_V;
  pcu_.complete_step(dt_s, current_A, voltage_V, stack_voltage_V_, ambient_degC);
  output_voltage_V_ = cut_ ? 0.0 : -floating_output_V_;
  return PcuBusSource{};
}

void Module::complete_converter(double dt_s, double bus_current_A, double bat_in_voltage_V,
                                double ambient_degC) {
  if (!connected_) return;  // already booked in prepare_converter
  const double terminal_drop_V = bus_current_A * terminal_resistance_Ohm_;
  floating_output_V_ = bat_in_voltage_V + terminal_drop_V;
  pcu_.complete_step(dt_s, bus_current_A, floating_output_V_, stack_voltage_V_, ambient_degC);
  output_voltage_V_ = bat_in_voltage_V;
}

namespace {

void prefetch_for_write(const CellStateBlock& block) {
  const char* const bytes = reinterpret_cast<const char*>(&block);
  for (std::size_t offset = 0; offset < sizeof(CellStateBlock); offset += 64)
    __builtin_prefetch(bytes + offset, 1, 3);
}

}  // namespace

// What step_cells adds up over the cells, in cell order.
struct Module::CellStepSums {
  RunningExtremes extremes;
  double stack_voltage_V = 0.0;
  double balancing_heat_W = 0.0;
  double cell_heat_flow_W = 0.0;  // sum of G*T_cell, for the implicit air-node update

  /// The current through a cell: the stack's, plus its balancing bleed when its switch is closed
  /// (the bleed's heat goes to the module air).
  [[gnu::always_inline]] double cell_current_A(double stack_current_A, bool balancing,
                                               double terminal_voltage_V,
                                               double balancing_resistance_Ohm) {
    double current_A = stack_current_A;
    if (balancing) {
      const double bleed_A = terminal_voltage_V / balancing_resistance_Ohm;
      current_A += bleed_A;
      balancing_heat_W += bleed_A * bleed_A * balancing_resistance_Ohm;
    }
    return current_A;
  }
  /// A stepped cell into the extremes and sums.
  [[gnu::always_inline]] void take_in(double voltage_V, double temperature_degC, double soc,
                                      double cell_conductance_W_per_K) {
    extremes.include(voltage_V, temperature_degC, soc);
    stack_voltage_V += voltage_V;
    cell_heat_flow_W += cell_conductance_W_per_K * temperature_degC;
  }
};

std::size_t Module::step_cell_quads(double dt_s, double heater_per_cell_W, CellStepSums& sums) {
  // The sums in a local copy whose address nothing takes (its methods are inlined): they stay in
  // registers across the calls into the step (held in the caller's memory instead, each cell's
  // additions would wait on the previous cell's store and load).
  CellStepSums local = sums;
  const double cell_conductance_W_per_K = cell_conductance_W_per_K_;
  const double stack_current_A = stack_current_A_;
  const double internal_degC = internal_degC_;
  const double balancing_resistance_Ohm = parameters_.balancing_resistance_Ohm;
  const LfpChemistry& chemistry = *chemistry_;
  Cell* const cells = cells_.data();
  const std::size_t cell_count = cells_.size();
  // Cells 4k..4k+3 are lanes 0..3 of block k (the constructor put them there): stepped and read
  // through the block alone, without touching the Cell objects. Each block's cache lines are
  // asked for one block ahead: the blocks are touched once per plant step, long enough for the
  // firmware to have pushed them out of L1, and the step would otherwise wait for its first loads.
  const std::size_t block_count = cell_count / 4;
  if (block_count > 0) prefetch_for_write(cell_states_[0]);
  std::size_t index = 0;
  for (; index + 3 < cell_count; index += 4) {
    CellStateBlock& block = cell_states_[index / 4];
    if (index / 4 + 1 < block_count) prefetch_for_write(cell_states_[index / 4 + 1]);
    // The currents in cell order (the balancing heat sums in the same order as step_cells'), each
    // the stack's plus the cell's balancing bleed.
    std::array<double, 4> currents_A{};
    for (std::size_t lane = 0; lane < 4; ++lane) {
      currents_A[lane] =
          local.cell_current_A(stack_current_A, balancing_[index + lane],
                               block.terminal_voltage_V[lane], balancing_resistance_Ohm);
    }
    Cell::step_quad_in_block(block, chemistry, cells + index, currents_A[0], currents_A[1],
                             currents_A[2], currents_A[3], dt_s, internal_degC,
                             fault_heat_W_.data() + index, heater_per_cell_W);
    for (std::size_t lane = 0; lane < 4; ++lane) {
      local.take_in(block.terminal_voltage_V[lane], block.temperature_degC[lane], block.soc[lane],
                    cell_conductance_W_per_K);
    }
  }
  sums = local;
  return index;
}

void Module::step_cells(double dt_s, double ambient_degC, PlantExtremes& extremes) {
  const bool heating = heater_on() && stack_voltage_V_ > pcu_.parameters().min_stack_voltage_V;
  const double heater_W = heating ? parameters_.heater_power_W : 0.0;
  const double heater_into_cells_W = heater_W * parameters_.heater_share_into_cells;
  const double heater_per_cell_W = heater_into_cells_W / static_cast<double>(cells_.size());
  const double stack_voltage_before_V = std::max(stack_voltage_V_, 1.0);
  stack_current_A_ = pcu_.stack_current_A() + heater_W / stack_voltage_before_V;

  CellStepSums sums{RunningExtremes(extremes)};
  // Cells in fours (AVX) or pairs (the cells of a step are independent, so stepping them together
  // and then taking each in, in cell order, gives the same sums and extremes as one at a time).
  std::size_t index = avx_cell_step_ ? step_cell_quads(dt_s, heater_per_cell_W, sums) : 0;

  const double cell_conductance_W_per_K = cell_conductance_W_per_K_;
  const double stack_current_A = stack_current_A_;
  const double internal_degC = internal_degC_;
  Cell* const cells = cells_.data();
  const std::size_t cell_count = cells_.size();
  const double balancing_resistance_Ohm = parameters_.balancing_resistance_Ohm;
  const auto cell_current = [&](std::size_t cell, double terminal_voltage_V) {
    return sums.cell_current_A(stack_current_A, balancing_[cell], terminal_voltage_V,
                               balancing_resistance_Ohm);
  };
  const auto take_in = [&](const Cell& cell) {
    sums.take_in(cell.terminal_voltage_V(), cell.temperature_degC(), cell.soc(),
                 cell_conductance_W_per_K);
  };
  for (; index + 1 < cell_count; index += 2) {
    const double first_current_A = cell_current(index, cells[index].terminal_voltage_V());
    const double second_current_A = cell_current(index + 1, cells[index + 1].terminal_voltage_V());
    Cell::step_pair_with_external_heat(
        cells[index], cells[index + 1], first_current_A, second_current_A, dt_s, internal_degC,
        fault_heat_W_[index] + heater_per_cell_W, fault_heat_W_[index + 1] + heater_per_cell_W);
    take_in(cells[index]);
    take_in(cells[index + 1]);
  }
  if (index < cell_count) {
    const double cell_current_A = cell_current(index, cells[index].terminal_voltage_V());
    cells[index].step_with_external_heat(cell_current_A, dt_s, internal_degC,
                                         fault_heat_W_[index] + heater_per_cell_W);
    take_in(cells[index]);
  }
  const double stack_voltage_V = sums.stack_voltage_V;
  const double balancing_heat_W = sums.balancing_heat_W;
  const double cell_heat_flow_W = sums.cell_heat_flow_W;
  sums.extremes.store(extremes);
  stack_voltage_V_ = stack_voltage_V;

  // HV power terminal: I^2*R heat into a small node that leaks to the module air.
  const double bus_current_A = pcu_.bus_current_A();
  const double terminal_heat_W = bus_current_A * bus_current_A * terminal_resistance_Ohm_;
  const double terminal_equilibrium_degC =
      internal_degC_ + terminal_heat_W / parameters_.terminal_conductance_W_per_K;
  const double terminal_decay = terminal_exp_(-dt_s * parameters_.terminal_conductance_W_per_K /
                                              parameters_.terminal_heat_capacity_J_per_K);
  terminal_degC_ =
      terminal_equilibrium_degC + (terminal_degC_ - terminal_equilibrium_degC) * terminal_decay;

  // Module internal air node, backward Euler so that any step length is stable.
  const double cells_conductance_W_per_K =
      cell_conductance_W_per_K * static_cast<double>(cells_.size());
  const double capacity_per_step = parameters_.internal_heat_capacity_J_per_K / dt_s;
  const double numerator = capacity_per_step * internal_degC_ + cell_heat_flow_W +
                           parameters_.terminal_conductance_W_per_K * terminal_degC_ +
                           parameters_.enclosure_conductance_W_per_K * ambient_degC +
                           balancing_heat_W + (heater_W - heater_into_cells_W);
  const double denominator = capacity_per_step + cells_conductance_W_per_K +
                             parameters_.terminal_conductance_W_per_K +
                             parameters_.enclosure_conductance_W_per_K;
  internal_degC_ = numerator / denominator;

  heater_energy_Wh_ += heater_W * dt_s / kSecondsPerHour;
  balancing_energy_Wh_ += balancing_heat_W * dt_s / kSecondsPerHour;
  balancing_heat_W_ = balancing_heat_W;
}

double Module::temperature_of_sensor(int sensor) const {
  // Each sensor sits between a group of neighbouring cells and reads their mean temperature.
  const int sensors = static_cast<int>(cell_temperature_channels_.size());
  const int cells = cell_count();
  const int first = sensor * cells / sensors;
  const int last = std::max(first + 1, (sensor + 1) * cells / sensors);
  double sum_degC = 0.0;
  for (int index = first; index < last; ++index) sum_degC += cell(index).temperature_degC();
  return sum_degC / static_cast<double>(last - first);
}

ModuleSensorReadings Module::read_sensors(bool convert_temperatures) {
  ModuleSensorReadings readings;
  read_sensors(convert_temperatures, readings);
  return readings;
}

bool Module::cell_voltages_through_front_end() const {
  return cell_voltage_channels_working_ && cell_voltage_channels_noisy_ &&
         cell_voltage_channels_[0].quantum() > 0.0;
}

void Module::read_sensors(bool convert_temperatures, ModuleSensorReadings& readings) {
  readings.cell_count = cell_count();
  const std::size_t cells = cells_.size();
  const double quantum_V = cell_voltage_channels_[0].quantum();
  readings.cell_voltage_quanta_valid = false;
  readings.cell_voltage_quantum_V = 0.0;
  if (cell_voltages_through_front_end()) {
    // As the loop below, with every channel's draw taken first (the same draws in the same
    // order) and the channels then read two at a time. Cells 4k..4k+3 sit side by side in
    // state block k (the lanes past the last cell are read and not used).
    // Copied a block's four at a time (vector moves): the front end loads them in pairs, which a
    // copy one double at a time could not forward to it.
    alignas(16) std::array<double, kMaxCellsPerModule + kCellLanes> cell_voltages_V;
    for (std::size_t block = 0; block < cell_states_.size(); ++block) {
      std::memcpy(&cell_voltages_V[kCellLanes * block], cell_states_[block].terminal_voltage_V,
                  sizeof(cell_states_[block].terminal_voltage_V));
    }
    alignas(16) std::array<double, kMaxCellsPerModule> standard_normals;
    noise_rng_.fill_normal_fast(standard_normals.data(), cells);
    readings.cell_voltage_quanta_valid = cell_voltage_front_end_.read(
        cell_voltages_V.data(), standard_normals.data(), readings.cell_voltage_V.data(),
        readings.cell_voltage_quanta.data());
    readings.cell_voltage_quantum_V = quantum_V;
  } else if (cell_voltage_channels_working_ && quantum_V > 0.0) {
    // No failure anywhere (so no open sense wire either): each channel reads its own cell, as
    // below, and gives its count of quanta as well. Every channel has the same quantum.
    // The generator is copied into a local for the loop (and back): the int stores into the
    // readings then cannot alias its state, which stays in registers.
    Rng noise_rng = noise_rng_;
    bool quanta_fit = true;
    for (std::size_t index = 0; index < cells; ++index) {
      double quanta = 0.0;
      readings.cell_voltage_V[index] = cell_voltage_channels_[index].read_working_quantised(
          cells_[index].terminal_voltage_V(), noise_rng, quanta);
      readings.cell_voltage_quanta[index] = quanta_count(quanta, quanta_fit);
    }
    noise_rng_ = noise_rng;
    readings.cell_voltage_quanta_valid = quanta_fit;
    readings.cell_voltage_quantum_V = quantum_V;
  } else {
    for (int index = 0; index < cell_count(); ++index) {
      double sensed_V = cell(index).terminal_voltage_V();
      // An open sense wire between cells k and k+1 makes channel k read ~0 and channel k+1 read
      // across both cells, as a multiplexed cell-voltage front end does.
      if (index > 0 && cell_voltage_channels_[static_cast<std::size_t>(index - 1)].failure() ==
                           SensorFailure::Open) {
        sensed_V += cell(index - 1).terminal_voltage_V();
      }
      readings.cell_voltage_V[static_cast<std::size_t>(index)] =
          cell_voltage_channels_[static_cast<std::size_t>(index)].read(sensed_V, noise_rng_);
    }
  }
  readings.cell_temperature_count = static_cast<int>(cell_temperature_channels_.size());
  if (convert_temperatures) {
    for (int sensor = 0; sensor < readings.cell_temperature_count; ++sensor) {
      readings.cell_temperature_degC[static_cast<std::size_t>(sensor)] =
          cell_temperature_channels_[static_cast<std::size_t>(sensor)].read(
              temperature_of_sensor(sensor), noise_rng_);
    }
  } else {
    for (std::size_t sensor = 0; sensor < cell_temperature_channels_.size(); ++sensor)
      readings.cell_temperature_degC[sensor] = cell_temperature_channels_[sensor].last_reading();
  }
  readings.stack_voltage_V = stack_voltage_channel_.read(stack_voltage_V_, noise_rng_);
  readings.current_A = current_channel_.read(stack_current_A_, noise_rng_);
  if (convert_temperatures) {
    terminal_temperature_channel_.read(terminal_degC_, noise_rng_);
    ambient_temperature_channel_.read(internal_degC_, noise_rng_);
    pcu_temperature_channel_.read(pcu_.heatsink_temperature_degC(), noise_rng_);
  }
  readings.terminal_temperature_degC = terminal_temperature_channel_.last_reading();
  readings.ambient_temperature_degC = ambient_temperature_channel_.last_reading();
  readings.pcu_temperature_degC = pcu_temperature_channel_.last_reading();
  readings.bus_voltage_V = bus_voltage_channel_.read(floating_output_V_, noise_rng_);
  readings.pcu_reports_internal_fault = pcu_.reports_internal_fault();
  readings.pcu_reports_over_temperature = pcu_.reports_over_temperature();
}

void Module::set_sensor_failure(ModuleSensor sensor, int index, SensorFailure failure) {
  auto in_range = [](const std::vector<SensorChannel>& channels, int i) {
    return i >= 0 && i < static_cast<int>(channels.size());
  };
  switch (sensor) {
    case ModuleSensor::CellVoltage:
      // The front end kept the last readings while it read the channels: a Stuck channel repeats
      // its last one.
      if (cell_voltages_through_front_end()) {
        cell_voltage_front_end_.give_back(cell_voltage_channels_.data());
      }
      if (in_range(cell_voltage_channels_, index))
        cell_voltage_channels_[static_cast<std::size_t>(index)].set_failure(failure);
      cell_voltage_channels_working_ =
          std::all_of(cell_voltage_channels_.begin(), cell_voltage_channels_.end(),
                      [](const SensorChannel& c) { return c.failure() == SensorFailure::None; });
      break;
    case ModuleSensor::CellTemperature:
      if (in_range(cell_temperature_channels_, index))
        cell_temperature_channels_[static_cast<std::size_t>(index)].set_failure(failure);
      break;
    case ModuleSensor::StackVoltage:
      stack_voltage_channel_.set_failure(failure);
      break;
    case ModuleSensor::Current:
      current_channel_.set_failure(failure);
      break;
    case ModuleSensor::TerminalTemperature:
      terminal_temperature_channel_.set_failure(failure);
      break;
    case ModuleSensor::AmbientTemperature:
      ambient_temperature_channel_.set_failure(failure);
      break;
    case ModuleSensor::PcuTemperature:
      pcu_temperature_channel_.set_failure(failure);
      break;
    case ModuleSensor::BusVoltage:
      bus_voltage_channel_.set_failure(failure);
      break;
  }
}

ModuleTruth Module::truth() const {
  ModuleTruth truth;
  truth.soc_min = std::numeric_limits<double>::max();
  truth.soc_max = std::numeric_limits<double>::lowest();
  truth.cell_voltage_min_V = truth.cell_temperature_min_degC = truth.capacity_Ah_min =
      truth.soc_min;
  truth.cell_voltage_max_V = truth.cell_temperature_max_degC = truth.soc_max;
  double soc_sum = 0.0;
  for (const Cell& cell : cells_) {
    soc_sum += cell.soc();
    truth.soc_min = std::min(truth.soc_min, cell.soc());
    truth.soc_max = std::max(truth.soc_max, cell.soc());
    truth.cell_voltage_min_V = std::min(truth.cell_voltage_min_V, cell.terminal_voltage_V());
    truth.cell_voltage_max_V = std::max(truth.cell_voltage_max_V, cell.terminal_voltage_V());
    truth.cell_temperature_min_degC =
        std::min(truth.cell_temperature_min_degC, cell.temperature_degC());
    truth.cell_temperature_max_degC =
        std::max(truth.cell_temperature_max_degC, cell.temperature_degC());
    truth.capacity_Ah_min = std::min(truth.capacity_Ah_min, cell.capacity_Ah());
    truth.stored_energy_Wh += cell.stored_energy_Wh();
  }
  truth.soc_mean = soc_sum / static_cast<double>(cells_.size());
  truth.stack_voltage_V = stack_voltage_V_;
  truth.stack_current_A = stack_current_A_;
  truth.bus_current_A = bus_current_into_bdu_A();
  truth.internal_temperature_degC = internal_degC_;
  truth.terminal_temperature_degC = terminal_degC_;
  return truth;
}

}  // namespace bts::plant
