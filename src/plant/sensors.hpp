#pragma once
// Sensors as a BMS sees them: each channel has a fixed offset and gain error drawn from the
// seed, noise per reading, quantisation, and a physical failure mode. Fault injection sets the
// failure mode; nothing here tells the firmware that a channel is broken.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "plant/random.hpp"

namespace bts::plant {

enum class SensorFailure : std::uint8_t {
  None,
  Open,   // the wire or element is open: the channel reads its open-circuit value
  Short,  // the element or input is shorted: the channel reads its short-circuit value
  Stuck,  // the converter freezes: the channel repeats its last good reading
};

/// std::floor, bit for bit, through a truncating conversion where the value fits in one (the
/// library's floor costs more than the rest of a reading).
inline double exact_floor(double x) {
  if (!(std::fabs(x) < 0x1p52)) return std::floor(x);  // large, infinite or NaN
  const double truncated = static_cast<double>(static_cast<std::int64_t>(x));
  return truncated > x ? truncated - 1.0 : std::copysign(truncated, x);  // keeps -0.0
}

/// std::floor(value + 0.5), bit for bit (rounding half up to a whole number). Cheaper than
/// exact_floor(value + 0.5): a sum is -0.0 only when both terms are, so value + 0.5 never is,
/// and a truncation that is not above it already has its sign (the copysign is not needed).
inline double floor_half_up(double value) {
  const double x = value + 0.5;
  if (!(std::fabs(x) < 0x1p52)) return std::floor(x);  // large, infinite or NaN
  const double truncated = static_cast<double>(static_cast<std::int64_t>(x));
  return truncated > x ? truncated - 1.0 : truncated;
}

/// A reading of n quanta of 0.001 (computed as n * 0.001) gives n back when scaled by 1000 and
/// rounded half up, floor_half_up(reading * 1000.0), for |n| < 2^31: 0.001 and both products
/// are each rounded by at most 2^-53 relative, so the scaled value is within |n| * 2^-51 < 0.25
/// of n, and adding 0.5 and rounding stays inside [n + 0.25, n + 0.75]. So a converter count in
/// such quanta is the reading in thousandths without the scaling (tests/plant/sensors_rounding).
inline constexpr double kMilliQuantum = 0.001;
inline constexpr double kQuantaCountLimit = 0x1p31;  // |n| below this: the count fits in int32

/// One analogue channel: reading = quantise((true * (1 + gain_error) + offset + noise)).
class SensorChannel {
 public:
  SensorChannel() = default;
  SensorChannel(double offset, double gain_error, double noise_sd, double quantum,
                double open_reading, double short_reading)
      : offset_(offset),
        gain_(1.0 + gain_error),
        noise_sd_(noise_sd),
        quantum_(quantum),
        open_reading_(open_reading),
        short_reading_(short_reading) {}

