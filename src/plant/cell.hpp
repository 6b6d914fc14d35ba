#pragma once
// One LFP cell: two-RC equivalent circuit with one-state hysteresis, Arrhenius resistances,
// entropic and Joule heat into its own thermal mass, self-discharge, an internal-short fault
// path, and capacity/resistance ageing.
//
// Sign convention used in the whole plant: current_A > 0 discharges the cell.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "plant/cell_ageing.hpp"
#include "plant/cell_parameters.hpp"
#include "plant/units.hpp"

namespace bts::plant {

/// Tables of a cell parameter set resampled onto a uniform 1 % SOC grid for fast lookup.
/// Shared (read-only) by every cell of the same chemistry.
class LfpChemistry {
 public:
  static constexpr int kGridIntervals = 100;  // 1 % steps, 101 points

  LfpChemistry(const LfpCellParameters& parameters, const AgeingParameters& ageing);

  const LfpCellParameters& parameters() const { return parameters_; }
  const AgeingParameters& ageing() const { return ageing_; }

  double ocv_mean_V(double soc) const { return lookup(ocv_mean_V_, soc); }
  double hysteresis_half_gap_V(double soc) const { return lookup(half_gap_V_, soc); }
  double entropic_coefficient_V_per_K(double soc) const { return lookup(entropic_V_per_K_, soc); }
  double resistance_soc_factor(double soc) const { return lookup(resistance_factor_, soc); }
  /// OCV of the charge branch (hysteresis = +1) and discharge branch (hysteresis = -1).
  double ocv_charge_branch_V(double soc) const {
    return ocv_mean_V(soc) + hysteresis_half_gap_V(soc);
  }
  double ocv_discharge_branch_V(double soc) const {
    return ocv_mean_V(soc) - hysteresis_half_gap_V(soc);
  }
  /// Arrhenius factor on resistance at a temperature, relative to 25 degC.
  double resistance_temperature_factor(double temperature_degC) const;

  /// Arrhenius factor on the self-discharge current, relative to 25 degC.
  double self_discharge_temperature_factor(double temperature_degC) const;
  /// Integral of the mean OCV from SOC 0 to soc (V, per unit SOC); times capacity gives Wh.
  /// soc is clamped to [0, 1].
  double ocv_integral_V(double soc) const;
  /// Mean OCV and hysteresis half gap from one grid lookup (the per-step path).
  struct OcvPoint {
    double mean_V;
    double half_gap_V;
  };
  [[gnu::always_inline]] inline OcvPoint ocv_point(double soc) const;

 private:
  friend class Cell;  // the paired step gathers grid neighbours directly
  using Grid = std::array<double, kGridIntervals + 1>;
  static double lookup(const Grid& grid, double soc);

