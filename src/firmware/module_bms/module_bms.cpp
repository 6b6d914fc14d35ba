#include "firmware/module_bms/module_bms.hpp"

#include <algorithm>
#include <array>

#include "firmware/common/nvm_record.hpp"
#include "firmware/diagnosis/diagnosis_tables.hpp"
#include "firmware/estimation/current_limits.hpp"
#include "firmware/link/link_protocol.hpp"

namespace bts::firmware {

namespace {

constexpr std::int16_t kNeutralTemperature_ddegC = 250;  // fed to a direction's row when idle
constexpr std::int32_t kDirectionCurrent_mA = 1000;      // |I| above this counts as a direction
constexpr std::int32_t kPcuShouldPush_dV = 100;          // bus this far below the reference...
constexpr std::int32_t kPcuSilentCurrent_mA = 1000;      // ... yet the module moves under 1 A
constexpr std::uint32_t kPcuNotFollowingAfter_ms = 5000;
constexpr std::int32_t kPcuExpectedBusCurrent_mA = 1000;  // droop asks >= 1 A on the bus side...
constexpr std::int32_t kMinRegulatingBus_dV = 3000;       // ... in the regulating window (300 V)
constexpr std::int16_t kHeaterRunawayRise_ddegC = 10;     // air +1 K in 10 min, heater off

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

namespace {

SocEstimatorSettings soc_settings(const ModuleBmsConfig& config) {
  SocEstimatorSettings settings;
  settings.nominal_capacity_Ah = config.capacity_mAh / 1000.0;
  return settings;
}

StateOfHealthSettings health_settings(const ModuleBmsConfig& config) {
  StateOfHealthSettings settings;
  settings.nominal_capacity_Ah = config.capacity_mAh / 1000.0;
  return settings;
}

}  // namespace

ModuleBms::ModuleBms(ModuleHal& hal, const ModuleBmsConfig& config)
    : hal_(hal),
      config_(config),
      diagnosis_(std::span<const DiagnosisRow>(kModuleDiagnosisTable)),
      soc_estimator_(soc_settings(config)),
      state_of_health_(health_settings(config)) {}

void ModuleBms::tick(TimeMs now_ms) {
  if (!started_) {
    started_ = true;
    load_record();  // the MCU reads its record at power-up
    set_address(link::kAddressUnassigned);
    next_100ms_ = now_ms;
    next_1s_ = now_ms;
    last_tick_ms_ = now_ms;
  }
  // The enable line on Link In is also the wake line: without it the module sleeps.
  if (!hal_.link_enable_in()) {
    if (state_ != ModuleState::Sleep) {
      state_ = ModuleState::Sleep;
      set_address(link::kAddressUnassigned);
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
  hal_.sample(sample_);
  sample_checks_.update(sample_, balancing_mask_, now_ms);
  // Statistics (and so every protection threshold) only from channels that can be trusted.
  // Read where they are (statistics()): a copy of the sample checks' statistics, just written
  // field by field, would load across those stores, which the processor cannot forward.
  statistics_of_plausible_only_ = sample_checks_.sampling_implausible();
  if (statistics_of_plausible_only_)
    plausible_statistics_ = cell_statistics(sample_checks_.plausible_only(sample_));
  if (!have_sample_) {
    start_soc();  // first sample after power-up: a trusted record wins, else the voltage
    have_sample_ = true;
  }
  update_soc();
  update_diagnosis(now_ms);
  update_limits(now_ms);
  update_state(now_ms);
  const bool balancing_allowed =
      allow_balancing_ && (state_ == ModuleState::Standby || state_ == ModuleState::Run);
  balancing_mask_ = balancer_.update(sample_, statistics(), balancing_allowed);
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
    // The 150 W film warms the module air by about 2 K in 10 min; the weather or a quiet module
    // by well under 0.5 K. (A 3 K threshold was out of reach of the heater itself.)
    heater_fault_ = air_reference_ms_ != 0 && !heater_on_ && quiet &&
                    rise_ddegC > kHeaterRunawayRise_ddegC &&
                    sample_.ambient_temperature_ddegC > 300;
    air_temperature_10min_ago_ddegC_ = sample_.ambient_temperature_ddegC;
    air_reference_ms_ = now_ms;
  }
  if (record_dirty_ && (now_ms / 1000) % 60 == 0) save_record();
}

void ModuleBms::update_diagnosis(TimeMs now_ms) {
  // A current sensor out of its plausible range (open, or shorted to its rail) is a sampling
  // fault (F10), not an over-current: its reading feeds neither the current rows nor the
  // direction, as implausible cell channels feed no protection statistics.
  const std::int32_t current_mA = sample_checks_.current_plausible() ? sample_.current_mA : 0;
  // The heater film draws about 3 A from the stack through the same sensor; that is not the
  // module discharging (else a module heating itself in frost would never see F2).
  const std::int32_t heater_mA =
      heater_on_ && sample_.stack_voltage_mV > 0
          ? static_cast<std::int32_t>(std::int64_t{config_.heater_power_W} * 1000000 /
                                      sample_.stack_voltage_mV)
          : 0;
  const bool charging = current_mA < -kDirectionCurrent_mA;
  const bool discharging = current_mA - heater_mA > kDirectionCurrent_mA;
  auto set = [this](DiagnosisInput input, std::int32_t value) {
    diagnosis_.set_input(input, value);
  };
  set(DiagnosisInput::MaxCellTemperature_ddegC, statistics().max_temperature_ddegC);
  // Each direction's low-temperature rows watch the coldest cell unless the module runs the other
  // way; at rest both do. Fed only while current flows, F2 could never be raised: the current
  // limits taper a direction to zero at the temperature of its fault row (charging at 0 degC,
  // discharging at -10 degC), so a module too cold for a direction never moves in it.
  set(DiagnosisInput::MinCellTemperatureWhileCharging_ddegC,
      discharging ? kNeutralTemperature_ddegC : statistics().min_temperature_ddegC);
  set(DiagnosisInput::MinCellTemperatureWhileDischarging_ddegC,
      charging ? kNeutralTemperature_ddegC : statistics().min_temperature_ddegC);
  set(DiagnosisInput::MaxCellVoltage_mV, statistics().max_voltage_mV);
  set(DiagnosisInput::MinCellVoltage_mV, statistics().min_voltage_mV);
  set(DiagnosisInput::ChargeCurrent_mA, charging ? -current_mA : 0);
  set(DiagnosisInput::DischargeCurrent_mA, discharging ? current_mA : 0);
  set(DiagnosisInput::CellTemperatureSpread_ddegC, statistics().temperature_spread_ddegC());
  set(DiagnosisInput::CellVoltageSpread_mV, statistics().voltage_spread_mV());
  set(DiagnosisInput::AmbientTemperature_ddegC, sample_.ambient_temperature_ddegC);
  set(DiagnosisInput::SamplingImplausible, sample_checks_.sampling_implausible() ? 1 : 0);
  set(DiagnosisInput::CellBehaviourAbnormal, sample_checks_.cell_behaviour_abnormal() ? 1 : 0);
  set(DiagnosisInput::SelfTestFailed, nvm_failed_ ? 1 : 0);
  set(DiagnosisInput::OtherWarning, record_rebuilt_unsaved_ ? 1 : 0);
  set(DiagnosisInput::PcuReportsFault, sample_.pcu_reports_internal_fault ? 1 : 0);
  set(DiagnosisInput::PcuOverTemperature, sample_.pcu_reports_over_temperature ? 1 : 0);
  set(DiagnosisInput::BusReversed, sample_.pcu_reports_bus_reversed ? 1 : 0);
  set(DiagnosisInput::TerminalTemperature_ddegC, sample_.terminal_temperature_ddegC);
  // A converter that should push current (bus well below its reference) but does not move.
  const bool should_push = state_ == ModuleState::Run && voltage_reference_dV_ > 0 &&
                           sample_.bus_voltage_dV < voltage_reference_dV_ - kPcuShouldPush_dV &&
                           discharge_limit_mA_ > kPcuSilentCurrent_mA;
  // Beside other modules the bus is held at the reference by them, so "well below" never comes;
  // the droop law says what this converter should carry: I = offset + G * (V_ref - V_bus), within
  // its limits. A converter asked for an ampere or more on the bus side that moves under 1 A on
  // its cell side has lost its control loop (a silent PCU failure in an E10..E40).
  std::int64_t expected_bus_mA =
      current_offset_mA_ + static_cast<std::int64_t>(config_.pcu_droop_mA_per_V) *
                               (voltage_reference_dV_ - sample_.bus_voltage_dV) / 10;
  expected_bus_mA =
      std::clamp<std::int64_t>(expected_bus_mA, -charge_limit_mA_, discharge_limit_mA_);
  const bool should_carry = state_ == ModuleState::Run && voltage_reference_dV_ > 0 &&
                            sample_.bus_voltage_dV >= kMinRegulatingBus_dV &&
                            (expected_bus_mA >= kPcuExpectedBusCurrent_mA ||
                             expected_bus_mA <= -kPcuExpectedBusCurrent_mA);
  const bool silent = sample_checks_.current_plausible() &&
                      sample_.current_mA < kPcuSilentCurrent_mA &&
                      sample_.current_mA > -kPcuSilentCurrent_mA;
  if ((should_push || should_carry) && silent) {
    if (!pcu_error_timing_) {
      pcu_error_timing_ = true;
      pcu_error_since_ms_ = now_ms;
    }
  } else {
    pcu_error_timing_ = false;
  }
  set(DiagnosisInput::PcuNotFollowing,
      pcu_error_timing_ && now_ms - pcu_error_since_ms_ >= kPcuNotFollowingAfter_ms ? 1 : 0);
  // A protection (F2, F3, F4) has blocked a direction, so the converter's window is zero that
  // way, and the cells still carry current in it: the converter no longer honours its limits
  // (a failed current-limit circuit) and something pushes or pulls through it. Only switching it
  // off (F13 opens the relays, the module stops its converter) ends that. The alarms (A3, A4)
  // are not judged here: their stop reaches the inverter through the BDU, which takes a moment.
  const CodeSet active = diagnosis_.active();
  const ReactionSummary blocked = diagnosis_.reaction();
  const bool protection_blocks_charge =
      blocked.charging_blocked && (active.has(Code::F3) || active.has(Code::F2));
  const bool protection_blocks_discharge =
      blocked.discharging_blocked && (active.has(Code::F4) || active.has(Code::F2));
  set(DiagnosisInput::PcuAgainstProtection,
      (protection_blocks_charge && charging) || (protection_blocks_discharge && discharging) ? 1
                                                                                             : 0);
  const bool bdu_lost = command_seen_ && now_ms - last_command_ms_ > config_.bdu_timeout_ms;
  set(DiagnosisInput::LinkTimeout, bdu_lost ? 1 : 0);
  set(DiagnosisInput::HeaterFault, heater_fault_ ? 1 : 0);
  diagnosis_.evaluate(now_ms);
}

void ModuleBms::update_limits(TimeMs now_ms) {
  // The window this module allows its converter: its own derating, the BDU's share limits
  // (when it sent them), and zero in a direction the diagnosis blocks. BDU_SHARE missing for a
  // second (frames lost, the BDU still commanding): offset 0 and the module's own limits
  // (docs/protocols/link.md).
  const CurrentLimits own = module_current_limits(
      statistics().min_voltage_mV, statistics().max_voltage_mV, statistics().min_temperature_ddegC,
      statistics().max_temperature_ddegC, config_.max_pcu_current_mA);
  if (share_seen_ && now_ms - last_share_ms_ > link::kBduLostTimeout_ms) {
    share_seen_ = false;
    current_offset_mA_ = 0;
    bdu_charge_limit_mA_ = config_.max_pcu_current_mA;
    bdu_discharge_limit_mA_ = config_.max_pcu_current_mA;
  }
  std::int64_t charge = std::min(own.charge_mA, bdu_charge_limit_mA_);
  std::int64_t discharge = std::min(own.discharge_mA, bdu_discharge_limit_mA_);
  const ReactionSummary reactions = diagnosis_.reaction();
  if (reactions.derating) {
    charge /= 2;
    discharge /= 2;
  }
  if (reactions.charging_blocked) charge = 0;
  if (reactions.discharging_blocked) discharge = 0;
  // An empty or cold battery must still be able to connect and be charged: the converter may
  // raise and hold the bus with a little current (the BDU offers the inverter no discharge
  // current, so nothing else is drawn). Without it an E5 whose module is below 2.9 V cannot
  // precharge, gives up after three tries (F17) and is stranded. Only when the BDU allows it (no
  // other module can hold the bus; otherwise it would drain this one at its empty end), not at
  // the protection levels (F4, F2) and never when the power path opens.
  const CodeSet active = diagnosis_.active();
  if (discharge < link::kBusKeepAlive_mA && bdu_discharge_limit_mA_ >= link::kBusKeepAlive_mA &&
      !reactions.open_relays && !active.has(Code::F4) && !active.has(Code::F2)) {
    discharge = link::kBusKeepAlive_mA;
  }
  charge_limit_mA_ = static_cast<std::int32_t>(charge);
  discharge_limit_mA_ = static_cast<std::int32_t>(discharge);
  // D-PARK (docs/firmware.md): a BDU_SHARE that closes both windows leaves the converter nothing
  // to carry until the BDU opens one again. Switching regardless costs its 15 W no-load loss, so
  // after a second of closed windows its power stage stops (energy saving, the BMS's 5 W); it
  // starts again on the first share that opens a window, or when the shares stop coming.
  const bool bdu_closed_both =
      share_seen_ && bdu_charge_limit_mA_ == 0 && bdu_discharge_limit_mA_ == 0;
  if (!bdu_closed_both) last_window_open_ms_ = now_ms;
  converter_parked_ = bdu_closed_both && now_ms - last_window_open_ms_ >= kParkAfter_ms;
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
      // A transfer that stops (BDU gone, frames lost) is abandoned on the old version.
      if (!bdu_alive || now_ms - update_last_frame_ms_ > 2000) abort_update();
      break;
  }
}

void ModuleBms::update_heater() {
  const bool cold = statistics().min_temperature_ddegC < config_.heater_on_below_ddegC;
  const bool warm = statistics().min_temperature_ddegC > config_.heater_off_above_ddegC;
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
      hal_.set_pcu_mode(converter_parked_ ? PcuModeCommand::EnergySaving : PcuModeCommand::Running);
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
