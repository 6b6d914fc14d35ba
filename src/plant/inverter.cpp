#include "plant/inverter.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "plant/units.hpp"

namespace bts::plant {

namespace {

/// 1 at `distance_V` >= band, 0 at or past the limit, linear between (CV-style taper).
double taper(double distance_V, double band_V) {
  if (band_V <= 0.0) return distance_V > 0.0 ? 1.0 : 0.0;
  return std::clamp(distance_V / band_V, 0.0, 1.0);
}

}  // namespace

Inverter::Inverter(const InverterParameters& parameters,
                   const HouseholdProfileParameters& household, std::uint64_t seed)
    : parameters_(parameters), household_(household, seed), seed_(seed) {
  parameters_.battery_inputs = std::clamp(parameters_.battery_inputs, 1, kMaxInputs);
}

std::size_t Inverter::index(int input) {
  if (input < 0 || input >= kMaxInputs) {
    throw std::out_of_range("inverter battery input " + std::to_string(input) +
                            " does not exist (0 or 1)");
  }
  return static_cast<std::size_t>(input);
}

void Inverter::set_battery_limits(int input, const BatteryLimits& limits) {
  limits_[index(input)] = limits;
}

const BatteryLimits& Inverter::battery_limits(int input) const { return limits_[index(input)]; }
void Inverter::set_ignores_current_limits(int input, bool ignores) {
  ignores_current_limits_[index(input)] = ignores;
}
bool Inverter::ignores_current_limits(int input) const {
  return ignores_current_limits_[index(input)];
}
double Inverter::input_current_A(int input) const { return current_A_[index(input)]; }
double Inverter::input_power_W(int input) const { return power_W_[index(input)]; }
const InputEnergyCounters& Inverter::input_energy(int input) const {
  return input_energy_[index(input)];
}

Inverter::CurrentWindow Inverter::current_window(int input, double voltage_V) const {
  const BatteryLimits& limits = limits_[static_cast<std::size_t>(input)];
  // No BMS heard, or the input voltage outside what the power stage accepts: input off.
  if (input >= parameters_.battery_inputs || !limits.valid ||
      voltage_V < parameters_.min_input_voltage_V || voltage_V > parameters_.max_input_voltage_V) {
    return {};
  }
  const double band_V = parameters_.voltage_taper_band_V;
  const double power_limit_A = parameters_.max_battery_power_W / voltage_V;
  const bool ignores = ignores_current_limits_[static_cast<std::size_t>(input)];
  const double charge_limit_A = ignores ? power_limit_A : limits.charge_current_limit_A;
  const double discharge_limit_A = ignores ? power_limit_A : limits.discharge_current_limit_A;
  const double charge_A =
      std::max(charge_limit_A, 0.0) * taper(limits.charge_voltage_limit_V - voltage_V, band_V);
  const double discharge_A = std::max(discharge_limit_A, 0.0) *
                             taper(voltage_V - limits.discharge_voltage_limit_V, band_V);
  return {-std::min(charge_A, power_limit_A), std::min(discharge_A, power_limit_A)};
}

void Inverter::step(double time_s, double dt_s,
                    const std::array<double, kMaxInputs>& input_voltage_V) {
  last_sample_ = household_.sample(time_s);
  const double request_W = last_sample_.request_W;
  const bool discharging = request_W > 0.0;

  // Share the request between the inputs in proportion to what each can take in its direction.
  std::array<CurrentWindow, kMaxInputs> windows{};
  std::array<double, kMaxInputs> available_W{};
  double total_available_W = 0.0;
  for (int i = 0; i < kMaxInputs; ++i) {
    const auto k = static_cast<std::size_t>(i);
    windows[k] = current_window(i, input_voltage_V[k]);
    const double window_A = discharging ? windows[k].discharge_A : -windows[k].charge_A;
    available_W[k] = window_A * input_voltage_V[k];
    total_available_W += available_W[k];
  }

  const double max_step_A = parameters_.current_ramp_A_per_s * dt_s;
  double battery_W = 0.0;
  for (std::size_t k = 0; k < kMaxInputs; ++k) {
    const double voltage_V = input_voltage_V[k];
    double target_A = 0.0;
    if (total_available_W > 0.0 && available_W[k] > 0.0) {
      target_A = request_W * (available_W[k] / total_available_W) / voltage_V;
    }
    const bool charge_asked =
        (parameters_.honours_full_charge_request && limits_[k].full_charge_requested) ||
        (parameters_.honours_force_charge_request && limits_[k].force_charge_requested);
    if (charge_asked) {
      target_A = std::min(target_A, windows[k].charge_A);  // charge_A <= 0: as much as allowed
    }
    // Ramp towards the target, but a lowered limit applies at once: limits are never exceeded.
    const double ramped_A =
        current_A_[k] + std::clamp(target_A - current_A_[k], -max_step_A, max_step_A);
    current_A_[k] = std::clamp(ramped_A, windows[k].charge_A, windows[k].discharge_A);
    power_W_[k] = current_A_[k] * voltage_V;
    battery_W += power_W_[k];

    const double energy_Wh = power_W_[k] * dt_s / kSecondsPerHour;
    if (energy_Wh > 0.0) {
      input_energy_[k].discharged_Wh += energy_Wh;
    } else {
      input_energy_[k].charged_Wh -= energy_Wh;
    }
  }

  // What the battery does not cover is balanced by the grid.
  grid_power_W_ = last_sample_.load_W - last_sample_.pv_W - battery_W;
  const double hours = dt_s / kSecondsPerHour;
  const double export_W = std::max(-grid_power_W_, 0.0);
  household_energy_.pv_produced_Wh += last_sample_.pv_W * hours;
  household_energy_.pv_used_Wh += std::max(last_sample_.pv_W - export_W, 0.0) * hours;
  household_energy_.house_load_Wh += last_sample_.load_W * hours;
  household_energy_.grid_import_Wh += std::max(grid_power_W_, 0.0) * hours;
  household_energy_.grid_export_Wh += export_W * hours;
}

}  // namespace bts::plant
