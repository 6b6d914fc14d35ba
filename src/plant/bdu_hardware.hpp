#pragma once
// BDU hardware (BTS 5K-BDU, REQ-TOP-2, REQ-RAT-5): the BAT IN bus where up to four PCU outputs
// meet, the fuse, the positive/negative main relays and the precharge relay with its resistor, the
// DC-link capacitor with its bleeder (REQ-RAT-6), the DC switch, the cable to the inverter and the
// inverter's input capacitance, the black start push button, and the BDU's own sensors.
//
// Electrical network per step (implicit Euler, three nodes):
//   BAT IN (C_in) --fuse--relays/precharge--> DC link (C_link, bleeder)
//     --DC switch+cable--> inverter (C_inv)
// Sign convention: currents > 0 flow from the battery towards the inverter (discharge).
#include <array>
#include <span>
#include <utility>
#include <vector>

#include "plant/pcu.hpp"

namespace bts::plant {

struct FuseParameters {
  double rated_current_A = 40.0;
  /// Melting time against current as a multiple of the rating (log-log interpolation between
  /// points); below the first multiple the fuse never melts. gPV-style curve, see docs.
  std::vector<std::pair<double, double>> melting_time_s_by_multiple{
      {1.13, 1.0e9}, {1.45, 3600.0}, {2.0, 60.0}, {3.0, 5.0}, {5.0, 0.5}, {10.0, 0.02}};
  /// Thermal time constant with which the fuse element forgets a past overload.
  double cooling_time_constant_s = 120.0;
  /// Cold resistance of the intact element, in series with the relays (fuse_voltage_drop_V).
  double resistance_Ohm = 2.0e-3;
};

struct BduParameters {
  double nominal_current_A = 28.0;
  double max_current_A = 30.0;
  double min_full_load_voltage_V = 350.0;
  double max_full_load_voltage_V = 425.0;
  double bat_in_capacitance_F = 400e-6;    // PCU output capacitors and BAT IN bus
  double dc_link_capacitance_F = 1000e-6;  // BDU output capacitor (residual voltage, REQ-RAT-6)
  double bleeder_resistance_Ohm = 82e3;    // tau = 82 s: < 60 V five minutes after 435 V
  double bat_in_bleeder_resistance_Ohm = 200e3;
  double precharge_resistance_Ohm = 100.0;
  double relay_contact_resistance_Ohm = 0.5e-3;
  double relay_close_time_s = 0.030;  // coil energised to contacts closed
  double relay_open_time_s = 0.010;
  double relay_rated_break_current_A = 35.0;  // opening above this current arcs and wears contacts
  double cable_to_inverter_resistance_Ohm = 0.033;  // 2 x 5 m of 10 AWG (REQ-INS-5)
  double housekeeping_draw_W = 6.0;             // BDU electronics, taken from BAT IN when it is up
  double ambient_to_bdu_rise_degC_per_W = 0.5;  // BDU enclosure temperature rise from its losses
  FuseParameters fuse;
  /// BAT OUT terminal block: healthy contact resistance (a share of the cable resistance above)
  /// and the thermal node its I^2*R heats (same values as the module terminal block).
  double output_terminal_resistance_Ohm = 0.2e-3;
  double output_terminal_heat_capacity_J_per_K = 200.0;
  double output_terminal_conductance_W_per_K = 0.5;
  /// Housekeeping electronics run only while BAT IN is above this voltage.
  double housekeeping_min_voltage_V = 100.0;
  /// Floor on the inverter node capacitance (cable capacitance) so the node stays defined.
  double min_inverter_capacitance_F = 1e-9;
};

enum class RelayId { PositiveMain = 0, NegativeMain = 1, Precharge = 2 };

/// A relay: commanded coil, contacts that follow after a delay, weld failure, wear counters.
struct RelayState {
  bool coil_energised = false;
  bool contacts_closed = false;
  double transition_timer_s = 0.0;
  bool welded = false;  // fault: contacts stay closed
  int operations = 0;
  int openings_above_break_current = 0;  // ground truth for scoring (arcing under load)
};

/// Physical failures and installation errors of the BDU (fault injection).
struct BduFailures {
  bool fuse_blown = false;             // forced open (also set when the element melts)
  std::array<bool, 3> relay_welded{};  // by RelayId
  bool cable_to_inverter_cut = false;
  bool output_terminal_loose = false;  // BAT OUT terminal: adds resistance and heat
  double loose_terminal_resistance_Ohm = 0.15;
};

/// What the BDU's own sensors would see if they were perfect; the sensor layer adds errors.
struct BduTruth {
  double bat_in_voltage_V = 0.0;
  double dc_link_voltage_V = 0.0;  // BAT OUT, after the relays
  double inverter_voltage_V = 0.0;
  double output_current_A = 0.0;     // through the relays, > 0 to the inverter
  double fuse_voltage_drop_V = 0.0;  // across the fuse: ~0 intact, bus voltage when blown
  double output_terminal_temperature_rise_degC = 0.0;
  double precharge_resistor_energy_J = 0.0;
};

class BduHardware {
 public:
  explicit BduHardware(const BduParameters& parameters);

