#include "sim/inverter_link.hpp"

#include "firmware/inverter/sofar_protocol.hpp"

namespace bts::sim {

InverterLink::InverterLink(CanBus& com, int port, plant::Inverter& inverter, int battery_inputs)
    : com_(com), port_(port), inverter_(inverter), inputs_(battery_inputs > 1 ? 2 : 1) {}

void InverterLink::tick(std::uint64_t now_us) {
  namespace sofar = firmware::sofar;
  firmware::CanFrame frame;
  while (com_.receive(port_, frame)) {
    const auto parts = sofar::split_id(frame.id);
    if (!parts || parts->second >= inputs_) continue;
    const std::size_t input = parts->second;
    sofar::Limits limits;
    sofar::SocSoh soc;
    std::uint32_t bits = 0;
    if (sofar::decode_limits(frame, limits)) {
      plant::BatteryLimits battery;
      battery.valid = true;
      battery.charge_voltage_limit_V = limits.charge_voltage_limit_dV * 0.1;
      battery.charge_current_limit_A = limits.charge_current_limit_dA * 0.1;
      battery.discharge_current_limit_A = limits.discharge_current_limit_dA * 0.1;
      battery.discharge_voltage_limit_V = limits.discharge_voltage_limit_dV * 0.1;
      inverter_.set_battery_limits(static_cast<int>(input), battery);
      last_limits_us_[input] = now_us;
      limits_seen_[input] = true;
    } else if (sofar::decode_soc_soh(frame, soc)) {
      soc_percent_[input] = soc.soc_percent;
    } else if (sofar::decode_alarms(frame, bits)) {
      code_bits_[input] = bits;
    }
  }
  for (std::size_t input = 0; input < static_cast<std::size_t>(inputs_); ++input) {
    const bool stale =
        !limits_seen_[input] ||
        now_us - last_limits_us_[input] > static_cast<std::uint64_t>(kLimitsTimeout_s * 1e6);
    if (stale && inverter_.battery_limits(static_cast<int>(input)).valid) {
      inverter_.set_battery_limits(static_cast<int>(input), plant::BatteryLimits{});
    }
  }
  if (!silent_ && now_us >= next_inquiry_us_) {
    next_inquiry_us_ = now_us + 1000000;
    // Ask each battery in turn for its real-time data, as a Sofar inverter does.
    const auto battery = static_cast<std::uint8_t>(inquiry_counter_ % inputs_);
    com_.send(port_,
              sofar::encode_inquiry(
                  {battery, 0x00, static_cast<std::uint8_t>(inquiry_counter_ / inputs_ % 4)}),
              now_us);
    ++inquiry_counter_;
  }
}

}  // namespace bts::sim
