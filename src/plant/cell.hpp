#pragma once
// One LFP cell: two-RC equivalent circuit with one-state hysteresis, Arrhenius resistances,
// entropic and Joule heat into its own thermal mass, self-discharge, an internal-short fault
// path, and capacity/resistance ageing.
//
// Sign convention used in the whole plant: current_A > 0 discharges the cell.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "plant/cell_ageing.hpp"
#include "plant/cell_parameters.hpp"

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

class Cell {
 public:
  Cell(const LfpChemistry& chemistry, const CellSpread& spread, double initial_soc,
       double initial_temperature_degC);

  /// Advance by dt_s with current_A through the cell (> 0 discharges) while its surroundings
  /// (the module's internal air) sit at surroundings_degC. Updates SOC, hysteresis, RC voltages,
  /// terminal voltage, heat and temperature, self-discharge and ageing.
  void step(double current_A, double dt_s, double surroundings_degC);
  /// The same step after set_external_heat_W(external_heat_W), inlined into the module's cell
  /// loop (the per-step path; refreshes and ageing updates stay out of line).
  [[gnu::always_inline]] inline void step_with_external_heat(double current_A, double dt_s,
                                                             double surroundings_degC,
                                                             double external_heat_W);

  double terminal_voltage_V() const { return terminal_voltage_V_; }
  double open_circuit_voltage_V() const;  // OCV including the present hysteresis offset
  double soc() const { return soc_; }     // of the present (aged) capacity, 0..1
  double capacity_Ah() const;             // present capacity (spread and ageing applied)
  double temperature_degC() const { return temperature_degC_; }
  double hysteresis_state() const { return hysteresis_; }  // -1 discharge .. +1 charge branch
  double heat_W() const { return heat_W_; }                // generated during the last step
  double resistance_dc_Ohm() const;  // R0+R1+R2 at the present SOC and temperature
  double stored_energy_Wh() const;   // energy to empty along the mean OCV curve
  const CellAgeingState& ageing() const { return ageing_; }

  /// Heat into or out of the cell from outside (heater film, neighbouring hot spot), in W.
  void set_external_heat_W(double heat_W) { external_heat_W_ = heat_W; }
  /// An internal short: a resistance across the cell terminals inside the can (0 = none).
  void set_internal_short_Ohm(double resistance_Ohm) { internal_short_Ohm_ = resistance_Ohm; }
  /// Time-warp ageing (for calendar/cycle projection): adds calendar time and throughput at once.
  void set_temperature_degC(double temperature_degC) { temperature_degC_ = temperature_degC; }
  void set_soc(double soc) { soc_ = soc; }

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
  double rc1_voltage_V() const { return v_rc1_V_; }
  double rc2_voltage_V() const { return v_rc2_V_; }
  /// Current through the internal short during the last step (A, 0 without a short).
  double internal_short_current_A() const { return short_current_A_; }
  const CellSpread& spread() const { return spread_; }
  const LfpChemistry& chemistry() const { return *chemistry_; }

 private:
  void refresh_parameters(double dt_s);
  void advance_ageing(double dt_s);
  [[gnu::always_inline]] inline void track_half_cycles(double cell_current_A);

  const LfpChemistry* chemistry_;
  CellSpread spread_;
  double soc_;
  double hysteresis_ = 0.0;
  double v_rc1_V_ = 0.0;
  double v_rc2_V_ = 0.0;
  double temperature_degC_;
  double terminal_voltage_V_ = 0.0;
  double heat_W_ = 0.0;
  double external_heat_W_ = 0.0;
  double internal_short_Ohm_ = 0.0;
  CellAgeingState ageing_;

  // Cached coefficients, refreshed when SOC or temperature moved enough or dt changed.
  double cached_dt_s_ = -1.0;
  double cached_refresh_soc_ = -1.0;
  double cached_refresh_temperature_degC_ = -1000.0;
  double r0_Ohm_ = 0.0;
  double rc1_decay_ = 0.0, rc1_gain_Ohm_ = 0.0;
  double rc2_decay_ = 0.0, rc2_gain_Ohm_ = 0.0;
  double thermal_decay_ = 0.0;
  double self_discharge_A_ = 0.0;
  // Ageing accumulators between updates.
  double ageing_pending_s_ = 0.0;
  double ageing_pending_soc_time_ = 0.0;
  double ageing_pending_temperature_time_ = 0.0;
  double ageing_pending_throughput_Ah_ = 0.0;
  double last_reversal_soc_ = 0.5;
  int last_current_sign_ = 0;
  double dod_weighted_ = 0.0;    // throughput-weighted mean depth of discharge
  double crate_weighted_ = 0.0;  // throughput-weighted mean C-rate
  // Additions (see cell.cpp for their use).
  double last_half_cycle_depth_ = 0.0;  // depth of the last completed half-cycle (SOC)
  double direction_threshold_A_ = 0.0;  // |current| below this does not count as a direction
  double soc_per_A_ = 0.0;              // dt / capacity in As, refreshed with dt and capacity
  double hysteresis_per_A_ = 0.0;       // gamma * dt / capacity in As
  double thermal_gain_K_per_W_ = 0.0;   // (1 - thermal_decay) / G: exact step response to heat
  double entropic_V_per_K_ = 0.0;       // dOCV/dT at the refresh SOC
  double short_current_A_ = 0.0;
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
inline constexpr double kSecondsPerHour = 3600.0;

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

}  // namespace cell_detail

