// The BDU's system state machine (src/firmware/bdu/bdu_state_machine.*, docs/firmware.md "BDU
// state machine"): one scenario test per row of bdu_transition_table(), driving the real
// BduController through a fake HAL with modules and an inverter played on its buses, plus the
// transitions the BDU must refuse and the table's own well-formedness.
//
// Each Transition_<From>_<Guard>_to_<To> test
//   1. checks the table row on its own: the guard's conditions alone make that row fire;
//   2. brings the controller into <From> through its real inputs, makes the guard true the way
//      the world would (a button held, a frame on the Link bus, a current, a switch) and checks
//      the new state, its entry action (relays commanded, Link enable line, limits to the
//      inverter, module mode in BDU_COMMAND), its name and its lights (table 2-1, D-IDLE).
//
// Tests whose failure messages say "FIRMWARE BUG" were written against bugs of the first
// firmware (they failed until it was fixed) and now guard against their return. The Updating rows
// run their scenario part too: the rig plays the firmware transfer on the Link bus.
#include "firmware/bdu/bdu_state_machine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fake_bdu_hal.hpp"
#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/estimation/current_limits.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"
#include "firmware/lights/indicator_lights.hpp"
#include "firmware/link/link_protocol.hpp"
#include "firmware/update/update_protocol.hpp"

namespace bts::firmware {

// gtest prints states by name (found by argument-dependent lookup, so not in the unnamed
// namespace).
static void PrintTo(BduState state, std::ostream* out) { *out << bdu_state_name(state); }

namespace {

using fake::FakeBduHal;
using fake::FakeInverter;
using fake::FakeLinkModules;
using fake::RelayEvent;
using S = BduState;
using G = Guard;

constexpr TimeMs kTick_ms = 10;
constexpr std::array<bool, 3> kAllOpen{false, false, false};
constexpr std::array<bool, 3> kMainsClosed{true, true, false};  // positive, negative, precharge

// Press times of the black start button used by the tests (the button is sampled every 100 ms
// outside Precharge/Opening, so the presses carry a margin over 1 s and 5 s).
constexpr TimeMs kActivatePress_ms = 1500;
constexpr TimeMs kShortPress_ms = 2500;
constexpr TimeMs kShutdownPress_ms = 5500;

// ---------------------------------------------------------------------------------------------
// Table-level helpers

/// The conditions under which `guard` alone holds (and the Opening outcome its row needs).
std::pair<BduConditions, AfterOpening> conditions_for(Guard guard) {
  BduConditions c;
  AfterOpening after = AfterOpening::Standby;
  switch (guard) {
    case G::ShutdownPressed:
      c.shutdown_pressed = true;
      break;
    case G::ActivatePressed:
      c.activate_pressed = true;
      break;
    case G::SelfTestFailed:
      c.self_test_failed = true;
      break;
    case G::SelfTestPassed:
      c.self_test_passed = true;
      break;
    case G::FaultActive:
      c.fault_active = true;
      break;
    case G::UpdateRequested:
      c.update_requested = true;
      break;
    case G::ConnectWanted:
      c.connect_wanted = true;
      break;
    case G::PrechargeDone:
      c.precharge_done = true;
      break;
    case G::PrechargeRetry:
      c.precharge_timed_out = true;
      c.precharge_attempts_left = true;
      break;
    case G::PrechargeGaveUp:
      c.precharge_timed_out = true;
      c.precharge_attempts_left = false;
      break;
    case G::DisconnectWanted:
      c.disconnect_wanted = true;
      break;
    case G::StartsDischarging:
      c.discharging = true;
      break;
    case G::StartsCharging:
      c.charging = true;
      break;
    case G::BecomesIdle:
      c.idle_current = true;
      break;
    case G::OpeningDoneToFault:
      c.below_break_current = true;
      after = AfterOpening::Fault;
      break;
    case G::OpeningDoneToStandby:
      c.below_break_current = true;
      after = AfterOpening::Standby;
      break;
    case G::OpeningDoneToShutdown:
      c.below_break_current = true;
      after = AfterOpening::Shutdown;
      break;
    case G::FaultsCleared:
      c.fault_hold_elapsed = true;
      break;
    case G::UpdateFinished:
      c.update_finished = true;
      break;
    case G::DeepDischarge:
      c.deep_discharge = true;
      break;
  }
  return {c, after};
}

/// The row (from, guard) of the table, if there is one.
std::optional<Transition> find_row(BduState from, Guard guard) {
  for (const Transition& row : bdu_transition_table()) {
    if (row.from == from && row.guard == guard) return row;
  }
  return std::nullopt;
}

/// The row exists, leads to `to`, and fires on its guard's conditions alone.
void expect_row(BduState from, Guard guard, BduState to) {
  const std::optional<Transition> row = find_row(from, guard);
  ASSERT_TRUE(row.has_value()) << "no row " << bdu_state_name(from) << " --(guard "
                               << static_cast<int>(guard) << ")--> " << bdu_state_name(to)
                               << " in bdu_transition_table()";
  EXPECT_EQ(row->to, to) << row->reason;
  EXPECT_NE(row->reason, nullptr);
  const auto [conditions, after] = conditions_for(guard);
  EXPECT_TRUE(guard_holds(guard, conditions, after));
  const std::optional<Transition> fired = next_transition(from, conditions, after);
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->guard, guard);
  EXPECT_EQ(fired->to, to);
}

/// Table 2-1 and decision D-IDLE, written out: only Shutdown, Charge, Discharge and Updating
/// have their own lights; every other BDU state shows Standby.
DisplayState expected_display(BduState state) {
  switch (state) {
    case S::Shutdown:
      return DisplayState::Shutdown;
    case S::Charge:
      return DisplayState::Charge;
    case S::Discharge:
      return DisplayState::Discharge;
    case S::Updating:
      return DisplayState::Updating;
    default:
      return DisplayState::Standby;
  }
}

// ---------------------------------------------------------------------------------------------
// The rig: a BDU controller on a fake HAL, its modules and an inverter, ticked every 10 ms.

struct StateChange {
  TimeMs time_ms = 0;
  BduState from = S::Shutdown;
  BduState to = S::Shutdown;
  std::array<bool, 3> coils{};  // commanded at the end of the tick of the change
};

BduConfig test_config() {
  BduConfig config;
  config.serial_number = 0xB0010001u;
  return config;
}

class Rig {
  BduConfig config_;  // first: the members below are built from it

 public:
  explicit Rig(int module_count = 2, const BduConfig& config = test_config())
      : config_(config),
        modules(hal, module_count, config.firmware_version),
        inverter(hal, config.bdu_index),
        bdu(hal, config) {}

  FakeBduHal hal;
  FakeLinkModules modules;
  FakeInverter inverter;
  BduController bdu;
  std::vector<StateChange> changes;
  bool when_due_only = false;  // skip the ticks before bdu.next_tick_ms() with no frame waiting
  std::uint64_t ticks_run = 0;

  const BduConfig& config() const { return config_; }
  /// Time of the last tick.
  TimeMs now() const { return last_ms_; }

  void tick() {
    hal.step(next_ms_);
    modules.step(next_ms_);
    inverter.step(next_ms_);
    const BduState before = bdu.state();
    // As the simulator runs it: the 10 ms task only when due or a frame waits (when_due_only).
    if (!when_due_only || hal.bdu_task_due(next_ms_, bdu.next_tick_ms())) {
      bdu.tick(next_ms_);
      ++ticks_run;
    }
    if (bdu.state() != before) changes.push_back({next_ms_, before, bdu.state(), hal.coils()});
    last_ms_ = next_ms_;
    next_ms_ += kTick_ms;
  }

  void advance(TimeMs duration_ms) {
    const TimeMs end_ms = next_ms_ + duration_ms;
    while (next_ms_ < end_ms) tick();
  }

  bool run_until(const std::function<bool()>& done, TimeMs max_ms) {
    const TimeMs end_ms = next_ms_ + max_ms;
    while (!done() && next_ms_ < end_ms) tick();
    return done();
  }
  bool run_until_state(BduState state, TimeMs max_ms) {
    return run_until([&] { return bdu.state() == state; }, max_ms);
  }

  /// Holds the black start button for hold_ms, releases it and lets the release be sampled.
  void press(TimeMs hold_ms) {
    hal.black_start_pressed = true;
    advance(hold_ms);
    hal.black_start_pressed = false;
    advance(200);
  }

  // Bring-up through the real inputs. Each returns whether the state was reached.
  bool to_standby() {
    hal.dc_switch_closed = false;
    advance(500);
    press(kActivatePress_ms);
    return run_until_state(S::Standby, 15000);
  }
  bool to_precharge() {
    if (!to_standby()) return false;
    hal.dc_switch_closed = true;
    return run_until_state(S::Precharge, 500);
  }
  bool to_idle() {
    hal.dc_switch_closed = true;
    advance(500);
    press(kActivatePress_ms);
    if (!run_until_state(S::Idle, 20000)) return false;
    advance(300);  // the precharge relay drops once the positive main reports closed
    return bdu.state() == S::Idle;
  }
  bool to_charge() {
    if (!to_idle()) return false;
    hal.load_current_dA = -100;  // 10 A into the battery
    return run_until_state(S::Charge, 5000);
  }
  bool to_discharge() {
    if (!to_idle()) return false;
    hal.load_current_dA = 100;  // 10 A to the inverter
    return run_until_state(S::Discharge, 5000);
  }

  /// Time the last change into `state` happened (0 if never).
  TimeMs entered_at(BduState state) const {
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      if (it->to == state) return it->time_ms;
    }
    return 0;
  }
  bool visited_since(BduState state, TimeMs since_ms) const {
    return std::any_of(changes.begin(), changes.end(), [&](const StateChange& change) {
      return change.time_ms >= since_ms && change.to == state;
    });
  }
  /// The states entered after `since_ms` (strictly), in order.
  std::vector<BduState> path_since(TimeMs since_ms) const {
    std::vector<BduState> path;
    for (const StateChange& change : changes) {
      if (change.time_ms > since_ms) path.push_back(change.to);
    }
    return path;
  }
  std::string history() const {
    std::ostringstream text;
    text << "state changes:";
    for (const StateChange& change : changes) {
      text << "\n  " << change.time_ms << " ms " << bdu_state_name(change.from) << " -> "
           << bdu_state_name(change.to);
    }
    text << "\ncodes 0x" << std::hex << bdu.codes().bits();
    return text.str();
  }

  std::vector<RelayEvent> relay_events_since(TimeMs since_ms) const {
    std::vector<RelayEvent> events;
    for (const RelayEvent& event : hal.relay_events) {
      if (event.time_ms >= since_ms) events.push_back(event);
    }
    return events;
  }
  bool energised_since(TimeMs since_ms) const {
    for (const RelayEvent& event : relay_events_since(since_ms)) {
      if (event.energised) return true;
    }
    return false;
  }
  /// The first time `relay` was energised (true) or released (false) at or after since_ms.
  std::optional<TimeMs> relay_change_at(BduRelay relay, bool energised, TimeMs since_ms) const {
    for (const RelayEvent& event : relay_events_since(since_ms)) {
      if (event.relay == relay && event.energised == energised) return event.time_ms;
    }
    return std::nullopt;
  }

  std::vector<link::BduCommand> commands_since(TimeMs since_ms) const {
    std::vector<link::BduCommand> commands;
    for (const fake::SentFrame& sent : hal.link_sent) {
      link::BduCommand command;
      if (sent.time_ms >= since_ms && command.decode(sent.frame)) commands.push_back(command);
    }
    return commands;
  }
  std::optional<link::BduCommand> last_command_since(TimeMs since_ms) const {
    const std::vector<link::BduCommand> commands = commands_since(since_ms);
    if (commands.empty()) return std::nullopt;
    return commands.back();
  }
  std::optional<sofar::Limits> last_limits_frame() const {
    const std::uint32_t id = sofar::id_for(sofar::kLimits, config_.bdu_index);
    for (auto it = hal.com_sent.rbegin(); it != hal.com_sent.rend(); ++it) {
      sofar::Limits limits;
      if (it->frame.id == id && sofar::decode_limits(it->frame, limits)) return limits;
    }
    return std::nullopt;
  }
  std::size_t link_frames_since(TimeMs since_ms) const {
    return count_since(hal.link_sent, since_ms);
  }
  std::size_t com_frames_since(TimeMs since_ms) const {
    return count_since(hal.com_sent, since_ms);
  }

  /// Runs until the 100 ms task has just driven the lights (at most 100 ms).
  void sync_lights() {
    run_until([&] { return hal.lights_time_ms == last_ms_ && last_ms_ > 0; }, 110);
  }

 private:
  static std::size_t count_since(const std::vector<fake::SentFrame>& frames, TimeMs since_ms) {
    return static_cast<std::size_t>(
        std::count_if(frames.begin(), frames.end(),
                      [&](const fake::SentFrame& sent) { return sent.time_ms >= since_ms; }));
  }