  // Commands from the BDU controller (through its HAL) and from the person at the box.
  void set_relay_coil(RelayId relay, bool energised);
  bool relay_coil(RelayId relay) const;
  bool relay_contacts_closed(RelayId relay) const;
  const RelayState& relay(RelayId relay) const;
  void set_dc_switch_closed(bool closed) { dc_switch_closed_ = closed; }
  bool dc_switch_closed() const { return dc_switch_closed_; }
  void set_black_start_pressed(bool pressed) { black_start_pressed_ = pressed; }
  bool black_start_pressed() const { return black_start_pressed_; }

  BduFailures& failures() { return failures_; }
  const BduFailures& failures() const { return failures_; }
  bool fuse_intact() const { return !failures_.fuse_blown; }
  double fuse_melt_fraction() const { return fuse_melt_fraction_; }  // 1 = melts

  /// Advance the network. pcu_bus_current_A is the sum of the currents the PCUs push into BAT IN
  /// (already limited by each PCU), inverter_current_A what the inverter draws from its input node,
  /// inverter_capacitance_F the inverter's own input capacitance.
  void step(double dt_s, double pcu_bus_current_A, double inverter_current_A,
            double inverter_capacitance_F);
  /// The same with each converter as a source that depends on the BAT IN voltage (droop mode):
  /// the network finds the BAT IN voltage where all sources and loads balance, implicitly.
  static constexpr std::size_t kMaxSources = 8;
  void step(double dt_s, std::span<const PcuBusSource> sources, double inverter_current_A,
            double inverter_capacitance_F);
  /// Current each source delivered during the last multi-source step (> 0 into BAT IN).
  double source_current_A(std::size_t index) const { return source_current_A_[index]; }

  const BduTruth& truth() const { return truth_; }
  const BduParameters& parameters() const { return parameters_; }
  /// Melting time of the fuse at a constant current (s), from the curve; infinity below it.
  double fuse_melting_time_s(double current_A) const;

  /// Initial conditions (scenario start, tests): node voltages in V, clamped to >= 0.
  void set_node_voltages_V(double bat_in_V, double dc_link_V, double inverter_V);
  /// What the network actually carried during the last step: the inverter draw after limiting it
  /// so its node does not go negative, and the PCU current BAT IN accepted (limited the same way
  /// when the PCUs pull charge from a bus that cannot give it).
  double inverter_current_drawn_A() const { return inverter_current_drawn_A_; }
  double pcu_current_accepted_A() const { return pcu_current_accepted_A_; }
  /// Current through each relay's contacts during the last step (> 0 towards the inverter).
  double relay_current_A(RelayId relay) const;
  /// Power dissipated during the last step: everything (bleeders, fuse, contacts, precharge
  /// resistor, housekeeping, terminal, cable) and the share inside the BDU enclosure (no cable).
  double loss_W() const { return loss_W_; }
  double enclosure_loss_W() const { return enclosure_loss_W_; }
  /// Enclosure temperature rise over ambient from enclosure_loss_W (static, no thermal mass).
  double enclosure_temperature_rise_degC() const {
    return parameters_.ambient_to_bdu_rise_degC_per_W * enclosure_loss_W_;
  }
  /// Electric energy in the three capacitances (J), with the last inverter capacitance.
  double stored_energy_J() const;

 private:
  struct Branches;  // conductances of the step, see bdu_hardware.cpp

  void advance_relays(double dt_s);
  void advance_fuse(double dt_s, double current_A);
  Branches branch_conductances() const;
  void solve_network(double dt_s, const Branches& branches, double inverter_capacitance_F,
                     std::span<const PcuBusSource> sources, double inverter_current_A);
  void record_branch_currents(const Branches& branches);
  void account_losses(double housekeeping_current_A);
  double terminal_resistance_Ohm() const;  // healthy contact plus the loose-terminal fault
  void advance_terminal(double dt_s);
  void update_truth();

  BduParameters parameters_;
  std::array<RelayState, 3> relays_{};
  BduFailures failures_;
  bool dc_switch_closed_ = false;
  bool black_start_pressed_ = false;
  double fuse_melt_fraction_ = 0.0;
  double v_in_V_ = 0.0, v_link_V_ = 0.0, v_inverter_V_ = 0.0;
  double inverter_capacitance_F_ = 0.0;
  double inverter_current_drawn_A_ = 0.0;
  double pcu_current_accepted_A_ = 0.0;
  std::array<double, kMaxSources> source_current_A_{};
  double output_current_A_ = 0.0;  // BAT IN -> DC link (fuse, negative main)
  double cable_current_A_ = 0.0;   // DC link -> inverter node
  std::array<double, 3> relay_current_A_{};
  double loss_W_ = 0.0;
  double enclosure_loss_W_ = 0.0;
  BduTruth truth_;
};

}  // namespace bts::plant
