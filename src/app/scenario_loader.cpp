#include "app/scenario_loader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/duration.hpp"
#include "app/yaml_fields.hpp"
#include "plant/profiles.hpp"

#ifndef BTS_SCENARIO_SOURCE_DIR
#define BTS_SCENARIO_SOURCE_DIR "scenarios"
#endif

namespace bts::app {

namespace {

using plant::PlantFaultKind;
using sim::Expectation;
using sim::ExpectationKind;
using sim::Scenario;
using sim::ScenarioEvent;
using sim::ScenarioEventKind;

const std::vector<std::string> kEventKinds = {
    "press_black_start", "dc_switch",    "inject",           "clear",          "silence_inverter",
    "household_power_W", "ambient_degC", "install_firmware", "firmware_update"};

/// Keys that say where or how much, shared by the event kinds.
const std::vector<std::string> kEventParameters = {
    "at", "bdu", "module", "cell", "channel", "sensor", "failure", "relay", "ohm", "W", "degC"};

const std::vector<std::string> kCheckKeys = {"state",
                                             "lights",
                                             "active",
                                             "inactive",
                                             "no_codes",
                                             "relays",
                                             "charge_limit_A",
                                             "discharge_limit_A",
                                             "inverter_current_A",
                                             "soc_percent",
                                             "current_A"};

std::string join(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

/// "unknown X 'y'; did you mean 'z'?" or "...; allowed: a, b, c".
std::string unknown_name(const std::string& what, const std::string& name,
                         const std::vector<std::string>& known) {
  std::string text = "unknown " + what + " '" + name + "'";
  const std::string suggestion = closest_name(name, known);
  if (!suggestion.empty()) return text + "; did you mean '" + suggestion + "'?";
  return text + "; allowed: " + join(known);
}

std::vector<std::string> fault_names() {
  std::vector<std::string> names;
  for (int k = 0; k < 256; ++k) {
    const std::string name = plant::fault_kind_name(static_cast<PlantFaultKind>(k));
    if (name == "unknown") break;
    names.push_back(name);
  }
  return names;
}

/// A time in the file: "10m", "90s", "1.5h", or seconds; never negative.
double read_time(const YamlSource& source, const YAML::Node& node, const std::string& path) {
  const std::string text = read_text(source, node, path);
  std::string error;
  const auto value = parse_duration_s(text, error);
  if (!value) {
    if (!text.empty() && text.front() == '-') {
      source.fail(node, path,
                  "'" + text +
                      "' is a time in the past; times count from the start of the run "
                      "(0s) on, e.g. 90s, 15m, 2h, 1d");
    }
    source.fail(node, path, "'" + text + "' is not a time (use e.g. 0s, 90s, 15m, 2h, 1d)");
  }
  return *value;
}

/// Checks a time against the scenario's duration when it has one.
void check_time_within(const YamlSource& source, const YAML::Node& node, const std::string& path,
                       double time_s, const std::optional<double>& duration_s) {
  if (duration_s && time_s > *duration_s) {
    source.fail(node, path,
                "at " + format_duration(time_s) + " is after the end of the scenario (duration " +
                    format_duration(*duration_s) + "); allowed 0s to the duration");
  }
}

/// A 1-based number under key (bdu, module, cell, channel) as a 0-based index, or fallback when
/// the key is absent. line receives the key's line.
int read_index(MapReader& r, const std::string& key, int max, int fallback, int& line) {
  const YAML::Node* node = r.find(key);
  if (node == nullptr) return fallback;
  line = line_of(*node);
  return read_integer(r.source(), *node, r.key_path(key), 1, max) - 1;
}

void refuse_key(const MapReader& r, const std::string& key, const std::string& reason) {
  if (r.has(key)) r.fail(key, reason);
}

// --- Names of the things a fault acts on ---------------------------------------------------------

const std::vector<std::pair<std::string, plant::ModuleSensor>>& sensor_choices() {
  using S = plant::ModuleSensor;
  static const std::vector<std::pair<std::string, S>> choices = {
      {"cell_voltage", S::CellVoltage},
      {"cell_temperature", S::CellTemperature},
      {"stack_voltage", S::StackVoltage},
      {"current", S::Current},
      {"terminal_temperature", S::TerminalTemperature},
      {"ambient_temperature", S::AmbientTemperature},
      {"pcu_temperature", S::PcuTemperature},
      {"bus_voltage", S::BusVoltage}};
  return choices;
}

template <class Enum>
Enum read_named(MapReader& r, const std::string& key, const std::string& what,
                const std::vector<std::pair<std::string, Enum>>& choices) {
  const YAML::Node* node = r.find(key);
  const std::string path = r.key_path(key);
  const std::string text = read_text(r.source(), *node, path);
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) {
    if (normalise_choice(name) == normalise_choice(text)) return value;
    names.push_back(name);
  }
  r.source().fail(*node, path, unknown_name(what, text, names));
}

// --- Events ------------------------------------------------------------------------------------

enum class Where { Bdu, Module, ModuleOrAll, Cell, System };

struct FaultShape {
  Where where;
  const char* value_key;  // nullptr: none
  bool value_required;
  Range range;
};

FaultShape fault_shape(PlantFaultKind kind) {
  switch (kind) {
    case PlantFaultKind::CellExternalHeat:
      return {Where::Cell, "W", true, Range::above(0.0, 10000.0)};
    case PlantFaultKind::AmbientOverride:
      return {Where::ModuleOrAll, "degC", true, Range::closed(-40.0, 85.0)};
    case PlantFaultKind::MemoryWriteFailure:  // without module: the BDU's own memory
      return {Where::ModuleOrAll, nullptr, false, Range::any()};
    case PlantFaultKind::CellInternalShort:
      return {Where::Cell, "ohm", true, Range::above(0.0, 1e6)};
    case PlantFaultKind::ModuleTerminalLoose:
      return {Where::Module, "ohm", false, Range::above(0.0, 1000.0)};
    case PlantFaultKind::HeaterStuckOn:
    case PlantFaultKind::SensorFailure:
    case PlantFaultKind::PcuFailure:
    case PlantFaultKind::PowerCableReversed:
    case PlantFaultKind::PowerCableCut:
    case PlantFaultKind::LinkCableCut:
      return {Where::Module, nullptr, false, Range::any()};
    case PlantFaultKind::BduNetworkCableCut:
      return {Where::System, nullptr, false, Range::any()};
    case PlantFaultKind::FuseBlown:
    case PlantFaultKind::RelayWelded:
    case PlantFaultKind::BduOutputTerminalLoose:
    case PlantFaultKind::TerminalResistorRemoved:
    case PlantFaultKind::InverterCableCut:
    case PlantFaultKind::InverterCommunicationCut:
    case PlantFaultKind::InverterIgnoresLimits:
      break;
  }
  return {Where::Bdu, nullptr, false, Range::any()};
}

/// inject or clear: kind_node is the value of that key (the fault's name).
void read_fault(MapReader& r, bool inject, const YAML::Node& kind_node,
                const std::string& kind_path, ScenarioEvent& e) {
  const std::string name = read_text(r.source(), kind_node, kind_path);
  PlantFaultKind kind{};
  if (!plant::fault_kind_from_name(name, kind)) {
    r.source().fail(kind_node, kind_path, unknown_name("fault", name, fault_names()));
  }
  const FaultShape shape = fault_shape(kind);
  plant::PlantFault& f = e.fault;
  f.kind = kind;

  // Where: BDU (from 1, default 1), module, cell.
  if (shape.where == Where::System) {
    refuse_key(r, "bdu", name + " is the cable between the two BDUs: it takes no bdu");
    e.bdu = 0;
  } else {
    e.bdu = read_index(r, "bdu", plant::SystemDescription::kMaxBdus, 0, e.bdu_line);
  }
  const bool takes_module = shape.where == Where::Module || shape.where == Where::ModuleOrAll ||
                            shape.where == Where::Cell;
  if (takes_module) {
    if (shape.where != Where::ModuleOrAll && !r.has("module")) {
      r.fail("", "missing key 'module' (1 to " +
                     std::to_string(plant::SystemDescription::kMaxModulesPerBdu) + "): " + name +
                     " acts on one module");
    }
    e.module =
        read_index(r, "module", plant::SystemDescription::kMaxModulesPerBdu, -1, e.module_line);
  } else {
    refuse_key(r, "module",
               name + " acts on " +
                   (shape.where == Where::System ? "the system" : "the whole BDU") +
                   ": it takes no module");
    e.module = -1;
  }
  if (shape.where == Where::Cell) {
    if (!r.has("cell")) r.fail("", "missing key 'cell': " + name + " acts on one cell");
    f.index = read_index(r, "cell", plant::kMaxCellsPerModule, 0, e.index_line);
  } else {
    refuse_key(r, "cell", name + " takes no cell");
  }

  // What exactly: sensor channel and failure, PCU failure, relay.
  if (kind == PlantFaultKind::SensorFailure) {
    if (!r.has("sensor")) {
      r.fail("",
             "missing key 'sensor' (which channel fails): one of cell_voltage, "
             "cell_temperature, stack_voltage, current, terminal_temperature, "
             "ambient_temperature, pcu_temperature, bus_voltage");
    }
    f.sensor = read_named(r, "sensor", "sensor", sensor_choices());
    const bool per_channel = f.sensor == plant::ModuleSensor::CellVoltage ||
                             f.sensor == plant::ModuleSensor::CellTemperature;
    if (per_channel) {
      if (!r.has("channel")) {
        r.fail("", "missing key 'channel': which of the module's " +
                       std::string(f.sensor == plant::ModuleSensor::CellVoltage
                                       ? "cell voltage channels (one per cell, from 1)"
                                       : "cell temperature sensors (from 1)"));
      }
      const int max = f.sensor == plant::ModuleSensor::CellVoltage
                          ? plant::kMaxCellsPerModule
                          : plant::kMaxTemperatureSensorsPerModule;
      f.index = read_index(r, "channel", max, 0, e.index_line);
    } else {
      refuse_key(r, "channel", "this sensor has one channel: it takes no channel");
    }
    if (inject) {
      if (!r.has("failure")) r.fail("", "missing key 'failure': one of open, short, stuck");
      f.sensor_failure = read_named<plant::SensorFailure>(r, "failure", "sensor failure",
                                                          {{"open", plant::SensorFailure::Open},
                                                           {"short", plant::SensorFailure::Short},
                                                           {"stuck", plant::SensorFailure::Stuck}});
    } else {
      refuse_key(r, "failure", "clear switches the channel back to healthy: it takes no failure");
    }
  } else if (kind == PlantFaultKind::PcuFailure) {
    if (inject) {
      if (!r.has("failure")) {
        r.fail("",
               "missing key 'failure': one of dead, ignores_command, cooling_blocked, "
               "current_limit_lost");
      }
      f.pcu_failure = read_named<plant::PcuFailure>(
          r, "failure", "PCU failure",
          {{"dead", plant::PcuFailure::Dead},
           {"ignores_command", plant::PcuFailure::IgnoresCommand},
           {"cooling_blocked", plant::PcuFailure::CoolingBlocked},
           {"current_limit_lost", plant::PcuFailure::CurrentLimitLost}});
    } else {
      refuse_key(r, "failure", "clear repairs the PCU: it takes no failure");
    }
  } else if (kind == PlantFaultKind::RelayWelded) {
    if (!r.has("relay")) {
      r.fail("", "missing key 'relay': one of positive_main, negative_main, precharge");
    }
    f.relay = read_named<plant::RelayId>(r, "relay", "relay",
                                         {{"positive_main", plant::RelayId::PositiveMain},
                                          {"negative_main", plant::RelayId::NegativeMain},
                                          {"precharge", plant::RelayId::Precharge}});
  }

  // How much: W, degC or ohm.
  if (shape.value_key != nullptr) {
    const std::string key = shape.value_key;
    if (inject) {
      if (shape.value_required && !r.has(key)) {
        r.fail("", "missing key '" + key + "': inject " + name + " needs it (" +
                       shape.range.describe() + ")");
      }
      r.number(key, f.value, shape.range);
    } else {
      refuse_key(r, key, "clear switches the fault off: it takes no " + key);
    }
  }
  f.bdu = e.bdu;
  f.module = e.module;
  e.kind = inject ? ScenarioEventKind::InjectFault : ScenarioEventKind::ClearFault;
}

sim::FirmwareVersionText read_version(const YamlSource& source, const YAML::Node& node,
                                      const std::string& path) {
  const std::string text = read_text(source, node, path);
  sim::FirmwareVersionText version;
  int* parts[3] = {&version.major, &version.minor, &version.patch};
  std::size_t start = 0;
  bool ok = true;
  for (int i = 0; i < 3 && ok; ++i) {
    const std::size_t end = i < 2 ? text.find('.', start) : text.size();
    if (end == std::string::npos || end == start || end - start > 3) {
      ok = false;
      break;
    }
    int value = 0;
    for (std::size_t k = start; k < end; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(text[k]))) ok = false;
      value = value * 10 + (text[k] - '0');
    }
    if (value > 255) ok = false;
    *parts[i] = value;
    start = end + 1;
  }
  if (!ok) {
    source.fail(node, path,
                "'" + text +
                    "' is not a firmware version; write major.minor.patch, each 0 to 255, "
                    "quoted: \"0.1.0\"");
  }
  return version;
}

