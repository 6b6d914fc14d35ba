// Four cells stepped with AVX: Cell::step_pair_with_external_heat (cell.hpp) on four lanes. This
// file is built for baseline x86-64 like every other; only the function below is compiled for
// AVX (a target attribute), and the module calls it only where avx_available() says so.
#include <immintrin.h>

#include <cassert>

#include "plant/cell.hpp"

namespace bts::plant {

bool Cell::avx_available() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool available = [] {
    __builtin_cpu_init();  // may run before the library's own initialiser
    return __builtin_cpu_supports("avx") != 0;
  }();
  return available;
#else
  return false;
#endif
}

void Cell::step_quad_as_pairs(Cell* cells, const double* currents_A, double dt_s,
                              double surroundings_degC, const double* external_heat_W) {
  step_pair_with_external_heat(cells[0], cells[1], currents_A[0], currents_A[1], dt_s,
                               surroundings_degC, external_heat_W[0], external_heat_W[1]);
  step_pair_with_external_heat(cells[2], cells[3], currents_A[2], currents_A[3], dt_s,
                               surroundings_degC, external_heat_W[2], external_heat_W[3]);
}

#if defined(__x86_64__) || defined(__i386__)

namespace {

// The constants of the step (cell_detail), each broadcast to four lanes from memory.
constexpr double kSignBit = -0.0;
constexpr double kMagnitudeBits = std::bit_cast<double>(0x7fffffffffffffffULL);
constexpr double kRefreshSocStep = cell_detail::kRefreshSocStep;
constexpr double kRefreshTemperatureStep_K = cell_detail::kRefreshTemperatureStep_K;
constexpr double kTaylorLimit = cell_detail::kTaylorLimit;
constexpr double kOne = 1.0;
constexpr double kMinusOne = -1.0;
constexpr double kHalf = 0.5;
constexpr double kSixth = 1.0 / 6.0;
constexpr double kTwentyFourth = 1.0 / 24.0;
constexpr double kGridIntervals = LfpChemistry::kGridIntervals;
constexpr double kZeroCelsius_K = ageing::kZeroCelsius_K;
constexpr double kPerHour = 1.0 / kSecondsPerHour;

/// Lane k: below[k][0] + fraction * (below[k][1] - below[k][0]), the paired step's
/// interpolation between each cell's two grid neighbours (adjacent in memory, one load each).
__attribute__((target("avx"), always_inline)) inline __m256d interpolate_four(
    const double* const below[4], __m256d fraction) {
  const __m128d first = _mm_loadu_pd(below[0]);
  const __m128d second = _mm_loadu_pd(below[1]);
  const __m128d third = _mm_loadu_pd(below[2]);
  const __m128d fourth = _mm_loadu_pd(below[3]);
  const __m256d lower = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_unpacklo_pd(first, second)),
                                             _mm_unpacklo_pd(third, fourth), 1);
  const __m256d upper = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_unpackhi_pd(first, second)),
                                             _mm_unpackhi_pd(third, fourth), 1);
  return _mm256_add_pd(lower, _mm256_mul_pd(fraction, _mm256_sub_pd(upper, lower)));
}

}  // namespace

// Every _mm256_*_pd below is the IEEE double operation of the paired (and so of the scalar) step
// on four lanes, in the same order, with the same rounding (no FMA). The comparison predicates
// are those of the SSE2 comparisons used there: ordered (false on NaN) for >, <, and unordered
// (true on NaN) for !=, not-less-than and not-greater-or-equal. No lambdas: they would not be
// compiled for AVX and could not take the intrinsics inline.
void Cell::step_quad_with_external_heat(Cell* cells, const double* currents_A, double dt_s,
                                        double surroundings_degC, const double* external_heat_W) {
  CellStateBlock* const block = cells[0].state_;
  const LfpChemistry* const chemistry = cells[0].chemistry_;
  if (cells[1].state_ != block || cells[2].state_ != block || cells[3].state_ != block ||
      cells[0].lane_ != 0 || cells[1].lane_ != 1 || cells[2].lane_ != 2 || cells[3].lane_ != 3 ||
      cells[1].chemistry_ != chemistry || cells[2].chemistry_ != chemistry ||
      cells[3].chemistry_ != chemistry) {
    step_quad_as_pairs(cells, currents_A, dt_s, surroundings_degC, external_heat_W);
    return;
  }
  // Adding -0.0 leaves every double as it is (-0.0 included).
  step_quad_in_block(*block, *chemistry, cells, currents_A[0], currents_A[1], currents_A[2],
                     currents_A[3], dt_s, surroundings_degC, external_heat_W, -0.0);
}

