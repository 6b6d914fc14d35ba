#include "plant/pcu.hpp"

#include <algorithm>
#include <cmath>

// Equations, defaults and decisions: docs/plant-power.md.
namespace bts::plant {

namespace {

// Below this stack voltage there is nothing to draw from (cells disconnected): no draw at all.
constexpr double kNoStackVoltage_V = 1.0;
// Below this bus voltage the power limit is not evaluated (avoids P/V blowing up at 0 V).
constexpr double kNoBusVoltage_V = 1e-6;

}  // namespace

Pcu::Pcu(const PcuParameters& parameters, double initial_temperature_degC)
    : parameters_(parameters), temperature_degC_(initial_temperature_degC) {}

double Pcu::efficiency_at(double bus_power_W) const {
  const auto& curve = parameters_.efficiency_by_load;
  if (curve.empty()) return 1.0;
  const double load = std::abs(bus_power_W) / parameters_.max_bus_power_W;
  if (load <= curve.front().first) return curve.front().second;
  if (load >= curve.back().first) return curve.back().second;
  const auto upper = std::upper_bound(curve.begin(), curve.end(), load,
                                      [](double x, const auto& point) { return x < point.first; });
  const auto lower = upper - 1;
  const double share = (load - lower->first) / (upper->first - lower->first);
  return lower->second + share * (upper->second - lower->second);
}

std::pair<double, double> Pcu::bus_current_window_A(double bus_voltage_V) const {
  double limit_A = parameters_.max_bus_current_A;
  if (bus_voltage_V > kNoBusVoltage_V) {
    limit_A = std::min(limit_A, parameters_.max_bus_power_W / bus_voltage_V);
  }
  if (bus_voltage_V < 0.0) return {0.0, 0.0};  // never push into a reversed bus
  if (bus_voltage_V < parameters_.min_bus_voltage_V) {
    // Soft start only: it can raise a dead bus but never charge the module from it.
    return {0.0, std::min({limit_A, parameters_.soft_start_current_A, discharge_limit_A_})};
  }
  if (bus_voltage_V > parameters_.max_bus_voltage_V) {
    // Over the window it stops pushing, but still accepts charge that pulls the bus down.
    return {-std::min(limit_A, charge_limit_A_), 0.0};
  }
  return {-std::min(limit_A, charge_limit_A_), std::min(limit_A, discharge_limit_A_)};
}

std::pair<double, double> Pcu::effective_window_A(double bus_voltage_V) const {
  if (failure_ != PcuFailure::CurrentLimitLost) return bus_current_window_A(bus_voltage_V);
  // Only the power stage's trip is left: no BMS window, no current or power regulation, no soft
  // start. It still gives nothing into a reversed bus and pushes nothing above its range.
  const double trip_A = parameters_.power_stage_trip_bus_current_A;
  if (bus_voltage_V < 0.0) return {0.0, 0.0};
  if (bus_voltage_V < parameters_.min_bus_voltage_V) return {0.0, trip_A};
  if (bus_voltage_V > parameters_.max_bus_voltage_V) return {-trip_A, 0.0};
  return {-trip_A, trip_A};
}

void Pcu::update_over_temperature_stop() {
  if (temperature_degC_ > parameters_.over_temperature_shutdown_degC) {
    over_temperature_stop_ = true;
  } else if (temperature_degC_ < parameters_.over_temperature_restart_degC) {
    over_temperature_stop_ = false;
  }
}

bool Pcu::power_stage_can_run(double stack_voltage_V) const {
  return mode_ == PcuMode::Running && failure_ != PcuFailure::Dead &&
         stack_voltage_V >= parameters_.min_stack_voltage_V && !over_temperature_stop_;
}

double Pcu::bms_draw_W() const {
  // The BMS board is awake in every mode but Off, whether the power stage switches or not.
  return mode_ == PcuMode::Off ? 0.0 : parameters_.energy_saving_draw_W;
}

double Pcu::conversion_loss_W(double bus_power_W) const {
  if (!power_stage_running_) return 0.0;
  // The efficiency curve is measured at the converter's terminals, so above ~10 % load it already
  // holds the power stage's no-load loss (the default curve follows 15 W + 0.22 % of P + 1.34e-5
  // P^2 within 0.3 points from 10 % load up). Adding the no-load draw on top would count it twice;
  // below ~10 % load the no-load loss is the floor.
  const double efficiency = efficiency_at(bus_power_W);
  const double curve_loss_W = bus_power_W >= 0.0 ? bus_power_W / efficiency - bus_power_W
                                                 : -bus_power_W * (1.0 - efficiency);
  const double no_load_loss_W =
      std::max(0.0, parameters_.running_no_load_draw_W - parameters_.energy_saving_draw_W);
  return std::max(curve_loss_W, no_load_loss_W);
}

double Pcu::follow_command_A(double dt_s, double bus_voltage_V) const {
  const auto [min_A, max_A] = effective_window_A(bus_voltage_V);
  const double target_A =
      failure_ == PcuFailure::IgnoresCommand ? 0.0 : std::clamp(command_A_, min_A, max_A);
  // Exact discretisation of the first-order lag; the window then acts at once (hardware limit).
  const double decay = lag_exp_(-dt_s / parameters_.current_time_constant_s);
  const double lagged_A = target_A + (bus_current_A_ - target_A) * decay;
  return std::clamp(lagged_A, min_A, max_A);
}

void Pcu::update_power_balance(double dt_s, double stack_voltage_V, double bus_voltage_V) {
  bus_power_W_ = bus_voltage_V * bus_current_A_;
  const double conversion_W = conversion_loss_W(bus_power_W_);
  const double bms_W = bms_draw_W();
  loss_W_ = conversion_W + bms_W;
  stack_power_W_ = bus_power_W_ + loss_W_;
  stack_current_A_ = stack_power_W_ / stack_voltage_V;  // caller guarantees a live stack
  energy_.stack_J += stack_power_W_ * dt_s;
  energy_.bus_J += bus_power_W_ * dt_s;
  energy_.conversion_loss_J += conversion_W * dt_s;
  energy_.bms_draw_J += bms_W * dt_s;
}

void Pcu::update_heatsink(double dt_s, double surroundings_degC) {
  double conductance_W_per_K = parameters_.conductance_to_ambient_W_per_K;
  if (failure_ == PcuFailure::CoolingBlocked) conductance_W_per_K *= 0.1;
  const double steady_degC = surroundings_degC + loss_W_ / conductance_W_per_K;
  const double decay =
      heatsink_exp_(-dt_s * conductance_W_per_K / parameters_.heat_capacity_J_per_K);
  temperature_degC_ = steady_degC + (temperature_degC_ - steady_degC) * decay;
}

void Pcu::step(double dt_s, double stack_voltage_V, double bus_voltage_V,
               double surroundings_degC) {
  const PcuBusSource source = prepare_step(dt_s, stack_voltage_V, bus_voltage_V);
  complete_step(dt_s, source.current_at(bus_voltage_V), bus_voltage_V, stack_voltage_V,
                surroundings_degC);
}

PcuBusSource Pcu::prepare_step(double dt_s, double stack_voltage_V, double bus_voltage_estimate_V) {
  const bool stack_alive =
      stack_voltage_V > std::max(kNoStackVoltage_V, parameters_.min_supply_stack_voltage_V);
  bus_reversed_ = stack_alive && mode_ != PcuMode::Off &&
                  bus_voltage_estimate_V < -parameters_.reverse_bus_detect_V;
  power_stage_running_ = stack_alive && power_stage_can_run(stack_voltage_V);
  // A stopped power stage stops its output at once (gates off); restarts ramp through the lag.
  if (!power_stage_running_) {
    offset_lagged_A_ = 0.0;
    return PcuBusSource{};
  }
  // Current mode, or a failed control loop that lets the output fall to zero whatever is asked.
  if (voltage_reference_V_ <= 0.0 || failure_ == PcuFailure::IgnoresCommand) {
    const double current_A = follow_command_A(dt_s, bus_voltage_estimate_V);
    return PcuBusSource{current_A, 0.0, current_A, current_A};
  }
  const auto [min_A, max_A] = effective_window_A(bus_voltage_estimate_V);
  const double decay = lag_exp_(-dt_s / parameters_.current_time_constant_s);
  offset_lagged_A_ = command_A_ + (offset_lagged_A_ - command_A_) * decay;
  const double conductance_S = parameters_.droop_conductance_S;
  // I = offset + G * (V_ref - (V + sense_offset)) = [offset + G*(V_ref - sense_offset)] - G*V
  return PcuBusSource{
      offset_lagged_A_ + conductance_S * (voltage_reference_V_ - voltage_sense_offset_V_),
      conductance_S, min_A, max_A};
}

void Pcu::complete_step(double dt_s, double bus_current_A, double bus_voltage_V,
                        double stack_voltage_V, double surroundings_degC) {
  const bool stack_alive =
      stack_voltage_V > std::max(kNoStackVoltage_V, parameters_.min_supply_stack_voltage_V);
  bus_current_A_ = power_stage_running_ ? bus_current_A : 0.0;
  if (stack_alive) {
    update_power_balance(dt_s, stack_voltage_V, bus_voltage_V);
  } else {
    bus_current_A_ = bus_power_W_ = stack_power_W_ = loss_W_ = stack_current_A_ = 0.0;
  }
  update_heatsink(dt_s, surroundings_degC);
  // Reported as soon as the heatsink crosses the threshold; acts on the next step's output.
  update_over_temperature_stop();
}

}  // namespace bts::plant