  TimeMs next_ms_ = 0;
  TimeMs last_ms_ = 0;
};

// ---------------------------------------------------------------------------------------------
// State checks

/// The state, its name, its display state and the lights both as the controller computes them
/// and as it drives them (compute_lights of the display state, the SOC and the active codes).
void expect_state(Rig& rig, BduState state, const char* name) {
  ASSERT_EQ(rig.bdu.state(), state) << rig.history();
  EXPECT_STREQ(bdu_state_name(state), name);
  EXPECT_EQ(display_state_of(state), expected_display(state)) << name;
  rig.sync_lights();
  ASSERT_EQ(rig.bdu.state(), state) << rig.history();
  const int soc_percent = soc_percent_from_permille(rig.bdu.soc_permille());
  const LightPattern expected =
      compute_lights(expected_display(state), soc_percent, rig.bdu.codes());
  EXPECT_EQ(rig.bdu.lights(), expected) << name;
  const LightLevels levels = lights_at(expected, rig.hal.lights_time_ms);
  EXPECT_EQ(rig.hal.lights.status_green,
            levels.status_lit && levels.status_colour == StatusColour::Green);
  EXPECT_EQ(rig.hal.lights.status_blue,
            levels.status_lit && levels.status_colour == StatusColour::Blue);
  EXPECT_EQ(rig.hal.lights.alarm, levels.alarm_lit);
  EXPECT_EQ(rig.hal.lights.soc, levels.soc_lit);
}

/// The pattern a fault code shows (alarm on, status off, SOC lights as the code).
void expect_code_lights(const Rig& rig, Code code) {
  EXPECT_EQ(rig.bdu.lights(), code_lights(code)) << code_info(code).label;
  EXPECT_EQ(rig.bdu.lights().alarm, LightMode::On);
  EXPECT_EQ(rig.bdu.lights().status, LightMode::Off);
}

/// Table 2-1 with decision D-STANDBY-SOC at SOC 50 %: green flashing, L1 L2 steady.
void expect_standby_lights(const Rig& rig) {
  const LightPattern lights = rig.bdu.lights();
  EXPECT_EQ(lights.status_colour, StatusColour::Green);
  EXPECT_EQ(lights.status, LightMode::Flash);
  EXPECT_EQ(lights.alarm, LightMode::Off);
  const std::array<LightMode, 5> soc{LightMode::On, LightMode::On, LightMode::Off, LightMode::Off,
                                     LightMode::Off};
  EXPECT_EQ(lights.soc, soc);
}

struct Outputs {
  std::array<bool, 3> coils{};  // positive main, negative main, precharge
  bool link_enable = true;
  bool limits_zero = true;
  std::optional<link::RequestedMode> mode;  // nothing: no BDU_COMMAND at all (Shutdown)
};

/// The entry action of the state entered at entered_ms, checked at least 100 ms later: relays,
/// Link enable, limits to the inverter (values and the last 0x351 frame), the module mode asked
/// in every BDU_COMMAND since the entry.
void expect_outputs(const Rig& rig, TimeMs entered_ms, const Outputs& expected) {
  EXPECT_EQ(rig.hal.coils(), expected.coils) << rig.history();
  EXPECT_EQ(rig.hal.link_enable_out, expected.link_enable);
  if (expected.mode) {
    const std::vector<link::BduCommand> commands = rig.commands_since(entered_ms + kTick_ms);
    ASSERT_FALSE(commands.empty()) << "no BDU_COMMAND since the entry";
    for (const link::BduCommand& command : commands) {
      EXPECT_EQ(static_cast<int>(command.mode), static_cast<int>(*expected.mode));
    }
  } else {
    EXPECT_EQ(rig.link_frames_since(entered_ms + kTick_ms), 0u) << "Link frames after entry";
    EXPECT_EQ(rig.com_frames_since(entered_ms + kTick_ms), 0u) << "COM frames after entry";
    return;
  }
  const InverterFacingValues& values = rig.bdu.inverter_values();
  const std::optional<sofar::Limits> frame = rig.last_limits_frame();
  ASSERT_TRUE(frame.has_value()) << "no limits frame (0x351) sent";
  EXPECT_EQ(frame->charge_current_limit_dA, values.charge_current_limit_dA);
  EXPECT_EQ(frame->discharge_current_limit_dA, values.discharge_current_limit_dA);
  EXPECT_EQ(frame->charge_voltage_limit_dV, rig.config().charge_voltage_limit_dV);
  EXPECT_EQ(frame->discharge_voltage_limit_dV, rig.config().discharge_voltage_limit_dV);
  if (expected.limits_zero) {
    EXPECT_EQ(values.charge_current_limit_dA, 0);
    EXPECT_EQ(values.discharge_current_limit_dA, 0);
  } else {
    // Two modules with comfortable cells allow 7.5 A each on the bus side, but no more than
    // 2.5 kW each at the bus set point (6.4 A at 390 V).
    const std::int32_t bus_dV =
        std::max(rig.bdu.bus_setpoint_dV(), rig.bdu.last_measurements().bat_in_voltage_dV);
    const std::int32_t expected_dA = 2 * converter_full_current_mA(bus_dV) / 100;
    EXPECT_LT(expected_dA, 150);
    EXPECT_EQ(values.charge_current_limit_dA, expected_dA) << "bus " << bus_dV << " dV";
    EXPECT_EQ(values.discharge_current_limit_dA, expected_dA) << "bus " << bus_dV << " dV";
  }
}

const Outputs kStandbyOutputs{kAllOpen, true, true, link::RequestedMode::Standby};
const Outputs kConnectedOutputs{kMainsClosed, true, false, link::RequestedMode::Run};
const Outputs kShutdownOutputs{kAllOpen, false, true, std::nullopt};

/// Shutdown: relays open, Link enable low, the modules forgotten, no frame on either bus, every
/// light off even with codes.
void expect_shutdown(Rig& rig) {
  const TimeMs entered_ms = rig.entered_at(S::Shutdown);
  rig.advance(2000);
  expect_state(rig, S::Shutdown, "Shutdown");
  expect_outputs(rig, entered_ms, kShutdownOutputs);
  EXPECT_EQ(rig.bdu.modules_reporting(), 0);
  EXPECT_EQ(rig.bdu.lights(), LightPattern{});
  EXPECT_FALSE(rig.hal.lights.status_green || rig.hal.lights.status_blue || rig.hal.lights.alarm);
}

/// An Opening that lasts one tick (nothing flows, so the relays open at once) between `from` and
/// `to`; the relays are open at the end of the Opening tick.
void expect_brief_opening(const Rig& rig, TimeMs since_ms, BduState from, BduState to) {
  const std::vector<BduState> path = rig.path_since(since_ms);
  ASSERT_GE(path.size(), 2u) << rig.history();
  EXPECT_EQ(path[0], S::Opening) << rig.history();
  EXPECT_EQ(path[1], to) << rig.history();
  for (const StateChange& change : rig.changes) {
    if (change.time_ms <= since_ms) continue;
    if (change.to == S::Opening) {
      EXPECT_EQ(change.from, from);
      EXPECT_EQ(change.coils, kAllOpen) << "nothing flows: the relays open in the Opening tick";
    }
  }
}

/// While in Opening with current above the break current: the main relays stay closed, the
/// limits are zero and the modules keep running.
void expect_opening_holds(Rig& rig) {
  const TimeMs entered_ms = rig.entered_at(S::Opening);
  rig.advance(200);
  ASSERT_EQ(rig.bdu.state(), S::Opening) << rig.history();
  EXPECT_STREQ(bdu_state_name(S::Opening), "Opening");
  EXPECT_EQ(display_state_of(S::Opening), DisplayState::Standby);
  EXPECT_EQ(rig.bdu.lights(),
            compute_lights(DisplayState::Standby, soc_percent_from_permille(rig.bdu.soc_permille()),
                           rig.bdu.codes()));
  expect_outputs(rig, entered_ms, Outputs{kMainsClosed, true, true, link::RequestedMode::Run});
}

// ---------------------------------------------------------------------------------------------
// Transitions, in table order

TEST(BduStateMachine, Transition_SelfTest_ShutdownPressed_to_Shutdown) {
  expect_row(S::SelfTest, G::ShutdownPressed, S::Shutdown);
  Rig rig(0);  // no module answers: the self test lasts its full 10 s bound
  rig.advance(500);
  rig.press(kActivatePress_ms);
  ASSERT_EQ(rig.bdu.state(), S::SelfTest) << rig.history();
  const TimeMs pressed_ms = rig.now();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 6000)) << rig.history();
  EXPECT_GE(rig.now() - pressed_ms, BlackStartButton::kShutdownHold_ms);
  EXPECT_EQ(rig.changes.back().from, S::SelfTest);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Standby_ShutdownPressed_to_Shutdown) {
  expect_row(S::Standby, G::ShutdownPressed, S::Shutdown);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.advance(1000);
  const TimeMs pressed_ms = rig.now();
  rig.hal.black_start_pressed = true;
  rig.advance(4800);
  EXPECT_EQ(rig.bdu.state(), S::Standby) << "not before 5 s\n" << rig.history();
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 500)) << rig.history();
  EXPECT_GE(rig.now() - pressed_ms, BlackStartButton::kShutdownHold_ms);
  EXPECT_EQ(rig.changes.back().from, S::Standby);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);
  // The modules lost their enable line and went to sleep.
  for (const fake::FakeModule& module : rig.modules.modules) {
    EXPECT_EQ(module.address, link::kAddressUnassigned);
  }
}

TEST(BduStateMachine, Transition_Fault_ShutdownPressed_to_Shutdown) {
  expect_row(S::Fault, G::ShutdownPressed, S::Shutdown);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.modules.modules[0].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Fault, 500)) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 5500)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Fault);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);  // lights off although the module's F1 was the last thing shown
}

/// The service tool on COM asks this BDU (0x80) to update to 0.2.0.
void request_update(Rig& rig, std::uint16_t blocks = 600) {
  update::Start request;
  request.version = FirmwareVersion{0, 2, 0};
  request.blocks = blocks;
  rig.hal.push_com(update::encode_request(0x80, request));
}

std::size_t update_frames_sent(const Rig& rig, std::uint8_t type) {
  std::size_t count = 0;
  for (const auto& sent : rig.hal.link_sent) count += update::type_of(sent.frame) == type ? 1 : 0;
  return count;
}

TEST(BduStateMachine, Transition_Updating_ShutdownPressed_to_Shutdown) {
  expect_row(S::Updating, G::ShutdownPressed, S::Shutdown);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  request_update(rig, 8000);  // a large image: the transfer outlasts the 5 s press
  ASSERT_TRUE(rig.run_until_state(S::Updating, 200)) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 5500)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Updating);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Precharge_ShutdownPressed_to_Opening) {
  expect_row(S::Precharge, G::ShutdownPressed, S::Opening);
  Rig rig;
  rig.hal.precharge_blocked = true;  // precharge keeps retrying for the length of the press
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  const TimeMs pressed_ms = rig.now();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  EXPECT_GE(rig.now() - pressed_ms, BlackStartButton::kShutdownHold_ms);
  rig.advance(kTick_ms);
  expect_brief_opening(rig, pressed_ms, S::Precharge, S::Shutdown);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Idle_ShutdownPressed_to_Opening) {
  expect_row(S::Idle, G::ShutdownPressed, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  ASSERT_EQ(rig.hal.coils(), kMainsClosed);
  const TimeMs pressed_ms = rig.now();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  EXPECT_GE(rig.now() - pressed_ms, BlackStartButton::kShutdownHold_ms);
  rig.advance(kTick_ms);
  expect_brief_opening(rig, pressed_ms, S::Idle, S::Shutdown);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Charge_ShutdownPressed_to_Opening) {
  expect_row(S::Charge, G::ShutdownPressed, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_charge()) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Charge);
  rig.hal.black_start_pressed = false;
  expect_opening_holds(rig);  // 10 A still flows
  rig.hal.load_current_dA = 0;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 50)) << rig.history();
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Discharge_ShutdownPressed_to_Opening) {
  expect_row(S::Discharge, G::ShutdownPressed, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Discharge);
  rig.hal.black_start_pressed = false;
  expect_opening_holds(rig);
  rig.hal.load_current_dA = 0;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 50)) << rig.history();
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Shutdown_ActivatePressed_to_SelfTest) {
  expect_row(S::Shutdown, G::ActivatePressed, S::SelfTest);
  Rig rig;
  rig.advance(2000);
  expect_state(rig, S::Shutdown, "Shutdown");
  EXPECT_FALSE(rig.hal.link_enable_out);
  EXPECT_EQ(rig.link_frames_since(0), 0u);
  EXPECT_EQ(rig.com_frames_since(0), 0u);
  const TimeMs pressed_ms = rig.now();
  rig.hal.black_start_pressed = true;
  rig.advance(900);
  EXPECT_EQ(rig.bdu.state(), S::Shutdown) << "not before 1 s";
  ASSERT_TRUE(rig.run_until_state(S::SelfTest, 300)) << rig.history();
  const TimeMs entered_ms = rig.now();
  EXPECT_GE(entered_ms - pressed_ms, BlackStartButton::kActivateHold_ms);
  EXPECT_TRUE(rig.hal.link_enable_out) << "Link enable raised towards module 1";
  rig.hal.black_start_pressed = false;
  rig.advance(200);
  // The first ADDRESS_REQUEST asks every module to drop an old address.
  bool first_request_seen = false;
  for (const fake::SentFrame& sent : rig.hal.link_sent) {
    link::AddressRequest request;
    if (!request.decode(sent.frame)) continue;
    EXPECT_TRUE(request.restart);
    EXPECT_EQ(request.next_address, 1);
    first_request_seen = true;
    break;
  }
  EXPECT_TRUE(first_request_seen);
  expect_state(rig, S::SelfTest, "SelfTest");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_standby_lights(rig);
}