ScenarioEvent read_event(const YamlSource& source, const YAML::Node& node, const std::string& path,
                         const std::optional<double>& duration_s) {
  if (!node.IsMap()) {
    source.fail(node, path,
                "an event is a map: {at: 10m, <kind>: ...}; kinds: " + join(kEventKinds));
  }
  MapReader r(source, node, path);  // refuses odd and duplicate keys first
  // Which kind: exactly one kind key.
  std::vector<std::pair<std::string, YAML::Node>> kinds;
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    if (contains(kEventKinds, key)) {
      kinds.emplace_back(key, item.first);
    }
  }
  if (kinds.empty()) {
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      if (contains(kEventParameters, key)) continue;
      source.fail(item.first, child_path(path, key), unknown_name("event kind", key, kEventKinds));
    }
    source.fail(node, path, "no event kind; an event has 'at' and one of: " + join(kEventKinds));
  }
  if (kinds.size() > 1) {
    source.fail(kinds[1].second, child_path(path, kinds[1].first),
                "one event per list item: this one has both '" + kinds[0].first + "' and '" +
                    kinds[1].first + "'");
  }
  const std::string kind = kinds[0].first;

  ScenarioEvent e;
  e.path = path;
  e.line = line_of(node);
  const YAML::Node* at = r.find("at");
  if (at == nullptr) r.fail("", "missing key 'at': when the event happens, e.g. at: 10m");
  e.time_s = read_time(source, *at, r.key_path("at"));
  check_time_within(source, *at, r.key_path("at"), e.time_s, duration_s);

  const YAML::Node& value = *r.find(kind);
  const std::string value_path = r.key_path(kind);
  const auto read_bdu = [&] {
    e.bdu = read_index(r, "bdu", plant::SystemDescription::kMaxBdus, 0, e.bdu_line);
  };
  if (kind == "inject" || kind == "clear") {
    read_fault(r, kind == "inject", value, value_path, e);
  } else if (kind == "press_black_start") {
    e.kind = ScenarioEventKind::PressBlackStart;
    e.duration_s = read_time(source, value, value_path);
    if (e.duration_s <= 0.0 || e.duration_s > 600.0) {
      source.fail(value, value_path,
                  "how long the button is held: more than 0s and at most 10m, e.g. 3s");
    }
    read_bdu();
  } else if (kind == "dc_switch") {
    e.kind = ScenarioEventKind::SetDcSwitch;
    e.flag = read_choice<bool>(source, value, value_path, {{"open", false}, {"closed", true}});
    read_bdu();
  } else if (kind == "silence_inverter") {
    e.kind = ScenarioEventKind::SilenceInverter;
    e.flag = read_boolean(source, value, value_path);
  } else if (kind == "household_power_W") {
    e.kind = ScenarioEventKind::SetHouseholdPower;
    e.value = read_number(source, value, value_path, Range::closed(-50000.0, 50000.0));
  } else if (kind == "ambient_degC") {
    e.kind = ScenarioEventKind::SetAmbient;
    e.value = read_number(source, value, value_path, Range::closed(-40.0, 60.0));
  } else if (kind == "install_firmware") {
    e.kind = ScenarioEventKind::InstallFirmware;
    e.version = read_version(source, value, value_path);
    read_bdu();
    e.module =
        read_index(r, "module", plant::SystemDescription::kMaxModulesPerBdu, -1, e.module_line);
  } else if (kind == "firmware_update") {
    e.kind = ScenarioEventKind::RequestFirmwareUpdate;
    e.version = read_version(source, value, value_path);
    read_bdu();
  }
  r.finish();
  return e;
}

