#include "io/sunspec_source.hpp"

#include <algorithm>
#include <cmath>

namespace bts::io {

using firmware::sunspec::BduValues;
using firmware::sunspec::ModuleValues;
using firmware::sunspec::SunSpecValues;

namespace {

ModuleValues module_values(const firmware::ModuleEntry& entry) {
  ModuleValues module;
  module.reporting = entry.reporting;
  module.serial_number = entry.assigned ? entry.serial_number : 0;
  module.soc_permille = entry.soc_permille;
  module.stack_voltage_mV = entry.stack_voltage_mV;
  module.min_cell_mV = entry.min_cell_mV;
  module.max_cell_mV = entry.max_cell_mV;
  module.min_cell_index = entry.min_cell_index;
  module.max_cell_index = entry.max_cell_index;
  module.min_temperature_ddegC = entry.min_temperature_ddegC;
  module.max_temperature_ddegC = entry.max_temperature_ddegC;
  return module;
}

}  // namespace

BduValues sunspec_bdu_values(const firmware::BduController& bdu, int module_count, double time_s) {
  BduValues values;
  values.serial_number = bdu.serial_number();
  values.firmware_version = bdu.firmware_version();
  values.state = bdu.state();
  values.codes = bdu.codes();
  values.own_codes = bdu.own_codes();
  const firmware::InverterFacingValues& limits = bdu.inverter_values();
  values.charge_voltage_limit_dV = limits.charge_voltage_limit_dV;
  values.discharge_voltage_limit_dV = limits.discharge_voltage_limit_dV;
  values.charge_current_limit_dA = limits.charge_current_limit_dA;
  values.discharge_current_limit_dA = limits.discharge_current_limit_dA;
  values.soh_permille = limits.soh_permille;
  const firmware::BduMeasurements& measured = bdu.last_measurements();
  values.output_voltage_dV = measured.output_voltage_dV;
  values.bus_voltage_dV = measured.bat_in_voltage_dV;
  values.output_current_dA = measured.output_current_dA;
  values.relay_closed = measured.relay_auxiliary_closed;
  values.soc_permille = bdu.soc_permille();
  values.precharge_given_up = bdu.precharge_given_up();
  values.force_charge_requested = bdu.force_charge_requested();
  // The battery heartbeat counts seconds and wraps, as SunSpec's Hb does.
  values.heartbeat_s = static_cast<std::uint16_t>(
      static_cast<std::uint64_t>(std::max(0.0, std::floor(time_s))) & 0xFFFFu);
  values.module_count = std::clamp(module_count, 1, firmware::kMaxModulesPerBdu);
  for (int index = 0; index < values.module_count; ++index)
    values.modules[static_cast<std::size_t>(index)] =
        module_values(bdu.modules()[static_cast<std::size_t>(index)]);
  return values;
}

SunSpecValues sunspec_values(sim::LockstepRunner& runner,
                             const plant::SystemDescription& description) {
  SunSpecValues values;
  values.bdu_count =
      std::clamp(static_cast<int>(description.bdus.size()), 1, firmware::sunspec::kMaxBdus);
  for (int bdu = 0; bdu < values.bdu_count; ++bdu) {
    const int modules =
        static_cast<int>(description.bdus[static_cast<std::size_t>(bdu)].modules.size());
    values.bdus[static_cast<std::size_t>(bdu)] =
        sunspec_bdu_values(runner.bdu(bdu), modules, runner.time_s());
  }
  return values;
}

}  // namespace bts::io
