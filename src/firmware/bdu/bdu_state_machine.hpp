#pragma once
// The BDU's system state machine as an explicit transition table (docs/firmware.md draws it).
// Table 2-1's states (Shutdown, Standby, Charge, Discharge, Updating) plus the ones a real BDU
// needs (SelfTest, Precharge, Idle = connected without current, Opening, Fault). Rows are tried
// in order; the first whose source state matches and whose guard holds fires.
#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "firmware/lights/indicator_lights.hpp"

namespace bts::firmware {

enum class BduState : std::uint8_t {
  Shutdown,   // everything off, modules asleep; lights off
  SelfTest,   // woken: modules addressed, versions and sensors checked
  Standby,    // ready, relays open, converters in energy saving
  Precharge,  // converters raise the bus, precharge relay charges the DC link
  Idle,       // relays closed, no significant current
  Charge,     // relays closed, charging
  Discharge,  // relays closed, discharging
  Opening,    // limits at zero, waiting for the current to fall below the relays' break current
  Fault,      // relays open, a fault is active (or latched)
  Updating,   // firmware update in progress, relays open
};
inline constexpr int kBduStateCount = 10;
const char* bdu_state_name(BduState state);
DisplayState display_state_of(BduState state);

/// The conditions the table's guards read, computed by the controller each 10 ms tick.
struct BduConditions {
  bool activate_pressed = false;  // black start held >= 1 s while shut down
  bool shutdown_pressed = false;  // black start held >= 5 s while on
  bool self_test_passed = false;
  bool self_test_failed = false;  // no module answered, or a check failed
  bool fault_active = false;      // a fault whose reaction opens the relays
  bool connect_wanted = false;  // DC switch closed and the inverter present (or black start window)
  bool disconnect_wanted = false;  // inverter gone after the window, DC switch opened, sleep asked
  bool bus_ready = false;          // BAT IN up near its set point
  bool precharge_done = false;     // DC link within a few volts of BAT IN
  bool precharge_timed_out = false;
  bool precharge_attempts_left = false;
  bool charging = false;  // debounced current direction
  bool discharging = false;
  bool idle_current = false;
  bool below_break_current = false;
  bool opening_timed_out = false;
  bool update_requested = false;
  bool update_finished = false;
  bool fault_hold_elapsed = false;  // faults gone and the recovery hold time passed
  bool deep_discharge = false;      // empty, in Standby, a cell at its deep limit (D-EMPTY)
  bool operator==(const BduConditions&) const = default;
};

enum class Guard : std::uint8_t {
  ShutdownPressed,
  ActivatePressed,
  SelfTestFailed,
  SelfTestPassed,
  FaultActive,
  UpdateRequested,
  ConnectWanted,
  PrechargeDone,
  PrechargeRetry,
  PrechargeGaveUp,
  DisconnectWanted,
  StartsDischarging,
  StartsCharging,
  BecomesIdle,
  OpeningDoneToFault,
  OpeningDoneToStandby,
  OpeningDoneToShutdown,
  FaultsCleared,
  UpdateFinished,
  DeepDischarge,
};

struct Transition {
  BduState from;
  Guard guard;
  BduState to;
  const char* reason;
};

/// What the Opening state leads to once the relays are open.
enum class AfterOpening : std::uint8_t { Standby, Fault, Shutdown };

bool guard_holds(Guard guard, const BduConditions& conditions, AfterOpening after_opening);

/// The table itself; exposed so tests and docs can walk every row.
const std::array<Transition, 37>& bdu_transition_table();

/// Finds the transition that fires from `state` now, if any.
std::optional<Transition> next_transition(BduState state, const BduConditions& conditions,
                                          AfterOpening after_opening);

/// next_transition for a controller that asks every 10 ms: most ticks change no condition, and the
/// table's answer is a function of (state, conditions, after_opening) alone, so the last inputs
/// for which no row fired are kept and the same inputs get "none" without walking the rows.
class TransitionMemo {
 public:
  std::optional<Transition> next(BduState state, const BduConditions& conditions,
                                 AfterOpening after_opening) {
    // Field by field, not memcmp: the conditions were just written one flag at a time, and a
    // wide load across those stores waits for them to reach the cache.
    if (quiet_known_ && state == quiet_state_ && after_opening == quiet_after_ &&
        conditions == quiet_conditions_) {
      return std::nullopt;
    }
    const std::optional<Transition> found = next_transition(state, conditions, after_opening);
    quiet_known_ = !found.has_value();
    if (quiet_known_) {
      quiet_state_ = state;
      quiet_after_ = after_opening;
      quiet_conditions_ = conditions;
    }
    return found;
  }

 private:
  // Compared byte by byte: only bools, so no padding can differ between equal conditions.
  static_assert(std::is_trivially_copyable_v<BduConditions> &&
                sizeof(BduConditions) == 20 * sizeof(bool));
  bool quiet_known_ = false;
  BduState quiet_state_ = BduState::Shutdown;
  AfterOpening quiet_after_ = AfterOpening::Standby;
  BduConditions quiet_conditions_{};
};

}  // namespace bts::firmware