// --- Expectations ------------------------------------------------------------------------------

firmware::LightMode read_light_mode(const YamlSource& source, const YAML::Node& node,
                                    const std::string& path) {
  using M = firmware::LightMode;
  return read_choice<M>(
      source, node, path,
      {{"off", M::Off}, {"on", M::On}, {"flash", M::Flash}, {"flashing", M::Flash}});
}

firmware::Code read_code(const YamlSource& source, const YAML::Node& node,
                         const std::string& path) {
  const std::string text = read_text(source, node, path);
  std::vector<std::string> labels;
  for (const auto& info : firmware::kCodeTable) {
    if (normalise_choice(std::string(info.label)) == normalise_choice(text)) return info.code;
    labels.emplace_back(info.label);
  }
  source.fail(
      node, path,
      unknown_name("code", text, labels) + " (the manual's alarms A1 to A9 and faults F1 to F17)");
}

/// The pattern the manual gives a code: status off, alarm flashing (alarm) or on (fault), the
/// code's SOC lights on.
firmware::LightPattern code_pattern(firmware::Code code) {
  const firmware::CodeInfo& info = firmware::code_info(code);
  firmware::LightPattern pattern;
  pattern.alarm = firmware::is_fault(code) ? firmware::LightMode::On : firmware::LightMode::Flash;
  for (std::size_t i = 0; i < pattern.soc.size(); ++i) {
    pattern.soc[i] = info.soc_lights[i] ? firmware::LightMode::On : firmware::LightMode::Off;
  }
  return pattern;
}