__attribute__((target("avx"))) void Cell::step_quad_in_block(
    CellStateBlock& state, const LfpChemistry& chemistry, Cell* cells, double current0_A,
    double current1_A, double current2_A, double current3_A, double dt_s, double surroundings_degC,
    const double* fault_heat_W, double heater_per_cell_W) {
  for (int k = 0; k < 4; ++k) {
    assert(cells[k].state_ == &state && cells[k].lane_ == k && cells[k].chemistry_ == &chemistry);
  }
  const __m256d sign_bit = _mm256_broadcast_sd(&kSignBit);
  const __m256d magnitude_bits = _mm256_broadcast_sd(&kMagnitudeBits);
  const __m256d zero = _mm256_setzero_pd();
  const __m256d one = _mm256_broadcast_sd(&kOne);
  const __m256d minus_one = _mm256_broadcast_sd(&kMinusOne);

  const __m256d current_A = _mm256_set_pd(current3_A, current2_A, current1_A, current0_A);
  const __m256d external_heat =
      _mm256_add_pd(_mm256_loadu_pd(fault_heat_W), _mm256_set1_pd(heater_per_cell_W));
  const __m256d soc = _mm256_load_pd(state.soc);
  const __m256d temperature_degC = _mm256_load_pd(state.temperature_degC);

  // The rare paths, as in the paired step: a refresh, an internal short, a new direction, the
  // hysteresis' exp(-x) beyond the Taylor range, a SOC outside [0, 1).
  const __m256d dt = _mm256_set1_pd(dt_s);
  const __m256d soc_moved =
      _mm256_and_pd(_mm256_sub_pd(soc, _mm256_load_pd(state.cached_refresh_soc)), magnitude_bits);
  const __m256d temperature_moved = _mm256_and_pd(
      _mm256_sub_pd(temperature_degC, _mm256_load_pd(state.cached_refresh_temperature_degC)),
      magnitude_bits);
  __m256d rare = _mm256_or_pd(
      _mm256_or_pd(_mm256_cmp_pd(dt, _mm256_load_pd(state.cached_dt_s), _CMP_NEQ_UQ),
                   _mm256_cmp_pd(soc_moved, _mm256_broadcast_sd(&kRefreshSocStep), _CMP_GT_OQ)),
      _mm256_cmp_pd(temperature_moved, _mm256_broadcast_sd(&kRefreshTemperatureStep_K),
                    _CMP_GT_OQ));
  rare =
      _mm256_or_pd(rare, _mm256_cmp_pd(_mm256_load_pd(state.internal_short_Ohm), zero, _CMP_GT_OQ));
  const __m256d threshold_A = _mm256_load_pd(state.direction_threshold_A);
  const __m256d last_direction = _mm256_load_pd(state.last_current_direction);
  rare = _mm256_or_pd(rare, _mm256_and_pd(_mm256_cmp_pd(current_A, threshold_A, _CMP_GT_OQ),
                                          _mm256_cmp_pd(last_direction, one, _CMP_NEQ_UQ)));
  rare = _mm256_or_pd(
      rare,
      _mm256_and_pd(_mm256_cmp_pd(current_A, _mm256_xor_pd(threshold_A, sign_bit), _CMP_LT_OQ),
                    _mm256_cmp_pd(last_direction, minus_one, _CMP_NEQ_UQ)));
  const __m256d abs_current_A = _mm256_and_pd(current_A, magnitude_bits);
  const __m256d hysteresis_x = _mm256_mul_pd(abs_current_A, _mm256_load_pd(state.hysteresis_per_A));
  rare = _mm256_or_pd(rare,
                      _mm256_cmp_pd(hysteresis_x, _mm256_broadcast_sd(&kTaylorLimit), _CMP_NLT_UQ));
  const __m256d new_soc = _mm256_sub_pd(
      soc, _mm256_mul_pd(_mm256_add_pd(current_A, _mm256_load_pd(state.self_discharge_A)),
                         _mm256_load_pd(state.soc_per_A)));
  rare = _mm256_or_pd(rare, _mm256_or_pd(_mm256_cmp_pd(new_soc, zero, _CMP_NGE_UQ),
                                         _mm256_cmp_pd(new_soc, one, _CMP_NLT_UQ)));
  if (_mm256_movemask_pd(rare) != 0) [[unlikely]] {
    const double currents_A[4] = {current0_A, current1_A, current2_A, current3_A};
    alignas(32) double external_heat_W[4];
    _mm256_store_pd(external_heat_W, external_heat);
    step_quad_as_pairs(cells, currents_A, dt_s, surroundings_degC, external_heat_W);
    return;
  }

  // Hysteresis, kept where the current is exactly zero.
  const __m256d direction_sign =
      _mm256_xor_pd(minus_one, _mm256_and_pd(_mm256_cmp_pd(current_A, zero, _CMP_GT_OQ), sign_bit));
  const __m256d x = hysteresis_x;
  const __m256d fall = _mm256_mul_pd(
      x, _mm256_sub_pd(
             one,
             _mm256_mul_pd(
                 x, _mm256_sub_pd(
                        _mm256_broadcast_sd(&kHalf),
                        _mm256_mul_pd(x, _mm256_sub_pd(_mm256_broadcast_sd(&kSixth),
                                                       _mm256_mul_pd(x, _mm256_broadcast_sd(
                                                                            &kTwentyFourth))))))));
  const __m256d hysteresis = _mm256_load_pd(state.hysteresis);
  const __m256d stepped_hysteresis =
      _mm256_sub_pd(hysteresis, _mm256_mul_pd(fall, _mm256_add_pd(hysteresis, direction_sign)));
  const __m256d current_nonzero = _mm256_cmp_pd(current_A, zero, _CMP_NEQ_UQ);
  const __m256d new_hysteresis = _mm256_or_pd(_mm256_and_pd(current_nonzero, stepped_hysteresis),
                                              _mm256_andnot_pd(current_nonzero, hysteresis));

  const __m256d v_rc1_V =
      _mm256_add_pd(_mm256_mul_pd(_mm256_load_pd(state.rc1_decay), _mm256_load_pd(state.v_rc1_V)),
                    _mm256_mul_pd(_mm256_load_pd(state.rc1_gain_Ohm), current_A));
  const __m256d v_rc2_V =
      _mm256_add_pd(_mm256_mul_pd(_mm256_load_pd(state.rc2_decay), _mm256_load_pd(state.v_rc2_V)),
                    _mm256_mul_pd(_mm256_load_pd(state.rc2_gain_Ohm), current_A));

  // OCV at the new SOC: each cell's two grid neighbours (adjacent in memory) with one load.
  const __m256d grid_x = _mm256_mul_pd(new_soc, _mm256_broadcast_sd(&kGridIntervals));
  const __m128i grid_index = _mm256_cvttpd_epi32(grid_x);
  const __m256d fraction = _mm256_sub_pd(grid_x, _mm256_cvtepi32_pd(grid_index));
  alignas(16) int index[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(index), grid_index);
  const double* below[4];
  for (int k = 0; k < 4; ++k) below[k] = chemistry.ocv_mean_V_.data() + index[k];
  const __m256d ocv_mean_V = interpolate_four(below, fraction);
  for (int k = 0; k < 4; ++k) below[k] = chemistry.half_gap_V_.data() + index[k];
  const __m256d half_gap_V = interpolate_four(below, fraction);

  const __m256d terminal_voltage_V = _mm256_sub_pd(
      _mm256_sub_pd(
          _mm256_sub_pd(_mm256_add_pd(ocv_mean_V, _mm256_mul_pd(half_gap_V, new_hysteresis)),
                        _mm256_mul_pd(_mm256_load_pd(state.r0_Ohm), current_A)),
          v_rc1_V),
      v_rc2_V);

  // Bernardi heat; the short's term is zero times the terminal voltage, as in the scalar step.
  const __m256d temperature_K =
      _mm256_add_pd(temperature_degC, _mm256_broadcast_sd(&kZeroCelsius_K));
  const __m256d heat_W = _mm256_add_pd(
      _mm256_sub_pd(_mm256_mul_pd(current_A, _mm256_sub_pd(ocv_mean_V, terminal_voltage_V)),
                    _mm256_mul_pd(_mm256_mul_pd(current_A, temperature_K),
                                  _mm256_load_pd(state.entropic_V_per_K))),
      _mm256_mul_pd(zero, terminal_voltage_V));
  const __m256d surroundings = _mm256_set1_pd(surroundings_degC);
  const __m256d new_temperature_degC = _mm256_add_pd(
      _mm256_add_pd(surroundings, _mm256_mul_pd(_mm256_sub_pd(temperature_degC, surroundings),
                                                _mm256_load_pd(state.thermal_decay))),
      _mm256_mul_pd(_mm256_load_pd(state.thermal_gain_K_per_W),
                    _mm256_add_pd(heat_W, external_heat)));

  const __m256d moved_Ah =
      _mm256_mul_pd(_mm256_mul_pd(abs_current_A, dt), _mm256_broadcast_sd(&kPerHour));
  // std::max(a, b) is (a < b) ? b : a, which is max_pd(b, a).
  const __m256d half_cycle_depth =
      _mm256_max_pd(_mm256_load_pd(state.last_half_cycle_depth),
                    _mm256_and_pd(_mm256_sub_pd(new_soc, _mm256_load_pd(state.last_reversal_soc)),
                                  magnitude_bits));

  _mm256_store_pd(state.external_heat_W, external_heat);
  _mm256_store_pd(state.short_current_A, zero);
  _mm256_store_pd(state.soc, new_soc);
  _mm256_store_pd(state.hysteresis, new_hysteresis);
  _mm256_store_pd(state.v_rc1_V, v_rc1_V);
  _mm256_store_pd(state.v_rc2_V, v_rc2_V);
  _mm256_store_pd(state.terminal_voltage_V, terminal_voltage_V);
  _mm256_store_pd(state.heat_W, heat_W);
  _mm256_store_pd(state.temperature_degC, new_temperature_degC);
  _mm256_store_pd(state.ageing_pending_s,
                  _mm256_add_pd(_mm256_load_pd(state.ageing_pending_s), dt));
  _mm256_store_pd(
      state.ageing_pending_soc_time,
      _mm256_add_pd(_mm256_load_pd(state.ageing_pending_soc_time), _mm256_mul_pd(new_soc, dt)));
  _mm256_store_pd(state.ageing_pending_temperature_time,
                  _mm256_add_pd(_mm256_load_pd(state.ageing_pending_temperature_time),
                                _mm256_mul_pd(new_temperature_degC, dt)));
  _mm256_store_pd(state.ageing_pending_throughput_Ah,
                  _mm256_add_pd(_mm256_load_pd(state.ageing_pending_throughput_Ah), moved_Ah));
  _mm256_store_pd(state.crate_weighted, _mm256_add_pd(_mm256_load_pd(state.crate_weighted),
                                                      _mm256_mul_pd(moved_Ah, abs_current_A)));
  _mm256_store_pd(state.dod_weighted, _mm256_add_pd(_mm256_load_pd(state.dod_weighted),
                                                    _mm256_mul_pd(moved_Ah, half_cycle_depth)));
  const double ageing_interval_s = chemistry.ageing().update_interval_s;
  for (int k = 0; k < 4; ++k) {
    if (state.ageing_pending_s[k] >= ageing_interval_s) [[unlikely]] {
      cells[k].advance_ageing(state.ageing_pending_s[k]);
    }
  }
}

#else

void Cell::step_quad_with_external_heat(Cell* cells, const double* currents_A, double dt_s,
                                        double surroundings_degC, const double* external_heat_W) {
  step_quad_as_pairs(cells, currents_A, dt_s, surroundings_degC, external_heat_W);
}

void Cell::step_quad_in_block(CellStateBlock&, const LfpChemistry&, Cell* cells, double current0_A,
                              double current1_A, double current2_A, double current3_A, double dt_s,
                              double surroundings_degC, const double* fault_heat_W,
                              double heater_per_cell_W) {
  const double currents_A[4] = {current0_A, current1_A, current2_A, current3_A};
  const double external_heat_W[4] = {
      fault_heat_W[0] + heater_per_cell_W, fault_heat_W[1] + heater_per_cell_W,
      fault_heat_W[2] + heater_per_cell_W, fault_heat_W[3] + heater_per_cell_W};
  step_quad_as_pairs(cells, currents_A, dt_s, surroundings_degC, external_heat_W);
}

#endif

}  // namespace bts::plant
