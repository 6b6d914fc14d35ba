// The BDU controller's inverter port: Sofar "BMS extended" (cyclic frames every second, replies
// to the per-module inquiries) or Pylon HV (silent until polled; answers 0x4200, obeys sleep,
// relay and keep-relay commands). Which one is BduConfig::inverter_protocol. Frame layouts and
// supervision rules: docs/protocols/inverter.md.
#include <algorithm>

#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/bdu/module_serial_text.hpp"
#include "firmware/link/link_protocol.hpp"

namespace bts::firmware {

namespace {

constexpr std::uint8_t kSofarHardwareVersion = 1;
constexpr std::int32_t kModuleEnergy_Wh = 5120;      // REQ-RAT: 5.12 kWh per module
constexpr std::int32_t kReportedBusVoltage_V = 400;  // nominal BAT OUT voltage (D-BUS-VOLTAGE)

bool connected_state(BduState state) {
  return state == BduState::Idle || state == BduState::Charge || state == BduState::Discharge;
}

/// The highest and lowest of a set of per-module values with their 1-based numbers.
struct Extremes {
  std::int32_t max = 0, min = 0;
  std::uint16_t max_number = 0, min_number = 0;
  bool any = false;
  void add(std::int32_t value, std::uint16_t number) {
    if (!any || value > max) max = value, max_number = number;
    if (!any || value < min) min = value, min_number = number;
    any = true;
  }
};

}  // namespace

bool BduController::handle_inverter_frame(const CanFrame& frame, TimeMs now_ms) {
  return config_.inverter_protocol == InverterProtocol::PylonHv ? handle_pylon_frame(frame, now_ms)
                                                                : handle_sofar_frame(frame, now_ms);
}

void BduController::on_com_receive(TimeMs now_ms) {
  next_tick_ms_ = 0;  // the next tick sees what arrived
  if (state_ != BduState::Shutdown) receive_com(now_ms);
}

// ---------------------------------------------------------------------------------------------
// Pylon HV

bool BduController::handle_pylon_frame(const CanFrame& frame, TimeMs now_ms) {
  pylon_hv::InverterCommand command;
  if (!pylon_hv::decode_command(frame, command)) return false;
  const std::uint8_t address = pylon_hv::address_for(config_.pylon_dialect, config_.bdu_index);
  const bool for_this_battery =
      command.kind == pylon_hv::InverterCommand::Kind::Poll || command.address == address;
  if (!for_this_battery) return true;  // another battery's command
  last_inverter_frame_ms_ = now_ms;
  bool keep_relay_accepted = false;
  switch (command.kind) {
    case pylon_hv::InverterCommand::Kind::Sleep:
      if (command.sleep == pylon_hv::SleepCommand::Sleep) inverter_sleep_ = true;
      if (command.sleep == pylon_hv::SleepCommand::Wake) inverter_sleep_ = false;
      break;
    case pylon_hv::InverterCommand::Kind::Relay:
      // "Close the relay to charge / discharge": wakes a sleeping battery; the state machine
      // then connects as for any wanted connection (protections still decide).
      if (command.charge_command || command.discharge_command) inverter_sleep_ = false;
      if (command.charge_command) empty_guard_.inverter_wants_to_charge(now_ms);
      break;
    case pylon_hv::InverterCommand::Kind::KeepRelay:
      // Refused while a fault holds the relays open: the promise could not be kept.
      keep_relay_accepted = !diagnosis_.reaction().open_relays && !module_fault_opens_;
      if (keep_relay_accepted) keep_relay_until_ms_ = now_ms + pylon_hv::kKeepRelayHold_ms;
      break;
    case pylon_hv::InverterCommand::Kind::Poll:
      break;
  }
  std::array<CanFrame, pylon_hv::kMaxResponseFrames> answer;
  const std::size_t count = pylon_hv::encode_response(
      command, pylon_values(), address, config_.pylon_dialect, keep_relay_accepted, answer);
  for (std::size_t k = 0; k < count; ++k) hal_.com_send(answer[k]);
  return true;
}

pylon_hv::BatteryValues BduController::pylon_values() const {
  pylon_hv::BatteryValues values;
  const bool connected = connected_state(state_);
  // Pylon counts current positive when charging; the BDU measures > 0 towards the inverter.
  const std::int32_t charge_current_dA = -measurements_.output_current_dA;
  values.voltage_dV = measurements_.output_voltage_dV;
  values.current_dA = charge_current_dA;
  values.bms_temperature_ddegC = measurements_.bdu_temperature_ddegC;
  values.soc_permille = soc_permille_;
  values.soh_permille = inverter_.soh_permille;
  values.charge_voltage_limit_dV = inverter_.charge_voltage_limit_dV;
  values.discharge_voltage_limit_dV = inverter_.discharge_voltage_limit_dV;
  values.charge_current_limit_dA = inverter_.charge_current_limit_dA;
  values.discharge_current_limit_dA = inverter_.discharge_current_limit_dA;
  Extremes cells, cell_temperatures, module_voltages, module_temperatures;
  for (std::size_t k = 0; k < modules_.size(); ++k) {
    const ModuleEntry& entry = modules_[k];
    if (!entry.reporting) continue;
    const auto module_number = static_cast<std::uint16_t>(k + 1);
    for (std::size_t c = 0; c < entry.cell_mV.size(); ++c) {
      if (entry.cell_mV[c] == link::CellVoltages::kNotAvailable) continue;
      cells.add(entry.cell_mV[c], static_cast<std::uint16_t>(k * entry.cell_mV.size() + c + 1));
    }
    for (std::size_t t = 0; t < entry.cell_temperature_ddegC.size(); ++t) {
      const std::int16_t value = entry.cell_temperature_ddegC[t];
      if (value == link::CellTemperatures::kNotAvailable) continue;
      cell_temperatures.add(
          value, static_cast<std::uint16_t>(k * entry.cell_temperature_ddegC.size() + t + 1));
    }
    module_voltages.add(entry.stack_voltage_mV, module_number);
    module_temperatures.add(entry.max_temperature_ddegC, module_number);
  }
  values.max_cell_mV = cells.max, values.min_cell_mV = cells.min;
  values.max_cell_number = cells.max_number, values.min_cell_number = cells.min_number;
  values.max_cell_temperature_ddegC = static_cast<std::int16_t>(cell_temperatures.max);
  values.min_cell_temperature_ddegC = static_cast<std::int16_t>(cell_temperatures.min);
  values.max_cell_temperature_number = cell_temperatures.max_number;
  values.min_cell_temperature_number = cell_temperatures.min_number;
  values.max_module_mV = module_voltages.max, values.min_module_mV = module_voltages.min;
  values.max_module_number = module_voltages.max_number;
  values.min_module_number = module_voltages.min_number;
  values.max_module_temperature_ddegC = static_cast<std::int16_t>(module_temperatures.max);
  values.min_module_temperature_ddegC = static_cast<std::int16_t>(module_temperatures.min);
  values.max_module_temperature_number = module_temperatures.max_number;
  values.min_module_temperature_number = module_temperatures.min_number;
  values.status =
      pylon_hv::basic_status(connected, charge_current_dA, config_.direction_current_dA);
  values.codes = codes();
  // A calibration (full) charge is asked as a balance charge: "charge me to full".
  values.balance_charge_request = calibration_charge_requested_;
  // An empty battery asks to be charged whatever the inverter's own reserve says (D-EMPTY).
  values.forced_charge_request = empty_guard_.force_charge_requested();
  values.charge_forbidden = inverter_.charge_current_limit_dA == 0;
  values.discharge_forbidden = inverter_.discharge_current_limit_dA == 0;
  values.versions.hardware_type = 1;
  values.versions.software_major = config_.firmware_version.major;
  values.versions.software_minor = config_.firmware_version.minor;
  values.versions.software_dev_major = config_.firmware_version.patch;
  // The modules sit in parallel behind their converters; what the inverter sees is one HV
  // battery at the bus voltage whose capacity is the modules' energy at that voltage.
  const int modules = modules_reporting();
  values.topology.cells_in_series = static_cast<std::uint16_t>(link::kCellsPerModule * modules);
  values.topology.modules_in_series = static_cast<std::uint8_t>(modules);
  values.topology.cells_per_module = link::kCellsPerModule;
  values.topology.voltage_level_V = kReportedBusVoltage_V;
  values.topology.capacity_Ah =
      static_cast<std::uint16_t>(modules * kModuleEnergy_Wh / kReportedBusVoltage_V);
  return values;
}

// ---------------------------------------------------------------------------------------------
// Sofar "BMS extended"

bool BduController::handle_sofar_frame(const CanFrame& frame, TimeMs now_ms) {
  sofar::Inquiry inquiry;
  if (!sofar::decode_inquiry(frame, inquiry)) return false;
  // Any inquiry shows the inverter is on the bus; one for this battery is answered.
  last_inverter_frame_ms_ = now_ms;
  answer_sofar_inquiry(inquiry);
  return true;
}

void BduController::answer_sofar_inquiry(const sofar::Inquiry& inquiry) {
  std::array<sofar::ModuleData, kMaxModulesPerBdu> modules{};
  std::array<std::array<char, kModuleSerialTextLength>, kMaxModulesPerBdu> serials{};
  std::size_t count = 0;
  for (std::size_t k = 0; k < modules_.size() && modules_[k].assigned; ++k, ++count) {
    const ModuleEntry& entry = modules_[k];
    serials[k] = module_serial_text(entry.serial_number);
    sofar::ModuleData& data = modules[k];
    data.soc_permille = entry.soc_permille;
    data.stack_voltage_mV = entry.stack_voltage_mV;
    data.cell_mV = entry.cell_mV;
    data.temperature_ddegC = entry.cell_temperature_ddegC;
    data.serial = std::string_view(serials[k].data(), serials[k].size());
    data.firmware_major = entry.version.major;
    data.firmware_minor = entry.version.minor;
    data.firmware_patch = entry.version.patch;
    data.hardware_version = kSofarHardwareVersion;
  }
  std::array<CanFrame, sofar::kMaxReplyFrames> replies;
  const std::size_t frames = sofar::encode_inquiry_replies(
      config_.bdu_index, inquiry, std::span<const sofar::ModuleData>(modules.data(), count),
      replies);
  for (std::size_t k = 0; k < frames; ++k) hal_.com_send(replies[k]);
}

void BduController::send_limits_frame() {
  if (config_.inverter_protocol != InverterProtocol::SofarExtended) return;
  sofar::Limits limits;
  limits.charge_voltage_limit_dV = inverter_.charge_voltage_limit_dV;
  limits.discharge_voltage_limit_dV = inverter_.discharge_voltage_limit_dV;
  limits.charge_current_limit_dA = inverter_.charge_current_limit_dA;
  limits.discharge_current_limit_dA = inverter_.discharge_current_limit_dA;
  hal_.com_send(sofar::encode_limits(config_.bdu_index, limits));
  sent_charge_limit_dA_ = limits.charge_current_limit_dA;
  sent_discharge_limit_dA_ = limits.discharge_current_limit_dA;
}

void BduController::send_inverter_frames(TimeMs /*now_ms*/) {
  // Pylon HV batteries speak only when polled.
  if (config_.inverter_protocol != InverterProtocol::SofarExtended) return;
  const std::uint8_t id = config_.bdu_index;
  send_limits_frame();
  hal_.com_send(
      sofar::encode_soc_soh(id, {(inverter_.soc_permille + 5) / 10, inverter_.soh_permille / 10}));
  // Sofar counts current positive when charging.
  hal_.com_send(sofar::encode_measurements(
      id, {inverter_.voltage_dV, -inverter_.current_dA, inverter_.max_temperature_ddegC}));
  sofar::Configuration configuration;
  configuration.parallel_packs = static_cast<std::uint8_t>(modules_reporting());
  hal_.com_send(sofar::encode_configuration(id, configuration));
  hal_.com_send(sofar::encode_request_flags(
      id, {inverter_.charge_current_limit_dA > 0, inverter_.discharge_current_limit_dA > 0,
           empty_guard_.force_charge_requested(), calibration_charge_requested_}));
  hal_.com_send(sofar::encode_manufacturer(id, "BTS5K"));
  hal_.com_send(sofar::encode_identity(
      id, {config_.firmware_version.major, config_.firmware_version.minor,
           config_.firmware_version.patch,
           static_cast<std::uint16_t>(100 * std::max(1, modules_reporting()))}));
  const std::uint32_t bits = inverter_.codes.bits();
  if (bits != last_alarm_bits_) {
    hal_.com_send(sofar::encode_alarms(id, bits));
    last_alarm_bits_ = bits;
  }
}

}  // namespace bts::firmware
