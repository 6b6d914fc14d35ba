#include "firmware/estimation/soc_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace bts::firmware {

namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr double kMinSoc = -0.05;  // the filter may look past the ends; the report never does
constexpr double kMaxSoc = 1.05;
constexpr double kMaxBias_A = 1.0;
constexpr int kUpdateIterations = 3;              // iterated EKF: relinearise on the curve's knees
constexpr double kSteepSlope_V_per_unit = 0.5;    // 5 mV per % SOC: the curve pins SOC
constexpr double kRelaxedSlope_V_per_unit = 0.2;  // 2 mV per %: enough after a long rest
constexpr double kAnchorSd = 0.015;
constexpr double kLoadedCorrectionSlope_V_per_unit = 0.2;   // 2 mV per %: corrected under load
constexpr double kRelaxedCorrectionSlope_V_per_unit = 0.1;  // 1 mV per %: only after a rest

double sign_of(double value) { return value > 0.0 ? 1.0 : (value < 0.0 ? -1.0 : 0.0); }

}  // namespace

SocEstimator::SocEstimator(const SocEstimatorSettings& settings)
    : settings_(settings), capacity_Ah_(settings.nominal_capacity_Ah) {
  start(0.5, 0.3, 0.0, 1.0, 0.0, settings_.current_offset_sd_A);
}

void SocEstimator::start(double soc, double soc_sd, double hysteresis, double hysteresis_sd,
                         double bias_A, double bias_sd_A) {
  x_ = {std::clamp(soc, 0.0, 1.0), std::clamp(hysteresis, -1.0, 1.0),
        std::clamp(bias_A, -kMaxBias_A, kMaxBias_A)};
  p_ = {};
  p_[kSoc][kSoc] = soc_sd * soc_sd;
  p_[kHysteresis][kHysteresis] = hysteresis_sd * hysteresis_sd;
  p_[kBias][kBias] = bias_sd_A * bias_sd_A;
  reported_soc_ = x_[kSoc];
  v1_V_ = v2_V_ = 0.0;
  rest_s_ = 0.0;
  anchored_ = false;
  update_calibration_request();
}

void SocEstimator::start_from_voltage(double mean_cell_voltage_V, double minimum_soc_sd) {
  const double soc = soc_from_mean_ocv(mean_cell_voltage_V);
  const OcvLookup ocv = lookup_ocv(soc);
  // The branch is unknown (h anywhere in -1..1) and the cell may not have rested.
  const double voltage_sd_V = ocv.half_gap_V + 0.003;
  const double soc_sd = std::clamp(voltage_sd_V / std::max(std::fabs(ocv.slope_V_per_unit), 0.01),
                                   minimum_soc_sd, 0.35);
  start(soc, soc_sd, 0.0, 1.0, 0.0, settings_.current_offset_sd_A);
}

double SocEstimator::ohmic_resistance_Ohm(double temperature_degC) const {
  return settings_.circuit.r0_Ohm * resistance_factor_ * resistance_soc_factor(x_[kSoc]) *
         temperature_factor(temperature_degC);
}

double SocEstimator::temperature_factor(double temperature_degC) const {
  // The Arrhenius factor changes by 0.3 % per 0.1 K: recomputed only when the temperature moves.
  if (std::fabs(temperature_degC - cached_temperature_degC_) >= 0.1) {
    cached_temperature_degC_ = temperature_degC;
    cached_temperature_factor_ = resistance_temperature_factor(
        temperature_degC, settings_.circuit.activation_energy_J_per_mol);
  }
  return cached_temperature_factor_;
}

double SocEstimator::predicted_open_circuit_V() const {
  const OcvLookup ocv = lookup_ocv(x_[kSoc]);
  return ocv.mean_V + ocv.half_gap_V * x_[kHysteresis];
}

