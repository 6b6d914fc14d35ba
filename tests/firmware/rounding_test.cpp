// exact_lround must give std::lround's result for every input, bit for bit: the simulation's
// outputs depend on it.
#include "firmware/common/rounding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

namespace bts::firmware {
namespace {

TEST(ExactLround, HalvesAndNeighboursMatchTheLibrary) {
  for (double base : {0.0, 1.0, 2.0, 3.0, 1e6, 4503599627370494.0, 0x1p52, 0x1p53, 1e20}) {
    for (double offset : {0.5, 0.25, 0.75, 0.0}) {
      for (double sign : {1.0, -1.0}) {
        const double centre = sign * (base + offset);
        double x = centre;
        for (int k = 0; k < 3; ++k) x = std::nextafter(x, -std::numeric_limits<double>::infinity());
        for (int k = 0; k < 7; ++k) {
          EXPECT_EQ(exact_lround(x), std::lround(x)) << x;
          x = std::nextafter(x, std::numeric_limits<double>::infinity());
        }
      }
    }
  }
  EXPECT_EQ(exact_lround(0.49999999999999994), std::lround(0.49999999999999994));
  EXPECT_EQ(exact_lround(-0.49999999999999994), std::lround(-0.49999999999999994));
  EXPECT_EQ(exact_lround(-0.0), 0);
}

TEST(ExactLround, RandomValuesMatchTheLibrary) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mV(-5000.0, 5000.0);
  std::uniform_int_distribution<std::uint64_t> bits;
  for (int k = 0; k < 200000; ++k) {
    const double x = mV(rng);
    EXPECT_EQ(exact_lround(x), std::lround(x)) << x;
    double any;
    const std::uint64_t b = bits(rng);
    static_assert(sizeof any == sizeof b);
    std::memcpy(&any, &b, sizeof any);
    if (std::isfinite(any) && std::fabs(any) < 0x1p62) {
      EXPECT_EQ(exact_lround(any), std::lround(any)) << any;
    }
  }
}

TEST(DivideTowardZero, MatchesTheSixtyFourBitDivision) {
  // Around the edges of the 32-bit range, both signs, and random values of either width.
  const std::int64_t int32_min = std::numeric_limits<std::int32_t>::min();
  const std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
  for (std::int64_t numerator :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{15}, std::int64_t{-15},
        std::int64_t{16}, std::int64_t{-17}, int32_min, int32_min - 1, int32_min + 1, int32_max,
        int32_max + 1, int32_max - 1, std::numeric_limits<std::int64_t>::min(),
        std::numeric_limits<std::int64_t>::max()}) {
    for (std::int32_t denominator :
         {1, 2, 3, 7, 16, 24, std::numeric_limits<std::int32_t>::max()}) {
      EXPECT_EQ(divide_toward_zero(numerator, denominator), numerator / denominator)
          << numerator << " / " << denominator;
    }
  }
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<std::int64_t> narrow(int32_min, int32_max);
  std::uniform_int_distribution<std::int64_t> wide;
  std::uniform_int_distribution<std::int32_t> denominator(1, 100);
  for (int k = 0; k < 100000; ++k) {
    const std::int32_t d = denominator(rng);
    const std::int64_t n = narrow(rng), w = wide(rng);
    EXPECT_EQ(divide_toward_zero(n, d), n / d) << n << " / " << d;
    EXPECT_EQ(divide_toward_zero(w, d), w / d) << w << " / " << d;
  }
}

}  // namespace
}  // namespace bts::firmware
