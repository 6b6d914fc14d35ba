#pragma once
// Plausibility of the module's samples (F10 sampling fault) and cells that no longer behave as
// cells (F11 battery cell fault). Thresholds and reasons: docs/firmware.md.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "firmware/common/types.hpp"
#include "firmware/hal/module_hal.hpp"
#include "firmware/module_bms/cell_statistics.hpp"
#include "firmware/module_bms/channel_moves.hpp"

namespace bts::firmware {

struct SampleCheckLimits {
  std::int32_t min_plausible_cell_mV = 1000;            // an open sense wire reads ~0 V
  std::int32_t max_plausible_cell_mV = 4500;            // ... and the next channel ~2x a cell
  std::int16_t min_plausible_temperature_ddegC = -350;  // an open NTC reads the cold rail
  std::int16_t max_plausible_temperature_ddegC = 1100;  // a shorted NTC reads the hot rail
  std::int32_t max_stack_mismatch_mV = 800;             // stack divider vs sum of cells
  std::int32_t max_plausible_current_mA = 250000;       // a shorted current sensor reads its rail
  std::uint32_t stuck_after_ms = 600000;                // unchanged 10 min while the others move
  std::int32_t dead_cell_mV = 2000;                     // one cell this low while others are normal
  std::int32_t normal_cell_mV = 2800;
  // |I| below this counts as rest. Parallel converters idling on one bus circulate about 2 A
  // (cell side) through each other (their voltage senses differ); at 1 A a module of an E20 or
  // E40 was never at rest and a sinking cell went unnoticed. The check compares cells with each
  // other, and a common small current moves them all alike.
  std::int32_t rest_current_mA = 3000;
  std::uint32_t rest_settle_ms = 600000;   // relaxation before the reference is taken
  std::int32_t rest_drift_mV = 10;         // a cell sinking this far below the others at rest
  std::int32_t rest_filter_samples = 100;  // time constant of the cells' filter at rest (10 s)
  // Below the lower knee (mean cell under 3.15 V, about 7 % SOC) the curve is steep and uneven:
  // a small current still flowing at "rest" (the converters' own draw, 0.4 A each) moves every
  // cell by the same charge but by different millivolts (an E10 emptied by its evening load raised
  // a false F11 every night when compared in mV), and the hysteresis moving from the charge to
  // the discharge branch shifts every cell by about the same millivolts but by very different
  // charges (a winter E10 resting at 7 % after a forced charge raised a false F11 when compared in
  // charge). So each cell's voltage change since the reference is predicted from the OCV curve at
  // its own SOC for the charge counted since then (scaled by a common factor fitted over the
  // cells, which absorbs a current offset or a module's lost capacity), plus a common shift (the
  // hysteresis); a cell sinks when it falls below that by 0.3 % of charge at its own slope,
  // but by no less than 5 mV (the hysteresis gap itself varies by about 1 mV across the knee) and
  // no more than rest_drift_mV.
  std::int32_t rest_drift_min_mean_mV = 3150;
  std::int32_t rest_drift_soc_permille = 3;
  std::int32_t knee_min_drift_mV = 5;
  std::int32_t cell_capacity_mAh = 100000;         // nominal: the counted charge in SOC terms
  std::int32_t knee_reference_move_permille = 20;  // a new reference after 2 % counted
  // At the empty end (a cell below 2.95 V, under about 2.5 % SOC) the table's curve is too coarse
  // and too steep (100-500 mV per %) to predict a cell's move to a few mV: a parked, empty winter
  // module's lowest cell strayed 15 mV from its prediction in two hours. There a cell sinks only
  // when it falls 30 mV below its prediction (an internal short there drops a cell by hundreds).
  std::int32_t empty_end_cell_mV = 2950;
  std::int32_t empty_end_drift_mV = 30;
};

class SampleChecks {
 public:
  explicit SampleChecks(const SampleCheckLimits& limits = {})
      : limits_(limits),
        rest_filter_gain_(1.0 / std::max<std::int32_t>(limits.rest_filter_samples, 1)) {}
  /// Feed every sample (100 ms); balancing_mask tells which cells are being bled on purpose.
  void update(const ModuleMeasurements& sample, std::uint32_t balancing_mask, TimeMs now_ms);
  bool sampling_implausible() const { return implausible_; }
  bool cell_behaviour_abnormal() const { return cell_abnormal_; }
  /// The current reading is inside its plausible range (not open to 0 of a rail, not at a rail).
  bool current_plausible() const { return current_plausible_; }
  /// The sample without the channels that are out of their plausible range, so that protection
  /// thresholds act on readings that can be trusted (a broken channel raises F10 instead).
  ModuleMeasurements plausible_only(const ModuleMeasurements& sample) const;
  /// Which channel made the last decision (for the event log), -1 when none.
  int implausible_channel() const { return implausible_channel_; }
  int abnormal_cell() const { return abnormal_cell_; }
  /// cell_statistics() of the last sample with every channel, gathered in the checks' own passes
  /// over it: the module's statistics when the sample is plausible.
  const CellStatistics& sample_statistics() const { return statistics_; }