// F P F' with F = [[1, 0, db], [0, a, 0], [0, 0, 1]], bit for bit the general 3x3 product (each
// sum starting from +0.0 and adding the three terms in order). The terms with a zero entry of F
// are left out: while every entry of P is finite and bounded, such a term is +-0, and adding +-0
// changes nothing, because a sum started from +0.0 is never -0.0 (x + y is -0.0 in round-to-
// nearest only when both are -0.0). Otherwise (an infinite or NaN entry, where 0 * inf is NaN)
// the general product runs.
SocEstimator::Matrix SocEstimator::propagate_covariance(const Matrix& p, double db, double a) {
  constexpr double kBound = 1e100;  // products of two such stay finite
  // One test: the sum of the magnitudes is below the bound only if every one is (and none is NaN).
  const double magnitudes = std::fabs(db) + std::fabs(a) + std::fabs(p[0][0]) + std::fabs(p[0][1]) +
                            std::fabs(p[0][2]) + std::fabs(p[1][0]) + std::fabs(p[1][1]) +
                            std::fabs(p[1][2]) + std::fabs(p[2][0]) + std::fabs(p[2][1]) +
                            std::fabs(p[2][2]);
  if (!(magnitudes < kBound)) {
    Matrix f{};
    f[kSoc][kSoc] = 1.0;
    f[kSoc][kBias] = db;
    f[kHysteresis][kHysteresis] = a;
    f[kBias][kBias] = 1.0;
    Matrix fp{};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 3; ++k) fp[r][c] += f[r][k] * p[k][c];
    Matrix next{};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 3; ++k) next[r][c] += fp[r][k] * f[c][k];
    return next;
  }
  static_assert(kSoc == 0 && kHysteresis == 1 && kBias == 2);
  // F P: row 0 = p0 + db p2, row 1 = a p1, row 2 = p2 (each after +0.0 as the loop starts).
  Matrix fp;
  for (int c = 0; c < 3; ++c) {
    fp[0][c] = (0.0 + p[0][c]) + db * p[2][c];
    fp[1][c] = 0.0 + a * p[1][c];
    fp[2][c] = 0.0 + p[2][c];
  }
  // (F P) F': column 0 = fp0 + fp2 db, column 1 = fp1 a, column 2 = fp2.
  Matrix next;
  for (int r = 0; r < 3; ++r) {
    next[r][0] = (0.0 + fp[r][0]) + fp[r][2] * db;
    next[r][1] = 0.0 + fp[r][1] * a;
    next[r][2] = 0.0 + fp[r][2];
  }
  return next;
}

