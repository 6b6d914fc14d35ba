// report.html: one self-contained page a person would rather look at than read. Inline CSS and
// SVG only (no scripts, fonts, images or links), so it opens anywhere, offline, as a single file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "app/duration.hpp"
#include "app/run_outputs.hpp"
#include "app/svg_plot.hpp"
#include "firmware/lights/indicator_lights.hpp"

namespace bts::app {

namespace {

using svg::escape;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
const char* const kBduColours[] = {"#1d3557", "#9d4e15"};
constexpr const char* kGreen = "#2ca02c";
constexpr const char* kBlue = "#1f77b4";
constexpr const char* kRed = "#d62728";
constexpr const char* kSocLight = "#5a9e5a";
constexpr const char* kPassColour = "#2e7d32";
constexpr const char* kFailColour = "#c62828";

const char* bdu_colour(std::size_t b) { return kBduColours[b % 2]; }
const char* module_colour(std::size_t index) { return kPalette[index % 10]; }

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string state_colour(const std::string& state) {
  std::string s;
  for (const char c : state) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "shutdown" || s == "sleep" || s == "off") return "#8c8c8c";
  if (s == "standby") return "#7fb77e";
  if (s == "updating") return "#6fa8dc";
  if (s == "charge") return kBlue;
  if (s == "discharge" || s == "run") return kGreen;
  if (s == "fault") return kRed;
  std::size_t hash = 0;
  for (const char c : s) hash = hash * 31 + static_cast<unsigned char>(c);
  return kPalette[hash % 10];
}

/// The fill of a light in the strip; "" for off (the row's grey shows through).
std::string light_fill(firmware::LightMode mode, const std::string& name,
                       const std::string& colour) {
  switch (mode) {
    case firmware::LightMode::On:
      return colour;
    case firmware::LightMode::Flash:
      return "url(#flash-" + name + ")";
    case firmware::LightMode::Off:
      break;
  }
  return "";
}

/// Run-length segments of one value per snapshot; each snapshot holds until the next one.
template <class Value>
std::vector<svg::Segment> segments_of(const std::vector<sim::SystemSnapshot>& snapshots,
                                      double end_s, Value value_at) {
  std::vector<svg::Segment> out;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const double start = snapshots[i].time_s;
    const double stop = i + 1 < snapshots.size() ? snapshots[i + 1].time_s : end_s;
    auto [fill, label] = value_at(snapshots[i]);
    if (!out.empty() && out.back().fill == fill && out.back().label == label &&
        out.back().end_s == start) {
      out.back().end_s = stop;
      continue;
    }
    if (fill.empty()) continue;
    out.push_back({start, stop, fill, label});
  }
  // Off stretches were skipped; remove nothing else.
  return out;
}

std::string html_row(const std::vector<std::string>& cells, const std::string& row_class = "") {
  std::string row = row_class.empty() ? "<tr>" : "<tr class=\"" + row_class + "\">";
  for (const auto& cell : cells) row += "<td>" + cell + "</td>";
  return row + "</tr>\n";
}

std::string code_list(const std::vector<std::string>& labels) {
  if (labels.empty()) return "none";
  std::string text;
  for (const auto& label : labels) {
    for (const auto& info : firmware::kCodeTable) {
      if (info.label == label) {
        if (!text.empty()) text += ", ";
        text += escape(label) + " (" + escape(std::string(info.name)) + ")";
      }
    }
  }
  return text;
}

