#pragma once
// Parameters of the hybrid inverter, the household around it and the ambient temperature.
#include <string>
#include <utility>
#include <vector>

namespace bts::plant {

/// What the household asks of the battery over time (before the inverter applies the battery's
/// limits).
enum class HouseholdProfileKind {
  Idle,           // no battery power
  ConstantPower,  // constant_power_W all the time
  Steps,          // piecewise constant: steps (time_s, power_W)
  PvHomeDay,      // PV + house load with self-consumption logic, repeating daily
  CsvSeries,      // time series from a CSV file: time_s and battery_power_W, or pv_W and load_W
};

struct PvHomeParameters {
  double pv_peak_W = 8000.0;  // clear-sky peak at solar noon
  double sunrise_h = 6.5;
  double sunset_h = 19.5;
  double cloudiness = 0.0;  // 0 clear .. 1 overcast (seeded variability)
  double base_load_W = 350.0;
  double morning_peak_W = 1500.0;  // around 07:30
  double evening_peak_W = 2500.0;  // around 19:00
  double start_time_h = 0.0;       // time of day at simulation time 0
  /// The load bumps are Gaussians above base_load_W: centre and standard deviation.
  double morning_peak_time_h = 7.5;
  double evening_peak_time_h = 19.0;
  double morning_peak_width_h = 0.75;
  double evening_peak_width_h = 1.25;
};

struct HouseholdProfileParameters {
  HouseholdProfileKind kind = HouseholdProfileKind::PvHomeDay;
  double constant_power_W = 0.0;                 // > 0 discharges the battery
  std::vector<std::pair<double, double>> steps;  // (time_s, power_W)
  PvHomeParameters pv_home;
  std::string csv_path;  // for CsvSeries
};

/// Winter is DailyCycle for an unheated garage: a mean or amplitude left at its default becomes
/// 2 degC or 4 degC (AmbientProfile in profiles.hpp, docs/system-description.md).
enum class AmbientProfileKind { Constant, DailyCycle, Winter, CsvSeries };

struct AmbientProfileParameters {
  AmbientProfileKind kind = AmbientProfileKind::Constant;
  double mean_degC = 25.0;
  double amplitude_degC = 0.0;  // daily cycle: mean +- amplitude, coldest at 05:00
  std::string csv_path;         // for CsvSeries: time_s, temperature_degC
  double start_time_h = 0.0;    // time of day at simulation time 0 (as the household's)
};

struct InverterParameters {
  double max_battery_power_W = 10000.0;  // per battery input
  double min_input_voltage_V = 150.0;    // below this the battery input stays off
  double max_input_voltage_V = 600.0;
  double input_capacitance_F = 2000e-6;
  double current_ramp_A_per_s = 10.0;  // how fast it moves its battery current
  /// A battery's full-charge (calibration) request is met from PV and the grid, as Sofar's PCS
  /// does for its own batteries (docs/protocols/inverter.md). Off by default: charging a battery
  /// from the grid is an installer's setting on most hybrid inverters.
  bool honours_full_charge_request = false;
  /// An empty battery's forced-charge request (Pylon HV 0x4250 byte 0 bit 3, Sofar 0x35C bit 5)
  /// is met the same way. Off by default for the same reason; an inverter that does not honour
  /// it leaves the battery to park and, at its deep limit, shut down (docs/firmware.md, D-EMPTY).
  bool honours_force_charge_request = false;
  /// Charge current tapers linearly to zero over this band below the charge voltage limit, and
  /// discharge current over this band above the discharge voltage limit (CV behaviour).
  double voltage_taper_band_V = 2.0;
  int battery_inputs = 1;  // one per BDU (REQ-TOP-3: independent outputs)
};

}  // namespace bts::plant
