#pragma once
// PCU: the isolated bidirectional DC/DC converter of one module (BTS 5K), between the 16-cell
// stack (~40-58 V) and the BDU's BAT IN bus (300-435 V). It follows a bus-side current command
// from the module BMS, limited to 7.5 A and 2.5 kW on the bus side (REQ-TOP-1, REQ-RAT-4).
//
// Sign convention: bus_current_A > 0 flows out of the module into the bus (discharge).
#include <utility>
#include <vector>

#include "plant/memo_exp.hpp"

namespace bts::plant {

struct PcuParameters {
  double max_bus_current_A = 7.5;
  double rated_bus_current_A = 7.0;
  double max_bus_power_W = 2500.0;
  double min_bus_voltage_V = 300.0;  // regulating window on the bus side
  double max_bus_voltage_V = 435.0;
  /// Below min_bus_voltage_V the converter only soft-starts the bus (discharge direction),
  /// limited to this current, so the BDU can bring BAT IN up from 0 V.
  double soft_start_current_A = 1.0;
  double min_stack_voltage_V = 38.0;  // input under-voltage lock-out
  /// Below this the BMS's own supply, taken from the stack, browns out: nothing is drawn any more
  /// (2.0 V per cell; the cells' voltage collapses within a few percent below empty, so a module
  /// left in Fault for weeks cannot run its cells far below 0 %).
  double min_supply_stack_voltage_V = 32.0;
  double max_stack_voltage_V = 60.0;
  /// Efficiency at the converter's terminals against bus-side power as a share of max_bus_power_W
  /// (linear between points). It includes the power stage's own no-load loss, which is therefore
  /// not added again while the converter carries current (docs/plant-power.md 1.4).
  std::vector<std::pair<double, double>> efficiency_by_load{
      {0.02, 0.80},  {0.05, 0.90},  {0.10, 0.94},  {0.20, 0.96},
      {0.40, 0.970}, {0.60, 0.970}, {0.80, 0.965}, {1.00, 0.960}};
  /// Draw from the stack with the converter running at zero current (converter + BMS), and in
  /// energy-saving mode (converter off, BMS awake). ZCS figures: 20 W and 5 W per module. The
  /// difference (15 W) is the power stage's no-load loss, the floor of its conversion loss.
  double running_no_load_draw_W = 20.0;
  double energy_saving_draw_W = 5.0;
  /// First-order response of the output current to its command.
  double current_time_constant_s = 0.02;
  /// Droop mode: amps per volt of bus error (7.5 A over 15 V). Small enough that a 0.2 V sense
  /// offset between converters shifts their shares by only 0.1 A.
  double droop_conductance_S = 0.5;
  /// Heatsink thermal node and its conductance to the outside air: the heatsink sits on the
  /// enclosure so the converter's losses do not heat the cells.
  double heat_capacity_J_per_K = 1500.0;
  double conductance_to_ambient_W_per_K = 3.0;
  /// The converter stops itself above this heatsink temperature and reports it.
  double over_temperature_shutdown_degC = 95.0;
  double over_temperature_restart_degC = 80.0;
  /// A bus more negative than this is a reversed connection (PCU fault "BUS reverse connection"):
  /// the converter gives no output into a negative bus and reports it.
  double reverse_bus_detect_V = 10.0;
  /// The power stage's own peak-current trip (a hardware comparator on the switch current, not
  /// part of the control loop), bus side: twice the rated 7.5 A. It is what still bounds the
  /// output when the current-limit circuit has failed (PcuFailure::CurrentLimitLost).
  double power_stage_trip_bus_current_A = 15.0;
};

/// The converter's output as the BDU network sees it for one step: a Norton source with its
/// hardware window, I(V) = clamp(current_at_zero_V_A - conductance_S * V, min_A, max_A).
/// In current mode conductance_S is 0; in droop mode the converter's own fast voltage loop
/// (much faster than a simulation step) makes it a conductance towards its voltage reference.
struct PcuBusSource {
  double current_at_zero_V_A = 0.0;
  double conductance_S = 0.0;
  double min_A = 0.0;
  double max_A = 0.0;
  double current_at(double bus_voltage_V) const {
    const double current_A = current_at_zero_V_A - conductance_S * bus_voltage_V;
    return current_A < min_A ? min_A : (current_A > max_A ? max_A : current_A);
  }
};

/// Energy through one converter since it was built (J), summed every step: what left the stack,
/// what reached the bus (both signed, > 0 discharging), and the two parts of the difference.
struct PcuEnergy {
  double stack_J = 0.0;
  double bus_J = 0.0;
  double conversion_loss_J = 0.0;  // the power stage, no-load loss included
  double bms_draw_J = 0.0;         // the BMS board
};

enum class PcuMode {
  Off,           // module shut down: no draw at all
  EnergySaving,  // converter off, BMS awake
  Running,       // converter on, following its current command
};

/// Physical failures of the converter (fault injection acts here, never on firmware flags).
enum class PcuFailure {
  None,
  Dead,            // power stage failed: no output; its self-test reports an internal fault
  IgnoresCommand,  // control loop failed silently: output stays at zero whatever is commanded
  CoolingBlocked,  // heatsink conductance falls to 10 %: it overheats under load
  // The current-limit circuit failed: the converter no longer honours the BMS window nor its own
  // 7.5 A / 2.5 kW limit; its voltage (droop) loop and its enable still work, and only the power
  // stage's peak-current trip (power_stage_trip_bus_current_A) bounds the output.
  CurrentLimitLost,
};

class Pcu {
 public:
  explicit Pcu(const PcuParameters& parameters, double initial_temperature_degC = 25.0);

