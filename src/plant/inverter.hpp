#pragma once
// The hybrid solar inverter as the battery sees it: one or two battery inputs (one per BDU,
// REQ-TOP-3), each following the limits its battery reports over CAN/RS485 and the household's
// request. Each step it decides the current it draws from each input; the BDU model then moves
// that current through its network.
//
// Sign convention: input current > 0 = the battery discharges into the inverter.
#include <array>
#include <cstdint>

#include "plant/inverter_parameters.hpp"
#include "plant/profiles.hpp"

namespace bts::plant {

/// The limits one battery last reported to the inverter (e.g. CAN 0x351). valid = false means the
/// inverter hears no BMS on that input: it then draws nothing.
struct BatteryLimits {
  bool valid = false;
  double charge_voltage_limit_V = 0.0;
  double charge_current_limit_A = 0.0;
  double discharge_current_limit_A = 0.0;
  double discharge_voltage_limit_V = 0.0;
  /// The battery asks for a full (calibration) charge: an inverter that honours it charges this
  /// input at what the battery allows, from PV and the grid, until the request is withdrawn.
  bool full_charge_requested = false;
  /// The battery is empty and asks to be charged now (forced charge): an inverter that honours
  /// it charges this input at what the battery allows, from PV and the grid, until withdrawn.
  bool force_charge_requested = false;
};

/// Ground-truth energy through one battery input, at the inverter's terminals.
struct InputEnergyCounters {
  double charged_Wh = 0.0;
  double discharged_Wh = 0.0;
};

/// Ground-truth energy of the household: what the battery did not cover came from or went to
/// the grid. pv_used_Wh is the PV consumed on site (house and battery), i.e. not exported.
struct HouseholdEnergyCounters {
  double pv_produced_Wh = 0.0;
  double pv_used_Wh = 0.0;
  double house_load_Wh = 0.0;
  double grid_import_Wh = 0.0;
  double grid_export_Wh = 0.0;
};

class Inverter {
 public:
  static constexpr int kMaxInputs = 2;

  /// seed drives the household's cloud pattern. Throws ProfileFileError for a bad CSV household.
  Inverter(const InverterParameters& parameters, const HouseholdProfileParameters& household,
           std::uint64_t seed);

  /// input is 0 or 1; throws std::out_of_range otherwise.
  void set_battery_limits(int input, const BatteryLimits& limits);
  const BatteryLimits& battery_limits(int input) const;
  /// A misbehaving input (a battery type set to lead-acid or "user defined" by mistake): it
  /// charges and discharges up to its own power rating whatever current limits the battery
  /// reports, keeping only the voltage limits (as its own charge and cut-off voltages) and the
  /// rule that it draws nothing from a battery it does not hear.
  void set_ignores_current_limits(int input, bool ignores);
  bool ignores_current_limits(int input) const;

  /// Decide the currents for the step starting at time_s, from the voltages measured at the
  /// inputs, and book the energy of that step. Inputs beyond battery_inputs stay at zero.
  void step(double time_s, double dt_s, const std::array<double, kMaxInputs>& input_voltage_V);

  double input_current_A(int input) const;
  double input_power_W(int input) const;  // > 0 discharging
  /// The household request and grid power (> 0 import) of the last step.
  double household_request_W() const { return last_sample_.request_W; }
  const HouseholdSample& household_sample() const { return last_sample_; }
  double grid_power_W() const { return grid_power_W_; }

  const InputEnergyCounters& input_energy(int input) const;
  const HouseholdEnergyCounters& household_energy() const { return household_energy_; }

  int battery_inputs() const { return parameters_.battery_inputs; }
  const InverterParameters& parameters() const { return parameters_; }
  const HouseholdProfile& household() const { return household_; }
  /// Replaces the household's profile from now on (a scenario changing what the house asks).
  void set_household(const HouseholdProfileParameters& household) {
    household_ = HouseholdProfile(household, seed_);
  }

 private:
  /// The current window an input allows right now: {most charge (<= 0), most discharge (>= 0)}.
  struct CurrentWindow {
    double charge_A = 0.0;
    double discharge_A = 0.0;
  };
  CurrentWindow current_window(int input, double voltage_V) const;
  static std::size_t index(int input);

  InverterParameters parameters_;
  HouseholdProfile household_;
  std::uint64_t seed_ = 1;
  std::array<BatteryLimits, kMaxInputs> limits_{};
  std::array<bool, kMaxInputs> ignores_current_limits_{};
  std::array<double, kMaxInputs> current_A_{};
  std::array<double, kMaxInputs> power_W_{};
  std::array<InputEnergyCounters, kMaxInputs> input_energy_{};
  HouseholdEnergyCounters household_energy_;
  HouseholdSample last_sample_;
  double grid_power_W_ = 0.0;
};

}  // namespace bts::plant
