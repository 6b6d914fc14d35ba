#pragma once
// State of charge of one module's mean cell: an extended Kalman filter on the firmware's own cell
// model (lfp_cell_model.hpp) with three states, SOC z, hysteresis h (Plett, -1 discharge branch ..
// +1 charge branch) and the current sensor's offset b. The two RC voltages are computed from the
// corrected current (no state of their own). Coulomb counting adds up every sample (100 ms) into a
// span (SocEstimatorSpan); one prediction step takes the span, before the voltage correction
// every second, weighted by how much the OCV curve says there (steep ends,
// relaxed rest) and never trusted as if its model error were white. The SOC it reports follows
// the filter's by counted charge plus a bounded blending step, so it never jumps.
// Equations, noise values and bounds: docs/firmware.md, "State estimation". Fixed size, no heap.
#include <algorithm>
#include <array>
#include <cstdint>

#include "firmware/estimation/lfp_cell_model.hpp"

namespace bts::firmware {

struct SocEstimatorSettings {
  double nominal_capacity_Ah = 100.0;
  LfpCircuit circuit{};
  // What the filter assumes of its sensors (1 sigma, the front end's data sheet).
  double current_offset_sd_A = 0.05;
  double current_gain_sd = 0.005;
  double gain_error_correlation_s = 3600.0;  // a gain error acts for a whole charge or discharge
  double mean_cell_voltage_sd_V = 0.001;     // 16 channels' noise and offsets, averaged
  // Model error of the predicted terminal voltage: a floor, and a share of the resistive drop.
  double model_voltage_sd_V = 0.002;
  double model_resistance_share = 0.25;
  /// Model errors persist for minutes: one correction per second carries 1/this of an
  /// independent measurement (the measurement variance is multiplied by it).
  double voltage_error_correlation_s = 600.0;
  double soc_random_walk_per_sqrt_day = 0.002;  // self-discharge and what else is not counted
  double bias_random_walk_A_per_sqrt_day = 0.005;
  double hysteresis_random_walk_per_sqrt_s = 0.001;
  /// Bound on the reported SOC: each step moves it by the counted charge plus at most this
  /// (per second) towards the filter's estimate.
  double max_blend_per_s = 0.0002;  // 0.02 %/s, 1.4x the SOC rate of 0.5C
  double rest_current_A = 1.0;
  double relaxed_after_s = 1800.0;
  double relaxed_model_voltage_sd_V = 0.001;
  /// The battery asks for a full charge when its SOC uncertainty (1 sigma) rises above this,
  /// and withdraws the request once it is below the second value again.
  double calibration_request_above = 0.06;
  double calibration_clear_below = 0.02;
  /// A current sensor that cannot be read: the SOC uncertainty grows by this current's charge.
  double unknown_current_A = 10.0;
};

/// One sample of what the estimator uses, in SI units (the module BMS converts its integers).
struct SocEstimatorInput {
  double current_A = 0.0;  // measured, LV side, > 0 discharging
  bool current_valid = true;
  double bleed_current_A = 0.0;  // balancing, averaged over the cells (not seen by the sensor)
  double mean_cell_voltage_V = 0.0;
  bool voltage_valid = true;
  double temperature_degC = 25.0;  // mean cell temperature
};

/// The samples since the last prediction, added up (SocEstimator::predict takes them in one step).
/// The charge counted is the sum of every sample's; what the step cannot take exactly is the order
/// of the currents inside the span (hysteresis and RC voltages see its net charge, which is the
/// same for a current of one sign, and the RC's time constants are 15 s and more).
struct SocEstimatorSpan {
  double duration_s = 0.0;
  double counted_s = 0.0;            // the part with a valid current reading
  double measured_charge_As = 0.0;   // measured current x dt over valid samples (> 0 out)
  double measured_square_A2s = 0.0;  // measured current squared x dt (the gain error's noise)
  double bleed_charge_As = 0.0;      // balancing bleed x dt over every sample
  double highest_A = 0.0;            // of (measured, 0 if invalid) + bleed: rest detection
  double lowest_A = 0.0;
  SocEstimatorInput last{};  // the last sample (its current is behind the voltage)
  int samples = 0;

  void add(const SocEstimatorInput& sample, double dt_s) {
    const double measured_A = sample.current_valid ? sample.current_A : 0.0;
    const double seen_A = measured_A + sample.bleed_current_A;
    highest_A = samples == 0 ? seen_A : std::max(highest_A, seen_A);
    lowest_A = samples == 0 ? seen_A : std::min(lowest_A, seen_A);
    duration_s += dt_s;
    if (sample.current_valid) {
      counted_s += dt_s;
      measured_charge_As += measured_A * dt_s;
      measured_square_A2s += measured_A * measured_A * dt_s;
    }
    bleed_charge_As += sample.bleed_current_A * dt_s;
    last = sample;
    ++samples;
  }
};

/// A moment where the estimate was pinned by the voltage (for capacity learning).
struct SocAnchor {
  double soc = 0.0;
  double soc_sd = 1.0;
  double counted_charge_Ah = 0.0;  // bias-corrected charge out of the cell since start (> 0 out)
};

class SocEstimator {
 public:
  explicit SocEstimator(const SocEstimatorSettings& settings = {});

