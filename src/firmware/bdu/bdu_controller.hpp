#pragma once
// The BDU controller firmware: the system state machine, one-key activate/shutdown, precharge
// with limited retries, relays opened only below their break current (or after a bound), module
// aggregation over the Link bus, the bus voltage set point and current sharing, limits and values
// for the inverter, the BDU network with a second BDU, diagnosis and the indicator lights.
// Tasks: 10 ms (button, state machine, relays, Link/COM receive), 100 ms (diagnosis, module
// commands, limits, lights), 1 s (inverter frames, peer status, address polling).
#include <cstdint>

#include "firmware/bdu/bdu_record.hpp"
#include "firmware/bdu/bdu_state_machine.hpp"
#include "firmware/bdu/black_start_button.hpp"
#include "firmware/bdu/empty_battery_guard.hpp"
#include "firmware/bdu/module_sharing.hpp"
#include "firmware/bdu/module_table.hpp"
#include "firmware/common/codes.hpp"
#include "firmware/diagnosis/diagnosis.hpp"
#include "firmware/hal/bdu_hal.hpp"
#include "firmware/inverter/inverter_protocol.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"
#include "firmware/lights/indicator_lights.hpp"
#include "firmware/update/update_protocol.hpp"
#include "firmware/version.hpp"

namespace bts::firmware {

struct BduConfig {
  std::uint8_t bdu_index = 0;  // 0 or 1: battery id on the inverter link
  std::uint32_t serial_number = 0;
  FirmwareVersion firmware_version{0, 1, 0};
  bool expect_peer = false;                   // a second BDU is part of this system
  std::int32_t bus_setpoint_empty_dV = 3600;  // BAT IN set point at 0 % SOC (D-BUS-VOLTAGE)
  std::int32_t bus_setpoint_full_dV = 4200;   // ... and at 100 %
  std::int32_t charge_voltage_limit_dV = 4250;
  std::int32_t discharge_voltage_limit_dV = 3500;
  std::int32_t max_output_current_dA = 280;                       // 28 A nominal (REQ-RAT-5)
  ModuleSharing module_sharing = ModuleSharing::RemainingCharge;  // REQ-FEA-2
  InverterProtocol inverter_protocol = InverterProtocol::SofarExtended;
  pylon_hv::PylonDialect pylon_dialect{};  // field encoding when speaking Pylon HV
  /// No inverter frame for this long: the inverter counts as gone, the relays open, and F9 is
  /// raised 3 s later. 60 s for either protocol by default; longer (up to 10 min) for an inverter
  /// that polls rarely, e.g. 120 s for Sofar (sofar::kInverterTimeoutLenient_ms). From
  /// kMinInverterTimeout_ms (the F9 row's set delay; below it F9 still waits for that delay).
  std::uint32_t inverter_timeout_ms = kDefaultInverterTimeout_ms;
  std::uint32_t black_start_window_ms = 600000;  // connect without an inverter for 10 min
  std::uint32_t peer_timeout_ms = 5000;
  std::uint32_t module_timeout_ms = 1000;
  std::uint32_t self_test_min_ms = 3000;
  std::uint32_t self_test_max_ms = 10000;
  std::int32_t bus_ready_window_dV = 150;  // BAT IN within 15 V of its set point
  std::int32_t precharge_done_dV = 100;    // DC link within 10 V of BAT IN
  std::uint32_t precharge_attempt_ms = 3000;
  std::uint32_t precharge_retry_wait_ms = 3000;
  std::uint8_t precharge_attempts = 3;
  std::int32_t break_current_dA = 20;     // open the relays below 2 A ...
  std::uint32_t opening_bound_ms = 3000;  // ... or after 3 s whatever flows (fuse-time bound)
  std::int32_t direction_current_dA = 5;  // 0.5 A decides charge / discharge
  std::uint32_t direction_debounce_ms = 3000;
  std::uint32_t idle_debounce_ms = 30000;
  std::uint32_t fault_recovery_hold_ms = 30000;
  std::uint32_t relay_weld_detect_ms = 500;
};

/// What the BDU tells the inverter (the protocol codec turns it into frames).
struct InverterFacingValues {
  bool valid = false;
  std::int32_t charge_voltage_limit_dV = 0;
  std::int32_t discharge_voltage_limit_dV = 0;
  std::int32_t charge_current_limit_dA = 0;
  std::int32_t discharge_current_limit_dA = 0;
  std::int32_t voltage_dV = 0;
  std::int32_t current_dA = 0;  // > 0 discharging
  std::int32_t soc_permille = 0;
  std::int32_t soh_permille = 1000;
  std::int16_t max_temperature_ddegC = 0;
  CodeSet codes;
};

class BduController {
 public:
  BduController(BduHal& hal, const BduConfig& config);
  /// The 10 ms task. A caller may skip a tick before next_tick_ms() when no frame waits at the
  /// Link or COM port (those are its receive interrupts): such a tick would change nothing.
  void tick(TimeMs now_ms);
  /// The first time the 10 ms task has something to do on its own: the next tick after one that
  /// changed anything, every tick of a sequence timed in 10 ms steps (precharge, opening, update)
  /// or while the black start button is held, else the next periodic task or the first time a
  /// timer of the state machine runs out. An outside call that changes an input (alarm reset,
  /// remote disconnect, COM interrupt) makes it due at once. docs/firmware.md, "Tasks".
  TimeMs next_tick_ms() const { return next_tick_ms_; }

