#pragma once
// The hybrid inverter's side of the COM bus. It speaks the protocol the installation uses:
//  - Sofar "BMS extended": an inquiry every poll interval (1 s by default), the batteries'
//    cyclic frames read;
//  - Pylon HV: a 0x4200 ensemble poll every poll interval, the batteries' answers read.
// Either way it hands each battery's limits to the plant's inverter model; without a battery's
// limits for kLimitsTimeout_s the inverter stops using that battery input. When a real inverter
// is on the wire (`bts run`), the link is passive: it sends nothing and only reads what the
// batteries answer the real inverter, so the simulated power electronics obey the same limits.
#include <array>
#include <cstdint>

#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "plant/inverter.hpp"
#include "sim/can_bus.hpp"

namespace bts::sim {

struct InverterLinkOptions {
  firmware::InverterProtocol protocol = firmware::InverterProtocol::SofarExtended;
  firmware::pylon_hv::PylonDialect pylon_dialect{};
  bool passive = false;  // a real inverter polls; only listen
  /// Its inquiries (Sofar) or polls (Pylon HV), one per this interval: about a second for most
  /// inverters; some Sofar models ask only now and then.
  std::uint64_t poll_interval_us = 1000000;
};

class InverterLink {
 public:
  static constexpr double kLimitsTimeout_s = 5.0;
  InverterLink(CanBus& com, int port, plant::Inverter& inverter, int battery_inputs,
               const InverterLinkOptions& options = {});
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
  /// Everything read from a Pylon HV battery's answers (Pylon protocol only).
  const firmware::pylon_hv::BatteryReport& pylon_report(int input) const {
    return pylon_reports_[static_cast<std::size_t>(input)];
  }

 private:
  void read_sofar(const firmware::CanFrame& frame, std::uint64_t now_us);
  void read_pylon(const firmware::CanFrame& frame, std::uint64_t now_us);
  void use_limits(std::size_t input, plant::BatteryLimits limits, std::uint64_t now_us);
  void send_request(std::uint64_t now_us);

  CanBus& com_;
  int port_;
  plant::Inverter& inverter_;
  int inputs_;
  InverterLinkOptions options_;
  bool silent_ = false;
  std::uint64_t next_inquiry_us_ = 0;
  std::uint8_t inquiry_counter_ = 0;
  std::array<std::uint64_t, 2> last_limits_us_{};
  std::array<bool, 2> limits_seen_{};
  std::array<double, 2> soc_percent_{};
  std::array<std::uint32_t, 2> code_bits_{};
  std::array<bool, 2> full_charge_requested_{};   // the battery asks for a full charge
  std::array<bool, 2> force_charge_requested_{};  // ... or, empty, for a forced charge
  std::array<firmware::pylon_hv::BatteryReport, 2> pylon_reports_{};
};

}  // namespace bts::sim
