#include "plant/cell_ageing.hpp"

#include <algorithm>
#include <cmath>

namespace bts::plant::ageing {

double anode_potential_V(double soc) {
  const double x = 0.0085 + soc * (0.78 - 0.0085);
  return 0.6379 + 0.5416 * std::exp(-305.5309 * x) + 0.044 * std::tanh(-(x - 0.1958) / 0.1088) -
         0.1978 * std::tanh((x - 1.0571) / 0.0854) - 0.6875 * std::tanh((x + 0.0117) / 0.0529) -
         0.0175 * std::tanh((x - 0.5692) / 0.0875);
}

double calendar_fade_coefficient(const AgeingParameters& p, double temperature_K, double soc) {
  return std::fabs(p.cal_p1) * std::exp(p.cal_p2_K / temperature_K) *
         std::exp(p.cal_p3_K_per_V * anode_potential_V(soc) / temperature_K);
}

double cycle_fade_coefficient(const AgeingParameters& p, double temperature_K,
                              double depth_of_discharge, double c_rate) {
  const double stress = p.cyc_p4 + p.cyc_p5 * depth_of_discharge + p.cyc_p6 * c_rate;
  const double temperature_term =
      std::exp(p.cyc_p7_K / temperature_K) + std::exp(-p.cyc_p8_K / temperature_K);
  return std::max(0.0, stress * temperature_term);
}

double calendar_resistance_rate_per_s(const AgeingParameters& p, double temperature_K, double soc) {
  const double arrhenius =
      std::exp(-p.res_cal_activation_energy_J_per_mol / kGasConstant_J_per_mol_K *
               (1.0 / temperature_K - 1.0 / kReferenceTemperature_K));
  const double soc_offset = soc - 0.5;
  const double soc_term = p.res_cal_c * soc_offset * soc_offset + p.res_cal_d;
  return std::max(0.0, p.res_cal_k_ref_per_s * arrhenius * soc_term);
}

double cycle_resistance_rate_per_cycle(const AgeingParameters& p, double depth_of_discharge,
                                       double c_rate) {
  // The fit's C-rate term (a*C + b with a < 0) crosses zero near 1C; growth is never negative.
  const double rate_term = std::max(0.0, p.res_cyc_a * c_rate + p.res_cyc_b);
  const double dod_offset = depth_of_discharge - 0.5;
  const double dod_term = p.res_cyc_c * dod_offset * dod_offset * dod_offset + p.res_cyc_d;
  return std::max(0.0, rate_term * dod_term / 100.0);
}

double continue_power_law(double state, double coefficient, double exponent, double dx) {
  if (dx <= 0.0 || coefficient <= 0.0) return state;
  const double virtual_x = state > 0.0 ? std::pow(state / coefficient, 1.0 / exponent) : 0.0;
  return coefficient * std::pow(virtual_x + dx, exponent);
}

namespace {

ReferenceHistory history_at(const AgeingParameters& p, const ReferenceDuty& duty, double days) {
  ReferenceHistory h;
  h.days = days;
  h.equivalent_full_cycles = duty.cycles_per_day * days;
  h.calendar_fade = calendar_fade_coefficient(p, duty.temperature_K, duty.mean_soc) *
                    std::pow(days, p.cal_exponent);
  h.cycle_fade =
      cycle_fade_coefficient(p, duty.temperature_K, duty.depth_of_discharge, duty.c_rate) *
      std::pow(h.equivalent_full_cycles, p.cyc_exponent);
  h.resistance_growth =
      calendar_resistance_rate_per_s(p, duty.temperature_K, duty.mean_soc) * days * kSecondsPerDay +
      cycle_resistance_rate_per_cycle(p, duty.depth_of_discharge, duty.c_rate) *
          h.equivalent_full_cycles;
  return h;
}

}  // namespace

ReferenceHistory reference_history_for_fade(const AgeingParameters& p, double total_fade,
                                            const ReferenceDuty& duty) {
  if (total_fade <= 0.0) return ReferenceHistory{};
  // Fade grows monotonically with age: bisect on days (1e7 days is far beyond any fade < 1).
  double low_days = 0.0;
  double high_days = 1.0e7;
  for (int i = 0; i < 200 && high_days - low_days > 1e-9 * high_days; ++i) {
    const double mid_days = 0.5 * (low_days + high_days);
    const ReferenceHistory h = history_at(p, duty, mid_days);
    if (h.calendar_fade + h.cycle_fade < total_fade) {
      low_days = mid_days;
    } else {
      high_days = mid_days;
    }
  }
  ReferenceHistory h = history_at(p, duty, 0.5 * (low_days + high_days));
  // Remove the bisection residue so calendar + cycle equals the requested fade exactly.
  const double sum = h.calendar_fade + h.cycle_fade;
  if (sum > 0.0) {
    h.calendar_fade *= total_fade / sum;
    h.cycle_fade *= total_fade / sum;
  }
  return h;
}

}  // namespace bts::plant::ageing