  /// Start from known values (a trusted record).
  void start(double soc, double soc_sd, double hysteresis, double hysteresis_sd, double bias_A,
             double bias_sd_A);
  /// Start from a cell voltage taken as rested (nothing better known): SOC from the mean OCV,
  /// with the uncertainty the curve's slope and the unknown hysteresis branch leave.
  void start_from_voltage(double mean_cell_voltage_V, double minimum_soc_sd);

  /// One prediction step over the samples of a span (coulomb counting, hysteresis, RC voltages,
  /// covariance); nothing happens for an empty span.
  void predict(const SocEstimatorSpan& span);
  /// The same for a span of one sample.
  void predict(const SocEstimatorInput& input, double dt_s) {
    SocEstimatorSpan span;
    span.add(input, dt_s);
    predict(span);
  }
  /// Voltage correction (every second) and the bounded blending step of the reported SOC.
  void correct(const SocEstimatorInput& input, double dt_since_last_s);

  /// The capacity the charge is counted against, and its 1 sigma (an unlearned capacity makes the
  /// counted SOC uncertain in proportion to the charge moved, like a gain error).
  void set_capacity_Ah(double capacity_Ah, double capacity_sd_Ah = 0.0) {
    capacity_Ah_ = capacity_Ah;
    capacity_sd_share_ = capacity_Ah > 0.0 ? capacity_sd_Ah / capacity_Ah : 0.0;
  }
  void set_resistance_factor(double factor) { resistance_factor_ = factor; }
  double capacity_Ah() const { return capacity_Ah_; }

  /// The SOC the module reports (0..1), and its uncertainty (1 sigma, including the part of the
  /// filter's correction not yet blended in).
  double soc() const { return reported_soc_; }
  double soc_sd() const;
  double filter_soc() const { return x_[kSoc]; }
  double filter_soc_sd() const;
  double hysteresis() const { return x_[kHysteresis]; }
  double hysteresis_sd() const;
  double bias_A() const { return x_[kBias]; }
  double bias_sd_A() const;
  bool calibration_requested() const { return calibration_requested_; }
  bool relaxed() const { return rest_s_ >= settings_.relaxed_after_s; }
  /// Bias-corrected charge out of the mean cell since start (Ah, > 0 discharged).
  double counted_charge_Ah() const { return counted_charge_Ah_; }
  /// True after a correction in which the voltage pinned the SOC (steep curve or relaxed).
  bool anchored() const { return anchored_; }
  /// The resistive drop the model predicts now: R0 part (V per A of current) and RC voltages.
  double ohmic_resistance_Ohm(double temperature_degC) const;
  double rc_voltage_V() const { return v1_V_ + v2_V_; }
  /// The bias-corrected current of the last sample predicted: the drop the next correction expects.
  double last_cell_current_A() const { return last_cell_current_A_; }
  double predicted_open_circuit_V() const;

 private:
  static constexpr int kSoc = 0, kHysteresis = 1, kBias = 2;
  using Vector = std::array<double, 3>;
  using Matrix = std::array<std::array<double, 3>, 3>;
  static Matrix propagate_covariance(const Matrix& p, double db, double a);

  double predicted_voltage_V(const Vector& x, double cell_current_A, double temperature_degC,
                             Vector& jacobian) const;
  double measurement_variance_V2(double cell_current_A, double temperature_degC) const;
  void update_calibration_request();
  double temperature_factor(double temperature_degC) const;

  SocEstimatorSettings settings_;
  double capacity_Ah_;
  double capacity_sd_share_ = 0.0;
  double resistance_factor_ = 1.0;
  Vector x_{0.5, 0.0, 0.0};
  Matrix p_{};
  double v1_V_ = 0.0;
  double v2_V_ = 0.0;
  double last_cell_current_A_ = 0.0;
  double rest_s_ = 0.0;
  double reported_soc_ = 0.5;
  double counted_charge_Ah_ = 0.0;
  bool anchored_ = false;
  bool calibration_requested_ = false;
  double cached_dt_s_ = -1.0;
  double decay1_ = 1.0;
  double decay2_ = 1.0;
  mutable double cached_temperature_degC_ = -1000.0;
  mutable double cached_temperature_factor_ = 1.0;
};

}  // namespace bts::firmware
