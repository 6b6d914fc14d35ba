#include "sim/inverter_link.hpp"

#include "firmware/inverter/sofar_protocol.hpp"

namespace bts::sim {

namespace pylon_hv = firmware::pylon_hv;
namespace sofar = firmware::sofar;

InverterLink::InverterLink(CanBus& com, int port, plant::Inverter& inverter, int battery_inputs,
                           const InverterLinkOptions& options)
    : com_(com),
      port_(port),
      inverter_(inverter),
      inputs_(battery_inputs > 1 ? 2 : 1),
      options_(options) {}

void InverterLink::tick(std::uint64_t now_us) {
  firmware::CanFrame frame;
  while (com_.receive(port_, frame)) {
    if (options_.protocol == firmware::InverterProtocol::PylonHv) {
      read_pylon(frame, now_us);
    } else {
      read_sofar(frame, now_us);
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
  if (!silent_ && !options_.passive && now_us >= next_inquiry_us_) {
    next_inquiry_us_ = now_us + options_.poll_interval_us;
    send_request(now_us);
  }
}

void InverterLink::send_request(std::uint64_t now_us) {
  if (options_.protocol == firmware::InverterProtocol::PylonHv) {
    // One poll for every battery on the bus; each answers at its own address.
    pylon_hv::InverterCommand poll;
    com_.send(port_, pylon_hv::encode_command(poll), now_us);
    return;
  }
  // Ask each battery in turn for its real-time data, as a Sofar inverter does.
  const auto battery = static_cast<std::uint8_t>(inquiry_counter_ % inputs_);
  com_.send(port_,
            sofar::encode_inquiry(
                {battery, 0x00, static_cast<std::uint8_t>(inquiry_counter_ / inputs_ % 4)}),
            now_us);
  ++inquiry_counter_;
}

void InverterLink::use_limits(std::size_t input, plant::BatteryLimits limits,
                              std::uint64_t now_us) {
  limits.full_charge_requested = full_charge_requested_[input];
  limits.force_charge_requested = force_charge_requested_[input];
  inverter_.set_battery_limits(static_cast<int>(input), limits);
  last_limits_us_[input] = now_us;
  limits_seen_[input] = true;
}

void InverterLink::read_sofar(const firmware::CanFrame& frame, std::uint64_t now_us) {
  const auto parts = sofar::split_id(frame.id);
  if (!parts || parts->second >= inputs_) return;
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
    use_limits(input, battery, now_us);
  } else if (sofar::decode_soc_soh(frame, soc)) {
    soc_percent_[input] = soc.soc_percent;
  } else if (sofar::decode_alarms(frame, bits)) {
    code_bits_[input] = bits;
  } else if (sofar::RequestFlags flags; sofar::decode_request_flags(frame, flags)) {
    // Taken with the next 0x351 (every second), like the Pylon flag with its ensemble answer.
    full_charge_requested_[input] = flags.full_charge_request;
    force_charge_requested_[input] = flags.force_charge;
  }
}

void InverterLink::read_pylon(const firmware::CanFrame& frame, std::uint64_t now_us) {
  const auto parts = pylon_hv::split_id(frame.id);
  if (!parts || parts->second < options_.pylon_dialect.first_address) return;
  const std::size_t input = parts->second - options_.pylon_dialect.first_address;
  if (input >= static_cast<std::size_t>(inputs_)) return;
  pylon_hv::BatteryReport& report = pylon_reports_[input];
  if (!pylon_hv::decode_frame(frame, options_.pylon_dialect, report)) return;
  soc_percent_[input] = report.values.soc_permille / 10.0;
  code_bits_[input] = report.values.codes.bits();
  full_charge_requested_[input] = report.values.balance_charge_request;
  force_charge_requested_[input] = report.values.forced_charge_request;
  // The limits arrive in 0x4220; 0x4280 (forbidden), sent later in the same answer, zeroes a
  // direction, so the limits are taken when the last frame of the ensemble answer arrives.
  if (parts->first != pylon_hv::kFaultExtension) return;
  const pylon_hv::BatteryValues& values = report.values;
  plant::BatteryLimits battery;
  battery.valid = true;
  battery.charge_voltage_limit_V = values.charge_voltage_limit_dV * 0.1;
  battery.discharge_voltage_limit_V = values.discharge_voltage_limit_dV * 0.1;
  battery.charge_current_limit_A =
      values.charge_forbidden ? 0.0 : values.charge_current_limit_dA * 0.1;
  battery.discharge_current_limit_A =
      values.discharge_forbidden ? 0.0 : values.discharge_current_limit_dA * 0.1;
  use_limits(input, battery, now_us);
}

}  // namespace bts::sim
