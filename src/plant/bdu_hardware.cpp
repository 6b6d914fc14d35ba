#include "plant/bdu_hardware.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

// Equations, defaults and decisions: docs/plant-power.md.
namespace bts::plant {

namespace {

// Transition timers count down in floating point; this absorbs the rounding of k * dt.
constexpr double kTimerTolerance_s = 1e-9;

constexpr std::size_t index_of(RelayId relay) { return static_cast<std::size_t>(relay); }

double conductance_of(double resistance_Ohm) {
  return resistance_Ohm > 0.0 ? 1.0 / resistance_Ohm : 0.0;
}

/// The 3x3 tridiagonal nodal matrix of one implicit Euler step, factored once and solved for
/// several right-hand sides (superposition of the known source currents).
class TridiagonalSystem {
 public:
  TridiagonalSystem(double a11, double a12, double a22, double a23, double a33)
      : a11_(a11), a12_(a12), a23_(a23) {
    // Symmetric matrix: a21 = a12, a32 = a23. Diagonals dominate, so no pivoting is needed.
    m1_ = a12 / a11;
    a22_ = a22 - m1_ * a12;
    m2_ = a23 / a22_;
    a33_ = a33 - m2_ * a23;
  }

  std::array<double, 3> solve(const std::array<double, 3>& b) const {
    const double b2 = b[1] - m1_ * b[0];
    const double b3 = b[2] - m2_ * b2;
    const double x3 = b3 / a33_;
    const double x2 = (b2 - a23_ * x3) / a22_;
    const double x1 = (b[0] - a12_ * x2) / a11_;
    return {x1, x2, x3};
  }

 private:
  double a11_, a12_, a23_;
  double a22_ = 0.0, a33_ = 0.0, m1_ = 0.0, m2_ = 0.0;
};

std::array<double, 3> combine(const std::array<double, 3>& base, double k1,
                              const std::array<double, 3>& unit1, double k2,
                              const std::array<double, 3>& unit2) {
  std::array<double, 3> x{};
  for (std::size_t i = 0; i < 3; ++i) x[i] = base[i] + k1 * unit1[i] + k2 * unit2[i];
  return x;
}

}  // namespace

/// Conductances of the step. The main path is fuse + negative main contact in series with the
/// parallel of the positive main contact and the precharge resistor.
struct BduHardware::Branches {
  double positive_S = 0.0;   // positive main contact, 0 when open
  double precharge_S = 0.0;  // precharge resistor, 0 when its relay is open
  double main_S = 0.0;       // BAT IN <-> DC link, whole path
  double output_S = 0.0;     // DC link <-> inverter node: terminal, DC switch, cable
};

BduHardware::BduHardware(const BduParameters& parameters) : parameters_(parameters) {}

void BduHardware::set_relay_coil(RelayId relay, bool energised) {
  RelayState& state = relays_[index_of(relay)];
  if (state.coil_energised == energised) return;
  state.coil_energised = energised;
  const bool moving = energised != state.contacts_closed;
  state.transition_timer_s =
      moving ? (energised ? parameters_.relay_close_time_s : parameters_.relay_open_time_s) : 0.0;
}

bool BduHardware::relay_coil(RelayId relay) const {
  return relays_[index_of(relay)].coil_energised;
}

bool BduHardware::relay_contacts_closed(RelayId relay) const {
  return relays_[index_of(relay)].contacts_closed;
}

const RelayState& BduHardware::relay(RelayId relay) const { return relays_[index_of(relay)]; }

double BduHardware::relay_current_A(RelayId relay) const {
  return relay_current_A_[index_of(relay)];
}

void BduHardware::set_node_voltages_V(double bat_in_V, double dc_link_V, double inverter_V) {
  v_in_V_ = std::max(0.0, bat_in_V);
  v_link_V_ = std::max(0.0, dc_link_V);
  v_inverter_V_ = std::max(0.0, inverter_V);
  update_truth();
}

double BduHardware::stored_energy_J() const {
  return 0.5 * (parameters_.bat_in_capacitance_F * v_in_V_ * v_in_V_ +
                parameters_.dc_link_capacitance_F * v_link_V_ * v_link_V_ +
                inverter_capacitance_F_ * v_inverter_V_ * v_inverter_V_);
}

double BduHardware::fuse_melting_time_s(double current_A) const {
  const auto& curve = parameters_.fuse.melting_time_s_by_multiple;
  const double multiple = std::abs(current_A) / parameters_.fuse.rated_current_A;
  if (curve.empty() || multiple < curve.front().first) {
    return std::numeric_limits<double>::infinity();
  }
  if (curve.size() == 1) return curve.front().second;
  // Segment containing the multiple; past the last point keep I^2*t constant (adiabatic melting).
  auto upper = std::upper_bound(curve.begin(), curve.end(), multiple,
                                [](double x, const auto& point) { return x < point.first; });
  if (upper == curve.end()) {
    const auto& last = curve.back();
    return last.second * (last.first / multiple) * (last.first / multiple);
  }
  const auto lower = upper - 1;
  const double share = std::log(multiple / lower->first) / std::log(upper->first / lower->first);
  return std::exp(std::log(lower->second) + share * std::log(upper->second / lower->second));
}

void BduHardware::advance_relays(double dt_s) {
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    RelayState& state = relays_[i];
    state.welded = failures_.relay_welded[i];
    if (state.coil_energised == state.contacts_closed) continue;
    if (!state.coil_energised && state.welded) continue;  // welded contacts cannot part
    state.transition_timer_s -= dt_s;
    if (state.transition_timer_s > kTimerTolerance_s) continue;
    state.transition_timer_s = 0.0;
    state.contacts_closed = state.coil_energised;
    if (state.contacts_closed) {
      ++state.operations;  // one operation = one make/break cycle, counted on the make
    } else if (std::abs(relay_current_A_[i]) > parameters_.relay_rated_break_current_A) {
      // Parting under the current of the last step: an arc the contacts remember.
      ++state.openings_above_break_current;
    }
  }
}

