// The SOC estimator on a synthetic mean cell (the firmware's own OCV and hysteresis, an ohmic
// drop): uncertainty grows while nothing corrects it and shrinks at the steep ends, the reported
// SOC never moves faster than its bound, the calibration request follows the uncertainty, and the
// bias of the current sensor is learned between two ends of the curve.
#include "firmware/estimation/soc_estimator.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "firmware/estimation/lfp_cell_model.hpp"

namespace bts::firmware {
namespace {

constexpr double kCapacity_Ah = 100.0;
constexpr double kSample_s = 0.1;

/// A cell that follows the firmware's own curve: SOC, Plett hysteresis, R0 drop.
struct SyntheticCell {
  double soc = 0.5;
  double hysteresis = 0.0;
  double sensor_offset_A = 0.0;
  void step(double current_A, double dt_s) {
    soc -= current_A * dt_s / (kCapacity_Ah * 3600.0);
    const double decay = std::exp(-std::fabs(current_A * 30.0 * dt_s / (kCapacity_Ah * 3600.0)));
    const double sign = current_A > 0 ? 1.0 : (current_A < 0 ? -1.0 : 0.0);
    hysteresis = decay * hysteresis - (1.0 - decay) * sign;
  }
  double voltage_V(double current_A) const {
    const OcvLookup ocv = lookup_ocv(soc);
    return ocv.mean_V + ocv.half_gap_V * hysteresis - 0.3e-3 * current_A;
  }
  SocEstimatorInput input(double current_A) const {
    SocEstimatorInput in;
    in.current_A = current_A + sensor_offset_A;
    in.mean_cell_voltage_V = voltage_V(current_A);
    return in;
  }
};

/// Runs the cell and the estimator for duration_s at a current; returns the largest change of the
/// reported SOC in one second beyond the charge the estimator counts in that second (bias-corrected
/// measured current).
double run(SyntheticCell& cell, SocEstimator& estimator, double current_A, double duration_s) {
  double worst_excess = 0.0;
  const int seconds = static_cast<int>(duration_s);
  for (int s = 0; s < seconds; ++s) {
    const double before = estimator.soc();
    const double counted_A = std::fabs(current_A + cell.sensor_offset_A - estimator.bias_A());
    for (int k = 0; k < 10; ++k) {
      cell.step(current_A, kSample_s);
      estimator.predict(cell.input(current_A), kSample_s);
    }
    estimator.correct(cell.input(current_A), 1.0);
    const double counted = counted_A * 1.0 / (kCapacity_Ah * 3600.0);
    worst_excess = std::max(worst_excess, std::fabs(estimator.soc() - before) - counted);
  }
  return worst_excess;
}

TEST(SocEstimator, ASpanOfSamplesPredictsAsTheSamplesOneByOne) {
  // The module adds its ten 100 ms samples up and predicts once a second. For a current of one
  // sign that is the same step: the charge is the samples' sum, the hysteresis decays by the
  // product of their factors, the covariance's transition composes.
  for (const double sign : {1.0, -1.0}) {
    SocEstimator one_by_one;
    SocEstimator spanned;
    one_by_one.start(0.6, 0.02, 0.3, 0.1, 0.02, 0.05);
    spanned.start(0.6, 0.02, 0.3, 0.1, 0.02, 0.05);
    for (int second = 0; second < 600; ++second) {
      SocEstimatorSpan span;
      for (int k = 0; k < 10; ++k) {
        SocEstimatorInput sample;
        sample.current_A = sign * (20.0 + 15.0 * std::sin(0.37 * (10 * second + k)));
        sample.bleed_current_A = k % 3 == 0 ? 0.08 : 0.0;
        one_by_one.predict(sample, kSample_s);
        span.add(sample, kSample_s);
      }
      spanned.predict(span);
    }
    EXPECT_NEAR(spanned.soc(), one_by_one.soc(), 1e-12);
    EXPECT_NEAR(spanned.filter_soc(), one_by_one.filter_soc(), 1e-12);
    EXPECT_NEAR(spanned.counted_charge_Ah(), one_by_one.counted_charge_Ah(), 1e-9);
    EXPECT_NEAR(spanned.hysteresis(), one_by_one.hysteresis(), 1e-12);
    // The RC step holds the second's mean current (exact for a constant one): with the current
    // swinging by 15 A inside each second, within 10 uV of the 10-step result (the cell voltage
    // sensors' own noise is 1 mV).
    EXPECT_NEAR(spanned.rc_voltage_V(), one_by_one.rc_voltage_V(), 1e-5);
    // Noise added once a second instead of ten times: the same to a part in a thousand.
    EXPECT_NEAR(spanned.soc_sd(), one_by_one.soc_sd(), 1e-3 * one_by_one.soc_sd());
    EXPECT_NEAR(spanned.hysteresis_sd(), one_by_one.hysteresis_sd(),
                1e-3 * one_by_one.hysteresis_sd());
    EXPECT_NEAR(spanned.last_cell_current_A(), one_by_one.last_cell_current_A(), 1e-12);
  }
}

TEST(SocEstimator, TheCorrectionExpectsTheDropOfTheSpansLastSample) {
  // A load switched on in the last 100 ms of a second: the voltage the correction compares was
  // taken under the full load, not under the second's mean current.
  SocEstimator estimator;
  estimator.start(0.5, 0.02, 0.0, 0.1, 0.0, 0.05);
  SocEstimatorSpan span;
  for (int k = 0; k < 10; ++k) {
    SocEstimatorInput sample;
    sample.current_A = k == 9 ? 40.0 : 0.0;
    span.add(sample, kSample_s);
  }
  estimator.predict(span);
  EXPECT_DOUBLE_EQ(estimator.last_cell_current_A(), 40.0);
  EXPECT_NEAR(estimator.counted_charge_Ah(), 4.0 / 3600.0, 1e-12);  // 40 A for 0.1 s
}

TEST(SocEstimator, OneLoadedSampleInASpanEndsTheRest) {
  // Relaxation needs 30 minutes without the rest current. A 5 A sample among nine at zero gives a
  // mean of 0.5 A, below the 1 A rest current, and still ends the rest.
  SocEstimator estimator;
  estimator.start(0.5, 0.02, 0.0, 0.1, 0.0, 0.05);
  auto quiet_second = [] {
    SocEstimatorSpan span;
    for (int k = 0; k < 10; ++k) span.add(SocEstimatorInput{0.0}, kSample_s);
    return span;
  };
  // (A second of ten 0.1 s samples adds up to a hair under 1 s: one more second to be sure.)
  for (int second = 0; second < 1801; ++second) estimator.predict(quiet_second());
  EXPECT_TRUE(estimator.relaxed());
  SocEstimatorSpan bump;
  for (int k = 0; k < 10; ++k) bump.add(SocEstimatorInput{k == 4 ? 5.0 : 0.0}, kSample_s);
  estimator.predict(bump);
  EXPECT_FALSE(estimator.relaxed());
  for (int second = 0; second < 1790; ++second) estimator.predict(quiet_second());
  EXPECT_FALSE(estimator.relaxed());
  for (int second = 0; second < 11; ++second) estimator.predict(quiet_second());
  EXPECT_TRUE(estimator.relaxed());
}

TEST(SocEstimator, AnEmptySpanChangesNothing) {
  SocEstimator estimator;
  estimator.start(0.42, 0.02, 0.5, 0.1, 0.01, 0.05);
  const double soc = estimator.soc(), sd = estimator.soc_sd(), h = estimator.hysteresis();
  estimator.predict(SocEstimatorSpan{});
  EXPECT_EQ(estimator.soc(), soc);
  EXPECT_EQ(estimator.soc_sd(), sd);
  EXPECT_EQ(estimator.hysteresis(), h);
}

TEST(SocEstimator, UncertaintyGrowsWhileNothingCorrectsIt) {
  SyntheticCell cell;
  SocEstimator estimator;
  estimator.start(0.5, 0.01, -1.0, 0.1, 0.0, 0.05);
  double last_sd = estimator.soc_sd();
  // Back and forth on the flat plateau (50..55 %) for three days: the voltage says little there.
  for (int hour = 0; hour < 72; ++hour) {
    run(cell, estimator, hour % 2 == 0 ? 5.0 : -5.0, 3600.0);
    EXPECT_GE(estimator.soc_sd(), last_sd - 1e-4) << "hour " << hour;
    last_sd = estimator.soc_sd();
  }
  EXPECT_GT(estimator.soc_sd(), 0.03);
}

TEST(SocEstimator, UncertaintyShrinksAtTheTopOfTheCurve) {
  SyntheticCell cell;
  cell.soc = 0.90;
  cell.hysteresis = 1.0;
  SocEstimator estimator;
  estimator.start(0.85, 0.05, 1.0, 0.1, 0.0, 0.05);
  run(cell, estimator, -20.0, 0.09 * 3600.0 * kCapacity_Ah / 20.0);  // to 99 %
  run(cell, estimator, 0.0, 1800.0);
  EXPECT_LT(estimator.soc_sd(), 0.01);
  EXPECT_NEAR(estimator.soc(), cell.soc, 0.01);
}

TEST(SocEstimator, UncertaintyShrinksAtTheBottomOfTheCurve) {
  SyntheticCell cell;
  cell.soc = 0.20;
  cell.hysteresis = -1.0;
  SocEstimator estimator;
  estimator.start(0.25, 0.05, -1.0, 0.1, 0.0, 0.05);
  run(cell, estimator, 20.0, 0.15 * 3600.0 * kCapacity_Ah / 20.0);  // to 5 %
  run(cell, estimator, 0.0, 1800.0);
  EXPECT_LT(estimator.soc_sd(), 0.01);
  EXPECT_NEAR(estimator.soc(), cell.soc, 0.01);
}

TEST(SocEstimator, ReportedSocMovesByCountedChargePlusTheBlendBoundOnly) {
  SyntheticCell cell;
  cell.soc = 0.95;
  cell.hysteresis = 1.0;
  SocEstimator estimator;
  estimator.start(0.75, 0.05, 1.0, 0.1, 0.0, 0.05);  // 20 % low, claiming 5 %
  const SocEstimatorSettings settings;
  double worst = run(cell, estimator, -10.0, 1800.0);  // into the knee: a large correction
  worst = std::max(worst, run(cell, estimator, 0.0, 7200.0));
  EXPECT_LE(worst, settings.max_blend_per_s + 1e-9);
  EXPECT_NEAR(estimator.soc(), cell.soc, 0.01);  // ... and yet it got there
}

TEST(SocEstimator, CurrentSensorOffsetIsLearnedBetweenTheEnds) {
  SyntheticCell cell;
  cell.soc = 0.98;
  cell.hysteresis = 1.0;
  cell.sensor_offset_A = 0.05;
  SocEstimator estimator;
  estimator.start(0.98, 0.01, 1.0, 0.1, 0.0, 0.05);
  for (int day = 0; day < 4; ++day) {
    run(cell, estimator, 10.0, 9.0 * 3600.0);   // down to about 8 %
    run(cell, estimator, 0.0, 3.0 * 3600.0);    // rest at the bottom
    run(cell, estimator, -10.0, 9.0 * 3600.0);  // back up
    run(cell, estimator, 0.0, 3.0 * 3600.0);    // rest at the top
  }
  EXPECT_NEAR(estimator.bias_A(), 0.05, 0.02);
  EXPECT_LT(estimator.bias_sd_A(), 0.03);
}

TEST(SocEstimator, CalibrationChargeRequestedAfterWeeksOnThePlateauAndWithdrawnWhenFull) {
  SyntheticCell cell;
  cell.soc = 0.5;
  cell.sensor_offset_A = 0.05;
  SocEstimator estimator;
  estimator.start(0.5, 0.01, -1.0, 0.1, 0.0, 0.05);
  int days = 0;
  while (!estimator.calibration_requested() && days < 60) {
    for (int k = 0; k < 6; ++k) {
      run(cell, estimator, 5.0, 2.0 * 3600.0);
      run(cell, estimator, -5.0, 2.0 * 3600.0);
    }
    ++days;
  }
  EXPECT_TRUE(estimator.calibration_requested());
  EXPECT_GE(days, 3);  // not from one day on the plateau
  // The calibration charge: up the curve to full, a rest.
  run(cell, estimator, -20.0, (0.995 - cell.soc) * 3600.0 * kCapacity_Ah / 20.0);
  run(cell, estimator, 0.0, 3600.0);
  EXPECT_FALSE(estimator.calibration_requested());
  EXPECT_NEAR(estimator.soc(), cell.soc, 0.02);
}

TEST(SocEstimator, StartFromVoltageIsUncertainOnThePlateauAndSureAtTheEnds) {
  SocEstimator plateau;
  plateau.start_from_voltage(lookup_ocv(0.5).mean_V, 0.02);
  EXPECT_GT(plateau.soc_sd(), 0.10);
  SocEstimator empty;
  empty.start_from_voltage(lookup_ocv(0.03).mean_V, 0.02);
  EXPECT_NEAR(empty.soc(), 0.03, 0.005);
  EXPECT_LT(empty.soc_sd(), 0.03);
}

}  // namespace
}  // namespace bts::firmware
