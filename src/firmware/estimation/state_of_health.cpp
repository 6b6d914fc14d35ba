#include "firmware/estimation/state_of_health.hpp"

#include <algorithm>
#include <cmath>

namespace bts::firmware {

namespace {
constexpr double kSecondsPerDay = 86400.0;
constexpr double kMinCapacityShare = 0.4;  // a sample outside this window is a bad pair, dropped
constexpr double kMaxCapacityShare = 1.2;
constexpr double kMinResistanceFactor = 0.5;
constexpr double kMaxResistanceFactor = 4.0;
}  // namespace

StateOfHealth::StateOfHealth(const StateOfHealthSettings& settings)
    : settings_(settings),
      capacity_Ah_(settings.nominal_capacity_Ah),
      capacity_variance_Ah2_(
          std::pow(settings.initial_capacity_sd_share * settings.nominal_capacity_Ah, 2)) {}

void StateOfHealth::restore(const StateOfHealthRecord& record) {
  if (record.capacity_Ah > 0.0) {
    capacity_Ah_ = record.capacity_Ah;
    capacity_variance_Ah2_ = record.capacity_sd_Ah * record.capacity_sd_Ah;
  }
  resistance_factor_ = record.resistance_factor;
  charged_Ah_ = record.charged_Ah;
  discharged_Ah_ = record.discharged_Ah;
}

StateOfHealthRecord StateOfHealth::record() const {
  return {capacity_Ah_, capacity_sd_Ah(), resistance_factor_, charged_Ah_, discharged_Ah_};
}

double StateOfHealth::capacity_sd_Ah() const { return std::sqrt(capacity_variance_Ah2_); }

void StateOfHealth::count(double cell_current_A, double dt_s) {
  const double moved_Ah = cell_current_A * dt_s / 3600.0;
  if (moved_Ah > 0.0)
    discharged_Ah_ += moved_Ah;
  else
    charged_Ah_ -= moved_Ah;
  const double drift =
      settings_.capacity_drift_sd_share_per_sqrt_day * settings_.nominal_capacity_Ah;
  capacity_variance_Ah2_ += drift * drift * dt_s / kSecondsPerDay;
}

void StateOfHealth::on_anchor(double soc, double soc_sd, double counted_charge_Ah) {
  if (have_anchor_ && std::fabs(soc - anchor_soc_) >= settings_.min_soc_span) {
    const double soc_drop = anchor_soc_ - soc;
    const double sample_Ah = (counted_charge_Ah - anchor_charge_Ah_) / soc_drop;
    const double share = sample_Ah / settings_.nominal_capacity_Ah;
    if (share >= kMinCapacityShare && share <= kMaxCapacityShare) {
      const double sample_sd_Ah = sample_Ah *
                                  std::sqrt(soc_sd * soc_sd + anchor_soc_sd_ * anchor_soc_sd_) /
                                  std::fabs(soc_drop);
      const double gain =
          capacity_variance_Ah2_ / (capacity_variance_Ah2_ + sample_sd_Ah * sample_sd_Ah);
      capacity_Ah_ += gain * (sample_Ah - capacity_Ah_);
      capacity_variance_Ah2_ *= 1.0 - gain;
      ++capacity_samples_;
    }
  }
  // The newest anchor starts the next interval (at the same end it only refreshes the start).
  have_anchor_ = true;
  anchor_soc_ = soc;
  anchor_soc_sd_ = soc_sd;
  anchor_charge_Ah_ = counted_charge_Ah;
}

void StateOfHealth::on_sample(double cell_current_A, double measured_V,
                              double model_without_ohmic_V, double nominal_ohmic_Ohm) {
  const double residual_V = model_without_ohmic_V - measured_V;  // = R0 * i when the model holds
  if (have_sample_ && nominal_ohmic_Ohm > 0.0) {
    const double step_A = cell_current_A - last_current_A_;
    if (std::fabs(step_A) >= settings_.min_current_step_A) {
      const double sample = (residual_V - last_residual_V_) / step_A / nominal_ohmic_Ohm;
      if (sample > kMinResistanceFactor && sample < kMaxResistanceFactor) {
        const double weight =
            settings_.resistance_weight_per_full_step *
            std::min(1.0, (step_A * step_A) / (settings_.full_step_A * settings_.full_step_A));
        resistance_factor_ += weight * (sample - resistance_factor_);
        ++resistance_samples_;
      }
    }
  }
  have_sample_ = true;
  last_current_A_ = cell_current_A;
  last_residual_V_ = residual_V;
}

}  // namespace bts::firmware