void BduHardware::advance_fuse(double dt_s, double current_A) {
  if (failures_.fuse_blown) return;
  const double melting_time_s = fuse_melting_time_s(current_A);
  if (std::isfinite(melting_time_s)) {
    fuse_melt_fraction_ += dt_s / melting_time_s;  // Miner's rule
  } else {
    fuse_melt_fraction_ *= std::exp(-dt_s / parameters_.fuse.cooling_time_constant_s);
  }
  if (fuse_melt_fraction_ >= 1.0) {
    fuse_melt_fraction_ = 1.0;
    failures_.fuse_blown = true;
  }
}

BduHardware::Branches BduHardware::branch_conductances() const {
  Branches branches;
  const bool negative_closed = relay_contacts_closed(RelayId::NegativeMain);
  if (negative_closed && fuse_intact()) {
    if (relay_contacts_closed(RelayId::PositiveMain)) {
      branches.positive_S = conductance_of(parameters_.relay_contact_resistance_Ohm);
    }
    if (relay_contacts_closed(RelayId::Precharge)) {
      branches.precharge_S = conductance_of(parameters_.precharge_resistance_Ohm);
    }
    const double parallel_S = branches.positive_S + branches.precharge_S;
    if (parallel_S > 0.0) {
      branches.main_S = 1.0 / (parameters_.fuse.resistance_Ohm +
                               parameters_.relay_contact_resistance_Ohm + 1.0 / parallel_S);
    }
  }
  if (dc_switch_closed_ && !failures_.cable_to_inverter_cut) {
    double resistance_Ohm = parameters_.cable_to_inverter_resistance_Ohm;
    if (failures_.output_terminal_loose) resistance_Ohm += failures_.loose_terminal_resistance_Ohm;
    branches.output_S = conductance_of(resistance_Ohm);
  }
  return branches;
}

