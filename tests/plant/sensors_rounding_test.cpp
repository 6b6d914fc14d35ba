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

}  // namespace
}  // namespace bts::plant
