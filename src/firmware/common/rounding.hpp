#pragma once
// Rounding helpers for hot paths: the same results as the standard library, bit for bit.
#include <cmath>
#include <cstdint>

namespace bts::firmware {

/// std::lround, bit for bit (halves away from zero), through a truncating conversion where the
/// value fits in one: the library's lround is a call and costs more than the rest of the
/// conversion. x - trunc(x) is exact for |x| < 2^52, so the comparison with 0.5 is exact too.
inline long exact_lround(double x) {
  if (!(std::fabs(x) < 0x1p52)) return std::lround(x);  // large, infinite or NaN
  const auto truncated = static_cast<std::int64_t>(x);
  const double fraction = x - static_cast<double>(truncated);
  if (fraction >= 0.5) return static_cast<long>(truncated + 1);
  if (fraction <= -0.5) return static_cast<long>(truncated - 1);
  return static_cast<long>(truncated);
}

}  // namespace bts::firmware