firmware::LightPattern read_lights(const YamlSource& source, const YAML::Node& node,
                                   const std::string& path) {
  if (node.IsScalar()) return code_pattern(read_code(source, node, path));
  MapReader r(source, node, path);
  for (const char* key : {"status", "alarm", "L"}) {
    if (!r.has(key)) {
      r.fail("", std::string("missing key '") + key +
                     "'; lights are {status: off|on|flash|green on|green flash|blue on|blue flash, "
                     "alarm: off|on|flash, L: [five of off|on|flash]} or a code such as F10");
    }
  }
  firmware::LightPattern pattern;
  {
    const YAML::Node* status = r.find("status");
    const std::string status_path = r.key_path("status");
    const std::string text = read_text(source, *status, status_path);
    std::string words;
    for (const char c : text) {
      words += (c == '-' || c == '_')
                   ? ' '
                   : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::istringstream in(words);
    std::vector<std::string> parts;
    for (std::string part; in >> part;) parts.push_back(part);
    bool ok = !parts.empty() && parts.size() <= 2;
    std::string mode_word = parts.empty() ? "" : parts.back();
    if (ok && parts.size() == 2) {
      if (parts[0] == "green") {
        pattern.status_colour = firmware::StatusColour::Green;
      } else if (parts[0] == "blue") {
        pattern.status_colour = firmware::StatusColour::Blue;
      } else {
        ok = false;
      }
    }
    if (mode_word == "off") {
      pattern.status = firmware::LightMode::Off;
      if (parts.size() == 2) ok = false;
    } else if (mode_word == "on") {
      pattern.status = firmware::LightMode::On;
    } else if (mode_word == "flash" || mode_word == "flashing") {
      pattern.status = firmware::LightMode::Flash;
    } else {
      ok = false;
    }
    if (!ok) {
      source.fail(*status, status_path,
                  "'" + text +
                      "' is not a status light; allowed: off, on, flash (any colour), green on, "
                      "green flash, blue on, blue flash");
    }
  }
  pattern.alarm = read_light_mode(source, *r.find("alarm"), r.key_path("alarm"));
  const YAML::Node& soc = *r.find("L");
  const std::string soc_path = r.key_path("L");
  require_list(source, soc, soc_path);
  if (soc.size() != pattern.soc.size()) {
    source.fail(
        soc, soc_path,
        "expected the five SOC lights [L1, L2, L3, L4, L5], found " + std::to_string(soc.size()));
  }
  for (std::size_t i = 0; i < pattern.soc.size(); ++i) {
    pattern.soc[i] = read_light_mode(source, soc[i], index_path(soc_path, i));
  }
  r.finish();
  return pattern;
}

std::string read_state(const YamlSource& source, const YAML::Node& node, const std::string& path) {
  const std::string text = read_text(source, node, path);
  for (const auto& name : known_state_names()) {
    if (normalise_choice(name) == normalise_choice(text)) return name;
  }
  source.fail(node, path, unknown_name("state", text, known_state_names()));
}

/// {at_most: x} and/or {at_least: y}: one expectation per bound.
void read_bounds(const YamlSource& source, const YAML::Node& node, const std::string& path,
                 const Expectation& base, ExpectationKind at_most, ExpectationKind at_least,
                 bool allow_at_least, std::vector<Expectation>& out,
                 Range amps = Range::closed(0.0, 1000.0)) {
  MapReader r(source, node, path);
  bool any = false;
  if (const YAML::Node* v = r.find("at_most")) {
    Expectation e = base;
    e.kind = at_most;
    e.value = read_number(source, *v, r.key_path("at_most"), amps);
    e.path = r.key_path("at_most");
    out.push_back(e);
    any = true;
  }
  if (allow_at_least) {
    if (const YAML::Node* v = r.find("at_least")) {
      Expectation e = base;
      e.kind = at_least;
      e.value = read_number(source, *v, r.key_path("at_least"), amps);
      e.path = r.key_path("at_least");
      out.push_back(e);
      any = true;
    }
  }
  r.finish();
  if (!any) {
    r.fail("",
           allow_at_least ? "expected {at_most: A} and/or {at_least: A}" : "expected {at_most: A}");
  }
}

void read_expectation_item(const YamlSource& source, const YAML::Node& node,
                           const std::string& path, const std::optional<double>& duration_s,
                           std::vector<Expectation>& out) {
  if (!node.IsMap()) {
    source.fail(
        node, path,
        "an expectation is a map: {at: 15m, bdu: 1, <check>: ...}; checks: " + join(kCheckKeys));
  }
  MapReader r(source, node, path);
  Expectation base;
  base.line = line_of(node);
  const YAML::Node* at = r.find("at");
  if (at == nullptr) r.fail("", "missing key 'at': when to check, e.g. at: 15m");
  base.time_s = read_time(source, *at, r.key_path("at"));
  check_time_within(source, *at, r.key_path("at"), base.time_s, duration_s);
  base.bdu = read_index(r, "bdu", plant::SystemDescription::kMaxBdus, 0, base.bdu_line);
  base.module =
      read_index(r, "module", plant::SystemDescription::kMaxModulesPerBdu, -1, base.module_line);

  const std::size_t first = out.size();
  const auto bdu_only = [&](const std::string& key) {
    if (base.module >= 0) {
      r.fail(key, key + " is checked on a BDU only: leave out module (line " +
                      std::to_string(base.module_line) + ")");
    }
  };
  for (const auto& key : kCheckKeys) {
    const YAML::Node* value = r.find(key);
    if (value == nullptr) continue;
    const std::string key_path = r.key_path(key);
    Expectation e = base;
    e.path = key_path;
    if (key == "state") {
      e.kind = ExpectationKind::State;
      e.state = read_state(source, *value, key_path);
      out.push_back(e);
    } else if (key == "lights") {
      e.kind = ExpectationKind::Lights;
      e.lights = read_lights(source, *value, key_path);
      out.push_back(e);
    } else if (key == "active" || key == "inactive") {
      e.kind = key == "active" ? ExpectationKind::CodeActive : ExpectationKind::CodeInactive;
      if (value->IsSequence()) {
        if (value->size() == 0) source.fail(*value, key_path, "an empty list of codes");
        for (std::size_t i = 0; i < value->size(); ++i) {
          e.path = index_path(key_path, i);
          e.code = read_code(source, (*value)[i], e.path);
          out.push_back(e);
        }
      } else {
        e.code = read_code(source, *value, key_path);
        out.push_back(e);
      }
    } else if (key == "no_codes") {
      e.kind = ExpectationKind::NoCodes;
      if (!read_boolean(source, *value, key_path)) {
        source.fail(*value, key_path,
                    "only no_codes: true makes sense; to expect a code, use active: <code>");
      }
      out.push_back(e);
    } else if (key == "relays") {
      bdu_only(key);
      e.kind = ExpectationKind::RelaysClosed;
      e.flag = read_choice<bool>(source, *value, key_path, {{"open", false}, {"closed", true}});
      out.push_back(e);
    } else if (key == "charge_limit_A") {
      bdu_only(key);
      read_bounds(source, *value, key_path, e, ExpectationKind::ChargeLimitAtMost,
                  ExpectationKind::ChargeLimitAtLeast, true, out);
    } else if (key == "discharge_limit_A") {
      bdu_only(key);
      read_bounds(source, *value, key_path, e, ExpectationKind::DischargeLimitAtMost,
                  ExpectationKind::DischargeLimitAtLeast, true, out);
    } else if (key == "inverter_current_A") {
      bdu_only(key);
      read_bounds(source, *value, key_path, e, ExpectationKind::InverterCurrentAtMost,
                  ExpectationKind::InverterCurrentAtMost, false, out);
    } else if (key == "current_A") {
      if (base.module < 0) {
        r.fail(key, "current_A is a module's measured current: name the module");
      }
      read_bounds(source, *value, key_path, e, ExpectationKind::ModuleCurrentAtMost,
                  ExpectationKind::ModuleCurrentAtLeast, true, out, Range::closed(-1000.0, 1000.0));
    } else if (key == "soc_percent") {
      e.kind = ExpectationKind::SocBetween;
      require_list(source, *value, key_path);
      if (value->size() != 2) {
        source.fail(*value, key_path, "expected [lowest, highest] in percent, e.g. [40, 60]");
      }
      e.value = read_number(source, (*value)[0], index_path(key_path, 0), Range::closed(0, 100));
      e.value_high =
          read_number(source, (*value)[1], index_path(key_path, 1), Range::closed(0, 100));
      if (e.value_high < e.value) {
        source.fail(*value, key_path, "the lowest SOC comes first: [lowest, highest]");
      }
      out.push_back(e);
    }
  }
  r.finish();
  if (out.size() == first) {
    r.fail("",
           "nothing to check; an expectation has 'at', optionally bdu and module, and one or "
           "more of: " +
               join(kCheckKeys));
  }
}

// --- The whole file ------------------------------------------------------------------------------

std::vector<double> read_number_list(const YamlSource& source, const YAML::Node& node,
                                     const std::string& path, const Range& range,
                                     const std::string& what) {
  if (!node.IsSequence()) {
    source.fail(node, path,
                "expected a list with one " + what +
                    " per module, in order (BDU 1's "
                    "modules first), e.g. [0.8, 0.6]");
  }
  std::vector<double> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    values.push_back(read_number(source, node[i], index_path(path, i), range));
  }
  const auto max = static_cast<std::size_t>(plant::SystemDescription::kMaxBdus *
                                            plant::SystemDescription::kMaxModulesPerBdu);
  if (values.empty() || values.size() > max) {
    source.fail(node, path, "expected 1 to " + std::to_string(max) + " values, one per module");
  }
  return values;
}

