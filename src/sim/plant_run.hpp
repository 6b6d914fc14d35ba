#pragma once
// Runs the plant under the reference controller for a duration and records a time series.
// (The lockstep runner with firmware nodes and modelled buses replaces this driver in issue 3.)
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "plant/system_description.hpp"

namespace bts::sim {

struct PlantRunOptions {
  double duration_s = 24.0 * 3600.0;
  double step_s = 0.01;
  double record_interval_s = 60.0;
  /// Called now and then with the share done (0..1), for a progress line.
  std::function<void(double)> progress;
};

/// One recorded row per BDU and time.
struct PlantRunSample {
  double time_s;
  int bdu;
  double bat_in_voltage_V;
  double output_voltage_V;
  double output_current_A;
  double soc_mean;
  double cell_voltage_min_V;
  double cell_voltage_max_V;
  double cell_temperature_min_degC;
  double cell_temperature_max_degC;
  double ambient_degC;
  double household_request_W;
};

struct PlantRunResult {
  std::vector<PlantRunSample> samples;
  double simulated_s = 0.0;
  double wall_s = 0.0;
  std::uint64_t steps = 0;
  double energy_discharged_Wh = 0.0;
  double energy_charged_Wh = 0.0;
  double stored_energy_start_Wh = 0.0;
  double stored_energy_end_Wh = 0.0;
  double cell_voltage_min_V = 0.0;
  double cell_voltage_max_V = 0.0;
  double cell_temperature_min_degC = 0.0;
  double cell_temperature_max_degC = 0.0;
};

PlantRunResult run_plant(const plant::SystemDescription& description,
                         const PlantRunOptions& options);

}  // namespace bts::sim
