#pragma once
// The module BMS firmware (one instance per BTS 5K module): samples its sensors, protects its
// cells (diagnosis table), balances, heats, drives its PCU, keeps a non-volatile record, and is a
// Link-bus slave of its BDU. Tasks: 10 ms (Link receive, PCU commands), 100 ms (sampling,
// diagnosis, balancing, reports), 1 s (slow reports, SOC bookkeeping, record).
#include <algorithm>
#include <cstdint>

#include "firmware/common/codes.hpp"
#include "firmware/common/nvm_record.hpp"
#include "firmware/common/types.hpp"
#include "firmware/diagnosis/diagnosis.hpp"
#include "firmware/estimation/soc_estimator.hpp"
#include "firmware/estimation/state_of_health.hpp"
#include "firmware/hal/module_hal.hpp"
#include "firmware/lights/indicator_lights.hpp"
#include "firmware/module_bms/balancing.hpp"
#include "firmware/module_bms/cell_statistics.hpp"
#include "firmware/module_bms/sample_checks.hpp"
#include "firmware/version.hpp"

namespace bts::firmware {

enum class ModuleState : std::uint8_t { Sleep, Unaddressed, Standby, Run, Fault, Updating };
const char* module_state_name(ModuleState state);

/// What the BDU last asked of this module over the Link bus.
enum class ModuleModeRequest : std::uint8_t { Off, Standby, Run };

struct ModuleBmsConfig {
  std::uint32_t serial_number = 0;
  FirmwareVersion firmware_version{0, 1, 0};
  std::uint8_t hardware_version = 1;
  std::int32_t capacity_mAh = 100000;
  std::int32_t max_pcu_current_mA = 7500;  // bus side (REQ-TOP-1)
  std::uint32_t bdu_timeout_ms = 1000;     // no BDU command this long: safe state, F9
  std::int16_t heater_on_below_ddegC = 0;  // heater film only below 0 degC
  std::int16_t heater_off_above_ddegC = 50;
  std::int32_t heater_power_W = 150;      // the heater film's rating, drawn from the stack
  std::int32_t pcu_droop_mA_per_V = 500;  // the converter's droop law (docs/plant-model.md)
  std::int32_t balancing_resistance_mOhm = 36000;  // per cell: its bleed bypasses the sensor
};

/// Layout version of ModuleRecord in the non-volatile memory (another version is not read).
inline constexpr std::uint16_t kModuleRecordVersion = 2;

/// The module's persistent record (estimates, counters, event summary), saved every minute.
struct ModuleRecord {
  std::int32_t soc_ppm = -1;  // -1: unknown, start from OCV
  std::int32_t soc_sd_ppm = 0;
  std::int32_t hysteresis_permille = 0;  // -1000 discharge branch .. +1000 charge branch
  std::int32_t current_bias_uA = 0;      // learned offset of the current sensor
  std::int32_t current_bias_sd_uA = 0;
  std::int32_t capacity_mAh = 0;  // 0: not learned yet (nominal)
  std::int32_t capacity_sd_mAh = 0;
  std::int32_t resistance_permille = 1000;  // ohmic resistance against the data sheet
  std::uint32_t charged_mAh = 0;
  std::uint32_t discharged_mAh = 0;
  std::uint32_t boots = 0;
  std::uint32_t rebuilds = 0;  // records found corrupted and rebuilt
  std::array<std::uint16_t, kCodeCount> code_counts{};
};

class ModuleBms {
 public:
  ModuleBms(ModuleHal& hal, const ModuleBmsConfig& config);

  /// Call every 10 ms with the node's own tick time (or, as an interrupt-driven MCU would run,
  /// only when a Link frame is waiting or next_task_ms() has come).
  void tick(TimeMs now_ms);
  /// When the next periodic task is due.
  TimeMs next_task_ms() const { return started_ ? std::min(next_100ms_, next_1s_) : 0; }

  // What the BMS itself knows (the simulator records it; nothing here reads the plant).
  ModuleState state() const { return state_; }
  CodeSet codes() const { return diagnosis_.active(); }
  std::uint8_t address() const { return address_; }
  const ModuleMeasurements& last_sample() const { return sample_; }
  /// The cell statistics of the last sample, of its plausible channels only when some were not.
  const CellStatistics& statistics() const {
    return statistics_of_plausible_only_ ? plausible_statistics_
                                         : sample_checks_.sample_statistics();
  }
  std::int32_t soc_permille() const { return soc_permille_; }
  /// The SOC estimate's 1 sigma, and the battery's wish for a full (calibration) charge.
  std::int32_t soc_uncertainty_permille() const;
  bool calibration_charge_requested() const { return soc_estimator_.calibration_requested(); }
  /// The stored SOC disagreed with the rested cell voltage at power-up and was not used.
  bool record_contradicted() const { return record_contradicted_; }
  const SocEstimator& soc_estimator() const { return soc_estimator_; }
  const StateOfHealth& state_of_health() const { return state_of_health_; }
  /// Learned capacity against the nominal one, and resistance against the data sheet.
  std::int32_t soh_capacity_permille() const;
  std::int32_t soh_resistance_permille() const;
  /// How the record read at power-up was found (Corrupted: rebuilt, A9 until saved again).
  NvmStatus record_status_at_start() const { return record_status_; }
  bool heater_on() const { return heater_on_; }
  std::uint32_t balancing_mask() const { return balancing_mask_; }
  std::int32_t charge_limit_mA() const { return charge_limit_mA_; }
  std::int32_t discharge_limit_mA() const { return discharge_limit_mA_; }
  /// D-PARK: the BDU closed both windows for a second; the converter is in energy saving.
  bool converter_parked() const { return converter_parked_; }
  LightPattern lights() const;
  const ModuleRecord& record() const { return record_; }
  const FirmwareVersion& firmware_version() const { return config_.firmware_version; }
  std::uint32_t updates_done() const { return updates_done_; }
  std::uint32_t updates_failed() const { return updates_failed_; }
  /// Drained by the simulator for events.csv: codes raised and cleared on this node.
  bool pop_event(DiagnosisEvent& event) { return diagnosis_.pop_event(event); }

