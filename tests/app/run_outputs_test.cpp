// The result files of a run from a small synthetic record: documented headers and rows, events
// in time order, summary.json keys, and a report.html that stands on its own.
#include "app/run_outputs.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace bts::app {
namespace {

using firmware::Code;
using firmware::LightMode;
using firmware::StatusColour;

#define EXPECT_MENTIONS(text, part)               \
  EXPECT_NE((text).find(part), std::string::npos) \
      << "missing '" << (part) << "' in: " << (text).substr(0, 2000)

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  for (const char c : line) {
    if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

/// Two BDUs (2 and 1 modules), three snapshots a minute apart; F10 on BDU1.M2 from the second.
std::vector<sim::SystemSnapshot> record() {
  std::vector<sim::SystemSnapshot> snapshots;
  for (int i = 0; i < 3; ++i) {
    sim::SystemSnapshot s;
    s.time_s = 60.0 * i;
    s.ambient_degC = 20.0 + i;
    s.household_request_W = 1500.0;
    for (int b = 0; b < 2; ++b) {
      sim::BduSnapshot bdu;
      bdu.state = i == 0 ? "Standby" : (b == 0 ? "Fault" : "Discharge");
      bdu.bus_voltage_V = 400.0 + b;
      bdu.output_voltage_V = 399.5;
      bdu.output_current_A = i == 0 ? 0.0 : 3.25;
      bdu.soc_percent = 55.0 - i;
      bdu.soc_uncertainty_percent = 2.0;
      bdu.true_soc_percent = 54.0 - i;
      bdu.soh_percent = 97.0;
      bdu.calibration_requested = b == 1;
      bdu.limits_valid = true;
      bdu.charge_current_limit_A = 20.0;
      bdu.discharge_current_limit_A = 25.0;
      if (i == 0) {
        bdu.lights.status_colour = StatusColour::Green;
        bdu.lights.status = LightMode::Flash;
        bdu.lights.soc = {LightMode::On, LightMode::On, LightMode::On, LightMode::Off,
                          LightMode::Off};
      } else if (b == 0) {
        bdu.codes.set(Code::F10);
        bdu.lights.alarm = LightMode::On;
        bdu.lights.soc = {LightMode::On, LightMode::Off, LightMode::Off, LightMode::On,
                          LightMode::Off};
      } else {
        bdu.lights.status_colour = StatusColour::Green;
        bdu.lights.status = LightMode::On;
        bdu.lights.soc = {LightMode::On, LightMode::On, LightMode::On, LightMode::Off,
                          LightMode::Off};
      }
      s.bdus.push_back(bdu);
      std::vector<sim::ModuleSnapshot> modules;
      for (int m = 0; m < (b == 0 ? 2 : 1); ++m) {
        sim::ModuleSnapshot module;
        module.state = "Run";
        module.soc_percent = 50.0 + m;
        module.current_A = 10.5;
        module.cell_voltage_min_V = 3.281;
        module.cell_voltage_max_V = 3.2925;
        module.cell_temperature_min_degC = 21.5;
        module.cell_temperature_max_degC = 23.0;
        module.true_cell_voltage_min_V = 3.28 - 0.01 * i;
        module.true_cell_voltage_max_V = 3.30 + 0.01 * m;
        module.true_cell_temperature_min_degC = 21.0;
        module.true_cell_temperature_max_degC = 23.0 + i + m;
        module.soc_uncertainty_percent = 1.5 + m;
        module.true_soc_percent = 49.0 + m;
        module.soh_capacity_percent = 97.0;
        module.true_capacity_percent = 96.5;
        module.soh_resistance_percent = 110.0;
        if (b == 0 && m == 1 && i > 0) module.codes.set(Code::F10);
        modules.push_back(module);
      }
      s.modules.push_back(modules);
    }
    snapshots.push_back(s);
  }
  return snapshots;
}

std::vector<sim::CodeEvent> code_events() {
  return {{61.5, "BDU1.M2", Code::F10, true},
          {62.0, "BDU1", Code::F10, true},
          {30.0, "BDU2", Code::A1, true},
          {40.0, "BDU2", Code::A1, false}};
}

std::vector<sim::StateEvent> state_events() {
  return {{62.0, "BDU1", "Standby", "Fault"}, {45.0, "BDU2", "Standby", "Discharge"}};
}

std::vector<sim::ExpectationResult> results() {
  sim::ExpectationResult held;
  held.passed = true;
  held.time_s = 30.0;
  held.line = 12;
  held.node = "BDU1";
  held.expected = "state Standby";
  held.message = "at 00:00:30 (line 12): BDU1 state Standby, as expected";
  sim::ExpectationResult failed;
  failed.passed = false;
  failed.time_s = 120.0;
  failed.line = 14;
  failed.node = "BDU1.M2";
  failed.expected = "state Fault";
  failed.message = "at 00:02:00 (line 14): BDU1.M2 expected state Fault, was <Run>";
  return {held, failed};
}

RunSummary summary() {
  RunSummary s;
  s.system_name = "e15-custom";
  s.scenario_name = "synthetic";
  s.scenario_description = "three snapshots & two BDUs";
  s.seed = 4;
  s.simulated_s = 120.0;
  s.wall_s = 0.5;
  s.steps = 12000;
  s.record_interval_s = 60.0;
  s.markers.push_back({61.0, "inject sensor_failure BDU1.M2 cell_voltage channel 4 open"});
  complete_summary(s, record(), code_events());
  return s;
}

TEST(RunOutputs, TimeseriesHasTheDocumentedColumns) {
  const auto lines = lines_of(timeseries_csv(record()));
  ASSERT_EQ(lines.size(), 4u);
  std::string expected = "time_s";
  for (int b = 1; b <= 2; ++b) {
    const std::string p = ",bdu" + std::to_string(b) + "_";
    expected += p + "state" + p + "bus_voltage_V" + p + "output_voltage_V" + p + "current_A" + p +
                "soc_percent" + p + "status_colour" + p + "status" + p + "alarm" + p + "L1" + p +
                "L2" + p + "L3" + p + "L4" + p + "L5" + p + "codes";
  }
  for (const char* m : {"bdu1_m1_", "bdu1_m2_", "bdu2_m1_"}) {
    const std::string p = std::string(",") + m;
    expected += p + "soc_percent" + p + "current_A" + p + "cell_voltage_min_V" + p +
                "cell_voltage_max_V" + p + "temperature_min_degC" + p + "temperature_max_degC";
  }
  expected += ",ambient_degC,household_request_W";
  EXPECT_EQ(lines[0], expected);

  const auto header = fields_of(lines[0]);
  for (std::size_t row = 1; row < lines.size(); ++row) {
    EXPECT_EQ(fields_of(lines[row]).size(), header.size()) << lines[row];
  }
  const auto first = fields_of(lines[1]);
  EXPECT_EQ(first[0], "0");
  EXPECT_EQ(first[1], "Standby");
  EXPECT_EQ(first[2], "400");
  EXPECT_EQ(first[3], "399.5");
  EXPECT_EQ(first[4], "0");
  EXPECT_EQ(first[5], "55");
  EXPECT_EQ(first[6], "green");
  EXPECT_EQ(first[7], "flash");
  EXPECT_EQ(first[8], "off");
  EXPECT_EQ(first[9], "on");
  EXPECT_EQ(first[13], "off");
  EXPECT_EQ(first[14], "");
  const auto second = fields_of(lines[2]);
  EXPECT_EQ(second[0], "60");
  EXPECT_EQ(second[1], "Fault");
  EXPECT_EQ(second[6], "none");
  EXPECT_EQ(second[7], "off");
  EXPECT_EQ(second[8], "on");
  EXPECT_EQ(second[12], "on");
  EXPECT_EQ(second[14], "F10");
  EXPECT_EQ(second[15], "Discharge");
  EXPECT_EQ(second[18], "3.25");
  EXPECT_EQ(second[19], "54");
  // BDU1.M2: soc, current, cell voltage min/max, temperature min/max.
  const std::size_t m2 = 1 + 2 * 14 + 6;
  EXPECT_EQ(second[m2], "51");
  EXPECT_EQ(second[m2 + 1], "10.5");
  EXPECT_EQ(second[m2 + 2], "3.281");
  EXPECT_EQ(second[m2 + 3], "3.2925");
  EXPECT_EQ(second[m2 + 4], "21.5");
  EXPECT_EQ(second[m2 + 5], "23");
  EXPECT_EQ(second[second.size() - 2], "21");
  EXPECT_EQ(second.back(), "1500");

  EXPECT_EQ(timeseries_csv({}), "time_s,ambient_degC,household_request_W\n");
}

TEST(RunOutputs, EventsInTimeOrderWithStateChanges) {
  const auto lines = lines_of(events_csv(code_events(), state_events()));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "time_s,node,code,name,event");
  EXPECT_EQ(lines[1], "30,BDU2,A1,high temperature,raised");
  EXPECT_EQ(lines[2], "40,BDU2,A1,high temperature,cleared");
  EXPECT_EQ(lines[3], "45,BDU2,state,Standby -> Discharge,changed");
  EXPECT_EQ(lines[4], "61.5,BDU1.M2,F10,sampling fault,raised");
  EXPECT_EQ(lines[5], "62,BDU1,F10,sampling fault,raised");  // codes before states at one time
  EXPECT_EQ(lines[6], "62,BDU1,state,Standby -> Fault,changed");
}

TEST(RunOutputs, SummaryCompletesFromTheRecord) {
  const RunSummary s = summary();
  EXPECT_EQ(s.final_states, (std::vector<std::string>{"Fault", "Discharge"}));
  EXPECT_EQ(s.codes_seen, (std::vector<std::string>{"A1", "F10"}));
  ASSERT_TRUE(s.extremes.valid);
  EXPECT_DOUBLE_EQ(s.extremes.cell_voltage_min_V, 3.26);
  EXPECT_DOUBLE_EQ(s.extremes.cell_voltage_max_V, 3.31);
  EXPECT_DOUBLE_EQ(s.extremes.cell_temperature_min_degC, 21.0);
  EXPECT_DOUBLE_EQ(s.extremes.cell_temperature_max_degC, 26.0);
  EXPECT_TRUE(s.protection.checked);
  EXPECT_TRUE(s.protection.held);

  RunSummary hot = summary();
  hot.protection.max_cell_temperature_degC = 25.0;
  check_protection(hot);
  EXPECT_FALSE(hot.protection.held);
  EXPECT_NE(hot.protection.message.find("26.0 degC, above 25.0 degC"), std::string::npos)
      << hot.protection.message;
}

TEST(RunOutputs, SummaryJsonHasTheIssuesKeys) {
  RunSummary s = summary();
  s.energy = EnergyCounters{1200.0, 300.0, 5000.0, 4100.0};
  const auto j = nlohmann::json::parse(summary_json(s, results(), code_events()));
  EXPECT_EQ(j["system"], "e15-custom");
  EXPECT_EQ(j["scenario"], "synthetic");
  EXPECT_EQ(j["seed"], 4);
  EXPECT_DOUBLE_EQ(j["simulated_s"].get<double>(), 120.0);
  EXPECT_DOUBLE_EQ(j["wall_s"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["real_time_factor"].get<double>(), 240.0);
  EXPECT_EQ(j["steps"], 12000);
  EXPECT_EQ(j["final_state"]["BDU1"], "Fault");
  EXPECT_EQ(j["final_state"]["BDU2"], "Discharge");
  EXPECT_EQ(j["codes_seen"], nlohmann::json::array({"A1", "F10"}));
  EXPECT_EQ(j["codes_seen_by_node"]["BDU1.M2"], nlohmann::json::array({"F10"}));
  EXPECT_EQ(j["expectations"]["total"], 2);
  EXPECT_EQ(j["expectations"]["passed"], 1);
  EXPECT_EQ(j["expectations"]["failed"], 1);
  EXPECT_EQ(j["expectations"]["all_held"], false);
  EXPECT_EQ(j["expectations"]["results"][1]["line"], 14);
  EXPECT_EQ(j["expectations"]["results"][1]["passed"], false);
  EXPECT_DOUBLE_EQ(j["ground_truth_extremes"]["cell_voltage_min_V"].get<double>(), 3.26);
  EXPECT_DOUBLE_EQ(j["ground_truth_extremes"]["cell_temperature_max_degC"].get<double>(), 26.0);
  EXPECT_EQ(j["protection"]["held"], true);
  EXPECT_DOUBLE_EQ(j["energy"]["discharged_Wh"].get<double>(), 1200.0);
  // State estimation at the end of the run, each value beside its ground truth.
  const auto& estimation = j["state_estimation"];
  EXPECT_DOUBLE_EQ(estimation["BDU1"]["soc_percent"].get<double>(), 53.0);
  EXPECT_DOUBLE_EQ(estimation["BDU1"]["true_soc_percent"].get<double>(), 52.0);
  EXPECT_DOUBLE_EQ(estimation["BDU1"]["soc_uncertainty_percent"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(estimation["BDU1"]["soh_percent"].get<double>(), 97.0);
  EXPECT_EQ(estimation["BDU1"]["calibration_charge_requested"], false);
  EXPECT_EQ(estimation["BDU2"]["calibration_charge_requested"], true);
  const auto& module = estimation["BDU1"]["modules"]["BDU1.M2"];
  EXPECT_DOUBLE_EQ(module["soc_percent"].get<double>(), 51.0);
  EXPECT_DOUBLE_EQ(module["true_soc_percent"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(module["soc_uncertainty_percent"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(module["soh_capacity_percent"].get<double>(), 97.0);
  EXPECT_DOUBLE_EQ(module["true_capacity_percent"].get<double>(), 96.5);
  EXPECT_DOUBLE_EQ(module["soh_resistance_percent"].get<double>(), 110.0);
  EXPECT_EQ(estimation["BDU2"]["modules"].size(), 1u);
  EXPECT_FALSE(all_passed(results()));
  EXPECT_TRUE(all_passed({}));
}

TEST(RunOutputs, ReportIsOneSelfContainedPage) {
  const std::string html =
      report_html(summary(), record(), code_events(), state_events(), results());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_MENTIONS(html, "</html>");
  EXPECT_MENTIONS(html, "<svg");
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The expectation table, failures marked, text escaped.
  EXPECT_MENTIONS(html, "<h2>Expectations</h2>");
  EXPECT_MENTIONS(html, "1 of 2 expectations failed");
  EXPECT_MENTIONS(html, "<tr class=\"fail\">");
  EXPECT_MENTIONS(html, "was &lt;Run&gt;");
  EXPECT_MENTIONS(html, "three snapshots &amp; two BDUs");
  // Charts and strips for every BDU, the events and the scenario events.
  EXPECT_MENTIONS(html, "BDU1: state and lights");
  EXPECT_MENTIONS(html, "BDU2: state and lights");
  EXPECT_MENTIONS(html, "State of charge");
  EXPECT_MENTIONS(html, "Cell voltage");
  EXPECT_MENTIONS(html, "Cell temperature");
  EXPECT_MENTIONS(html, "Household request");
  EXPECT_MENTIONS(html, "url(#flash-green)");
  EXPECT_MENTIONS(html, "sampling fault");
  EXPECT_MENTIONS(html, "inject sensor_failure BDU1.M2");
  // Every opened svg is closed.
  std::size_t opened = 0, closed = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++opened;
  for (std::size_t at = html.find("</svg>"); at != std::string::npos;
       at = html.find("</svg>", at + 1))
    ++closed;
  EXPECT_EQ(opened, closed);
  EXPECT_GE(opened, 8u);

  // Nothing recorded still gives a page.
  const std::string empty = report_html(RunSummary{}, {}, {}, {}, {});
  EXPECT_MENTIONS(empty, "Nothing was recorded");
  EXPECT_MENTIONS(empty, "No expectations");
}

TEST(RunOutputs, LongRunsAreThinnedNotDropped) {
  // A day at one snapshot per second: the page stays small and keeps the peak.
  std::vector<sim::SystemSnapshot> day;
  const auto one = record().front();
  for (int i = 0; i < 86400; i += 1) {
    sim::SystemSnapshot s = one;
    s.time_s = i;
    s.household_request_W = i == 43210 ? 9999.0 : 100.0;
    day.push_back(std::move(s));
  }
  RunSummary s;
  s.simulated_s = 86400.0;
  const std::string html = report_html(s, day, {}, {}, {});
  EXPECT_LT(html.size(), 2'000'000u);
  EXPECT_MENTIONS(html, "time (h)");
  // The household chart reaches up to 9999 W: its axis shows 10000.
  EXPECT_MENTIONS(html, ">10000<");
}

TEST(RunOutputs, WritesAllFourFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "bts_run_outputs_test";
  std::filesystem::remove_all(dir);
  OutputDirectory out(dir.string());
  ASSERT_TRUE(write_run_outputs(out, summary(), record(), code_events(), state_events(), results()))
      << out.error();
  for (const char* name : {"timeseries.csv", "events.csv", "summary.json", "report.html"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(dir / name)) << name;
    EXPECT_GT(std::filesystem::file_size(dir / name), 20u) << name;
  }
  int leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().front() == '.') ++leftovers;
  }
  EXPECT_EQ(leftovers, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bts::app