namespace {

/// BAT IN voltage where v = a + b * (sum of source currents at v), with b > 0 and every source
/// non-increasing in v, so the root is unique. Active-set iteration: sources that hit their window
/// are held at the limit, the rest solved together; it ends when no source changes side.
double solve_bat_in_voltage(double a, double b, std::span<const PcuBusSource> sources) {
  enum class Side { Free, AtMin, AtMax };
  std::array<Side, BduHardware::kMaxSources> side{};
  double v = a;
  for (std::size_t iteration = 0; iteration < 2 * sources.size() + 2; ++iteration) {
    double fixed_A = 0.0, free_I0_A = 0.0, free_G_S = 0.0;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (side[i] == Side::AtMin) fixed_A += sources[i].min_A;
      if (side[i] == Side::AtMax) fixed_A += sources[i].max_A;
      if (side[i] == Side::Free) {
        free_I0_A += sources[i].current_at_zero_V_A;
        free_G_S += sources[i].conductance_S;
      }
    }
    v = (a + b * (fixed_A + free_I0_A)) / (1.0 + b * free_G_S);
    bool changed = false;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      const double unclamped_A = sources[i].current_at_zero_V_A - sources[i].conductance_S * v;
      Side wanted = Side::Free;
      if (unclamped_A > sources[i].max_A) wanted = Side::AtMax;
      if (unclamped_A < sources[i].min_A) wanted = Side::AtMin;
      if (wanted != side[i]) {
        side[i] = wanted;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return v;
}

}  // namespace

void BduHardware::solve_network(double dt_s, const Branches& branches,
                                double inverter_capacitance_F,
                                std::span<const PcuBusSource> sources, double inverter_current_A) {
  const double c_in_S = parameters_.bat_in_capacitance_F / dt_s;
  const double c_link_S = parameters_.dc_link_capacitance_F / dt_s;
  const double c_inv_S = inverter_capacitance_F / dt_s;
  const double g1 = branches.main_S;
  const double g2 = branches.output_S;
  const TridiagonalSystem system(
      c_in_S + conductance_of(parameters_.bat_in_bleeder_resistance_Ohm) + g1, -g1,
      c_link_S + conductance_of(parameters_.bleeder_resistance_Ohm) + g1 + g2, -g2, c_inv_S + g2);

  // Node voltages are affine in the two known currents: x = base + I_bat_in*inject + I_inv*draw.
  const auto base = system.solve({c_in_S * v_in_V_, c_link_S * v_link_V_, c_inv_S * v_inverter_V_});
  const auto inject = system.solve({1.0, 0.0, 0.0});  // 1 A into BAT IN
  const auto draw = system.solve({0.0, 0.0, -1.0});   // 1 A out of the inverter node

  // Housekeeping is a constant-power load, linearised as P/V at the start of the step.
  const double housekeeping_A = v_in_V_ > parameters_.housekeeping_min_voltage_V
                                    ? parameters_.housekeeping_draw_W / v_in_V_
                                    : 0.0;
  double inverter_A = inverter_current_A;
  // The sources depend on the BAT IN voltage they produce: solve for it first.
  const double v_in_solved = solve_bat_in_voltage(
      base[0] + (inverter_A * draw[0]) - housekeeping_A * inject[0], inject[0], sources);
  double sources_A = 0.0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    source_current_A_[i] = sources[i].current_at(v_in_solved);
    sources_A += source_current_A_[i];
  }
  double net_in_A = sources_A - housekeeping_A;
  // A known current cannot take more charge than its node holds: limit it to bring the node to
  // exactly 0 V. Lowering a draw raises every node voltage (the inverse nodal matrix is >= 0).
  const double v_in_unlimited = base[0] + net_in_A * inject[0] + inverter_A * draw[0];
  if (net_in_A < 0.0 && v_in_unlimited < 0.0) {
    net_in_A = std::min(0.0, -(base[0] + inverter_A * draw[0]) / inject[0]);
    // The charging sources carry only what the node could give: share it out in proportion.
    const double carried_A = net_in_A + housekeeping_A;
    const double scale = sources_A < 0.0 ? std::clamp(carried_A / sources_A, 0.0, 1.0) : 0.0;
    for (std::size_t i = 0; i < sources.size(); ++i) source_current_A_[i] *= scale;
  }
  const double v_inv_unlimited = base[2] + net_in_A * inject[2] + inverter_A * draw[2];
  if (inverter_A > 0.0 && v_inv_unlimited < 0.0) {
    inverter_A = std::max(0.0, -(base[2] + net_in_A * inject[2]) / draw[2]);
  }
  const auto x = combine(base, net_in_A, inject, inverter_A, draw);
  v_in_V_ = std::max(0.0, x[0]);  // clamps only rounding residue after the limiting
  v_link_V_ = std::max(0.0, x[1]);
  v_inverter_V_ = std::max(0.0, x[2]);
  pcu_current_accepted_A_ = net_in_A + housekeeping_A;
  inverter_current_drawn_A_ = inverter_A;
  record_branch_currents(branches);
  account_losses(housekeeping_A);
}