/// inverter_link: {protocol: sofar | pylon-hv, pylon_dialect: spec | sofar-hyd | ...,
/// timeout_s: 60..600, poll_interval_s: 0.01..600, honours_full_charge_request: bool,
/// honours_force_charge_request: bool}
void read_inverter_link(MapReader r, Scenario& s) {
  if (r.has("timeout_s")) {
    double timeout_s = 0.0;
    r.number("timeout_s", timeout_s,
             Range::closed(firmware::kMinInverterTimeout_ms / 1000.0,
                           firmware::kMaxInverterTimeout_ms / 1000.0));
    s.inverter_timeout_ms = static_cast<firmware::TimeMs>(std::llround(timeout_s * 1000.0));
  }
  if (r.has("poll_interval_s")) {
    double interval_s = 0.0;
    r.number("poll_interval_s", interval_s, Range::closed(0.01, 600.0));
    s.inverter_poll_interval_us = static_cast<std::uint64_t>(std::llround(interval_s * 1e6));
  }
  if (const YAML::Node* protocol = r.find("protocol")) {
    s.inverter_protocol = read_choice<firmware::InverterProtocol>(
        r.source(), *protocol, r.key_path("protocol"),
        {{"sofar", firmware::InverterProtocol::SofarExtended},
         {"pylon-hv", firmware::InverterProtocol::PylonHv}});
  }
  if (const YAML::Node* dialect = r.find("pylon_dialect")) {
    std::vector<std::pair<std::string, firmware::pylon_hv::PylonDialect>> choices;
    for (const auto& named : firmware::pylon_hv::kNamedDialects)
      choices.emplace_back(std::string(named.name), named.dialect);
    s.pylon_dialect = read_choice(r.source(), *dialect, r.key_path("pylon_dialect"), choices);
  }
  for (auto [key, setting] :
       {std::pair{"honours_full_charge_request", &s.honours_full_charge_request},
        std::pair{"honours_force_charge_request", &s.honours_force_charge_request}}) {
    if (!r.has(key)) continue;
    bool value = false;
    r.boolean(key, value);
    *setting = value;
  }
  r.finish();
}

