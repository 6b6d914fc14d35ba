#include "app/run_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "firmware/lights/indicator_lights.hpp"

namespace bts::app {

namespace {

/// Fixed decimals with trailing zeros dropped: "60", "3.2875", "-1.5".
std::string number(double value, int decimals) {
  if (!std::isfinite(value)) return "";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

/// A CSV field, quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

firmware::CodeSet all_codes(const sim::SystemSnapshot& snapshot) {
  firmware::CodeSet codes;
  for (const auto& bdu : snapshot.bdus) codes = codes | bdu.codes;
  for (const auto& modules : snapshot.modules) {
    for (const auto& module : modules) codes = codes | module.codes;
  }
  return codes;
}

}  // namespace

std::vector<std::string> code_labels(const firmware::CodeSet& codes) {
  std::vector<std::string> labels;
  for (const auto& info : firmware::kCodeTable) {
    if (codes.has(info.code)) labels.emplace_back(info.label);
  }
  return labels;
}

GroundTruthExtremes extremes_from_snapshots(const std::vector<sim::SystemSnapshot>& snapshots) {
  GroundTruthExtremes x;
  x.cell_voltage_min_V = x.cell_temperature_min_degC = std::numeric_limits<double>::infinity();
  x.cell_voltage_max_V = x.cell_temperature_max_degC = -std::numeric_limits<double>::infinity();
  for (const auto& snapshot : snapshots) {
    for (const auto& modules : snapshot.modules) {
      for (const auto& m : modules) {
        x.valid = true;
        x.cell_voltage_min_V = std::min(x.cell_voltage_min_V, m.true_cell_voltage_min_V);
        x.cell_voltage_max_V = std::max(x.cell_voltage_max_V, m.true_cell_voltage_max_V);
        x.cell_temperature_min_degC =
            std::min(x.cell_temperature_min_degC, m.true_cell_temperature_min_degC);
        x.cell_temperature_max_degC =
            std::max(x.cell_temperature_max_degC, m.true_cell_temperature_max_degC);
      }
    }
  }
  if (!x.valid) x = GroundTruthExtremes{};
  return x;
}

void check_protection(RunSummary& summary) {
  ProtectionCheck& p = summary.protection;
  const GroundTruthExtremes& x = summary.extremes;
  p.checked = true;
  if (!x.valid) {
    p.held = true;
    p.message = "no cell data recorded";
    return;
  }
  std::vector<std::string> broken;
  char buffer[256];
  if (x.cell_voltage_min_V < p.min_cell_voltage_V) {
    std::snprintf(buffer, sizeof buffer, "a cell fell to %.3f V, below %.3f V",
                  x.cell_voltage_min_V, p.min_cell_voltage_V);
    broken.emplace_back(buffer);
  }
  if (x.cell_voltage_max_V > p.max_cell_voltage_V) {
    std::snprintf(buffer, sizeof buffer, "a cell rose to %.3f V, above %.3f V",
                  x.cell_voltage_max_V, p.max_cell_voltage_V);
    broken.emplace_back(buffer);
  }
  if (x.cell_temperature_max_degC > p.max_cell_temperature_degC) {
    std::snprintf(buffer, sizeof buffer, "a cell reached %.1f degC, above %.1f degC",
                  x.cell_temperature_max_degC, p.max_cell_temperature_degC);
    broken.emplace_back(buffer);
  }
  p.held = broken.empty();
  if (p.held) {
    std::snprintf(buffer, sizeof buffer,
                  "every cell stayed within %.2f..%.2f V (was %.3f..%.3f V) and at most %.0f "
                  "degC (was %.1f degC)",
                  p.min_cell_voltage_V, p.max_cell_voltage_V, x.cell_voltage_min_V,
                  x.cell_voltage_max_V, p.max_cell_temperature_degC, x.cell_temperature_max_degC);
    p.message = buffer;
  } else {
    p.message.clear();
    for (const auto& text : broken) p.message += (p.message.empty() ? "" : "; ") + text;
  }
}

void complete_summary(RunSummary& summary, const std::vector<sim::SystemSnapshot>& snapshots,
                      const std::vector<sim::CodeEvent>& code_events) {
  if (summary.final_states.empty() && !snapshots.empty()) {
    for (const auto& bdu : snapshots.back().bdus) summary.final_states.push_back(bdu.state);
  }
  if (summary.codes_seen.empty()) {
    firmware::CodeSet seen;
    for (const auto& event : code_events) {
      if (event.raised) seen.set(event.code);
    }
    for (const auto& snapshot : snapshots) seen = seen | all_codes(snapshot);
    summary.codes_seen = code_labels(seen);
  }
  if (!summary.extremes.valid) summary.extremes = extremes_from_snapshots(snapshots);
  if (!summary.final_snapshot && !snapshots.empty()) summary.final_snapshot = snapshots.back();
  if (summary.simulated_s <= 0.0 && !snapshots.empty())
    summary.simulated_s = snapshots.back().time_s;
  check_protection(summary);
}

std::string timeseries_csv(const std::vector<sim::SystemSnapshot>& snapshots) {
  std::ostringstream csv;
  std::vector<std::size_t> modules_per_bdu;
  if (!snapshots.empty()) {
    for (std::size_t b = 0; b < snapshots.front().bdus.size(); ++b) {
      modules_per_bdu.push_back(
          b < snapshots.front().modules.size() ? snapshots.front().modules[b].size() : 0);
    }
  }
  csv << "time_s";
  for (std::size_t b = 0; b < modules_per_bdu.size(); ++b) {
    const std::string p = "bdu" + std::to_string(b + 1) + "_";
    csv << "," << p << "state," << p << "bus_voltage_V," << p << "output_voltage_V," << p
        << "current_A," << p << "soc_percent," << p << "status_colour," << p << "status," << p
        << "alarm";
    for (int l = 1; l <= firmware::kSocLightCount; ++l) csv << "," << p << "L" << l;
    csv << "," << p << "codes";
  }
  for (std::size_t b = 0; b < modules_per_bdu.size(); ++b) {
    for (std::size_t m = 0; m < modules_per_bdu[b]; ++m) {
      const std::string p = "bdu" + std::to_string(b + 1) + "_m" + std::to_string(m + 1) + "_";
      csv << "," << p << "soc_percent," << p << "current_A," << p << "cell_voltage_min_V," << p
          << "cell_voltage_max_V," << p << "temperature_min_degC," << p << "temperature_max_degC";
    }
  }
  csv << ",ambient_degC,household_request_W\n";

  for (const auto& s : snapshots) {
    csv << number(s.time_s, 3);
    for (std::size_t b = 0; b < modules_per_bdu.size(); ++b) {
      if (b >= s.bdus.size()) {
        csv << std::string(14, ',');
        continue;
      }
      const sim::BduSnapshot& d = s.bdus[b];
      csv << "," << csv_field(d.state) << "," << number(d.bus_voltage_V, 2) << ","
          << number(d.output_voltage_V, 2) << "," << number(d.output_current_A, 3) << ","
          << number(d.soc_percent, 2) << "," << firmware::status_colour_name(d.lights.status_colour)
          << "," << firmware::light_mode_name(d.lights.status) << ","
          << firmware::light_mode_name(d.lights.alarm);
      for (const auto mode : d.lights.soc) csv << "," << firmware::light_mode_name(mode);
      csv << "," << sim::code_labels(d.codes);
    }
    for (std::size_t b = 0; b < modules_per_bdu.size(); ++b) {
      for (std::size_t m = 0; m < modules_per_bdu[b]; ++m) {
        if (b >= s.modules.size() || m >= s.modules[b].size()) {
          csv << std::string(6, ',');
          continue;
        }
        const sim::ModuleSnapshot& x = s.modules[b][m];
        csv << "," << number(x.soc_percent, 2) << "," << number(x.current_A, 3) << ","
            << number(x.cell_voltage_min_V, 4) << "," << number(x.cell_voltage_max_V, 4) << ","
            << number(x.cell_temperature_min_degC, 2) << ","
            << number(x.cell_temperature_max_degC, 2);
      }
    }
    csv << "," << number(s.ambient_degC, 2) << "," << number(s.household_request_W, 1) << "\n";
  }
  return csv.str();
}

std::string events_csv(const std::vector<sim::CodeEvent>& code_events,
                       const std::vector<sim::StateEvent>& state_events) {
  struct Row {
    double time_s;
    int order;  // codes before states at the same time, each in the order given
    std::string text;
  };
  std::vector<Row> rows;
  int order = 0;
  for (const auto& e : code_events) {
    const auto& info = firmware::code_info(e.code);
    rows.push_back({e.time_s, order++,
                    csv_field(e.node) + "," + std::string(info.label) + "," +
                        csv_field(std::string(info.name)) + "," +
                        (e.raised ? "raised" : "cleared")});
  }
  for (const auto& e : state_events) {
    rows.push_back(
        {e.time_s, order++,
         csv_field(e.node) + ",state," + csv_field(e.from + " -> " + e.to) + ",changed"});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.time_s < b.time_s || (a.time_s == b.time_s && a.order < b.order);
  });
  std::ostringstream csv;
  csv << "time_s,node,code,name,event\n";
  for (const auto& row : rows) csv << number(row.time_s, 3) << "," << row.text << "\n";
  return csv.str();
}

bool all_passed(const std::vector<sim::ExpectationResult>& expectations) {
  return std::all_of(expectations.begin(), expectations.end(),
                     [](const sim::ExpectationResult& r) { return r.passed; });
}

namespace {

/// Each BDU's and module's SOC, its uncertainty, SOH and calibration request at the end of the
/// run, each beside the plant's ground truth.
nlohmann::json state_estimation_json(const sim::SystemSnapshot& last) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t b = 0; b < last.bdus.size(); ++b) {
    const sim::BduSnapshot& bdu = last.bdus[b];
    nlohmann::json modules = nlohmann::json::object();
    for (std::size_t m = 0; b < last.modules.size() && m < last.modules[b].size(); ++m) {
      const sim::ModuleSnapshot& module = last.modules[b][m];
      modules[sim::node_name(static_cast<int>(b), static_cast<int>(m))] = {
          {"soc_percent", module.soc_percent},
          {"soc_uncertainty_percent", module.soc_uncertainty_percent},
          {"true_soc_percent", module.true_soc_percent},
          {"soh_capacity_percent", module.soh_capacity_percent},
          {"true_capacity_percent", module.true_capacity_percent},
          {"soh_resistance_percent", module.soh_resistance_percent},
          {"calibration_charge_requested", module.calibration_requested}};
    }
    out[sim::node_name(static_cast<int>(b), -1)] = {
        {"soc_percent", bdu.soc_percent},
        {"soc_uncertainty_percent", bdu.soc_uncertainty_percent},
        {"true_soc_percent", bdu.true_soc_percent},
        {"soh_percent", bdu.soh_percent},
        {"calibration_charge_requested", bdu.calibration_requested},
        {"modules", modules}};
  }
  return out;
}

}  // namespace

