#include "plant/sensors.hpp"

#include <cmath>

namespace bts::plant {

double SensorChannel::read(double true_value, Rng& noise) {
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
  double value = true_value * (1.0 + gain_error_) + offset_;
  if (noise_sd_ > 0.0) value += noise_sd_ * noise.normal_fast();
  if (quantum_ > 0.0) value = std::floor(value / quantum_ + 0.5) * quantum_;
  last_reading_ = value;
  return value;
}

}  // namespace bts::plant
