#pragma once
// Sensors as a BMS sees them: each channel has a fixed offset and gain error drawn from the
// seed, noise per reading, quantisation, and a physical failure mode. Fault injection sets the
// failure mode; nothing here tells the firmware that a channel is broken.
#include <cmath>
#include <cstdint>

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
    double value = true_value * gain_ + offset_;
    if (noise_sd_ > 0.0) value += noise_sd_ * noise.normal_fast();
    quanta = floor_half_up(value / quantum_);
    value = quanta * quantum_;
    last_reading_ = value;
    return value;
  }
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

}  // namespace bts::plant
