// LFP cell: equations, defaults and decisions are in docs/plant-cell.md.
#include "plant/cell.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>

#include "plant/cell_ageing.hpp"
#include "plant/random.hpp"

namespace bts::plant {

using cell_detail::grid_position;

namespace {

constexpr double kSecondsPerMonth = 30.0 * 86400.0;  // the "month" of self_discharge_per_month
// Below this |current| (as a C-rate) the current has no direction for half-cycle counting.
constexpr double kDirectionThresholdCRate = 0.01;

double arrhenius_factor(double activation_energy_J_per_mol, double temperature_degC) {
  const double temperature_K = temperature_degC + ageing::kZeroCelsius_K;
  return std::exp(activation_energy_J_per_mol / ageing::kGasConstant_J_per_mol_K *
                  (1.0 / temperature_K - 1.0 / ageing::kReferenceTemperature_K));
}

// Linear interpolation in a table sorted by SOC; held constant outside it.
double interpolate_table(const std::vector<SocPoint>& table, double soc, double empty_value) {
  if (table.empty()) return empty_value;
  if (soc <= table.front().soc) return table.front().value;
  if (soc >= table.back().soc) return table.back().value;
  const auto upper = std::upper_bound(table.begin(), table.end(), soc,
                                      [](double s, const SocPoint& p) { return s < p.soc; });
  const auto lower = upper - 1;
  const double span = upper->soc - lower->soc;
  if (span <= 0.0) return upper->value;
  return lower->value + (soc - lower->soc) / span * (upper->value - lower->value);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// LfpChemistry

LfpChemistry::LfpChemistry(const LfpCellParameters& parameters, const AgeingParameters& ageing)
    : parameters_(parameters), ageing_(ageing) {
  for (int k = 0; k <= kGridIntervals; ++k) {
    const double soc = static_cast<double>(k) / kGridIntervals;
    const auto i = static_cast<std::size_t>(k);
    ocv_mean_V_[i] = interpolate_table(parameters_.ocv_mean_V, soc, parameters_.nominal_voltage_V);
    half_gap_V_[i] = interpolate_table(parameters_.hysteresis_half_gap_V, soc, 0.0);
    entropic_V_per_K_[i] = interpolate_table(parameters_.entropic_coefficient_V_per_K, soc, 0.0);
    resistance_factor_[i] = interpolate_table(parameters_.resistance_soc_factor, soc, 1.0);
  }
  // The OCV is linear between grid points, so the trapezoid rule integrates it exactly.
  ocv_integral_V_[0] = 0.0;
  for (std::size_t i = 1; i <= kGridIntervals; ++i) {
    ocv_integral_V_[i] =
        ocv_integral_V_[i - 1] + 0.5 * (ocv_mean_V_[i - 1] + ocv_mean_V_[i]) / kGridIntervals;
  }
}

double LfpChemistry::lookup(const Grid& grid, double soc) {
  const cell_detail::GridPosition at = grid_position(soc);
  const auto i = static_cast<std::size_t>(at.index);
  return grid[i] + at.fraction * (grid[i + 1] - grid[i]);
}

double LfpChemistry::resistance_temperature_factor(double temperature_degC) const {
  return arrhenius_factor(parameters_.resistance_activation_energy_J_per_mol, temperature_degC);
}

double LfpChemistry::self_discharge_temperature_factor(double temperature_degC) const {
  // A rate (not a resistance): faster when warm.
  return 1.0 /
         arrhenius_factor(parameters_.self_discharge_activation_energy_J_per_mol, temperature_degC);
}

double LfpChemistry::ocv_integral_V(double soc) const {
  const double limited = std::clamp(soc, 0.0, 1.0);
  const double x = limited * kGridIntervals;
  const int index = std::clamp(static_cast<int>(x), 0, kGridIntervals - 1);
  const auto i = static_cast<std::size_t>(index);
  const double ds = (x - index) / kGridIntervals;  // SOC past grid point i
  const double slope = (ocv_mean_V_[i + 1] - ocv_mean_V_[i]) * kGridIntervals;
  return ocv_integral_V_[i] + ds * (ocv_mean_V_[i] + 0.5 * slope * ds);
}

// ---------------------------------------------------------------------------------------------
// Cell

Cell::Cell(const LfpChemistry& chemistry, const CellSpread& spread, double initial_soc,
           double initial_temperature_degC)
    : chemistry_(&chemistry),
      spread_(spread),
      own_state_(std::make_unique<CellStateBlock>()),
      state_(own_state_.get()) {
  state_->soc[lane_] = std::clamp(initial_soc + spread.initial_soc_offset, 0.0, 1.0);
  state_->temperature_degC[lane_] = initial_temperature_degC;
  state_->terminal_voltage_V[lane_] = open_circuit_voltage_V();
  state_->last_reversal_soc[lane_] = state_->soc[lane_];
}

namespace {

// Every field of CellStateBlock, for copying one cell's lane.
constexpr double (CellStateBlock::*kStateFields[])[kCellLanes] = {
    &CellStateBlock::soc,
    &CellStateBlock::hysteresis,
    &CellStateBlock::v_rc1_V,
    &CellStateBlock::v_rc2_V,
    &CellStateBlock::temperature_degC,
    &CellStateBlock::terminal_voltage_V,
    &CellStateBlock::heat_W,
    &CellStateBlock::external_heat_W,
    &CellStateBlock::short_current_A,
    &CellStateBlock::ageing_pending_s,
    &CellStateBlock::ageing_pending_soc_time,
    &CellStateBlock::ageing_pending_temperature_time,
    &CellStateBlock::ageing_pending_throughput_Ah,
    &CellStateBlock::crate_weighted,
    &CellStateBlock::dod_weighted,
    &CellStateBlock::internal_short_Ohm,
    &CellStateBlock::cached_dt_s,
    &CellStateBlock::cached_refresh_soc,
    &CellStateBlock::cached_refresh_temperature_degC,
    &CellStateBlock::r0_Ohm,
    &CellStateBlock::rc1_decay,
    &CellStateBlock::rc1_gain_Ohm,
    &CellStateBlock::rc2_decay,
    &CellStateBlock::rc2_gain_Ohm,
    &CellStateBlock::thermal_decay,
    &CellStateBlock::thermal_gain_K_per_W,
    &CellStateBlock::self_discharge_A,
    &CellStateBlock::soc_per_A,
    &CellStateBlock::hysteresis_per_A,
    &CellStateBlock::direction_threshold_A,
    &CellStateBlock::entropic_V_per_K,
    &CellStateBlock::last_current_direction,
    &CellStateBlock::last_reversal_soc,
    &CellStateBlock::last_half_cycle_depth,
};
static_assert(sizeof(CellStateBlock) == std::size(kStateFields) * sizeof(double[kCellLanes]),
              "kStateFields lists every field of CellStateBlock");

}  // namespace

void Cell::copy_lane(const CellStateBlock& from, int from_lane, CellStateBlock& to, int to_lane) {
  for (const auto field : kStateFields) {
    (to.*field)[to_lane] = (from.*field)[from_lane];
  }
}

Cell::Cell(const Cell& other)
    : chemistry_(other.chemistry_),
      spread_(other.spread_),
      own_state_(std::make_unique<CellStateBlock>()),
      state_(own_state_.get()),
      ageing_(other.ageing_) {
  copy_lane(*other.state_, other.lane_, *state_, lane_);
}

Cell& Cell::operator=(const Cell& other) {
  if (this == &other) return *this;
  chemistry_ = other.chemistry_;
  spread_ = other.spread_;
  ageing_ = other.ageing_;
  copy_lane(*other.state_, other.lane_, *state_, lane_);  // into this cell's lane, wherever it is
  return *this;
}

Cell& Cell::operator=(Cell&& other) { return *this = static_cast<const Cell&>(other); }

void Cell::use_state_block(CellStateBlock& block, int lane) {
  if (&block == state_ && lane == lane_) return;
  copy_lane(*state_, lane_, block, lane);
  state_ = &block;
  lane_ = lane;
  own_state_.reset();
}

double Cell::open_circuit_voltage_V() const {
  const LfpChemistry::OcvPoint ocv = chemistry_->ocv_point(state_->soc[lane_]);
  return ocv.mean_V + ocv.half_gap_V * state_->hysteresis[lane_];
}

double Cell::capacity_Ah() const {
  const double fresh_Ah = chemistry_->parameters().nominal_capacity_Ah * spread_.capacity_factor;
  // A floor keeps SOC arithmetic finite for a cell aged beyond any sensible end of life.
  const double remaining = std::max(1.0 - ageing_.calendar_fade - ageing_.cycle_fade, 1e-3);
  return fresh_Ah * remaining;
}

double Cell::state_of_health() const {
  const double fresh_Ah = chemistry_->parameters().nominal_capacity_Ah * spread_.capacity_factor;
  return fresh_Ah > 0.0 ? capacity_Ah() / fresh_Ah : 0.0;
}

double Cell::resistance_dc_Ohm() const {
  const LfpCellParameters& p = chemistry_->parameters();
  return (p.r0_Ohm + p.r1_Ohm + p.r2_Ohm) * chemistry_->resistance_soc_factor(state_->soc[lane_]) *
         chemistry_->resistance_temperature_factor(state_->temperature_degC[lane_]) *
         spread_.resistance_factor * (1.0 + ageing_.resistance_growth);
}

double Cell::stored_energy_Wh() const {
  return capacity_Ah() * chemistry_->ocv_integral_V(state_->soc[lane_]);
}

void Cell::set_hysteresis_state(double hysteresis) {
  state_->hysteresis[lane_] = std::clamp(hysteresis, -1.0, 1.0);
}

void Cell::preage_to_state_of_health(double soh) {
  const double target = std::clamp(soh, 0.05, 1.0);
  const ageing::ReferenceHistory history =
      ageing::reference_history_for_fade(chemistry_->ageing(), 1.0 - target);
  ageing_.calendar_time_s = history.days * ageing::kSecondsPerDay;
  ageing_.calendar_fade = history.calendar_fade;
  ageing_.cycle_fade = history.cycle_fade;
  ageing_.equivalent_full_cycles = history.equivalent_full_cycles;
  ageing_.throughput_Ah =
      2.0 * history.equivalent_full_cycles * chemistry_->parameters().nominal_capacity_Ah;
  ageing_.resistance_growth = history.resistance_growth;
  state_->last_half_cycle_depth[lane_] = ageing::ReferenceDuty{}.depth_of_discharge;
  state_->cached_dt_s[lane_] = -1.0;  // capacity and resistances changed
}

void Cell::project_ageing(double duration_s, double mean_soc, double mean_temperature_degC,
                          double throughput_Ah, double depth_of_discharge, double c_rate) {
  if (state_->ageing_pending_s[lane_] > 0.0)
    advance_ageing(state_->ageing_pending_s[lane_]);  // settle what was recorded
  if (duration_s <= 0.0) return;
  const double moved_Ah = std::max(throughput_Ah, 0.0);
  state_->ageing_pending_s[lane_] = duration_s;
  state_->ageing_pending_soc_time[lane_] = mean_soc * duration_s;
  state_->ageing_pending_temperature_time[lane_] = mean_temperature_degC * duration_s;
  state_->ageing_pending_throughput_Ah[lane_] = moved_Ah;
  state_->crate_weighted[lane_] = moved_Ah * c_rate * chemistry_->parameters().nominal_capacity_Ah;
  state_->dod_weighted[lane_] = moved_Ah * depth_of_discharge;
  advance_ageing(duration_s);
}

void Cell::refresh_parameters(double dt_s) {
  const LfpChemistry& chemistry = *chemistry_;
  const LfpCellParameters& p = chemistry.parameters();
  const double capacity_As = capacity_Ah() * kSecondsPerHour;
  const double resistance_factor =
      chemistry.resistance_soc_factor(state_->soc[lane_]) *
      chemistry.resistance_temperature_factor(state_->temperature_degC[lane_]) *
      spread_.resistance_factor * (1.0 + ageing_.resistance_growth);
  state_->r0_Ohm[lane_] = p.r0_Ohm * resistance_factor;
  // Exact zero-order hold of an RC branch: v <- a*v + R*(1-a)*i, a = exp(-dt/tau).
  const double rc1_fall = -std::expm1(-dt_s / p.tau1_s);
  const double rc2_fall = -std::expm1(-dt_s / p.tau2_s);
  state_->rc1_decay[lane_] = 1.0 - rc1_fall;
  state_->rc1_gain_Ohm[lane_] = p.r1_Ohm * resistance_factor * rc1_fall;
  state_->rc2_decay[lane_] = 1.0 - rc2_fall;
  state_->rc2_gain_Ohm[lane_] = p.r2_Ohm * resistance_factor * rc2_fall;
  // Lumped thermal node: exact step response, stable for any dt.
  const double conductance = p.conductance_to_module_W_per_K;
  if (conductance > 0.0 && p.heat_capacity_J_per_K > 0.0) {
    const double thermal_fall = -std::expm1(-conductance * dt_s / p.heat_capacity_J_per_K);
    state_->thermal_decay[lane_] = 1.0 - thermal_fall;
    state_->thermal_gain_K_per_W[lane_] = thermal_fall / conductance;
  } else {  // adiabatic cell
    state_->thermal_decay[lane_] = 1.0;
    state_->thermal_gain_K_per_W[lane_] =
        p.heat_capacity_J_per_K > 0.0 ? dt_s / p.heat_capacity_J_per_K : 0.0;
  }
  state_->self_discharge_A[lane_] =
      capacity_Ah() * p.self_discharge_per_month * kSecondsPerHour / kSecondsPerMonth *
      chemistry.self_discharge_temperature_factor(state_->temperature_degC[lane_]) *
      spread_.self_discharge_factor;
  state_->entropic_V_per_K[lane_] = chemistry.entropic_coefficient_V_per_K(state_->soc[lane_]);
  state_->soc_per_A[lane_] = capacity_As > 0.0 ? dt_s / capacity_As : 0.0;
  state_->hysteresis_per_A[lane_] =
      capacity_As > 0.0 ? p.hysteresis_rate * dt_s / capacity_As : 0.0;
  state_->direction_threshold_A[lane_] = kDirectionThresholdCRate * p.nominal_capacity_Ah;
  state_->cached_dt_s[lane_] = dt_s;
  state_->cached_refresh_soc[lane_] = state_->soc[lane_];
  state_->cached_refresh_temperature_degC[lane_] = state_->temperature_degC[lane_];
}

void Cell::step(double current_A, double dt_s, double surroundings_degC) {
  step_with_external_heat(current_A, dt_s, surroundings_degC, state_->external_heat_W[lane_]);
}

// dt_s is the simulated time covered by the accumulators. Between updates, crate_weighted holds
// sum(|i| * dAh) and dod_weighted sum(depth * dAh): dividing by the throughput gives the
// throughput-weighted C-rate and depth of discharge of the interval.
void Cell::advance_ageing(double dt_s) {
  const AgeingParameters& p = chemistry_->ageing();
  const double nominal_Ah = chemistry_->parameters().nominal_capacity_Ah;
  const double throughput_Ah = state_->ageing_pending_throughput_Ah[lane_];
  const double cycles = nominal_Ah > 0.0 ? throughput_Ah / (2.0 * nominal_Ah) : 0.0;
  ageing_.calendar_time_s += dt_s;
  ageing_.throughput_Ah += throughput_Ah;
  ageing_.equivalent_full_cycles += cycles;

  if (p.enabled && dt_s > 0.0) {
    const double mean_soc = std::clamp(state_->ageing_pending_soc_time[lane_] / dt_s, 0.0, 1.0);
    const double mean_temperature_K =
        state_->ageing_pending_temperature_time[lane_] / dt_s + ageing::kZeroCelsius_K;
    ageing_.calendar_fade = ageing::continue_power_law(
        ageing_.calendar_fade, ageing::calendar_fade_coefficient(p, mean_temperature_K, mean_soc),
        p.cal_exponent, dt_s / ageing::kSecondsPerDay);
    ageing_.resistance_growth +=
        ageing::calendar_resistance_rate_per_s(p, mean_temperature_K, mean_soc) * dt_s;
    if (throughput_Ah > 0.0) {
      const double depth = std::clamp(state_->dod_weighted[lane_] / throughput_Ah, 0.0, 1.0);
      const double c_rate = state_->crate_weighted[lane_] / throughput_Ah / nominal_Ah;
      ageing_.cycle_fade = ageing::continue_power_law(
          ageing_.cycle_fade, ageing::cycle_fade_coefficient(p, mean_temperature_K, depth, c_rate),
          p.cyc_exponent, cycles);
      ageing_.resistance_growth +=
          ageing::cycle_resistance_rate_per_cycle(p, depth, c_rate) * cycles;
    }
    state_->cached_dt_s[lane_] =
        -1.0;  // capacity and resistances changed: refresh on the next step
  }

  state_->ageing_pending_s[lane_] = 0.0;
  state_->ageing_pending_soc_time[lane_] = 0.0;
  state_->ageing_pending_temperature_time[lane_] = 0.0;
  state_->ageing_pending_throughput_Ah[lane_] = 0.0;
  state_->crate_weighted[lane_] = 0.0;
  state_->dod_weighted[lane_] = 0.0;
}

// ---------------------------------------------------------------------------------------------
// Spread

namespace {

// A normal draw limited to +-4 standard deviations, so no factor lands at an absurd value.
double bounded_normal(Rng& rng) { return std::clamp(rng.normal(), -4.0, 4.0); }

double positive_factor(double relative_sd, Rng& rng) {
  return std::max(0.05, 1.0 + relative_sd * bounded_normal(rng));
}

}  // namespace

CellSpread draw_cell_spread(const CellSpreadParameters& parameters, Rng& rng) {
  CellSpread spread;
  spread.capacity_factor = positive_factor(parameters.capacity_relative_sd, rng);
  spread.resistance_factor = positive_factor(parameters.resistance_relative_sd, rng);
  spread.self_discharge_factor = positive_factor(parameters.self_discharge_relative_sd, rng);
  spread.initial_soc_offset = parameters.initial_soc_sd * bounded_normal(rng);
  return spread;
}

}  // namespace bts::plant
