#include "firmware/bdu/bdu_state_machine.hpp"

namespace bts::firmware {

const char* bdu_state_name(BduState state) {
  switch (state) {
    case BduState::Shutdown:
      return "Shutdown";
    case BduState::SelfTest:
      return "SelfTest";
    case BduState::Standby:
      return "Standby";
    case BduState::Precharge:
      return "Precharge";
    case BduState::Idle:
      return "Idle";
    case BduState::Charge:
      return "Charge";
    case BduState::Discharge:
      return "Discharge";
    case BduState::Opening:
      return "Opening";
    case BduState::Fault:
      return "Fault";
    case BduState::Updating:
      return "Updating";
  }
  return "?";
}

DisplayState display_state_of(BduState state) {
  switch (state) {
    case BduState::Shutdown:
      return DisplayState::Shutdown;
    case BduState::Charge:
      return DisplayState::Charge;
    case BduState::Discharge:
      return DisplayState::Discharge;
    case BduState::Updating:
      return DisplayState::Updating;
    default:
      return DisplayState::Standby;  // decision D-IDLE: connected without current shows Standby
  }
}

namespace {

using S = BduState;
using G = Guard;

// Order matters: a shutdown request beats everything, faults beat connecting, and so on.
const std::array<Transition, 37> kTable{{
    {S::SelfTest, G::ShutdownPressed, S::Shutdown, "black start held 5 s"},
    {S::Standby, G::ShutdownPressed, S::Shutdown, "black start held 5 s"},
    {S::Fault, G::ShutdownPressed, S::Shutdown, "black start held 5 s"},
    {S::Updating, G::ShutdownPressed, S::Shutdown, "black start held 5 s"},
    {S::Precharge, G::ShutdownPressed, S::Opening, "black start held 5 s: open first"},
    {S::Idle, G::ShutdownPressed, S::Opening, "black start held 5 s: open first"},
    {S::Charge, G::ShutdownPressed, S::Opening, "black start held 5 s: open first"},
    {S::Discharge, G::ShutdownPressed, S::Opening, "black start held 5 s: open first"},
    {S::Standby, G::DeepDischarge, S::Shutdown, "empty: a cell at its deep limit, shut down"},
    {S::Shutdown, G::ActivatePressed, S::SelfTest, "black start held 1 s: wake up"},
    {S::SelfTest, G::SelfTestFailed, S::Fault, "self test failed"},
    {S::SelfTest, G::SelfTestPassed, S::Standby, "self test passed"},
    {S::Standby, G::FaultActive, S::Fault, "fault"},
    {S::Standby, G::UpdateRequested, S::Updating, "firmware update requested"},
    {S::Standby, G::ConnectWanted, S::Precharge,
     "inverter present (or black start window): connect"},
    {S::Precharge, G::FaultActive, S::Opening, "fault during precharge"},
    {S::Precharge, G::DisconnectWanted, S::Opening, "connection no longer wanted"},
    {S::Precharge, G::PrechargeDone, S::Idle, "DC link charged: main relay closed"},
    {S::Precharge, G::PrechargeRetry, S::Precharge, "precharge timed out: retry"},
    {S::Precharge, G::PrechargeGaveUp, S::Opening, "precharge failed three times"},
    {S::Idle, G::FaultActive, S::Opening, "fault"},
    {S::Charge, G::FaultActive, S::Opening, "fault"},
    {S::Discharge, G::FaultActive, S::Opening, "fault"},
    {S::Idle, G::DisconnectWanted, S::Opening, "disconnect"},
    {S::Charge, G::DisconnectWanted, S::Opening, "disconnect"},
    {S::Discharge, G::DisconnectWanted, S::Opening, "disconnect"},
    {S::Idle, G::StartsDischarging, S::Discharge, "current out"},
    {S::Idle, G::StartsCharging, S::Charge, "current in"},
    {S::Charge, G::StartsDischarging, S::Discharge, "current reversed: out"},
    {S::Discharge, G::StartsCharging, S::Charge, "current reversed: in"},
    {S::Charge, G::BecomesIdle, S::Idle, "no current"},
    {S::Discharge, G::BecomesIdle, S::Idle, "no current"},
    {S::Opening, G::OpeningDoneToFault, S::Fault, "relays open"},
    {S::Opening, G::OpeningDoneToShutdown, S::Shutdown, "relays open"},
    {S::Opening, G::OpeningDoneToStandby, S::Standby, "relays open"},
    {S::Fault, G::FaultsCleared, S::Standby, "faults cleared"},
    {S::Updating, G::UpdateFinished, S::SelfTest, "update finished: restart"},
}};

}  // namespace

const std::array<Transition, 37>& bdu_transition_table() { return kTable; }

namespace {

// The relays have opened: asked only by the Opening rows, so not on the other rows' path.
[[gnu::always_inline]] inline bool opened(const BduConditions& c) {
  return c.below_break_current || c.opening_timed_out;
}

// The guards, inlined into next_transition (its rows are tried every 10 ms).
[[gnu::always_inline]] inline bool holds(Guard guard, const BduConditions& c, AfterOpening after) {
  switch (guard) {
    case G::ShutdownPressed:
      return c.shutdown_pressed;
    case G::ActivatePressed:
      return c.activate_pressed;
    case G::SelfTestFailed:
      return c.self_test_failed;
    case G::SelfTestPassed:
      return c.self_test_passed && !c.self_test_failed;
    case G::FaultActive:
      return c.fault_active;
    case G::UpdateRequested:
      return c.update_requested;
    case G::ConnectWanted:
      return c.connect_wanted && !c.fault_active;
    case G::PrechargeDone:
      return c.precharge_done;
    case G::PrechargeRetry:
      return c.precharge_timed_out && c.precharge_attempts_left;
    case G::PrechargeGaveUp:
      return c.precharge_timed_out && !c.precharge_attempts_left;
    case G::DisconnectWanted:
      return c.disconnect_wanted;
    case G::StartsDischarging:
      return c.discharging;
    case G::StartsCharging:
      return c.charging;
    case G::BecomesIdle:
      return c.idle_current;
    case G::OpeningDoneToFault:
      return opened(c) && after == AfterOpening::Fault;
    case G::OpeningDoneToStandby:
      return opened(c) && after == AfterOpening::Standby;
    case G::OpeningDoneToShutdown:
      return opened(c) && after == AfterOpening::Shutdown;
    case G::FaultsCleared:
      return !c.fault_active && c.fault_hold_elapsed;
    case G::UpdateFinished:
      return c.update_finished;
    case G::DeepDischarge:
      return c.deep_discharge;
  }
  return false;
}

}  // namespace

bool guard_holds(Guard guard, const BduConditions& c, AfterOpening after) {
  return holds(guard, c, after);
}

std::optional<Transition> next_transition(BduState state, const BduConditions& conditions,
                                          AfterOpening after) {
  // The rows of each source state, in table order, found once (the table is fixed); each keeps
  // its guard beside its index, so trying a row reads one entry.
  struct StateRow {
    Guard guard;
    std::uint8_t index;
  };
  static const auto rows_by_state = [] {
    std::array<std::array<StateRow, kTable.size()>, kBduStateCount> rows{};
    std::array<std::uint8_t, kBduStateCount> counts{};
    for (std::size_t index = 0; index < kTable.size(); ++index) {
      const auto from = static_cast<std::size_t>(kTable[index].from);
      rows[from][counts[from]++] = {kTable[index].guard, static_cast<std::uint8_t>(index)};
    }
    return std::pair{rows, counts};
  }();
  const auto from = static_cast<std::size_t>(state);
  for (std::uint8_t k = 0; k < rows_by_state.second[from]; ++k) {
    const StateRow& row = rows_by_state.first[from][k];
    if (holds(row.guard, conditions, after)) return kTable[row.index];
  }
  return std::nullopt;
}

}  // namespace bts::firmware
