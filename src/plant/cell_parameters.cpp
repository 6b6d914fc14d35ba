#include "plant/cell_parameters.hpp"

namespace bts::plant {

// Tables: see docs/plant-cell.md for the sources. The OCV and hysteresis columns are the
// Sony/Murata US26650FTC1 LFP measurements (M. Naumann, TU Munich 2018), read as the mean curve
// and the full charge/discharge gap; the entropic column is from the same cell.
LfpCellParameters LfpCellParameters::lfp_default() {
  LfpCellParameters p;
  p.ocv_mean_V = {{0.000, 2.2862}, {0.010, 2.7833}, {0.020, 2.8952}, {0.030, 2.9673},
                  {0.050, 3.0647}, {0.075, 3.1455}, {0.100, 3.1967}, {0.150, 3.2120},
                  {0.200, 3.2343}, {0.250, 3.2547}, {0.300, 3.2703}, {0.350, 3.2826},
                  {0.400, 3.2921}, {0.450, 3.2973}, {0.500, 3.2995}, {0.550, 3.3014},
                  {0.600, 3.3035}, {0.650, 3.3063}, {0.700, 3.3108}, {0.750, 3.3185},
                  {0.800, 3.3345}, {0.850, 3.3403}, {0.900, 3.3425}, {0.950, 3.3447},
                  {0.975, 3.3471}, {0.990, 3.3618}, {1.000, 3.5305}};
  const SocPoint full_gap_mV[] = {
      {0.000, 30.0}, {0.050, 28.7}, {0.075, 25.8}, {0.100, 25.1}, {0.150, 24.2}, {0.200, 24.9},
      {0.250, 27.7}, {0.300, 28.8}, {0.350, 28.4}, {0.400, 22.6}, {0.450, 19.4}, {0.500, 18.7},
      {0.550, 18.7}, {0.600, 19.1}, {0.650, 19.7}, {0.700, 20.9}, {0.750, 22.5}, {0.800, 19.4},
      {0.850, 17.2}, {0.900, 17.1}, {0.950, 18.5}, {0.975, 21.1}, {0.990, 22.5}, {1.000, 30.0}};
  for (const auto& point : full_gap_mV) {
    p.hysteresis_half_gap_V.push_back({point.soc, point.value * 0.5e-3});
  }
  const SocPoint entropic_mV_per_K[] = {
      {0.000, -0.490}, {0.050, -0.327}, {0.100, -0.164}, {0.150, -0.141}, {0.200, -0.118},
      {0.250, -0.081}, {0.300, -0.044}, {0.350, 0.027},  {0.400, 0.098},  {0.450, 0.104},
      {0.500, 0.110},  {0.550, 0.119},  {0.600, 0.129},  {0.650, 0.137},  {0.700, 0.145},
      {0.750, 0.122},  {0.800, 0.100},  {0.850, 0.092},  {0.900, 0.084},  {0.950, 0.101},
      {1.000, 0.118}};
  for (const auto& point : entropic_mV_per_K) {
    p.entropic_coefficient_V_per_K.push_back({point.soc, point.value * 1e-3});
  }
  // Flat in the plateau, higher towards the ends (PyBaMM 100 Ah example: +20 % at the ends;
  // Sony LFP discharge resistance rises steeply below 10 % SOC).
  p.resistance_soc_factor = {{0.00, 1.60}, {0.05, 1.30}, {0.10, 1.10}, {0.20, 1.00},
                             {0.80, 1.00}, {0.90, 1.05}, {1.00, 1.20}};
  return p;
}

}  // namespace bts::plant