void SocEstimator::predict(const SocEstimatorSpan& span) {
  if (span.samples == 0 || span.duration_s <= 0.0) return;
  const double dt_s = span.duration_s;
  const double charge_As = capacity_Ah_ * 3600.0;
  // The bias is a state of the filter, constant between corrections: it comes off every sample
  // with a valid reading, so the span's charge is corrected as a whole.
  const double cell_charge_As =
      span.measured_charge_As - x_[kBias] * span.counted_s + span.bleed_charge_As;
  const double soc_step = -cell_charge_As / charge_As;
  x_[kSoc] = std::clamp(x_[kSoc] + soc_step, kMinSoc, kMaxSoc);
  reported_soc_ = std::clamp(reported_soc_ + soc_step, 0.0, 1.0);
  counted_charge_Ah_ += cell_charge_As / 3600.0;

  // Hysteresis (Plett): h -> A h - (1 - A) sgn(i), A = exp(-|i gamma dt / Q|), over the span's
  // net charge (exactly the samples' product for a current of one sign).
  const double decay =
      std::exp(-std::fabs(cell_charge_As * settings_.circuit.hysteresis_rate / charge_As));
  x_[kHysteresis] = decay * x_[kHysteresis] - (1.0 - decay) * sign_of(cell_charge_As);

  // RC branches, exact for the span's mean current held over it.
  if (dt_s != cached_dt_s_) {
    cached_dt_s_ = dt_s;
    decay1_ = std::exp(-dt_s / settings_.circuit.tau1_s);
    decay2_ = std::exp(-dt_s / settings_.circuit.tau2_s);
  }
  const double mean_cell_current_A = cell_charge_As / dt_s;
  const double factor = resistance_factor_ * resistance_soc_factor(x_[kSoc]) *
                        temperature_factor(span.last.temperature_degC);
  v1_V_ =
      decay1_ * v1_V_ + settings_.circuit.r1_Ohm * factor * (1.0 - decay1_) * mean_cell_current_A;
  v2_V_ =
      decay2_ * v2_V_ + settings_.circuit.r2_Ohm * factor * (1.0 - decay2_) * mean_cell_current_A;

  // Covariance: P <- F P F' + Q with F = [[1, 0, dt/Q], [0, A, 0], [0, 0, 1]], dt the time the
  // current was counted.
  const double db = span.counted_s / charge_As;
  Matrix next = propagate_covariance(p_, db, decay);
  const double gain_sd = std::sqrt(settings_.current_gain_sd * settings_.current_gain_sd +
                                   capacity_sd_share_ * capacity_sd_share_);
  const double gain_sd_per_A = gain_sd / charge_As;  // SOC per second per ampere
  const double soc_walk = settings_.soc_random_walk_per_sqrt_day;
  next[kSoc][kSoc] += gain_sd_per_A * gain_sd_per_A * span.measured_square_A2s *
                          settings_.gain_error_correlation_s +
                      soc_walk * soc_walk * dt_s / kSecondsPerDay;
  if (span.counted_s < dt_s) {
    // Nothing counted the charge: the uncertainty grows by what an unseen current could move.
    const double grown = std::sqrt(next[kSoc][kSoc]) +
                         settings_.unknown_current_A * (dt_s - span.counted_s) / charge_As;
    next[kSoc][kSoc] = grown * grown;
  }
  const double h_walk = settings_.hysteresis_random_walk_per_sqrt_s;
  next[kHysteresis][kHysteresis] += h_walk * h_walk * dt_s;
  const double b_walk = settings_.bias_random_walk_A_per_sqrt_day;
  next[kBias][kBias] += b_walk * b_walk * dt_s / kSecondsPerDay;
  p_ = next;

  // At rest only if no sample of the span carried the rest current.
  const double bias_seen_A = span.counted_s > 0.0 ? x_[kBias] : 0.0;
  const double peak_A =
      std::max(std::fabs(span.highest_A - bias_seen_A), std::fabs(span.lowest_A - bias_seen_A));
  rest_s_ = peak_A < settings_.rest_current_A ? rest_s_ + dt_s : 0.0;
  // The correction compares the voltage of the last sample: the drop of its own current.
  last_cell_current_A_ =
      (span.last.current_valid ? span.last.current_A - x_[kBias] : 0.0) + span.last.bleed_current_A;
}

double SocEstimator::predicted_voltage_V(const Vector& x, double cell_current_A,
                                         double temperature_degC, Vector& jacobian) const {
  const OcvLookup ocv = lookup_ocv(x[kSoc]);
  const double r0_Ohm = settings_.circuit.r0_Ohm * resistance_factor_ *
                        resistance_soc_factor(x[kSoc]) * temperature_factor(temperature_degC);
  jacobian = {ocv.slope_V_per_unit, ocv.half_gap_V, r0_Ohm};
  return ocv.mean_V + ocv.half_gap_V * x[kHysteresis] - r0_Ohm * cell_current_A - v1_V_ - v2_V_;
}

double SocEstimator::measurement_variance_V2(double cell_current_A, double temperature_degC) const {
  const double model_sd_V =
      relaxed() ? settings_.relaxed_model_voltage_sd_V : settings_.model_voltage_sd_V;
  const double resistive_V = settings_.model_resistance_share *
                             (ohmic_resistance_Ohm(temperature_degC) * std::fabs(cell_current_A) +
                              std::fabs(v1_V_) + std::fabs(v2_V_));
  const double sensor_sd_V = settings_.mean_cell_voltage_sd_V;
  return sensor_sd_V * sensor_sd_V + model_sd_V * model_sd_V + resistive_V * resistive_V;
}

