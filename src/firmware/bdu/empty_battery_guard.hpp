#pragma once
// What the BDU does when its battery is empty (decision D-EMPTY, docs/firmware.md): a battery
// left at its empty end keeps paying its converters' standing draw (20 W per module while they
// hold the bus) and would walk its weakest cell into deep discharge within hours, as an unheated
// garage in winter shows. So the BDU
//   1. asks the inverter for a forced charge (Pylon HV 0x4250 byte 0 bit 3, Sofar 0x35C bit 5)
//      from 5 % SOC, or once every module is at its empty end, until it is back at 10 %;
//   2. parks when it has been empty for 30 min without being charged: relays open, converters
//      in energy saving (5 W per module);
//   3. while parked, reconnects for 5 min once an hour (or when a Pylon HV inverter sends its
//      charge command) so that an inverter with PV to spare can charge it, but only while some
//      module may be charged (not below 0 degC); charge current ends the parking;
//   4. shuts the whole system down (nothing drawn) when, in Standby, a cell is at 2.70 V or
//      below; the black start button brings it back, and the black start window then gives the
//      inverter its chance to charge before the guard looks again.
// The deep limit counts only while every module is at its empty end: one module's weak or
// shorted cell stops that module alone (D-LOCAL-STOP). A BDU in Fault keeps its fault lights
// (and its modules' 5 W draw) until someone comes.
// Pure logic: the controller feeds it once a second and reads its decisions.
#include <cstdint>

#include "firmware/common/types.hpp"

namespace bts::firmware {

struct EmptyGuardConfig {
  std::int32_t request_below_soc_permille = 50;      // ask for a forced charge at 5 % ...
  std::int32_t release_above_soc_permille = 100;     // ... until back at 10 %
  std::uint32_t park_after_ms = 30 * 60 * 1000;      // empty and not charged for 30 min: park
  std::int32_t deep_cell_mV = 2700;                  // parked in Standby: shut down
  std::uint32_t probe_interval_ms = 60 * 60 * 1000;  // parked: try to be charged every hour ...
  std::uint32_t probe_length_ms = 5 * 60 * 1000;     // ... for 5 min
};

/// Once a second, what the BDU knows that matters here.
struct EmptyGuardInputs {
  bool awake = false;                      // not shut down
  bool connected = false;                  // relays closed (Idle, Charge, Discharge)
  bool standing_by = false;                // Standby: relays open, converters in energy saving
  bool charging = false;                   // debounced charge current
  bool every_module_at_empty_end = false;  // each reporting module stopped by A4 or F4
  bool charge_possible = false;  // some module may be charged (not too cold, no charge stop)
  bool black_start_window = false;
  bool soc_known = false;  // some module reports (at wake-up the BDU knows no SOC yet)
  std::int32_t soc_permille = 0;
  std::int32_t lowest_cell_mV = 0;  // over the reporting modules; 0 when none reports
};

class EmptyBatteryGuard {
 public:
  explicit EmptyBatteryGuard(const EmptyGuardConfig& config = {}) : config_(config) {}

  void update(const EmptyGuardInputs& inputs, TimeMs now_ms);
  /// A Pylon HV charge command (0x8210 byte 0 0xAA): the inverter means to charge, so a parked
  /// battery reconnects now.
  void inverter_wants_to_charge(TimeMs now_ms);
  /// Forget everything (the BDU shut down).
  void reset() { *this = EmptyBatteryGuard(config_); }

  bool force_charge_requested() const { return force_charge_requested_; }
  /// Every module is at its empty end (as of the last update).
  bool empty() const { return empty_; }
  bool parked() const { return parked_; }
  /// Relays open now: parked and not probing.
  bool holds_open() const { return parked_ && !probing_; }
  bool deep_discharge_shutdown() const { return deep_shutdown_; }
  const EmptyGuardConfig& config() const { return config_; }

 private:
  void park(TimeMs now_ms);
  void start_probe(TimeMs now_ms);

  EmptyGuardConfig config_;
  bool awake_ = false;
  TimeMs settle_since_ms_ = 0;  // the wake-up or the end of the black start window
  bool force_charge_requested_ = false;
  bool empty_timing_ = false;
  TimeMs empty_since_ms_ = 0;
  bool parked_ = false;
  TimeMs parked_since_ms_ = 0;
  bool probing_ = false;
  TimeMs probe_since_ms_ = 0;
  bool deep_shutdown_ = false;
  bool charge_possible_ = false;  // as of the last update
  bool empty_ = false;
};

}  // namespace bts::firmware
