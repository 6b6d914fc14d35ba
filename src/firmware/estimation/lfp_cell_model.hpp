#pragma once
// The module BMS's own characterisation of its LFP cell (what a cell supplier's data sheet and an
// incoming-goods test give the firmware): the open-circuit voltage along the mean of the charge
// and discharge branches, the half gap between the branches (hysteresis), a two-RC equivalent
// circuit at 25 degC with its Arrhenius temperature factor. The SOC estimator predicts the mean
// cell's terminal voltage with it. Nothing here reads the plant: the numbers are the cell's data
// sheet values (docs/firmware.md, "State estimation").
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

namespace bts::firmware {

struct OcvPoint {
  double soc;
  double mean_V;
  double half_gap_V;
};

/// Data-sheet OCV at 25 degC, non-uniform grid: dense where the curve is steep (both ends).
inline constexpr std::array<OcvPoint, 27> kLfpOcvTable{{
    {0.000, 2.2862, 0.0150}, {0.010, 2.7833, 0.0150}, {0.020, 2.8952, 0.0150},
    {0.030, 2.9673, 0.0150}, {0.050, 3.0647, 0.0144}, {0.075, 3.1455, 0.0129},
    {0.100, 3.1967, 0.0126}, {0.150, 3.2120, 0.0121}, {0.200, 3.2343, 0.0125},
    {0.250, 3.2547, 0.0139}, {0.300, 3.2703, 0.0144}, {0.350, 3.2826, 0.0142},
    {0.400, 3.2921, 0.0113}, {0.450, 3.2973, 0.0097}, {0.500, 3.2995, 0.0094},
    {0.550, 3.3014, 0.0094}, {0.600, 3.3035, 0.0096}, {0.650, 3.3063, 0.0099},
    {0.700, 3.3108, 0.0105}, {0.750, 3.3185, 0.0113}, {0.800, 3.3345, 0.0097},
    {0.850, 3.3403, 0.0086}, {0.900, 3.3425, 0.0086}, {0.950, 3.3447, 0.0093},
    {0.975, 3.3471, 0.0106}, {0.990, 3.3618, 0.0113}, {1.000, 3.5305, 0.0150},
}};

/// OCV, its slope and the hysteresis half gap at one SOC (linear between table points; beyond
/// the ends the end segments continue, so the slope never vanishes where the estimator looks).
struct OcvLookup {
  double mean_V = 0.0;
  double slope_V_per_unit = 0.0;  // d OCV / d SOC
  double half_gap_V = 0.0;
};

constexpr OcvLookup lookup_ocv(double soc) {
  std::size_t upper = 1;
  while (upper < kLfpOcvTable.size() - 1 && soc > kLfpOcvTable[upper].soc) ++upper;
  const OcvPoint& a = kLfpOcvTable[upper - 1];
  const OcvPoint& b = kLfpOcvTable[upper];
  const double slope = (b.mean_V - a.mean_V) / (b.soc - a.soc);
  const double share = std::clamp((soc - a.soc) / (b.soc - a.soc), 0.0, 1.0);
  return {a.mean_V + slope * (soc - a.soc), slope,
          a.half_gap_V + share * (b.half_gap_V - a.half_gap_V)};
}

/// The SOC whose mean OCV is this voltage (the table is monotone); 0..1.
constexpr double soc_from_mean_ocv(double voltage_V) {
  if (voltage_V <= kLfpOcvTable.front().mean_V) return 0.0;
  for (std::size_t k = 1; k < kLfpOcvTable.size(); ++k) {
    const OcvPoint& a = kLfpOcvTable[k - 1];
    const OcvPoint& b = kLfpOcvTable[k];
    if (voltage_V <= b.mean_V)
      return a.soc + (voltage_V - a.mean_V) * (b.soc - a.soc) / (b.mean_V - a.mean_V);
  }
  return 1.0;
}

/// Equivalent circuit of one cell at 25 degC (data sheet DC resistance split by a pulse test).
struct LfpCircuit {
  double r0_Ohm = 0.30e-3;
  double r1_Ohm = 0.20e-3;
  double tau1_s = 15.0;
  double r2_Ohm = 0.25e-3;
  double tau2_s = 1800.0;
  double hysteresis_rate = 30.0;  // Plett's gamma: 1/gamma of SOC swing moves h 63 % of the way
  double activation_energy_J_per_mol = 20000.0;
};

/// Factor on every resistance at a cell temperature against 25 degC (Arrhenius).
inline double resistance_temperature_factor(double temperature_degC,
                                            double activation_energy_J_per_mol) {
  constexpr double kGas_J_per_mol_K = 8.314462618;
  const double kelvin = std::clamp(temperature_degC, -40.0, 80.0) + 273.15;
  return std::exp(activation_energy_J_per_mol / kGas_J_per_mol_K * (1.0 / kelvin - 1.0 / 298.15));
}

/// Factor on every resistance against SOC (higher at both ends of the curve).
constexpr double resistance_soc_factor(double soc) {
  constexpr std::array<std::array<double, 2>, 7> kFactor{{{0.00, 1.60},
                                                          {0.05, 1.30},
                                                          {0.10, 1.10},
                                                          {0.20, 1.00},
                                                          {0.80, 1.00},
                                                          {0.90, 1.05},
                                                          {1.00, 1.20}}};
  const double z = std::clamp(soc, 0.0, 1.0);
  for (std::size_t k = 1; k < kFactor.size(); ++k) {
    if (z <= kFactor[k][0]) {
      const double share = (z - kFactor[k - 1][0]) / (kFactor[k][0] - kFactor[k - 1][0]);
      return kFactor[k - 1][1] + share * (kFactor[k][1] - kFactor[k - 1][1]);
    }
  }
  return kFactor.back()[1];
}

}  // namespace bts::firmware