TEST(BduStateMachine, Transition_SelfTest_SelfTestFailed_to_Fault) {
  expect_row(S::SelfTest, G::SelfTestFailed, S::Fault);
  Rig rig(0);  // nobody on the Link bus
  rig.advance(500);
  rig.press(kActivatePress_ms);
  const TimeMs self_test_ms = rig.entered_at(S::SelfTest);
  ASSERT_TRUE(rig.run_until_state(S::Fault, 11000)) << rig.history();
  EXPECT_GE(rig.now() - self_test_ms, rig.config().self_test_max_ms);
  EXPECT_EQ(rig.changes.back().from, S::SelfTest);
  const TimeMs entered_ms = rig.now();
  rig.advance(1500);  // F9 after its 1 s debounce
  EXPECT_TRUE(rig.bdu.codes().has(Code::F9)) << rig.history();
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F9);
}

TEST(BduStateMachine, Transition_SelfTest_SelfTestPassed_to_Standby) {
  expect_row(S::SelfTest, G::SelfTestPassed, S::Standby);
  Rig rig;
  rig.hal.dc_switch_closed = false;
  rig.advance(500);
  rig.press(kActivatePress_ms);
  const TimeMs self_test_ms = rig.entered_at(S::SelfTest);
  ASSERT_TRUE(rig.run_until_state(S::Standby, 10000)) << rig.history();
  EXPECT_GE(rig.now() - self_test_ms, rig.config().self_test_min_ms);
  EXPECT_LT(rig.now() - self_test_ms, rig.config().self_test_min_ms + 500);
  EXPECT_EQ(rig.changes.back().from, S::SelfTest);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  EXPECT_EQ(rig.bdu.modules_reporting(), 2);
  EXPECT_EQ(rig.bdu.modules()[0].serial_number, rig.modules.modules[0].serial_number);
  EXPECT_EQ(rig.bdu.modules()[1].serial_number, rig.modules.modules[1].serial_number);
  EXPECT_EQ(rig.modules.modules[0].address, 1);
  EXPECT_EQ(rig.modules.modules[1].address, 2);
  EXPECT_TRUE(rig.bdu.codes().empty()) << rig.history();
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_standby_lights(rig);
}

TEST(BduStateMachine, Transition_Standby_FaultActive_to_Fault) {
  expect_row(S::Standby, G::FaultActive, S::Fault);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.advance(1000);
  rig.modules.modules[1].codes.set(Code::F1);  // module 2: high temperature fault, opens relays
  ASSERT_TRUE(rig.run_until_state(S::Fault, 300)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Standby);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F1));
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F1);
}

TEST(BduStateMachine, Transition_Standby_UpdateRequested_to_Updating) {
  expect_row(S::Standby, G::UpdateRequested, S::Updating);
  EXPECT_EQ(display_state_of(S::Updating), DisplayState::Updating);  // blue flashing
  EXPECT_STREQ(bdu_state_name(S::Updating), "Updating");
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  request_update(rig);
  ASSERT_TRUE(rig.run_until_state(S::Updating, 200)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Standby);
  rig.advance(500);
  expect_state(rig, S::Updating, "Updating");
  // Relays stay open; the image goes out on the Link bus: a start frame, then numbered blocks.
  EXPECT_FALSE(rig.hal.coils()[0] || rig.hal.coils()[1] || rig.hal.coils()[2]);
  EXPECT_EQ(update_frames_sent(rig, update::kTypeStart), 1u);
  EXPECT_GT(update_frames_sent(rig, update::kTypeBlock), 100u);
  EXPECT_EQ(rig.bdu.lights(),
            compute_lights(DisplayState::Updating, (rig.bdu.soc_permille() + 5) / 10, CodeSet{}));
}

TEST(BduStateMachine, Refused_UpdateRequestWhileConnected_IsNotActedOnUntilStandby) {
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  request_update(rig);
  rig.advance(2000);
  EXPECT_NE(rig.bdu.state(), S::Updating);  // no transfer while the output is connected
  EXPECT_EQ(update_frames_sent(rig, update::kTypeStart), 0u);
}

TEST(BduStateMachine, Transition_Standby_ConnectWanted_to_Precharge) {
  expect_row(S::Standby, G::ConnectWanted, S::Precharge);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.advance(1000);
  ASSERT_TRUE(rig.bdu.inverter_present());
  rig.hal.dc_switch_closed = true;  // DC switch closed, inverter present, modules reporting
  ASSERT_TRUE(rig.run_until_state(S::Precharge, 200)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Standby);
  EXPECT_EQ(rig.changes.back().coils, kAllOpen) << "Precharge starts with every relay open";
  const TimeMs entered_ms = rig.now();
  // The modules are asked to run and raise BAT IN; the negative main closes once it is up.
  ASSERT_TRUE(rig.run_until([&] { return rig.last_command_since(entered_ms).has_value(); }, 110));
  EXPECT_EQ(rig.last_command_since(entered_ms)->mode, link::RequestedMode::Run);
  EXPECT_EQ(rig.last_command_since(entered_ms)->bus_voltage_reference_dV,
            rig.bdu.bus_setpoint_dV());
  EXPECT_EQ(rig.bdu.inverter_values().charge_current_limit_dA, 0);
  EXPECT_EQ(rig.bdu.inverter_values().discharge_current_limit_dA, 0);
  expect_state(rig, S::Precharge, "Precharge");
  expect_standby_lights(rig);
  EXPECT_TRUE(rig.hal.link_enable_out);
}

TEST(BduStateMachine, Transition_Precharge_FaultActive_to_Opening) {
  expect_row(S::Precharge, G::FaultActive, S::Opening);
  Rig rig;
  rig.hal.precharge_blocked = true;
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  rig.advance(500);  // negative main and precharge relay closed, link charging
  ASSERT_TRUE(rig.hal.coil(BduRelay::Precharge));
  const TimeMs fault_ms = rig.now();
  rig.modules.modules[0].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Opening, 300)) << rig.history();
  rig.advance(kTick_ms);
  expect_brief_opening(rig, fault_ms, S::Precharge, S::Fault);
  const TimeMs entered_ms = rig.entered_at(S::Fault);
  rig.advance(1100);
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F1);
}

TEST(BduStateMachine, Transition_Precharge_DisconnectWanted_to_Opening) {
  expect_row(S::Precharge, G::DisconnectWanted, S::Opening);
  Rig rig;
  rig.hal.precharge_blocked = true;
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  rig.advance(500);
  ASSERT_TRUE(rig.hal.coil(BduRelay::NegativeMain));
  const TimeMs opened_ms = rig.now();
  rig.hal.dc_switch_closed = false;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 50)) << "Precharge samples every tick\n"
                                                   << rig.history();
  rig.advance(kTick_ms);
  expect_brief_opening(rig, opened_ms, S::Precharge, S::Standby);
  const TimeMs entered_ms = rig.entered_at(S::Standby);
  rig.advance(1100);
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  EXPECT_TRUE(rig.bdu.codes().empty()) << rig.history();
}

TEST(BduStateMachine, Transition_Precharge_PrechargeDone_to_Idle) {
  expect_row(S::Precharge, G::PrechargeDone, S::Idle);
  Rig rig;
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  const TimeMs precharge_ms = rig.now();
  ASSERT_TRUE(rig.run_until_state(S::Idle, 3000)) << rig.history();
  const TimeMs entered_ms = rig.now();
  EXPECT_EQ(rig.changes.back().from, S::Precharge);
  // The sequence: negative main, precharge relay >= 100 ms later, positive main once the DC link
  // is within 10 V of BAT IN, then the precharge relay drops.
  const auto negative_on = rig.relay_change_at(BduRelay::NegativeMain, true, precharge_ms);
  const auto precharge_on = rig.relay_change_at(BduRelay::Precharge, true, precharge_ms);
  const auto positive_on = rig.relay_change_at(BduRelay::PositiveMain, true, precharge_ms);
  ASSERT_TRUE(negative_on && precharge_on && positive_on);
  EXPECT_GE(*precharge_on - *negative_on, 100u);
  EXPECT_EQ(*positive_on, entered_ms);
  EXPECT_EQ(rig.changes.back().coils, (std::array<bool, 3>{true, true, true}));
  EXPECT_LT(std::abs(rig.hal.output_voltage_dV - rig.hal.bat_in_voltage_dV),
            rig.config().precharge_done_dV + 5);
  rig.advance(300);
  const auto precharge_off = rig.relay_change_at(BduRelay::Precharge, false, entered_ms);
  ASSERT_TRUE(precharge_off.has_value()) << "precharge relay dropped after the main contact";
  EXPECT_GE(*precharge_off, *positive_on + rig.hal.relay_delay_ms);
  EXPECT_EQ(rig.bdu.precharge_failures(), 0);
  rig.advance(1000);
  expect_state(rig, S::Idle, "Idle");
  expect_outputs(rig, entered_ms, kConnectedOutputs);
  expect_standby_lights(rig);  // D-IDLE: connected without current shows Standby
}

TEST(BduStateMachine, Transition_Precharge_PrechargeRetry_to_Precharge) {
  expect_row(S::Precharge, G::PrechargeRetry, S::Precharge);
  Rig rig;
  rig.hal.precharge_blocked = true;  // the DC link never charges (a short behind the BDU)
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  const TimeMs precharge_ms = rig.now();
  ASSERT_TRUE(rig.run_until([&] { return rig.bdu.precharge_failures() == 1; }, 4000));
  const TimeMs failed_ms = rig.now();
  EXPECT_GE(failed_ms - precharge_ms, rig.config().precharge_attempt_ms);
  rig.advance(kTick_ms);  // the retry row fires on the next tick
  EXPECT_EQ(rig.bdu.state(), S::Precharge) << rig.history();
  EXPECT_EQ(rig.changes.back().to, S::Precharge) << "no other state on the way";
  EXPECT_EQ(rig.hal.coils(), kAllOpen) << "relays open for the retry wait";
  expect_state(rig, S::Precharge, "Precharge");
  expect_standby_lights(rig);
  // A second attempt starts after the wait.
  ASSERT_TRUE(rig.run_until([&] { return rig.hal.coil(BduRelay::NegativeMain); }, 3500));
  EXPECT_GE(rig.now() - failed_ms, rig.config().precharge_retry_wait_ms);
  EXPECT_EQ(rig.bdu.state(), S::Precharge);
  EXPECT_FALSE(rig.bdu.codes().has(Code::F17)) << "one failed attempt is no fault";
}

TEST(BduStateMachine, Transition_Precharge_PrechargeGaveUp_to_Opening) {
  expect_row(S::Precharge, G::PrechargeGaveUp, S::Opening);
  Rig rig;
  rig.hal.precharge_blocked = true;
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  const TimeMs precharge_ms = rig.now();
  ASSERT_TRUE(rig.run_until_state(S::Opening, 20000)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Precharge);
  EXPECT_EQ(rig.bdu.precharge_failures(), 3);
  // Three attempts of 3 s with two waits of 3 s between them.
  EXPECT_GE(rig.now() - precharge_ms,
            3 * rig.config().precharge_attempt_ms + 2 * rig.config().precharge_retry_wait_ms);
  rig.advance(kTick_ms);
  expect_brief_opening(rig, precharge_ms, S::Precharge, S::Fault);
  const TimeMs entered_ms = rig.entered_at(S::Fault);
  rig.advance(1100);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F17)) << rig.history();
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F17);
}

TEST(BduStateMachine, Transition_Idle_FaultActive_to_Opening) {
  expect_row(S::Idle, G::FaultActive, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  const TimeMs fault_ms = rig.now();
  rig.modules.modules[0].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Opening, 300)) << rig.history();
  rig.advance(kTick_ms);
  expect_brief_opening(rig, fault_ms, S::Idle, S::Fault);
  const TimeMs entered_ms = rig.entered_at(S::Fault);
  rig.advance(1100);
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F1);
}

