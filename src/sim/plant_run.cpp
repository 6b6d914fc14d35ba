#include "sim/plant_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "plant/system_plant.hpp"
#include "sim/reference_controller.hpp"

namespace bts::sim {

namespace {

void record(const plant::SystemPlant& plant, std::vector<PlantRunSample>& samples) {
  for (int b = 0; b < plant.bdu_count(); ++b) {
    PlantRunSample sample{};
    sample.time_s = plant.time_s();
    sample.bdu = b;
    const plant::BduTruth& electrical = plant.bdu(b).truth();
    sample.bat_in_voltage_V = electrical.bat_in_voltage_V;
    sample.output_voltage_V = electrical.dc_link_voltage_V;
    sample.output_current_A = electrical.output_current_A;
    sample.cell_voltage_min_V = sample.cell_temperature_min_degC = 1e9;
    sample.cell_voltage_max_V = sample.cell_temperature_max_degC = -1e9;
    double soc_sum = 0.0;
    for (int m = 0; m < plant.module_count(b); ++m) {
      const plant::ModuleTruth truth = plant.module(b, m).truth();
      soc_sum += truth.soc_mean;
      sample.cell_voltage_min_V = std::min(sample.cell_voltage_min_V, truth.cell_voltage_min_V);
      sample.cell_voltage_max_V = std::max(sample.cell_voltage_max_V, truth.cell_voltage_max_V);
      sample.cell_temperature_min_degC =
          std::min(sample.cell_temperature_min_degC, truth.cell_temperature_min_degC);
      sample.cell_temperature_max_degC =
          std::max(sample.cell_temperature_max_degC, truth.cell_temperature_max_degC);
    }
    sample.soc_mean = soc_sum / std::max(plant.module_count(b), 1);
    sample.ambient_degC = plant.ambient_temperature_degC();
    sample.household_request_W = plant.inverter().household_request_W();
    samples.push_back(sample);
  }
}

}  // namespace

PlantRunResult run_plant(const plant::SystemDescription& description,
                         const PlantRunOptions& options) {
  plant::SystemPlant plant(description);
  ReferenceController controller(plant);
  PlantRunResult result;
  result.stored_energy_start_Wh = plant.stored_energy_Wh();
  const auto wall_start = std::chrono::steady_clock::now();
  const auto total_steps =
      static_cast<std::uint64_t>(std::llround(options.duration_s / options.step_s));
  const auto record_every = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::llround(options.record_interval_s / options.step_s)));
  const std::uint64_t progress_every = std::max<std::uint64_t>(1, total_steps / 100);
  record(plant, result.samples);
  for (std::uint64_t step = 1; step <= total_steps; ++step) {
    controller.update(options.step_s);
    plant.step(options.step_s);
    if (step % record_every == 0) record(plant, result.samples);
    if (options.progress && step % progress_every == 0)
      options.progress(static_cast<double>(step) / total_steps);
  }
  result.steps = total_steps;
  result.simulated_s = plant.time_s();
  result.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  for (int b = 0; b < plant.bdu_count(); ++b) {
    const plant::BduTruthSummary truth = plant.bdu_truth(b);
    result.energy_discharged_Wh += truth.energy_discharged_Wh;
    result.energy_charged_Wh += truth.energy_charged_Wh;
  }
  result.stored_energy_end_Wh = plant.stored_energy_Wh();
  const plant::PlantExtremes& extremes = plant.extremes();
  result.cell_voltage_min_V = extremes.cell_voltage_min_V;
  result.cell_voltage_max_V = extremes.cell_voltage_max_V;
  result.cell_temperature_min_degC = extremes.cell_temperature_min_degC;
  result.cell_temperature_max_degC = extremes.cell_temperature_max_degC;
  return result;
}

}  // namespace bts::sim