 private:
  /// What the checks need from the cell voltages, gathered in one pass over them.
  struct CellPass {
    std::int64_t sum_mV = 0;
    int last_implausible_cell = -1;
    int voltages_moving = 0;  // channels changed within stuck_after_ms (after the first sample)
    std::int32_t normal_cells = 0;
  };
  CellPass scan_cells(const ModuleMeasurements& sample, TimeMs now_ms);
  void check_ranges(const ModuleMeasurements& sample, const CellPass& cells);
  void check_stuck(const ModuleMeasurements& sample, const CellPass& cells, TimeMs now_ms);
  void check_rest_drift(const ModuleMeasurements& sample, const CellPass& cells,
                        std::uint32_t balancing_mask, TimeMs now_ms);
  // These read the cells' filtered voltages (rounded to mV) and their mean.
  void check_rest_drift_filtered(std::span<const std::int32_t> filtered_mV, std::int32_t mean_mV);
  void take_rest_reference(std::span<const std::int32_t> filtered_mV, std::int32_t mean_mV,
                           bool in_charge);
  void check_below_knee(std::span<const std::int32_t> filtered_mV, std::int32_t mean_mV);

  SampleCheckLimits limits_;
  double rest_filter_gain_;  // 1 / rest_filter_samples: the limits are fixed at construction
  bool implausible_ = false;
  bool cell_abnormal_ = false;
  bool current_plausible_ = true;
  int implausible_channel_ = -1;
  int abnormal_cell_ = -1;
  CellStatistics statistics_{};
  bool have_previous_ = false;
  // The previous sample's channels (all the checks compare with).
  alignas(16) std::array<std::int32_t, kMaxCellsPerModule> previous_voltages_mV_{};
  std::array<std::int16_t, kMaxTemperatureSensors> previous_temperatures_ddegC_{};
  ChannelMoves<kMaxCellsPerModule> voltage_moves_;
  ChannelMoves<kMaxTemperatureSensors> temperature_moves_;
  TimeMs rest_since_ms_ = 0;
  bool resting_ = false;
  bool rest_reference_taken_ = false;
  bool rest_reference_in_charge_ = false;  // the reference was taken below the knee
  std::array<std::int32_t, kMaxCellsPerModule> rest_reference_deviation_mV_{};
  // Below the knee: each cell's reference voltage, the SOC it reads and what follows from it, and
  // the charge counted out of the module since (mA x ms, > 0 discharged).
  std::array<std::int32_t, kMaxCellsPerModule> rest_reference_mV_{};
  std::array<double, kMaxCellsPerModule> rest_reference_soc_{};
  std::array<double, kMaxCellsPerModule> rest_reference_ocv_V_{};    // the curve at that SOC
  std::array<double, kMaxCellsPerModule> rest_knee_threshold_mV_{};  // 0.3 % at its slope
  double rest_counted_mAms_ = 0.0;
  TimeMs rest_last_sample_ms_ = 0;
  // Cell voltages at rest, low-pass filtered (10 s): a drift of 10 mV must not be a reading's
  // noise (2 mV per cell gives 3.5 sigma sample to sample, thousands of times a day in an E40).
  std::array<double, kMaxCellsPerModule> rest_filtered_mV_{};
};

}  // namespace bts::firmware