TEST(BduStateMachine, Transition_Charge_FaultActive_to_Opening) {
  expect_row(S::Charge, G::FaultActive, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_charge()) << rig.history();
  rig.modules.modules[1].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Opening, 300)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Charge);
  const TimeMs opening_ms = rig.now();
  expect_opening_holds(rig);
  // The inverter keeps charging at 10 A: the relays open at the bound, not before.
  ASSERT_TRUE(rig.run_until_state(S::Fault, 3500)) << rig.history();
  EXPECT_EQ(rig.now() - opening_ms, rig.config().opening_bound_ms);
  EXPECT_EQ(rig.hal.coils(), kAllOpen);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
}

TEST(BduStateMachine, Transition_Discharge_FaultActive_to_Opening) {
  expect_row(S::Discharge, G::FaultActive, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.modules.modules[0].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Opening, 300)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Discharge);
  expect_opening_holds(rig);
  rig.advance(800);
  rig.hal.load_current_dA = 0;  // the inverter follows the zero limits
  ASSERT_TRUE(rig.run_until_state(S::Fault, 50)) << rig.history();
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F1);
}

TEST(BduStateMachine, Transition_Idle_DisconnectWanted_to_Opening) {
  expect_row(S::Idle, G::DisconnectWanted, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  const TimeMs opened_ms = rig.now();
  rig.hal.dc_switch_closed = false;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 200)) << rig.history();
  rig.advance(kTick_ms);
  expect_brief_opening(rig, opened_ms, S::Idle, S::Standby);
  const TimeMs entered_ms = rig.entered_at(S::Standby);
  rig.advance(1100);
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_standby_lights(rig);
}

TEST(BduStateMachine, Transition_Charge_DisconnectWanted_to_Opening) {
  expect_row(S::Charge, G::DisconnectWanted, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_charge()) << rig.history();
  ASSERT_TRUE(rig.bdu.inverter_present());
  const TimeMs silent_ms = rig.now();
  rig.inverter.present = false;  // the inverter's CAN falls silent (it keeps charging)
  rig.advance(rig.config().inverter_timeout_ms - 2000);
  EXPECT_EQ(rig.bdu.state(), S::Charge) << "inverter timeout 60 s\n" << rig.history();
  ASSERT_TRUE(rig.run_until_state(S::Opening, 2500)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Charge);
  // The last inquiry came up to 1 s before the inverter fell silent.
  EXPECT_GE(rig.now() - silent_ms + 1000, rig.config().inverter_timeout_ms);
  EXPECT_FALSE(rig.bdu.inverter_present());
  expect_opening_holds(rig);
  rig.hal.load_current_dA = 0;
  ASSERT_TRUE(rig.run_until_state(S::Standby, 50)) << rig.history();
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
}

TEST(BduStateMachine, Transition_Discharge_DisconnectWanted_to_Opening) {
  expect_row(S::Discharge, G::DisconnectWanted, S::Opening);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.dc_switch_closed = false;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 200)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Discharge);
  expect_opening_holds(rig);
  rig.hal.load_current_dA = 0;
  ASSERT_TRUE(rig.run_until_state(S::Standby, 50)) << rig.history();
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
}

TEST(BduStateMachine, Transition_Idle_StartsDischarging_to_Discharge) {
  expect_row(S::Idle, G::StartsDischarging, S::Discharge);
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  const TimeMs current_ms = rig.now();
  rig.hal.load_current_dA = 50;  // 5 A to the inverter
  rig.advance(rig.config().direction_debounce_ms - 200);
  EXPECT_EQ(rig.bdu.state(), S::Idle) << "debounced for 3 s";
  ASSERT_TRUE(rig.run_until_state(S::Discharge, 500)) << rig.history();
  EXPECT_GE(rig.now() - current_ms, rig.config().direction_debounce_ms);
  EXPECT_EQ(rig.changes.back().from, S::Idle);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Discharge, "Discharge");
  expect_outputs(rig, entered_ms, kConnectedOutputs);
  EXPECT_EQ(rig.bdu.lights().status_colour, StatusColour::Green);  // table 2-1: green on
  EXPECT_EQ(rig.bdu.lights().status, LightMode::On);
}

TEST(BduStateMachine, Transition_Idle_StartsCharging_to_Charge) {
  expect_row(S::Idle, G::StartsCharging, S::Charge);
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  const TimeMs current_ms = rig.now();
  rig.hal.load_current_dA = -50;
  rig.advance(rig.config().direction_debounce_ms - 200);
  EXPECT_EQ(rig.bdu.state(), S::Idle) << "debounced for 3 s";
  ASSERT_TRUE(rig.run_until_state(S::Charge, 500)) << rig.history();
  EXPECT_GE(rig.now() - current_ms, rig.config().direction_debounce_ms);
  EXPECT_EQ(rig.changes.back().from, S::Idle);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Charge, "Charge");
  expect_outputs(rig, entered_ms, kConnectedOutputs);
  EXPECT_EQ(rig.bdu.lights().status_colour, StatusColour::Blue);  // table 2-1: blue on
  EXPECT_EQ(rig.bdu.lights().status, LightMode::On);
  EXPECT_EQ(rig.bdu.lights().soc[1], LightMode::Flash);  // 50 %: charging pattern "1F000"
}

TEST(BduStateMachine, Transition_Charge_BecomesIdle_to_Idle) {
  expect_row(S::Charge, G::BecomesIdle, S::Idle);
  Rig rig;
  ASSERT_TRUE(rig.to_charge()) << rig.history();
  const TimeMs stopped_ms = rig.now();
  rig.hal.load_current_dA = -3;  // 0.3 A: inside the 0.5 A dead band
  rig.advance(rig.config().idle_debounce_ms - 500);
  EXPECT_EQ(rig.bdu.state(), S::Charge) << "debounced for 30 s";
  ASSERT_TRUE(rig.run_until_state(S::Idle, 1000)) << rig.history();
  EXPECT_GE(rig.now() - stopped_ms, rig.config().idle_debounce_ms);
  EXPECT_EQ(rig.changes.back().from, S::Charge);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Idle, "Idle");
  expect_outputs(rig, entered_ms, kConnectedOutputs);
  expect_standby_lights(rig);
}

TEST(BduStateMachine, Transition_Discharge_BecomesIdle_to_Idle) {
  expect_row(S::Discharge, G::BecomesIdle, S::Idle);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  const TimeMs stopped_ms = rig.now();
  rig.hal.load_current_dA = 0;
  rig.advance(rig.config().idle_debounce_ms - 500);
  EXPECT_EQ(rig.bdu.state(), S::Discharge) << "debounced for 30 s";
  ASSERT_TRUE(rig.run_until_state(S::Idle, 1000)) << rig.history();
  EXPECT_GE(rig.now() - stopped_ms, rig.config().idle_debounce_ms);
  EXPECT_EQ(rig.changes.back().from, S::Discharge);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Idle, "Idle");
  expect_outputs(rig, entered_ms, kConnectedOutputs);
  expect_standby_lights(rig);
}

TEST(BduStateMachine, Transition_Opening_OpeningDoneToFault_to_Fault) {
  expect_row(S::Opening, G::OpeningDoneToFault, S::Fault);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.modules.modules[0].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Opening, 300)) << rig.history();
  expect_opening_holds(rig);
  rig.advance(500);
  EXPECT_EQ(rig.hal.coils(), kMainsClosed) << "10 A flows: relays stay closed";
  rig.hal.load_current_dA = 15;  // 1.5 A, below the 2 A break current
  ASSERT_TRUE(rig.run_until_state(S::Fault, 50)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Opening);
  EXPECT_EQ(rig.changes.back().coils, kAllOpen);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Fault, "Fault");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_code_lights(rig, Code::F1);
}

TEST(BduStateMachine, Transition_Opening_OpeningDoneToShutdown_to_Shutdown) {
  expect_row(S::Opening, G::OpeningDoneToShutdown, S::Shutdown);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  rig.hal.black_start_pressed = false;
  expect_opening_holds(rig);
  rig.advance(500);
  rig.hal.load_current_dA = 0;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 50)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Opening);
  EXPECT_EQ(rig.changes.back().coils, kAllOpen);
  expect_shutdown(rig);
}

TEST(BduStateMachine, Transition_Opening_OpeningDoneToStandby_to_Standby) {
  expect_row(S::Opening, G::OpeningDoneToStandby, S::Standby);
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.dc_switch_closed = false;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 200)) << rig.history();
  const TimeMs opening_ms = rig.now();
  expect_opening_holds(rig);
  // 10 A keeps flowing: the bound opens the relays.
  ASSERT_TRUE(rig.run_until_state(S::Standby, 3500)) << rig.history();
  EXPECT_EQ(rig.now() - opening_ms, rig.config().opening_bound_ms);
  EXPECT_EQ(rig.changes.back().from, S::Opening);
  EXPECT_EQ(rig.changes.back().coils, kAllOpen);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
}

// A person holds the black start switch for 5 s while the BDU is already opening (here for the
// DC switch, with 10 A still flowing): the press is not lost, the BDU shuts down once the relays
// are open instead of waiting in Standby.
TEST(BduStateMachine, ShutdownPressWhileOpening_ShutsDownOnceOpen) {
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.black_start_pressed = true;
  rig.advance(4000);
  rig.hal.dc_switch_closed = false;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 200)) << rig.history();
  ASSERT_EQ(rig.bdu.state(), S::Opening);
  rig.advance(1500);  // the press reaches 5 s inside Opening
  rig.hal.black_start_pressed = false;
  expect_opening_holds(rig);
  rig.hal.load_current_dA = 0;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 50)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Opening);
  EXPECT_EQ(rig.changes.back().coils, kAllOpen);
  expect_shutdown(rig);
}

// The BDU's record memory refuses the minute's write of its counters: F12 (BMS internal fault),
// relays open; a reset is refused while the memory still fails, and releases F12 once the next
// minute's write has succeeded.
TEST(BduRecord, RefusedWriteIsF12UntilTheMemoryWorksAndAResetReleasesIt) {
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  EXPECT_EQ(rig.bdu.record().wakeups, 1u);
  EXPECT_EQ(rig.bdu.record().connections, 1u);
  rig.hal.nvm_write_fails = true;
  ASSERT_TRUE(rig.run_until([&] { return rig.bdu.own_codes().has(Code::F12); }, 61000))
      << rig.history();
  ASSERT_TRUE(rig.run_until_state(S::Fault, 4000)) << rig.history();
  EXPECT_EQ(rig.hal.coils(), kAllOpen);
  rig.press(2000);
  rig.advance(1000);
  EXPECT_TRUE(rig.bdu.own_codes().has(Code::F12)) << "the memory still fails";
  rig.hal.nvm_write_fails = false;
  rig.advance(61000);
  EXPECT_TRUE(rig.bdu.own_codes().has(Code::F12)) << "F12 latches until a reset";
  rig.press(2000);
  rig.advance(1000);
  EXPECT_FALSE(rig.bdu.own_codes().has(Code::F12));
  EXPECT_GE(rig.bdu.record().fault_entries, 1u);
}

// A record that fails its checks when it is read at wake-up is rebuilt from zero and shown as A9
// (reaction none: the BDU still connects) until a reset press acknowledges it.
TEST(BduRecord, CorruptedRecordAtWakeUpIsA9UntilAReset) {
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.press(5500);
  ASSERT_EQ(rig.bdu.state(), S::Shutdown) << rig.history();
  ASSERT_FALSE(rig.hal.nvm.empty());
  rig.hal.nvm[10] ^= 0xFF;  // a bit-rotted counter
  rig.press(kActivatePress_ms);
  ASSERT_TRUE(rig.run_until_state(S::Standby, 15000)) << rig.history();
  rig.advance(1500);
  EXPECT_TRUE(rig.bdu.own_codes().has(Code::A9));
  EXPECT_EQ(rig.bdu.record().wakeups, 1u) << "rebuilt from zero, then this wake-up counted";
  rig.press(2000);
  rig.advance(1500);
  EXPECT_FALSE(rig.bdu.own_codes().has(Code::A9));
}

