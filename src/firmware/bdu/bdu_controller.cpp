#include "firmware/bdu/bdu_controller.hpp"

#include <algorithm>
#include <cstdint>

#include "firmware/diagnosis/diagnosis_tables.hpp"
#include "firmware/estimation/soc_aggregation.hpp"

namespace bts::firmware {

namespace {

constexpr std::int32_t kFuseOpenDrop_dV = 200;           // 20 V across the fuse: it is open
constexpr std::int32_t kFuseCheckMinBus_dV = 1000;       // ... judged only with the bus up
constexpr std::int32_t kInputReversed_dV = -100;         // a BAT IN input below -10 V
constexpr std::int32_t kInputCheckMinBus_dV = 1000;      // inputs judged only with the bus up
constexpr TimeMs kInverterFrameOverdue_ms = 3000;        // F9 this long after the inverter timeout
constexpr TimeMs kLinkQualityWindow_ms = 10000;          // Link frame loss judged per 10 s ...
constexpr std::uint32_t kLinkQualityMinFrames = 50;      // ... on at least 50 expected frames
constexpr std::uint32_t kLinkFrameLossPercent = 20;      // ... more than 20 % lost: F9
constexpr std::int32_t kSagGain_mA_per_dV = 5;           // slow integral trimming the droop sag
constexpr std::uint8_t link_enumeration_done_after = 3;  // unanswered address requests end it
// A module whose codes stop a direction, yet still carries more than this (LV side; its
// converter's no-load draw is about 0.4 A) that way for longer than the grace: its converter does
// not honour the zero window, so the whole BDU stops that direction (docs/firmware.md).
constexpr std::int32_t kAgainstBlockCurrent_mA = 2000;
constexpr TimeMs kAgainstBlockGrace_ms = 5000;

/// The direction (+1 discharging, -1 charging, 0 none) in which a module carries current (LV
/// side) although its codes stop that direction.
int carries_against_block(const ModuleEntry& entry) {
  if (entry.discharge_blocked && entry.current_mA > kAgainstBlockCurrent_mA) return 1;
  if (entry.charge_blocked && entry.current_mA < -kAgainstBlockCurrent_mA) return -1;
  return 0;
}

/// Whether a row of the module table can be the one behind its active code, judged from what
/// the module reports. A code can stand for rows of different directions (F2: charging below
/// 0 degC, discharging below -20 degC); a frost of -5 degC must not block discharging as well.
bool row_possible(const DiagnosisRow& row, const ModuleEntry& entry) {
  switch (row.input) {
    case DiagnosisInput::MinCellTemperatureWhileCharging_ddegC:
    case DiagnosisInput::MinCellTemperatureWhileDischarging_ddegC:
      return entry.min_temperature_ddegC < row.clear_threshold;  // set, or in its hysteresis
    default:
      return true;
  }
}

/// The strongest reaction the module table gives for a module's active codes.
ReactionSummary module_code_reactions(const ModuleEntry& entry) {
  const CodeSet codes = entry.codes;
  ReactionSummary summary;
  if (codes.bits() == 0) return summary;  // no code, no row to add (the usual case)
  for (const DiagnosisRow& row : kModuleDiagnosisTable) {
    if (codes.has(row.code) && row_possible(row, entry)) add_reaction(summary, row.reaction);
  }
  return summary;
}

/// The set delay of the F9 row that watches the inverter: its input goes up this long before F9.
constexpr TimeMs inverter_row_set_delay_ms() {
  for (const DiagnosisRow& row : kBduDiagnosisTable) {
    if (row.input == DiagnosisInput::InverterTimeout) return row.set_delay_ms;
  }
  return 0;
}
static_assert(inverter_row_set_delay_ms() == kMinInverterTimeout_ms,
              "the shortest inverter timeout is the F9 row's set delay");

/// The silence after which the F9 row's input goes up, so that F9 comes kInverterFrameOverdue_ms
/// after the inverter timeout (for a timeout below the row's set delay, after that delay).
TimeMs inverter_overdue_after_ms(TimeMs inverter_timeout_ms) {
  const TimeMs row_delay_ms = inverter_row_set_delay_ms();
  return inverter_timeout_ms > row_delay_ms
             ? inverter_timeout_ms - row_delay_ms + kInverterFrameOverdue_ms
             : kInverterFrameOverdue_ms;
}

}  // namespace

BduController::BduController(BduHal& hal, const BduConfig& config)
    : hal_(hal),
      config_(config),
      diagnosis_(std::span<const DiagnosisRow>(kBduDiagnosisTable)),
      inverter_overdue_after_ms_(inverter_overdue_after_ms(config.inverter_timeout_ms)) {}

int BduController::modules_reporting() const {
  int count = 0;
  for (const ModuleEntry& entry : modules_) count += entry.reporting ? 1 : 0;
  return count;
}

bool BduController::inverter_present() const { return inverter_seen_; }

void BduController::request_alarm_reset(TimeMs now_ms) {
  // From outside (the RS485 port) the next tick must see what it changed; from the button, the
  // tick it runs in counts as one that changed something.
  next_tick_ms_ = 0;
  tick_changed_something_ = true;
  if (state_ == BduState::Shutdown) return;
  // A reset also acknowledges a given-up precharge, so its latched F17 can be released.
  if (precharge_failures_ >= config_.precharge_attempts) {
    precharge_failures_ = 0;
    diagnosis_.set_input(DiagnosisInput::PrechargeFailed, 0);
    diagnosis_.evaluate(now_ms);
  }
  diagnosis_.request_reset(now_ms);
  // Not the release of the press that woke the BDU: that would hide the warning at once.
  if (state_ != BduState::SelfTest) record_.acknowledge_rebuilt();
  reset_requested_ = true;
  reset_request_until_ms_ = now_ms + 2000;
}

void BduController::tick(TimeMs now_ms) {
  tick_changed_something_ = !started_;
  if (!started_) {
    started_ = true;
    next_100ms_ = now_ms;
    next_1s_ = now_ms;
    state_since_ms_ = now_ms;
    enter(BduState::Shutdown, now_ms);
  }
  // Fast path: the button and the sequences that need 10 ms (precharge, opening) sample every
  // tick; otherwise the 100 ms task samples.
  const bool fast_state = state_ == BduState::Precharge || state_ == BduState::Opening;
  if (fast_state) measurements_ = hal_.sample();
  const ButtonPresses presses = button_.update(measurements_.black_start_pressed, now_ms);
  if (state_ != BduState::Shutdown) {
    const bool link_frames = receive_link(now_ms);
    const bool com_frames = receive_com(now_ms);
    tick_changed_something_ |= link_frames || com_frames;
  }
  if (presses.short_press) request_alarm_reset(now_ms);
  // A shutdown press that comes while the BDU is already opening (for a fault or a disconnect)
  // has no row of its own: it re-targets the opening, which then ends in Shutdown.
  if (presses.shutdown && state_ == BduState::Opening) after_opening_ = AfterOpening::Shutdown;
  const bool window_before = black_start_window_;
  const bool clear_timing_before = faults_clear_timing_;
  const BduConditions now_conditions = conditions(now_ms, presses);
  tick_changed_something_ |=
      black_start_window_ != window_before || faults_clear_timing_ != clear_timing_before;
  if (const auto transition = transitions_.next(state_, now_conditions, after_opening_)) {
    if (transition->to == BduState::Opening) {
      after_opening_ = transition->guard == Guard::ShutdownPressed    ? AfterOpening::Shutdown
                       : transition->guard == Guard::DisconnectWanted ? AfterOpening::Standby
                                                                      : AfterOpening::Fault;
    }
    if (transition->from == BduState::Shutdown)
      black_start_window_ = true, black_start_window_since_ms_ = now_ms;
    enter(transition->to, now_ms);
  }
  run_state(now_ms);
  if (now_ms >= next_100ms_) {
    next_100ms_ += 100;
    task_100ms(now_ms);
    tick_changed_something_ = true;
  }
  if (now_ms >= next_1s_) {
    next_1s_ += 1000;
    task_1s(now_ms);
    tick_changed_something_ = true;
  }
  // A tick that changed nothing would be repeated, to the bit, by every tick after it until an
  // input changes (a frame, a task's sample, an outside call) or a timer runs out.
  // (A tick that began in Precharge or Opening either stays there, which needs_every_tick()
  // covers, or left it, which is a change.)
  next_tick_ms_ =
      tick_changed_something_ || needs_every_tick() ? now_ms + 1 : quiet_until_ms(now_ms);
}

bool BduController::needs_every_tick() const {
  return state_ == BduState::Precharge || state_ == BduState::Opening ||
         state_ == BduState::Updating || button_.held();
}

TimeMs BduController::quiet_until_ms(TimeMs now_ms) const {
  TimeMs due = std::min(next_100ms_, next_1s_);
  const auto runs_out_at = [&](TimeMs at_ms) {
    if (at_ms > now_ms) due = std::min(due, at_ms);
  };
  // Every timer conditions() compares with now_ms (the precharge's and the opening's run in
  // their states, which tick every time).
  runs_out_at(state_since_ms_ + config_.self_test_min_ms);
  runs_out_at(state_since_ms_ + config_.self_test_max_ms);
  if (black_start_window_)
    runs_out_at(black_start_window_since_ms_ + config_.black_start_window_ms + 1);
  runs_out_at(keep_relay_until_ms_);
  if (faults_clear_timing_) runs_out_at(faults_clear_since_ms_ + config_.fault_recovery_hold_ms);
  return due;
}

BduConditions BduController::conditions(TimeMs now_ms, const ButtonPresses& presses) {
  BduConditions c;
  const TimeMs in_state_ms = now_ms - state_since_ms_;
  c.activate_pressed = presses.activate;
  c.shutdown_pressed = presses.shutdown;
  const int reporting = modules_reporting();
  c.self_test_failed = in_state_ms >= config_.self_test_max_ms && reporting == 0;
  c.self_test_passed =
      in_state_ms >= config_.self_test_min_ms && reporting > 0 &&
      (unanswered_requests_ >= link_enumeration_done_after || next_address_ > kMaxModulesPerBdu);
  c.fault_active = diagnosis_.reaction().open_relays || module_fault_opens_;
  if (black_start_window_ &&
      (inverter_seen_ || now_ms - black_start_window_since_ms_ > config_.black_start_window_ms)) {
    black_start_window_ = false;
  }
  // A Pylon HV keep-relay request lets the relays stay on for 5 min without the inverter; a
  // sleep request keeps them open until the inverter wakes the battery.
  const bool inverter_ok = inverter_seen_ || black_start_window_ || keep_relay_active(now_ms);
  const bool held_open = inverter_sleep_ || remote_disconnect_ || empty_guard_.holds_open();
  c.connect_wanted = measurements_.dc_switch_closed && inverter_ok && reporting > 0 && !held_open;
  c.disconnect_wanted =
      !measurements_.dc_switch_closed || !inverter_ok || reporting == 0 || held_open;
  c.bus_ready =
      std::abs(measurements_.bat_in_voltage_dV - bus_setpoint_dV_) < config_.bus_ready_window_dV;
  c.precharge_done =
      precharge_phase_ == PrechargePhase::ChargeLink &&
      measurements_.relay_auxiliary_closed[static_cast<int>(BduRelay::Precharge)] &&
      measurements_.relay_auxiliary_closed[static_cast<int>(BduRelay::NegativeMain)] &&
      std::abs(measurements_.output_voltage_dV - measurements_.bat_in_voltage_dV) <
          config_.precharge_done_dV;
  c.precharge_timed_out = precharge_timed_out_;
  c.precharge_attempts_left = precharge_attempts_made_ < config_.precharge_attempts;
  c.charging = direction_ == -1;
  c.discharging = direction_ == 1;
  c.idle_current = direction_ == 0;
  c.below_break_current = std::abs(measurements_.output_current_dA) < config_.break_current_dA;
  c.opening_timed_out = in_state_ms >= config_.opening_bound_ms;
  c.deep_discharge = empty_guard_.deep_discharge_shutdown();
  c.update_requested = update_requested_;
  c.update_finished = update_phase_ == UpdatePhase::Done;
  if (!c.fault_active) {
    if (!faults_clear_timing_) faults_clear_since_ms_ = now_ms;
    faults_clear_timing_ = true;
  } else {
    faults_clear_timing_ = false;
  }
  c.fault_hold_elapsed =
      faults_clear_timing_ && now_ms - faults_clear_since_ms_ >= config_.fault_recovery_hold_ms;
  return c;
}

void BduController::enter(BduState state, TimeMs now_ms) {
  tick_changed_something_ = true;
  const BduState previous = state_;
  state_ = state;
  state_since_ms_ = now_ms;
  switch (state) {
    case BduState::Shutdown:
      set_relays(false, false, false);
      hal_.set_link_enable_out(false);
      modules_ = ModuleTable{};
      next_address_ = 1;
      unanswered_requests_ = 0;
      awaiting_claim_ = false;
      last_address_request_ms_ = 0;
      inverter_seen_ = false;
      black_start_window_ = false;
      inverter_sleep_ = false;
      keep_relay_until_ms_ = 0;
      empty_guard_.reset();
      break;
    case BduState::SelfTest:
      hal_.set_link_enable_out(true);
      precharge_failures_ = 0;
      if (previous == BduState::Shutdown) {
        awake_since_ms_ = now_ms;
        input_seen_up_ = {};
        record_.wake(hal_);
      }
      break;
    case BduState::Fault:
      // The recovery hold counts from entering Fault: a fault whose code is raised a moment
      // after the transition (self test, precharge give-up) must not be left at once.
      faults_clear_timing_ = false;
      set_relays(false, false, false);
      record_.count_fault_entry();
      break;
    case BduState::Standby:
      set_relays(false, false, false);
      break;
    case BduState::Updating:
      set_relays(false, false, false);
      update_requested_ = false;
      update_phase_ = UpdatePhase::Start;
      break;
    case BduState::Precharge:
      if (previous != BduState::Precharge) precharge_attempts_made_ = 0;
      precharge_phase_ =
          previous == BduState::Precharge ? PrechargePhase::WaitRetry : PrechargePhase::RaiseBus;
      phase_since_ms_ = now_ms;
      precharge_timed_out_ = false;
      set_relays(false, false, false);
      break;
    case BduState::Idle:
      if (previous == BduState::Precharge) {
        precharge_failures_ = 0;
        record_.count_connection();
        set_relays(true, true, true);  // precharge drops once the main contact is closed
      }
      break;
    case BduState::Opening:
      break;
    case BduState::Charge:
    case BduState::Discharge:
      break;
  }
}

void BduController::run_state(TimeMs now_ms) {
  switch (state_) {
    case BduState::Precharge:
      run_precharge(now_ms);
      break;
    case BduState::Updating:
      run_update(now_ms);
      break;
    case BduState::Idle:
    case BduState::Charge:
    case BduState::Discharge:
      // Drop the precharge relay once the positive main relay reports closed.
      if (relay_command_[static_cast<int>(BduRelay::Precharge)] &&
          measurements_.relay_auxiliary_closed[static_cast<int>(BduRelay::PositiveMain)]) {
        set_relays(true, true, false);
      }
      break;
    case BduState::Opening:
      // Limits are already zero; open once the current is below the break current or the bound
      // passed.
      if (std::abs(measurements_.output_current_dA) < config_.break_current_dA ||
          now_ms - state_since_ms_ >= config_.opening_bound_ms) {
        set_relays(false, false, false);
      }
      break;
    default:
      break;
  }
}

void BduController::run_precharge(TimeMs now_ms) {
  const TimeMs in_phase_ms = now_ms - phase_since_ms_;
  switch (precharge_phase_) {
    case PrechargePhase::WaitRetry:
      // After a failed attempt the precharge resistor cools before the next try.
      if (in_phase_ms >= config_.precharge_retry_wait_ms) {
        precharge_phase_ = PrechargePhase::RaiseBus;
        phase_since_ms_ = now_ms;
      }
      break;
    case PrechargePhase::RaiseBus:
      if (std::abs(measurements_.bat_in_voltage_dV - bus_setpoint_dV_) <
          config_.bus_ready_window_dV) {
        set_relays(false, true, false);
        precharge_phase_ = PrechargePhase::CloseNegative;
        phase_since_ms_ = now_ms;
      } else if (in_phase_ms >= config_.precharge_attempt_ms) {
        ++precharge_attempts_made_;
        ++precharge_failures_;
        precharge_timed_out_ = true;
      }
      break;
    case PrechargePhase::CloseNegative:
      if (in_phase_ms >= 100) {
        set_relays(false, true, true);
        precharge_phase_ = PrechargePhase::ChargeLink;
        phase_since_ms_ = now_ms;
      }
      break;
    case PrechargePhase::ChargeLink:
      if (in_phase_ms >= config_.precharge_attempt_ms) {
        set_relays(false, false, false);
        ++precharge_attempts_made_;
        ++precharge_failures_;
        precharge_timed_out_ = true;
      }
      break;
  }
}

void BduController::set_relays(bool positive, bool negative, bool precharge) {
  tick_changed_something_ = true;
  relay_command_ = {positive, negative, precharge};
  hal_.set_relay(BduRelay::PositiveMain, positive);
  hal_.set_relay(BduRelay::NegativeMain, negative);
  hal_.set_relay(BduRelay::Precharge, precharge);
}

void BduController::task_100ms(TimeMs now_ms) {
  if (state_ != BduState::Precharge && state_ != BduState::Opening) measurements_ = hal_.sample();
  if (state_ == BduState::Shutdown) {
    drive_lights(now_ms);
    return;
  }
  update_direction(now_ms);
  record_.add_output_energy(measurements_.output_voltage_dV, measurements_.output_current_dA);
  update_aggregates(now_ms);
  update_relay_weld(now_ms);
  update_diagnosis(now_ms);
  update_limits();
  // Bus voltage set point follows SOC so the inverter sees a battery-like voltage
  // (D-BUS-VOLTAGE); a slow integral trims the converters' droop sag while connected.
  bus_setpoint_dV_ =
      config_.bus_setpoint_empty_dV +
      (config_.bus_setpoint_full_dV - config_.bus_setpoint_empty_dV) * soc_permille_ / 1000;
  const bool connected =
      state_ == BduState::Idle || state_ == BduState::Charge || state_ == BduState::Discharge;
  if (connected) {
    sag_offset_mA_ = std::clamp(
        sag_offset_mA_ + kSagGain_mA_per_dV * (bus_setpoint_dV_ - measurements_.bat_in_voltage_dV),
        -3000, 3000);
  } else {
    sag_offset_mA_ = 0;
  }
  if (reset_requested_ && now_ms > reset_request_until_ms_) reset_requested_ = false;
  poll_addresses(now_ms);
  send_module_commands(now_ms);
  // A change of limits goes to the inverter at once, not at the next cyclic frame.
  if (inverter_.charge_current_limit_dA != sent_charge_limit_dA_ ||
      inverter_.discharge_current_limit_dA != sent_discharge_limit_dA_) {
    send_limits_frame();
  }
  drive_lights(now_ms);
}

void BduController::task_1s(TimeMs now_ms) {
  if (state_ == BduState::Shutdown) return;
  update_empty_guard(now_ms);
  send_inverter_frames(now_ms);
  send_peer_status(now_ms);
  record_.save_if_due(hal_, now_ms);
}

void BduController::update_empty_guard(TimeMs now_ms) {
  EmptyGuardInputs inputs;
  inputs.awake = state_ != BduState::Shutdown;
  inputs.connected =
      state_ == BduState::Idle || state_ == BduState::Charge || state_ == BduState::Discharge;
  inputs.standing_by = state_ == BduState::Standby;
  inputs.charging = direction_ == -1;
  inputs.black_start_window = black_start_window_;
  inputs.soc_permille = soc_permille_;
  int reporting = 0, at_empty_end = 0;
  std::int32_t lowest_cell_mV = INT32_MAX;
  bool chargeable = false;
  for (const ModuleEntry& entry : modules_) {
    if (!entry.reporting) continue;
    ++reporting;
    chargeable |= entry.allowed_charge_mA() > 0;
    if (entry.codes.has(Code::A4) || entry.codes.has(Code::F4)) ++at_empty_end;
    lowest_cell_mV = std::min(lowest_cell_mV, entry.min_cell_mV);
  }
  inputs.every_module_at_empty_end = reporting > 0 && at_empty_end == reporting;
  inputs.soc_known = reporting > 0;
  inputs.lowest_cell_mV = reporting > 0 ? lowest_cell_mV : 0;
  inputs.charge_possible = chargeable && !diagnosis_.reaction().charging_blocked;
  empty_guard_.update(inputs, now_ms);
}

void BduController::update_direction(TimeMs now_ms) {
  const std::int32_t current_dA = measurements_.output_current_dA;
  int candidate = 0;
  if (current_dA > config_.direction_current_dA) candidate = 1;
  if (current_dA < -config_.direction_current_dA) candidate = -1;
  if (candidate != direction_candidate_) {
    direction_candidate_ = candidate;
    direction_since_ms_ = now_ms;
  }
  const TimeMs needed_ms =
      candidate == 0 ? config_.idle_debounce_ms : config_.direction_debounce_ms;
  if (candidate != direction_ && now_ms - direction_since_ms_ >= needed_ms) direction_ = candidate;
  const bool connected =
      state_ == BduState::Idle || state_ == BduState::Charge || state_ == BduState::Discharge;
  if (!connected) direction_ = direction_candidate_ = 0;
}

void BduController::update_aggregates(TimeMs now_ms) {
  module_codes_ = CodeSet{};
  SocAggregator soc;
  bool opens = false;
  bool any_blocks_charge = false, any_blocks_discharge = false;
  bool all_block_charge = true, all_block_discharge = true;
  bool against_charge_block = false, against_discharge_block = false;
  for (ModuleEntry& entry : modules_) {
    entry.reporting =
        entry.ever_reported && now_ms - entry.last_status_ms <= config_.module_timeout_ms;
    if (!entry.reporting) continue;
    module_codes_ = module_codes_ | entry.codes;
    const ReactionSummary own = module_code_reactions(entry);
    entry.derating = own.derating;  // for update_limits, in the same 100 ms task
    entry.charge_blocked = own.charging_blocked;
    entry.discharge_blocked = own.discharging_blocked;
    opens |= own.open_relays;
    any_blocks_charge |= own.charging_blocked;
    any_blocks_discharge |= own.discharging_blocked;
    all_block_charge &= own.charging_blocked;
    all_block_discharge &= own.discharging_blocked;
    const int against = carries_against_block(entry);
    if (against == 0) {
      entry.against_block_since_ms = 0;
    } else {
      if (entry.against_block_since_ms == 0) entry.against_block_since_ms = now_ms;
      const bool too_long = now_ms - entry.against_block_since_ms >= kAgainstBlockGrace_ms;
      against_discharge_block |= too_long && against > 0;
      against_charge_block |= too_long && against < 0;
    }
    soc.add({entry.soc_permille, entry.soc_uncertainty_permille, entry.capacity_permille,
             entry.calibration_request});
  }
  const AggregateSoc aggregate = soc.result();
  if (aggregate.modules > 0) {
    soc_permille_ = aggregate.soc_permille;
    soc_uncertainty_permille_ = aggregate.soc_uncertainty_permille;
    soh_permille_ = aggregate.capacity_permille;
    calibration_charge_requested_ = aggregate.calibration_request;
  }
  module_fault_opens_ = opens;
  // A module's stop is its own: its converter's window is zero that way and the others go on
  // (docs/firmware.md, "Current sharing"). The whole BDU stops a direction when no module may
  // carry it, when a blocked module's converter keeps carrying it anyway, or with equal sharing
  // (n x the weakest module's limit, which is zero).
  const bool local = config_.module_sharing == ModuleSharing::RemainingCharge;
  module_blocks_charge_ = any_blocks_charge && (!local || all_block_charge || against_charge_block);
  module_blocks_discharge_ =
      any_blocks_discharge && (!local || all_block_discharge || against_discharge_block);
}

void BduController::update_relay_weld(TimeMs now_ms) {
  // Welded while an auxiliary contact stays closed with its coil off. Not remembered here: the
  // F17 row latches, and a reset after the relay was replaced (contacts agree again) releases it.
  relay_welded_ = false;
  for (int relay = 0; relay < 3; ++relay) {
    const bool disagree = !relay_command_[relay] && measurements_.relay_auxiliary_closed[relay];
    if (!disagree) relay_disagree_since_ms_[relay] = now_ms;
    if (now_ms - relay_disagree_since_ms_[relay] >= config_.relay_weld_detect_ms)
      relay_welded_ = true;
  }
}

void BduController::update_diagnosis(TimeMs now_ms) {
  auto set = [this](DiagnosisInput input, std::int32_t value) {
    diagnosis_.set_input(input, value);
  };
  // A module the BDU addressed that has stopped reporting, or a Link with nobody on it.
  bool module_lost = false;
  for (const ModuleEntry& entry : modules_) module_lost |= entry.ever_reported && !entry.reporting;
  const bool link_empty = state_ != BduState::SelfTest && modules_reporting() == 0;
  set(DiagnosisInput::LinkTimeout, module_lost || link_empty ? 1 : 0);
  // A Link bus that still delivers, but loses many frames (REQ-TOP-4: a missing terminal
  // resistor "may cause communication failure"): judged per window from the modules' counters.
  if (now_ms - link_quality_since_ms_ >= kLinkQualityWindow_ms) {
    link_frame_loss_ = false;
    for (ModuleEntry& entry : modules_) {
      const std::uint32_t expected = std::uint32_t{entry.frames_received} + entry.frames_missed;
      if (expected >= kLinkQualityMinFrames &&
          entry.frames_missed * 100u > expected * kLinkFrameLossPercent) {
        link_frame_loss_ = true;
      }
      entry.frames_received = entry.frames_missed = 0;
    }
    link_quality_since_ms_ = now_ms;
  }
  set(DiagnosisInput::LinkFrameLoss, link_frame_loss_ ? 1 : 0);
  // The grace period counts from waking up, not from the last state change: counted from every
  // change, the F9 it raised cleared itself when the BDU entered Opening and Fault, and came back.
  const bool peer_lost = (config_.expect_peer || peer_seen_) &&
                         now_ms - last_peer_frame_ms_ > config_.peer_timeout_ms &&
                         now_ms - awake_since_ms_ > config_.peer_timeout_ms;
  set(DiagnosisInput::NetworkTimeout, peer_lost ? 1 : 0);
  // Inverter silence: after it was heard, or once the black start window has run out.
  inverter_seen_ = last_inverter_frame_ms_ != 0 &&
                   now_ms - last_inverter_frame_ms_ <= config_.inverter_timeout_ms;
  // The flag says "a frame is overdue"; the row's 60 s set delay is how long that may last
  // (docs/diagnosis.md), so the flag goes up that long before F9 is due: 3 s of silence with the
  // default 60 s timeout, 63 s with 120 s. (Raised only once inverter_seen_ had run out, F9 would
  // come a whole set delay after the disconnect.)
  const bool inverter_overdue =
      last_inverter_frame_ms_ == 0 || now_ms - last_inverter_frame_ms_ > inverter_overdue_after_ms_;
  const bool inverter_missing = inverter_overdue && !black_start_window_ &&
                                state_ != BduState::SelfTest && !keep_relay_active(now_ms);
  set(DiagnosisInput::InverterTimeout, inverter_missing ? 1 : 0);
  const bool fuse_open = measurements_.bat_in_voltage_dV > kFuseCheckMinBus_dV &&
                         measurements_.fuse_voltage_drop_dV > kFuseOpenDrop_dV;
  set(DiagnosisInput::FuseOpen, fuse_open ? 1 : 0);
  bool reversed = false;
  for (std::int32_t voltage_dV : measurements_.input_voltage_dV)
    reversed |= voltage_dV < kInputReversed_dV;
  set(DiagnosisInput::InputReversed, reversed ? 1 : 0);
  // A module's power cable off its BAT IN input: an input that was up with the bus reads 0 V
  // while the bus is still up (the plant catalogue's power_cable_cut; before, nothing noticed and
  // the limits still counted the module).
  bool input_open = false;
  if (measurements_.bat_in_voltage_dV > kInputCheckMinBus_dV) {
    for (std::size_t k = 0; k < modules_.size(); ++k) {
      const std::int32_t input_dV = measurements_.input_voltage_dV[k];
      const bool up = input_dV >= measurements_.bat_in_voltage_dV / 2;
      if (up) input_seen_up_[k] = true;
      input_open |= input_seen_up_[k] && !up && input_dV >= kInputReversed_dV;
    }
  }
  set(DiagnosisInput::InputOpen, input_open ? 1 : 0);
  set(DiagnosisInput::OutputTerminalTemperature_ddegC,
      measurements_.output_terminal_temperature_ddegC);
  set(DiagnosisInput::AmbientTemperature_ddegC, measurements_.bdu_temperature_ddegC);
  bool mismatch = peer_seen_ && !(peer_version_ == config_.firmware_version);
  for (const ModuleEntry& entry : modules_) {
    mismatch |= entry.version_known && !(entry.version == config_.firmware_version);
  }
  set(DiagnosisInput::VersionMismatch, mismatch ? 1 : 0);
  set(DiagnosisInput::RelayWelded, relay_welded_ ? 1 : 0);
  set(DiagnosisInput::PrechargeFailed, precharge_failures_ >= config_.precharge_attempts ? 1 : 0);
  set(DiagnosisInput::SelfTestFailed, record_.write_failed() ? 1 : 0);
  set(DiagnosisInput::OtherWarning, record_.rebuilt() ? 1 : 0);
  diagnosis_.evaluate(now_ms);
}

void BduController::update_limits() {
  InverterFacingValues values;
  const bool connected =
      state_ == BduState::Idle || state_ == BduState::Charge || state_ == BduState::Discharge;
  values.valid = state_ != BduState::Shutdown;
  values.charge_voltage_limit_dV = config_.charge_voltage_limit_dV;
  values.discharge_voltage_limit_dV = config_.discharge_voltage_limit_dV;
  std::int64_t charge_mA = 0, discharge_mA = 0;
  std::int32_t weakest_charge_mA = INT32_MAX, weakest_discharge_mA = INT32_MAX;
  int reporting = 0;
  std::int16_t max_temperature = -400;
  const bool bus_held = bus_held_by_a_module();
  for (const ModuleEntry& entry : modules_) {
    if (!entry.reporting) continue;
    // A module that derates (A1, A2, A6, A7, A8 ...) halves what it lets its converter carry; its
    // share of what the inverter is offered follows, or the inverter is offered current the
    // modules will not deliver and the bus sags to the discharge voltage limit.
    // A module whose codes stop a direction offers nothing that way.
    // A parked converter (D-PARK) takes no charge until the BDU wakes it: it is not offered.
    const std::int32_t charge_allowed_mA =
        converter_parked(entry, bus_held) ? 0 : entry.allowed_charge_mA();
    const std::int32_t module_charge_mA =
        entry.derating ? charge_allowed_mA / 2 : charge_allowed_mA;
    const std::int32_t module_discharge_mA =
        entry.derating ? entry.allowed_discharge_mA() / 2 : entry.allowed_discharge_mA();
    charge_mA += module_charge_mA;
    discharge_mA += module_discharge_mA;
    weakest_charge_mA = std::min(weakest_charge_mA, module_charge_mA);
    weakest_discharge_mA = std::min(weakest_discharge_mA, module_discharge_mA);
    ++reporting;
    max_temperature = std::max(max_temperature, entry.max_temperature_ddegC);
  }
  if (config_.module_sharing == ModuleSharing::Equal && reporting > 0) {
    // Equal currents: the battery can give only as much as its weakest module, times n.
    charge_mA = static_cast<std::int64_t>(weakest_charge_mA) * reporting;
    discharge_mA = static_cast<std::int64_t>(weakest_discharge_mA) * reporting;
  }
  const ReactionSummary own = diagnosis_.reaction();
  const bool charge_blocked = own.charging_blocked || module_blocks_charge_;
  const bool discharge_blocked = own.discharging_blocked || module_blocks_discharge_;
  // Zero unless connected; a fault, a blocked direction or the Opening state sets it to zero.
  values.charge_current_limit_dA =
      connected && !charge_blocked
          ? std::min<std::int32_t>(static_cast<std::int32_t>(charge_mA / 100),
                                   config_.max_output_current_dA)
          : 0;
  values.discharge_current_limit_dA =
      connected && !discharge_blocked
          ? std::min<std::int32_t>(static_cast<std::int32_t>(discharge_mA / 100),
                                   config_.max_output_current_dA)
          : 0;
  if (own.derating) {
    values.charge_current_limit_dA /= 2;
    values.discharge_current_limit_dA /= 2;
  }
  values.voltage_dV = measurements_.output_voltage_dV;
  values.current_dA = measurements_.output_current_dA;
  values.soc_permille = soc_permille_;
  values.soh_permille = std::min<std::int32_t>(soh_permille_, 1000);
  values.max_temperature_ddegC = max_temperature;
  values.codes = codes();
  inverter_ = values;
}

LightPattern BduController::lights() const {
  return compute_lights(display_state_of(state_), (soc_permille_ + 5) / 10, codes());
}

void BduController::drive_lights(TimeMs now_ms) {
  const LightLevels levels = lights_at(lights(), now_ms);
  LightOutputs outputs;
  outputs.status_green = levels.status_lit && levels.status_colour == StatusColour::Green;
  outputs.status_blue = levels.status_lit && levels.status_colour == StatusColour::Blue;
  outputs.alarm = levels.alarm_lit;
  outputs.soc = levels.soc_lit;
  hal_.set_lights(outputs);
}

}  // namespace bts::firmware
