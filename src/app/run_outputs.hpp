#pragma once
// The result files of a simulation run (docs/scenarios.md, "Output files"):
//   timeseries.csv  one row per recorded snapshot: per BDU state, voltages, current, SOC, the seven
//                   lights, active codes; per module SOC, current, cell voltage and temperature
//   events.csv      codes raised and cleared, and state changes, in time order
//   summary.json    run metadata, final states, codes seen, expectation results, ground truth
//   report.html     one self-contained page with inline SVG plots and the tables (no scripts)
// Each writer returns the text; write_run_outputs() writes all four atomically.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/output_files.hpp"
#include "sim/expectations.hpp"
#include "sim/snapshot.hpp"

namespace bts::app {

/// The plant's ground-truth extremes over the run (every cell of every module).
struct GroundTruthExtremes {
  bool valid = false;
  double cell_voltage_min_V = 0.0;
  double cell_voltage_max_V = 0.0;
  double cell_temperature_min_degC = 0.0;
  double cell_temperature_max_degC = 0.0;
};

/// Energy at BAT OUT over the run and stored in the cells at its start and end.
struct EnergyCounters {
  double discharged_Wh = 0.0;
  double charged_Wh = 0.0;
  double stored_start_Wh = 0.0;
  double stored_end_Wh = 0.0;
};

/// The limits no cell may ever leave (the scenario's protection section) and whether they held.
struct ProtectionCheck {
  double min_cell_voltage_V = 2.5;
  double max_cell_voltage_V = 3.65;
  double max_cell_temperature_degC = 60.0;
  bool checked = false;  // set by check_protection()
  bool held = true;
  std::string message;  // "cell voltage 2.61..3.52 V and temperature up to 41.2 degC stayed ..."
};

/// A scenario event drawn as a marker on the report's time axes.
struct TimelineMarker {
  double time_s = 0.0;
  std::string label;
};

struct RunSummary {
  std::string system_name;
  std::string system_text;  // describe_system(), optional
  std::string scenario_name;
  std::string scenario_description;
  std::uint64_t seed = 0;
  double simulated_s = 0.0;
  double wall_s = 0.0;
  std::uint64_t steps = 0;
  double record_interval_s = 0.0;
  std::vector<std::string> final_states;  // per BDU; complete_summary() takes the last snapshot's
  std::vector<std::string> codes_seen;    // labels, manual order; complete_summary() fills it
  GroundTruthExtremes extremes;           // the runner's (every step) or from the snapshots
  std::optional<EnergyCounters> energy;
  ProtectionCheck protection;
  std::vector<TimelineMarker> markers;
  /// The last snapshot (state estimation at the end of the run); complete_summary() takes it.
  std::optional<sim::SystemSnapshot> final_snapshot;
};

/// Extremes of the true_* fields of every module over the snapshots (invalid when there are none).
/// The labels of a set of codes in table order ("A1", "F9", ...).
std::vector<std::string> code_labels(const firmware::CodeSet& codes);
GroundTruthExtremes extremes_from_snapshots(const std::vector<sim::SystemSnapshot>& snapshots);

/// Fills what the runner left empty: final states (last snapshot), codes seen (code events and
/// snapshots), extremes (snapshots), and the protection check on the extremes.
void complete_summary(RunSummary& summary, const std::vector<sim::SystemSnapshot>& snapshots,
                      const std::vector<sim::CodeEvent>& code_events);

/// Compares the extremes with the protection limits and records the result in summary.protection.
void check_protection(RunSummary& summary);

/// time_s, then per BDU N (from 1): bduN_state, bduN_bus_voltage_V, bduN_output_voltage_V,
/// bduN_current_A, bduN_soc_percent, bduN_status_colour (none|green|blue), bduN_status,
/// bduN_alarm, bduN_L1..bduN_L5 (off|on|flash), bduN_codes (labels, space-separated); then per
/// module M of BDU N: bduN_mM_soc_percent, _current_A, _cell_voltage_min_V, _cell_voltage_max_V,
/// _temperature_min_degC, _temperature_max_degC; then ambient_degC, household_request_W.
/// The layout follows the first snapshot.
std::string timeseries_csv(const std::vector<sim::SystemSnapshot>& snapshots);

/// time_s,node,code,name,event: codes as "F10,sampling fault,raised|cleared"; state changes as
/// "state,<from> -> <to>,changed". Sorted by time (codes before states at the same time).
std::string events_csv(const std::vector<sim::CodeEvent>& code_events,
                       const std::vector<sim::StateEvent>& state_events);

/// summary.json (keys in docs/scenarios.md).
std::string summary_json(const RunSummary& summary,
                         const std::vector<sim::ExpectationResult>& expectations,
                         const std::vector<sim::CodeEvent>& code_events);

/// report.html: a self-contained page (inline CSS and SVG; no scripts, fonts or links).
std::string report_html(const RunSummary& summary,
                        const std::vector<sim::SystemSnapshot>& snapshots,
                        const std::vector<sim::CodeEvent>& code_events,
                        const std::vector<sim::StateEvent>& state_events,
                        const std::vector<sim::ExpectationResult>& expectations);

/// Writes the four files through out (each atomically). On failure returns false; out.error()
/// says why.
bool write_run_outputs(OutputDirectory& out, const RunSummary& summary,
                       const std::vector<sim::SystemSnapshot>& snapshots,
                       const std::vector<sim::CodeEvent>& code_events,
                       const std::vector<sim::StateEvent>& state_events,
                       const std::vector<sim::ExpectationResult>& expectations);

/// True when every expectation passed (and there may be none).
bool all_passed(const std::vector<sim::ExpectationResult>& expectations);

}  // namespace bts::app