  LfpCellParameters parameters_;
  AgeingParameters ageing_;
  Grid ocv_mean_V_{};
  Grid half_gap_V_{};
  Grid entropic_V_per_K_{};
  Grid resistance_factor_{};
  Grid ocv_integral_V_{};  // cumulative integral of ocv_mean_V_ at the grid points
};

/// Ageing accumulators and results of one cell.
struct CellAgeingState {
  double calendar_time_s = 0.0;         // time counted for calendar fade
  double calendar_fade = 0.0;           // share of capacity lost to calendar ageing
  double cycle_fade = 0.0;              // share of capacity lost to cycling
  double equivalent_full_cycles = 0.0;  // charge throughput / (2 * nominal capacity)
  double resistance_growth = 0.0;       // relative resistance increase (0 = fresh)
  double throughput_Ah = 0.0;           // total |charge| moved
};

/// Cells whose per-step state shares one block (its lanes).
inline constexpr int kCellLanes = 4;

/// The per-step state of four cells, interleaved: each field holds one value per cell (lane), so
/// that one aligned AVX load or store moves the field of all four
/// (Cell::step_quad_with_external_heat) and one SSE2 load the field of lanes 0-1 or 2-3
/// (Cell::step_pair_with_external_heat). A cell on its own uses lane 0 of a block of its own.
/// Aligned to a cache line, and laid out so that each line (two fields) holds a field the step
/// reads: the fields it only writes (heat, external heat, short current, terminal voltage) share
/// their lines with ones it reads, and no line is fetched for a write alone.
struct alignas(64) CellStateBlock {
  double soc[kCellLanes] = {};
  double hysteresis[kCellLanes] = {};
  double v_rc1_V[kCellLanes] = {};
  double v_rc2_V[kCellLanes] = {};
  double temperature_degC[kCellLanes] = {};
  double terminal_voltage_V[kCellLanes] = {};
  double heat_W[kCellLanes] = {};
  double internal_short_Ohm[kCellLanes] = {};  // 0 = none
  double short_current_A[kCellLanes] = {};     // through the internal short during the last step
  // Ageing accumulators between updates.
  double ageing_pending_s[kCellLanes] = {};
  double ageing_pending_soc_time[kCellLanes] = {};
  double ageing_pending_temperature_time[kCellLanes] = {};
  double ageing_pending_throughput_Ah[kCellLanes] = {};
  double crate_weighted[kCellLanes] = {};  // throughput-weighted mean C-rate
  double dod_weighted[kCellLanes] = {};    // throughput-weighted mean depth of discharge
  double external_heat_W[kCellLanes] = {};
  // Cached coefficients, refreshed when SOC or temperature moved enough or dt changed.
  double cached_dt_s[kCellLanes] = {-1.0, -1.0, -1.0, -1.0};  // -1: refresh on the next step
  double cached_refresh_soc[kCellLanes] = {-1.0, -1.0, -1.0, -1.0};
  double cached_refresh_temperature_degC[kCellLanes] = {-1000.0, -1000.0, -1000.0, -1000.0};
  double r0_Ohm[kCellLanes] = {};
  double rc1_decay[kCellLanes] = {};
  double rc1_gain_Ohm[kCellLanes] = {};
  double rc2_decay[kCellLanes] = {};
  double rc2_gain_Ohm[kCellLanes] = {};
  double thermal_decay[kCellLanes] = {};
  // (1 - thermal_decay) / G: the exact step response to heat.
  double thermal_gain_K_per_W[kCellLanes] = {};
  double self_discharge_A[kCellLanes] = {};
  double soc_per_A[kCellLanes] = {};         // dt / capacity in As, refreshed with dt and capacity
  double hysteresis_per_A[kCellLanes] = {};  // gamma * dt / capacity in As
  // |current| below this does not count as a direction.
  double direction_threshold_A[kCellLanes] = {};
  double entropic_V_per_K[kCellLanes] = {};  // dOCV/dT at the refresh SOC
  // Half-cycle tracking (see cell.cpp for their use).
  double last_current_direction[kCellLanes] = {};  // of the present half-cycle: -1, 0 or +1
  double last_reversal_soc[kCellLanes] = {0.5, 0.5, 0.5, 0.5};
  double last_half_cycle_depth[kCellLanes] = {};  // depth of the last completed half-cycle (SOC)
};

class Cell {
 public:
  Cell(const LfpChemistry& chemistry, const CellSpread& spread, double initial_soc,
       double initial_temperature_degC);
  /// A copy is a cell of its own (with a state block of its own); assigning to a cell writes
  /// into its state wherever that lives (a module's shared block included).
  Cell(const Cell& other);
  Cell& operator=(const Cell& other);
  Cell(Cell&& other) noexcept = default;  // takes the state block along
  Cell& operator=(Cell&& other);

  /// Move this cell's per-step state into lane (0..kCellLanes-1) of block, shared with the cells
  /// on the other lanes so that step_pair_with_external_heat and step_quad_with_external_heat
  /// step them together. The block must outlive the cell and stay where it is.
  void use_state_block(CellStateBlock& block, int lane);

  /// Advance by dt_s with current_A through the cell (> 0 discharges) while its surroundings
  /// (the module's internal air) sit at surroundings_degC. Updates SOC, hysteresis, RC voltages,
  /// terminal voltage, heat and temperature, self-discharge and ageing.
  void step(double current_A, double dt_s, double surroundings_degC);
  /// The same step after set_external_heat_W(external_heat_W), inlined into the module's cell
  /// loop (the per-step path; refreshes and ageing updates stay out of line).
  [[gnu::always_inline]] inline void step_with_external_heat(double current_A, double dt_s,
                                                             double surroundings_degC,
                                                             double external_heat_W);
  /// step_with_external_heat of two cells at once, with the same result to the bit as stepping
  /// them one after the other (the cells are independent). The usual path does every operation
  /// of both cells with one SSE2 instruction; a pair where either cell needs a rare path
  /// (parameter refresh, internal short, current reversal, SOC outside the table) is stepped
  /// one cell at a time, and so is a pair that does not share a state block as lanes 0 and 1 or
  /// 2 and 3 (use_state_block).
  [[gnu::always_inline]] static inline void step_pair_with_external_heat(
      Cell& first, Cell& second, double first_current_A, double second_current_A, double dt_s,
      double surroundings_degC, double first_external_heat_W, double second_external_heat_W);
  /// The same for four cells, cells[0..3], which share a state block as lanes 0..3: every
  /// operation of the four with one AVX instruction (same results to the bit: no FMA, the same
  /// operations in the same order); otherwise, or when any of them needs a rare path, as two
  /// pairs. Only where the processor has AVX (avx_available()).
  static void step_quad_with_external_heat(Cell* cells, const double* currents_A, double dt_s,
                                           double surroundings_degC, const double* external_heat_W);
  /// The same for a module that knows its layout: cells[0..3] are lanes 0..3 of block and all
  /// use chemistry (checked only in builds with assertions). The common path reads and writes
  /// the block alone, not the four Cell objects (at every 100 ms step they were cache misses).
  /// The currents come as values, in registers: the caller has just computed them, and a vector
  /// load of four doubles just stored one by one waits for the stores to reach the cache. Lane k's
  /// external heat is fault_heat_W[k] + heater_per_cell_W.
  static void step_quad_in_block(CellStateBlock& block, const LfpChemistry& chemistry, Cell* cells,
                                 double current0_A, double current1_A, double current2_A,
                                 double current3_A, double dt_s, double surroundings_degC,
                                 const double* fault_heat_W, double heater_per_cell_W);
  /// Whether this processor runs step_quad_with_external_heat (checked once).
  static bool avx_available();