void BduHardware::record_branch_currents(const Branches& branches) {
  output_current_A_ = branches.main_S * (v_in_V_ - v_link_V_);
  cable_current_A_ = branches.output_S * (v_link_V_ - v_inverter_V_);
  const double parallel_S = branches.positive_S + branches.precharge_S;
  const double positive_share = parallel_S > 0.0 ? branches.positive_S / parallel_S : 0.0;
  const double precharge_share = parallel_S > 0.0 ? branches.precharge_S / parallel_S : 0.0;
  relay_current_A_[index_of(RelayId::NegativeMain)] = output_current_A_;
  relay_current_A_[index_of(RelayId::PositiveMain)] = output_current_A_ * positive_share;
  relay_current_A_[index_of(RelayId::Precharge)] = output_current_A_ * precharge_share;
}

double BduHardware::terminal_resistance_Ohm() const {
  double resistance_Ohm = parameters_.output_terminal_resistance_Ohm;
  if (failures_.output_terminal_loose) resistance_Ohm += failures_.loose_terminal_resistance_Ohm;
  return resistance_Ohm;
}

void BduHardware::account_losses(double housekeeping_A) {
  const double bleeders_W =
      v_in_V_ * v_in_V_ * conductance_of(parameters_.bat_in_bleeder_resistance_Ohm) +
      v_link_V_ * v_link_V_ * conductance_of(parameters_.bleeder_resistance_Ohm);
  const double main_path_W = output_current_A_ * (v_in_V_ - v_link_V_);
  const double output_path_W = cable_current_A_ * (v_link_V_ - v_inverter_V_);
  const double housekeeping_W = housekeeping_A * v_in_V_;
  const double terminal_W = cable_current_A_ * cable_current_A_ * terminal_resistance_Ohm();
  loss_W_ = bleeders_W + main_path_W + output_path_W + housekeeping_W;
  enclosure_loss_W_ = bleeders_W + main_path_W + housekeeping_W + terminal_W;
}

void BduHardware::advance_terminal(double dt_s) {
  const double heat_W = cable_current_A_ * cable_current_A_ * terminal_resistance_Ohm();
  const double conductance_W_per_K = parameters_.output_terminal_conductance_W_per_K;
  const double steady_K = heat_W / conductance_W_per_K;
  const double decay =
      std::exp(-dt_s * conductance_W_per_K / parameters_.output_terminal_heat_capacity_J_per_K);
  double& rise_K = truth_.output_terminal_temperature_rise_degC;
  rise_K = steady_K + (rise_K - steady_K) * decay;
}

void BduHardware::update_truth() {
  truth_.bat_in_voltage_V = v_in_V_;
  truth_.dc_link_voltage_V = v_link_V_;
  truth_.inverter_voltage_V = v_inverter_V_;
  truth_.output_current_A = output_current_A_;
  if (fuse_intact()) {
    truth_.fuse_voltage_drop_V = output_current_A_ * parameters_.fuse.resistance_Ohm;
  } else {
    // The load side of a blown fuse follows the DC link while the relays connect it; otherwise
    // the fuse sense divider pulls it to 0 V.
    const bool load_side_connected =
        relay_contacts_closed(RelayId::NegativeMain) &&
        (relay_contacts_closed(RelayId::PositiveMain) || relay_contacts_closed(RelayId::Precharge));
    truth_.fuse_voltage_drop_V = load_side_connected ? v_in_V_ - v_link_V_ : v_in_V_;
  }
}

void BduHardware::step(double dt_s, double pcu_bus_current_A, double inverter_current_A,
                       double inverter_capacitance_F) {
  const PcuBusSource fixed{pcu_bus_current_A, 0.0, pcu_bus_current_A, pcu_bus_current_A};
  step(dt_s, std::span<const PcuBusSource>(&fixed, 1), inverter_current_A, inverter_capacitance_F);
}

void BduHardware::step(double dt_s, std::span<const PcuBusSource> sources,
                       double inverter_current_A, double inverter_capacitance_F) {
  if (dt_s <= 0.0) return;
  if (sources.size() > kMaxSources) sources = sources.first(kMaxSources);
  advance_relays(dt_s);
  inverter_capacitance_F_ =
      std::max(inverter_capacitance_F, parameters_.min_inverter_capacitance_F);
  const Branches branches = branch_conductances();
  solve_network(dt_s, branches, inverter_capacitance_F_, sources, inverter_current_A);
  const double precharge_A = relay_current_A_[index_of(RelayId::Precharge)];
  truth_.precharge_resistor_energy_J +=
      precharge_A * precharge_A * parameters_.precharge_resistance_Ohm * dt_s;
  advance_fuse(dt_s, output_current_A_);
  advance_terminal(dt_s);
  update_truth();
}

}  // namespace bts::plant
