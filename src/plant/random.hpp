#pragma once
// Deterministic random numbers for the plant (cell spread, sensor noise).
// xoshiro256** seeded by splitmix64, and a Box-Muller normal: the same seed gives the
// same numbers on every compiler and standard library, which std::normal_distribution
// does not promise.
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace bts::plant {

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9),
/// for 0 < p < 1: the source of Rng::normal_fast's table.
double inverse_normal_cdf(double p);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Standard normal (mean 0, standard deviation 1).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * 3.14159265358979323846 * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  /// Standard normal quantised to 4096 equally likely values (the inverse normal CDF at the
  /// centre of each 1/4096 probability bin): five draws per 64-bit word, no transcendental
  /// functions. Good enough for sensor noise (tails reach +-3.5 sd), and just as reproducible.
  /// quantised_normal_value(bin) is the value drawn for a bin (0..4095).
  double normal_fast() {
    if (fast_bits_left_ == 0) {
      fast_bits_ = next_u64();
      fast_bits_left_ = 5;
    }
    --fast_bits_left_;
    return take(normal_table_, fast_bits_);
  }

  /// The next count normal_fast() draws into out, in order (the same numbers, and the generator
  /// left as they leave it): the rest of the word in hand, then whole words of five draws without
  /// counting the bits left, then a part of one more word. The word and the table are held in
  /// locals so that the stores into out cannot make the compiler reload them.
  void fill_normal_fast(double* out, std::size_t count) {
    const double* const table = normal_table_;
    std::uint64_t bits = fast_bits_;
    int bits_left = fast_bits_left_;
    std::size_t index = 0;
    for (; index < count && bits_left > 0; ++index, --bits_left) out[index] = take(table, bits);
    for (; index + 5 <= count; index += 5) {
      bits = next_u64();
      out[index] = take(table, bits);
      out[index + 1] = take(table, bits);
      out[index + 2] = take(table, bits);
      out[index + 3] = take(table, bits);
      out[index + 4] = take(table, bits);  // bits keeps the word's last 4, as normal_fast does
    }
    if (index < count) {
      bits = next_u64();
      bits_left = 5;
      for (; index < count; ++index, --bits_left) out[index] = take(table, bits);
    }
    fast_bits_ = bits;
    fast_bits_left_ = bits_left;
  }

  static double quantised_normal_value(std::uint32_t bin) {
    return quantised_normal(normal_table().data(), bin & 0xFFFu);
  }

  /// Derive an independent generator for a sub-component (e.g. one per module), so that adding
  /// a module does not shift the random numbers of the others.
  Rng fork(std::uint64_t stream_id) const {
    std::uint64_t mix = state_[0] ^ (stream_id * 0x9E3779B97F4A7C15ull);
    return Rng(splitmix64(mix));
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// The lower half of the 4096 values (bins 0..2047, all negative). The values are
  /// antisymmetric to the bit, value(4095 - i) == -value(i) (random.cpp says why), so the upper
  /// half is the lower one mirrored with its sign flipped: 16 KB, not 32 KB, for random look-ups
  /// that otherwise missed the L1 cache on most sensor samples.
  static const std::array<double, 2048>& normal_table();
  static double quantised_normal(const double* lower_half, std::uint32_t index) {
    const std::uint32_t upper = index >> 11;                         // 1 for bins 2048..4095
    const std::uint32_t mirrored = index ^ ((0u - upper) & 0xFFFu);  // 4095 - index up there
    const std::uint64_t sign = std::uint64_t{upper} << 63;
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(lower_half[mirrored]) ^ sign);
  }
  /// The table entry the low 12 bits of a word pick, and those bits taken off the word.
  static double take(const double* lower_half, std::uint64_t& bits) {
    const auto index = static_cast<std::uint32_t>(bits & 0xFFFu);
    bits >>= 12;
    return quantised_normal(lower_half, index);
  }

  const double* normal_table_ = normal_table().data();  // no initialisation check per draw
  std::uint64_t state_[4]{};
  std::uint64_t fast_bits_ = 0;
  int fast_bits_left_ = 0;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace bts::plant