 private:
  void task_100ms(TimeMs now_ms);
  void task_1s(TimeMs now_ms);
  void receive_link(TimeMs now_ms);
  /// Takes a Link address (0 = none) and sets the controller's filters to match.
  void set_address(std::uint8_t address);
  void send_cyclic_100ms(TimeMs now_ms);
  void send_cyclic_1s(TimeMs now_ms);
  bool handle_update_frame(const CanFrame& frame, TimeMs now_ms);
  void abort_update();
  void start_soc();
  void update_soc();
  /// One prediction step over the samples added since the last one.
  void predict_soc();
  SocEstimatorInput soc_input(bool with_voltage) const;
  bool record_agrees_with_rest(const SocEstimatorInput& input) const;
  void update_diagnosis(TimeMs now_ms);
  void update_limits(TimeMs now_ms);
  void update_state(TimeMs now_ms);
  void apply_outputs();
  void update_heater();
  void load_record();
  void save_record();

  ModuleHal& hal_;
  ModuleBmsConfig config_;
  Diagnosis diagnosis_;
  SampleChecks sample_checks_;
  Balancer balancer_;
  ModuleState state_ = ModuleState::Sleep;
  std::uint8_t address_ = 0;
  bool claim_pending_ = false;
  TimeMs next_100ms_ = 0;
  TimeMs next_1s_ = 0;
  TimeMs last_tick_ms_ = 0;
  bool started_ = false;
  ModuleMeasurements sample_{};
  bool statistics_of_plausible_only_ = false;
  CellStatistics plausible_statistics_{};
  bool have_sample_ = false;
  // The BDU's commands.
  ModuleModeRequest mode_request_ = ModuleModeRequest::Off;
  std::int32_t voltage_reference_dV_ = 0;
  std::int32_t current_offset_mA_ = 0;
  std::int32_t bdu_charge_limit_mA_ = 0;  // from BDU_SHARE
  std::int32_t bdu_discharge_limit_mA_ = 0;
  TimeMs last_share_ms_ = 0;
  bool share_seen_ = false;
  // D-PARK: the converter stops while the BDU keeps both of its windows closed.
  static constexpr TimeMs kParkAfter_ms = 1000;
  TimeMs last_window_open_ms_ = 0;
  bool converter_parked_ = false;
  bool allow_balancing_ = false;
  bool allow_heater_ = false;
  TimeMs last_command_ms_ = 0;
  bool command_seen_ = false;
  std::uint8_t tx_counter_ = 0;
  std::uint8_t slow_frame_index_ = 0;
  // Outputs and estimates.
  std::int32_t soc_permille_ = 500;
  SocEstimator soc_estimator_;
  StateOfHealth state_of_health_;
  std::uint8_t samples_since_correction_ = 0;
  SocEstimatorSpan soc_span_{};  // the samples since the last prediction step
  NvmStatus record_status_ = NvmStatus::Empty;
  bool record_rebuilt_unsaved_ = false;
  bool record_contradicted_ = false;  // its SOC disagreed with the rested cells at power-up
  std::int32_t charge_limit_mA_ = 0;
  std::int32_t discharge_limit_mA_ = 0;
  std::uint32_t balancing_mask_ = 0;
  bool heater_on_ = false;
  std::int16_t air_temperature_10min_ago_ddegC_ = 0;
  TimeMs air_reference_ms_ = 0;
  bool heater_fault_ = false;
  ModuleRecord record_{};
  // Firmware update in progress.
  FirmwareVersion update_version_{0, 0, 0};
  std::uint16_t update_blocks_ = 0;
  std::uint16_t update_next_sequence_ = 0;
  std::uint32_t update_crc_ = 0;
  TimeMs update_last_frame_ms_ = 0;
  std::uint32_t updates_done_ = 0;
  std::uint32_t updates_failed_ = 0;
  bool record_dirty_ = false;
  bool nvm_failed_ = false;
  TimeMs pcu_error_since_ms_ = 0;
  bool pcu_error_timing_ = false;
};

}  // namespace bts::firmware