  void set_mode(PcuMode mode) { mode_ = mode; }
  PcuMode mode() const { return mode_; }
  /// Current mode: the bus-side current to deliver. Droop mode: the offset added to the droop.
  void set_current_command_A(double bus_current_A) { command_A_ = bus_current_A; }
  double current_command_A() const { return command_A_; }
  /// Droop mode when > 0: the converter regulates its output towards this bus voltage with
  /// droop_conductance_S amps per volt of error (what the BMS sets from the BDU's set point).
  /// 0 selects pure current mode.
  void set_voltage_reference_V(double voltage_V) { voltage_reference_V_ = voltage_V; }
  double voltage_reference_V() const { return voltage_reference_V_; }
  /// The window the BMS allows, bus side, both >= 0: charge (current into the module) and
  /// discharge. Intersected with the hardware window every step (defaults: unlimited).
  void set_current_limits_A(double charge_limit_A, double discharge_limit_A) {
    charge_limit_A_ = charge_limit_A < 0.0 ? 0.0 : charge_limit_A;
    discharge_limit_A_ = discharge_limit_A < 0.0 ? 0.0 : discharge_limit_A;
  }
  /// Offset of the converter's own bus-voltage sense (drawn per unit from the seed).
  void set_voltage_sense_offset_V(double offset_V) { voltage_sense_offset_V_ = offset_V; }
  void set_failure(PcuFailure failure) { failure_ = failure; }
  PcuFailure failure() const { return failure_; }

  /// Advance: stack_voltage_V is the cell stack, bus_voltage_V the BAT IN bus as this converter's
  /// output sees it (0 when its power cable is cut), surroundings_degC the module's internal air.
  void step(double dt_s, double stack_voltage_V, double bus_voltage_V, double surroundings_degC);

  /// Two-phase step for a network solve: prepare_step() gives the output source for this step
  /// (bus_voltage_estimate_V is the bus of the last step, used for the power limit and the
  /// regulating window); the network then finds the bus voltage and each converter's current, and
  /// complete_step() books the power balance, losses and heatsink for that current.
  PcuBusSource prepare_step(double dt_s, double stack_voltage_V, double bus_voltage_estimate_V);
  void complete_step(double dt_s, double bus_current_A, double bus_voltage_V,
                     double stack_voltage_V, double surroundings_degC);

  double bus_current_A() const { return bus_current_A_; }      // > 0 into the bus
  double stack_current_A() const { return stack_current_A_; }  // > 0 out of the cells
  double loss_W() const { return loss_W_; }
  const PcuEnergy& energy() const { return energy_; }
  double heatsink_temperature_degC() const { return temperature_degC_; }
  /// What the converter itself reports to its BMS: an internal fault or its over-temperature stop.
  bool reports_internal_fault() const { return failure_ == PcuFailure::Dead; }
  bool reports_over_temperature() const { return over_temperature_stop_; }
  /// The bus side saw less than -reverse_bus_detect_V during the last step.
  bool reports_bus_reversed() const { return bus_reversed_; }
  /// Efficiency at a bus-side power (W), for tests and docs.
  double efficiency_at(double bus_power_W) const;
  const PcuParameters& parameters() const { return parameters_; }

  /// Power on each side during the last step; stack_power_W = bus_power_W + loss_W.
  double bus_power_W() const { return bus_power_W_; }
  double stack_power_W() const { return stack_power_W_; }
  /// True while the power stage switched during the last step (Running, healthy or ignoring its
  /// command, stack above the lock-out, not stopped for over-temperature).
  bool power_stage_running() const { return power_stage_running_; }
  /// Bus-side current window {min, max} the converter allows at a bus voltage (A), from the
  /// current and power limits and the regulating window; independent of mode and failures.
  std::pair<double, double> bus_current_window_A(double bus_voltage_V) const;
  /// The window the output really keeps to: bus_current_window_A, or with a lost current limit
  /// only the power stage's trip.
  std::pair<double, double> effective_window_A(double bus_voltage_V) const;

 private:
  PcuParameters parameters_;
  PcuMode mode_ = PcuMode::Off;
  PcuFailure failure_ = PcuFailure::None;
  double command_A_ = 0.0;
  double voltage_reference_V_ = 0.0;
  double voltage_sense_offset_V_ = 0.0;
  double offset_lagged_A_ = 0.0;  // droop mode: the lagged current offset
  double charge_limit_A_ = 1e9;
  double discharge_limit_A_ = 1e9;
  double bus_current_A_ = 0.0;
  double stack_current_A_ = 0.0;
  double loss_W_ = 0.0;
  double bus_power_W_ = 0.0;
  double stack_power_W_ = 0.0;
  PcuEnergy energy_;
  double temperature_degC_;
  bool over_temperature_stop_ = false;
  bool power_stage_running_ = false;
  bool bus_reversed_ = false;
  mutable MemoExp lag_exp_;  // exp(-dt / current time constant)
  MemoExp heatsink_exp_;

  void update_over_temperature_stop();
  bool power_stage_can_run(double stack_voltage_V) const;
  double bms_draw_W() const;
  /// The power stage's loss at a bus-side power during this step (0 when it does not switch).
  double conversion_loss_W(double bus_power_W) const;
  double follow_command_A(double dt_s, double bus_voltage_V) const;
  void update_power_balance(double dt_s, double stack_voltage_V, double bus_voltage_V);
  void update_heatsink(double dt_s, double surroundings_degC);
};

}  // namespace bts::plant