  double terminal_voltage_V() const { return state_->terminal_voltage_V[lane_]; }
  double open_circuit_voltage_V() const;             // OCV including the present hysteresis offset
  double soc() const { return state_->soc[lane_]; }  // of the present (aged) capacity, 0..1
  double capacity_Ah() const;                        // present capacity (spread and ageing applied)
  double temperature_degC() const { return state_->temperature_degC[lane_]; }
  double hysteresis_state() const {
    return state_->hysteresis[lane_];
  }                                                        // -1 discharge .. +1 charge branch
  double heat_W() const { return state_->heat_W[lane_]; }  // generated during the last step
  double resistance_dc_Ohm() const;  // R0+R1+R2 at the present SOC and temperature
  double stored_energy_Wh() const;   // energy to empty along the mean OCV curve
  const CellAgeingState& ageing() const { return ageing_; }

  /// Heat into or out of the cell from outside (heater film, neighbouring hot spot), in W.
  void set_external_heat_W(double heat_W) { state_->external_heat_W[lane_] = heat_W; }
  /// An internal short: a resistance across the cell terminals inside the can (0 = none).
  void set_internal_short_Ohm(double resistance_Ohm) {
    state_->internal_short_Ohm[lane_] = resistance_Ohm;
  }
  /// Time-warp ageing (for calendar/cycle projection): adds calendar time and throughput at once.
  void set_temperature_degC(double temperature_degC) {
    state_->temperature_degC[lane_] = temperature_degC;
  }
  void set_soc(double soc) { state_->soc[lane_] = soc; }

  /// Put the hysteresis state on a branch (-1 discharge .. +1 charge), e.g. for a cell known to
  /// have rested after a discharge. Clamped to [-1, 1].
  void set_hysteresis_state(double hysteresis);
  /// Age the cell to a state of health (capacity / (nominal * spread capacity factor)) along the
  /// reference duty of docs/plant-cell.md (25 degC, 50 % mean SOC, one 80 % DOD cycle per day at
  /// 0.5C): sets calendar and cycle fade, cycle count, throughput and resistance growth of that
  /// history. soh is clamped to [0.05, 1]; soh = 1 gives a fresh cell.
  void preage_to_state_of_health(double soh);
  /// Time-warp ageing (for life projection): advance only the ageing state by duration_s spent at
  /// a mean SOC and temperature while throughput_Ah moved in half-cycles of depth_of_discharge at
  /// c_rate (relative to nominal capacity). SOC, temperature and voltages are left alone.
  void project_ageing(double duration_s, double mean_soc, double mean_temperature_degC,
                      double throughput_Ah, double depth_of_discharge, double c_rate);
  /// Present capacity relative to the fresh capacity of this cell (1 = fresh).
  double state_of_health() const;
  /// Voltages over the two RC branches (V, > 0 while discharging).
  double rc1_voltage_V() const { return state_->v_rc1_V[lane_]; }
  double rc2_voltage_V() const { return state_->v_rc2_V[lane_]; }
  /// Current through the internal short during the last step (A, 0 without a short).
  double internal_short_current_A() const { return state_->short_current_A[lane_]; }
  const CellSpread& spread() const { return spread_; }
  const LfpChemistry& chemistry() const { return *chemistry_; }

 private:
  void refresh_parameters(double dt_s);
  void advance_ageing(double dt_s);
  [[gnu::always_inline]] inline void track_half_cycles(double cell_current_A);

  static void copy_lane(const CellStateBlock& from, int from_lane, CellStateBlock& to, int to_lane);
  /// step_quad_with_external_heat as two pairs (lanes 0-1, then 2-3), built without AVX.
  static void step_quad_as_pairs(Cell* cells, const double* currents_A, double dt_s,
                                 double surroundings_degC, const double* external_heat_W);

