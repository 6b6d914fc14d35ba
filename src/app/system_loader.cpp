#include "app/system_loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/yaml_fields.hpp"
#include "plant/profiles.hpp"

namespace bts::app {

namespace {

using plant::SystemDescription;

// Physical bounds shared by several keys. Temperatures: what a box in a garage or on a wall can
// meet, wider than the rated -10..+50 degC (REQ-RAT-1..3) so protections can be exercised.
const Range kModuleTemperature_degC = Range::closed(-40.0, 85.0);
const Range kAmbient_degC = Range::closed(-40.0, 60.0);
const Range kNonNegative = Range::closed(0.0, 1e12);
const Range kHourOfDay = Range::below(0.0, 24.0);
constexpr std::size_t kMaxSerialLength = 32;

void read_cell(MapReader r, plant::LfpCellParameters& p) {
  r.number("nominal_capacity_Ah", p.nominal_capacity_Ah, Range::above(0.0, 2000.0));
  r.number("nominal_voltage_V", p.nominal_voltage_V, Range::closed(1.0, 5.0));
  const auto read_table = [&](const char* key, std::vector<plant::SocPoint>& table,
                              const Range& values) {
    std::vector<std::pair<double, double>> rows;
    r.pairs(key, rows, {"soc", Range::closed(0.0, 1.0)}, {"value", values}, 2);
    if (rows.empty()) return;
    table.clear();
    for (const auto& [soc, value] : rows) table.push_back({soc, value});
  };
  read_table("ocv_mean_V", p.ocv_mean_V, Range::closed(1.5, 4.5));
  read_table("hysteresis_half_gap_V", p.hysteresis_half_gap_V, Range::closed(0.0, 0.2));
  read_table("entropic_coefficient_V_per_K", p.entropic_coefficient_V_per_K,
             Range::closed(-0.01, 0.01));
  r.number("hysteresis_rate", p.hysteresis_rate, Range::closed(0.0, 1000.0));
  r.number("r0_Ohm", p.r0_Ohm, Range::above(0.0, 0.1));
  r.number("r1_Ohm", p.r1_Ohm, Range::closed(0.0, 0.1));
  r.number("tau1_s", p.tau1_s, Range::above(0.0, 1e5));
  r.number("r2_Ohm", p.r2_Ohm, Range::closed(0.0, 0.1));
  r.number("tau2_s", p.tau2_s, Range::above(0.0, 1e5));
  read_table("resistance_soc_factor", p.resistance_soc_factor, Range::closed(0.1, 100.0));
  r.number("resistance_activation_energy_J_per_mol", p.resistance_activation_energy_J_per_mol,
           Range::closed(0.0, 2e5));
  r.number("heat_capacity_J_per_K", p.heat_capacity_J_per_K, Range::above(0.0, 1e6));
  r.number("conductance_to_module_W_per_K", p.conductance_to_module_W_per_K,
           Range::closed(0.0, 1000.0));
  r.number("self_discharge_per_month", p.self_discharge_per_month, Range::closed(0.0, 0.5));
  r.number("self_discharge_activation_energy_J_per_mol",
           p.self_discharge_activation_energy_J_per_mol, Range::closed(0.0, 2e5));
  r.number("min_voltage_V", p.min_voltage_V, Range::closed(0.0, 5.0));
  r.number("max_voltage_V", p.max_voltage_V, Range::closed(0.0, 5.0));
  if (p.max_voltage_V <= p.min_voltage_V) {
    r.fail("max_voltage_V", "must be above cell.min_voltage_V");
  }
  r.finish();
}

void read_ageing(MapReader r, plant::AgeingParameters& p) {
  // The fitted coefficients carry their own signs: any finite number; exponents 0..2.
  const Range exponent = Range::closed(0.0, 2.0);
  r.boolean("enabled", p.enabled);
  r.number("cal_p1", p.cal_p1, Range::any());
  r.number("cal_p2_K", p.cal_p2_K, Range::any());
  r.number("cal_p3_K_per_V", p.cal_p3_K_per_V, Range::any());
  r.number("cal_exponent", p.cal_exponent, exponent);
  r.number("cyc_p4", p.cyc_p4, Range::any());
  r.number("cyc_p5", p.cyc_p5, Range::any());
  r.number("cyc_p6", p.cyc_p6, Range::any());
  r.number("cyc_p7_K", p.cyc_p7_K, Range::any());
  r.number("cyc_p8_K", p.cyc_p8_K, Range::any());
  r.number("cyc_exponent", p.cyc_exponent, exponent);
  r.number("res_cal_k_ref_per_s", p.res_cal_k_ref_per_s, Range::any());
  r.number("res_cal_activation_energy_J_per_mol", p.res_cal_activation_energy_J_per_mol,
           Range::any());
  r.number("res_cal_c", p.res_cal_c, Range::any());
  r.number("res_cal_d", p.res_cal_d, Range::any());
  r.number("res_cyc_a", p.res_cyc_a, Range::any());
  r.number("res_cyc_b", p.res_cyc_b, Range::any());
  r.number("res_cyc_c", p.res_cyc_c, Range::any());
  r.number("res_cyc_d", p.res_cyc_d, Range::any());
  r.number("update_interval_s", p.update_interval_s, Range::above(0.0, 86400.0));
  r.finish();
}

void read_spread(MapReader r, plant::CellSpreadParameters& p) {
  r.number("capacity_relative_sd", p.capacity_relative_sd, Range::closed(0.0, 0.2));
  r.number("resistance_relative_sd", p.resistance_relative_sd, Range::closed(0.0, 0.5));
  r.number("self_discharge_relative_sd", p.self_discharge_relative_sd, Range::closed(0.0, 1.0));
  r.number("initial_soc_sd", p.initial_soc_sd, Range::closed(0.0, 0.1));
  r.finish();
}

void read_module(MapReader r, plant::ModuleParameters& p) {
  // 12..18 cells keep the stack inside the PCU's 38-60 V input window (decision D-CELL: 16).
  r.integer("cells_in_series", p.cells_in_series, 12, 18);
  r.integer("cell_temperature_sensors", p.cell_temperature_sensors, 1, 18);
  if (p.cell_temperature_sensors > p.cells_in_series) {
    r.fail("cell_temperature_sensors", "cannot exceed module.cells_in_series");
  }
  r.number("internal_heat_capacity_J_per_K", p.internal_heat_capacity_J_per_K,
           Range::above(0.0, 1e7));
  r.number("enclosure_conductance_W_per_K", p.enclosure_conductance_W_per_K,
           Range::closed(0.0, 1000.0));
  r.number("terminal_resistance_Ohm", p.terminal_resistance_Ohm, Range::closed(0.0, 1.0));
  r.number("terminal_heat_capacity_J_per_K", p.terminal_heat_capacity_J_per_K,
           Range::above(0.0, 1e6));
  r.number("terminal_conductance_W_per_K", p.terminal_conductance_W_per_K,
           Range::closed(0.0, 1000.0));
  r.number("loose_terminal_resistance_Ohm", p.loose_terminal_resistance_Ohm,
           Range::closed(0.0, 100.0));
  r.number("pcu_output_capacitance_F", p.pcu_output_capacitance_F, Range::above(0.0, 1.0));
  r.number("pcu_output_bleeder_Ohm", p.pcu_output_bleeder_Ohm, Range::above(0.0, 1e9));
  r.number("heater_share_into_cells", p.heater_share_into_cells, Range::closed(0.0, 1.0));
  r.number("balancing_resistance_Ohm", p.balancing_resistance_Ohm, Range::above(1.0, 1e4));
  r.number("heater_power_W", p.heater_power_W, Range::closed(0.0, 2000.0));
  r.number("standby_draw_shutdown_W", p.standby_draw_shutdown_W, Range::closed(0.0, 50.0));
  r.finish();
}

void read_sensors(MapReader r, plant::SensorErrorParameters& p) {
  r.number("cell_voltage_noise_sd_V", p.cell_voltage_noise_sd_V, Range::closed(0.0, 0.1));
  r.number("cell_voltage_offset_sd_V", p.cell_voltage_offset_sd_V, Range::closed(0.0, 0.1));
  r.number("cell_voltage_quantum_V", p.cell_voltage_quantum_V, Range::closed(0.0, 0.1));
  r.number("temperature_noise_sd_degC", p.temperature_noise_sd_degC, Range::closed(0.0, 10.0));
  r.number("temperature_offset_sd_degC", p.temperature_offset_sd_degC, Range::closed(0.0, 10.0));
  r.number("temperature_quantum_degC", p.temperature_quantum_degC, Range::closed(0.0, 5.0));
  r.number("current_offset_A", p.current_offset_A, Range::closed(0.0, 10.0));
  r.number("current_gain_error", p.current_gain_error, Range::closed(0.0, 0.2));
  r.number("current_noise_sd_A", p.current_noise_sd_A, Range::closed(0.0, 10.0));
  r.number("current_quantum_A", p.current_quantum_A, Range::closed(0.0, 1.0));
  r.number("bus_voltage_noise_sd_V", p.bus_voltage_noise_sd_V, Range::closed(0.0, 20.0));
  r.number("bus_voltage_quantum_V", p.bus_voltage_quantum_V, Range::closed(0.0, 10.0));
  r.number("pcu_voltage_sense_offset_sd_V", p.pcu_voltage_sense_offset_sd_V,
           Range::closed(0.0, 10.0));
  r.finish();
}

void read_pcu(MapReader r, plant::PcuParameters& p) {
  r.number("max_bus_current_A", p.max_bus_current_A, Range::above(0.0, 50.0));
  r.number("rated_bus_current_A", p.rated_bus_current_A, Range::above(0.0, 50.0));
  if (p.rated_bus_current_A > p.max_bus_current_A) {
    r.fail("rated_bus_current_A", "cannot exceed pcu.max_bus_current_A");
  }
  r.number("max_bus_power_W", p.max_bus_power_W, Range::above(0.0, 20000.0));
  r.number("min_bus_voltage_V", p.min_bus_voltage_V, Range::closed(0.0, 1000.0));
  r.number("max_bus_voltage_V", p.max_bus_voltage_V, Range::above(0.0, 1000.0));
  if (p.max_bus_voltage_V <= p.min_bus_voltage_V) {
    r.fail("max_bus_voltage_V", "must be above pcu.min_bus_voltage_V");
  }
  r.number("soft_start_current_A", p.soft_start_current_A, Range::closed(0.0, 10.0));
  r.number("min_stack_voltage_V", p.min_stack_voltage_V, Range::closed(0.0, 200.0));
  r.number("min_supply_stack_voltage_V", p.min_supply_stack_voltage_V, Range::closed(0.0, 200.0));
  r.number("max_stack_voltage_V", p.max_stack_voltage_V, Range::above(0.0, 200.0));
  if (p.max_stack_voltage_V <= p.min_stack_voltage_V) {
    r.fail("max_stack_voltage_V", "must be above pcu.min_stack_voltage_V");
  }
  r.pairs("efficiency_by_load", p.efficiency_by_load, {"load_share", Range::above(0.0, 2.0)},
          {"efficiency", Range::above(0.0, 1.0)}, 1);
  r.number("running_no_load_draw_W", p.running_no_load_draw_W, Range::closed(0.0, 200.0));
  r.number("energy_saving_draw_W", p.energy_saving_draw_W, Range::closed(0.0, 100.0));
  r.number("current_time_constant_s", p.current_time_constant_s, Range::above(0.0, 10.0));
  r.number("droop_conductance_S", p.droop_conductance_S, Range::closed(0.0, 100.0));
  r.number("heat_capacity_J_per_K", p.heat_capacity_J_per_K, Range::above(0.0, 1e6));
  r.number("conductance_to_ambient_W_per_K", p.conductance_to_ambient_W_per_K,
           Range::closed(0.0, 1000.0));
  r.number("over_temperature_shutdown_degC", p.over_temperature_shutdown_degC,
           Range::closed(40.0, 150.0));
  r.number("over_temperature_restart_degC", p.over_temperature_restart_degC,
           Range::closed(20.0, 150.0));
  if (p.over_temperature_restart_degC >= p.over_temperature_shutdown_degC) {
    r.fail("over_temperature_restart_degC", "must be below pcu.over_temperature_shutdown_degC");
  }
  r.number("reverse_bus_detect_V", p.reverse_bus_detect_V, Range::closed(0.0, 100.0));
  r.number("power_stage_trip_bus_current_A", p.power_stage_trip_bus_current_A,
           Range::above(0.0, 100.0));
  r.finish();
}

void read_bdu(MapReader r, plant::BduParameters& p) {
  r.number("nominal_current_A", p.nominal_current_A, Range::above(0.0, 100.0));
  r.number("max_current_A", p.max_current_A, Range::above(0.0, 100.0));
  if (p.max_current_A < p.nominal_current_A) {
    r.fail("max_current_A", "cannot be below bdu.nominal_current_A");
  }
  r.number("min_full_load_voltage_V", p.min_full_load_voltage_V, Range::above(0.0, 1000.0));
  r.number("max_full_load_voltage_V", p.max_full_load_voltage_V, Range::above(0.0, 1000.0));
  if (p.max_full_load_voltage_V <= p.min_full_load_voltage_V) {
    r.fail("max_full_load_voltage_V", "must be above bdu.min_full_load_voltage_V");
  }
  r.number("bat_in_capacitance_F", p.bat_in_capacitance_F, Range::above(0.0, 1.0));
  r.number("dc_link_capacitance_F", p.dc_link_capacitance_F, Range::above(0.0, 1.0));
  r.number("bleeder_resistance_Ohm", p.bleeder_resistance_Ohm, Range::above(0.0, 1e9));
  r.number("bat_in_bleeder_resistance_Ohm", p.bat_in_bleeder_resistance_Ohm,
           Range::above(0.0, 1e9));
  r.number("precharge_resistance_Ohm", p.precharge_resistance_Ohm, Range::above(0.0, 1e5));
  r.number("relay_contact_resistance_Ohm", p.relay_contact_resistance_Ohm, Range::closed(0.0, 1.0));
  r.number("relay_close_time_s", p.relay_close_time_s, Range::closed(0.0, 1.0));
  r.number("relay_open_time_s", p.relay_open_time_s, Range::closed(0.0, 1.0));
  r.number("relay_rated_break_current_A", p.relay_rated_break_current_A, Range::above(0.0, 1000.0));
  r.number("cable_to_inverter_resistance_Ohm", p.cable_to_inverter_resistance_Ohm,
           Range::closed(0.0, 10.0));
  r.number("housekeeping_draw_W", p.housekeeping_draw_W, Range::closed(0.0, 100.0));
  r.number("ambient_to_bdu_rise_degC_per_W", p.ambient_to_bdu_rise_degC_per_W,
           Range::closed(0.0, 10.0));
  r.number("output_terminal_resistance_Ohm", p.output_terminal_resistance_Ohm,
           Range::closed(0.0, 1.0));
  r.number("output_terminal_heat_capacity_J_per_K", p.output_terminal_heat_capacity_J_per_K,
           Range::above(0.0, 1e6));
  r.number("output_terminal_conductance_W_per_K", p.output_terminal_conductance_W_per_K,
           Range::closed(0.0, 1000.0));
  r.number("housekeeping_min_voltage_V", p.housekeeping_min_voltage_V, Range::closed(0.0, 1000.0));
  r.number("min_inverter_capacitance_F", p.min_inverter_capacitance_F, Range::above(0.0, 1.0));
  r.finish();
}

void read_fuse(MapReader r, plant::FuseParameters& p) {
  r.number("rated_current_A", p.rated_current_A, Range::above(0.0, 500.0));
  r.pairs("melting_time_s_by_multiple", p.melting_time_s_by_multiple,
          {"multiple", Range::above(1.0, 1000.0)}, {"time_s", Range::above(0.0, 1e12)}, 2);
  for (std::size_t i = 1; i < p.melting_time_s_by_multiple.size(); ++i) {
    if (p.melting_time_s_by_multiple[i].second > p.melting_time_s_by_multiple[i - 1].second) {
      r.fail("melting_time_s_by_multiple",
             "the melting time must not grow with the current multiple (row " + std::to_string(i) +
                 ")");
    }
  }
  r.number("cooling_time_constant_s", p.cooling_time_constant_s, Range::above(0.0, 1e5));
  r.number("resistance_Ohm", p.resistance_Ohm, Range::closed(0.0, 1.0));
  r.finish();
}

void read_inverter(MapReader r, plant::InverterParameters& p) {
  r.number("max_battery_power_W", p.max_battery_power_W, Range::above(0.0, 50000.0));
  r.number("min_input_voltage_V", p.min_input_voltage_V, Range::above(0.0, 1000.0));
  r.number("max_input_voltage_V", p.max_input_voltage_V, Range::above(0.0, 1000.0));
  if (p.max_input_voltage_V <= p.min_input_voltage_V) {
    r.fail("max_input_voltage_V", "must be above inverter.min_input_voltage_V");
  }
  r.number("input_capacitance_F", p.input_capacitance_F, Range::above(0.0, 1.0));
  r.number("current_ramp_A_per_s", p.current_ramp_A_per_s, Range::above(0.0, 1e4));
  r.number("voltage_taper_band_V", p.voltage_taper_band_V, Range::closed(0.0, 50.0));
  r.integer("battery_inputs", p.battery_inputs, 1, plant::SystemDescription::kMaxBdus);
  r.boolean("honours_full_charge_request", p.honours_full_charge_request);
  r.boolean("honours_force_charge_request", p.honours_force_charge_request);
  r.finish();
}

void read_pv_home(MapReader r, plant::PvHomeParameters& p) {
  const Range power_W = Range::closed(0.0, 100000.0);
  const Range width_h = Range::above(0.0, 12.0);
  r.number("pv_peak_W", p.pv_peak_W, power_W);
  r.number("sunrise_h", p.sunrise_h, kHourOfDay);
  r.number("sunset_h", p.sunset_h, Range::above(0.0, 24.0));
  if (p.sunset_h <= p.sunrise_h) r.fail("sunset_h", "must be after household.pv_home.sunrise_h");
  r.number("cloudiness", p.cloudiness, Range::closed(0.0, 1.0));
  r.number("base_load_W", p.base_load_W, power_W);
  r.number("morning_peak_W", p.morning_peak_W, power_W);
  r.number("evening_peak_W", p.evening_peak_W, power_W);
  r.number("start_time_h", p.start_time_h, kHourOfDay);
  r.number("morning_peak_time_h", p.morning_peak_time_h, kHourOfDay);
  r.number("evening_peak_time_h", p.evening_peak_time_h, kHourOfDay);
  r.number("morning_peak_width_h", p.morning_peak_width_h, width_h);
  r.number("evening_peak_width_h", p.evening_peak_width_h, width_h);
  r.finish();
}

/// A relative CSV path is taken from the folder of the file that names it.
std::string resolve_csv_path(const std::string& path, const std::string& csv_directory) {
  const std::filesystem::path csv(path);
  if (csv.empty() || csv.is_absolute()) return path;
  return (std::filesystem::path(csv_directory) / csv).lexically_normal().string();
}

}  // namespace

// Shared with scenario files (declared in app/yaml_fields.hpp).
void read_household(MapReader r, plant::HouseholdProfileParameters& p,
                    const std::string& csv_directory, std::uint64_t seed) {
  using Kind = plant::HouseholdProfileKind;
  if (const YAML::Node* kind = r.find("kind")) {
    p.kind = read_choice<Kind>(r.source(), *kind, r.key_path("kind"),
                               {{"idle", Kind::Idle},
                                {"constant_power", Kind::ConstantPower},
                                {"steps", Kind::Steps},
                                {"pv_home_day", Kind::PvHomeDay},
                                {"csv_series", Kind::CsvSeries}});
  }
  r.number("constant_power_W", p.constant_power_W, Range::closed(-50000.0, 50000.0));
  r.pairs("steps", p.steps, {"time_s", Range::closed(0.0, 1e10)},
          {"power_W", Range::closed(-50000.0, 50000.0)}, 1);
  read_pv_home(r.section("pv_home"), p.pv_home);
  r.text("csv_path", p.csv_path);
  r.finish();

  if (p.kind == Kind::Steps && p.steps.empty()) {
    r.fail("steps", "kind steps needs at least one step [time_s, power_W]");
  }
  if (p.kind == Kind::CsvSeries) {
    if (p.csv_path.empty()) r.fail("csv_path", "kind csv_series needs csv_path");
    p.csv_path = resolve_csv_path(p.csv_path, csv_directory);
    try {
      plant::HouseholdProfile check(p, seed);  // read the file now, not while stepping
    } catch (const plant::ProfileFileError& e) {
      r.fail("csv_path", e.what());
    }
  }
}

void read_ambient(MapReader r, plant::AmbientProfileParameters& p,
                  const std::string& csv_directory) {
  using Kind = plant::AmbientProfileKind;
  if (const YAML::Node* kind = r.find("kind")) {
    p.kind = read_choice<Kind>(r.source(), *kind, r.key_path("kind"),
                               {{"constant", Kind::Constant},
                                {"daily_cycle", Kind::DailyCycle},
                                {"winter", Kind::Winter},
                                {"csv_series", Kind::CsvSeries}});
  }
  r.number("mean_degC", p.mean_degC, kAmbient_degC);
  r.number("amplitude_degC", p.amplitude_degC, Range::closed(0.0, 30.0));
  r.text("csv_path", p.csv_path);
  r.number("start_time_h", p.start_time_h, kHourOfDay);
  r.finish();

  if (p.kind == Kind::CsvSeries) {
    if (p.csv_path.empty()) r.fail("csv_path", "kind csv_series needs csv_path");
    p.csv_path = resolve_csv_path(p.csv_path, csv_directory);
  }
  try {
    const plant::AmbientProfile profile(p);
    const bool within = kAmbient_degC.contains(profile.mean_degC() - profile.amplitude_degC()) &&
                        kAmbient_degC.contains(profile.mean_degC() + profile.amplitude_degC());
    if (p.kind != Kind::CsvSeries && !within) {
      r.fail("amplitude_degC",
             "mean_degC +- amplitude_degC must stay within " + kAmbient_degC.describe() + " degC");
    }
  } catch (const plant::ProfileFileError& e) {
    r.fail("csv_path", e.what());
  }
}

namespace {

bool is_serial_character(char c) { return c > ' ' && c < 127; }

std::string read_serial(const YamlSource& source, const YAML::Node& node, const std::string& path) {
  std::string serial = read_text(source, node, path);
  const bool printable = std::all_of(serial.begin(), serial.end(), is_serial_character);
  if (serial.empty() || serial.size() > kMaxSerialLength || !printable) {
    source.fail(node, path,
                "a serial number is 1 to " + std::to_string(kMaxSerialLength) +
                    " printable characters without spaces, found '" + serial + "'");
  }
  return serial;
}

plant::ModuleDescription read_module_description(MapReader r, int bdu, int module,
                                                 bool& temperature_given) {
  plant::ModuleDescription m;
  m.serial_number = "BTS5K-" + std::to_string(bdu + 1) + "-" + std::to_string(module + 1);
  r.number("initial_soc", m.initial_soc, Range::closed(0.0, 1.0));
  r.number("state_of_health", m.state_of_health, Range::closed(0.5, 1.0));
  temperature_given = r.has("initial_temperature_degC");
  r.number("initial_temperature_degC", m.initial_temperature_degC, kModuleTemperature_degC);
  r.boolean("power_cable_reversed", m.power_cable_reversed);
  if (const YAML::Node* serial = r.find("serial_number")) {
    m.serial_number = read_serial(r.source(), *serial, r.key_path("serial_number"));
  }
  r.finish();
  return m;
}

/// The `bdus` list: replaces the base system's BDUs entirely (REQ-TOP-3 counts checked first).
std::vector<plant::BduDescription> read_bdus(const YamlSource& source, const YAML::Node& node,
                                             std::vector<std::vector<bool>>& temperature_given) {
  const std::string path = "bdus";
  require_list(source, node, path);
  if (node.size() == 0) {
    source.fail(node, path, "no BDUs; a system has 1 or 2 BDUs (REQ-TOP-3)");
  }
  if (node.size() > static_cast<std::size_t>(SystemDescription::kMaxBdus)) {
    source.fail(node[SystemDescription::kMaxBdus], index_path(path, SystemDescription::kMaxBdus),
                "a system has 1 or 2 BDUs (REQ-TOP-3), each with its own inverter input; this "
                "file lists " +
                    std::to_string(node.size()));
  }
  std::vector<plant::BduDescription> bdus;
  for (std::size_t b = 0; b < node.size(); ++b) {
    MapReader r(source, node[b], index_path(path, b));
    plant::BduDescription bdu;
    bdu.serial_number = "BDU-" + std::to_string(b + 1);

    const YAML::Node* modules = r.find("modules");
    if (modules == nullptr) {
      r.fail("", "missing key 'modules' (a list of 1 to 4 modules, REQ-TOP-3)");
    }
    const std::string modules_path = r.key_path("modules");
    require_list(source, *modules, modules_path);
    if (modules->size() == 0) {
      source.fail(*modules, modules_path,
                  "no modules; a BDU has at least 1 and at most 4 modules (REQ-TOP-3)");
    }
    const auto max_modules = static_cast<std::size_t>(SystemDescription::kMaxModulesPerBdu);
    if (modules->size() > max_modules) {
      source.fail((*modules)[max_modules], index_path(modules_path, max_modules),
                  "at most 4 modules per BDU (REQ-TOP-3), allowed 1 to 4; this BDU lists " +
                      std::to_string(modules->size()));
    }
    temperature_given.emplace_back();
    for (std::size_t m = 0; m < modules->size(); ++m) {
      bool given = false;
      bdu.modules.push_back(
          read_module_description(MapReader(source, (*modules)[m], index_path(modules_path, m)),
                                  static_cast<int>(b), static_cast<int>(m), given));
      temperature_given.back().push_back(given);
    }
    r.boolean("terminal_resistor_present", bdu.terminal_resistor_present);
    if (const YAML::Node* serial = r.find("serial_number")) {
      bdu.serial_number = read_serial(source, *serial, r.key_path("serial_number"));
    }
    r.finish();
    bdus.push_back(std::move(bdu));
  }
  return bdus;
}

/// Serial numbers name a box on every bus and in every log: no two alike.
void check_unique_serials(MapReader& top, const SystemDescription& d) {
  std::vector<std::pair<std::string, std::string>> seen;  // serial, where
  const auto check = [&](const std::string& serial, const std::string& where) {
    for (const auto& [other, other_where] : seen) {
      if (other == serial) {
        top.source().fail(top.mark_of("bdus"), where,
                          "serial number '" + serial + "' is already used by " + other_where +
                              "; serial numbers must be unique");
      }
    }
    seen.emplace_back(serial, where);
  };
  for (std::size_t b = 0; b < d.bdus.size(); ++b) {
    check(d.bdus[b].serial_number, index_path("bdus", b));
    for (std::size_t m = 0; m < d.bdus[b].modules.size(); ++m) {
      check(d.bdus[b].modules[m].serial_number, index_path(index_path("bdus", b) + ".modules", m));
    }
  }
}

SystemDescription read_system(const YamlSource& source, const YAML::Node& root,
                              const std::string& csv_directory, const std::string& default_name) {
  MapReader top(source, root, "");
  SystemDescription d;

  // Start from the base built-in, then apply what the file says.
  std::string base = "e10";
  if (const YAML::Node* node = top.find("base")) {
    base = read_text(source, *node, "base");
    if (!plant::builtin_system(base, d)) {
      std::string names;
      for (const auto& name : plant::builtin_system_names()) {
        names += (names.empty() ? "" : ", ") + name;
      }
      source.fail(*node, "base", "'" + base + "' is not a built-in system; allowed: " + names);
    }
  } else {
    plant::builtin_system(base, d);
  }
  d.name = default_name;
  if (const YAML::Node* node = top.find("name")) {
    d.name = read_text(source, *node, "name");
    if (d.name.empty() || d.name.size() > 64) {
      source.fail(*node, "name", "a name is 1 to 64 characters");
    }
  }
  if (const YAML::Node* node = top.find("seed")) d.seed = read_unsigned64(source, *node, "seed");

  read_cell(top.section("cell"), d.cell);
  read_ageing(top.section("ageing"), d.ageing);
  read_spread(top.section("spread"), d.spread);
  read_module(top.section("module"), d.module);
  read_sensors(top.section("sensors"), d.module.sensors);
  read_pcu(top.section("pcu"), d.pcu);
  read_bdu(top.section("bdu"), d.bdu);
  read_fuse(top.section("fuse"), d.bdu.fuse);

  MapReader inverter = top.section("inverter");
  read_inverter(inverter, d.inverter);

  MapReader household = top.section("household");
  read_household(household, d.household, csv_directory, d.seed);

  // One clock: the ambient follows the household's time of day unless the file says otherwise.
  MapReader ambient = top.section("ambient");
  const bool household_start_given =
      household.has("pv_home") && household.section("pv_home").has("start_time_h");
  if (household_start_given && !ambient.has("start_time_h")) {
    d.ambient.start_time_h = d.household.pv_home.start_time_h;
  }
  read_ambient(ambient, d.ambient, csv_directory);

  std::vector<std::vector<bool>> temperature_given;
  if (const YAML::Node* node = top.find("bdus")) {
    d.bdus = read_bdus(source, *node, temperature_given);
  }
  top.finish();

  // Modules whose initial temperature the file leaves out start at the ambient's.
  const double start_degC = plant::AmbientProfile(d.ambient).temperature_degC(0.0);
  for (std::size_t b = 0; b < d.bdus.size(); ++b) {
    for (std::size_t m = 0; m < d.bdus[b].modules.size(); ++m) {
      const bool given = b < temperature_given.size() && temperature_given[b][m];
      if (given) continue;
      if (!kModuleTemperature_degC.contains(start_degC)) {
        ambient.fail("", "the ambient at time 0 is outside the module range " +
                             kModuleTemperature_degC.describe() + " degC");
      }
      d.bdus[b].modules[m].initial_temperature_degC = start_degC;
    }
  }

  // Each BDU feeds its own inverter input (REQ-TOP-3).
  const int bdu_count = static_cast<int>(d.bdus.size());
  if (!inverter.has("battery_inputs")) {
    d.inverter.battery_inputs = bdu_count;
  } else if (d.inverter.battery_inputs < bdu_count) {
    inverter.fail("battery_inputs", "the system has " + std::to_string(bdu_count) +
                                        " BDUs and each needs its own inverter input "
                                        "(REQ-TOP-3); allowed " +
                                        std::to_string(bdu_count) + " <= value <= " +
                                        std::to_string(SystemDescription::kMaxBdus) +
                                        ", or leave it out to follow the BDU count");
  }
  check_unique_serials(top, d);
  return d;
}

}  // namespace

SystemDescription parse_system_description(const std::string& yaml_text,
                                           const std::string& file_label,
                                           const std::string& csv_directory,
                                           const std::string& default_name) {
  const YamlSource source(file_label);
  try {
    return read_system(source, YAML::Load(yaml_text), csv_directory, default_name);
  } catch (const YAML::Exception& e) {
    source.fail(e.mark, "", "not valid YAML: " + e.msg);
  }
}

SystemDescription load_system_description(const std::string& name_or_path) {
  SystemDescription builtin;
  if (plant::builtin_system(name_or_path, builtin)) return builtin;

  std::ifstream file(name_or_path);
  if (!std::filesystem::is_regular_file(name_or_path) || !file) {
    std::string names;
    for (const auto& name : plant::builtin_system_names()) {
      names += (names.empty() ? "" : ", ") + name;
    }
    throw SystemDescriptionError("'" + name_or_path + "' is neither a built-in system (" + names +
                                 ") nor a readable file");
  }
  std::ostringstream text;
  text << file.rdbuf();
  const std::filesystem::path path(name_or_path);
  return parse_system_description(text.str(), name_or_path, path.parent_path().string(),
                                  path.stem().string());
}

std::vector<std::string> system_description_keys() {
  // Walk the schema over a document that opens every nested map once.
  std::vector<std::string> keys;
  YamlSource source("(schema)");
  source.set_key_recorder(&keys);
  const YAML::Node root = YAML::Load(
      "bdus: [{modules: [{}]}]\n"
      "household: {pv_home: {}}\n");
  read_system(source, root, ".", "schema");
  return keys;
}

}  // namespace bts::app