  BduState state() const { return state_; }
  /// The BDU's own codes and every module's, as the lights and interfaces show them.
  CodeSet codes() const { return diagnosis_.active() | module_codes_; }
  CodeSet own_codes() const { return diagnosis_.active(); }
  LightPattern lights() const;
  const InverterFacingValues& inverter_values() const { return inverter_; }
  const ModuleTable& modules() const { return modules_; }
  int modules_reporting() const;
  std::int32_t soc_permille() const { return soc_permille_; }
  /// Capacity-weighted from the modules' MODULE_ESTIMATES (docs/firmware.md, "State estimation").
  std::int32_t soc_uncertainty_permille() const { return soc_uncertainty_permille_; }
  std::int32_t soh_permille() const { return soh_permille_; }
  /// A module asks for a full charge (its SOC uncertainty grew too large): for the inverter.
  bool calibration_charge_requested() const { return calibration_charge_requested_; }
  /// The battery is empty and asks the inverter to charge it (D-EMPTY), or has parked.
  bool force_charge_requested() const { return empty_guard_.force_charge_requested(); }
  const EmptyBatteryGuard& empty_guard() const { return empty_guard_; }
  std::int32_t bus_setpoint_dV() const { return bus_setpoint_dV_; }
  const BduMeasurements& last_measurements() const { return measurements_; }
  const FirmwareVersion& firmware_version() const { return config_.firmware_version; }
  std::uint32_t serial_number() const { return config_.serial_number; }
  bool pop_event(DiagnosisEvent& event) { return diagnosis_.pop_event(event); }
  std::uint8_t precharge_failures() const { return precharge_failures_; }
  bool precharge_given_up() const { return precharge_failures_ >= config_.precharge_attempts; }
  bool inverter_present() const;
  /// The inverter asked this battery to sleep (Pylon HV 0x8200 0x55): relays stay open.
  bool inverter_sleep_requested() const { return inverter_sleep_; }
  /// Until when a Pylon HV keep-relay request (0x8240) lets a lost inverter keep the relays on.
  bool keep_relay_active(TimeMs now_ms) const { return now_ms < keep_relay_until_ms_; }
  /// An alarm reset from the operator: a short press of the black start button, or the RS485
  /// port's SunSpec AlmRst. Latched faults whose cause is gone clear; a given-up precharge is
  /// acknowledged.
  void request_alarm_reset(TimeMs now_ms);
  /// SunSpec SetOp from the RS485 port: DISCONNECT (true) opens the relays (below their break
  /// current) and keeps them open; CONNECT (false) lets the BDU connect when its conditions hold.
  void set_remote_disconnect(bool disconnect) {
    remote_disconnect_ = disconnect;
    next_tick_ms_ = 0;
  }
  bool remote_disconnect() const { return remote_disconnect_; }
  /// The CAN receive interrupt of the COM port: decodes what arrived and answers inverter polls
  /// at once (a Pylon HV poll is answered within a frame time, not at the next 10 ms task).
  void on_com_receive(TimeMs now_ms);
  /// What the Pylon HV answers carry right now (also what a test compares with the wire).
  pylon_hv::BatteryValues pylon_values() const;
  const BduRecord& record() const { return record_.record(); }

 private:
  enum class PrechargePhase : std::uint8_t { RaiseBus, CloseNegative, ChargeLink, WaitRetry };
  enum class UpdatePhase : std::uint8_t { Idle, Start, Blocks, Restart, Done };

  void task_100ms(TimeMs now_ms);
  void task_1s(TimeMs now_ms);
  BduConditions conditions(TimeMs now_ms, const ButtonPresses& presses);
  /// Whether the state needs the 10 ms task every tick (its sequences count in ticks).
  bool needs_every_tick() const;
  /// After a tick that changed nothing: the first time a periodic task is due or a timer that
  /// conditions() reads runs out.
  TimeMs quiet_until_ms(TimeMs now_ms) const;
  void enter(BduState state, TimeMs now_ms);
  void run_state(TimeMs now_ms);
  void run_precharge(TimeMs now_ms);
  void update_direction(TimeMs now_ms);
  void update_empty_guard(TimeMs now_ms);
  void update_aggregates(TimeMs now_ms);
  void update_diagnosis(TimeMs now_ms);
  void update_limits();
  void update_relay_weld(TimeMs now_ms);
  void set_relays(bool positive, bool negative, bool precharge);
  void drive_lights(TimeMs now_ms);
  // Link bus and COM (bdu_controller_bus.cpp)
  /// Each returns whether it took a frame.
  bool receive_link(TimeMs now_ms);
  bool receive_com(TimeMs now_ms);
  void send_module_commands(TimeMs now_ms);
  /// Some reporting module may discharge enough to hold the bus (a keep-alive's worth).
  bool bus_held_by_a_module() const;
  /// D-PARK: while the battery discharges, a module its codes stop for discharging is sent both
  /// windows closed (its converter stops) and offers no charge until the direction turns.
  bool converter_parked(const ModuleEntry& entry, bool bus_held) const;
  void update_module_limits(ModuleEntry& entry) const;
  void update_share_offsets();
  void poll_addresses(TimeMs now_ms);
  void send_inverter_frames(TimeMs now_ms);
  // Inverter protocols (bdu_controller_inverter.cpp)
  bool handle_inverter_frame(const CanFrame& frame, TimeMs now_ms);
  bool handle_pylon_frame(const CanFrame& frame, TimeMs now_ms);
  bool handle_sofar_frame(const CanFrame& frame, TimeMs now_ms);
  void answer_sofar_inquiry(const sofar::Inquiry& inquiry);
  void send_peer_status(TimeMs now_ms);
  void send_limits_frame();
  void run_update(TimeMs now_ms);
  std::uint8_t own_network_address() const;

