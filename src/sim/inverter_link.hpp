#pragma once
// The hybrid inverter's side of the COM bus, speaking Sofar "BMS extended": it sends an inquiry
// every second (unless silenced or its cable is cut), reads each battery's cyclic frames, and
// hands the limits to the plant's inverter model. Without a battery's limit frame for
// limits_timeout_s the inverter stops using that battery input.
#include <array>
#include <cstdint>

#include "plant/inverter.hpp"
#include "sim/can_bus.hpp"

namespace bts::sim {

class InverterLink {
 public:
  static constexpr double kLimitsTimeout_s = 5.0;
  InverterLink(CanBus& com, int port, plant::Inverter& inverter, int battery_inputs);
  /// Call every firmware tick.
  void tick(std::uint64_t now_us);
  void set_silent(bool silent) { silent_ = silent; }
  bool silent() const { return silent_; }
  double reported_soc_percent(int input) const {
    return soc_percent_[static_cast<std::size_t>(input)];
  }
  std::uint32_t reported_code_bits(int input) const {
    return code_bits_[static_cast<std::size_t>(input)];
  }

 private:
  CanBus& com_;
  int port_;
  plant::Inverter& inverter_;
  int inputs_;
  bool silent_ = false;
  std::uint64_t next_inquiry_us_ = 0;
  std::uint8_t inquiry_counter_ = 0;
  std::array<std::uint64_t, 2> last_limits_us_{};
  std::array<bool, 2> limits_seen_{};
  std::array<double, 2> soc_percent_{};
  std::array<std::uint32_t, 2> code_bits_{};
};

}  // namespace bts::sim