TEST(BduStateMachine, Transition_Fault_FaultsCleared_to_Standby) {
  expect_row(S::Fault, G::FaultsCleared, S::Standby);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.modules.modules[0].codes.set(Code::F1);
  ASSERT_TRUE(rig.run_until_state(S::Fault, 300)) << rig.history();
  rig.advance(2000);
  const TimeMs cleared_ms = rig.now();
  rig.modules.modules[0].codes = CodeSet{};
  rig.advance(rig.config().fault_recovery_hold_ms - 500);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << "recovery hold 30 s\n" << rig.history();
  EXPECT_TRUE(rig.bdu.codes().empty());
  ASSERT_TRUE(rig.run_until_state(S::Standby, 1000)) << rig.history();
  EXPECT_GE(rig.now() - cleared_ms, rig.config().fault_recovery_hold_ms);
  EXPECT_EQ(rig.changes.back().from, S::Fault);
  const TimeMs entered_ms = rig.now();
  rig.advance(1100);
  expect_state(rig, S::Standby, "Standby");
  expect_outputs(rig, entered_ms, kStandbyOutputs);
  expect_standby_lights(rig);
}

/// Both modules at their empty end (decision D-EMPTY): A4 raised, lowest cell 2.88 V, SOC 1 %.
void make_modules_empty(Rig& rig, std::int32_t lowest_cell_mV = 2880) {
  for (fake::FakeModule& module : rig.modules.modules) {
    module.codes.set(Code::A4);
    module.min_cell_mV = lowest_cell_mV;
    module.soc_permille = 10;
  }
}

std::optional<sofar::RequestFlags> last_request_flags(const Rig& rig) {
  const std::uint32_t id = sofar::id_for(sofar::kRequestFlags, rig.config().bdu_index);
  for (auto it = rig.hal.com_sent.rbegin(); it != rig.hal.com_sent.rend(); ++it) {
    sofar::RequestFlags flags;
    if (it->frame.id == id && sofar::decode_request_flags(it->frame, flags)) return flags;
  }
  return std::nullopt;
}

TEST(BduStateMachine, Transition_Standby_DeepDischarge_to_Shutdown) {
  expect_row(S::Standby, G::DeepDischarge, S::Shutdown);
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  rig.advance(1000);
  ASSERT_TRUE(last_request_flags(rig).has_value());
  EXPECT_FALSE(last_request_flags(rig)->force_charge) << "SOC 50 %: nothing to ask";
  make_modules_empty(rig);
  const TimeMs empty_ms = rig.now();
  // Empty: it asks the inverter for a forced charge at once (0x35C bit 5) ...
  rig.advance(2100);
  EXPECT_TRUE(rig.bdu.force_charge_requested());
  EXPECT_TRUE(last_request_flags(rig)->force_charge);
  EXPECT_TRUE(rig.bdu.pylon_values().forced_charge_request) << "0x4250 byte 0 bit 3";
  EXPECT_EQ(rig.bdu.inverter_values().discharge_current_limit_dA, 0);
  EXPECT_GT(rig.bdu.inverter_values().charge_current_limit_dA, 0);
  // ... and holds the bus for 30 min for it to come; nobody charges, so it parks: relays open,
  // converters in energy saving, still asking.
  const TimeMs park_ms = rig.bdu.empty_guard().config().park_after_ms;
  rig.advance(park_ms - 5000);
  EXPECT_EQ(rig.bdu.state(), S::Idle) << rig.history();
  ASSERT_TRUE(rig.run_until_state(S::Standby, 10000)) << rig.history();
  EXPECT_GE(rig.now() - empty_ms, park_ms);
  EXPECT_TRUE(rig.bdu.empty_guard().parked());
  rig.advance(1100);
  expect_outputs(rig, rig.entered_at(S::Standby), kStandbyOutputs);
  EXPECT_TRUE(last_request_flags(rig)->force_charge);
  // The modules' own draw goes on; a cell reaches its deep limit: everything switches off.
  make_modules_empty(rig, 2700);
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 1500)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Standby);
  expect_shutdown(rig);
  EXPECT_FALSE(rig.bdu.force_charge_requested());
}

TEST(BduStateMachine, Refused_FaultWithADeepCell_KeepsItsFaultLights) {
  // A module's shorted cell is that module's fault: the BDU stays in Fault, showing it.
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.modules.modules[0].codes.set(Code::F7);
  rig.modules.modules[0].codes.set(Code::F4);
  rig.modules.modules[0].min_cell_mV = 2400;
  ASSERT_TRUE(rig.run_until_state(S::Fault, 300)) << rig.history();
  rig.advance(10 * 60 * 1000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  expect_code_lights(rig, Code::F4);
}

TEST(BduStateMachine, Refused_EmptyButCharged_StaysConnected) {
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  rig.advance(6 * 60 * 1000);  // long past the wake-up
  make_modules_empty(rig);
  rig.hal.load_current_dA = -50;  // the inverter answers the request: 5 A in
  ASSERT_TRUE(rig.run_until_state(S::Charge, 5000)) << rig.history();
  const TimeMs charging_ms = rig.now();
  rig.advance(rig.bdu.empty_guard().config().park_after_ms + 60000);
  EXPECT_FALSE(rig.visited_since(S::Opening, charging_ms)) << rig.history();
  EXPECT_EQ(rig.bdu.state(), S::Charge);
  EXPECT_FALSE(rig.bdu.empty_guard().parked());
}

TEST(BduStateMachine, Refused_ParkedEmpty_ReconnectsHourlyForACharge) {
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  make_modules_empty(rig);
  const EmptyGuardConfig& guard = rig.bdu.empty_guard().config();
  ASSERT_TRUE(rig.run_until_state(S::Standby, guard.park_after_ms + 10000)) << rig.history();
  const TimeMs parked_ms = rig.now();
  // An hour later it reconnects (the inverter may have PV to spare by then) ...
  ASSERT_TRUE(rig.run_until_state(S::Idle, guard.probe_interval_ms + 30000)) << rig.history();
  EXPECT_GE(rig.now() - parked_ms, guard.probe_interval_ms);
  // ... is charged, and stays.
  rig.hal.load_current_dA = -100;
  ASSERT_TRUE(rig.run_until_state(S::Charge, 5000)) << rig.history();
  for (fake::FakeModule& module : rig.modules.modules) {
    module.codes = CodeSet{};
    module.min_cell_mV = 3200;
  }
  const TimeMs charging_ms = rig.now();
  rig.advance(guard.probe_length_ms + 60000);
  EXPECT_EQ(rig.bdu.state(), S::Charge) << rig.history();
  EXPECT_FALSE(rig.visited_since(S::Standby, charging_ms));
  EXPECT_FALSE(rig.bdu.empty_guard().parked());
}

TEST(BduStateMachine, Refused_EmptyBattery_NoHeatingFromItsOwnCellsUnlessCharged) {
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  for (fake::FakeModule& module : rig.modules.modules) module.soc_permille = 40;  // 4 %, cold
  rig.advance(2000);
  TimeMs since_ms = rig.now();
  rig.advance(500);
  ASSERT_TRUE(rig.last_command_since(since_ms).has_value());
  EXPECT_TRUE(rig.last_command_since(since_ms)->allow_heater)
      << "low but not at the empty end: warm cells are what lets it be charged";
  make_modules_empty(rig);
  rig.advance(2000);
  since_ms = rig.now();
  rig.advance(500);
  EXPECT_FALSE(rig.last_command_since(since_ms)->allow_heater) << "every module at its empty end";
  rig.hal.load_current_dA = -50;  // charged: the heaters run on the charger's power
  ASSERT_TRUE(rig.run_until_state(S::Charge, 5000)) << rig.history();
  rig.advance(1500);
  since_ms = rig.now();
  rig.advance(500);
  EXPECT_TRUE(rig.last_command_since(since_ms)->allow_heater);
}

TEST(BduStateMachine, Refused_ParkedEmpty_APylonChargeCommandReconnectsAtOnce) {
  BduConfig config = test_config();
  config.inverter_protocol = InverterProtocol::PylonHv;
  Rig rig(2, config);
  rig.inverter.pylon = true;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  make_modules_empty(rig);
  ASSERT_TRUE(rig.run_until_state(S::Standby, rig.bdu.empty_guard().config().park_after_ms + 10000))
      << rig.history();
  rig.advance(60000);
  ASSERT_EQ(rig.bdu.state(), S::Standby);
  // 0x8210 byte 0 0xAA: "close the relay to charge".
  pylon_hv::InverterCommand charge;
  charge.kind = pylon_hv::InverterCommand::Kind::Relay;
  charge.address = pylon_hv::address_for(config.pylon_dialect, config.bdu_index);
  charge.charge_command = true;
  const TimeMs sent_ms = rig.now();
  rig.hal.push_com(pylon_hv::encode_command(charge));
  ASSERT_TRUE(rig.run_until_state(S::Idle, 10000)) << rig.history();
  EXPECT_LT(rig.now() - sent_ms, 5000u);
}

TEST(BduStateMachine, Transition_Updating_UpdateFinished_to_SelfTest) {
  expect_row(S::Updating, G::UpdateFinished, S::SelfTest);
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  request_update(rig);
  ASSERT_TRUE(rig.run_until_state(S::SelfTest, 5000)) << rig.history();
  EXPECT_EQ(rig.changes.back().from, S::Updating);
  // Every block went out in order, then the CRC; the BDU now runs the new version.
  EXPECT_EQ(update_frames_sent(rig, update::kTypeBlock), 600u);
  EXPECT_EQ(update_frames_sent(rig, update::kTypeEnd), 1u);
  EXPECT_EQ(rig.bdu.firmware_version(), (FirmwareVersion{0, 2, 0}));
}

// ---- Direct reversals (rows the first table lacked) ----
// A current that reverses directly (PV surplus appears while the house was drawing) must move the
// BDU at once. Without the rows Charge --StartsDischarging--> Discharge and the reverse, the
// lights (table 2-1) and the BDU network state showed the wrong direction until the current had
// been idle for 30 s.

TEST(BduStateMachine, Transition_Charge_StartsDischarging_to_Discharge) {
  Rig rig;
  ASSERT_TRUE(rig.to_charge()) << rig.history();
  rig.hal.load_current_dA = 80;  // straight from 10 A in to 8 A out
  const bool reached = rig.run_until_state(S::Discharge, rig.config().direction_debounce_ms + 500);
  EXPECT_TRUE(reached) << "FIRMWARE BUG: no row Charge --StartsDischarging--> Discharge; the BDU "
                          "shows Charge (blue on) while discharging\n"
                       << rig.history();
  expect_row(S::Charge, G::StartsDischarging, S::Discharge);
}

TEST(BduStateMachine, Transition_Discharge_StartsCharging_to_Charge) {
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.load_current_dA = -80;
  const bool reached = rig.run_until_state(S::Charge, rig.config().direction_debounce_ms + 500);
  EXPECT_TRUE(reached) << "FIRMWARE BUG: no row Discharge --StartsCharging--> Charge; the BDU "
                          "shows Discharge (green on) while charging\n"
                       << rig.history();
  expect_row(S::Discharge, G::StartsCharging, S::Charge);
}

// ---------------------------------------------------------------------------------------------
// Refused and blocked transitions

TEST(BduStateMachine, Refused_Shutdown_PressShorterThan1s_StaysShutdown) {
  Rig rig;
  rig.advance(500);
  rig.press(700);
  rig.advance(2000);
  EXPECT_EQ(rig.bdu.state(), S::Shutdown) << rig.history();
  EXPECT_TRUE(rig.changes.empty());
  EXPECT_FALSE(rig.hal.link_enable_out);
  EXPECT_EQ(rig.link_frames_since(0), 0u);
}

TEST(BduStateMachine, Refused_Standby_ClosingIntoFault_GoesToFaultNeverPrecharge) {
  Rig rig;
  rig.modules.modules[0].codes.set(Code::F1);  // module 1 reports a fault from the start
  rig.hal.dc_switch_closed = true;             // and everything else asks for a connection
  rig.advance(500);
  rig.press(kActivatePress_ms);
  ASSERT_TRUE(rig.run_until_state(S::Fault, 10000)) << rig.history();
  rig.advance(60000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  EXPECT_FALSE(rig.visited_since(S::Precharge, 0)) << rig.history();
  EXPECT_TRUE(rig.hal.relay_events.empty()) << "no relay ever energised";
  EXPECT_TRUE(rig.bdu.codes().has(Code::F1));
  expect_code_lights(rig, Code::F1);
}

// Three attempts, the retry wait between them, then Opening -> Fault with F17, and no further
// attempt. The BDU had been powered (shut down) for a minute before the button was pressed, the
// usual case. A regression guard: the first firmware timed the faults-cleared hold from the last
// moment a fault was active, not from the entry into Fault; F17 is raised by the 100 ms task
// after the give-up, so Fault -> Standby fired at once and Standby -> Precharge started a fourth
// attempt (relays closed again) before F17 stopped it.
TEST(BduStateMachine, Refused_PrechargeFailsThreeTimes_ThenFaultF17_NoFourthAttempt) {
  Rig rig;
  rig.hal.precharge_blocked = true;
  rig.advance(60000);  // powered, shut down
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  const TimeMs precharge_ms = rig.now();
  ASSERT_TRUE(rig.run_until_state(S::Opening, 20000)) << rig.history();
  const TimeMs gave_up_ms = rig.now();
  // The attempts: negative main closes three times, each after the previous failure + wait.
  std::vector<TimeMs> negative_closes;
  std::vector<TimeMs> all_open;
  for (const RelayEvent& event : rig.relay_events_since(precharge_ms)) {
    if (event.relay == BduRelay::NegativeMain && event.energised) {
      negative_closes.push_back(event.time_ms);
    }
    if (event.relay == BduRelay::NegativeMain && !event.energised)
      all_open.push_back(event.time_ms);
  }
  ASSERT_EQ(negative_closes.size(), 3u);
  ASSERT_EQ(all_open.size(), 3u);
  for (std::size_t k = 0; k + 1 < negative_closes.size(); ++k) {
    EXPECT_GE(negative_closes[k + 1] - all_open[k], rig.config().precharge_retry_wait_ms);
  }
  rig.advance(60000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  EXPECT_EQ(rig.path_since(gave_up_ms), std::vector<BduState>{S::Fault})
      << "FIRMWARE BUG: Fault left at once after the give-up\n"
      << rig.history();
  EXPECT_FALSE(rig.energised_since(gave_up_ms)) << "FIRMWARE BUG: a fourth precharge attempt";
  EXPECT_TRUE(rig.bdu.codes().has(Code::F17));
}

// F17 from a failed precharge is latched: it stays although nothing is tried any more, until a
// reset (a short press of the black start button). Then, after the recovery hold, the BDU tries
// again. A regression guard: in the first firmware the PrechargeFailed input stayed 1
// (precharge_failures_ was cleared only in SelfTest or by a successful precharge), so the reset
// never released F17.
TEST(BduStateMachine, Refused_PrechargeFailure_F17LatchedUntilReset) {
  Rig rig;
  rig.hal.precharge_blocked = true;
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  ASSERT_TRUE(rig.run_until_state(S::Fault, 20000)) << rig.history();
  rig.advance(60000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  EXPECT_TRUE(rig.bdu.codes().has(Code::F17)) << "latched";
  rig.hal.precharge_blocked = false;  // the short behind the BDU is repaired
  const TimeMs reset_ms = rig.now();
  rig.press(kShortPress_ms);
  rig.advance(1000);
  EXPECT_FALSE(rig.bdu.codes().has(Code::F17))
      << "FIRMWARE BUG: a reset does not release the precharge F17\n"
      << rig.history();
  EXPECT_TRUE(rig.run_until_state(S::Idle, rig.config().fault_recovery_hold_ms + 5000))
      << rig.history();
  EXPECT_GE(rig.now() - reset_ms, rig.config().fault_recovery_hold_ms);
}

TEST(BduStateMachine, Refused_BlackStartDuringFault_ShortPressResetsOnly_LongPressShutsDown) {
  Rig rig;
  rig.modules.modules[1].codes.set(Code::F1);  // the fault stays for the whole test
  rig.hal.dc_switch_closed = true;
  rig.advance(500);
  rig.press(kActivatePress_ms);
  ASSERT_TRUE(rig.run_until_state(S::Fault, 10000)) << rig.history();
  rig.advance(2000);
  const TimeMs pressed_ms = rig.now();
  rig.press(kShortPress_ms);
  // The reset request goes to the modules; the state does not move and no relay closes.
  bool reset_sent = false;
  for (const link::BduCommand& command : rig.commands_since(pressed_ms)) {
    reset_sent = reset_sent || command.fault_reset_request;
  }
  EXPECT_TRUE(reset_sent) << "short press -> fault reset request in BDU_COMMAND";
  rig.advance(rig.config().fault_recovery_hold_ms + 5000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  EXPECT_EQ(rig.path_since(pressed_ms), std::vector<BduState>{}) << rig.history();
  EXPECT_TRUE(rig.hal.relay_events.empty()) << "no relay closes while the fault is there";
  const TimeMs long_ms = rig.now();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 5500)) << rig.history();
  EXPECT_GE(rig.now() - long_ms, BlackStartButton::kShutdownHold_ms);
  rig.hal.black_start_pressed = false;
  expect_shutdown(rig);
}

TEST(BduStateMachine, Refused_LatchedFault_ResetOnlyOnceTheCauseIsGone) {
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.modules.drive_inputs = false;     // the test sets the BAT IN inputs itself
  rig.hal.input_voltage_dV[0] = -3900;  // module 1 connected the wrong way round (F15)
  ASSERT_TRUE(rig.run_until_state(S::Fault, 1000)) << rig.history();
  rig.advance(500);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F15));
  rig.press(kShortPress_ms);  // reset while the cause is still there: refused
  rig.advance(1000);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F15));
  rig.modules.drive_inputs = true;  // cable corrected: the input reads the module again
  rig.advance(rig.config().fault_recovery_hold_ms + 10000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << "latched: no recovery without a reset\n" << rig.history();
  EXPECT_TRUE(rig.bdu.codes().has(Code::F15));
  EXPECT_TRUE(rig.hal.relay_events.empty());
  const TimeMs reset_ms = rig.now();
  rig.press(kShortPress_ms);
  rig.advance(500);
  EXPECT_FALSE(rig.bdu.codes().has(Code::F15)) << rig.history();
  rig.hal.dc_switch_closed = true;
  ASSERT_TRUE(rig.run_until_state(S::Idle, rig.config().fault_recovery_hold_ms + 5000))
      << rig.history();
  EXPECT_GE(rig.entered_at(S::Standby) - reset_ms, rig.config().fault_recovery_hold_ms);
}

