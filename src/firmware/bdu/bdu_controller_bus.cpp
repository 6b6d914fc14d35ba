// The BDU controller on its buses: Link master (enumeration along the daisy chain, module
// table, commands and shares) and COM (the BDU network with a second BDU; the inverter
// protocols are in bdu_controller_inverter.cpp). Layouts: docs/protocols/link.md,
// docs/protocols/inverter.md.
#include <algorithm>
#include <array>

#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/estimation/current_limits.hpp"
#include "firmware/link/bdu_network_protocol.hpp"
#include "firmware/link/link_protocol.hpp"
#include "firmware/update/update_protocol.hpp"

namespace bts::firmware {

namespace {

constexpr std::int32_t kModuleNominalCapacity_mAh = 100000;  // 100 Ah cells (REQ-TOP-1, 5.12 kWh)
constexpr std::uint8_t kMaxCountedFrameGap = 10;             // status every 100 ms, timeout 1 s

bdu_network::BduState wire_state(BduState state) {
  switch (state) {
    case BduState::Shutdown:
      return bdu_network::BduState::Init;
    case BduState::SelfTest:
      return bdu_network::BduState::Init;
    case BduState::Standby:
      return bdu_network::BduState::Standby;
    case BduState::Precharge:
      return bdu_network::BduState::Precharge;
    case BduState::Idle:
      return bdu_network::BduState::Idle;
    case BduState::Charge:
      return bdu_network::BduState::Charge;
    case BduState::Discharge:
      return bdu_network::BduState::Discharge;
    case BduState::Opening:
      return bdu_network::BduState::ShuttingDown;
    case BduState::Fault:
      return bdu_network::BduState::Fault;
    case BduState::Updating:
      return bdu_network::BduState::Updating;
  }
  return bdu_network::BduState::Init;
}

link::RequestedMode requested_mode(BduState state) {
  switch (state) {
    case BduState::Precharge:
    case BduState::Idle:
    case BduState::Charge:
    case BduState::Discharge:
    case BduState::Opening:
      return link::RequestedMode::Run;
    case BduState::Shutdown:
      return link::RequestedMode::Off;
    default:
      return link::RequestedMode::Standby;
  }
}

}  // namespace

bool BduController::receive_link(TimeMs now_ms) {
  CanFrame frame;
  bool took_frame = false;
  while (hal_.link_receive(frame)) {
    took_frame = true;
    link::LinkId id;
    if (!link::peek_id(frame, id)) continue;
    if (id.type == link::MessageType::AddressClaim) {
      link::AddressClaim claim;
      if (!claim.decode(frame)) continue;
      // A module already known by serial keeps its place (it reset); otherwise the next one.
      std::uint8_t address = next_address_;
      for (std::uint8_t k = 0; k < link::kMaxModules; ++k) {
        if (modules_[k].assigned && modules_[k].serial_number == claim.serial_number)
          address = static_cast<std::uint8_t>(k + 1);
      }
      if (address > link::kMaxModules) continue;  // a fifth module: no place for it (REQ-TOP-3)
      link::AddressAssign assign;
      assign.serial_number = claim.serial_number;
      assign.address = address;
      hal_.link_send(assign.encode());
      ModuleEntry& entry = modules_[address - 1];
      entry.assigned = true;
      entry.serial_number = claim.serial_number;
      if (address == next_address_) ++next_address_;
      unanswered_requests_ = 0;
      awaiting_claim_ = false;
      continue;
    }
    if (!link::is_module_address(id.source)) continue;
    ModuleEntry& entry = modules_[id.source - 1];
    switch (id.type) {
      case link::MessageType::ModuleStatus: {
        link::ModuleStatus status;
        if (!status.decode(frame)) break;
        entry.state = static_cast<std::uint8_t>(status.state);
        entry.codes = status.codes;
        if (entry.counter_known) {
          // A gap of a few counts is frames lost on the bus; a larger jump is a module that
          // restarted (its counter began again), which the status timeout judges instead.
          const auto gap = static_cast<std::uint8_t>(status.counter - entry.last_counter - 1);
          if (gap <= kMaxCountedFrameGap && entry.frames_missed < 60000) entry.frames_missed += gap;
        }
        if (entry.frames_received < 60000) ++entry.frames_received;
        entry.last_counter = status.counter;
        entry.counter_known = true;
        entry.last_status_ms = now_ms;
        entry.ever_reported = true;
        entry.reporting = true;
        break;
      }
      case link::MessageType::ModuleMeasurements: {
        link::ModuleMeasurements measurements;
        if (!measurements.decode(frame)) break;
        entry.stack_voltage_mV = measurements.stack_voltage_mV;
        entry.current_mA = measurements.current_mA;
        entry.bus_voltage_dV = measurements.bus_voltage_dV;
        entry.soc_permille = measurements.soc_permille;
        break;
      }
      case link::MessageType::ModuleExtremes: {
        link::ModuleExtremes extremes;
        if (!extremes.decode(frame)) break;
        entry.min_cell_mV = extremes.min_cell_mV;
        entry.max_cell_mV = extremes.max_cell_mV;
        entry.min_cell_index = extremes.min_cell_index;
        entry.max_cell_index = extremes.max_cell_index;
        entry.min_temperature_ddegC = extremes.min_temperature_ddegC;
        entry.max_temperature_ddegC = extremes.max_temperature_ddegC;
        update_module_limits(entry);
        break;
      }
      case link::MessageType::ModuleEstimates: {
        link::ModuleEstimates estimates;
        if (!estimates.decode(frame)) break;
        entry.soc_uncertainty_permille = estimates.soc_uncertainty_permille;
        entry.calibration_request = estimates.calibration_request;
        entry.capacity_permille = estimates.capacity_permille;
        entry.resistance_permille = estimates.resistance_permille;
        entry.equivalent_full_cycles = estimates.equivalent_full_cycles;
        break;
      }
      case link::MessageType::ModuleInfo: {
        link::ModuleInfo info;
        if (!info.decode(frame)) break;
        entry.version =
            FirmwareVersion{info.firmware_major, info.firmware_minor, info.firmware_patch};
        entry.version_known = true;
        break;
      }
      default: {
        link::CellVoltages cells;
        link::CellTemperatures temperatures;
        if (cells.decode(frame)) {
          for (std::size_t k = 0; k < link::kCellsPerFrame; ++k)
            entry.cell_mV[cells.index * link::kCellsPerFrame + k] = cells.cell_mV[k];
        } else if (temperatures.decode(frame)) {
          for (std::size_t k = 0; k < link::kCellsPerFrame; ++k) {
            entry.cell_temperature_ddegC[temperatures.index * link::kCellsPerFrame + k] =
                temperatures.temperature_ddegC[k];
          }
        }
        break;
      }
    }
  }
  return took_frame;
}

void BduController::update_module_limits(ModuleEntry& entry) const {
  // A converter gives at most 7.5 A and at most 2.5 kW (REQ-TOP-1): above 333 V the power is the
  // tighter bound. Offering the inverter 7.5 A per module at 370 V (2.8 kW) lets it draw more
  // than the converters deliver; the bus sags to the discharge voltage limit, the inverter backs
  // off, and the current swings between a few amperes and the limit. The power is divided by the
  // higher of the bus set point and the measured bus: by the measured bus alone, a sagging bus
  // would raise the offer and the sag with it (converters at their power limit look like a
  // negative resistance), and a rising bus while charging must lower it.
  const std::int32_t full_mA =
      converter_full_current_mA(std::max(bus_setpoint_dV_, measurements_.bat_in_voltage_dV));
  // The tapers once, for the limits at the power bound and the window at full current.
  const CurrentShares shares =
      module_current_shares(entry.min_cell_mV, entry.max_cell_mV, entry.min_temperature_ddegC,
                            entry.max_temperature_ddegC);
  const CurrentLimits limits = shares.of(full_mA);
  entry.charge_limit_mA = limits.charge_mA;
  entry.discharge_limit_mA = limits.discharge_mA;
  const CurrentLimits window = shares.of(kConverterMaxCurrent_mA);
  entry.charge_window_mA = window.charge_mA;
  entry.discharge_window_mA = window.discharge_mA;
}

void BduController::update_share_offsets() {
  const bool connected =
      state_ == BduState::Idle || state_ == BduState::Charge || state_ == BduState::Discharge;
  std::array<ShareInput, kMaxModulesPerBdu> inputs{};
  for (std::size_t k = 0; k < modules_.size(); ++k) {
    const ModuleEntry& entry = modules_[k];
    inputs[k].active = connected && entry.reporting;
    inputs[k].soc_permille = entry.soc_permille;
    inputs[k].capacity_mAh = entry.capacity_permille * (kModuleNominalCapacity_mAh / 1000);
    inputs[k].charge_limit_mA = entry.allowed_charge_mA();
    inputs[k].discharge_limit_mA = entry.allowed_discharge_mA();
  }
  // The BDU's output current is what the modules' converters deliver together (bus side).
  share_offset_mA_ =
      sharing_offsets_mA(inputs, measurements_.output_current_dA * 100, config_.module_sharing);
}

void BduController::poll_addresses(TimeMs now_ms) {
  // Enumeration: fast while starting up (the first request of a self test asks every module to
  // drop an old address), then a slow poll for the whole run, so that a module added later or
  // one that reset (and came back unaddressed) can claim again.
  const TimeMs period_ms =
      state_ == BduState::SelfTest ? link::kClaimWindow_ms : link::kExpansionPollPeriod_ms;
  if (last_address_request_ms_ != 0 && now_ms - last_address_request_ms_ < period_ms) return;
  if (awaiting_claim_) ++unanswered_requests_;
  link::AddressRequest request;
  request.next_address = next_address_ <= link::kMaxModules ? next_address_ : 0;
  request.restart = state_ == BduState::SelfTest && last_address_request_ms_ == 0;
  hal_.link_send(request.encode());
  awaiting_claim_ = true;
  last_address_request_ms_ = now_ms;
}

void BduController::send_module_commands(TimeMs now_ms) {
  if (state_ == BduState::Shutdown) return;
  link::BduCommand command;
  command.mode = requested_mode(state_);
  command.allow_balancing = state_ != BduState::Fault && state_ != BduState::Updating;
  // An empty battery does not spend its last charge on heating: once every module is at its
  // empty end the heater films (150 W each, fed by their own cells) run only while charge
  // current flows (D-EMPTY). Above it they do: warm cells are what lets it be charged (F2).
  command.allow_heater = !empty_guard_.empty() || direction_ == -1;
  command.fault_reset_request = reset_requested_;
  command.bus_voltage_reference_dV = bus_setpoint_dV_;
  command.counter = tx_counter_;
  hal_.link_send(command.encode());
  update_share_offsets();
  // Someone must raise and hold the bus (precharge, or an empty battery waiting to be charged):
  // while no module may discharge a keep-alive's worth, every module is allowed that much
  // (ModuleBms::update_limits). Only then: allowed always, a module at its empty end would keep
  // draining beside the others instead of staying at zero.
  const bool connected =
      state_ == BduState::Idle || state_ == BduState::Charge || state_ == BduState::Discharge;
  const bool bus_held = bus_held_by_a_module();
  const bool keep_alive = !connected || !bus_held;
  for (std::uint8_t k = 0; k < link::kMaxModules; ++k) {
    const ModuleEntry& entry = modules_[k];
    if (!entry.reporting) continue;
    link::BduShare share;
    share.module_address = static_cast<std::uint8_t>(k + 1);
    share.current_offset_mA = std::clamp(sag_offset_mA_ + share_offset_mA_[k], -10000, 10000);
    const std::int32_t discharge_mA = entry.allowed_discharge_window_mA();
    const bool parked = converter_parked(entry, bus_held);
    share.charge_limit_mA = parked ? 0 : std::clamp(entry.allowed_charge_window_mA(), 0, 10000);
    share.discharge_limit_mA =
        parked
            ? 0
            : std::clamp(keep_alive ? std::max(discharge_mA, link::kBusKeepAlive_mA) : discharge_mA,
                         0, 10000);
    share.counter = tx_counter_;
    hal_.link_send(share.encode());
  }
  ++tx_counter_;
  (void)now_ms;
}

bool BduController::bus_held_by_a_module() const {
  bool bus_held = false;
  for (const ModuleEntry& entry : modules_) {
    bus_held |= entry.reporting && entry.allowed_discharge_mA() >= link::kBusKeepAlive_mA;
  }
  return bus_held;
}

bool BduController::converter_parked(const ModuleEntry& entry, bool bus_held) const {
  // Only while discharging (the direction turns to charge through Idle or Charge, which open the
  // windows again), only a module stopped for discharging, and only while another module holds
  // the bus: the last one standing keeps its keep-alive window instead.
  return state_ == BduState::Discharge && entry.reporting && entry.discharge_blocked && bus_held;
}

bool BduController::receive_com(TimeMs now_ms) {
  CanFrame frame;
  bool took_frame = false;
  while (hal_.com_receive(frame)) {
    took_frame = true;
    update::Start request;
    if (update::decode_request(frame, own_network_address(), request)) {
      update_request_ = request;
      update_requested_ = true;  // acted on from Standby only (transition table)
      continue;
    }
    if (handle_inverter_frame(frame, now_ms)) continue;
    bdu_network::PeerStatus status;
    if (status.decode(frame) && status.source != own_network_address()) {
      last_peer_frame_ms_ = now_ms;
      peer_seen_ = true;
      continue;
    }
    bdu_network::PeerInfo info;
    if (info.decode(frame) && info.source != own_network_address()) {
      peer_version_ =
          FirmwareVersion{info.firmware_major, info.firmware_minor, info.firmware_patch};
      last_peer_frame_ms_ = now_ms;
      peer_seen_ = true;
    }
  }
  return took_frame;
}

std::uint8_t BduController::own_network_address() const {
  return config_.bdu_index == 0 ? bdu_network::kAddressBdu1 : bdu_network::kAddressBdu2;
}

void BduController::send_peer_status(TimeMs /*now_ms*/) {
  bdu_network::PeerStatus status;
  status.source = own_network_address();
  status.state = wire_state(state_);
  status.counter = tx_counter_;
  status.codes = codes();
  status.soc_permille = soc_permille_;
  hal_.com_send(status.encode());
  bdu_network::PeerInfo info;
  info.source = own_network_address();
  info.serial_number = config_.serial_number;
  info.firmware_major = config_.firmware_version.major;
  info.firmware_minor = config_.firmware_version.minor;
  info.firmware_patch = config_.firmware_version.patch;
  info.module_count = static_cast<std::uint8_t>(modules_reporting());
  hal_.com_send(info.encode());
}

}  // namespace bts::firmware
