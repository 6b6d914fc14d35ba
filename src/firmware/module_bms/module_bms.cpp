#include "firmware/module_bms/module_bms.hpp"

#include <algorithm>
#include <array>

#include "firmware/common/nvm_record.hpp"
#include "firmware/diagnosis/diagnosis_tables.hpp"
#include "firmware/estimation/current_limits.hpp"
#include "firmware/estimation/ocv_table.hpp"

namespace bts::firmware {

namespace {

constexpr std::uint16_t kRecordVersion = 1;
constexpr std::int16_t kNeutralTemperature_ddegC = 250;  // fed to a direction's row when idle
constexpr std::int32_t kDirectionCurrent_mA = 1000;      // |I| above this counts as a direction
constexpr std::int32_t kPcuShouldPush_dV = 100;          // bus this far below the reference...
constexpr std::int32_t kPcuSilentCurrent_mA = 1000;      // ... yet the module moves under 1 A
constexpr std::uint32_t kPcuNotFollowingAfter_ms = 5000;

}  // namespace

const char* module_state_name(ModuleState state) {
  switch (state) {
    case ModuleState::Sleep:
      return "Sleep";
    case ModuleState::Unaddressed:
      return "Unaddressed";
    case ModuleState::Standby:
      return "Standby";
    case ModuleState::Run:
      return "Run";
    case ModuleState::Fault:
      return "Fault";
    case ModuleState::Updating:
      return "Updating";
  }
  return "?";
}

ModuleBms::ModuleBms(ModuleHal& hal, const ModuleBmsConfig& config)
    : hal_(hal), config_(config), diagnosis_(std::span<const DiagnosisRow>(kModuleDiagnosisTable)) {
  load_record();
}

void ModuleBms::load_record() {
  std::array<std::uint8_t, NvmImage<ModuleRecord>::kSize> buffer{};
  const std::size_t length = hal_.nvm_read(buffer);
  ModuleRecord stored;
  const NvmStatus status =
      nvm_decode(std::span<const std::uint8_t>(buffer.data(), length), kRecordVersion, stored);
  if (status == NvmStatus::Ok) {
    record_ = stored;
  } else {
    // Empty, corrupted or from another layout: rebuild, never trust a half-read value.
    record_ = ModuleRecord{};
  }
  ++record_.boots;
  record_dirty_ = true;
}

void ModuleBms::save_record() {
  record_.soc_permille = soc_permille_;
  const auto image = nvm_encode(record_, kRecordVersion);
  nvm_failed_ = !hal_.nvm_write(image.bytes);
  record_dirty_ = false;
}

void ModuleBms::tick(TimeMs now_ms) {
  if (!started_) {
    started_ = true;
    next_100ms_ = now_ms;
    next_1s_ = now_ms;
    last_tick_ms_ = now_ms;
  }
  // The enable line on Link In is also the wake line: without it the module sleeps.
  if (!hal_.link_enable_in()) {
    if (state_ != ModuleState::Sleep) {
      state_ = ModuleState::Sleep;
      address_ = 0;
      command_seen_ = false;
      hal_.set_link_enable_out(false);
      apply_outputs();
      if (record_dirty_) save_record();
    }
    last_tick_ms_ = now_ms;
    return;
  }
  if (state_ == ModuleState::Sleep) state_ = ModuleState::Unaddressed;
  receive_link(now_ms);
  if (now_ms >= next_100ms_) {
    next_100ms_ += 100;
    task_100ms(now_ms);
  }
  if (now_ms >= next_1s_) {
    next_1s_ += 1000;
    task_1s(now_ms);
  }
  last_tick_ms_ = now_ms;
}

void ModuleBms::task_100ms(TimeMs now_ms) {
  sample_ = hal_.sample();
  sample_checks_.update(sample_, balancing_mask_, now_ms);
  // Statistics (and so every protection threshold) only from channels that can be trusted.
  stats_ = cell_statistics(
      sample_checks_.sampling_implausible() ? sample_checks_.plausible_only(sample_) : sample_);
  if (!have_sample_) {
    // First sample after power-up: a trusted record wins, else the rested voltage.
    soc_permille_ =
        record_.soc_permille >= 0
            ? record_.soc_permille
            : soc_permille_from_ocv(stats_.sum_voltage_mV / std::max<int>(1, sample_.cell_count));
    have_sample_ = true;
  }
  update_soc(now_ms);
  update_diagnosis(now_ms);
  update_limits();
  update_state(now_ms);
  const bool balancing_allowed =
      allow_balancing_ && (state_ == ModuleState::Standby || state_ == ModuleState::Run);
  balancing_mask_ = balancer_.update(sample_, stats_, balancing_allowed);
  update_heater();
  apply_outputs();
  send_cyclic_100ms(now_ms);
}

void ModuleBms::task_1s(TimeMs now_ms) {
  if (!have_sample_) return;
  send_cyclic_1s(now_ms);
  // Heater runaway: the air keeps warming with the heater commanded off and little current.
  if (now_ms - air_reference_ms_ >= 600000) {
    const std::int16_t rise_ddegC = static_cast<std::int16_t>(sample_.ambient_temperature_ddegC -
                                                              air_temperature_10min_ago_ddegC_);
    const bool quiet = sample_.current_mA < 5000 && sample_.current_mA > -5000;
    heater_fault_ = air_reference_ms_ != 0 && !heater_on_ && quiet && rise_ddegC > 30 &&
                    sample_.ambient_temperature_ddegC > 300;
    air_temperature_10min_ago_ddegC_ = sample_.ambient_temperature_ddegC;
    air_reference_ms_ = now_ms;
  }
  if (record_dirty_ && (now_ms / 1000) % 60 == 0) save_record();
}

void ModuleBms::update_soc(TimeMs /*now_ms*/) {
  // Coulomb counting on the measured current (a placeholder until the estimator of issue 4).
  soc_charge_mAs_ -= static_cast<std::int64_t>(sample_.current_mA) * 100 / 1000;  // 100 ms
  const std::int64_t permille_mAs = static_cast<std::int64_t>(config_.capacity_mAh) * 3600 / 1000;
  const std::int64_t steps = soc_charge_mAs_ / permille_mAs;
  if (steps != 0) {
    soc_permille_ =
        static_cast<std::int32_t>(std::clamp<std::int64_t>(soc_permille_ + steps, 0, 1000));
    soc_charge_mAs_ -= steps * permille_mAs;
    record_dirty_ = true;
  }
}

void ModuleBms::update_diagnosis(TimeMs now_ms) {
  const bool charging = sample_.current_mA < -kDirectionCurrent_mA;
  const bool discharging = sample_.current_mA > kDirectionCurrent_mA;
  auto set = [this](DiagnosisInput input, std::int32_t value) {
    diagnosis_.set_input(input, value);
  };
  set(DiagnosisInput::MaxCellTemperature_ddegC, stats_.max_temperature_ddegC);
  set(DiagnosisInput::MinCellTemperatureWhileCharging_ddegC,
      charging ? stats_.min_temperature_ddegC : kNeutralTemperature_ddegC);
  set(DiagnosisInput::MinCellTemperatureWhileDischarging_ddegC,
      discharging ? stats_.min_temperature_ddegC : kNeutralTemperature_ddegC);
  set(DiagnosisInput::MaxCellVoltage_mV, stats_.max_voltage_mV);
  set(DiagnosisInput::MinCellVoltage_mV, stats_.min_voltage_mV);
  set(DiagnosisInput::ChargeCurrent_mA, charging ? -sample_.current_mA : 0);
  set(DiagnosisInput::DischargeCurrent_mA, discharging ? sample_.current_mA : 0);
  set(DiagnosisInput::CellTemperatureSpread_ddegC, stats_.temperature_spread_ddegC());
  set(DiagnosisInput::CellVoltageSpread_mV, stats_.voltage_spread_mV());
  set(DiagnosisInput::AmbientTemperature_ddegC, sample_.ambient_temperature_ddegC);
  set(DiagnosisInput::SamplingImplausible, sample_checks_.sampling_implausible() ? 1 : 0);
  set(DiagnosisInput::CellBehaviourAbnormal, sample_checks_.cell_behaviour_abnormal() ? 1 : 0);
  set(DiagnosisInput::SelfTestFailed, nvm_failed_ ? 1 : 0);
  set(DiagnosisInput::PcuReportsFault, sample_.pcu_reports_internal_fault ? 1 : 0);
  set(DiagnosisInput::PcuOverTemperature, sample_.pcu_reports_over_temperature ? 1 : 0);
  set(DiagnosisInput::BusReversed, sample_.pcu_reports_bus_reversed ? 1 : 0);
  set(DiagnosisInput::TerminalTemperature_ddegC, sample_.terminal_temperature_ddegC);
  // A converter that should push current (bus well below its reference) but does not move.
  const bool should_push = state_ == ModuleState::Run && voltage_reference_dV_ > 0 &&
                           sample_.bus_voltage_dV < voltage_reference_dV_ - kPcuShouldPush_dV &&
                           discharge_limit_mA_ > kPcuSilentCurrent_mA;
  const bool silent =
      sample_.current_mA < kPcuSilentCurrent_mA && sample_.current_mA > -kPcuSilentCurrent_mA;
  if (should_push && silent) {
    if (!pcu_error_timing_) {
      pcu_error_timing_ = true;
      pcu_error_since_ms_ = now_ms;
    }
  } else {
    pcu_error_timing_ = false;
  }
  set(DiagnosisInput::PcuNotFollowing,
      pcu_error_timing_ && now_ms - pcu_error_since_ms_ >= kPcuNotFollowingAfter_ms ? 1 : 0);
  const bool bdu_lost = command_seen_ && now_ms - last_command_ms_ > config_.bdu_timeout_ms;
  set(DiagnosisInput::LinkTimeout, bdu_lost ? 1 : 0);
  set(DiagnosisInput::HeaterFault, heater_fault_ ? 1 : 0);
  diagnosis_.evaluate(now_ms);
}

void ModuleBms::update_limits() {
  // The window this module allows its converter: its own derating, the BDU's share limits
  // (when it sent them), and zero in a direction the diagnosis blocks.
  const CurrentLimits own = module_current_limits(
      stats_.min_voltage_mV, stats_.max_voltage_mV, stats_.min_temperature_ddegC,
      stats_.max_temperature_ddegC, config_.max_pcu_current_mA);
  std::int64_t charge = std::min(own.charge_mA, bdu_charge_limit_mA_);
  std::int64_t discharge = std::min(own.discharge_mA, bdu_discharge_limit_mA_);
  const ReactionSummary reactions = diagnosis_.reaction();
  if (reactions.derating) {
    charge /= 2;
    discharge /= 2;
  }
  if (reactions.charging_blocked) charge = 0;
  if (reactions.discharging_blocked) discharge = 0;
  charge_limit_mA_ = static_cast<std::int32_t>(charge);
  discharge_limit_mA_ = static_cast<std::int32_t>(discharge);
}

void ModuleBms::update_state(TimeMs now_ms) {
  const bool bdu_alive = command_seen_ && now_ms - last_command_ms_ <= config_.bdu_timeout_ms;
  const bool open = diagnosis_.reaction().open_relays;
  switch (state_) {
    case ModuleState::Sleep:
    case ModuleState::Unaddressed:
      if (address_ != 0) state_ = ModuleState::Standby;
      break;
    case ModuleState::Standby:
      if (open)
        state_ = ModuleState::Fault;
      else if (bdu_alive && mode_request_ == ModuleModeRequest::Run)
        state_ = ModuleState::Run;
      break;
    case ModuleState::Run:
      if (open)
        state_ = ModuleState::Fault;
      else if (!bdu_alive || mode_request_ != ModuleModeRequest::Run)
        state_ = ModuleState::Standby;
      break;
    case ModuleState::Fault:
      if (!open) state_ = ModuleState::Standby;
      break;
    case ModuleState::Updating:
      break;
  }
}

void ModuleBms::update_heater() {
  const bool cold = stats_.min_temperature_ddegC < config_.heater_on_below_ddegC;
  const bool warm = stats_.min_temperature_ddegC > config_.heater_off_above_ddegC;
  const bool usable = allow_heater_ &&
                      (state_ == ModuleState::Standby || state_ == ModuleState::Run) &&
                      !sample_checks_.sampling_implausible();
  if (!usable || warm)
    heater_on_ = false;
  else if (cold)
    heater_on_ = true;
}

void ModuleBms::apply_outputs() {
  switch (state_) {
    case ModuleState::Sleep:
      hal_.set_pcu_mode(PcuModeCommand::Off);
      hal_.set_balancing_mask(0);
      hal_.set_heater(false);
      return;
    case ModuleState::Run:
      hal_.set_pcu_current_limits_mA(charge_limit_mA_, discharge_limit_mA_);
      hal_.set_pcu_voltage_reference_dV(voltage_reference_dV_);
      hal_.set_pcu_current_command_mA(current_offset_mA_);
      hal_.set_pcu_mode(PcuModeCommand::Running);
      break;
    default:
      hal_.set_pcu_mode(PcuModeCommand::EnergySaving);
      break;
  }
  hal_.set_balancing_mask(balancing_mask_);
  hal_.set_heater(heater_on_);
}

LightPattern ModuleBms::lights() const {
  DisplayState display = DisplayState::Standby;
  switch (state_) {
    case ModuleState::Sleep:
      display = DisplayState::Shutdown;
      break;
    case ModuleState::Updating:
      display = DisplayState::Updating;
      break;
    case ModuleState::Run:
      if (sample_.current_mA < -kDirectionCurrent_mA)
        display = DisplayState::Charge;
      else if (sample_.current_mA > kDirectionCurrent_mA)
        display = DisplayState::Discharge;
      break;
    default:
      break;
  }
  return compute_lights(display, (soc_permille_ + 5) / 10, diagnosis_.active());
}

}  // namespace bts::firmware
