#pragma once
// The whole physical system (SLIDE-style composite): cells -> modules -> BDUs -> inverter, with
// the household and the ambient around it, stepped in one call. Firmware drives it through the
// modules' and BDUs' controls and reads it only through read_*_sensors(); the truth() side is
// for recording and scoring.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plant/bdu_hardware.hpp"
#include "plant/cell.hpp"
#include "plant/faults.hpp"
#include "plant/inverter.hpp"
#include "plant/module.hpp"
#include "plant/profiles.hpp"
#include "plant/sensors.hpp"
#include "plant/system_description.hpp"

namespace bts::plant {

/// What the BDU controller's own converters and inputs deliver.
struct BduSensorReadings {
  double bat_in_voltage_V = 0.0;
  double output_voltage_V = 0.0;     // DC link / BAT OUT
  double output_current_A = 0.0;     // > 0 to the inverter
  double fuse_voltage_drop_V = 0.0;  // across the fuse
  double bdu_temperature_degC = 0.0;
  double output_terminal_temperature_degC = 0.0;
  std::array<double, SystemDescription::kMaxModulesPerBdu> input_voltage_V{};  // per BAT IN input
  bool black_start_pressed = false;
  bool dc_switch_closed = false;                 // auxiliary contact of the DC switch
  std::array<bool, 3> relay_auxiliary_closed{};  // auxiliary contacts, by RelayId
};

/// Ground truth of one BDU for scoring.
struct BduTruthSummary {
  BduTruth electrical;
  double energy_discharged_Wh = 0.0;  // at BAT OUT, to the inverter
  double energy_charged_Wh = 0.0;     // at BAT OUT, from the inverter
};

/// Extremes over the whole run, for the "never left the protection limits" checks.
class SystemPlant {
 public:
  explicit SystemPlant(const SystemDescription& description);
  SystemPlant(const SystemPlant&) = delete;
  SystemPlant& operator=(const SystemPlant&) = delete;

  /// Advance every part by dt_s (the plant step; 10 ms by default in the simulator).
  void step(double dt_s);
  double time_s() const { return static_cast<double>(time_us_) * 1e-6; }
  std::int64_t time_us() const { return time_us_; }

  int bdu_count() const { return static_cast<int>(bdus_.size()); }
  int module_count(int bdu) const {
    return static_cast<int>(modules_[static_cast<std::size_t>(bdu)].size());
  }
  Module& module(int bdu, int index) {
    return *modules_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(index)];
  }
  const Module& module(int bdu, int index) const {
    return *modules_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(index)];
  }
  BduHardware& bdu(int index) { return *bdus_[static_cast<std::size_t>(index)]; }
  const BduHardware& bdu(int index) const { return *bdus_[static_cast<std::size_t>(index)]; }
  Inverter& inverter() { return *inverter_; }
  const Inverter& inverter() const { return *inverter_; }
  const BduWiring& wiring(int bdu) const { return wiring_[static_cast<std::size_t>(bdu)]; }
  bool bdu_network_cable_cut() const { return bdu_network_cable_cut_; }
  const SystemDescription& description() const { return description_; }

  BduSensorReadings read_bdu_sensors(int bdu);

  /// Switch a physical fault on or off. Returns false (and changes nothing) when the fault names
  /// a BDU, module, cell or channel that does not exist; error (if given) says which.
  bool set_fault(const PlantFault& fault, bool active, std::string* error = nullptr);

  double ambient_temperature_degC() const { return ambient_degC_; }
  /// The weather from now on: the air around every module and BDU enclosure is degC instead of
  /// the ambient profile's (a local ambient_override fault still wins for its module).
  void set_ambient_degC(double degC) { fixed_ambient_degC_ = degC; }
  /// A node's record memory (EEPROM) refuses writes: module >= 0 a module BMS, -1 the BDU.
  bool memory_write_fails(int bdu, int module) const;
  double module_ambient_temperature_degC(int bdu, int module) const;
  BduTruthSummary bdu_truth(int bdu) const;
  const PlantExtremes& extremes() const { return extremes_; }
  /// Sum over all modules of the energy their cells hold (to empty along the mean OCV).
  double stored_energy_Wh() const;

 private:
  bool check_location(const PlantFault& fault, std::string* error) const;
  void update_extremes();

  SystemDescription description_;
  std::unique_ptr<LfpChemistry> chemistry_;
  std::vector<std::vector<std::unique_ptr<Module>>> modules_;
  std::vector<std::unique_ptr<BduHardware>> bdus_;
  std::vector<BduWiring> wiring_;
  std::vector<std::vector<bool>> ambient_overridden_;
  std::vector<std::vector<double>> ambient_override_degC_;
  std::vector<std::vector<bool>> memory_write_fails_;  // per BDU: [0] the BDU, [1 + m] module m
  std::optional<double> fixed_ambient_degC_;
  std::vector<BduTruthSummary> bdu_energy_;
  std::vector<SensorChannel> bdu_voltage_channels_;  // 2 per BDU: BAT IN, output
  std::vector<SensorChannel> bdu_current_channels_;
  std::unique_ptr<Inverter> inverter_;
  std::unique_ptr<AmbientProfile> ambient_;
  Rng noise_rng_;
  bool bdu_network_cable_cut_ = false;
  std::int64_t time_us_ = 0;  // integer so that long runs keep exact times
  double ambient_degC_ = 25.0;
  PlantExtremes extremes_;
};

}  // namespace bts::plant