// No module answers: the self test fails at its 10 s bound, F9 follows, and the BDU stays in
// Fault. The BDU had been shut down for a minute before the button was pressed. A regression
// guard: the first firmware entered Fault without an active fault (F9 needs 1 s), and the recovery
// hold counted from the start of the program, so Fault -> Standby fired at once and the lights
// showed Standby for a second before F9 took the BDU back to Fault.
TEST(BduStateMachine, Refused_NoModuleAnswers_SelfTestFails_FaultF9) {
  Rig rig(0);
  rig.hal.dc_switch_closed = true;
  rig.advance(60000);  // powered, shut down
  rig.press(kActivatePress_ms);
  const TimeMs self_test_ms = rig.entered_at(S::SelfTest);
  ASSERT_TRUE(rig.run_until_state(S::Fault, 11000)) << rig.history();
  EXPECT_GE(rig.now() - self_test_ms, rig.config().self_test_max_ms);
  const TimeMs fault_ms = rig.now();
  rig.advance(60000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  EXPECT_EQ(rig.path_since(fault_ms), std::vector<BduState>{})
      << "FIRMWARE BUG: Fault left without its recovery hold\n"
      << rig.history();
  EXPECT_TRUE(rig.bdu.codes().has(Code::F9));
  EXPECT_TRUE(rig.hal.relay_events.empty());
  expect_code_lights(rig, Code::F9);
}

TEST(BduStateMachine, Refused_DcSwitchOpen_StaysStandby) {
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  const TimeMs standby_ms = rig.now();
  rig.advance(120000);
  EXPECT_EQ(rig.bdu.state(), S::Standby) << rig.history();
  EXPECT_TRUE(rig.path_since(standby_ms).empty()) << rig.history();
  EXPECT_TRUE(rig.bdu.inverter_present());
  EXPECT_EQ(rig.bdu.modules_reporting(), 2);
  EXPECT_TRUE(rig.hal.relay_events.empty());
  EXPECT_TRUE(rig.bdu.codes().empty());
  expect_standby_lights(rig);
}

TEST(BduStateMachine, Refused_InverterSilent_ConnectsOnlyInsideBlackStartWindow) {
  Rig rig;
  rig.inverter.present = false;
  rig.hal.dc_switch_closed = true;
  rig.advance(500);
  rig.press(kActivatePress_ms);
  const TimeMs activated_ms = rig.entered_at(S::SelfTest);
  // Black start: no inverter, yet the BDU connects inside its window.
  ASSERT_TRUE(rig.run_until_state(S::Idle, 20000)) << rig.history();
  EXPECT_FALSE(rig.bdu.inverter_present());
  // The window ends: disconnect, and no new connection without the inverter.
  ASSERT_TRUE(rig.run_until_state(S::Opening, rig.config().black_start_window_ms)) << rig.history();
  EXPECT_GE(rig.now() - activated_ms, rig.config().black_start_window_ms);
  EXPECT_LT(rig.now() - activated_ms, rig.config().black_start_window_ms + 100);
  ASSERT_TRUE(rig.run_until_state(S::Standby, 50)) << rig.history();
  const TimeMs window_end_ms = rig.now();
  rig.hal.dc_switch_closed = false;  // someone toggles the DC switch: still no connection
  rig.advance(1000);
  rig.hal.dc_switch_closed = true;
  ASSERT_TRUE(rig.run_until_state(S::Fault, 65000)) << rig.history();
  EXPECT_GE(rig.now() - window_end_ms, 60000u) << "F9 after 60 s without the inverter";
  EXPECT_TRUE(rig.bdu.codes().has(Code::F9));
  EXPECT_FALSE(rig.visited_since(S::Precharge, window_end_ms)) << rig.history();
  EXPECT_FALSE(rig.energised_since(window_end_ms));
  // The inverter comes back: F9 clears, the hold passes, the BDU connects again.
  rig.inverter.present = true;
  EXPECT_TRUE(rig.run_until_state(S::Idle, 45000)) << rig.history();
}

TEST(BduStateMachine, Refused_ShutdownWhileConnected_RelaysOpenOnlyBelowBreakCurrent) {
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  rig.hal.black_start_pressed = false;
  const TimeMs opening_ms = rig.now();
  expect_opening_holds(rig);
  rig.advance(1500);
  rig.hal.load_current_dA = 25;  // 2.5 A: still above the 2 A break current
  rig.advance(500);
  EXPECT_EQ(rig.bdu.state(), S::Opening);
  EXPECT_EQ(rig.hal.coils(), kMainsClosed) << "never break more than 2 A before the bound";
  EXPECT_TRUE(rig.relay_events_since(opening_ms).empty());
  rig.hal.load_current_dA = 19;  // 1.9 A
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 50)) << rig.history();
  EXPECT_LT(rig.now() - opening_ms, rig.config().opening_bound_ms);
  for (const RelayEvent& event : rig.relay_events_since(opening_ms)) {
    EXPECT_FALSE(event.energised);
    EXPECT_EQ(event.time_ms, rig.now()) << "opened in the tick the current fell";
  }
  EXPECT_EQ(rig.hal.coils(), kAllOpen);
}

TEST(BduStateMachine, Refused_ShutdownWhileConnected_RelaysOpenAfterBound) {
  Rig rig;
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.hal.black_start_pressed = true;
  ASSERT_TRUE(rig.run_until_state(S::Opening, 5500)) << rig.history();
  rig.hal.black_start_pressed = false;
  const TimeMs opening_ms = rig.now();
  rig.advance(rig.config().opening_bound_ms - 20);
  EXPECT_EQ(rig.bdu.state(), S::Opening);
  EXPECT_EQ(rig.hal.coils(), kMainsClosed);
  ASSERT_TRUE(rig.run_until_state(S::Shutdown, 100)) << rig.history();
  EXPECT_EQ(rig.now() - opening_ms, rig.config().opening_bound_ms);
  EXPECT_EQ(rig.hal.coils(), kAllOpen);
  const auto positive_off = rig.relay_change_at(BduRelay::PositiveMain, false, opening_ms);
  ASSERT_TRUE(positive_off.has_value());
  EXPECT_EQ(*positive_off - opening_ms, rig.config().opening_bound_ms);
}

TEST(BduStateMachine, Refused_RelayWelded_F17) {
  Rig rig;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  rig.hal.weld(BduRelay::PositiveMain);
  rig.hal.dc_switch_closed = false;
  ASSERT_TRUE(rig.run_until_state(S::Standby, 300)) << rig.history();
  const TimeMs standby_ms = rig.now();
  EXPECT_FALSE(rig.hal.coil(BduRelay::PositiveMain));
  EXPECT_TRUE(rig.hal.auxiliary(BduRelay::PositiveMain)) << "welded: the contact stays closed";
  ASSERT_TRUE(rig.run_until_state(S::Fault, 1500)) << rig.history();
  EXPECT_GE(rig.now() - standby_ms, rig.config().relay_weld_detect_ms);
  EXPECT_TRUE(rig.bdu.codes().has(Code::F17));
  rig.advance(200);
  expect_code_lights(rig, Code::F17);
  // Welded stays welded: a reset does not release it and the BDU never tries to connect.
  rig.hal.dc_switch_closed = true;
  rig.press(kShortPress_ms);
  rig.advance(rig.config().fault_recovery_hold_ms + 5000);
  EXPECT_EQ(rig.bdu.state(), S::Fault) << rig.history();
  EXPECT_TRUE(rig.bdu.codes().has(Code::F17));
  EXPECT_FALSE(rig.energised_since(standby_ms));
}