const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 24px auto; max-width: 1000px; padding: 0 12px; color: #222; background: #fff; }
h1 { font-size: 22px; margin-bottom: 2px; }
h2 { font-size: 17px; margin-top: 30px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
.subtitle { color: #555; margin-top: 0; }
.verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 8px 0; }
.verdict.pass { background: #e3f4e1; color: #1e6b1e; }
.verdict.fail { background: #fbe3e1; color: #9b1c1c; }
.verdict.none { background: #eee; color: #444; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
td, th { border-bottom: 1px solid #e6e6e6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
table.facts td:first-child { color: #666; width: 190px; }
tr.pass td { background: #f1faf0; }
tr.fail td { background: #fdeeed; }
td.result-pass { color: #1e6b1e; font-weight: 600; }
td.result-fail { color: #9b1c1c; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; width: 1%; }
td.time { font-variant-numeric: tabular-nums; white-space: nowrap; width: 1%; }
.note { color: #666; font-size: 13px; }
.key { display: inline-block; width: 14px; height: 10px; vertical-align: middle; margin: 0 4px 0 12px;
       border: 1px solid #999; }
svg.chart { display: block; margin: 10px 0 4px 0; max-width: 100%; height: auto; }
svg .title { font-size: 14px; font-weight: 600; fill: #222; }
svg .tick { font-size: 11px; fill: #555; }
svg .legend { font-size: 11px; fill: #333; }
svg .marker, svg .level { font-size: 10px; }
svg .segment { font-size: 10px; fill: #fff; font-weight: 600; }
svg rect.plot { fill: #fff; stroke: #c8c8c8; }
svg line.grid { stroke: #ececec; stroke-width: 1; }
)";

}  // namespace

std::string report_html(const RunSummary& summary,
                        const std::vector<sim::SystemSnapshot>& snapshots,
                        const std::vector<sim::CodeEvent>& code_events,
                        const std::vector<sim::StateEvent>& state_events,
                        const std::vector<sim::ExpectationResult>& expectations) {
  std::ostringstream html;
  const std::string title =
      (summary.scenario_name.empty() ? std::string("run") : summary.scenario_name) + " on " +
      (summary.system_name.empty() ? "?" : summary.system_name);
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>BTS simulation: " << escape(title) << "</title>\n<style>" << kStyle
       << "</style>\n</head>\n<body>\n";
  // Stripe patterns for flashing lights, shared by every strip below.
  html << "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\">"
       << svg::stripe_patterns({{"green", kGreen},
                                {"blue", kBlue},
                                {"none", "#777777"},
                                {"alarm", kRed},
                                {"soc", kSocLight}})
       << "</svg>\n";
  html << "<h1>BTS simulation report</h1>\n<p class=\"subtitle\">" << escape(title);
  if (!summary.scenario_description.empty()) {
    html << " &mdash; " << escape(summary.scenario_description);
  }
  html << "</p>\n";

  // Verdicts first: what a person opens the page for.
  const int failed =
      static_cast<int>(std::count_if(expectations.begin(), expectations.end(),
                                     [](const sim::ExpectationResult& r) { return !r.passed; }));
  if (expectations.empty()) {
    html << "<div class=\"verdict none\">No expectations in this scenario.</div>\n";
  } else if (failed == 0) {
    html << "<div class=\"verdict pass\">All " << expectations.size()
         << " expectations held.</div>\n";
  } else {
    html << "<div class=\"verdict fail\">" << failed << " of " << expectations.size()
         << " expectations failed.</div>\n";
  }
  if (summary.protection.checked) {
    html << "<div class=\"verdict " << (summary.protection.held ? "pass" : "fail") << "\">"
         << (summary.protection.held ? "Protection limits held: " : "Protection limits broken: ")
         << escape(summary.protection.message) << ".</div>\n";
  }

  // Facts.
  html << "<h2>Run</h2>\n<table class=\"facts\">\n";
  const auto fact = [&](const std::string& name, const std::string& value_html) {
    html << "<tr><td>" << escape(name) << "</td><td>" << value_html << "</td></tr>\n";
  };
  fact("Scenario", escape(summary.scenario_name.empty() ? "(none)" : summary.scenario_name));
  fact("System", escape(summary.system_text.empty() ? summary.system_name : summary.system_text));
  fact("Seed", std::to_string(summary.seed));
  fact("Simulated", escape(format_duration(summary.simulated_s)));
  {
    std::string wall = fixed(summary.wall_s, 2) + " s";
    if (summary.wall_s > 0.0) {
      wall += " (" + fixed(summary.simulated_s / summary.wall_s, 0) + "&times; real time)";
    }
    fact("Wall time", wall);
  }
  if (summary.steps > 0) fact("Steps", std::to_string(summary.steps));
  if (summary.record_interval_s > 0.0) {
    fact("Recorded every", fixed(summary.record_interval_s, summary.record_interval_s < 1 ? 2 : 0) +
                               " s (" + std::to_string(snapshots.size()) + " snapshots)");
  }
  {
    std::string states;
    for (std::size_t b = 0; b < summary.final_states.size(); ++b) {
      states += (b ? ", " : "") + sim::node_name(static_cast<int>(b), -1) + " " +
                escape(summary.final_states[b]);
    }
    fact("Final state", states.empty() ? "&mdash;" : states);
  }
  fact("Codes seen", code_list(summary.codes_seen));
  if (summary.extremes.valid) {
    const GroundTruthExtremes& x = summary.extremes;
    fact("Cells (ground truth)", fixed(x.cell_voltage_min_V, 3) + " &ndash; " +
                                     fixed(x.cell_voltage_max_V, 3) + " V, " +
                                     fixed(x.cell_temperature_min_degC, 1) + " &ndash; " +
                                     fixed(x.cell_temperature_max_degC, 1) + " &deg;C");
  }
  if (summary.energy) {
    fact("Energy at BAT OUT", fixed(summary.energy->discharged_Wh / 1000.0, 2) +
                                  " kWh discharged, " +
                                  fixed(summary.energy->charged_Wh / 1000.0, 2) + " kWh charged");
  }
  html << "</table>\n";

  // Expectations.
  if (!expectations.empty()) {
    html << "<h2>Expectations</h2>\n<table>\n<tr><th>time</th><th>line</th><th>node</th>"
            "<th>expected</th><th>result</th><th>message</th></tr>\n";
    for (const auto& r : expectations) {
      html << "<tr class=\"" << (r.passed ? "pass" : "fail") << "\"><td class=\"time\">"
           << escape(sim::format_clock(r.time_s)) << "</td><td class=\"num\">" << r.line
           << "</td><td>" << escape(r.node) << "</td><td>" << escape(r.expected)
           << "</td><td class=\"" << (r.passed ? "result-pass\">pass" : "result-fail\">FAIL")
           << "</td><td>" << escape(r.message) << "</td></tr>\n";
    }
    html << "</table>\n";
  }

  if (snapshots.empty()) {
    html << "<h2>Time series</h2>\n<p class=\"note\">Nothing was recorded.</p>\n";
  } else {
    svg::TimeAxis axis;
    axis.start_s = std::min(0.0, snapshots.front().time_s);
    const double dt = snapshots.size() > 1 ? snapshots[snapshots.size() - 1].time_s -
                                                 snapshots[snapshots.size() - 2].time_s
                                           : 1.0;
    axis.end_s = std::max(summary.simulated_s,
                          snapshots.back().time_s + (summary.simulated_s > 0 ? 0.0 : dt));
    if (axis.end_s <= axis.start_s) axis.end_s = axis.start_s + 1.0;

    std::vector<svg::Marker> markers;
    for (std::size_t i = 0; i < summary.markers.size(); ++i) {
      markers.push_back({summary.markers[i].time_s, std::to_string(i + 1), "#7f8c8d"});
    }
    std::vector<double> t;
    for (const auto& s : snapshots) t.push_back(s.time_s);
    const std::size_t bdu_count = snapshots.front().bdus.size();
    const auto bdu_series = [&](std::size_t b, auto field) {
      std::vector<double> y;
      for (const auto& s : snapshots) y.push_back(b < s.bdus.size() ? field(s.bdus[b]) : kNaN);
      return y;
    };
    const auto module_series = [&](std::size_t b, std::size_t m, auto field) {
      std::vector<double> y;
      for (const auto& s : snapshots) {
        y.push_back(b < s.modules.size() && m < s.modules[b].size() ? field(s.modules[b][m])
                                                                    : kNaN);
      }
      return y;
    };
    const auto modules_of = [&](std::size_t b) {
      return b < snapshots.front().modules.size() ? snapshots.front().modules[b].size() : 0;
    };

    // Lights and states.
    html << "<h2>States and lights</h2>\n<p class=\"note\">Each row is one light of the BDU's "
            "front panel over time:"
         << "<span class=\"key\" style=\"background:" << kGreen << "\"></span>on"
         << "<span class=\"key\" style=\"background:repeating-linear-gradient(45deg," << kGreen
         << " 0 3px,#fff 3px 6px)\"></span>flashing"
         << "<span class=\"key\" style=\"background:#f4f4f4\"></span>off. "
         << "Status light green or blue as lit, alarm light red. Diamonds mark the checked "
            "expectations (green held, red failed).</p>\n";
    for (std::size_t b = 0; b < bdu_count; ++b) {
      svg::Strip strip;
      strip.title = sim::node_name(static_cast<int>(b), -1) + ": state and lights";
      strip.markers = markers;
      strip.rows.push_back({"state", segments_of(snapshots, axis.end_s, [&](const auto& s) {
                              const std::string state = b < s.bdus.size() ? s.bdus[b].state : "";
                              return std::pair<std::string, std::string>(
                                  state.empty() ? "" : state_colour(state), state);
                            })});
      strip.rows.push_back({"status", segments_of(snapshots, axis.end_s, [&](const auto& s) {
                              if (b >= s.bdus.size()) return std::pair<std::string, std::string>();
                              const auto& lights = s.bdus[b].lights;
                              const auto colour = lights.status_colour;
                              const std::string name =
                                  colour == firmware::StatusColour::Green  ? "green"
                                  : colour == firmware::StatusColour::Blue ? "blue"
                                                                           : "none";
                              const std::string fill_colour =
                                  colour == firmware::StatusColour::Green  ? kGreen
                                  : colour == firmware::StatusColour::Blue ? kBlue
                                                                           : "#777777";
                              return std::pair<std::string, std::string>(
                                  light_fill(lights.status, name, fill_colour),
                                  name + " " + firmware::light_mode_name(lights.status));
                            })});
      strip.rows.push_back({"alarm", segments_of(snapshots, axis.end_s, [&](const auto& s) {
                              if (b >= s.bdus.size()) return std::pair<std::string, std::string>();
                              const auto mode = s.bdus[b].lights.alarm;
                              return std::pair<std::string, std::string>(
                                  light_fill(mode, "alarm", kRed),
                                  std::string("alarm ") + firmware::light_mode_name(mode));
                            })});
      for (std::size_t l = 0; l < static_cast<std::size_t>(firmware::kSocLightCount); ++l) {
        strip.rows.push_back(
            {"L" + std::to_string(l + 1), segments_of(snapshots, axis.end_s, [&](const auto& s) {
               if (b >= s.bdus.size()) return std::pair<std::string, std::string>();
               const auto mode = s.bdus[b].lights.soc[l];
               return std::pair<std::string, std::string>(
                   light_fill(mode, "soc", kSocLight),
                   "L" + std::to_string(l + 1) + " " + firmware::light_mode_name(mode));
             })});
      }
      strip.rows.push_back({"codes", segments_of(snapshots, axis.end_s, [&](const auto& s) {
                              if (b >= s.bdus.size()) return std::pair<std::string, std::string>();
                              const std::string labels = sim::code_labels(s.bdus[b].codes);
                              return std::pair<std::string, std::string>(
                                  labels.empty()                ? ""
                                  : s.bdus[b].codes.any_fault() ? "#b23b3b"
                                                                : "#d98c1f",
                                  labels);
                            })});
      // Lights carry no text (the row names say which is which), only tooltips.
      for (std::size_t r = 1; r + 1 < strip.rows.size(); ++r) strip.rows[r].show_labels = false;
      const std::string prefix = sim::node_name(static_cast<int>(b), -1);
      bool any_check = false;
      for (const auto& r : expectations) {
        if (r.node != prefix && r.node.rfind(prefix + ".", 0) != 0) continue;
        any_check = true;
        strip.ticks.push_back(
            {strip.rows.size(), r.time_s, r.passed ? kPassColour : kFailColour, r.message});
      }
      if (any_check) strip.rows.push_back({"checks", {}});
      html << svg::strip_chart(axis, strip) << "\n";
    }

    // State of charge.
    {
      svg::Chart chart;
      chart.title = "State of charge (BDU reported to the inverter; module BMS estimates)";
      chart.y_unit = "SOC (%)";
      chart.fixed_y = true;
      chart.y_min = 0.0;
      chart.y_max = 100.0;
      chart.markers = markers;
      std::size_t index = 0;
      for (std::size_t b = 0; b < bdu_count; ++b) {
        for (std::size_t m = 0; m < modules_of(b); ++m, ++index) {
          chart.lines.push_back(
              {sim::node_name(static_cast<int>(b), static_cast<int>(m)), module_colour(index), t,
               module_series(b, m, [](const auto& x) { return x.soc_percent; }), 1.2, false});
        }
      }
      for (std::size_t b = 0; b < bdu_count; ++b) {
        chart.lines.push_back({sim::node_name(static_cast<int>(b), -1), bdu_colour(b), t,
                               bdu_series(b, [](const auto& x) { return x.soc_percent; }), 2.6,
                               false});
      }
      html << svg::line_chart(axis, chart) << "\n";
    }
    // Current with the limits the inverter was given.
    {
      svg::Chart chart;
      chart.title = "BDU output current (> 0 discharging) and the limits sent to the inverter";
      chart.y_unit = "current (A)";
      chart.y_from_zero = true;
      chart.markers = markers;
      for (std::size_t b = 0; b < bdu_count; ++b) {
        const std::string name = sim::node_name(static_cast<int>(b), -1);
        chart.lines.push_back({name + " current", bdu_colour(b), t,
                               bdu_series(b, [](const auto& x) { return x.output_current_A; }), 2.0,
                               false});
        bool any_limits = false;
        for (const auto& s : snapshots) {
          if (b < s.bdus.size() && s.bdus[b].limits_valid) any_limits = true;
        }
        if (!any_limits) continue;
        chart.lines.push_back({name + " discharge limit", bdu_colour(b), t,
                               bdu_series(b,
                                          [](const auto& x) {
                                            return x.limits_valid ? x.discharge_current_limit_A
                                                                  : kNaN;
                                          }),
                               1.3, true});
        chart.lines.push_back({name + " charge limit (shown negative)", bdu_colour(b), t,
                               bdu_series(b,
                                          [](const auto& x) {
                                            return x.limits_valid ? -x.charge_current_limit_A
                                                                  : kNaN;
                                          }),
                               1.3, true});
      }
      html << svg::line_chart(axis, chart) << "\n";
    }
    // Voltages.
    {
      svg::Chart chart;
      chart.title = "BDU voltages: bus (BAT IN) and output (BAT OUT)";
      chart.y_unit = "voltage (V)";
      chart.markers = markers;
      for (std::size_t b = 0; b < bdu_count; ++b) {
        const std::string name = sim::node_name(static_cast<int>(b), -1);
        chart.lines.push_back({name + " bus", bdu_colour(b), t,
                               bdu_series(b, [](const auto& x) { return x.bus_voltage_V; }), 2.0,
                               false});
        chart.lines.push_back({name + " output", module_colour(2 * b + 1), t,
                               bdu_series(b, [](const auto& x) { return x.output_voltage_V; }), 1.5,
                               true});
      }
      html << svg::line_chart(axis, chart) << "\n";
    }
    // Cell envelopes (ground truth).
    {
      svg::Chart voltage;
      voltage.title =
          "Cell voltage, lowest to highest cell of each module (ground truth; "
          "protection " +
          fixed(summary.protection.min_cell_voltage_V, 2) + "\xE2\x80\x93" +
          fixed(summary.protection.max_cell_voltage_V, 2) + " V)";
      voltage.y_unit = "cell voltage (V)";
      voltage.markers = markers;
      voltage.levels.push_back(
          {"protection " + fixed(summary.protection.min_cell_voltage_V, 2) + " V",
           summary.protection.min_cell_voltage_V, "#c0392b", true});
      voltage.levels.push_back(
          {"protection " + fixed(summary.protection.max_cell_voltage_V, 2) + " V",
           summary.protection.max_cell_voltage_V, "#c0392b", true});
      svg::Chart temperature;
      temperature.title =
          "Cell temperature, coolest to warmest cell of each module (ground truth; protection " +
          fixed(summary.protection.max_cell_temperature_degC, 0) +
          " \xC2\xB0"
          "C)";
      temperature.y_unit =
          "temperature (\xC2\xB0"
          "C)";
      temperature.markers = markers;
      temperature.levels.push_back({"protection " +
                                        fixed(summary.protection.max_cell_temperature_degC, 0) +
                                        " \xC2\xB0"
                                        "C",
                                    summary.protection.max_cell_temperature_degC, "#c0392b", true});
      std::size_t index = 0;
      for (std::size_t b = 0; b < bdu_count; ++b) {
        for (std::size_t m = 0; m < modules_of(b); ++m, ++index) {
          const std::string name = sim::node_name(static_cast<int>(b), static_cast<int>(m));
          voltage.bands.push_back(
              {name, module_colour(index), t,
               module_series(b, m, [](const auto& x) { return x.true_cell_voltage_min_V; }),
               module_series(b, m, [](const auto& x) { return x.true_cell_voltage_max_V; })});
          temperature.bands.push_back(
              {name, module_colour(index), t,
               module_series(b, m, [](const auto& x) { return x.true_cell_temperature_min_degC; }),
               module_series(b, m,
                             [](const auto& x) { return x.true_cell_temperature_max_degC; })});
        }
      }
      std::vector<double> ambient;
      for (const auto& s : snapshots) ambient.push_back(s.ambient_degC);
      temperature.lines.push_back({"ambient", "#444444", t, ambient, 1.5, true});
      html << svg::line_chart(axis, voltage) << "\n" << svg::line_chart(axis, temperature) << "\n";
    }
    // The household.
    {
      svg::Chart chart;
      chart.title = "Household request to the battery (> 0 asks for discharge)";
      chart.y_unit = "power (W)";
      chart.y_from_zero = true;
      chart.markers = markers;
      std::vector<double> request;
      for (const auto& s : snapshots) request.push_back(s.household_request_W);
      chart.lines.push_back({"household request", "#6a4c93", t, request, 1.8, false});
      chart.plot_height = 140;
      html << svg::line_chart(axis, chart) << "\n";
    }
  }

  // Scenario events (the numbered markers).
  if (!summary.markers.empty()) {
    html << "<h2>Scenario events</h2>\n<table>\n<tr><th>#</th><th>time</th><th>event</th></tr>\n";
    for (std::size_t i = 0; i < summary.markers.size(); ++i) {
      html << html_row({std::to_string(i + 1), escape(sim::format_clock(summary.markers[i].time_s)),
                        escape(summary.markers[i].label)});
    }
    html << "</table>\n";
  }

  // Codes and state changes.
  {
    struct Row {
      double time_s;
      int order;
      std::string node, what, detail, kind;
    };
    std::vector<Row> rows;
    int order = 0;
    for (const auto& e : code_events) {
      const auto& info = firmware::code_info(e.code);
      rows.push_back({e.time_s, order++, e.node, std::string(info.label), std::string(info.name),
                      e.raised ? "raised" : "cleared"});
    }
    for (const auto& e : state_events) {
      rows.push_back(
          {e.time_s, order++, e.node, "state", e.from + " \xE2\x86\x92 " + e.to, "changed"});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.time_s < b.time_s || (a.time_s == b.time_s && a.order < b.order);
    });
    html << "<h2>Codes and state changes</h2>\n";
    if (rows.empty()) {
      html << "<p class=\"note\">No code was raised and no state changed.</p>\n";
    } else {
      constexpr std::size_t kMaxRows = 500;
      html << "<table>\n<tr><th>time</th><th>node</th><th>code</th><th>name</th><th>event</th>"
              "</tr>\n";
      for (std::size_t i = 0; i < rows.size() && i < kMaxRows; ++i) {
        const Row& r = rows[i];
        const std::string row_class = r.kind == "raised" ? "fail" : "";
        html << "<tr" << (row_class.empty() ? "" : " class=\"" + row_class + "\"")
             << "><td class=\"time\">" << escape(sim::format_clock(r.time_s)) << "</td><td>"
             << escape(r.node) << "</td><td>" << escape(r.what) << "</td><td>" << escape(r.detail)
             << "</td><td>" << escape(r.kind) << "</td></tr>\n";
      }
      html << "</table>\n";
      if (rows.size() > kMaxRows) {
        html << "<p class=\"note\">" << rows.size() - kMaxRows << " more rows in events.csv.</p>\n";
      }
    }
  }
  html << "<p class=\"note\">Beside this page: timeseries.csv, events.csv and summary.json "
          "(docs/scenarios.md describes them).</p>\n</body>\n</html>\n";
  return html.str();
}

}  // namespace bts::app
