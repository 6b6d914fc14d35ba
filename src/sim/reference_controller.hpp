#pragma once
// A minimal controller that drives the plant from its sensors only: it brings each BDU's bus up,
// precharges and closes the relays, gives every PCU the same bus voltage reference (the PCUs'
// own droop loops share the current equally, a slow integral removes the droop sag) and
// reports simple limits to the inverter. It exists so the plant can be run and benchmarked as a
// whole before the real firmware (src/firmware, issue 3) takes over; it has no protections beyond
// the limit taper and must not be mistaken for the firmware.
#include <vector>

#include "plant/system_plant.hpp"

namespace bts::sim {

struct ReferenceControllerSettings {
  double bus_setpoint_at_empty_V = 360.0;  // BAT IN set point rises with the stack voltage
  double bus_setpoint_at_full_V = 420.0;
  double sag_integral_gain_A_per_V_s = 0.05;  // slow integral that removes the droop sag
  double precharge_done_difference_V = 10.0;
  double charge_taper_start_V = 3.45;  // max cell voltage where the charge limit starts falling
  double charge_stop_V = 3.55;
  double discharge_taper_start_V =
      3.05;  // min cell voltage where the discharge limit starts falling
  double discharge_stop_V = 2.90;
  double per_module_current_limit_A = 6.0;  // bus side, under the PCU's 7.5 A / 2.5 kW
};

class ReferenceController {
 public:
  ReferenceController(plant::SystemPlant& plant, ReferenceControllerSettings settings = {});
  /// Read sensors and act; call once per plant step before plant.step().
  void update(double dt_s);

 private:
  enum class Phase { BusStart, Precharge, Closed };
  struct BduControl {
    Phase phase = Phase::BusStart;
    double min_cell_V = 3.3;
    double max_cell_V = 3.3;
    double stack_mean_V = 52.0;
    double offset_A = 0.0;  // integral share offset added to every PCU
  };
  void update_bdu(int bdu, double dt_s);

  plant::SystemPlant& plant_;
  ReferenceControllerSettings settings_;
  std::vector<BduControl> bdus_;
};

}  // namespace bts::sim
