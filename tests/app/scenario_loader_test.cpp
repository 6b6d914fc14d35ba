// Scenario files: the full example, 1-based numbers becoming 0-based indices, time order, the
// checks against the system, and every refusal naming the file, the line and the key.
#include "app/scenario_loader.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/system_loader.hpp"

namespace bts::app {
namespace {

using sim::ExpectationKind;
using sim::ScenarioEventKind;

const std::string kSourceDir = BTS_SOURCE_DIR;

#define EXPECT_MENTIONS(message, text)               \
  EXPECT_NE((message).find(text), std::string::npos) \
      << "missing '" << (text) << "' in: " << (message)

/// The message of the ScenarioError that parsing (and validating against system) throws.
std::string refusal(const std::string& yaml_text, const std::string& system = "") {
  try {
    const sim::Scenario scenario = parse_scenario(yaml_text, "test.yaml");
    validate_scenario(scenario, load_system_description(system.empty() ? scenario.system : system));
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

const char* kFull = R"(name: full
description: every kind
system: e40
duration: 2h
seed: 9
initial_soc: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
start_activated: false
household: {kind: constant_power, constant_power_W: 1500}
ambient: {kind: constant, mean_degC: 12}
protection: {max_cell_temperature_degC: 55}
events:
  - {at: 1h, clear: cell_internal_short, bdu: 1, module: 3, cell: 5}
  - {at: 5m, inject: cell_internal_short, bdu: 1, module: 3, cell: 5, ohm: 0.5}
  - {at: 10s, press_black_start: 3s}
  - {at: 0s, dc_switch: closed, bdu: 2}
  - {at: 20m, silence_inverter: true}
  - {at: 90m, household_power_W: 3000}
  - {at: 1h, ambient_degC: -15}
  - {at: 0s, install_firmware: "0.0.9", bdu: 1, module: 2}
  - {at: 1m, inject: sensor_failure, bdu: 2, module: 4, sensor: cell_temperature, channel: 8, failure: stuck}
  - {at: 2m, inject: pcu_failure, module: 1, failure: ignores_command}
  - {at: 3m, inject: relay_welded, bdu: 2, relay: negative_main}
  - {at: 4m, inject: bdu_network_cable_cut}
  - {at: 6m, inject: ambient_override, degC: -20}
expectations:
  - {at: 15m, bdu: 2, module: 4, state: fault}
  - {at: 15m, lights: {status: off, alarm: on, L: [on, off, off, on, off]}}
  - {at: 15m, lights: {status: green flash, alarm: off, L: [on, on, flash, off, off]}}
  - {at: 15m, lights: A7}
  - {at: 16m, active: [F10, F9], inactive: A1, no_codes: true}
  - {at: 17m, relays: open, charge_limit_A: {at_most: 0, at_least: 0}}
  - {at: 18m, discharge_limit_A: {at_least: 5}, inverter_current_A: {at_most: 0.5}}
  - {at: 2h, module: 1, soc_percent: [40, 60]}
)";

TEST(ScenarioLoader, AcceptsTheFullExample) {
  const sim::Scenario s = parse_scenario(kFull, "full.yaml");
  EXPECT_EQ(s.name, "full");
  EXPECT_EQ(s.file, "full.yaml");
  EXPECT_EQ(s.system, "e40");
  ASSERT_TRUE(s.duration_s.has_value());
  EXPECT_DOUBLE_EQ(*s.duration_s, 7200.0);
  EXPECT_EQ(s.seed.value_or(0), 9u);
  EXPECT_EQ(s.initial_soc.size(), 8u);
  EXPECT_DOUBLE_EQ(s.initial_soc[7], 0.2);
  EXPECT_FALSE(s.start_activated);
  ASSERT_TRUE(s.household.has_value());
  EXPECT_EQ(s.household->kind, plant::HouseholdProfileKind::ConstantPower);
  EXPECT_DOUBLE_EQ(s.household->constant_power_W, 1500.0);
  ASSERT_TRUE(s.ambient.has_value());
  EXPECT_DOUBLE_EQ(s.ambient->mean_degC, 12.0);
  EXPECT_DOUBLE_EQ(s.protection_max_cell_temperature_degC, 55.0);
  EXPECT_DOUBLE_EQ(s.protection_max_cell_voltage_V, 3.65);
  ASSERT_EQ(s.events.size(), 13u);
  ASSERT_EQ(s.expectations.size(), 14u);  // lists and bounds become one check each
  EXPECT_NO_THROW(validate_scenario(s, load_system_description("e40")));

  // Sorted by time, ties in the order written.
  for (std::size_t i = 1; i < s.events.size(); ++i) {
    EXPECT_LE(s.events[i - 1].time_s, s.events[i].time_s);
  }
  EXPECT_EQ(s.events[0].kind, ScenarioEventKind::SetDcSwitch);
  EXPECT_EQ(s.events[1].kind, ScenarioEventKind::InstallFirmware);
  EXPECT_EQ(s.events.back().kind, ScenarioEventKind::SetHouseholdPower);
  for (std::size_t i = 1; i < s.expectations.size(); ++i) {
    EXPECT_LE(s.expectations[i - 1].time_s, s.expectations[i].time_s);
  }
}

const sim::ScenarioEvent& event_at(const sim::Scenario& s, ScenarioEventKind kind, double time_s) {
  for (const auto& e : s.events) {
    if (e.kind == kind && e.time_s == time_s) return e;
  }
  ADD_FAILURE() << "no such event";
  return s.events.front();
}

TEST(ScenarioLoader, OneBasedNumbersBecomeZeroBasedIndices) {
  const sim::Scenario s = parse_scenario(kFull, "full.yaml");
  const auto& shorted = event_at(s, ScenarioEventKind::InjectFault, 300.0);
  EXPECT_EQ(shorted.fault.kind, plant::PlantFaultKind::CellInternalShort);
  EXPECT_EQ(shorted.bdu, 0);
  EXPECT_EQ(shorted.module, 2);
  EXPECT_EQ(shorted.fault.bdu, 0);
  EXPECT_EQ(shorted.fault.module, 2);
  EXPECT_EQ(shorted.fault.index, 4);
  EXPECT_DOUBLE_EQ(shorted.fault.value, 0.5);
  EXPECT_EQ(shorted.line, 13);
  EXPECT_EQ(shorted.path, "events[1]");

  const auto& cleared = event_at(s, ScenarioEventKind::ClearFault, 3600.0);
  EXPECT_EQ(cleared.fault.index, 4);
  EXPECT_EQ(cleared.module, 2);

  const auto& sensor = event_at(s, ScenarioEventKind::InjectFault, 60.0);
  EXPECT_EQ(sensor.fault.kind, plant::PlantFaultKind::SensorFailure);
  EXPECT_EQ(sensor.fault.bdu, 1);
  EXPECT_EQ(sensor.fault.module, 3);
  EXPECT_EQ(sensor.fault.sensor, plant::ModuleSensor::CellTemperature);
  EXPECT_EQ(sensor.fault.index, 7);
  EXPECT_EQ(sensor.fault.sensor_failure, plant::SensorFailure::Stuck);

  const auto& pcu = event_at(s, ScenarioEventKind::InjectFault, 120.0);
  EXPECT_EQ(pcu.fault.pcu_failure, plant::PcuFailure::IgnoresCommand);
  EXPECT_EQ(pcu.fault.bdu, 0);  // bdu left out: the first
  EXPECT_EQ(pcu.fault.module, 0);

  const auto& relay = event_at(s, ScenarioEventKind::InjectFault, 180.0);
  EXPECT_EQ(relay.fault.relay, plant::RelayId::NegativeMain);
  EXPECT_EQ(relay.fault.bdu, 1);
  EXPECT_EQ(relay.module, -1);

  const auto& ambient = event_at(s, ScenarioEventKind::InjectFault, 360.0);
  EXPECT_EQ(ambient.fault.kind, plant::PlantFaultKind::AmbientOverride);
  EXPECT_EQ(ambient.fault.module, -1);  // every module of the BDU
  EXPECT_DOUBLE_EQ(ambient.fault.value, -20.0);

  const auto& firmware = event_at(s, ScenarioEventKind::InstallFirmware, 0.0);
  EXPECT_EQ(firmware.bdu, 0);
  EXPECT_EQ(firmware.module, 1);
  EXPECT_EQ(firmware.version.major, 0);
  EXPECT_EQ(firmware.version.minor, 0);
  EXPECT_EQ(firmware.version.patch, 9);

  const auto& button = event_at(s, ScenarioEventKind::PressBlackStart, 10.0);
  EXPECT_DOUBLE_EQ(button.duration_s, 3.0);
  const auto& dc = event_at(s, ScenarioEventKind::SetDcSwitch, 0.0);
  EXPECT_TRUE(dc.flag);
  EXPECT_EQ(dc.bdu, 1);
  EXPECT_TRUE(event_at(s, ScenarioEventKind::SilenceInverter, 1200.0).flag);
  EXPECT_DOUBLE_EQ(event_at(s, ScenarioEventKind::SetHouseholdPower, 5400.0).value, 3000.0);
  EXPECT_DOUBLE_EQ(event_at(s, ScenarioEventKind::SetAmbient, 3600.0).value, -15.0);

  const auto& state = s.expectations[0];
  EXPECT_EQ(state.kind, ExpectationKind::State);
  EXPECT_EQ(state.state, "Fault");  // written "fault": the known spelling
  EXPECT_EQ(state.bdu, 1);
  EXPECT_EQ(state.module, 3);
  EXPECT_EQ(state.line, 26);
}

TEST(ScenarioLoader, ReadsEveryExpectationKind) {
  const sim::Scenario s = parse_scenario(kFull, "full.yaml");
  const auto& x = s.expectations;
  ASSERT_EQ(x.size(), 14u);
  EXPECT_EQ(x[1].kind, ExpectationKind::Lights);
  EXPECT_EQ(x[1].lights.status, firmware::LightMode::Off);
  EXPECT_EQ(x[1].lights.alarm, firmware::LightMode::On);
  EXPECT_EQ(x[1].lights.soc[3], firmware::LightMode::On);
  EXPECT_EQ(x[1].module, -1);
  EXPECT_EQ(x[2].lights.status, firmware::LightMode::Flash);
  EXPECT_EQ(x[2].lights.status_colour, firmware::StatusColour::Green);
  EXPECT_EQ(x[2].lights.soc[2], firmware::LightMode::Flash);
  // A7: alarm flashing, L2 and L3 on (BTS-SPEC 3.3).
  EXPECT_EQ(x[3].lights.status, firmware::LightMode::Off);
  EXPECT_EQ(x[3].lights.alarm, firmware::LightMode::Flash);
  const std::array<firmware::LightMode, 5> a7 = {firmware::LightMode::Off, firmware::LightMode::On,
                                                 firmware::LightMode::On, firmware::LightMode::Off,
                                                 firmware::LightMode::Off};
  EXPECT_EQ(x[3].lights.soc, a7);
  EXPECT_EQ(x[4].kind, ExpectationKind::CodeActive);
  EXPECT_EQ(x[4].code, firmware::Code::F10);
  EXPECT_EQ(x[5].kind, ExpectationKind::CodeActive);
  EXPECT_EQ(x[5].code, firmware::Code::F9);
  EXPECT_EQ(x[5].path, "expectations[4].active[1]");
  EXPECT_EQ(x[6].kind, ExpectationKind::CodeInactive);
  EXPECT_EQ(x[6].code, firmware::Code::A1);
  EXPECT_EQ(x[7].kind, ExpectationKind::NoCodes);
  EXPECT_EQ(x[8].kind, ExpectationKind::RelaysClosed);
  EXPECT_FALSE(x[8].flag);
  EXPECT_EQ(x[9].kind, ExpectationKind::ChargeLimitAtMost);
  EXPECT_EQ(x[10].kind, ExpectationKind::ChargeLimitAtLeast);
  EXPECT_EQ(x[11].kind, ExpectationKind::DischargeLimitAtLeast);
  EXPECT_DOUBLE_EQ(x[11].value, 5.0);
  EXPECT_EQ(x[12].kind, ExpectationKind::InverterCurrentAtMost);
  EXPECT_DOUBLE_EQ(x[12].value, 0.5);
  const auto& soc = s.expectations.back();
  EXPECT_EQ(soc.kind, ExpectationKind::SocBetween);
  EXPECT_DOUBLE_EQ(soc.value, 40.0);
  EXPECT_DOUBLE_EQ(soc.value_high, 60.0);
  EXPECT_EQ(soc.module, 0);
  EXPECT_DOUBLE_EQ(soc.time_s, 7200.0);
}

/// The ```yaml blocks of docs/scenarios.md that look like a scenario (have a system key).
std::vector<std::string> documented_scenarios() {
  std::ifstream file(kSourceDir + "/docs/scenarios.md");
  std::vector<std::string> blocks;
  std::string line, block;
  bool inside = false;
  while (std::getline(file, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (block.find("system:") != std::string::npos) blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(ScenarioLoader, TheDocumentedExampleLoadsAndFitsItsSystem) {
  const auto blocks = documented_scenarios();
  ASSERT_GE(blocks.size(), 1u);
  for (const auto& text : blocks) {
    sim::Scenario s;
    ASSERT_NO_THROW(s = parse_scenario(text, "docs/scenarios.md")) << refusal(text);
    EXPECT_NO_THROW(validate_scenario(s, load_system_description(s.system))) << refusal(text);
    EXPECT_GE(s.events.size(), 15u);
    EXPECT_GE(s.expectations.size(), 10u);
  }
}

TEST(ScenarioLoader, EveryBuiltinScenarioLoadsByNameAndFitsItsSystem) {
  const auto names = builtin_scenario_names();
  ASSERT_GE(names.size(), 2u) << scenario_directory();
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    sim::Scenario s;
    ASSERT_NO_THROW(s = load_scenario(name));
    EXPECT_EQ(s.name, name);
    EXPECT_NO_THROW(validate_scenario(s, load_system_description(s.system)));
    EXPECT_FALSE(s.expectations.empty());
  }
}

TEST(ScenarioLoader, LoadsAFileAndNamesItAfterTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / "bts_scenario_loader_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "my-test.yaml";
  std::ofstream(path) << "system: e5\nexpectations:\n  - {at: 1m, no_codes: true}\n";
  const sim::Scenario s = load_scenario(path.string());
  EXPECT_EQ(s.name, "my-test");
  EXPECT_EQ(s.system, "e5");
  EXPECT_EQ(s.file, path.string());

  // BTS_SCENARIO_DIR points the built-in names elsewhere.
  const char* before = std::getenv("BTS_SCENARIO_DIR");
  const std::string saved = before ? before : "";
  setenv("BTS_SCENARIO_DIR", dir.string().c_str(), 1);
  EXPECT_EQ(scenario_directory(), dir.string());
  EXPECT_EQ(builtin_scenario_names(), std::vector<std::string>{"my-test"});
  EXPECT_EQ(load_scenario("my-test").system, "e5");
  if (before) {
    setenv("BTS_SCENARIO_DIR", saved.c_str(), 1);
  } else {
    unsetenv("BTS_SCENARIO_DIR");
  }
  std::filesystem::remove_all(dir);
}

TEST(ScenarioLoader, UnknownNameListsTheBuiltins) {
  try {
    load_scenario("no-such-scenario");
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    const std::string message = e.what();
    EXPECT_MENTIONS(message, "'no-such-scenario'");
    EXPECT_MENTIONS(message, "sampling-fault");
  }
}

TEST(ScenarioLoader, ApplyingSetsTheStartingPoint) {
  const sim::Scenario s = parse_scenario(
      "system: e20\nseed: 5\ninitial_soc: [0.9, 0.8, 0.7, 0.6]\n"
      "household: {kind: pv_home_day, pv_home: {start_time_h: 6}}\n"
      "ambient: {kind: daily_cycle, mean_degC: 10, amplitude_degC: 5}\n",
      "apply.yaml");
  EXPECT_TRUE(s.ambient_follows_household_clock);
  plant::SystemDescription system = load_system_description("e20");
  validate_scenario(s, system);
  apply_scenario_to_system(s, system);
  EXPECT_EQ(system.seed, 5u);
  EXPECT_DOUBLE_EQ(system.bdus[0].modules[0].initial_soc, 0.9);
  EXPECT_DOUBLE_EQ(system.bdus[0].modules[3].initial_soc, 0.6);
  EXPECT_DOUBLE_EQ(system.household.pv_home.start_time_h, 6.0);
  EXPECT_DOUBLE_EQ(system.ambient.start_time_h, 6.0);  // follows the household's clock
  // Modules start at the scenario ambient at 06:00: 10 - 5 cos(2 pi (6 - 5) / 24).
  EXPECT_NEAR(system.bdus[0].modules[2].initial_temperature_degC, 5.1704, 1e-3);

  const sim::Scenario temperatures = parse_scenario(
      "system: e10\ninitial_temperature_degC: [5, 7]\nambient: {mean_degC: 30}\n", "t.yaml");
  plant::SystemDescription e10 = load_system_description("e10");
  apply_scenario_to_system(temperatures, e10);
  EXPECT_DOUBLE_EQ(e10.bdus[0].modules[1].initial_temperature_degC, 7.0);
  EXPECT_DOUBLE_EQ(e10.ambient.mean_degC, 30.0);
}

TEST(ScenarioLoader, DescribesEvents) {
  const sim::Scenario s = parse_scenario(kFull, "full.yaml");
  EXPECT_EQ(describe_event(event_at(s, ScenarioEventKind::InjectFault, 300.0)),
            "inject cell_internal_short BDU1.M3 cell 5 (0.5 Ohm)");
  EXPECT_EQ(describe_event(event_at(s, ScenarioEventKind::InjectFault, 60.0)),
            "inject sensor_failure BDU2.M4 cell_temperature channel 8 stuck");
  EXPECT_EQ(describe_event(event_at(s, ScenarioEventKind::PressBlackStart, 10.0)),
            "press black start on BDU1 for 3 s");
  EXPECT_EQ(describe_event(event_at(s, ScenarioEventKind::InstallFirmware, 0.0)),
            "install firmware 0.0.9 on BDU1.M2");
  EXPECT_EQ(describe_event(event_at(s, ScenarioEventKind::InjectFault, 180.0)),
            "inject relay_welded BDU2 negative_main");
}

struct Refusal {
  const char* yaml;
  std::vector<const char*> mentions;  // line, key path and what is allowed
};

TEST(ScenarioLoader, EveryRefusalNamesTheLineAndTheKey) {
  const std::vector<Refusal> cases = {
      // Unknown names, with the closest suggested.
      {"events:\n  - {at: 1m, injct: fuse_blown}\n",
       {"line 2", "events[0].injct", "unknown event kind 'injct'", "did you mean 'inject'?"}},
      {"events:\n  - {at: 1m, inject: cell_internal_shrt, module: 1, cell: 1, ohm: 1}\n",
       {"line 2", "events[0].inject", "unknown fault 'cell_internal_shrt'",
        "did you mean 'cell_internal_short'?"}},
      {"events:\n  - {at: 1m, inject: fuse_blown, bdx: 1}\n",
       {"line 2", "events[0].bdx", "unknown key 'bdx'", "did you mean 'bdu'?"}},
      {"events:\n  - {at: 1m, inject: sensor_failure, module: 1, sensor: cell_voltag, channel: 1, "
       "failure: open}\n",
       {"line 2", "events[0].sensor", "unknown sensor 'cell_voltag'", "'cell_voltage'"}},
      {"events:\n  - {at: 1m, inject: sensor_failure, module: 1, sensor: current, failure: "
       "melted}\n",
       {"line 2", "events[0].failure", "unknown sensor failure 'melted'", "open, short, stuck"}},
      {"events:\n  - {at: 1m, inject: pcu_failure, module: 1, failure: deaf}\n",
       {"line 2", "events[0].failure", "did you mean 'dead'?"}},
      {"events:\n  - {at: 1m, inject: relay_welded, relay: positive}\n",
       {"line 2", "events[0].relay", "unknown relay 'positive'"}},
      {"expectations:\n  - {at: 1m, active: F18}\n",
       {"line 2", "expectations[0].active", "unknown code 'F18'", "F1 to F17"}},
      {"expectations:\n  - {at: 1m, state: Faulty}\n",
       {"line 2", "expectations[0].state", "unknown state 'Faulty'", "did you mean 'Fault'?"}},
      {"expectations:\n  - {at: 1m, stat: Fault}\n",
       {"line 2", "expectations[0].stat", "unknown key 'stat'", "did you mean 'state'?"}},
      {"nmae: x\n", {"line 1", "nmae", "did you mean 'name'?"}},
      // Inverter link settings out of range.
      {"inverter_link: {timeout_s: 30}\n",
       {"line 1", "inverter_link.timeout_s", "60 <= value <= 600"}},
      {"inverter_link: {poll_interval_s: 0}\n",
       {"line 1", "inverter_link.poll_interval_s", "0.01 <= value <= 600"}},
      // Times.
      {"events:\n  - {at: -5m, inject: fuse_blown}\n",
       {"line 2", "events[0].at", "'-5m' is a time in the past"}},
      {"events:\n  - {at: soon, inject: fuse_blown}\n",
       {"line 2", "events[0].at", "'soon' is not a time"}},
      {"duration: 1h\nevents:\n  - {at: 2h, inject: fuse_blown}\n",
       {"line 3", "events[0].at", "after the end of the scenario"}},
      {"duration: 1h\nexpectations:\n  - {at: 61m, no_codes: true}\n",
       {"line 3", "expectations[0].at", "after the end"}},
      {"events:\n  - {inject: fuse_blown}\n", {"line 2", "events[0]", "missing key 'at'"}},
      {"events:\n  - {at: 1m, press_black_start: 0s}\n",
       {"line 2", "events[0].press_black_start", "more than 0s"}},
      // Places that do not exist in the system (e10: one BDU of two modules, 16 cells).
      {"events:\n  - {at: 1m, inject: power_cable_cut, module: 3}\n",
       {"line 2", "events[0].module", "module 3 does not exist", "modules 1 to 2"}},
      {"events:\n  - {at: 1m, inject: power_cable_cut, module: 5}\n",
       {"line 2", "events[0].module", "1 <= value <= 4"}},
      {"events:\n  - {at: 1m, inject: fuse_blown, bdu: 2}\n",
       {"line 2", "events[0].bdu", "BDU 2 does not exist", "one BDU (bdu: 1)"}},
      {"events:\n  - {at: 1m, inject: cell_internal_short, module: 1, cell: 17, ohm: 1}\n",
       {"line 2", "events[0].cell", "cell 17 does not exist", "cells 1 to 16"}},
      {"events:\n  - {at: 1m, inject: sensor_failure, module: 1, sensor: cell_temperature, "
       "channel: 9, failure: open}\n",
       {"line 2", "events[0].channel", "channel 9 does not exist", "1 to 8"}},
      {"events:\n  - {at: 1m, inject: bdu_network_cable_cut}\n",
       {"line 2", "events[0]", "needs two BDUs"}},
      {"expectations:\n  - {at: 1m, module: 4, state: Run}\n",
       {"line 2", "expectations[0].module", "module 4 does not exist"}},
      {"initial_soc: [0.5, 0.5, 0.5]\n",
       {"line 1", "initial_soc", "lists 3 values", "has 2 modules"}},
      {"initial_soc: [50, 50]\n", {"line 1", "initial_soc[0]", "0 <= value <= 1"}},
      // Wrong types and shapes.
      {"events:\n  - {at: 1m, inject: fuse_blown, bdu: one}\n",
       {"line 2", "events[0].bdu", "expected a whole number, found 'one'"}},
      {"events: {at: 1m}\n", {"line 1", "events", "expected a list"}},
      {"events:\n  - {at: 1m, inject: fuse_blown, dc_switch: open}\n",
       {"line 2", "events[0].dc_switch", "one event per list item"}},
      {"events:\n  - {at: 1m, inject: fuse_blown, module: 1}\n",
       {"line 2", "events[0].module", "the whole BDU"}},
      {"events:\n  - {at: 1m, clear: cell_internal_short, module: 1, cell: 1, ohm: 2}\n",
       {"line 2", "events[0].ohm", "takes no ohm"}},
      {"events:\n  - {at: 1m, inject: cell_internal_short, module: 1, cell: 1}\n",
       {"line 2", "events[0]", "missing key 'ohm'"}},
      {"events:\n  - {at: 1m, dc_switch: half}\n",
       {"line 2", "events[0].dc_switch", "'half' is not one of: open, closed"}},
      {"events:\n  - {at: 1m, install_firmware: \"1.2\"}\n",
       {"line 2", "events[0].install_firmware", "major.minor.patch"}},
      {"expectations:\n  - {at: 1m, module: 1, relays: open}\n",
       {"line 2", "expectations[0].relays", "BDU only"}},
      {"expectations:\n  - {at: 1m, no_codes: false}\n",
       {"line 2", "expectations[0].no_codes", "only no_codes: true"}},
      {"expectations:\n  - {at: 1m, lights: {status: off, alarm: on, L: [on, off]}}\n",
       {"line 2", "expectations[0].lights.L", "five SOC lights"}},
      {"expectations:\n  - {at: 1m, lights: {status: red on, alarm: on, L: [on, off, off, off, "
       "off]}}\n",
       {"line 2", "expectations[0].lights.status", "'red on' is not a status light"}},
      {"expectations:\n  - {at: 1m, lights: {status: off, L: [on, off, off, off, off]}}\n",
       {"line 2", "expectations[0].lights", "missing key 'alarm'"}},
      {"expectations:\n  - {at: 1m, soc_percent: [60, 40]}\n",
       {"line 2", "expectations[0].soc_percent", "lowest SOC comes first"}},
      {"expectations:\n  - {at: 1m, bdu: 1}\n", {"line 2", "expectations[0]", "nothing to check"}},
      {"expectations:\n  - {at: 1m, charge_limit_A: {at_mots: 0}}\n",
       {"line 2", "expectations[0].charge_limit_A.at_mots", "did you mean 'at_most'?"}},
      {"expectations:\n  - {at: 1m, inverter_current_A: {at_least: 1}}\n",
       {"line 2", "expectations[0].inverter_current_A.at_least", "unknown key"}},
      {"household: {kind: constant_powr}\n",
       {"line 1", "household.kind", "'constant_powr' is not one of"}},
      {"events:\n  - [1m, fuse_blown]\n", {"line 2", "events[0]", "an event is a map"}},
      {"events:\n  - {at: 1m, inject: fuse_blown, inject: relay_welded}\n",
       {"line 2", "events[0].inject", "duplicate key"}},
      {"events:\n  - {at: 1m\n", {"line 3", "not valid YAML"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string message = refusal(c.yaml);
    ASSERT_FALSE(message.empty()) << "accepted";
    EXPECT_EQ(message.rfind("test.yaml, line ", 0), 0u) << message;
    for (const char* text : c.mentions) EXPECT_MENTIONS(message, std::string(text));
  }
}

TEST(ScenarioLoader, ReadsTheInverterLinkTimeoutAndPollInterval) {
  const sim::Scenario defaults = parse_scenario("name: x\n", "test.yaml");
  EXPECT_EQ(defaults.inverter_timeout_ms, 60000u);
  EXPECT_EQ(defaults.inverter_poll_interval_us, 1000000u);
  const sim::Scenario set = parse_scenario(
      "inverter_link: {protocol: sofar, timeout_s: 120, poll_interval_s: 90}\n", "test.yaml");
  EXPECT_EQ(set.inverter_timeout_ms, 120000u);
  EXPECT_EQ(set.inverter_poll_interval_us, 90000000u);
}

TEST(ScenarioLoader, ChecksTimesAgainstTheDurationActuallyRun) {
  const sim::Scenario s = parse_scenario("events:\n  - {at: 2h, inject: fuse_blown}\n", "run.yaml");
  const auto e10 = load_system_description("e10");
  EXPECT_NO_THROW(validate_scenario(s, e10));  // no duration in the file
  EXPECT_NO_THROW(validate_scenario(s, e10, 7200.0));
  try {
    validate_scenario(s, e10, 3600.0);
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    const std::string message = e.what();
    EXPECT_MENTIONS(message, "run.yaml, line 2");
    EXPECT_MENTIONS(message, "events[0].at");
    EXPECT_MENTIONS(message, "after the end of the run (01:00:00)");
  }
}

TEST(ScenarioLoader, ChecksPlacesAgainstTheSystemActuallyRun) {
  const sim::Scenario s = parse_scenario(
      "system: e40\nevents:\n  - {at: 1m, inject: heater_stuck_on, bdu: 2,\n     module: 4}\n",
      "place.yaml");
  EXPECT_NO_THROW(validate_scenario(s, load_system_description("e40")));
  try {
    validate_scenario(s, load_system_description("e20"));  // bdu 2 does not exist
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    EXPECT_MENTIONS(std::string(e.what()), "place.yaml, line 3: events[0].bdu: BDU 2 does not");
  }
  const sim::Scenario one = parse_scenario(
      "events:\n  - {at: 1m, inject: heater_stuck_on,\n     module: 4}\n", "place.yaml");
  try {
    validate_scenario(one, load_system_description("e15"));
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    // The line of the module key, not of the event.
    EXPECT_MENTIONS(std::string(e.what()),
                    "place.yaml, line 3: events[0].module: module 4 does not exist; BDU 1 of "
                    "system e15 has modules 1 to 3");
  }
}

}  // namespace
}  // namespace bts::app