void SocEstimator::correct(const SocEstimatorInput& input, double dt_since_last_s) {
  anchored_ = false;
  // Where the curve is flat a millivolt of model or sensor error is several % SOC: no correction
  // there (the uncertainty grows until a steep part or a long rest comes).
  // Judged where the filter is and where the measured voltage says the cell is (a wrong estimate on
  // the plateau must still see a cell that has reached a knee).
  const double rested_V = input.mean_cell_voltage_V +
                          ohmic_resistance_Ohm(input.temperature_degC) * last_cell_current_A_ +
                          v1_V_ + v2_V_ - lookup_ocv(x_[kSoc]).half_gap_V * x_[kHysteresis];
  const double local_slope =
      std::max(std::fabs(lookup_ocv(x_[kSoc]).slope_V_per_unit),
               std::fabs(lookup_ocv(soc_from_mean_ocv(rested_V)).slope_V_per_unit));
  const bool informative = local_slope >= kLoadedCorrectionSlope_V_per_unit ||
                           (relaxed() && local_slope >= kRelaxedCorrectionSlope_V_per_unit);
  if (input.voltage_valid && informative) {
    const double variance_V2 =
        measurement_variance_V2(last_cell_current_A_, input.temperature_degC) *
        settings_.voltage_error_correlation_s / std::max(dt_since_last_s, 1e-3);
    const Vector prior = x_;
    Vector x = prior;
    Vector gain{};
    Vector h{};
    for (int iteration = 0; iteration < kUpdateIterations; ++iteration) {
      const double predicted =
          predicted_voltage_V(x, last_cell_current_A_, input.temperature_degC, h);
      Vector ph{};
      for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) ph[r] += p_[r][k] * h[k];
      const double innovation_variance = h[0] * ph[0] + h[1] * ph[1] + h[2] * ph[2] + variance_V2;
      double linear_offset = 0.0;
      for (int k = 0; k < 3; ++k) linear_offset += h[k] * (prior[k] - x[k]);
      const double innovation = input.mean_cell_voltage_V - predicted - linear_offset;
      for (int r = 0; r < 3; ++r) {
        gain[r] = ph[r] / innovation_variance;
        x[r] = prior[r] + gain[r] * innovation;
      }
      x[kSoc] = std::clamp(x[kSoc], kMinSoc, kMaxSoc);
      x[kHysteresis] = std::clamp(x[kHysteresis], -1.0, 1.0);
      x[kBias] = std::clamp(x[kBias], -kMaxBias_A, kMaxBias_A);
    }
    // P <- (I - K H) P, kept symmetric.
    Matrix next = p_;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 3; ++k) next[r][c] -= gain[r] * h[k] * p_[k][c];
    for (int r = 0; r < 3; ++r) {
      next[r][r] = std::max(next[r][r], 1e-12);
      for (int c = r + 1; c < 3; ++c) next[r][c] = next[c][r] = 0.5 * (next[r][c] + next[c][r]);
    }
    p_ = next;
    x_ = x;
    const double slope = std::fabs(lookup_ocv(x_[kSoc]).slope_V_per_unit);
    anchored_ = filter_soc_sd() < kAnchorSd && (slope >= kSteepSlope_V_per_unit ||
                                                (relaxed() && slope >= kRelaxedSlope_V_per_unit));
  }
  // The reported SOC moves towards the filter's by a bounded step (gradual blending).
  const double max_step = settings_.max_blend_per_s * dt_since_last_s;
  const double target = std::clamp(x_[kSoc], 0.0, 1.0);
  reported_soc_ =
      std::clamp(reported_soc_ + std::clamp(target - reported_soc_, -max_step, max_step), 0.0, 1.0);
  update_calibration_request();
}

double SocEstimator::filter_soc_sd() const { return std::sqrt(p_[kSoc][kSoc]); }
double SocEstimator::hysteresis_sd() const { return std::sqrt(p_[kHysteresis][kHysteresis]); }
double SocEstimator::bias_sd_A() const { return std::sqrt(p_[kBias][kBias]); }

double SocEstimator::soc_sd() const {
  return filter_soc_sd() + std::fabs(std::clamp(x_[kSoc], 0.0, 1.0) - reported_soc_);
}

void SocEstimator::update_calibration_request() {
  const double sd = soc_sd();
  if (sd > settings_.calibration_request_above) calibration_requested_ = true;
  if (sd < settings_.calibration_clear_below) calibration_requested_ = false;
}

}  // namespace bts::firmware
