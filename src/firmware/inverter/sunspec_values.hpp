#pragma once
// What the SunSpec map (sunspec_map.hpp) shows: per BDU what the BDU controller knows (its own
// measurements, state, limits and codes, and what each module's Link frames said), the control
// points a controller last wrote, and the requests an accepted write makes. Point by point:
// docs/protocols/sunspec.md.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "firmware/bdu/bdu_state_machine.hpp"
#include "firmware/common/codes.hpp"
#include "firmware/hal/bdu_hal.hpp"
#include "firmware/version.hpp"

namespace bts::firmware::sunspec {

inline constexpr int kMaxBdus = 2;
inline constexpr std::uint8_t kUnknownIndex = 0xFF;

// 802 SetOp and SetInvState values.
inline constexpr std::uint16_t kSetOpConnect = 1;
inline constexpr std::uint16_t kSetOpDisconnect = 2;
inline constexpr std::uint16_t kInverterStopped = 1;
inline constexpr std::uint16_t kInverterStarted = 3;
inline constexpr std::uint16_t kNotToldYet = 0xFFFF;  // enum16 "not implemented"

/// One module as its BDU knows it from the Link bus.
struct ModuleValues {
  bool reporting = false;           // its frames arrive: the measurements below are current
  std::uint32_t serial_number = 0;  // 0: not known (the module never claimed an address)
  std::int32_t soc_permille = 0;
  std::int32_t stack_voltage_mV = 0;
  std::int32_t min_cell_mV = 0;
  std::int32_t max_cell_mV = 0;
  std::uint8_t min_cell_index = kUnknownIndex;  // 0-based cell position, kUnknownIndex if unknown
  std::uint8_t max_cell_index = kUnknownIndex;
  std::int16_t min_temperature_ddegC = 0;  // over the module's cell temperature sensors
  std::int16_t max_temperature_ddegC = 0;
};

/// The writable points as a controller last wrote them; the map reads them back.
struct ControlPoints {
  std::uint16_t controller_heartbeat = 0;
  std::uint16_t set_operation = kSetOpConnect;
  std::uint16_t set_inverter_state = kNotToldYet;
};

/// One BDU: one battery (802), one bank (803) of one string (804), one 805 per module.
struct BduValues {
  std::uint32_t serial_number = 0;
  FirmwareVersion firmware_version{0, 0, 0};
  BduState state = BduState::Shutdown;
  CodeSet codes;      // the BDU's own and every module's
  CodeSet own_codes;  // the BDU's own only
  std::int32_t charge_voltage_limit_dV = 0;
  std::int32_t discharge_voltage_limit_dV = 0;
  std::int32_t charge_current_limit_dA = 0;
  std::int32_t discharge_current_limit_dA = 0;
  std::int32_t output_voltage_dV = 0;  // BAT OUT
  std::int32_t bus_voltage_dV = 0;     // BAT IN, where the modules' converters meet
  std::int32_t output_current_dA = 0;  // > 0 discharging
  std::int32_t soc_permille = 0;
  std::int32_t soh_permille = 1000;
  std::array<bool, 3>
      relay_closed{};  // auxiliary contacts: positive main, negative main, precharge
  bool precharge_given_up = false;
  bool force_charge_requested = false;  // empty: asks to be charged (D-EMPTY), 802 ReqInvState
  std::uint16_t heartbeat_s = 0;        // seconds since start, wrapping at 65536
  int module_count = 1;                 // installed modules, 1..4: the map's layout follows it
  std::array<ModuleValues, kMaxModulesPerBdu> modules{};
  ControlPoints controls;
};

struct SunSpecValues {
  int bdu_count = 1;  // 1..2
  std::uint8_t unit_id = 1;
  bool writes_enabled = false;  // 802 LocRemCtl shows REMOTE when true
  std::array<BduValues, kMaxBdus> bdus{};
};

/// The counts the layout follows, clamped to what the product allows.
constexpr int installed_bdus(const SunSpecValues& values) {
  return std::clamp(values.bdu_count, 1, kMaxBdus);
}
constexpr int installed_modules(const BduValues& bdu) {
  return std::clamp(bdu.module_count, 1, kMaxModulesPerBdu);
}

/// What an accepted write asks of the BDU; the caller applies it.
enum class ControlKind : std::uint8_t {
  AlarmReset,           // 802 AlmRst = 1: reset latched alarms (as a short black start press)
  ControllerHeartbeat,  // 802 CtrlHb: the controller is alive, value = its counter
  SetOperation,         // 802 SetOp: value kSetOpConnect or kSetOpDisconnect
  SetInverterState,     // 802 SetInvState: value 1 stopped, 2 standby, 3 started
};
const char* control_kind_name(ControlKind kind);

struct ControlRequest {
  ControlKind kind = ControlKind::AlarmReset;
  std::uint8_t bdu_index = 0;  // 0-based
  std::uint16_t value = 0;
  constexpr bool operator==(const ControlRequest&) const = default;
};

/// The requests of one write (one Modbus request covers at most two control points of one BDU).
struct ControlRequests {
  static constexpr std::size_t kCapacity = 4;
  std::array<ControlRequest, kCapacity> items{};
  std::size_t count = 0;

  constexpr bool push(const ControlRequest& request) {
    if (count == kCapacity) return false;
    items[count++] = request;
    return true;
  }
  constexpr const ControlRequest* begin() const { return items.data(); }
  constexpr const ControlRequest* end() const { return items.data() + count; }
  constexpr bool empty() const { return count == 0; }
};

/// Stores what an accepted request wrote into the control points it reads back from.
void apply_control(const ControlRequest& request, SunSpecValues& values);

}  // namespace bts::firmware::sunspec
