#pragma once
// Example values for the SunSpec map tests: an E10 (one BDU, two modules) charging, and an E40.
#include "firmware/inverter/sunspec_values.hpp"

namespace bts::firmware::sunspec::testing {

inline ModuleValues example_module(int position) {
  ModuleValues module;
  module.reporting = true;
  module.serial_number = 0x5A000010u + static_cast<std::uint32_t>(position);
  module.soc_permille = 520 + 10 * position;
  module.stack_voltage_mV = 53120 + 16 * position;  // 3.320 V + position mV average cell
  module.min_cell_mV = 3300 + position;
  module.min_cell_index = 4;  // cell 5
  module.max_cell_mV = 3340 + position;
  module.max_cell_index = static_cast<std::uint8_t>(10 + position);
  module.min_temperature_ddegC = static_cast<std::int16_t>(210 + position);
  module.max_temperature_ddegC = static_cast<std::int16_t>(260 + 5 * position);
  return module;
}

inline BduValues example_bdu(int modules) {
  BduValues bdu;
  bdu.serial_number = 0xB0001234u;
  bdu.firmware_version = {1, 4, 12};
  bdu.state = BduState::Charge;
  bdu.codes.set(Code::A1);
  bdu.codes.set(Code::F9);
  bdu.own_codes.set(Code::F9);
  bdu.charge_voltage_limit_dV = 4250;
  bdu.discharge_voltage_limit_dV = 3500;
  bdu.charge_current_limit_dA = 150;
  bdu.discharge_current_limit_dA = 280;
  bdu.output_voltage_dV = 3987;
  bdu.bus_voltage_dV = 3991;
  bdu.output_current_dA = -123;  // charging at 12.3 A
  bdu.soc_permille = 523;
  bdu.soh_permille = 987;
  bdu.relay_closed = {true, true, false};
  bdu.heartbeat_s = 4711;
  bdu.module_count = modules;
  for (int index = 0; index < modules; ++index)
    bdu.modules[static_cast<std::size_t>(index)] = example_module(index);
  return bdu;
}

inline SunSpecValues example_e10() {
  SunSpecValues values;
  values.bdu_count = 1;
  values.unit_id = 7;
  values.bdus[0] = example_bdu(2);
  return values;
}

inline SunSpecValues example_e40() {
  SunSpecValues values;
  values.bdu_count = 2;
  values.bdus[0] = example_bdu(4);
  values.bdus[1] = example_bdu(4);
  values.bdus[1].serial_number = 0xB0005678u;
  values.bdus[1].state = BduState::Standby;
  return values;
}

}  // namespace bts::firmware::sunspec::testing
