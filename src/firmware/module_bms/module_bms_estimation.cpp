// The module BMS's state estimation and its non-volatile record: SOC (SocEstimator), state of
// health (StateOfHealth), and the record that carries both over a power cycle. A record that
// fails its checks is never trusted: SOC is rebuilt from the cell voltages with a large
// uncertainty (so the battery asks for a calibration charge) and A9 is raised until the rebuilt
// record is stored. docs/firmware.md, "State estimation".
#include <algorithm>
#include <bit>
#include <cmath>

#include "firmware/common/rounding.hpp"
#include "firmware/module_bms/cell_median.hpp"
#include "firmware/module_bms/module_bms.hpp"

namespace bts::firmware {

namespace {

constexpr double kSamplePeriod_s = 0.1;
constexpr std::uint8_t kSamplesPerCorrection = 10;  // voltage correction every second
constexpr double kUntrustedSocSd = 0.30;       // a rebuilt record: start from OCV, trust little
constexpr double kFreshModuleMinSocSd = 0.02;  // a new module's first OCV reading
constexpr double kOffTimeSocSd = 0.005;        // self-discharge while the module was off
constexpr double kRestCurrent_A = 1.0;         // at power-up: the cells carry nothing yet
constexpr double kRestTolerance_V = 0.005;     // sensors + a relaxation not quite finished

std::int32_t scaled(double value, double factor) {
  return static_cast<std::int32_t>(exact_lround(value * factor));
}

}  // namespace

void ModuleBms::load_record() {
  std::array<std::uint8_t, NvmImage<ModuleRecord>::kSize> buffer{};
  const std::size_t length = hal_.nvm_read(buffer);
  ModuleRecord stored;
  record_status_ = nvm_decode(std::span<const std::uint8_t>(buffer.data(), length),
                              kModuleRecordVersion, stored);
  if (record_status_ == NvmStatus::Ok) {
    record_ = stored;
    StateOfHealthRecord health;
    health.capacity_Ah = record_.capacity_mAh / 1000.0;
    health.capacity_sd_Ah = record_.capacity_sd_mAh / 1000.0;
    health.resistance_factor = record_.resistance_permille / 1000.0;
    health.charged_Ah = record_.charged_mAh / 1000.0;
    health.discharged_Ah = record_.discharged_mAh / 1000.0;
    state_of_health_.restore(health);
  } else {
    // Empty, corrupted or from another layout: rebuild, never trust a half-read value.
    record_ = ModuleRecord{};
    if (record_status_ == NvmStatus::Corrupted) {
      record_.rebuilds = 1;
      record_rebuilt_unsaved_ = true;
    }
  }
  ++record_.boots;
  record_dirty_ = true;
}

void ModuleBms::save_record() {
  if (have_sample_) {
    predict_soc();  // the charge of the samples since the last step belongs in the record
    const StateOfHealthRecord health = state_of_health_.record();
    record_.soc_ppm = scaled(soc_estimator_.soc(), 1e6);
    record_.soc_sd_ppm = scaled(soc_estimator_.soc_sd(), 1e6);
    record_.hysteresis_permille = scaled(soc_estimator_.hysteresis(), 1e3);
    record_.current_bias_uA = scaled(soc_estimator_.bias_A(), 1e6);
    record_.current_bias_sd_uA = scaled(soc_estimator_.bias_sd_A(), 1e6);
    record_.capacity_mAh = scaled(health.capacity_Ah, 1e3);
    record_.capacity_sd_mAh = scaled(health.capacity_sd_Ah, 1e3);
    record_.resistance_permille = scaled(health.resistance_factor, 1e3);
    record_.charged_mAh = static_cast<std::uint32_t>(std::llround(health.charged_Ah * 1e3));
    record_.discharged_mAh = static_cast<std::uint32_t>(std::llround(health.discharged_Ah * 1e3));
  }
  const auto image = nvm_encode(record_, kModuleRecordVersion);
  nvm_failed_ = !hal_.nvm_write(image.bytes);
  // A failed write is tried again at the next save: the record was not stored, and without a
  // retry the F12 it raised could never clear once the memory works again.
  record_dirty_ = nvm_failed_;
  if (!nvm_failed_) record_rebuilt_unsaved_ = false;
}

SocEstimatorInput ModuleBms::soc_input(bool with_voltage) const {
  SocEstimatorInput input;
  input.current_valid = sample_checks_.current_plausible();
  input.current_A = sample_.current_mA / 1000.0;
  const int cells = std::max<int>(1, sample_.cell_count);
  // Balancing bleeds cells past the current sensor: the mean cell loses their share.
  // Only the bled cells add (in ascending order, as a walk over every cell would); usually none.
  double bleed_A = 0.0;
  const std::uint32_t cells_mask =
      sample_.cell_count >= 32 ? ~0u : (std::uint32_t{1} << sample_.cell_count) - 1u;
  for (std::uint32_t bled = balancing_mask_ & cells_mask; bled != 0; bled &= bled - 1) {
    const int cell = std::countr_zero(bled);
    bleed_A += sample_.cell_voltage_mV[static_cast<std::size_t>(cell)] /
               static_cast<double>(config_.balancing_resistance_mOhm);
  }
  input.bleed_current_A = bleed_A / cells;
  input.voltage_valid = sample_.cell_count > 0 && !sample_checks_.sampling_implausible();
  // The median takes a sort: only the voltage correction (once a second) and the start read it.
  if (with_voltage) input.mean_cell_voltage_V = median_cell_voltage_mV(sample_) / 1000.0;
  input.temperature_degC =
      (statistics().min_temperature_ddegC + statistics().max_temperature_ddegC) / 20.0;
  return input;
}

bool ModuleBms::record_agrees_with_rest(const SocEstimatorInput& input) const {
  // At power-up the cells have rested (the module was off): their voltage lies on the OCV curve
  // somewhere between the discharge and charge branches. A record whose SOC puts that voltage
  // outside both branches (plus what sensors and an unfinished relaxation explain) is wrong,
  // whatever uncertainty it claims: e.g. a drifting sensor before a long storage.
  if (!input.voltage_valid || std::fabs(input.current_A) > kRestCurrent_A) return true;
  const OcvLookup ocv = lookup_ocv(std::clamp(record_.soc_ppm / 1e6, 0.0, 1.0));
  return std::fabs(input.mean_cell_voltage_V - ocv.mean_V) <= ocv.half_gap_V + kRestTolerance_V;
}

void ModuleBms::start_soc() {
  const SocEstimatorInput rested = soc_input(true);
  record_contradicted_ =
      record_status_ == NvmStatus::Ok && record_.soc_ppm >= 0 && !record_agrees_with_rest(rested);
  if (record_contradicted_) {
    // Start from the voltage with an honest uncertainty (large on the plateau: the battery asks
    // for a calibration charge), keep what else the record learned (offset, SOH).
    soc_estimator_.start_from_voltage(rested.mean_cell_voltage_V, kFreshModuleMinSocSd);
  } else if (record_status_ == NvmStatus::Ok && record_.soc_ppm >= 0) {
    soc_estimator_.start(record_.soc_ppm / 1e6, record_.soc_sd_ppm / 1e6 + kOffTimeSocSd,
                         record_.hysteresis_permille / 1e3, 0.1, record_.current_bias_uA / 1e6,
                         record_.current_bias_sd_uA / 1e6);
  } else {
    const bool untrusted =
        record_status_ == NvmStatus::Corrupted || record_status_ == NvmStatus::WrongVersion;
    soc_estimator_.start_from_voltage(rested.mean_cell_voltage_V,
                                      untrusted ? kUntrustedSocSd : kFreshModuleMinSocSd);
  }
  soc_estimator_.set_capacity_Ah(state_of_health_.capacity_Ah(), state_of_health_.capacity_sd_Ah());
  soc_estimator_.set_resistance_factor(state_of_health_.resistance_factor());
  soc_permille_ = scaled(soc_estimator_.soc(), 1e3);
}

void ModuleBms::update_soc() {
  const bool correcting = samples_since_correction_ + 1 >= kSamplesPerCorrection;
  const SocEstimatorInput input = soc_input(correcting);
  // Every sample's charge is counted; the filter takes them in one step before each correction
  // (the 1 s estimation task), or before the record is stored.
  soc_span_.add(input, kSamplePeriod_s);
  const double cell_current_A =
      input.current_valid ? input.current_A - soc_estimator_.bias_A() + input.bleed_current_A
                          : input.bleed_current_A;
  state_of_health_.count(cell_current_A, kSamplePeriod_s);
  if (++samples_since_correction_ >= kSamplesPerCorrection) {
    samples_since_correction_ = 0;
    predict_soc();
    soc_estimator_.correct(input, kSamplePeriod_s * kSamplesPerCorrection);
    if (input.voltage_valid && input.current_valid) {
      state_of_health_.on_sample(
          cell_current_A, input.mean_cell_voltage_V,
          soc_estimator_.predicted_open_circuit_V() - soc_estimator_.rc_voltage_V(),
          soc_estimator_.ohmic_resistance_Ohm(input.temperature_degC) /
              state_of_health_.resistance_factor());
    }
    if (soc_estimator_.anchored()) {
      state_of_health_.on_anchor(soc_estimator_.filter_soc(), soc_estimator_.filter_soc_sd(),
                                 soc_estimator_.counted_charge_Ah());
    }
    soc_estimator_.set_capacity_Ah(state_of_health_.capacity_Ah(),
                                   state_of_health_.capacity_sd_Ah());
    soc_estimator_.set_resistance_factor(state_of_health_.resistance_factor());
    record_dirty_ = true;
    soc_permille_ = scaled(soc_estimator_.soc(), 1e3);
  }
}

void ModuleBms::predict_soc() {
  soc_estimator_.predict(soc_span_);
  soc_span_ = SocEstimatorSpan{};
}

std::int32_t ModuleBms::soc_uncertainty_permille() const {
  return std::min<std::int32_t>(1000, scaled(soc_estimator_.soc_sd(), 1e3));
}

std::int32_t ModuleBms::soh_capacity_permille() const {
  return scaled(state_of_health_.capacity_share(), 1e3);
}

std::int32_t ModuleBms::soh_resistance_permille() const {
  return scaled(state_of_health_.resistance_factor(), 1e3);
}

}  // namespace bts::firmware
