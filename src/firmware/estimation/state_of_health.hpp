#pragma once
// State of health of one module, learned in operation:
// - capacity from the charge counted between two moments where the voltage pinned the SOC
//   (SocEstimator anchors) at least half the curve apart: Q = counted Ah / (z_before - z_after),
//   merged into the estimate by a scalar Kalman step weighted by both anchors' uncertainty;
// - ohmic resistance from current steps: the change of the mean cell voltage across one
//   correction period minus what the model's OCV and RC voltages explain, over the current
//   change, as a factor on the data-sheet R0 at the same temperature and SOC;
// - throughput (Ah in and out) and equivalent full cycles.
// Fixed size, no heap. docs/firmware.md, "State estimation".
#include <cstdint>

namespace bts::firmware {

struct StateOfHealthSettings {
  double nominal_capacity_Ah = 100.0;
  double initial_capacity_sd_share = 0.10;              // an unknown module could have lost 10 %
  double capacity_drift_sd_share_per_sqrt_day = 0.001;  // ageing between samples
  double min_soc_span = 0.5;                            // anchors this far apart give a sample
  double min_current_step_A = 5.0;                      // steps that tell the resistance
  double resistance_weight_per_full_step = 0.02;        // learning rate at a 20 A step
  double full_step_A = 20.0;
};

struct StateOfHealthRecord {
  double capacity_Ah = 0.0;  // 0: not learned, the nominal value
  double capacity_sd_Ah = 0.0;
  double resistance_factor = 1.0;
  double charged_Ah = 0.0;
  double discharged_Ah = 0.0;
};

class StateOfHealth {
 public:
  explicit StateOfHealth(const StateOfHealthSettings& settings = {});

  void restore(const StateOfHealthRecord& record);
  StateOfHealthRecord record() const;

  /// Throughput of the cell current over dt_s (> 0 discharging), and the capacity's slow drift.
  void count(double cell_current_A, double dt_s);
  /// A moment where the voltage pinned the SOC: soc, its 1 sigma, and the charge counted out of
  /// the cell so far (Ah, any origin, the same as the previous anchor's).
  void on_anchor(double soc, double soc_sd, double counted_charge_Ah);
  /// One correction period: the cell current and mean cell voltage, the model's voltage without
  /// the ohmic drop (OCV, hysteresis, RC) and the data-sheet R0 at this temperature and SOC.
  void on_sample(double cell_current_A, double measured_V, double model_without_ohmic_V,
                 double nominal_ohmic_Ohm);

  double capacity_Ah() const { return capacity_Ah_; }
  double capacity_sd_Ah() const;
  double capacity_share() const { return capacity_Ah_ / settings_.nominal_capacity_Ah; }
  double resistance_factor() const { return resistance_factor_; }
  double charged_Ah() const { return charged_Ah_; }
  double discharged_Ah() const { return discharged_Ah_; }
  double equivalent_full_cycles() const {
    return (charged_Ah_ + discharged_Ah_) / (2.0 * settings_.nominal_capacity_Ah);
  }
  int capacity_samples() const { return capacity_samples_; }
  int resistance_samples() const { return resistance_samples_; }

 private:
  StateOfHealthSettings settings_;
  double capacity_Ah_;
  double capacity_variance_Ah2_;
  double resistance_factor_ = 1.0;
  double charged_Ah_ = 0.0;
  double discharged_Ah_ = 0.0;
  bool have_anchor_ = false;
  double anchor_soc_ = 0.0;
  double anchor_soc_sd_ = 0.0;
  double anchor_charge_Ah_ = 0.0;
  bool have_sample_ = false;
  double last_current_A_ = 0.0;
  double last_residual_V_ = 0.0;
  int capacity_samples_ = 0;
  int resistance_samples_ = 0;
};

}  // namespace bts::firmware
