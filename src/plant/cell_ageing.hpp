#pragma once
// Ageing laws of the LFP cell (docs/plant-cell.md, "Ageing"):
//  - capacity fade: NREL BLAST-Lite large-format LFP|graphite 250 Ah prismatic model
//    (calendar k_cal * t_days^0.526, cycle k_cyc * EFC^0.828);
//  - resistance growth: Naumann et al. (calendar linear in time, cycle linear in FEC).
// Pure functions of the stress; the Cell keeps the state and the accumulators.
#include "plant/cell_parameters.hpp"

namespace bts::plant::ageing {

inline constexpr double kGasConstant_J_per_mol_K = 8.314462618;
inline constexpr double kZeroCelsius_K = 273.15;
inline constexpr double kReferenceTemperature_K = 298.15;  // 25 degC
inline constexpr double kSecondsPerDay = 86400.0;

/// Graphite anode potential against lithium (V) at a cell SOC: Safari & Delacourt's fit evaluated
/// at the lithiation x = 0.0085 + SOC * (0.78 - 0.0085), as BLAST-Lite maps it.
double anode_potential_V(double soc);

/// BLAST-Lite calendar coefficient k_cal (fade per day^cal_exponent).
double calendar_fade_coefficient(const AgeingParameters& p, double temperature_K, double soc);

/// BLAST-Lite cycle coefficient k_cyc (fade per EFC^cyc_exponent).
double cycle_fade_coefficient(const AgeingParameters& p, double temperature_K,
                              double depth_of_discharge, double c_rate);

/// Naumann calendar resistance growth per second (relative), never negative.
double calendar_resistance_rate_per_s(const AgeingParameters& p, double temperature_K, double soc);

/// Naumann cycle resistance growth per equivalent full cycle (relative), never negative.
double cycle_resistance_rate_per_cycle(const AgeingParameters& p, double depth_of_discharge,
                                       double c_rate);

/// Power-law state continuation ("virtual time"): a state that follows y = k * x^exponent is
/// advanced by dx under the coefficient k that holds now. The virtual abscissa x_v = (y/k)^(1/p)
/// is where the new stress curve reaches the present state; the result is k * (x_v + dx)^p.
double continue_power_law(double state, double coefficient, double exponent, double dx);

/// The reference duty that pre-ageing assumes (docs/plant-cell.md, "Pre-aged cells").
struct ReferenceDuty {
  double temperature_K = kReferenceTemperature_K;
  double mean_soc = 0.5;
  double cycles_per_day = 1.0;
  double depth_of_discharge = 0.8;
  double c_rate = 0.5;
};

/// The history under the reference duty that ends at a given capacity fade.
struct ReferenceHistory {
  double days = 0.0;
  double calendar_fade = 0.0;
  double cycle_fade = 0.0;
  double equivalent_full_cycles = 0.0;
  double resistance_growth = 0.0;
};

/// Solve for the age (days) at which calendar + cycle fade under the duty equals total_fade.
ReferenceHistory reference_history_for_fade(const AgeingParameters& p, double total_fade,
                                            const ReferenceDuty& duty = ReferenceDuty{});

}  // namespace bts::plant::ageing
