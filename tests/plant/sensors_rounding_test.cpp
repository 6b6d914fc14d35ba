// The sensors' rounding helpers must give the library's results bit for bit: every reading, and so
// every simulation output, depends on them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "plant/sensors.hpp"

namespace bts::plant {
namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_both_exact(double v) {
  EXPECT_TRUE(same_bits(exact_floor(v), std::floor(v))) << v;
  EXPECT_TRUE(same_bits(floor_half_up(v), std::floor(v + 0.5))) << v;
}

TEST(SensorRounding, EdgesMatchTheLibrary) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double base : {0.0, 0.5, 1.0, 1.5, 2.5, 1e3, 0x1p51, 0x1p52, 0x1p53, 1e300}) {
    for (double sign : {1.0, -1.0}) {
      double v = sign * base;
      for (int k = 0; k < 3; ++k) v = std::nextafter(v, -inf);
      for (int k = 0; k < 7; ++k) {
        expect_both_exact(v);
        v = std::nextafter(v, inf);
      }
    }
  }
  for (double v : {0.0, -0.0, 0.49999999999999994, -0.49999999999999994, -0.5, inf, -inf})
    expect_both_exact(v);
  EXPECT_TRUE(std::isnan(floor_half_up(std::numeric_limits<double>::quiet_NaN())));
}

TEST(SensorRounding, RandomValuesMatchTheLibrary) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> reading(-5000.0, 5000.0);
  std::uniform_int_distribution<std::uint64_t> bits;
  for (int k = 0; k < 200000; ++k) {
    expect_both_exact(reading(rng));
    const std::uint64_t b = bits(rng);
    double any;
    std::memcpy(&any, &b, sizeof any);
    if (!std::isnan(any)) expect_both_exact(any);
  }
}

// The module HAL's conversion of a reading to thousandths, floor_half_up(reading * 1000), gives
// back the count of 0.001 quanta the reading was made from (count * 0.001): so the HAL may take
// the count itself (plant/sensors.hpp, kMilliQuantum).
void expect_count_returns(std::int32_t count) {
  const double reading = static_cast<double>(count) * kMilliQuantum;
  EXPECT_EQ(static_cast<std::int32_t>(floor_half_up(reading * 1000.0)), count) << count;
}

TEST(SensorRounding, MilliQuantaScaleBackToTheirCount) {
  for (std::int32_t count = -2000000; count <= 2000000; ++count) expect_count_returns(count);
  const auto limit = static_cast<std::int64_t>(kQuantaCountLimit);
  for (std::int64_t edge : {limit - 1, -limit + 1, -limit, limit / 2, -limit / 2}) {
    for (std::int64_t k = -1000; k <= 1000; ++k) {
      const std::int64_t count = edge + k;
      if (count > -limit - 1 && count < limit)
        expect_count_returns(static_cast<std::int32_t>(count));
    }
  }
  std::mt19937_64 rng(12);
  std::uniform_int_distribution<std::int32_t> any_count(-(limit - 1), limit - 1);
  for (int k = 0; k < 2000000; ++k) expect_count_returns(any_count(rng));
}

}  // namespace
}  // namespace bts::plant
