#pragma once
// Rounding helpers for hot paths: the same results as the standard library, bit for bit.
#include <cmath>
#include <cstdint>
#include <limits>

namespace bts::firmware {

/// std::lround, bit for bit (halves away from zero), through a truncating conversion where the
/// value fits in one: the library's lround is a call and costs more than the rest of the
/// conversion. x - trunc(x) is exact for |x| < 2^52, so the comparison with 0.5 is exact too.
inline long exact_lround(double x) {
  if (!(std::fabs(x) < 0x1p52)) return std::lround(x);  // large, infinite or NaN
  const auto truncated = static_cast<std::int64_t>(x);
  const double fraction = x - static_cast<double>(truncated);
  // Added as 0/1 rather than branched on: whether a noisy value's fraction passes a half is a
  // coin toss, and a mispredicted branch costs more than the conversion. At most one holds.
  const std::int64_t up = fraction >= 0.5 ? 1 : 0;
  const std::int64_t down = fraction <= -0.5 ? 1 : 0;
  return static_cast<long>(truncated + up - down);
}

/// numerator / denominator (rounded toward zero, as C++ divides) for a positive denominator,
/// through a 32-bit division when the numerator fits in one: a 64-bit idiv costs several times
/// as much on x86, and a sum of a module's cells in mV always fits.
inline std::int64_t divide_toward_zero(std::int64_t numerator, std::int32_t positive_denominator) {
  if (numerator >= std::numeric_limits<std::int32_t>::min() &&
      numerator <= std::numeric_limits<std::int32_t>::max())
    return static_cast<std::int32_t>(numerator) / positive_denominator;
  return numerator / positive_denominator;
}

}  // namespace bts::firmware
