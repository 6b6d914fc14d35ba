#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

#include "app/system_loader.hpp"

namespace bts::app {

namespace {

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

std::string plural(std::size_t count, const char* word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

std::string household_summary(const plant::HouseholdProfileParameters& h) {
  using Kind = plant::HouseholdProfileKind;
  switch (h.kind) {
    case Kind::Idle:
      return "idle household";
    case Kind::ConstantPower:
      return "constant household request of " + format("%.0f W", h.constant_power_W);
    case Kind::Steps:
      return "household request in " + plural(h.steps.size(), "step");
    case Kind::PvHomeDay:
      return "PV home day (" + format("%.1f kW", h.pv_home.pv_peak_W / 1000.0) +
             " PV peak, cloudiness " + format("%.2f", h.pv_home.cloudiness) + ")";
    case Kind::CsvSeries:
      return "household from " + h.csv_path;
  }
  return "household";
}

std::string ambient_summary(const plant::AmbientProfileParameters& a) {
  using Kind = plant::AmbientProfileKind;
  switch (a.kind) {
    case Kind::Constant:
      return "constant " + format("%.1f degC", a.mean_degC) + " ambient";
    case Kind::DailyCycle:
      return "ambient " + format("%.1f", a.mean_degC) + " +- " +
             format("%.1f degC", a.amplitude_degC) + " daily";
    case Kind::Winter:
      return "winter garage ambient";
    case Kind::CsvSeries:
      return "ambient from " + a.csv_path;
  }
  return "ambient";
}

}  // namespace

std::string describe_system(const plant::SystemDescription& d) {
  const double module_nominal_kWh =
      d.module.cells_in_series * d.cell.nominal_voltage_V * d.cell.nominal_capacity_Ah / 1000.0;
  double healthy_kWh = 0.0;
  for (const auto& bdu : d.bdus) {
    for (const auto& module : bdu.modules)
      healthy_kWh += module_nominal_kWh * module.state_of_health;
  }
  const auto names = plant::builtin_system_names();
  std::string name = d.name;
  if (std::find(names.begin(), names.end(), name) != names.end()) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }

  std::string text = name + ": " + plural(d.bdus.size(), "BDU") + ", " +
                     plural(static_cast<std::size_t>(d.module_count()), "module") + " (" +
                     format("%.2f kWh", module_nominal_kWh * d.module_count()) + " nominal";
  if (healthy_kWh < module_nominal_kWh * d.module_count() - 1e-9) {
    text += ", " + format("%.2f kWh", healthy_kWh) + " at their state of health";
  }
  text += ").";
  for (const auto& bdu : d.bdus) {
    text += " " + bdu.serial_number + ":";
    for (std::size_t m = 0; m < bdu.modules.size(); ++m) {
      const auto& module = bdu.modules[m];
      text += std::string(m == 0 ? " " : ", ") + module.serial_number + " SOC " +
              format("%.0f %%", module.initial_soc * 100.0) + " SOH " +
              format("%.0f %%", module.state_of_health * 100.0);
      if (module.power_cable_reversed) text += " (power cable reversed)";
    }
    if (!bdu.terminal_resistor_present) text += "; no terminal resistor";
    text += ".";
  }
  text += " Inverter with " +
          plural(static_cast<std::size_t>(d.inverter.battery_inputs), "battery input") + " of " +
          format("%.1f kW", d.inverter.max_battery_power_W / 1000.0) + "; " +
          household_summary(d.household) + "; " + ambient_summary(d.ambient) + "; seed " +
          std::to_string(d.seed) + ".";
  return text;
}

}  // namespace bts::app
