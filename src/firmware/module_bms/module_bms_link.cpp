// The module BMS as a Link-bus slave: address claim along the daisy chain, the BDU's commands
// and share, and the module's reports (docs/protocols/link.md).
#include <array>

#include "firmware/link/link_protocol.hpp"
#include "firmware/module_bms/module_bms.hpp"

namespace bts::firmware {

namespace {

link::ModuleState wire_state(ModuleState state) {
  switch (state) {
    case ModuleState::Sleep:
      return link::ModuleState::Off;
    case ModuleState::Unaddressed:
      return link::ModuleState::Init;
    case ModuleState::Standby:
      return link::ModuleState::Standby;
    case ModuleState::Run:
      return link::ModuleState::Run;
    case ModuleState::Fault:
      return link::ModuleState::Fault;
    case ModuleState::Updating:
      return link::ModuleState::Updating;
  }
  return link::ModuleState::Init;
}

}  // namespace

void ModuleBms::set_address(std::uint8_t address) {
  address_ = address;
  const auto filters = link::module_acceptance_filters(address);
  static_assert(std::tuple_size_v<decltype(filters)> <= ModuleHal::kMaxLinkFilters,
                "more filters than the controller has");
  hal_.set_link_acceptance_filters(filters);
}

void ModuleBms::receive_link(TimeMs now_ms) {
  CanFrame frame;
  while (hal_.link_receive(frame)) {
    if (handle_update_frame(frame, now_ms)) continue;
    link::LinkId id;
    if (!link::peek_id(frame, id)) continue;
    switch (id.type) {
      case link::MessageType::AddressRequest: {
        link::AddressRequest request;
        if (!request.decode(frame)) break;
        if (request.restart && address_ != 0) {
          set_address(link::kAddressUnassigned);
          hal_.set_link_enable_out(false);
        }
        // Only the first unaddressed module on the chain has its enable input raised.
        if (address_ == 0 && hal_.link_enable_in()) {
          link::AddressClaim claim;
          claim.serial_number = config_.serial_number;
          hal_.link_send(claim.encode());
        }
        break;
      }
      case link::MessageType::AddressAssign: {
        link::AddressAssign assign;
        if (!assign.decode(frame) || assign.serial_number != config_.serial_number) break;
        set_address(assign.address);
        hal_.set_link_enable_out(true);  // now the next module may be addressed
        break;
      }
      case link::MessageType::BduCommand: {
        link::BduCommand command;
        if (!command.decode(frame) || address_ == 0) break;
        mode_request_ = command.mode == link::RequestedMode::Run       ? ModuleModeRequest::Run
                        : command.mode == link::RequestedMode::Standby ? ModuleModeRequest::Standby
                                                                       : ModuleModeRequest::Off;
        voltage_reference_dV_ = command.bus_voltage_reference_dV;
        allow_balancing_ = command.allow_balancing;
        allow_heater_ = command.allow_heater;
        if (command.fault_reset_request) diagnosis_.request_reset(now_ms);
        last_command_ms_ = now_ms;
        command_seen_ = true;
        break;
      }
      case link::MessageType::BduShare: {
        // Every module hears the shares of all; only its own is decoded.
        if (address_ == 0 || id.destination != address_) break;
        link::BduShare share;
        if (!share.decode(frame)) break;
        current_offset_mA_ = share.current_offset_mA;
        bdu_charge_limit_mA_ = share.charge_limit_mA;
        bdu_discharge_limit_mA_ = share.discharge_limit_mA;
        last_share_ms_ = now_ms;
        share_seen_ = true;
        break;
      }
      case link::MessageType::InfoRequest: {
        if (address_ != 0 &&
            (id.destination == address_ || id.destination == link::kAddressBroadcast)) {
          link::ModuleInfo info;
          info.module_address = address_;
          info.serial_number = config_.serial_number;
          info.firmware_major = config_.firmware_version.major;
          info.firmware_minor = config_.firmware_version.minor;
          info.firmware_patch = config_.firmware_version.patch;
          info.hardware_version = config_.hardware_version;
          hal_.link_send(info.encode());
        }
        break;
      }
      default:
        break;
    }
  }
}

void ModuleBms::send_cyclic_100ms(TimeMs now_ms) {
  if (address_ == 0) return;
  const bool bdu_lost = command_seen_ && now_ms - last_command_ms_ > config_.bdu_timeout_ms;
  link::ModuleStatus status;
  status.module_address = address_;
  status.state = wire_state(state_);
  status.balancing_active = balancing_mask_ != 0;
  status.heater_on = heater_on_;
  status.pcu_running = state_ == ModuleState::Run;
  status.enable_out_high = true;
  status.bdu_lost = bdu_lost;
  status.codes = diagnosis_.active();
  status.counter = tx_counter_++;
  hal_.link_send(status.encode());

  link::ModuleMeasurements measurements;
  measurements.module_address = address_;
  measurements.stack_voltage_mV = sample_.stack_voltage_mV;
  measurements.current_mA = sample_.current_mA;
  measurements.bus_voltage_dV = sample_.bus_voltage_dV < 0 ? 0 : sample_.bus_voltage_dV;
  measurements.soc_permille = soc_permille_;
  hal_.link_send(measurements.encode());

  link::ModuleExtremes extremes;
  extremes.module_address = address_;
  extremes.min_cell_mV = statistics().min_voltage_mV;
  extremes.min_cell_index = statistics().min_voltage_cell;
  extremes.max_cell_mV = statistics().max_voltage_mV;
  extremes.max_cell_index = statistics().max_voltage_cell;
  extremes.min_temperature_ddegC = statistics().min_temperature_ddegC;
  extremes.min_temperature_index = statistics().min_temperature_sensor;
  extremes.max_temperature_ddegC = statistics().max_temperature_ddegC;
  extremes.max_temperature_index = statistics().max_temperature_sensor;
  hal_.link_send(extremes.encode());

  // One slow frame per cycle, round robin: cell voltages (4), temperatures (2), module
  // temperatures, module info; each every 0.8 s without bursts on the bus.
  const std::uint8_t slow = slow_frame_index_;
  slow_frame_index_ = static_cast<std::uint8_t>((slow_frame_index_ + 1) % 8);
  if (slow < link::kCellVoltageFrames) {
    link::CellVoltages cells;
    cells.module_address = address_;
    cells.index = slow;
    for (std::uint8_t k = 0; k < link::kCellsPerFrame; ++k) {
      const std::uint8_t cell = static_cast<std::uint8_t>(slow * link::kCellsPerFrame + k);
      cells.cell_mV[k] = cell < sample_.cell_count
                             ? static_cast<std::uint16_t>(sample_.cell_voltage_mV[cell] < 0
                                                              ? 0
                                                              : sample_.cell_voltage_mV[cell])
                             : link::CellVoltages::kNotAvailable;
    }
    hal_.link_send(cells.encode());
  } else if (slow < link::kCellVoltageFrames + link::kCellTemperatureFrames) {
    link::CellTemperatures temperatures;
    temperatures.module_address = address_;
    temperatures.index = static_cast<std::uint8_t>(slow - link::kCellVoltageFrames);
    for (std::uint8_t k = 0; k < link::kCellsPerFrame; ++k) {
      const std::uint8_t sensor =
          static_cast<std::uint8_t>(temperatures.index * link::kCellsPerFrame + k);
      temperatures.temperature_ddegC[k] = sensor < sample_.temperature_count
                                              ? sample_.cell_temperature_ddegC[sensor]
                                              : link::CellTemperatures::kNotAvailable;
    }
    hal_.link_send(temperatures.encode());
  } else if (slow == 6) {
    link::ModuleTemperatures temperatures;
    temperatures.module_address = address_;
    temperatures.ambient_ddegC = sample_.ambient_temperature_ddegC;
    temperatures.terminal_ddegC = sample_.terminal_temperature_ddegC;
    temperatures.pcu_ddegC = sample_.pcu_temperature_ddegC;
    hal_.link_send(temperatures.encode());
  } else {
    link::ModuleInfo info;
    info.module_address = address_;
    info.serial_number = config_.serial_number;
    info.firmware_major = config_.firmware_version.major;
    info.firmware_minor = config_.firmware_version.minor;
    info.firmware_patch = config_.firmware_version.patch;
    info.hardware_version = config_.hardware_version;
    hal_.link_send(info.encode());
  }
}

void ModuleBms::send_cyclic_1s(TimeMs /*now_ms*/) {
  if (address_ == 0) return;
  link::ModuleEstimates estimates;
  estimates.module_address = address_;
  estimates.soc_uncertainty_permille = soc_uncertainty_permille();
  estimates.calibration_request = calibration_charge_requested();
  estimates.capacity_permille = soh_capacity_permille();
  estimates.resistance_permille = soh_resistance_permille();
  estimates.equivalent_full_cycles =
      static_cast<std::int32_t>(state_of_health_.equivalent_full_cycles());
  hal_.link_send(estimates.encode());
}

}  // namespace bts::firmware
