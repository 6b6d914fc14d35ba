#pragma once
// std::exp with its last argument and result kept. The plant's exact decays (exp(-dt / tau)) are
// asked for the same argument step after step; the same argument, bit for bit, gives the same
// result, so a repeat returns the kept one.
#include <bit>
#include <cmath>
#include <cstdint>

namespace bts::plant {

class MemoExp {
 public:
  double operator()(double x) {
    const auto bits = std::bit_cast<std::uint64_t>(x);
    if (!valid_ || bits != bits_) {
      bits_ = bits;
      value_ = std::exp(x);
      valid_ = true;
    }
    return value_;
  }

 private:
  std::uint64_t bits_ = 0;
  double value_ = 0.0;
  bool valid_ = false;
};

}  // namespace bts::plant
