#pragma once
// Parameters of one LFP cell (decision D-CELL: 3.2 V nominal, 100 Ah prismatic).
// Every default is documented with its source in docs/plant-cell.md.
#include <cstddef>
#include <vector>

namespace bts::plant {

/// A point of a curve tabulated against state of charge (0..1).
struct SocPoint {
  double soc;
  double value;
};

struct LfpCellParameters {
  double nominal_capacity_Ah = 100.0;
  double nominal_voltage_V = 3.2;

  /// Mean open-circuit voltage (between the charge and discharge branches) against SOC.
  std::vector<SocPoint> ocv_mean_V;
  /// Half of the charge/discharge OCV gap against SOC (the hysteresis magnitude M).
  std::vector<SocPoint> hysteresis_half_gap_V;
  /// Entropic coefficient dOCV/dT against SOC, in V/K.
  std::vector<SocPoint> entropic_coefficient_V_per_K;
  /// How fast the hysteresis state moves to a branch: dimensionless, per unit of charge moved
  /// relative to capacity (Plett's gamma). 1/gamma is the SOC swing that moves it ~63 % of the way.
  double hysteresis_rate = 30.0;

  /// Equivalent circuit at 25 degC and 50 % SOC: R0 series, R1||C1 and R2||C2 branches.
  double r0_Ohm = 0.30e-3;
  double r1_Ohm = 0.20e-3;
  double tau1_s = 15.0;
  double r2_Ohm = 0.25e-3;
  double tau2_s = 1800.0;
  /// Multiplier on all resistances against SOC (1 in the plateau, higher at the ends).
  std::vector<SocPoint> resistance_soc_factor;
  /// Arrhenius activation energy of the resistances (J/mol), reference 25 degC.
  double resistance_activation_energy_J_per_mol = 20000.0;

  /// Lumped thermal mass of one cell and its conductance to the module's internal air node.
  double heat_capacity_J_per_K = 2100.0;
  double conductance_to_module_W_per_K = 1.0;

  /// Self-discharge at 25 degC as a share of capacity per 30-day month, and its activation energy.
  double self_discharge_per_month = 0.01;
  double self_discharge_activation_energy_J_per_mol = 50000.0;

  /// Hard physical limits used to flag abuse in ground truth (not protection thresholds).
  double min_voltage_V = 2.0;
  double max_voltage_V = 3.65;

  /// The built-in LFP parameter set (tables filled in).
  static LfpCellParameters lfp_default();
};

/// Ageing model: NREL BLAST-Lite large-format LFP|graphite prismatic (capacity, calendar and
/// cycle) and Naumann et al. (resistance growth, calendar and cycle). See docs/plant-cell.md.
struct AgeingParameters {
  bool enabled = true;
  /// Calendar capacity fade: q_t = p1*exp(p2/T)*exp(p3*Ua/T) * t_days^p_cal.
  double cal_p1 = 8.37e4;
  double cal_p2_K = -5.21e3;
  double cal_p3_K_per_V = -3.56e3;
  double cal_exponent = 0.526;
  /// Cycle capacity fade: q_efc = (p4 + p5*DOD + p6*Crate)*(exp(p7/T)+exp(-p8/T)) * EFC^p_cyc.
  double cyc_p4 = 4.38e-8;
  double cyc_p5 = 1.55e-8;
  double cyc_p6 = 1.68e-7;
  double cyc_p7_K = 2.19e3;
  double cyc_p8_K = 1.55e5;
  double cyc_exponent = 0.828;
  /// Naumann calendar resistance increase per second:
  /// k_ref*exp(-Ea/R(1/T-1/298.15))*(c(SOC-0.5)^2+d).
  double res_cal_k_ref_per_s = 3.4194e-10;
  double res_cal_activation_energy_J_per_mol = 71827.0;
  double res_cal_c = -3.3903;
  double res_cal_d = 1.5604;
  /// Naumann cycle resistance increase: (a*Crate + b)*(c(DOD-0.5)^3 + d) * FEC / 100.
  double res_cyc_a = -0.0020;
  double res_cyc_b = 0.0021;
  double res_cyc_c = 6.8477;
  double res_cyc_d = 0.9182;
  /// How often (simulated seconds) the ageing state is advanced from its accumulators.
  double update_interval_s = 60.0;
};

/// Production spread between cells of one module (relative standard deviations).
struct CellSpreadParameters {
  double capacity_relative_sd = 0.003;
  double resistance_relative_sd = 0.02;
  double self_discharge_relative_sd = 0.20;
  double initial_soc_sd = 0.005;
};

/// One cell's draw from the spread.
struct CellSpread {
  double capacity_factor = 1.0;
  double resistance_factor = 1.0;
  double self_discharge_factor = 1.0;
  double initial_soc_offset = 0.0;
};

}  // namespace bts::plant
