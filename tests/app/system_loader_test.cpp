// Loading system descriptions: built-ins, the example files, overrides, and every refusal with
// a message that names the file, the key path, the line and what is allowed.
#include "app/system_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace bts::app {
namespace {

const std::string kSystemsDir = std::string(BTS_SOURCE_DIR) + "/data/systems";

/// The message of the SystemDescriptionError that parsing yaml_text throws ("" if it loads).
std::string refusal(const std::string& yaml_text) {
  try {
    parse_system_description(yaml_text, "test.yaml");
  } catch (const SystemDescriptionError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_MENTIONS(message, text)               \
  EXPECT_NE((message).find(text), std::string::npos) \
      << "missing '" << (text) << "' in: " << (message)

TEST(SystemLoader, EveryBuiltinLoadsByName) {
  for (const auto& name : plant::builtin_system_names()) {
    const auto d = load_system_description(name);
    EXPECT_EQ(d.name, name);
    EXPECT_GE(d.module_count(), 1);
  }
  EXPECT_EQ(load_system_description("E40").module_count(), 8);
}

TEST(SystemLoader, EveryExampleFileLoads) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSystemsDir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    plant::SystemDescription d;
    ASSERT_NO_THROW(d = load_system_description(entry.path().string()));
    EXPECT_FALSE(describe_system(d).empty());
  }
  EXPECT_GE(files, 3);
}

TEST(SystemLoader, AgedE20Example) {
  const auto d = load_system_description(kSystemsDir + "/e20-aged.yaml");
  EXPECT_EQ(d.name, "e20-aged");
  EXPECT_EQ(d.seed, 20u);
  ASSERT_EQ(d.bdus.size(), 1u);
  ASSERT_EQ(d.bdus[0].modules.size(), 4u);
  const double soh[] = {1.0, 0.95, 0.85, 0.80};
  const double soc[] = {0.9, 0.7, 0.5, 0.3};
  for (std::size_t m = 0; m < 4; ++m) {
    EXPECT_DOUBLE_EQ(d.bdus[0].modules[m].state_of_health, soh[m]);
    EXPECT_DOUBLE_EQ(d.bdus[0].modules[m].initial_soc, soc[m]);
  }
  EXPECT_EQ(d.household.pv_home.pv_peak_W, 9000.0);
  EXPECT_EQ(d.ambient.kind, plant::AmbientProfileKind::DailyCycle);
}

TEST(SystemLoader, WinterGarageExample) {
  const auto d = load_system_description(kSystemsDir + "/e40-winter-garage.yaml");
  EXPECT_EQ(d.module_count(), 8);
  EXPECT_EQ(d.inverter.battery_inputs, 2);
  EXPECT_EQ(d.ambient.kind, plant::AmbientProfileKind::Winter);
  EXPECT_EQ(d.ambient.start_time_h, 6.0);  // follows the household clock
  // Modules start at the garage temperature at 06:00: 2 - 4 cos(2 pi (6-5)/24) degC.
  EXPECT_NEAR(d.bdus[1].modules[3].initial_temperature_degC, -1.8637, 1e-3);
}

TEST(SystemLoader, CsvPathsAreRelativeToTheFile) {
  const auto d = load_system_description(kSystemsDir + "/e10-measured-day.yaml");
  EXPECT_EQ(d.household.kind, plant::HouseholdProfileKind::CsvSeries);
  EXPECT_TRUE(std::filesystem::exists(d.household.csv_path)) << d.household.csv_path;
  EXPECT_TRUE(std::filesystem::exists(d.ambient.csv_path)) << d.ambient.csv_path;
  EXPECT_NEAR(d.bdus[0].modules[0].initial_temperature_degC, 0.7, 1e-9);  // CSV at time 0
}

TEST(SystemLoader, OverridesTakeEffectAndTheRestKeepsDefaults) {
  const auto d = parse_system_description(
      "base: e15\n"
      "inverter:\n"
      "  max_battery_power_W: 5000\n"
      "cell: {nominal_capacity_Ah: 105}\n"
      "household:\n"
      "  kind: steps\n"
      "  steps: [[0, 1000], {time_s: 600, power_W: -2500}]\n",
      "override.yaml", ".", "my-e15");
  EXPECT_EQ(d.name, "my-e15");
  EXPECT_EQ(d.module_count(), 3);
  EXPECT_EQ(d.inverter.max_battery_power_W, 5000.0);
  EXPECT_EQ(d.inverter.min_input_voltage_V, plant::InverterParameters{}.min_input_voltage_V);
  EXPECT_EQ(d.cell.nominal_capacity_Ah, 105.0);
  EXPECT_EQ(d.cell.r0_Ohm, plant::LfpCellParameters::lfp_default().r0_Ohm);
  EXPECT_FALSE(d.cell.ocv_mean_V.empty());
  EXPECT_EQ(d.household.kind, plant::HouseholdProfileKind::Steps);
  ASSERT_EQ(d.household.steps.size(), 2u);
  EXPECT_EQ(d.household.steps[1], (std::pair<double, double>{600.0, -2500.0}));
}

TEST(SystemLoader, TablesAndNestedSectionsOverride) {
  const auto d = parse_system_description(
      "cell:\n"
      "  ocv_mean_V: [[0, 2.5], [0.5, 3.3], [1, 3.6]]\n"
      "sensors: {cell_voltage_noise_sd_V: 0}\n"
      "fuse: {rated_current_A: 32}\n"
      "pcu: {efficiency_by_load: [[0.1, 0.9], [1.0, 0.95]]}\n"
      "household: {pv_home: {cloudiness: 0.4, start_time_h: 8}}\n"
      "ambient: {kind: daily_cycle, amplitude_degC: 5}\n",
      "t.yaml");
  ASSERT_EQ(d.cell.ocv_mean_V.size(), 3u);
  EXPECT_EQ(d.cell.ocv_mean_V[1].value, 3.3);
  EXPECT_EQ(d.module.sensors.cell_voltage_noise_sd_V, 0.0);
  EXPECT_EQ(d.bdu.fuse.rated_current_A, 32.0);
  EXPECT_EQ(d.pcu.efficiency_by_load.size(), 2u);
  EXPECT_EQ(d.household.pv_home.cloudiness, 0.4);
  EXPECT_EQ(d.ambient.start_time_h, 8.0);
  EXPECT_EQ(d.ambient.kind, plant::AmbientProfileKind::DailyCycle);
}

TEST(SystemLoader, BdusReplaceTheBaseLayout) {
  const auto d = parse_system_description(
      "base: e40\n"
      "bdus:\n"
      "  - modules: [{initial_soc: 0.2}, {power_cable_reversed: true}]\n"
      "    terminal_resistor_present: false\n",
      "t.yaml");
  ASSERT_EQ(d.bdus.size(), 1u);
  EXPECT_EQ(d.inverter.battery_inputs, 1);
  EXPECT_EQ(d.bdus[0].serial_number, "BDU-1");
  EXPECT_EQ(d.bdus[0].modules[1].serial_number, "BTS5K-1-2");
  EXPECT_EQ(d.bdus[0].modules[0].initial_soc, 0.2);
  EXPECT_TRUE(d.bdus[0].modules[1].power_cable_reversed);
  EXPECT_FALSE(d.bdus[0].terminal_resistor_present);
  EXPECT_EQ(d.bdus[0].modules[0].initial_temperature_degC, 25.0);
}

TEST(SystemLoader, RefusesAFifthModule) {
  const std::string message = refusal(
      "bdus:\n"
      "  - modules:\n"
      "      - {}\n"
      "      - {}\n"
      "      - {}\n"
      "      - {}\n"
      "      - {initial_soc: 0.5}\n");
  EXPECT_MENTIONS(message, "test.yaml");
  EXPECT_MENTIONS(message, "line 7");
  EXPECT_MENTIONS(message, "bdus[0].modules[4]");
  EXPECT_MENTIONS(message, "at most 4 modules per BDU (REQ-TOP-3)");
}

TEST(SystemLoader, RefusesThreeBdusAndNone) {
  const std::string three = refusal(
      "bdus:\n"
      "  - modules: [{}]\n"
      "  - modules: [{}]\n"
      "  - modules: [{}]\n");
  EXPECT_MENTIONS(three, "line 4");
  EXPECT_MENTIONS(three, "bdus[2]");
  EXPECT_MENTIONS(three, "1 or 2 BDUs");
  EXPECT_MENTIONS(refusal("bdus: []\n"), "1 or 2 BDUs");
}

TEST(SystemLoader, RefusesZeroModules) {
  const std::string empty = refusal("bdus:\n  - modules: []\n");
  EXPECT_MENTIONS(empty, "bdus[0].modules");
  EXPECT_MENTIONS(empty, "line 2");
  EXPECT_MENTIONS(empty, "at least 1");
  EXPECT_MENTIONS(refusal("bdus:\n  - serial_number: X\n"), "missing key 'modules'");
}

TEST(SystemLoader, RefusesNonPositiveCapacity) {
  for (const char* value : {"-5", "0"}) {
    const std::string message =
        refusal(std::string("name: x\ncell:\n  nominal_capacity_Ah: ") + value + "\n");
    EXPECT_MENTIONS(message, "line 3");
    EXPECT_MENTIONS(message, "cell.nominal_capacity_Ah");
    EXPECT_MENTIONS(message, "0 < value <= 2000");
  }
}

TEST(SystemLoader, RefusesSocSohAndTemperatureOutOfRange) {
  const std::string soc = refusal("bdus:\n  - modules:\n      - {}\n      - {initial_soc: 1.5}\n");
  EXPECT_MENTIONS(soc, "bdus[0].modules[1].initial_soc");
  EXPECT_MENTIONS(soc, "line 4");
  EXPECT_MENTIONS(soc, "0 <= value <= 1");
  EXPECT_MENTIONS(soc, "1.5");

  const std::string soh = refusal("bdus:\n  - modules: [{state_of_health: 0.3}]\n");
  EXPECT_MENTIONS(soh, "bdus[0].modules[0].state_of_health");
  EXPECT_MENTIONS(soh, "0.5 <= value <= 1");

  const std::string cold = refusal("bdus:\n  - modules: [{initial_temperature_degC: -60}]\n");
  EXPECT_MENTIONS(cold, "initial_temperature_degC");
  EXPECT_MENTIONS(cold, "-40 <= value <= 85");

  const std::string ambient = refusal("ambient: {mean_degC: 95}\n");
  EXPECT_MENTIONS(ambient, "ambient.mean_degC");
  EXPECT_MENTIONS(ambient, "-40 <= value <= 60");
}

TEST(SystemLoader, RefusesUnknownKeysSuggestingTheClosest) {
  const std::string module_key = refusal("bdus:\n  - modules:\n      - {initial_sco: 0.4}\n");
  EXPECT_MENTIONS(module_key, "unknown key 'initial_sco'");
  EXPECT_MENTIONS(module_key, "did you mean 'initial_soc'");
  EXPECT_MENTIONS(module_key, "bdus[0].modules[0].initial_sco");
  EXPECT_MENTIONS(module_key, "line 3");

  const std::string top = refusal("name: x\ninvertr: {}\n");
  EXPECT_MENTIONS(top, "unknown key 'invertr'");
  EXPECT_MENTIONS(top, "did you mean 'inverter'");
  EXPECT_MENTIONS(top, "line 2");

  const std::string far = refusal("pcu: {colour: blue}\n");
  EXPECT_MENTIONS(far, "unknown key 'colour'");
  EXPECT_MENTIONS(far, "known keys here: max_bus_current_A");
}

TEST(SystemLoader, RefusesWrongTypes) {
  EXPECT_MENTIONS(refusal("bdus:\n  - modules: [{initial_soc: high}]\n"),
                  "expected a number, found 'high'");
  EXPECT_MENTIONS(refusal("bdus: 5\n"), "expected a list");
  EXPECT_MENTIONS(refusal("cell: [1, 2]\n"), "cell: expected a map");
  EXPECT_MENTIONS(refusal("bdus:\n  - modules: [{power_cable_reversed: maybe}]\n"),
                  "expected true or false");
  EXPECT_MENTIONS(refusal("module: {cells_in_series: 16.5}\n"), "expected a whole number");
  EXPECT_MENTIONS(refusal("seed: -1\n"), "seed");
  EXPECT_MENTIONS(refusal("inverter: {max_battery_power_W: }\n"), "found nothing");
  EXPECT_MENTIONS(refusal("household: {kind: solar}\n"), "pv_home_day");
  EXPECT_MENTIONS(refusal("- 1\n- 2\n"), "expected a map");
}

TEST(SystemLoader, RefusesInconsistentSettings) {
  EXPECT_MENTIONS(refusal("base: e40\ninverter: {battery_inputs: 1}\n"), "inverter.battery_inputs");
  EXPECT_MENTIONS(refusal("base: e30\n"), "'e30' is not a built-in system");
  EXPECT_MENTIONS(refusal("household: {pv_home: {sunrise_h: 20}}\n"), "sunset_h");
  EXPECT_MENTIONS(refusal("household: {kind: csv_series}\n"), "needs csv_path");
  EXPECT_MENTIONS(refusal("household: {kind: steps}\n"), "at least one step");
  EXPECT_MENTIONS(refusal("bdus:\n  - modules: [{serial_number: A}, {serial_number: A}]\n"),
                  "already used by bdus[0].modules[0]");
  EXPECT_MENTIONS(refusal("name: a\nname: b\n"), "duplicate key");
  EXPECT_MENTIONS(refusal("cell: {ocv_mean_V: [[0.5, 3.3], [0.2, 3.2]]}\n"), "must increase");
}

TEST(SystemLoader, RefusesBadYamlWithItsLine) {
  const std::string message = refusal("name: x\nbdus: [\n  {modules: [{}]\n");
  EXPECT_MENTIONS(message, "test.yaml");
  EXPECT_MENTIONS(message, "not valid YAML");
  EXPECT_MENTIONS(message, "line ");
}

TEST(SystemLoader, RefusesABadCsvNamingBothFiles) {
  const std::string message = refusal(
      "household:\n"
      "  kind: csv_series\n"
      "  csv_path: /nonexistent/day.csv\n");
  EXPECT_MENTIONS(message, "household.csv_path");
  EXPECT_MENTIONS(message, "line 3");
  EXPECT_MENTIONS(message, "/nonexistent/day.csv");
}

TEST(SystemLoader, FileErrorsNameTheFileAndLine) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("bts_loader_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "base: e20\n"
                         "inverter:\n"
                         "  current_ramp_A_per_s: -3\n";
  try {
    load_system_description(path.string());
    ADD_FAILURE() << "accepted a negative ramp";
  } catch (const SystemDescriptionError& e) {
    const std::string message = e.what();
    EXPECT_MENTIONS(message, path.string() + ", line 3, column 25: inverter.current_ramp_A_per_s");
    EXPECT_MENTIONS(message, "0 < value <= 10000");
  }
  std::filesystem::remove(path);

  try {
    load_system_description("no-such-system");
    ADD_FAILURE();
  } catch (const SystemDescriptionError& e) {
    EXPECT_MENTIONS(std::string(e.what()), "neither a built-in system (e5, e10, e15, e20, e40)");
  }
}

TEST(SystemLoader, DescribeSystem) {
  const std::string e10 = describe_system(load_system_description("e10"));
  EXPECT_EQ(e10.rfind("E10: 1 BDU, 2 modules (10.24 kWh nominal).", 0), 0u) << e10;
  EXPECT_MENTIONS(e10, "BTS5K-1-2 SOC 50 % SOH 100 %");
  const std::string aged = describe_system(load_system_description(kSystemsDir + "/e20-aged.yaml"));
  EXPECT_MENTIONS(aged, "e20-aged: 1 BDU, 4 modules (20.48 kWh nominal, 18.43 kWh at their");
  EXPECT_MENTIONS(describe_system(load_system_description("e40")), "2 battery inputs");
}

TEST(SystemLoader, EveryKeyIsDocumented) {
  std::ifstream file(std::string(BTS_SOURCE_DIR) + "/docs/system-description.md");
  ASSERT_TRUE(file) << "docs/system-description.md missing";
  const std::string doc((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto keys = system_description_keys();
  EXPECT_GT(keys.size(), 100u);
  for (const auto& key : keys) EXPECT_MENTIONS(doc, "`" + key + "`");
}

}  // namespace
}  // namespace bts::app

namespace bts::app {
namespace {

// The loader lists every field by hand. When a parameter struct grows, this fails until the new
// field has a key in system_loader.cpp and a row in docs/system-description.md (then update
// the size here). x86-64 / libstdc++ sizes.
TEST(SystemLoader, ParameterStructsHaveNoFieldTheLoaderMisses) {
  const char* hint = "a field was added: give it a key in system_loader.cpp and the docs";
  EXPECT_EQ(sizeof(plant::LfpCellParameters), 216u) << hint;
  EXPECT_EQ(sizeof(plant::AgeingParameters), 160u) << hint;
  EXPECT_EQ(sizeof(plant::CellSpreadParameters), 32u) << hint;
  EXPECT_EQ(sizeof(plant::ModuleParameters), 208u) << hint;
  EXPECT_EQ(sizeof(plant::SensorErrorParameters), 104u) << hint;
  EXPECT_EQ(sizeof(plant::PcuParameters), 176u) << hint;
  EXPECT_EQ(sizeof(plant::BduParameters), 216u) << hint;
  EXPECT_EQ(sizeof(plant::FuseParameters), 48u) << hint;
  EXPECT_EQ(sizeof(plant::InverterParameters), 64u) << hint;
  EXPECT_EQ(sizeof(plant::HouseholdProfileParameters), 168u) << hint;
  EXPECT_EQ(sizeof(plant::PvHomeParameters), 96u) << hint;
  EXPECT_EQ(sizeof(plant::AmbientProfileParameters), 64u) << hint;
  EXPECT_EQ(sizeof(plant::ModuleDescription), 64u) << hint;
  EXPECT_EQ(sizeof(plant::BduDescription), 64u) << hint;
}

}  // namespace
}  // namespace bts::app