  BduHal& hal_;
  BduConfig config_;
  Diagnosis diagnosis_;
  BlackStartButton button_;
  BduState state_ = BduState::Shutdown;
  AfterOpening after_opening_ = AfterOpening::Standby;
  TransitionMemo transitions_;
  TimeMs state_since_ms_ = 0;
  TimeMs next_100ms_ = 0;
  TimeMs next_1s_ = 0;
  TimeMs next_tick_ms_ = 0;
  bool tick_changed_something_ = false;  // set by enter() and set_relays() too
  bool started_ = false;
  BduMeasurements measurements_{};
  ModuleTable modules_{};
  CodeSet module_codes_;
  bool module_fault_opens_ = false;
  bool module_blocks_charge_ = false;
  bool module_blocks_discharge_ = false;
  std::uint8_t next_address_ = 1;
  TimeMs last_address_request_ms_ = 0;
  bool awaiting_claim_ = false;
  std::uint8_t unanswered_requests_ = 0;
  // Precharge.
  PrechargePhase precharge_phase_ = PrechargePhase::RaiseBus;
  TimeMs phase_since_ms_ = 0;
  std::uint8_t precharge_attempts_made_ = 0;
  std::uint8_t precharge_failures_ = 0;
  bool precharge_timed_out_ = false;
  // Current direction (debounced).
  int direction_ = 0;  // -1 charging, +1 discharging, 0 idle
  int direction_candidate_ = 0;
  TimeMs direction_since_ms_ = 0;
  // Inverter and peer.
  TimeMs last_inverter_frame_ms_ = 0;
  TimeMs inverter_overdue_after_ms_ = 0;  // silence that raises the F9 row's input (constructor)
  bool inverter_seen_ = false;
  bool black_start_window_ = false;
  bool inverter_sleep_ = false;
  bool remote_disconnect_ = false;
  TimeMs keep_relay_until_ms_ = 0;
  TimeMs black_start_window_since_ms_ = 0;
  TimeMs last_peer_frame_ms_ = 0;
  bool peer_seen_ = false;
  FirmwareVersion peer_version_{0, 0, 0};
  // Relay supervision.
  std::array<bool, 3> relay_command_{};
  std::array<TimeMs, 3> relay_disagree_since_ms_{};
  bool relay_welded_ = false;
  TimeMs awake_since_ms_ = 0;  // left Shutdown (grace period for the BDU network)
  std::array<bool, kMaxModulesPerBdu> input_seen_up_{};  // BAT IN input seen at bus voltage
  TimeMs link_quality_since_ms_ = 0;
  bool link_frame_loss_ = false;
  // Outputs.
  std::int32_t soc_permille_ = 0;
  std::int32_t soc_uncertainty_permille_ = 1000;
  std::int32_t soh_permille_ = 1000;
  bool calibration_charge_requested_ = false;
  std::int32_t bus_setpoint_dV_ = 3900;
  std::int32_t sag_offset_mA_ = 0;
  std::array<std::int32_t, kMaxModulesPerBdu> share_offset_mA_{};  // module_sharing.hpp
  bool reset_requested_ = false;
  TimeMs reset_request_until_ms_ = 0;
  TimeMs faults_clear_since_ms_ = 0;
  bool faults_clear_timing_ = false;
  InverterFacingValues inverter_{};
  std::uint8_t tx_counter_ = 0;
  std::uint32_t last_alarm_bits_ = 0xFFFFFFFFu;
  std::int32_t sent_charge_limit_dA_ = -1;
  // Firmware update.
  bool update_requested_ = false;
  update::Start update_request_{};
  UpdatePhase update_phase_ = UpdatePhase::Idle;
  std::uint16_t update_sequence_ = 0;
  TimeMs update_phase_since_ms_ = 0;
  std::int32_t sent_discharge_limit_dA_ = -1;
  BduRecordKeeper record_;
  EmptyBatteryGuard empty_guard_;
};

}  // namespace bts::firmware