Scenario read_scenario(const YamlSource& source, const YAML::Node& root,
                       const std::string& csv_directory) {
  if (!root.IsMap()) {
    source.fail(root, "", "a scenario file is a map of keys (name, system, duration, events, ...)");
  }
  MapReader top(source, root, "");
  Scenario s;
  s.file = source.file();
  top.text("name", s.name);
  top.text("description", s.description);
  top.text("system", s.system);
  if (s.system.empty()) top.fail("system", "a built-in system (e5 ... e40) or a file");
  if (const YAML::Node* node = top.find("duration")) {
    s.duration_s = read_time(source, *node, "duration");
    if (*s.duration_s <= 0.0) source.fail(*node, "duration", "a run lasts more than 0s");
  }
  if (const YAML::Node* node = top.find("seed")) s.seed = read_unsigned64(source, *node, "seed");
  if (const YAML::Node* node = top.find("initial_soc")) {
    s.initial_soc_line = line_of(*node);
    s.initial_soc = read_number_list(source, *node, "initial_soc", Range::closed(0.0, 1.0),
                                     "state of charge 0..1 (0.5 is 50 %)");
  }
  if (const YAML::Node* node = top.find("initial_temperature_degC")) {
    s.initial_temperature_line = line_of(*node);
    s.initial_temperature_degC = read_number_list(source, *node, "initial_temperature_degC",
                                                  Range::closed(-40.0, 85.0), "temperature");
  }
  top.boolean("start_activated", s.start_activated);
  read_inverter_link(top.section("inverter_link"), s);
  if (const YAML::Node* sharing = top.find("module_sharing")) {
    s.module_sharing = read_choice<firmware::ModuleSharing>(
        source, *sharing, "module_sharing",
        {{"remaining-charge", firmware::ModuleSharing::RemainingCharge},
         {"equal", firmware::ModuleSharing::Equal}});
  }

  const YAML::Node* household = top.find("household");
  if (household != nullptr) {
    plant::HouseholdProfileParameters parameters;
    read_household(MapReader(source, *household, "household"), parameters, csv_directory,
                   s.seed.value_or(1));
    s.household = parameters;
  }
  if (const YAML::Node* ambient = top.find("ambient")) {
    plant::AmbientProfileParameters parameters;
    MapReader reader(source, *ambient, "ambient");
    s.ambient_follows_household_clock = !reader.has("start_time_h");
    read_ambient(reader, parameters, csv_directory);
    s.ambient = parameters;
  }
  {
    MapReader protection = top.section("protection");
    protection.number("min_cell_voltage_V", s.protection_min_cell_voltage_V,
                      Range::closed(0.0, 5.0));
    protection.number("max_cell_voltage_V", s.protection_max_cell_voltage_V,
                      Range::closed(0.0, 5.0));
    if (s.protection_max_cell_voltage_V <= s.protection_min_cell_voltage_V) {
      protection.fail("max_cell_voltage_V", "must be above protection.min_cell_voltage_V");
    }
    protection.number("max_cell_temperature_degC", s.protection_max_cell_temperature_degC,
                      Range::closed(-40.0, 150.0));
    protection.finish();
  }
  if (const YAML::Node* events = top.find("events")) {
    if (!events->IsNull()) {
      require_list(source, *events, "events");
      for (std::size_t i = 0; i < events->size(); ++i) {
        s.events.push_back(read_event(source, (*events)[i], index_path("events", i), s.duration_s));
      }
    }
  }
  if (const YAML::Node* expectations = top.find("expectations")) {
    if (!expectations->IsNull()) {
      require_list(source, *expectations, "expectations");
      for (std::size_t i = 0; i < expectations->size(); ++i) {
        read_expectation_item(source, (*expectations)[i], index_path("expectations", i),
                              s.duration_s, s.expectations);
      }
    }
  }
  top.finish();

  // Listed in any order; run in time order (the order written breaks ties).
  std::stable_sort(
      s.events.begin(), s.events.end(),
      [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.time_s < b.time_s; });
  std::stable_sort(s.expectations.begin(), s.expectations.end(),
                   [](const Expectation& a, const Expectation& b) { return a.time_s < b.time_s; });
  return s;
}

std::string node_label(int bdu, int module) {
  std::string text = "BDU" + std::to_string(bdu + 1);
  if (module >= 0) text += ".M" + std::to_string(module + 1);
  return text;
}

}  // namespace

std::string scenario_directory() {
  const char* from_environment = std::getenv("BTS_SCENARIO_DIR");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return BTS_SCENARIO_SOURCE_DIR;
}

