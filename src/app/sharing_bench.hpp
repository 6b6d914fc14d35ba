#pragma once
// `bts bench energy` and `bts bench expansion` (REQ-FEA-2 current balance, REQ-FEA-3 expansion):
//  - energy: an E20 whose modules are at SOH 100/95/85/80 % and SOC 90/70/50/30 % is discharged
//    at rated power (4 x 2.5 kW) to the first protection stop (the BDU stops discharging), with
//    current sharing by remaining charge and with equal sharing as the baseline; reported: the
//    energy delivered at BAT OUT as a share of the energy the modules held (ground truth).
//  - expansion: a new module at 30 % SOC joins an E15 at 80 % (its Link and power cables plugged
//    in at 10 min) on PV home days; reported: the time until every module SOC is within 2 % and
//    every code seen (none expected).
#include <string>

namespace bts::app {

struct EnergyBenchOptions {
  unsigned long seed = 1;
  double max_hours = 8.0;
};
/// One JSON object with both sharing modes.
std::string run_energy_bench(const EnergyBenchOptions& options);

struct ExpansionBenchOptions {
  unsigned long seed = 1;
  double max_days = 20.0;
};
std::string run_expansion_bench(const ExpansionBenchOptions& options);

}  // namespace bts::app