TEST(BduStateMachine, Refused_PrechargeRetryWait_NoRelayActivity) {
  Rig rig;
  rig.hal.precharge_blocked = true;
  ASSERT_TRUE(rig.to_precharge()) << rig.history();
  const TimeMs precharge_ms = rig.now();
  ASSERT_TRUE(rig.run_until([&] { return rig.bdu.precharge_failures() == 1; }, 4000));
  const TimeMs first_failure_ms = rig.now();
  EXPECT_EQ(rig.hal.coils(), kAllOpen);
  ASSERT_TRUE(rig.run_until([&] { return rig.bdu.precharge_failures() == 2; }, 7000));
  const TimeMs second_failure_ms = rig.now();
  // Between a failure and the end of its wait: nothing at all happens on the relays.
  for (const RelayEvent& event : rig.relay_events_since(first_failure_ms + kTick_ms)) {
    if (event.time_ms < first_failure_ms + rig.config().precharge_retry_wait_ms) {
      ADD_FAILURE() << "relay activity at " << event.time_ms - first_failure_ms
                    << " ms into the retry wait";
    }
  }
  const auto second_attempt = rig.relay_change_at(BduRelay::NegativeMain, true, first_failure_ms);
  ASSERT_TRUE(second_attempt.has_value());
  EXPECT_GE(*second_attempt - first_failure_ms, rig.config().precharge_retry_wait_ms);
  EXPECT_LT(*second_attempt - first_failure_ms, rig.config().precharge_retry_wait_ms + 200);
  EXPECT_GT(second_failure_ms, *second_attempt);
  EXPECT_EQ(rig.bdu.state(), S::Precharge);
  EXPECT_FALSE(rig.visited_since(S::Standby, precharge_ms)) << rig.history();
}

// ---------------------------------------------------------------------------------------------
// The table itself

struct CoveredRow {
  BduState from;
  Guard guard;
  BduState to;
};

// Every row of bdu_transition_table() has its Transition_* scenario test above.
constexpr std::array<CoveredRow, 35> kCoveredRows{{
    {S::SelfTest, G::ShutdownPressed, S::Shutdown},
    {S::Standby, G::ShutdownPressed, S::Shutdown},
    {S::Fault, G::ShutdownPressed, S::Shutdown},
    {S::Updating, G::ShutdownPressed, S::Shutdown},
    {S::Precharge, G::ShutdownPressed, S::Opening},
    {S::Idle, G::ShutdownPressed, S::Opening},
    {S::Charge, G::ShutdownPressed, S::Opening},
    {S::Discharge, G::ShutdownPressed, S::Opening},
    {S::Shutdown, G::ActivatePressed, S::SelfTest},
    {S::SelfTest, G::SelfTestFailed, S::Fault},
    {S::SelfTest, G::SelfTestPassed, S::Standby},
    {S::Standby, G::FaultActive, S::Fault},
    {S::Standby, G::UpdateRequested, S::Updating},
    {S::Standby, G::ConnectWanted, S::Precharge},
    {S::Precharge, G::FaultActive, S::Opening},
    {S::Precharge, G::DisconnectWanted, S::Opening},
    {S::Precharge, G::PrechargeDone, S::Idle},
    {S::Precharge, G::PrechargeRetry, S::Precharge},
    {S::Precharge, G::PrechargeGaveUp, S::Opening},
    {S::Idle, G::FaultActive, S::Opening},
    {S::Charge, G::FaultActive, S::Opening},
    {S::Discharge, G::FaultActive, S::Opening},
    {S::Idle, G::DisconnectWanted, S::Opening},
    {S::Charge, G::DisconnectWanted, S::Opening},
    {S::Discharge, G::DisconnectWanted, S::Opening},
    {S::Idle, G::StartsDischarging, S::Discharge},
    {S::Idle, G::StartsCharging, S::Charge},
    {S::Charge, G::BecomesIdle, S::Idle},
    {S::Discharge, G::BecomesIdle, S::Idle},
    {S::Opening, G::OpeningDoneToFault, S::Fault},
    {S::Opening, G::OpeningDoneToShutdown, S::Shutdown},
    {S::Opening, G::OpeningDoneToStandby, S::Standby},
    {S::Fault, G::FaultsCleared, S::Standby},
    {S::Updating, G::UpdateFinished, S::SelfTest},
    {S::Standby, G::DeepDischarge, S::Shutdown},
}};

// Rows the table should have and has not (the two FIRMWARE BUG tests above); accepted here so
// that adding them does not break the coverage check.
constexpr std::array<CoveredRow, 2> kMissingRows{{
    {S::Charge, G::StartsDischarging, S::Discharge},
    {S::Discharge, G::StartsCharging, S::Charge},
}};

constexpr std::array<BduState, kBduStateCount> kAllStates{
    S::Shutdown, S::SelfTest,  S::Standby, S::Precharge, S::Idle,
    S::Charge,   S::Discharge, S::Opening, S::Fault,     S::Updating};

TEST(BduStateMachine, Table_EveryRowHasAScenarioTest) {
  for (const Transition& row : bdu_transition_table()) {
    const auto matches = [&](const CoveredRow& covered) {
      return covered.from == row.from && covered.guard == row.guard && covered.to == row.to;
    };
    const bool covered = std::any_of(kCoveredRows.begin(), kCoveredRows.end(), matches) ||
                         std::any_of(kMissingRows.begin(), kMissingRows.end(), matches);
    EXPECT_TRUE(covered) << "row without a scenario test: " << bdu_state_name(row.from) << " -> "
                         << bdu_state_name(row.to) << " (" << row.reason << ")";
  }
  for (const CoveredRow& covered : kCoveredRows) {
    EXPECT_TRUE(find_row(covered.from, covered.guard).has_value())
        << "a tested row is gone: " << bdu_state_name(covered.from) << " -> "
        << bdu_state_name(covered.to);
  }
}

TEST(BduStateMachine, Table_NoTwoRowsWithTheSameSourceAndGuard) {
  std::set<std::pair<int, int>> seen;
  for (const Transition& row : bdu_transition_table()) {
    const bool inserted =
        seen.insert({static_cast<int>(row.from), static_cast<int>(row.guard)}).second;
    EXPECT_TRUE(inserted) << "two rows " << bdu_state_name(row.from) << " with guard "
                          << static_cast<int>(row.guard);
  }
}

TEST(BduStateMachine, Table_EveryStateHasAWayInAndAWayOut) {
  for (BduState state : kAllStates) {
    bool way_in = false, way_out = false;
    for (const Transition& row : bdu_transition_table()) {
      way_in = way_in || (row.to == state && row.from != state);
      way_out = way_out || (row.from == state && row.to != state);
    }
    EXPECT_TRUE(way_in) << bdu_state_name(state);
    EXPECT_TRUE(way_out) << bdu_state_name(state);
  }
}

TEST(BduStateMachine, Table_EveryStateReachableFromShutdownAndBackToShutdown) {
  const auto reachable_from = [](BduState start, bool forward) {
    std::set<BduState> reached{start};
    bool grew = true;
    while (grew) {
      grew = false;
      for (const Transition& row : bdu_transition_table()) {
        const BduState a = forward ? row.from : row.to;
        const BduState b = forward ? row.to : row.from;
        if (reached.count(a) != 0 && reached.insert(b).second) grew = true;
      }
    }
    return reached;
  };
  const std::set<BduState> forward = reachable_from(S::Shutdown, true);
  const std::set<BduState> backward = reachable_from(S::Shutdown, false);
  for (BduState state : kAllStates) {
    EXPECT_EQ(forward.count(state), 1u) << bdu_state_name(state) << " unreachable from Shutdown";
    EXPECT_EQ(backward.count(state), 1u)
        << "no way from " << bdu_state_name(state) << " back to Shutdown";
  }
}

TEST(BduStateMachine, Table_EveryRowFiresOnItsGuardAlone) {
  for (const Transition& row : bdu_transition_table()) {
    const auto [conditions, after] = conditions_for(row.guard);
    const std::optional<Transition> fired = next_transition(row.from, conditions, after);
    ASSERT_TRUE(fired.has_value()) << row.reason;
    EXPECT_EQ(fired->guard, row.guard)
        << bdu_state_name(row.from) << ": " << row.reason << " is shadowed by an earlier row";
    EXPECT_EQ(fired->to, row.to);
  }
  // Nothing fires without a reason.
  for (BduState state : kAllStates) {
    for (AfterOpening after :
         {AfterOpening::Standby, AfterOpening::Fault, AfterOpening::Shutdown}) {
      EXPECT_FALSE(next_transition(state, BduConditions{}, after).has_value())
          << bdu_state_name(state);
    }
  }
}

TEST(BduStateMachine, Table_PriorityShutdownThenFaultThenConnect) {
  // A shutdown press beats a fault; a fault beats connecting; a fault during precharge beats its
  // completion; in Opening the outcome is the one chosen when Opening was entered.
  BduConditions c;
  c.shutdown_pressed = c.fault_active = c.connect_wanted = true;
  EXPECT_EQ(next_transition(S::Standby, c, AfterOpening::Standby)->to, S::Shutdown);
  EXPECT_EQ(next_transition(S::Discharge, c, AfterOpening::Standby)->guard, G::ShutdownPressed);
  c.shutdown_pressed = false;
  EXPECT_EQ(next_transition(S::Standby, c, AfterOpening::Standby)->to, S::Fault);
  c.precharge_done = true;
  EXPECT_EQ(next_transition(S::Precharge, c, AfterOpening::Standby)->guard, G::FaultActive);
  BduConditions opened;
  opened.opening_timed_out = true;
  EXPECT_EQ(next_transition(S::Opening, opened, AfterOpening::Shutdown)->to, S::Shutdown);
  EXPECT_EQ(next_transition(S::Opening, opened, AfterOpening::Fault)->to, S::Fault);
  EXPECT_FALSE(next_transition(S::Opening, BduConditions{}, AfterOpening::Fault).has_value())
      << "Opening waits for the current or the bound";
  // ConnectWanted itself refuses while a fault is active (the guard, not only the row order).
  BduConditions connect_into_fault;
  connect_into_fault.connect_wanted = connect_into_fault.fault_active = true;
  EXPECT_FALSE(guard_holds(G::ConnectWanted, connect_into_fault, AfterOpening::Standby));
  // A passed self test with a failed check is a failure.
  BduConditions both;
  both.self_test_passed = both.self_test_failed = true;
  EXPECT_EQ(next_transition(S::SelfTest, both, AfterOpening::Standby)->to, S::Fault);
}

TEST(BduStateMachine, Table_MemoAnswersAsTheTableOnRepeatsAndChanges) {
  // The controller asks through TransitionMemo every 10 ms. A walk that mostly repeats its last
  // question (as quiet ticks do) and sometimes flips one condition, the state or the outcome of
  // Opening must get the table's answer every time: after a "none", after a firing row, and when
  // the same conditions come back in another state.
  using C = BduConditions;
  static constexpr std::array kEveryCondition{&C::activate_pressed,
                                              &C::shutdown_pressed,
                                              &C::self_test_passed,
                                              &C::self_test_failed,
                                              &C::fault_active,
                                              &C::connect_wanted,
                                              &C::disconnect_wanted,
                                              &C::bus_ready,
                                              &C::precharge_done,
                                              &C::precharge_timed_out,
                                              &C::precharge_attempts_left,
                                              &C::charging,
                                              &C::discharging,
                                              &C::idle_current,
                                              &C::below_break_current,
                                              &C::opening_timed_out,
                                              &C::update_requested,
                                              &C::update_finished,
                                              &C::fault_hold_elapsed,
                                              &C::deep_discharge};
  static_assert(kEveryCondition.size() * sizeof(bool) == sizeof(BduConditions));
  TransitionMemo memo;
  BduConditions conditions;
  BduState state = S::Standby;
  AfterOpening after = AfterOpening::Standby;
  std::uint32_t seed = 12345;
  auto next_random = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  int fired = 0;
  int quiet = 0;
  for (int step = 0; step < 200000; ++step) {
    const std::uint32_t pick = next_random() % 100;
    if (pick < 8) {
      bool& flag = conditions.*kEveryCondition[next_random() % kEveryCondition.size()];
      flag = !flag;
    } else if (pick < 11) {
      state = kAllStates[next_random() % kAllStates.size()];
    } else if (pick < 12) {
      after = static_cast<AfterOpening>(next_random() % 3);
    }
    const std::optional<Transition> expected = next_transition(state, conditions, after);
    const std::optional<Transition> got = memo.next(state, conditions, after);
    ASSERT_EQ(got.has_value(), expected.has_value()) << "step " << step;
    if (expected) {
      ASSERT_EQ(got->guard, expected->guard) << "step " << step;
      ASSERT_EQ(got->to, expected->to) << "step " << step;
      ++fired;
    } else {
      ++quiet;
    }
  }
  // Both answers were exercised many times over.
  EXPECT_GT(fired, 10000);
  EXPECT_GT(quiet, 10000);
}

