#include "firmware/module_bms/sample_checks.hpp"

#include <algorithm>
#include <cmath>

#include "firmware/common/rounding.hpp"
#include "firmware/estimation/lfp_cell_model.hpp"

namespace bts::firmware {

namespace {

/// The first channel holding this value (count when none does). After min/max reductions: which
/// channel is an extreme changes with the noise from sample to sample, and a select per channel
/// (which GCC with a profile turns back into branches) mispredicted more often than one search.
template <typename Reading>
int first_channel_of(const Reading* readings, int count, Reading value) {
  int channel = 0;
  while (channel < count && readings[channel] != value) ++channel;
  return channel;
}

}  // namespace

void SampleChecks::update(const ModuleMeasurements& sample, std::uint32_t balancing_mask,
                          TimeMs now_ms) {
  implausible_ = false;
  implausible_channel_ = -1;
  const CellPass cells = scan_cells(sample, now_ms);
  check_ranges(sample, cells);
  check_stuck(sample, cells, now_ms);
  check_rest_drift(sample, cells, balancing_mask, now_ms);
  // The voltages in 16-byte moves, as the HAL wrote them; the temperatures were written one by
  // one and are copied so (a wider load across several stores is not forwarded and waits for
  // them to reach the cache; the empty asm keeps the compiler from merging the loads).
  previous_voltages_mV_ = sample.cell_voltage_mV;
  for (std::size_t slot = 0; slot < previous_temperatures_ddegC_.size(); ++slot) {
    std::int16_t temperature_ddegC = sample.cell_temperature_ddegC[slot];
    asm("" : "+r"(temperature_ddegC));
    previous_temperatures_ddegC_[slot] = temperature_ddegC;
  }
  have_previous_ = true;
}

ModuleMeasurements SampleChecks::plausible_only(const ModuleMeasurements& sample) const {
  ModuleMeasurements kept = sample;
  kept.cell_count = 0;
  for (std::uint8_t cell = 0; cell < sample.cell_count; ++cell) {
    const std::int32_t voltage_mV = sample.cell_voltage_mV[cell];
    if (voltage_mV >= limits_.min_plausible_cell_mV &&
        voltage_mV <= limits_.max_plausible_cell_mV) {
      kept.cell_voltage_mV[kept.cell_count++] = voltage_mV;
    }
  }
  kept.temperature_count = 0;
  for (std::uint8_t sensor = 0; sensor < sample.temperature_count; ++sensor) {
    const std::int16_t temperature = sample.cell_temperature_ddegC[sensor];
    if (temperature >= limits_.min_plausible_temperature_ddegC &&
        temperature <= limits_.max_plausible_temperature_ddegC) {
      kept.cell_temperature_ddegC[kept.temperature_count++] = temperature;
    }
  }
  return kept;
}

SampleChecks::CellPass SampleChecks::scan_cells(const ModuleMeasurements& sample, TimeMs now_ms) {
  // Written without branches on the readings where possible: with 2 mV of noise, whether a
  // channel moved and which cell is lowest change at random from sample to sample, and a
  // mispredicted branch per cell cost more than the work itself. The results are those of the
  // plain comparisons, in the same order (the first cell wins a tie).
  const int cell_count = sample.cell_count;
  const std::int32_t* const voltages_mV = sample.cell_voltage_mV.data();
  const std::int32_t min_plausible_mV = limits_.min_plausible_cell_mV;
  const std::int32_t max_plausible_mV = limits_.max_plausible_cell_mV;
  const std::int32_t normal_mV = limits_.normal_cell_mV;
  CellPass pass;
  // The voltage part of cell_statistics(sample). The lowest and highest values come first, as
  // min/max reductions (no branch), and then the first cell holding each: picked cell by cell
  // with selects, GCC with a profile (scripts/build-pgo.sh) made them branches that mispredicted
  // several times a sample, as the extreme cells move with the noise; a search mispredicts once.
  std::int64_t sum_mV = 0;
  int last_implausible_cell = -1;
  std::int32_t normal_cells = 0;
  std::int32_t lowest_mV = cell_count > 0 ? voltages_mV[0] : 0;
  std::int32_t highest_mV = lowest_mV;
  for (int cell = 0; cell < cell_count; ++cell) {
    const std::int32_t voltage_mV = voltages_mV[cell];
    // Ranges: the sum against the stack divider, the last channel out of range.
    sum_mV += voltage_mV;
    const bool implausible = (voltage_mV < min_plausible_mV) | (voltage_mV > max_plausible_mV);
    last_implausible_cell = implausible ? cell : last_implausible_cell;
    // A dead cell: the lowest one (the statistics' minimum) and how many are normal.
    normal_cells += voltage_mV >= normal_mV ? 1 : 0;
    lowest_mV = std::min(lowest_mV, voltage_mV);
    highest_mV = std::max(highest_mV, voltage_mV);
  }
  const int lowest_cell = first_channel_of(voltages_mV, cell_count, lowest_mV);
  const int highest_cell = first_channel_of(voltages_mV, cell_count, highest_mV);
  // Stuck channels: when each channel last moved (from the second sample on). A channel that
  // moved in this sample moved 0 ms ago: moving unless stuck_after_ms is 0.
  if (have_previous_) {
    pass.voltages_moving =
        voltage_moves_.update<ChannelMoves<kMaxCellsPerModule>::Changes::MostSamples>(
            voltages_mV, previous_voltages_mV_.data(), cell_count, now_ms, limits_.stuck_after_ms);
  }
  pass.sum_mV = sum_mV;
  pass.last_implausible_cell = last_implausible_cell;
  pass.normal_cells = normal_cells;
  // Written field by field (check_ranges writes the temperature ones): a local copied whole was
  // read back as 16 bytes just after its single-byte fields were stored, a store-forwarding stall.
  statistics_.min_voltage_mV = lowest_mV;
  statistics_.max_voltage_mV = highest_mV;
  statistics_.min_voltage_cell = static_cast<std::uint8_t>(lowest_cell);
  statistics_.max_voltage_cell = static_cast<std::uint8_t>(highest_cell);
  statistics_.sum_voltage_mV = static_cast<std::int32_t>(sum_mV);
  return pass;
}

void SampleChecks::check_ranges(const ModuleMeasurements& sample, const CellPass& cells) {
  const std::int64_t sum_mV = cells.sum_mV;
  const bool cells_plausible = cells.last_implausible_cell < 0;
  if (!cells_plausible) {
    implausible_ = true;
    implausible_channel_ = cells.last_implausible_cell;
  }
  // The temperature part of cell_statistics(sample) is gathered in the same pass, as the cells'
  // in scan_cells: min/max reductions, then the first sensor holding each (a tie keeps the
  // earlier sensor); the last sensor out of range names the channel.
  const int sensor_count = sample.temperature_count;
  const std::int16_t* const temperatures = sample.cell_temperature_ddegC.data();
  const std::int16_t min_plausible = limits_.min_plausible_temperature_ddegC;
  const std::int16_t max_plausible = limits_.max_plausible_temperature_ddegC;
  std::int16_t lowest = sensor_count > 0 ? temperatures[0] : std::int16_t{0};
  std::int16_t highest = lowest;
  int last_implausible_sensor = -1;
  for (int sensor = 0; sensor < sensor_count; ++sensor) {
    const std::int16_t temperature = temperatures[sensor];
    const bool implausible = (temperature < min_plausible) | (temperature > max_plausible);
    last_implausible_sensor = implausible ? sensor : last_implausible_sensor;
    lowest = std::min(lowest, temperature);
    highest = std::max(highest, temperature);
  }
  if (last_implausible_sensor >= 0) {
    implausible_ = true;
    implausible_channel_ = 100 + last_implausible_sensor;
  }
  statistics_.min_temperature_ddegC = lowest;
  statistics_.max_temperature_ddegC = highest;
  statistics_.min_temperature_sensor =
      static_cast<std::uint8_t>(first_channel_of(temperatures, sensor_count, lowest));
  statistics_.max_temperature_sensor =
      static_cast<std::uint8_t>(first_channel_of(temperatures, sensor_count, highest));
  for (std::int16_t temperature :
       {sample.terminal_temperature_ddegC, sample.ambient_temperature_ddegC,
        sample.pcu_temperature_ddegC}) {
    if (temperature < limits_.min_plausible_temperature_ddegC ||
        temperature > limits_.max_plausible_temperature_ddegC) {
      implausible_ = true;
      implausible_channel_ = 200;
    }
  }
  // The stack divider and the cell channels measure the same thing two ways.
  const std::int64_t mismatch_mV = sample.stack_voltage_mV - sum_mV;
  if (cells_plausible && (mismatch_mV > limits_.max_stack_mismatch_mV ||
                          -mismatch_mV > limits_.max_stack_mismatch_mV)) {
    implausible_ = true;
    implausible_channel_ = 300;
  }
  current_plausible_ = sample.current_mA <= limits_.max_plausible_current_mA &&
                       -sample.current_mA <= limits_.max_plausible_current_mA;
  if (!current_plausible_) {
    implausible_ = true;
    implausible_channel_ = 400;
  }
}

void SampleChecks::check_stuck(const ModuleMeasurements& sample, const CellPass& cells,
                               TimeMs now_ms) {
  if (!have_previous_) {
    voltage_moves_.restart(now_ms);
    temperature_moves_.restart(now_ms);
    return;
  }
  // A channel is stuck when it has not moved for stuck_after_ms while most of its siblings have
  // (the cell voltages' times were kept in scan_cells).
  const int voltages_moving = cells.voltages_moving;
  const int temperatures_moving =
      temperature_moves_.update<ChannelMoves<kMaxTemperatureSensors>::Changes::Seldom>(
          sample.cell_temperature_ddegC.data(), previous_temperatures_ddegC_.data(),
          sample.temperature_count, now_ms, limits_.stuck_after_ms);
  if (voltages_moving * 4 >= sample.cell_count * 3 && voltages_moving < sample.cell_count) {
    implausible_ = true;
    implausible_channel_ = 500;
  }
  if (temperatures_moving * 4 >= sample.temperature_count * 3 &&
      temperatures_moving < sample.temperature_count) {
    implausible_ = true;
    implausible_channel_ = 600;
  }
}

void SampleChecks::check_rest_drift(const ModuleMeasurements& sample, const CellPass& cells,
                                    std::uint32_t balancing_mask, TimeMs now_ms) {
  // A dead cell: far below the others while they are normal.
  const std::int32_t lowest_mV = statistics_.min_voltage_mV;
  if (sample.cell_count > 0 && lowest_mV >= limits_.min_plausible_cell_mV &&
      lowest_mV < limits_.dead_cell_mV && cells.normal_cells + 1 >= sample.cell_count) {
    cell_abnormal_ = true;
    abnormal_cell_ = statistics_.min_voltage_cell;
  }
  // An internal short: at rest, after relaxation, one cell sinks below the others.
  const bool at_rest = sample.current_mA < limits_.rest_current_mA &&
                       -sample.current_mA < limits_.rest_current_mA && balancing_mask == 0;
  if (!at_rest) {
    resting_ = false;
    rest_reference_taken_ = false;
    return;
  }
  if (!resting_) {
    resting_ = true;
    rest_since_ms_ = now_ms;
    rest_last_sample_ms_ = now_ms;
    for (std::uint8_t cell = 0; cell < sample.cell_count; ++cell)
      rest_filtered_mV_[cell] = sample.cell_voltage_mV[cell];
  }
  rest_counted_mAms_ +=
      static_cast<double>(sample.current_mA) * static_cast<double>(now_ms - rest_last_sample_ms_);
  rest_last_sample_ms_ = now_ms;
  // Compared on filtered voltages: a cell that sinks keeps sinking, noise averages out.
  // After relaxation the same pass rounds them to mV and sums them for their mean. The pass is
  // chosen once, not per cell (with 2 mV of noise a branch per cell cost more than the work).
  const int cell_count = sample.cell_count;
  const std::int32_t* const voltages_mV = sample.cell_voltage_mV.data();
  double* const filtered_state_mV = rest_filtered_mV_.data();
  const double gain = rest_filter_gain_;
  const auto filter = [&](int cell) {
    return filtered_state_mV[cell] += gain * (voltages_mV[cell] - filtered_state_mV[cell]);
  };
  if (now_ms - rest_since_ms_ < limits_.rest_settle_ms) {
    for (int cell = 0; cell < cell_count; ++cell) filter(cell);
    return;
  }
  std::array<std::int32_t, kMaxCellsPerModule> filtered_mV;
  std::int64_t filtered_sum_mV = 0;
  for (int cell = 0; cell < cell_count; ++cell) {
    const auto rounded_mV = static_cast<std::int32_t>(exact_lround(filter(cell)));
    filtered_mV[static_cast<std::size_t>(cell)] = rounded_mV;
    filtered_sum_mV += rounded_mV;
  }
  const std::int32_t mean_mV =
      sample.cell_count > 0
          ? static_cast<std::int32_t>(divide_toward_zero(filtered_sum_mV, sample.cell_count))
          : 0;
  check_rest_drift_filtered(std::span<const std::int32_t>(filtered_mV.data(), sample.cell_count),
                            mean_mV);
}

void SampleChecks::check_rest_drift_filtered(std::span<const std::int32_t> filtered_mV,
                                             std::int32_t mean_mV) {
  const bool in_charge = mean_mV < limits_.rest_drift_min_mean_mV;
  if (!rest_reference_taken_ || rest_reference_in_charge_ != in_charge) {
    take_rest_reference(filtered_mV, mean_mV, in_charge);
    return;
  }
  if (in_charge) {
    check_below_knee(filtered_mV, mean_mV);
    return;
  }
  // On the plateau a cell sinks when it falls rest_drift_mV further below the cells' mean.
  for (std::size_t cell = 0; cell < filtered_mV.size(); ++cell) {
    const std::int32_t drift_mV =
        rest_reference_deviation_mV_[cell] - (filtered_mV[cell] - mean_mV);
    if (drift_mV > limits_.rest_drift_mV) {
      cell_abnormal_ = true;
      abnormal_cell_ = static_cast<int>(cell);
    }
  }
}

void SampleChecks::take_rest_reference(std::span<const std::int32_t> filtered_mV,
                                       std::int32_t mean_mV, bool in_charge) {
  for (std::size_t cell = 0; cell < filtered_mV.size(); ++cell) {
    rest_reference_deviation_mV_[cell] = filtered_mV[cell] - mean_mV;
    rest_reference_mV_[cell] = filtered_mV[cell];
    // The charge terms are needed only below the knee; on the plateau the OCV inversions are
    // skipped. What depends on the reference alone is looked up here, once.
    if (!in_charge) continue;
    const double soc = soc_from_mean_ocv(filtered_mV[cell] / 1000.0);
    rest_reference_soc_[cell] = soc;
    rest_reference_ocv_V_[cell] = lookup_ocv(soc).mean_V;
    // 0.3 % of charge at the cell's own slope (central, over +-0.5 %, so that a cell on a corner
    // of the table is not judged by one side of it), within [knee_min_drift_mV, rest_drift_mV].
    const double slope_mV_per_permille = (lookup_ocv(std::min(soc + 0.005, 1.0)).mean_V -
                                          lookup_ocv(std::max(soc - 0.005, 0.0)).mean_V) *
                                         1000.0 / 10.0;  // V over 10 permille
    rest_knee_threshold_mV_[cell] = std::clamp(
        limits_.rest_drift_soc_permille * slope_mV_per_permille,
        static_cast<double>(limits_.knee_min_drift_mV), static_cast<double>(limits_.rest_drift_mV));
  }
  rest_counted_mAms_ = 0.0;
  rest_reference_taken_ = true;
  rest_reference_in_charge_ = in_charge;
}

void SampleChecks::check_below_knee(std::span<const std::int32_t> filtered_mV,
                                    std::int32_t mean_mV) {
  const double capacity_mAms = std::max(limits_.cell_capacity_mAh, 1) * 3.6e6;
  const double moved = rest_counted_mAms_ / capacity_mAms;  // SOC counted out since the reference
  if (std::abs(moved) * 1000.0 > limits_.knee_reference_move_permille) {
    take_rest_reference(filtered_mV, mean_mV, true);
    return;
  }
  const auto count = static_cast<std::uint8_t>(filtered_mV.size());
  if (count < 2) return;
  // Each cell: how far it moved (d, mV) and how far the curve says the counted charge moves it
  // (p, mV).
  std::array<double, kMaxCellsPerModule> moved_mV{}, predicted_mV{};
  double sum_d = 0.0, sum_p = 0.0;
  bool at_empty_end = false;
  for (std::uint8_t cell = 0; cell < count; ++cell) {
    moved_mV[cell] = filtered_mV[cell] - rest_reference_mV_[cell];
    predicted_mV[cell] =
        (lookup_ocv(std::clamp(rest_reference_soc_[cell] - moved, 0.0, 1.0)).mean_V -
         rest_reference_ocv_V_[cell]) *
        1000.0;
    sum_d += moved_mV[cell];
    sum_p += predicted_mV[cell];
    at_empty_end |= filtered_mV[cell] < limits_.empty_end_cell_mV;
  }
  // d = shift + k p over the cells (least squares; the small ridge keeps k near 0 when the
  // cells barely differ in p, e.g. nothing was counted).
  const double mean_d = sum_d / count, mean_p = sum_p / count;
  double covariance = 0.0, variance = 0.0;
  for (std::uint8_t cell = 0; cell < count; ++cell) {
    covariance += (predicted_mV[cell] - mean_p) * (moved_mV[cell] - mean_d);
    variance += (predicted_mV[cell] - mean_p) * (predicted_mV[cell] - mean_p);
  }
  constexpr double kRidge_mV2 = 1.0;
  const double k = covariance / (variance + kRidge_mV2);
  const double shift_mV = mean_d - k * mean_p;
  for (std::uint8_t cell = 0; cell < count; ++cell) {
    const double below_mV = shift_mV + k * predicted_mV[cell] - moved_mV[cell];
    const double threshold_mV = at_empty_end ? static_cast<double>(limits_.empty_end_drift_mV)
                                             : rest_knee_threshold_mV_[cell];
    if (below_mV > threshold_mV) {
      cell_abnormal_ = true;
      abnormal_cell_ = cell;
    }
  }
}

}  // namespace bts::firmware