std::vector<std::string> builtin_scenario_names() {
  std::vector<std::string> names;
  std::error_code code;
  for (const auto& entry : std::filesystem::directory_iterator(scenario_directory(), code)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

sim::Scenario parse_scenario(const std::string& yaml_text, const std::string& file_label,
                             const std::string& csv_directory) {
  const YamlSource source(file_label);
  try {
    YAML::Node root;
    try {
      root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
      source.fail(e.mark, "", "not valid YAML: " + e.msg);
    }
    return read_scenario(source, root, csv_directory);
  } catch (const SystemDescriptionError& e) {
    // The shared YAML helpers speak of system descriptions; the message itself is the same.
    throw ScenarioError(e.what());
  }
}

sim::Scenario load_scenario(const std::string& name_or_path) {
  std::filesystem::path path(name_or_path);
  std::error_code code;
  if (!std::filesystem::is_regular_file(path, code)) {
    const std::filesystem::path builtin =
        std::filesystem::path(scenario_directory()) / (name_or_path + ".yaml");
    const bool plain_name = name_or_path.find('/') == std::string::npos && !name_or_path.empty();
    if (plain_name && std::filesystem::is_regular_file(builtin, code)) {
      path = builtin;
    } else {
      const auto names = builtin_scenario_names();
      throw ScenarioError("'" + name_or_path + "' is neither a built-in scenario (" +
                          (names.empty() ? "none found in " + scenario_directory() : join(names)) +
                          ") nor a readable file");
    }
  }
  std::ifstream file(path);
  if (!file) throw ScenarioError("cannot read scenario file '" + path.string() + "'");
  std::ostringstream text;
  text << file.rdbuf();
  const std::string label =
      path == std::filesystem::path(name_or_path) ? name_or_path : path.filename().string();
  sim::Scenario scenario = parse_scenario(text.str(), label, path.parent_path().string());
  if (scenario.name.empty()) scenario.name = path.stem().string();
  return scenario;
}

void validate_scenario(const sim::Scenario& scenario, const plant::SystemDescription& system,
                       std::optional<double> run_duration_s) {
  const auto fail = [&](int line, const std::string& path, const std::string& problem) {
    std::string message = scenario.file.empty() ? std::string("scenario") : scenario.file;
    if (line > 0) message += ", line " + std::to_string(line);
    message += ": ";
    if (!path.empty()) message += path + ": ";
    throw ScenarioError(message + problem);
  };
  const int bdu_count = static_cast<int>(system.bdus.size());
  const std::string system_label = "system " + system.name;
  const std::optional<double> end_s = run_duration_s ? run_duration_s : scenario.duration_s;

  const auto check_time = [&](double time_s, int line, const std::string& path) {
    if (end_s && time_s > *end_s) {
      fail(line, path + ".at",
           "at " + format_duration(time_s) + " is after the end of the run (" +
               format_duration(*end_s) + "); allowed 0s to the run's duration");
    }
  };
  const auto check_bdu = [&](int bdu, int line, const std::string& path) {
    if (bdu >= 0 && bdu < bdu_count) return;
    fail(line, path + ".bdu",
         "BDU " + std::to_string(bdu + 1) + " does not exist; " + system_label + " has " +
             (bdu_count == 1 ? "one BDU (bdu: 1)" : "BDUs 1 to " + std::to_string(bdu_count)));
  };
  const auto check_module = [&](int bdu, int module, int line, const std::string& path) {
    const int modules = static_cast<int>(system.bdus[static_cast<std::size_t>(bdu)].modules.size());
    if (module >= 0 && module < modules) return;
    fail(line, path + ".module",
         "module " + std::to_string(module + 1) + " does not exist; BDU " +
             std::to_string(bdu + 1) + " of " + system_label + " has " +
             (modules == 1 ? "one module (module: 1)" : "modules 1 to " + std::to_string(modules)));
  };

  for (const auto& e : scenario.events) {
    check_time(e.time_s, e.line, e.path);
    check_bdu(e.bdu, e.bdu_line > 0 ? e.bdu_line : e.line, e.path);
    if (e.module >= 0)
      check_module(e.bdu, e.module, e.module_line > 0 ? e.module_line : e.line, e.path);
    if (e.kind != ScenarioEventKind::InjectFault && e.kind != ScenarioEventKind::ClearFault)
      continue;
    const plant::PlantFault& f = e.fault;
    const int index_line = e.index_line > 0 ? e.index_line : e.line;
    if (f.kind == PlantFaultKind::BduNetworkCableCut && bdu_count < 2) {
      fail(e.line, e.path, "bdu_network_cable_cut needs two BDUs; " + system_label + " has one");
    }
    if (f.kind == PlantFaultKind::CellExternalHeat || f.kind == PlantFaultKind::CellInternalShort) {
      const int cells = system.module.cells_in_series;
      if (f.index >= cells) {
        fail(index_line, e.path + ".cell",
             "cell " + std::to_string(f.index + 1) + " does not exist; a module of " +
                 system_label + " has cells 1 to " + std::to_string(cells));
      }
    }
    if (f.kind == PlantFaultKind::SensorFailure) {
      int channels = 1;
      std::string what;
      if (f.sensor == plant::ModuleSensor::CellVoltage) {
        channels = system.module.cells_in_series;
        what = "cell voltage channels";
      } else if (f.sensor == plant::ModuleSensor::CellTemperature) {
        channels = system.module.cell_temperature_sensors;
        what = "cell temperature sensors";
      }
      if (f.index >= channels) {
        fail(index_line, e.path + ".channel",
             "channel " + std::to_string(f.index + 1) + " does not exist; a module of " +
                 system_label + " has " + what + " 1 to " + std::to_string(channels));
      }
    }
  }
  for (const auto& x : scenario.expectations) {
    // x.path names the check ("expectations[2].state"); the place keys sit beside it.
    const std::string item = x.path.substr(0, x.path.find(']') + 1);
    check_time(x.time_s, x.line, item);
    check_bdu(x.bdu, x.bdu_line > 0 ? x.bdu_line : x.line, item);
    if (x.module >= 0)
      check_module(x.bdu, x.module, x.module_line > 0 ? x.module_line : x.line, item);
  }
  const auto check_per_module = [&](const std::vector<double>& values, int line,
                                    const std::string& key) {
    if (values.empty() || static_cast<int>(values.size()) == system.module_count()) return;
    fail(line, key,
         "lists " + std::to_string(values.size()) + " values but " + system_label + " has " +
             std::to_string(system.module_count()) +
             " modules: give one per module, in order (BDU 1's modules first)");
  };
  check_per_module(scenario.initial_soc, scenario.initial_soc_line, "initial_soc");
  check_per_module(scenario.initial_temperature_degC, scenario.initial_temperature_line,
                   "initial_temperature_degC");
}

void apply_scenario_to_system(const sim::Scenario& scenario, plant::SystemDescription& system) {
  if (scenario.seed) system.seed = *scenario.seed;
  if (scenario.household) system.household = *scenario.household;
  if (scenario.honours_full_charge_request)
    system.inverter.honours_full_charge_request = *scenario.honours_full_charge_request;
  if (scenario.honours_force_charge_request)
    system.inverter.honours_force_charge_request = *scenario.honours_force_charge_request;
  if (scenario.ambient) {
    system.ambient = *scenario.ambient;
    if (scenario.ambient_follows_household_clock) {
      system.ambient.start_time_h = system.household.pv_home.start_time_h;
    }
  }
  std::size_t index = 0;
  const double ambient_start_degC = plant::AmbientProfile(system.ambient).temperature_degC(0.0);
  for (auto& bdu : system.bdus) {
    for (auto& module : bdu.modules) {
      if (index < scenario.initial_soc.size()) module.initial_soc = scenario.initial_soc[index];
      if (index < scenario.initial_temperature_degC.size()) {
        module.initial_temperature_degC = scenario.initial_temperature_degC[index];
      } else if (scenario.ambient && scenario.initial_temperature_degC.empty()) {
        module.initial_temperature_degC = std::clamp(ambient_start_degC, -40.0, 85.0);
      }
      ++index;
    }
  }
}

std::string describe_event(const sim::ScenarioEvent& event) {
  std::ostringstream text;
  switch (event.kind) {
    case ScenarioEventKind::PressBlackStart:
      text << "press black start on " << node_label(event.bdu, -1) << " for "
           << format_number(event.duration_s) << " s";
      break;
    case ScenarioEventKind::SetDcSwitch:
      text << (event.flag ? "close" : "open") << " DC switch on " << node_label(event.bdu, -1);
      break;
    case ScenarioEventKind::InjectFault:
    case ScenarioEventKind::ClearFault: {
      const plant::PlantFault& f = event.fault;
      text << (event.kind == ScenarioEventKind::InjectFault ? "inject " : "clear ")
           << plant::fault_kind_name(f.kind);
      if (f.kind != PlantFaultKind::BduNetworkCableCut) text << " " << node_label(f.bdu, f.module);
      if (f.kind == PlantFaultKind::CellExternalHeat ||
          f.kind == PlantFaultKind::CellInternalShort) {
        text << " cell " << f.index + 1;
      }
      if (f.kind == PlantFaultKind::SensorFailure) {
        for (const auto& [name, sensor] : sensor_choices()) {
          if (sensor == f.sensor) text << " " << name;
        }
        if (f.sensor == plant::ModuleSensor::CellVoltage ||
            f.sensor == plant::ModuleSensor::CellTemperature) {
          text << " channel " << f.index + 1;
        }
        if (event.kind == ScenarioEventKind::InjectFault) {
          const char* names[] = {"none", "open", "short", "stuck"};
          text << " " << names[static_cast<int>(f.sensor_failure)];
        }
      }
      if (f.kind == PlantFaultKind::PcuFailure && event.kind == ScenarioEventKind::InjectFault) {
        const char* names[] = {"none", "dead", "ignores_command", "cooling_blocked",
                               "current_limit_lost"};
        text << " " << names[static_cast<int>(f.pcu_failure)];
      }
      if (f.kind == PlantFaultKind::RelayWelded) {
        const char* names[] = {"positive_main", "negative_main", "precharge"};
        text << " " << names[static_cast<int>(f.relay)];
      }
      if (event.kind == ScenarioEventKind::InjectFault && f.value != 0.0) {
        const char* unit = f.kind == PlantFaultKind::CellExternalHeat  ? "W"
                           : f.kind == PlantFaultKind::AmbientOverride ? "degC"
                                                                       : "Ohm";
        text << " (" << format_number(f.value) << " " << unit << ")";
      }
      break;
    }
    case ScenarioEventKind::SilenceInverter:
      text << (event.flag ? "inverter falls silent" : "inverter talks again");
      break;
    case ScenarioEventKind::SetHouseholdPower:
      text << "household asks " << format_number(event.value) << " W";
      break;
    case ScenarioEventKind::SetAmbient:
      text << "ambient " << format_number(event.value) << " degC";
      break;
    case ScenarioEventKind::InstallFirmware:
      text << "install firmware " << event.version.major << "." << event.version.minor << "."
           << event.version.patch << " on " << node_label(event.bdu, event.module);
      break;
    case ScenarioEventKind::RequestFirmwareUpdate:
      text << "service tool: update " << node_label(event.bdu, -1) << " and its modules to "
           << event.version.major << "." << event.version.minor << "." << event.version.patch;
      break;
  }
  return text.str();
}

const std::vector<std::string>& known_state_names() {
  // The manual's normal states (table 2-1), then the BDU controller's own states
  // (firmware/bdu/bdu_state_machine) and the module BMS's (firmware/module_bms). Expectations
  // compare them ignoring case.
  static const std::vector<std::string> names = {
      "Shutdown", "Standby",     "Updating", "Charge",  "Discharge",  // manual
      "SelfTest", "Precharge",   "Idle",     "Opening", "Fault",      // BDU controller
      "Sleep",    "Unaddressed", "Run"};                              // module BMS
  return names;
}

}  // namespace bts::app