  double read(double true_value, Rng& noise) {
    switch (failure_) {
      case SensorFailure::Open:
        last_reading_ = open_reading_;
        return last_reading_;
      case SensorFailure::Short:
        last_reading_ = short_reading_;
        return last_reading_;
      case SensorFailure::Stuck:
        return last_reading_;
      case SensorFailure::None:
        break;
    }
    return read_working(true_value, noise);
  }
  /// read() of a channel without failure (failure() == None).
  double read_working(double true_value, Rng& noise) {
    double value = true_value * gain_ + offset_;
    if (noise_sd_ > 0.0) value += noise_sd_ * noise.normal_fast();
    if (quantum_ > 0.0) value = floor_half_up(value / quantum_) * quantum_;
    last_reading_ = value;
    return value;
  }
  /// read_working() of a channel with quantum() > 0, also giving the whole number of quanta the
  /// reading is (quanta * quantum() is the reading).
  double read_working_quantised(double true_value, Rng& noise, double& quanta) {
    if (noise_sd_ > 0.0) return read_noisy_quantised(true_value, noise.normal_fast(), quanta);
    quanta = floor_half_up((true_value * gain_ + offset_) / quantum_);
    last_reading_ = quanta * quantum_;
    return last_reading_;
  }
  /// read_working_quantised() of a channel with noise (noise_sd() > 0) whose standard normal
  /// draw was taken beforehand.
  double read_noisy_quantised(double true_value, double standard_normal, double& quanta) {
    const double value = true_value * gain_ + offset_ + noise_sd_ * standard_normal;
    quanta = floor_half_up(value / quantum_);
    last_reading_ = quanta * quantum_;
    return last_reading_;
  }
  /// read_noisy_quantised() of channels[0..count), each with its own true value and normal draw,
  /// as read_sensors' loop over working, noisy, quantised channels: the readings, and each count
  /// of quanta as an int32 (0 for a count with |quanta| >= 2^31, and then the result is false).
  /// Two channels at a time with SSE2 (the draws are taken first, so nothing chains one channel
  /// to the next); tests/plant/sensors_rounding_test.cpp holds it to the one-at-a-time read.
  static bool read_noisy_quantised_run(SensorChannel* channels, std::size_t count,
                                       const double* true_values, const double* standard_normals,
                                       double* readings, std::int32_t* quanta_counts);
  double noise_sd() const { return noise_sd_; }
  double offset() const { return offset_; }
  double gain() const { return gain_; }  // 1 + the gain error
  /// What a Stuck channel repeats, for a front end that read the channel without this object
  /// (CellVoltageFrontEnd) and hands its last reading back before the channel is used alone.
  void restore_last_reading(double reading) { last_reading_ = reading; }
  void set_failure(SensorFailure failure) { failure_ = failure; }
  SensorFailure failure() const { return failure_; }
  double last_reading() const { return last_reading_; }
  double quantum() const { return quantum_; }

 private:
  double offset_ = 0.0;
  double gain_ = 1.0;  // 1 + gain error, the same double the reading multiplied by each time
  double noise_sd_ = 0.0;
  double quantum_ = 0.0;
  double open_reading_ = 0.0;
  double short_reading_ = 0.0;
  SensorFailure failure_ = SensorFailure::None;
  double last_reading_ = 0.0;
};

/// The cell voltage channels of a module side by side, field by field (gain, offset, noise, quantum
/// and last reading of channel k at index k): a sample of every channel reads a few arrays instead
/// of one 64-byte SensorChannel per channel (one cache line each, missed at every 100 ms sample),
/// and two channels' fields with one load. Only for working, noisy channels; the same operations
/// as SensorChannel::read_noisy_quantised, so the same readings to the bit.
struct CellVoltageFrontEnd {
  static constexpr std::size_t kMaxChannels = 32;
  alignas(16) std::array<double, kMaxChannels> gain{};
  alignas(16) std::array<double, kMaxChannels> offset{};
  alignas(16) std::array<double, kMaxChannels> noise_sd{};
  alignas(16) std::array<double, kMaxChannels> quantum{};
  alignas(16) std::array<double, kMaxChannels> last_reading{};
  std::size_t count = 0;