std::string summary_json(const RunSummary& summary,
                         const std::vector<sim::ExpectationResult>& expectations,
                         const std::vector<sim::CodeEvent>& code_events) {
  using nlohmann::json;
  json j;
  j["system"] = summary.system_name;
  if (!summary.system_text.empty()) j["system_description"] = summary.system_text;
  j["scenario"] = summary.scenario_name;
  if (!summary.scenario_description.empty()) {
    j["scenario_description"] = summary.scenario_description;
  }
  j["seed"] = summary.seed;
  j["simulated_s"] = summary.simulated_s;
  j["wall_s"] = summary.wall_s;
  j["real_time_factor"] = summary.wall_s > 0.0 ? summary.simulated_s / summary.wall_s : 0.0;
  j["steps"] = summary.steps;
  j["record_interval_s"] = summary.record_interval_s;

  json final_state = json::object();
  for (std::size_t b = 0; b < summary.final_states.size(); ++b) {
    final_state[sim::node_name(static_cast<int>(b), -1)] = summary.final_states[b];
  }
  j["final_state"] = final_state;
  j["codes_seen"] = summary.codes_seen;
  std::map<std::string, firmware::CodeSet> by_node;
  for (const auto& event : code_events) {
    if (event.raised) by_node[event.node].set(event.code);
  }
  json codes_by_node = json::object();
  for (const auto& [node, codes] : by_node) codes_by_node[node] = code_labels(codes);
  j["codes_seen_by_node"] = codes_by_node;

  json results = json::array();
  int passed = 0;
  for (const auto& r : expectations) {
    if (r.passed) ++passed;
    results.push_back({{"time_s", r.time_s},
                       {"line", r.line},
                       {"node", r.node},
                       {"expected", r.expected},
                       {"passed", r.passed},
                       {"message", r.message}});
  }
  j["expectations"] = {{"total", expectations.size()},
                       {"passed", passed},
                       {"failed", static_cast<int>(expectations.size()) - passed},
                       {"all_held", all_passed(expectations)},
                       {"results", results}};

  const GroundTruthExtremes& x = summary.extremes;
  if (x.valid) {
    j["ground_truth_extremes"] = {{"cell_voltage_min_V", x.cell_voltage_min_V},
                                  {"cell_voltage_max_V", x.cell_voltage_max_V},
                                  {"cell_temperature_min_degC", x.cell_temperature_min_degC},
                                  {"cell_temperature_max_degC", x.cell_temperature_max_degC}};
  } else {
    j["ground_truth_extremes"] = nullptr;
  }
  const ProtectionCheck& p = summary.protection;
  j["protection"] = {{"min_cell_voltage_V", p.min_cell_voltage_V},
                     {"max_cell_voltage_V", p.max_cell_voltage_V},
                     {"max_cell_temperature_degC", p.max_cell_temperature_degC},
                     {"checked", p.checked},
                     {"held", p.held},
                     {"message", p.message}};
  if (summary.final_snapshot)
    j["state_estimation"] = state_estimation_json(*summary.final_snapshot);
  if (summary.energy) {
    j["energy"] = {{"discharged_Wh", summary.energy->discharged_Wh},
                   {"charged_Wh", summary.energy->charged_Wh},
                   {"stored_start_Wh", summary.energy->stored_start_Wh},
                   {"stored_end_Wh", summary.energy->stored_end_Wh}};
  }
  return j.dump(2) + "\n";
}

bool write_run_outputs(OutputDirectory& out, const RunSummary& summary,
                       const std::vector<sim::SystemSnapshot>& snapshots,
                       const std::vector<sim::CodeEvent>& code_events,
                       const std::vector<sim::StateEvent>& state_events,
                       const std::vector<sim::ExpectationResult>& expectations) {
  return out.write("timeseries.csv", timeseries_csv(snapshots)) &&
         out.write("events.csv", events_csv(code_events, state_events)) &&
         out.write("summary.json", summary_json(summary, expectations, code_events)) &&
         out.write("report.html",
                   report_html(summary, snapshots, code_events, state_events, expectations));
}

}  // namespace bts::app
