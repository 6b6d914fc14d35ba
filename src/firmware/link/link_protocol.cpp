#include "firmware/link/link_protocol.hpp"

#include <array>

namespace bts::firmware::link {

namespace {

constexpr std::string_view kBdu = "BDU";
constexpr std::string_view kModule = "MODULE";

constexpr std::array<MessageSpec, 18> kMessages{{
    {"BDU_COMMAND", MessageType::BduCommand, BduCommand::kDlc, kFastPeriod_ms, kBdu, kAddressBdu,
     kAddressBroadcast, BduCommand::kSignals},
    {"BDU_SHARE", MessageType::BduShare, BduShare::kDlc, kFastPeriod_ms, kBdu, kAddressBdu,
     kAddressFirstModule, BduShare::kSignals},
    {"INFO_REQUEST", MessageType::InfoRequest, InfoRequest::kDlc, 0, kBdu, kAddressBdu,
     kAddressBroadcast, InfoRequest::kSignals},
    {"ADDRESS_REQUEST", MessageType::AddressRequest, AddressRequest::kDlc, 0, kBdu, kAddressBdu,
     kAddressBroadcast, AddressRequest::kSignals},
    {"ADDRESS_CLAIM", MessageType::AddressClaim, AddressClaim::kDlc, 0, kModule, kAddressUnassigned,
     kAddressBdu, AddressClaim::kSignals},
    {"ADDRESS_ASSIGN", MessageType::AddressAssign, AddressAssign::kDlc, 0, kBdu, kAddressBdu,
     kAddressUnassigned, AddressAssign::kSignals},
    {"MODULE_STATUS", MessageType::ModuleStatus, ModuleStatus::kDlc, kFastPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, ModuleStatus::kSignals},
    {"MODULE_MEASUREMENTS", MessageType::ModuleMeasurements, ModuleMeasurements::kDlc,
     kFastPeriod_ms, kModule, kAddressFirstModule, kAddressBdu, ModuleMeasurements::kSignals},
    {"MODULE_EXTREMES", MessageType::ModuleExtremes, ModuleExtremes::kDlc, kFastPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, ModuleExtremes::kSignals},
    {"CELL_VOLTAGES_0", MessageType::CellVoltages0, CellVoltages::kDlc, kSlowPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, CellVoltages::kSignals[0]},
    {"CELL_VOLTAGES_1", MessageType::CellVoltages1, CellVoltages::kDlc, kSlowPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, CellVoltages::kSignals[1]},
    {"CELL_VOLTAGES_2", MessageType::CellVoltages2, CellVoltages::kDlc, kSlowPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, CellVoltages::kSignals[2]},
    {"CELL_VOLTAGES_3", MessageType::CellVoltages3, CellVoltages::kDlc, kSlowPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, CellVoltages::kSignals[3]},
    {"CELL_TEMPERATURES_0", MessageType::CellTemperatures0, CellTemperatures::kDlc, kSlowPeriod_ms,
     kModule, kAddressFirstModule, kAddressBdu, CellTemperatures::kSignals[0]},
    {"CELL_TEMPERATURES_1", MessageType::CellTemperatures1, CellTemperatures::kDlc, kSlowPeriod_ms,
     kModule, kAddressFirstModule, kAddressBdu, CellTemperatures::kSignals[1]},
    {"MODULE_TEMPERATURES", MessageType::ModuleTemperatures, ModuleTemperatures::kDlc,
     kSlowPeriod_ms, kModule, kAddressFirstModule, kAddressBdu, ModuleTemperatures::kSignals},
    {"MODULE_ESTIMATES", MessageType::ModuleEstimates, ModuleEstimates::kDlc, kSlowPeriod_ms,
     kModule, kAddressFirstModule, kAddressBdu, ModuleEstimates::kSignals},
    {"MODULE_INFO", MessageType::ModuleInfo, ModuleInfo::kDlc, kSlowPeriod_ms, kModule,
     kAddressFirstModule, kAddressBdu, ModuleInfo::kSignals},
}};

}  // namespace

std::span<const MessageSpec> link_messages() { return kMessages; }

const MessageSpec* find_message(MessageType type) {
  for (const MessageSpec& spec : kMessages) {
    if (spec.type == type) return &spec;
  }
  return nullptr;
}

std::string_view message_name(MessageType type) {
  const MessageSpec* spec = find_message(type);
  return spec != nullptr ? spec->name : std::string_view{"UNKNOWN"};
}

}  // namespace bts::firmware::link