  /// Takes the channels' constants (and last readings); count <= kMaxChannels.
  void take(const SensorChannel* channels, std::size_t channel_count);
  /// Hands the last readings back to the channels (before they are read one by one).
  void give_back(SensorChannel* channels) const;
  /// read_noisy_quantised of every channel: readings and their counts of quanta (false, with
  /// that count 0, when a count does not fit in int32).
  bool read(const double* true_values, const double* standard_normals, double* readings,
            std::int32_t* quanta_counts);
};

/// A reading's count of quanta as int32, or 0 with counts_fit cleared when it does not fit.
inline std::int32_t quanta_count(double quanta, bool& counts_fit) {
  if (!(std::fabs(quanta) < kQuantaCountLimit)) [[unlikely]] {
    counts_fit = false;
    return 0;
  }
  return static_cast<std::int32_t>(quanta);
}

#if defined(__SSE2__)
/// Two channels' values quantised as floor_half_up(value / quantum) * quantum, each operation
/// rounded as in the scalar read: the readings and their counts of quanta stored, the readings
/// returned in reading. False, storing nothing, when a count would not be exact in int32 (the
/// caller then reads the two one at a time).
inline bool quantise_pair_counts(__m128d value, __m128d quantum, double* readings, __m128i& counts,
                                 __m128d& reading) {
  // floor_half_up(v) is floor(x) with x = v + 0.5. For |x| < 2^31 - 1 a truncation to int32 is
  // exact, and floor(x) is that truncation t less one when t > x (x negative, not whole); the
  // floor then lies in (-2^31, 2^31), so it fits the count. Any other x (huge, infinite, NaN)
  // takes the scalar way, which gives floor_half_up's own result.
  const __m128d magnitude_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7FFFFFFFFFFFFFFF));
  const __m128d x = _mm_add_pd(_mm_div_pd(value, quantum), _mm_set1_pd(0.5));
  if (_mm_movemask_pd(_mm_cmplt_pd(_mm_and_pd(x, magnitude_mask), _mm_set1_pd(0x1p31 - 1.0))) != 3)
      [[unlikely]] {
    return false;
  }
  const __m128i truncated = _mm_cvttpd_epi32(x);  // both counts in the low two int32 lanes
  const __m128d truncated_value = _mm_cvtepi32_pd(truncated);
  const __m128d above = _mm_cmpgt_pd(truncated_value, x);  // all ones where t > x
  const __m128d floored = _mm_sub_pd(truncated_value, _mm_and_pd(above, _mm_set1_pd(1.0)));
  // above's lanes as int32 (-1 or 0) next to the truncated counts: count = t + (-1 or 0).
  const __m128i above_counts = _mm_shuffle_epi32(_mm_castpd_si128(above), _MM_SHUFFLE(3, 3, 2, 0));
  counts = _mm_add_epi32(truncated, above_counts);  // in the low two int32 lanes
  reading = _mm_mul_pd(floored, quantum);
  _mm_storeu_pd(readings, reading);
  return true;
}

/// quantise_pair_counts with the two counts stored.
inline bool quantise_pair(__m128d value, __m128d quantum, double* readings,
                          std::int32_t* quanta_counts, __m128d& reading) {
  __m128i counts;
  if (!quantise_pair_counts(value, quantum, readings, counts, reading)) return false;
  _mm_storel_epi64(reinterpret_cast<__m128i*>(quanta_counts), counts);
  return true;
}

/// Two doubles that were just stored one at a time, as a pair: two 64-bit loads, each forwarded
/// from its store (one 128-bit load across the two stores is not forwarded and waits for them to
/// reach the cache). The empty asm keeps the compiler from merging the loads.
inline __m128d load_pair_stored_singly(const double* values) {
  double first = values[0];
  double second = values[1];
  asm("" : "+x"(first), "+x"(second));
  return _mm_set_pd(second, first);
}
#endif

inline bool SensorChannel::read_noisy_quantised_run(SensorChannel* channels, std::size_t count,
                                                    const double* true_values,
                                                    const double* standard_normals,
                                                    double* readings, std::int32_t* quanta_counts) {
  bool counts_fit = true;
  // One channel the scalar way (also for a pair the SSE2 way cannot take).
  const auto read_one = [&](std::size_t index) {
    double quanta = 0.0;
    readings[index] =
        channels[index].read_noisy_quantised(true_values[index], standard_normals[index], quanta);
    quanta_counts[index] = quanta_count(quanta, counts_fit);
  };
  std::size_t index = 0;
#if defined(__SSE2__)
  for (; index + 1 < count; index += 2) {
    SensorChannel& first = channels[index];
    SensorChannel& second = channels[index + 1];
    const __m128d gain = _mm_set_pd(second.gain_, first.gain_);
    const __m128d offset = _mm_set_pd(second.offset_, first.offset_);
    const __m128d noise_sd = _mm_set_pd(second.noise_sd_, first.noise_sd_);
    const __m128d quantum = _mm_set_pd(second.quantum_, first.quantum_);
    const __m128d true_value = _mm_loadu_pd(true_values + index);
    const __m128d normal = _mm_loadu_pd(standard_normals + index);
    // (true * gain + offset) + noise_sd * normal, each operation rounded as in the scalar read.
    const __m128d value =
        _mm_add_pd(_mm_add_pd(_mm_mul_pd(true_value, gain), offset), _mm_mul_pd(noise_sd, normal));
    __m128d reading;
    if (!quantise_pair(value, quantum, readings + index, quanta_counts + index, reading))
        [[unlikely]] {
      read_one(index);
      read_one(index + 1);
      continue;
    }
    _mm_storel_pd(&first.last_reading_, reading);
    _mm_storeh_pd(&second.last_reading_, reading);
  }
#endif
  for (; index < count; ++index) read_one(index);
  return counts_fit;
}