  const LfpChemistry* chemistry_;
  CellSpread spread_;
  // The per-step state is lane lane_ of *state_: a block of the cell's own, or one it shares
  // with a neighbour (use_state_block).
  std::unique_ptr<CellStateBlock> own_state_;
  CellStateBlock* state_;
  int lane_ = 0;
  CellAgeingState ageing_;
};

// ---------------------------------------------------------------------------------------------
// The per-step path, inline so that the module's loop over its cells has no call per cell.

namespace cell_detail {

// Coefficients are refreshed when SOC or temperature moved this far since the last refresh.
inline constexpr double kRefreshSocStep = 0.005;
inline constexpr double kRefreshTemperatureStep_K = 0.5;
// Beyond the tables the curves continue with the slope of their end 1 % segment for this much
// SOC, then hold (docs/plant-cell.md, "Beyond empty and full").
inline constexpr double kExtrapolationSoc = 0.04;
// exp(-x) for the hysteresis uses a Taylor series below this argument.
inline constexpr double kTaylorLimit = 0.05;

// Grid index and fraction for a SOC; the fraction leaves [0, 1] only in the end segments, which
// then extrapolate linearly.
struct GridPosition {
  int index;
  double fraction;
};

[[gnu::always_inline]] inline GridPosition grid_position(double soc) {
  if (soc >= 0.0 && soc < 1.0) {
    // Inside the table the clamps below change nothing: soc <= 1 - 2^-53 rounds to
    // x <= 100 - 2^-46, so the index is at most 99.
    const double x = soc * LfpChemistry::kGridIntervals;
    const int index = static_cast<int>(x);
    return {index, x - index};
  }
  const double limited = std::clamp(soc, -kExtrapolationSoc, 1.0 + kExtrapolationSoc);
  const double x = limited * LfpChemistry::kGridIntervals;
  const int index = std::clamp(static_cast<int>(x), 0, LfpChemistry::kGridIntervals - 1);
  return {index, x - index};
}

// 1 - exp(-x) for x >= 0: a short Taylor series for small x (the usual per-step case).
[[gnu::always_inline]] inline double one_minus_exp_negative(double x) {
  if (x < kTaylorLimit) return x * (1.0 - x * (0.5 - x * (1.0 / 6.0 - x * (1.0 / 24.0))));
  return -std::expm1(-x);
}

#if defined(__SSE2__)
// Constants of the paired step, one per lane, aligned for SSE2 loads.
struct alignas(16) PairConstants {
  double sign_bit[2];
  double magnitude_bits[2];
  double refresh_soc_step[2];
  double refresh_temperature_step_K[2];
  double taylor_limit[2];
  double one[2];
  double minus_one[2];
  double half[2];
  double sixth[2];
  double twenty_fourth[2];
  double grid_intervals[2];
  double zero_celsius_K[2];
  double per_hour[2];
};
inline constexpr double kMagnitudeBits = std::bit_cast<double>(0x7fffffffffffffffULL);
inline constexpr PairConstants kPairConstants{
    .sign_bit = {-0.0, -0.0},
    .magnitude_bits = {kMagnitudeBits, kMagnitudeBits},
    .refresh_soc_step = {kRefreshSocStep, kRefreshSocStep},
    .refresh_temperature_step_K = {kRefreshTemperatureStep_K, kRefreshTemperatureStep_K},
    .taylor_limit = {kTaylorLimit, kTaylorLimit},
    .one = {1.0, 1.0},
    .minus_one = {-1.0, -1.0},
    .half = {0.5, 0.5},
    .sixth = {1.0 / 6.0, 1.0 / 6.0},
    .twenty_fourth = {1.0 / 24.0, 1.0 / 24.0},
    .grid_intervals = {LfpChemistry::kGridIntervals, LfpChemistry::kGridIntervals},
    .zero_celsius_K = {ageing::kZeroCelsius_K, ageing::kZeroCelsius_K},
    .per_hour = {1.0 / kSecondsPerHour, 1.0 / kSecondsPerHour},
};
#endif

}  // namespace cell_detail

inline LfpChemistry::OcvPoint LfpChemistry::ocv_point(double soc) const {
  const cell_detail::GridPosition at = cell_detail::grid_position(soc);
  const auto i = static_cast<std::size_t>(at.index);
  return {ocv_mean_V_[i] + at.fraction * (ocv_mean_V_[i + 1] - ocv_mean_V_[i]),
          half_gap_V_[i] + at.fraction * (half_gap_V_[i + 1] - half_gap_V_[i])};
}

inline void Cell::track_half_cycles(double cell_current_A) {
  const int direction = (cell_current_A > state_->direction_threshold_A[lane_]) -
                        (cell_current_A < -state_->direction_threshold_A[lane_]);
  if (direction == 0 || direction == state_->last_current_direction[lane_]) return;
  if (state_->last_current_direction[lane_] != 0.0)
    state_->last_half_cycle_depth[lane_] =
        std::fabs(state_->soc[lane_] - state_->last_reversal_soc[lane_]);
  state_->last_reversal_soc[lane_] = state_->soc[lane_];
  state_->last_current_direction[lane_] = direction;
}

inline void Cell::step_with_external_heat(double current_A, double dt_s, double surroundings_degC,
                                          double external_heat_W) {
  using namespace cell_detail;
  state_->external_heat_W[lane_] = external_heat_W;
  if (dt_s != state_->cached_dt_s[lane_] ||
      std::fabs(state_->soc[lane_] - state_->cached_refresh_soc[lane_]) > kRefreshSocStep ||
      std::fabs(state_->temperature_degC[lane_] - state_->cached_refresh_temperature_degC[lane_]) >
          kRefreshTemperatureStep_K) [[unlikely]] {
    refresh_parameters(dt_s);
  }

  // An internal short sits across the electrodes: it carries V_terminal / R_short, solved through
  // R0 with the RC voltages at the start of the step, and its current flows through the cell.
  double cell_current_A = current_A;
  state_->short_current_A[lane_] = 0.0;
  if (state_->internal_short_Ohm[lane_] > 0.0) [[unlikely]] {
    const double source_V =
        open_circuit_voltage_V() - state_->v_rc1_V[lane_] - state_->v_rc2_V[lane_];
    state_->short_current_A[lane_] = (source_V - state_->r0_Ohm[lane_] * current_A) /
                                     (state_->internal_short_Ohm[lane_] + state_->r0_Ohm[lane_]);
    cell_current_A += state_->short_current_A[lane_];
  }
  track_half_cycles(cell_current_A);

  // Charge: SOC is not clamped; the OCV falls or rises steeply past the table ends instead.
  state_->soc[lane_] -=
      (cell_current_A + state_->self_discharge_A[lane_]) * state_->soc_per_A[lane_];

  // Plett one-state hysteresis: h <- A*h - (1-A)*sgn(i), written as h -= (1-A)*(h + sgn(i)).
  if (cell_current_A != 0.0) {
    const double sign = cell_current_A > 0.0 ? 1.0 : -1.0;
    const double fall =
        one_minus_exp_negative(std::fabs(cell_current_A) * state_->hysteresis_per_A[lane_]);
    state_->hysteresis[lane_] -= fall * (state_->hysteresis[lane_] + sign);
  }

  state_->v_rc1_V[lane_] = state_->rc1_decay[lane_] * state_->v_rc1_V[lane_] +
                           state_->rc1_gain_Ohm[lane_] * cell_current_A;
  state_->v_rc2_V[lane_] = state_->rc2_decay[lane_] * state_->v_rc2_V[lane_] +
                           state_->rc2_gain_Ohm[lane_] * cell_current_A;

  const LfpChemistry::OcvPoint ocv = chemistry_->ocv_point(state_->soc[lane_]);
  state_->terminal_voltage_V[lane_] = ocv.mean_V + ocv.half_gap_V * state_->hysteresis[lane_] -
                                      state_->r0_Ohm[lane_] * cell_current_A -
                                      state_->v_rc1_V[lane_] - state_->v_rc2_V[lane_];

  // Bernardi heat (i > 0 discharges): irreversible against the mean OCV, reversible entropic
  // part, and everything the short dissipates inside the can.
  const double temperature_K = state_->temperature_degC[lane_] + ageing::kZeroCelsius_K;
  state_->heat_W[lane_] = cell_current_A * (ocv.mean_V - state_->terminal_voltage_V[lane_]) -
                          cell_current_A * temperature_K * state_->entropic_V_per_K[lane_] +
                          state_->short_current_A[lane_] * state_->terminal_voltage_V[lane_];
  state_->temperature_degC[lane_] =
      surroundings_degC +
      (state_->temperature_degC[lane_] - surroundings_degC) * state_->thermal_decay[lane_] +
      state_->thermal_gain_K_per_W[lane_] *
          (state_->heat_W[lane_] + state_->external_heat_W[lane_]);

  // Ageing accumulators; the ageing state advances every update_interval_s of simulated time.
  const double moved_Ah = std::fabs(cell_current_A) * dt_s * (1.0 / kSecondsPerHour);
  const double half_cycle_depth =
      std::max(std::fabs(state_->soc[lane_] - state_->last_reversal_soc[lane_]),
               state_->last_half_cycle_depth[lane_]);
  state_->ageing_pending_s[lane_] += dt_s;
  state_->ageing_pending_soc_time[lane_] += state_->soc[lane_] * dt_s;
  state_->ageing_pending_temperature_time[lane_] += state_->temperature_degC[lane_] * dt_s;
  state_->ageing_pending_throughput_Ah[lane_] += moved_Ah;
  state_->crate_weighted[lane_] += moved_Ah * std::fabs(cell_current_A);
  state_->dod_weighted[lane_] += moved_Ah * half_cycle_depth;
  if (state_->ageing_pending_s[lane_] >= chemistry_->ageing().update_interval_s) [[unlikely]] {
    advance_ageing(state_->ageing_pending_s[lane_]);
  }
}

inline void Cell::step_pair_with_external_heat(Cell& first, Cell& second, double first_current_A,
                                               double second_current_A, double dt_s,
                                               double surroundings_degC,
                                               double first_external_heat_W,
                                               double second_external_heat_W) {
#if defined(__SSE2__)
  using namespace cell_detail;
  if (first.state_ != second.state_ || (first.lane_ & 1) != 0 || second.lane_ != first.lane_ + 1)
      [[unlikely]] {
    first.step_with_external_heat(first_current_A, dt_s, surroundings_degC, first_external_heat_W);
    second.step_with_external_heat(second_current_A, dt_s, surroundings_degC,
                                   second_external_heat_W);
    return;
  }
  // Lane 0 holds the first cell, lane 1 the second. Each _mm_*_pd below is the IEEE double
  // operation of the scalar step applied to both lanes, in the scalar step's order and with the
  // same rounding (no FMA, no reassociation), so each lane's result is the scalar result to the
  // bit. Comparisons use the ordered predicates of the scalar operators (false on NaN), and
  // fabs/negation are the same sign-bit masks the compiler uses for the scalar code.
  CellStateBlock& state = *first.state_;
  const int lane = first.lane_;  // 0 or 2: an aligned pair of lanes
  const auto load = [&](double(CellStateBlock::*field)[kCellLanes]) {
    return _mm_load_pd(state.*field + lane);
  };
  const auto store = [&](double(CellStateBlock::*field)[kCellLanes], __m128d value) {
    _mm_store_pd(state.*field + lane, value);
  };
  // GCC 12 builds a uniform vector constant with two instructions (movsd, unpcklpd) wherever it
  // is used; read through a pointer it cannot see into, each is one aligned load, mostly folded
  // into the instruction that uses it.
  const PairConstants* constants = &kPairConstants;
  asm("" : "+r"(constants));
  const auto constant = [&](const double(PairConstants::*field)[2]) {
    return _mm_load_pd(constants->*field);
  };
  const __m128d sign_bit = constant(&PairConstants::sign_bit);
  const __m128d magnitude_bits = constant(&PairConstants::magnitude_bits);
  const __m128d zero = _mm_setzero_pd();

  const __m128d current_A = _mm_set_pd(second_current_A, first_current_A);
  const __m128d soc = load(&CellStateBlock::soc);
  const __m128d temperature_degC = load(&CellStateBlock::temperature_degC);

  // The rare paths, decided on the state before the step (as the scalar step does), as one mask:
  // a coefficient refresh (dt changed, SOC or temperature moved) ...
  const __m128d dt = _mm_set1_pd(dt_s);
  const __m128d soc_moved =
      _mm_and_pd(_mm_sub_pd(soc, load(&CellStateBlock::cached_refresh_soc)), magnitude_bits);
  const __m128d temperature_moved = _mm_and_pd(
      _mm_sub_pd(temperature_degC, load(&CellStateBlock::cached_refresh_temperature_degC)),
      magnitude_bits);
  __m128d rare = _mm_or_pd(
      _mm_or_pd(_mm_cmpneq_pd(dt, load(&CellStateBlock::cached_dt_s)),
                _mm_cmpgt_pd(soc_moved, constant(&PairConstants::refresh_soc_step))),
      _mm_cmpgt_pd(temperature_moved, constant(&PairConstants::refresh_temperature_step_K)));
  // ... an internal short (without one the cell current is the current given) ...
  rare = _mm_or_pd(rare, _mm_cmpgt_pd(load(&CellStateBlock::internal_short_Ohm), zero));
  // ... a direction other than the last one (track_half_cycles' reversal) ...
  const __m128d threshold_A = load(&CellStateBlock::direction_threshold_A);
  const __m128d last_direction = load(&CellStateBlock::last_current_direction);
  const __m128d one = constant(&PairConstants::one);
  const __m128d minus_one = constant(&PairConstants::minus_one);
  rare = _mm_or_pd(
      rare, _mm_and_pd(_mm_cmpgt_pd(current_A, threshold_A), _mm_cmpneq_pd(last_direction, one)));
  rare = _mm_or_pd(rare, _mm_and_pd(_mm_cmplt_pd(current_A, _mm_xor_pd(threshold_A, sign_bit)),
                                    _mm_cmpneq_pd(last_direction, minus_one)));
  // ... the hysteresis' exp(-x) beyond the Taylor range (or NaN) ...
  const __m128d abs_current_A = _mm_and_pd(current_A, magnitude_bits);
  const __m128d hysteresis_x = _mm_mul_pd(abs_current_A, load(&CellStateBlock::hysteresis_per_A));
  rare = _mm_or_pd(rare, _mm_cmpnlt_pd(hysteresis_x, constant(&PairConstants::taylor_limit)));
  // ... or a SOC outside [0, 1), which needs the clamped grid position of the end segments
  // (not >= and not < are true for NaN, as the scalar test fails for it).
  const __m128d new_soc =
      _mm_sub_pd(soc, _mm_mul_pd(_mm_add_pd(current_A, load(&CellStateBlock::self_discharge_A)),
                                 load(&CellStateBlock::soc_per_A)));
  rare = _mm_or_pd(rare, _mm_or_pd(_mm_cmpnge_pd(new_soc, zero), _mm_cmpnlt_pd(new_soc, one)));
  if (_mm_movemask_pd(rare) != 0) [[unlikely]] {
    first.step_with_external_heat(first_current_A, dt_s, surroundings_degC, first_external_heat_W);
    second.step_with_external_heat(second_current_A, dt_s, surroundings_degC,
                                   second_external_heat_W);
    return;
  }

  // Hysteresis, kept where the current is exactly zero (the scalar step skips it there).
  const __m128d direction_sign =
      _mm_xor_pd(minus_one, _mm_and_pd(_mm_cmpgt_pd(current_A, zero), sign_bit));
  const __m128d x = hysteresis_x;
  const __m128d fall = _mm_mul_pd(
      x,
      _mm_sub_pd(
          one,
          _mm_mul_pd(
              x, _mm_sub_pd(
                     constant(&PairConstants::half),
                     _mm_mul_pd(
                         x, _mm_sub_pd(constant(&PairConstants::sixth),
                                       _mm_mul_pd(x, constant(&PairConstants::twenty_fourth))))))));
  const __m128d hysteresis = load(&CellStateBlock::hysteresis);
  const __m128d stepped_hysteresis =
      _mm_sub_pd(hysteresis, _mm_mul_pd(fall, _mm_add_pd(hysteresis, direction_sign)));
  const __m128d current_nonzero = _mm_cmpneq_pd(current_A, zero);
  const __m128d new_hysteresis = _mm_or_pd(_mm_and_pd(current_nonzero, stepped_hysteresis),
                                           _mm_andnot_pd(current_nonzero, hysteresis));

  const __m128d v_rc1_V =
      _mm_add_pd(_mm_mul_pd(load(&CellStateBlock::rc1_decay), load(&CellStateBlock::v_rc1_V)),
                 _mm_mul_pd(load(&CellStateBlock::rc1_gain_Ohm), current_A));
  const __m128d v_rc2_V =
      _mm_add_pd(_mm_mul_pd(load(&CellStateBlock::rc2_decay), load(&CellStateBlock::v_rc2_V)),
                 _mm_mul_pd(load(&CellStateBlock::rc2_gain_Ohm), current_A));

  // OCV at the new SOC: grid_position's inside-the-table branch, then each cell's two grid
  // neighbours (adjacent in memory) gathered with one load per cell.
  const __m128d grid_x = _mm_mul_pd(new_soc, constant(&PairConstants::grid_intervals));
  const __m128i grid_index = _mm_cvttpd_epi32(grid_x);
  const __m128d fraction = _mm_sub_pd(grid_x, _mm_cvtepi32_pd(grid_index));
  const auto first_index = static_cast<std::size_t>(_mm_cvtsi128_si32(grid_index));
  const auto second_index =
      static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_srli_si128(grid_index, 4)));
  const LfpChemistry& first_chemistry = *first.chemistry_;
  const LfpChemistry& second_chemistry = *second.chemistry_;
  const auto interpolate = [&](const LfpChemistry::Grid& first_grid,
                               const LfpChemistry::Grid& second_grid) {
    const __m128d first_neighbours = _mm_loadu_pd(first_grid.data() + first_index);
    const __m128d second_neighbours = _mm_loadu_pd(second_grid.data() + second_index);
    const __m128d lower = _mm_unpacklo_pd(first_neighbours, second_neighbours);
    const __m128d upper = _mm_unpackhi_pd(first_neighbours, second_neighbours);
    return _mm_add_pd(lower, _mm_mul_pd(fraction, _mm_sub_pd(upper, lower)));
  };
  const __m128d ocv_mean_V = interpolate(first_chemistry.ocv_mean_V_, second_chemistry.ocv_mean_V_);
  const __m128d half_gap_V = interpolate(first_chemistry.half_gap_V_, second_chemistry.half_gap_V_);

  const __m128d terminal_voltage_V = _mm_sub_pd(
      _mm_sub_pd(_mm_sub_pd(_mm_add_pd(ocv_mean_V, _mm_mul_pd(half_gap_V, new_hysteresis)),
                            _mm_mul_pd(load(&CellStateBlock::r0_Ohm), current_A)),
                 v_rc1_V),
      v_rc2_V);

  // Bernardi heat; the short's term is zero times the terminal voltage, as in the scalar step.
  const __m128d temperature_K =
      _mm_add_pd(temperature_degC, constant(&PairConstants::zero_celsius_K));
  const __m128d heat_W =
      _mm_add_pd(_mm_sub_pd(_mm_mul_pd(current_A, _mm_sub_pd(ocv_mean_V, terminal_voltage_V)),
                            _mm_mul_pd(_mm_mul_pd(current_A, temperature_K),
                                       load(&CellStateBlock::entropic_V_per_K))),
                 _mm_mul_pd(zero, terminal_voltage_V));
  const __m128d surroundings = _mm_set1_pd(surroundings_degC);
  const __m128d external_heat_W = _mm_set_pd(second_external_heat_W, first_external_heat_W);
  const __m128d new_temperature_degC = _mm_add_pd(
      _mm_add_pd(surroundings, _mm_mul_pd(_mm_sub_pd(temperature_degC, surroundings),
                                          load(&CellStateBlock::thermal_decay))),
      _mm_mul_pd(load(&CellStateBlock::thermal_gain_K_per_W), _mm_add_pd(heat_W, external_heat_W)));

  const __m128d moved_Ah =
      _mm_mul_pd(_mm_mul_pd(abs_current_A, dt), constant(&PairConstants::per_hour));
  // std::max(a, b) is (a < b) ? b : a, which is _mm_max_pd(b, a).
  const __m128d half_cycle_depth = _mm_max_pd(
      load(&CellStateBlock::last_half_cycle_depth),
      _mm_and_pd(_mm_sub_pd(new_soc, load(&CellStateBlock::last_reversal_soc)), magnitude_bits));

  store(&CellStateBlock::external_heat_W, external_heat_W);
  store(&CellStateBlock::short_current_A, zero);
  store(&CellStateBlock::soc, new_soc);
  store(&CellStateBlock::hysteresis, new_hysteresis);
  store(&CellStateBlock::v_rc1_V, v_rc1_V);
  store(&CellStateBlock::v_rc2_V, v_rc2_V);
  store(&CellStateBlock::terminal_voltage_V, terminal_voltage_V);
  store(&CellStateBlock::heat_W, heat_W);
  store(&CellStateBlock::temperature_degC, new_temperature_degC);
  store(&CellStateBlock::ageing_pending_s, _mm_add_pd(load(&CellStateBlock::ageing_pending_s), dt));
  store(&CellStateBlock::ageing_pending_soc_time,
        _mm_add_pd(load(&CellStateBlock::ageing_pending_soc_time), _mm_mul_pd(new_soc, dt)));
  store(&CellStateBlock::ageing_pending_temperature_time,
        _mm_add_pd(load(&CellStateBlock::ageing_pending_temperature_time),
                   _mm_mul_pd(new_temperature_degC, dt)));
  store(&CellStateBlock::ageing_pending_throughput_Ah,
        _mm_add_pd(load(&CellStateBlock::ageing_pending_throughput_Ah), moved_Ah));
  store(&CellStateBlock::crate_weighted,
        _mm_add_pd(load(&CellStateBlock::crate_weighted), _mm_mul_pd(moved_Ah, abs_current_A)));
  store(&CellStateBlock::dod_weighted,
        _mm_add_pd(load(&CellStateBlock::dod_weighted), _mm_mul_pd(moved_Ah, half_cycle_depth)));
  if (state.ageing_pending_s[lane] >= first_chemistry.ageing().update_interval_s) [[unlikely]] {
    first.advance_ageing(state.ageing_pending_s[lane]);
  }
  if (state.ageing_pending_s[lane + 1] >= second_chemistry.ageing().update_interval_s)
      [[unlikely]] {
    second.advance_ageing(state.ageing_pending_s[lane + 1]);
  }
#else
  first.step_with_external_heat(first_current_A, dt_s, surroundings_degC, first_external_heat_W);
  second.step_with_external_heat(second_current_A, dt_s, surroundings_degC, second_external_heat_W);
#endif
}

/// Draw one cell's spread from the module's generator.
class Rng;
CellSpread draw_cell_spread(const CellSpreadParameters& parameters, Rng& rng);

}  // namespace bts::plant