inline LfpChemistry::OcvPoint LfpChemistry::ocv_point(double soc) const {
  const cell_detail::GridPosition at = cell_detail::grid_position(soc);
  const auto i = static_cast<std::size_t>(at.index);
  return {ocv_mean_V_[i] + at.fraction * (ocv_mean_V_[i + 1] - ocv_mean_V_[i]),
          half_gap_V_[i] + at.fraction * (half_gap_V_[i + 1] - half_gap_V_[i])};
}

inline void Cell::track_half_cycles(double cell_current_A) {
  const int direction =
      (cell_current_A > direction_threshold_A_) - (cell_current_A < -direction_threshold_A_);
  if (direction == 0 || direction == last_current_sign_) return;
  if (last_current_sign_ != 0) last_half_cycle_depth_ = std::fabs(soc_ - last_reversal_soc_);
  last_reversal_soc_ = soc_;
  last_current_sign_ = direction;
}

inline void Cell::step_with_external_heat(double current_A, double dt_s, double surroundings_degC,
                                          double external_heat_W) {
  using namespace cell_detail;
  external_heat_W_ = external_heat_W;
  if (dt_s != cached_dt_s_ || std::fabs(soc_ - cached_refresh_soc_) > kRefreshSocStep ||
      std::fabs(temperature_degC_ - cached_refresh_temperature_degC_) > kRefreshTemperatureStep_K)
      [[unlikely]] {
    refresh_parameters(dt_s);
  }

  // An internal short sits across the electrodes: it carries V_terminal / R_short, solved through
  // R0 with the RC voltages at the start of the step, and its current flows through the cell.
  double cell_current_A = current_A;
  short_current_A_ = 0.0;
  if (internal_short_Ohm_ > 0.0) [[unlikely]] {
    const double source_V = open_circuit_voltage_V() - v_rc1_V_ - v_rc2_V_;
    short_current_A_ = (source_V - r0_Ohm_ * current_A) / (internal_short_Ohm_ + r0_Ohm_);
    cell_current_A += short_current_A_;
  }
  track_half_cycles(cell_current_A);

  // Charge: SOC is not clamped; the OCV falls or rises steeply past the table ends instead.
  soc_ -= (cell_current_A + self_discharge_A_) * soc_per_A_;

  // Plett one-state hysteresis: h <- A*h - (1-A)*sgn(i), written as h -= (1-A)*(h + sgn(i)).
  if (cell_current_A != 0.0) {
    const double sign = cell_current_A > 0.0 ? 1.0 : -1.0;
    const double fall = one_minus_exp_negative(std::fabs(cell_current_A) * hysteresis_per_A_);
    hysteresis_ -= fall * (hysteresis_ + sign);
  }

  v_rc1_V_ = rc1_decay_ * v_rc1_V_ + rc1_gain_Ohm_ * cell_current_A;
  v_rc2_V_ = rc2_decay_ * v_rc2_V_ + rc2_gain_Ohm_ * cell_current_A;

  const LfpChemistry::OcvPoint ocv = chemistry_->ocv_point(soc_);
  terminal_voltage_V_ =
      ocv.mean_V + ocv.half_gap_V * hysteresis_ - r0_Ohm_ * cell_current_A - v_rc1_V_ - v_rc2_V_;

  // Bernardi heat (i > 0 discharges): irreversible against the mean OCV, reversible entropic
  // part, and everything the short dissipates inside the can.
  const double temperature_K = temperature_degC_ + ageing::kZeroCelsius_K;
  heat_W_ = cell_current_A * (ocv.mean_V - terminal_voltage_V_) -
            cell_current_A * temperature_K * entropic_V_per_K_ +
            short_current_A_ * terminal_voltage_V_;
  temperature_degC_ = surroundings_degC + (temperature_degC_ - surroundings_degC) * thermal_decay_ +
                      thermal_gain_K_per_W_ * (heat_W_ + external_heat_W_);

  // Ageing accumulators; the ageing state advances every update_interval_s of simulated time.
  const double moved_Ah = std::fabs(cell_current_A) * dt_s * (1.0 / kSecondsPerHour);
  const double half_cycle_depth =
      std::max(std::fabs(soc_ - last_reversal_soc_), last_half_cycle_depth_);
  ageing_pending_s_ += dt_s;
  ageing_pending_soc_time_ += soc_ * dt_s;
  ageing_pending_temperature_time_ += temperature_degC_ * dt_s;
  ageing_pending_throughput_Ah_ += moved_Ah;
  crate_weighted_ += moved_Ah * std::fabs(cell_current_A);
  dod_weighted_ += moved_Ah * half_cycle_depth;
  if (ageing_pending_s_ >= chemistry_->ageing().update_interval_s) [[unlikely]] {
    advance_ageing(ageing_pending_s_);
  }
}

/// Draw one cell's spread from the module's generator.
class Rng;
CellSpread draw_cell_spread(const CellSpreadParameters& parameters, Rng& rng);

}  // namespace bts::plant
