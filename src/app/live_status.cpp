#include "app/live_status.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/duration.hpp"
#include "app/run_outputs.hpp"

namespace bts::app {

std::string live_status_json(const sim::SystemSnapshot& snapshot, double wall_s) {
  nlohmann::json status;
  status["time_s"] = snapshot.time_s;
  status["wall_s"] = wall_s;
  status["household_request_W"] = snapshot.household_request_W;
  nlohmann::json bdus = nlohmann::json::array();
  for (std::size_t b = 0; b < snapshot.bdus.size(); ++b) {
    const sim::BduSnapshot& bdu = snapshot.bdus[b];
    nlohmann::json entry;
    entry["state"] = bdu.state;
    entry["relays_closed"] = bdu.relays_closed;
    entry["bus_voltage_V"] = bdu.bus_voltage_V;
    entry["output_voltage_V"] = bdu.output_voltage_V;
    entry["output_current_A"] = bdu.output_current_A;
    entry["soc_percent"] = bdu.soc_percent;
    entry["limits_valid"] = bdu.limits_valid;
    entry["charge_voltage_limit_V"] = bdu.charge_voltage_limit_V;
    entry["discharge_voltage_limit_V"] = bdu.discharge_voltage_limit_V;
    entry["charge_current_limit_A"] = bdu.charge_current_limit_A;
    entry["discharge_current_limit_A"] = bdu.discharge_current_limit_A;
    entry["codes"] = code_labels(bdu.codes);
    entry["true_soc_percent"] = bdu.true_soc_percent;
    entry["inverter_current_A"] = bdu.inverter_current_A;
    nlohmann::json modules = nlohmann::json::array();
    for (const sim::ModuleSnapshot& module : snapshot.modules[b]) {
      modules.push_back({{"state", module.state},
                         {"soc_percent", module.soc_percent},
                         {"current_A", module.current_A},
                         {"cell_voltage_min_V", module.cell_voltage_min_V},
                         {"cell_voltage_max_V", module.cell_voltage_max_V},
                         {"cell_temperature_min_degC", module.cell_temperature_min_degC},
                         {"cell_temperature_max_degC", module.cell_temperature_max_degC},
                         {"codes", code_labels(module.codes)},
                         {"true_soc_percent", module.true_soc_percent}});
    }
    entry["modules"] = modules;
    bdus.push_back(entry);
  }
  status["bdus"] = bdus;
  return status.dump(1) + "\n";
}

bool write_live_status(const std::string& path, const sim::SystemSnapshot& snapshot, double wall_s,
                       std::string& error) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << live_status_json(snapshot, wall_s);
    if (!out) {
      error = "cannot write " + temporary;
      return false;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + temporary + " to " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string status_line(const sim::SystemSnapshot& snapshot) {
  std::string line = format_duration(snapshot.time_s);
  for (std::size_t b = 0; b < snapshot.bdus.size(); ++b) {
    const sim::BduSnapshot& bdu = snapshot.bdus[b];
    char text[200];
    std::snprintf(text, sizeof text, "  BDU%zu %s %.1f V %.1f A SOC %.0f %% limits %.1f/%.1f A",
                  b + 1, bdu.state.c_str(), bdu.output_voltage_V, bdu.output_current_A,
                  bdu.soc_percent, bdu.charge_current_limit_A, bdu.discharge_current_limit_A);
    line += text;
    for (const std::string& code : code_labels(bdu.codes)) line += " " + code;
  }
  return line;
}

}  // namespace bts::app