TEST(BduStateMachine, Table_StateNamesAndDisplayStates) {
  const std::array<const char*, kBduStateCount> names{
      "Shutdown", "SelfTest",  "Standby", "Precharge", "Idle",
      "Charge",   "Discharge", "Opening", "Fault",     "Updating"};
  for (std::size_t k = 0; k < kAllStates.size(); ++k) {
    EXPECT_STREQ(bdu_state_name(kAllStates[k]), names[k]);
    EXPECT_EQ(display_state_of(kAllStates[k]), expected_display(kAllStates[k])) << names[k];
  }
}

// ---------------------------------------------------------------------------------------------
// The 10 ms task run only when due (BduController::next_tick_ms, as the simulator runs it)

/// One life of a BDU: activation and self test, precharge, charging, a module fault with its
/// recovery hold, a reset press, an alarm reset and a remote disconnect from outside between
/// ticks, the inverter going silent and coming back, a shutdown press.
void live_a_day(Rig& rig) {
  ASSERT_TRUE(rig.to_charge()) << rig.history();
  rig.advance(5000);
  rig.modules.modules[1].codes.set(Code::F1);
  rig.advance(4000);
  rig.modules.modules[1].codes = CodeSet{};
  rig.advance(rig.config().fault_recovery_hold_ms + 5000);
  rig.press(kShortPress_ms);
  rig.advance(3000);
  // A blown fuse (F14 latches), replaced, and the alarm reset from the RS485 port at a time no
  // other work falls on (40 ms after a 100 ms task): the recovery hold counts from that tick.
  rig.hal.fuse_voltage_drop_dV = 300;
  rig.advance(3000);
  rig.hal.fuse_voltage_drop_dV = 0;
  rig.advance(8000);
  while (rig.now() % 100 != 40) rig.tick();
  rig.bdu.request_alarm_reset(rig.now());
  rig.advance(rig.config().fault_recovery_hold_ms + 5000);
  rig.bdu.request_alarm_reset(rig.now() + 3);  // the RS485 port, between two ticks
  rig.advance(2000);
  rig.bdu.set_remote_disconnect(true);
  rig.advance(6000);
  rig.bdu.set_remote_disconnect(false);
  rig.advance(20000);
  rig.inverter.present = false;
  rig.advance(75000);
  rig.inverter.present = true;
  rig.advance(10000);
  rig.press(kShutdownPress_ms);
  rig.advance(5000);
}

std::string relay_log(const Rig& rig) {
  std::ostringstream text;
  for (const RelayEvent& event : rig.hal.relay_events) {
    text << event.time_ms << " " << static_cast<int>(event.relay) << " " << event.energised << "\n";
  }
  return text.str();
}

std::string frame_log(const std::vector<fake::SentFrame>& frames) {
  std::ostringstream text;
  for (const fake::SentFrame& sent : frames) {
    text << sent.time_ms << " " << std::hex << sent.frame.id << std::dec << " "
         << static_cast<int>(sent.frame.dlc);
    for (std::uint8_t k = 0; k < sent.frame.dlc; ++k)
      text << " " << static_cast<int>(sent.frame.data[k]);
    text << "\n";
  }
  return text.str();
}

/// Activated without an inverter: connected for the black start window, then let go.
void live_a_black_start(Rig& rig) {
  rig.inverter.present = false;
  ASSERT_TRUE(rig.to_idle()) << rig.history();
  rig.advance(rig.config().black_start_window_ms + 10000);
}

void expect_same_lives(const Rig& every_tick, const Rig& when_due) {
  EXPECT_EQ(when_due.history(), every_tick.history());
  EXPECT_EQ(relay_log(when_due), relay_log(every_tick));
  EXPECT_EQ(frame_log(when_due.hal.link_sent), frame_log(every_tick.hal.link_sent));
  EXPECT_EQ(frame_log(when_due.hal.com_sent), frame_log(every_tick.hal.com_sent));
  EXPECT_EQ(when_due.hal.light_updates, every_tick.hal.light_updates);
  EXPECT_EQ(when_due.hal.nvm, every_tick.hal.nvm);
  EXPECT_EQ(when_due.bdu.codes(), every_tick.bdu.codes());
  EXPECT_LT(when_due.ticks_run * 2, every_tick.ticks_run)
      << "the BDU ran " << when_due.ticks_run << " of " << every_tick.ticks_run << " ticks";
}

/// A firmware update whose transfer ends between two 100 ms tasks: the restart into SelfTest
/// starts the self test's timers there (the modules keep their old version, so F16 follows).
void live_an_update(Rig& rig) {
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  request_update(rig, 37);
  rig.advance(30000);
}

TEST(BduFastPath, SelfTestAfterAnUpdateEndsAtTheSameTick) {
  Rig every_tick;
  Rig when_due;
  when_due.when_due_only = true;
  live_an_update(every_tick);
  live_an_update(when_due);
  expect_same_lives(every_tick, when_due);
  const TimeMs restarted_ms = every_tick.entered_at(S::SelfTest);
  ASSERT_TRUE(every_tick.visited_since(S::Updating, 0)) << every_tick.history();
  EXPECT_GT(restarted_ms % 100, 10u) << "the restart should fall where no task runs anyway";
  EXPECT_TRUE(every_tick.visited_since(S::Standby, restarted_ms)) << every_tick.history();
}

TEST(BduFastPath, BlackStartWindowRunsOutAtTheSameTick) {
  Rig every_tick;
  Rig when_due;
  when_due.when_due_only = true;
  live_a_black_start(every_tick);
  live_a_black_start(when_due);
  expect_same_lives(every_tick, when_due);
  EXPECT_TRUE(every_tick.visited_since(S::Opening, every_tick.config().black_start_window_ms))
      << every_tick.history();
}

TEST(BduFastPath, TicksSkippedUntilDueChangeNothing) {
  Rig every_tick;
  Rig when_due;
  when_due.when_due_only = true;
  live_a_day(every_tick);
  live_a_day(when_due);
  expect_same_lives(every_tick, when_due);
  // The day visited what it is meant to exercise, and the skipping skipped.
  const std::string history = every_tick.history();
  for (const char* state : {"SelfTest", "Precharge", "Charge", "Opening", "Fault", "Standby"}) {
    EXPECT_NE(history.find(state), std::string::npos) << state << " never entered:\n" << history;
  }
}

TEST(BduFastPath, AskedForEveryTickWhileTheButtonIsHeldOrASequenceRuns) {
  Rig rig;
  rig.hal.dc_switch_closed = false;
  rig.advance(500);
  rig.hal.black_start_pressed = true;
  rig.advance(300);  // sampled by a 100 ms task: held from then on
  EXPECT_EQ(rig.bdu.next_tick_ms(), rig.now() + 1) << "held: its hold time counts tick by tick";
  rig.advance(kActivatePress_ms - 300);
  rig.hal.black_start_pressed = false;
  rig.advance(200);
  ASSERT_TRUE(rig.run_until_state(S::Standby, 15000)) << rig.history();
  rig.hal.dc_switch_closed = true;
  ASSERT_TRUE(rig.run_until_state(S::Precharge, 500)) << rig.history();
  rig.advance(30);
  EXPECT_EQ(rig.bdu.next_tick_ms(), rig.now() + 1) << "precharge counts its phases in ticks";
}

TEST(BduFastPath, AQuietTickAsksForTheNextTaskOrTimerAndAnOutsideCallWakesIt) {
  Rig rig;
  ASSERT_TRUE(rig.to_standby()) << rig.history();
  rig.hal.dc_switch_closed = false;
  rig.advance(2000);
  // Somewhere in each 100 ms a tick finds nothing to do: it asks for no tick before the next
  // 100 ms task.
  bool quiet_seen = false;
  for (int k = 0; k < 10 && !quiet_seen; ++k) {
    rig.tick();
    quiet_seen = rig.bdu.next_tick_ms() > rig.now() + kTick_ms;
    if (quiet_seen) {
      EXPECT_LE(rig.bdu.next_tick_ms(), rig.now() + 100);
    }
  }
  EXPECT_TRUE(quiet_seen) << "no quiet tick in 100 ms of Standby";
  rig.bdu.request_alarm_reset(rig.now() + 5);
  EXPECT_EQ(rig.bdu.next_tick_ms(), 0u) << "an alarm reset from outside is seen at the next tick";
  rig.tick();
  rig.bdu.set_remote_disconnect(true);
  EXPECT_EQ(rig.bdu.next_tick_ms(), 0u);
}

// ---------------------------------------------------------------------------------------------
// The inverter timeout (BduConfig::inverter_timeout_ms): 60 s by default, longer for inverters
// that ask rarely. The relays open when it runs out and F9 follows 3 s later.

/// The first time (after since_ms) the code was active at the end of a tick, or 0.
TimeMs first_active_since(Rig& rig, Code code, TimeMs since_ms, TimeMs max_ms) {
  const TimeMs end_ms = rig.now() + max_ms;
  while (rig.now() < end_ms) {
    rig.tick();
    if (rig.now() > since_ms && rig.bdu.codes().has(code)) return rig.now();
  }
  return 0;
}

/// The inverter went silent after asking at last_ms: the BDU opens at last_ms + timeout_ms and F9
/// comes 3 s later, each judged in the 100 ms task (up to one task period after the exact time).
void expect_disconnect_then_f9(Rig& rig, TimeMs last_ms, TimeMs timeout_ms) {
  const TimeMs f9_ms = first_active_since(rig, Code::F9, last_ms, timeout_ms + 10000);
  ASSERT_NE(f9_ms, 0u) << rig.history();
  const TimeMs opened_ms = rig.entered_at(S::Opening);
  EXPECT_GE(opened_ms - last_ms, timeout_ms) << rig.history();
  EXPECT_LE(opened_ms - last_ms, timeout_ms + 110u) << rig.history();
  EXPECT_GE(f9_ms - last_ms, timeout_ms + 3000u);
  EXPECT_LE(f9_ms - last_ms, timeout_ms + 3000u + 110u);
}

TEST(BduInverterTimeout, DefaultSixtySecondsThenRelaysOpenAndF9ThreeSecondsLater) {
  Rig rig;
  ASSERT_EQ(rig.config().inverter_timeout_ms, 60000u);
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.advance(2000);
  rig.inverter.present = false;
  expect_disconnect_then_f9(rig, rig.inverter.last_asked_ms, 60000);
}

TEST(BduInverterTimeout, LongerTimeoutMovesTheDisconnectAndF9Together) {
  BduConfig config = test_config();
  config.inverter_timeout_ms = sofar::kInverterTimeoutLenient_ms;  // 120 s
  Rig rig(2, config);
  ASSERT_TRUE(rig.to_discharge()) << rig.history();
  rig.advance(2000);
  rig.inverter.present = false;
  const TimeMs last_ms = rig.inverter.last_asked_ms;
  rig.advance(100000);
  EXPECT_EQ(rig.bdu.state(), S::Discharge) << "100 s of silence is within the 120 s timeout";
  EXPECT_FALSE(rig.bdu.codes().has(Code::F9));
  expect_disconnect_then_f9(rig, last_ms, 120000);
  // The inverter asks again: F9 clears and, after the recovery hold, the BDU connects again.
  rig.inverter.present = true;
  ASSERT_TRUE(rig.run_until([&] { return !rig.bdu.codes().has(Code::F9); }, 5000)) << rig.history();
  ASSERT_TRUE(rig.run_until_state(S::Idle, rig.config().fault_recovery_hold_ms + 10000))
      << rig.history();
}

TEST(BduInverterTimeout, AnInverterAskingEveryNinetySecondsNeedsTheLongerTimeout) {
  const auto live = [](const BduConfig& config) {
    Rig rig(2, config);
    rig.inverter.period_ms = 90000;  // a Sofar that asks only now and then
    EXPECT_TRUE(rig.to_discharge()) << rig.history();
    const TimeMs since_ms = rig.now();
    rig.advance(300000);
    return std::pair{rig.visited_since(S::Fault, since_ms), rig.bdu.state()};
  };
  const auto [faulted_at_60s, state_at_60s] = live(test_config());
  EXPECT_TRUE(faulted_at_60s) << "60 s: the BDU drops out between two inquiries";
  BduConfig lenient = test_config();
  lenient.inverter_timeout_ms = sofar::kInverterTimeoutLenient_ms;
  const auto [faulted_at_120s, state_at_120s] = live(lenient);
  EXPECT_FALSE(faulted_at_120s);
  EXPECT_EQ(state_at_120s, S::Discharge);
}

}  // namespace
}  // namespace bts::firmware