inline void CellVoltageFrontEnd::take(const SensorChannel* channels, std::size_t channel_count) {
  count = channel_count < kMaxChannels ? channel_count : kMaxChannels;
  for (std::size_t k = 0; k < count; ++k) {
    gain[k] = channels[k].gain();
    offset[k] = channels[k].offset();
    noise_sd[k] = channels[k].noise_sd();
    quantum[k] = channels[k].quantum();
    last_reading[k] = channels[k].last_reading();
  }
}

inline void CellVoltageFrontEnd::give_back(SensorChannel* channels) const {
  for (std::size_t k = 0; k < count; ++k) channels[k].restore_last_reading(last_reading[k]);
}

inline bool CellVoltageFrontEnd::read(const double* true_values, const double* standard_normals,
                                      double* readings, std::int32_t* quanta_counts) {
  bool counts_fit = true;
  // SensorChannel::read_noisy_quantised of channel k, with the count check of the run.
  const auto read_one = [&](std::size_t k) {
    const double value = true_values[k] * gain[k] + offset[k] + noise_sd[k] * standard_normals[k];
    const double quanta = floor_half_up(value / quantum[k]);
    last_reading[k] = quanta * quantum[k];
    readings[k] = last_reading[k];
    quanta_counts[k] = quanta_count(quanta, counts_fit);
  };
  std::size_t index = 0;
#if defined(__SSE2__)
  // (true * gain + offset) + noise_sd * normal of channels k, k + 1, each operation rounded as in
  // the scalar read. The normals were just drawn one at a time.
  const auto pair_value = [&](std::size_t k) {
    return _mm_add_pd(
        _mm_add_pd(_mm_mul_pd(_mm_loadu_pd(true_values + k), _mm_load_pd(gain.data() + k)),
                   _mm_load_pd(offset.data() + k)),
        _mm_mul_pd(_mm_load_pd(noise_sd.data() + k),
                   load_pair_stored_singly(standard_normals + k)));
  };
  // Four channels at a time, their counts stored together (the simulator's HAL copies them 16
  // bytes at a time); when either pair cannot be quantised the SSE2 way, all four one at a time.
  for (; index + 3 < count; index += 4) {
    __m128i low_counts, high_counts;
    __m128d low_reading, high_reading;
    if (!quantise_pair_counts(pair_value(index), _mm_load_pd(quantum.data() + index),
                              readings + index, low_counts, low_reading) ||
        !quantise_pair_counts(pair_value(index + 2), _mm_load_pd(quantum.data() + index + 2),
                              readings + index + 2, high_counts, high_reading)) [[unlikely]] {
      for (std::size_t k = index; k < index + 4; ++k) read_one(k);
      continue;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(quanta_counts + index),
                     _mm_unpacklo_epi64(low_counts, high_counts));
    _mm_store_pd(last_reading.data() + index, low_reading);
    _mm_store_pd(last_reading.data() + index + 2, high_reading);
  }
  for (; index + 1 < count; index += 2) {
    const __m128d value = pair_value(index);
    __m128d reading;
    if (!quantise_pair(value, _mm_load_pd(quantum.data() + index), readings + index,
                       quanta_counts + index, reading)) [[unlikely]] {
      read_one(index);
      read_one(index + 1);
      continue;
    }
    _mm_store_pd(last_reading.data() + index, reading);
  }
#endif
  for (; index < count; ++index) read_one(index);
  return counts_fit;
}

}  // namespace bts::plant
