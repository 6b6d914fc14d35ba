#pragma once
// The lockstep simulator: one clock (integer microseconds), the plant stepped every plant_step
// (100 ms by default: the converters' fast loops are solved inside a step), the firmware nodes'
// 10 ms tasks on the 10 ms grid (a module BMS when a frame waits or a task is due, a BDU when it
// has something to do or a frame waits: each as its own MCU would see it), frames crossing modelled
// CAN buses (a Link bus per BDU, the COM bus shared by the BDUs and the inverter), scenario events
// applied at their times, snapshots recorded.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/module_bms/module_bms.hpp"
#include "plant/system_plant.hpp"
#include "sim/can_bus.hpp"
#include "sim/expectations.hpp"
#include "sim/inverter_link.hpp"
#include "sim/plant_hal.hpp"
#include "sim/scenario.hpp"
#include "sim/snapshot.hpp"

namespace bts::sim {

struct RunnerOptions {
  double plant_step_s = 0.1;  // a multiple of the 10 ms firmware tick
  double record_interval_s = 60.0;
  std::function<void(double)> progress;  // share done, now and then
  /// A real inverter (or tool) is on the inverter CAN port (`bts run`): the COM bus gets an
  /// external port, the simulated inverter only listens, and the BDUs' COM receive runs as an
  /// interrupt between ticks (every kComService_us) so polls are answered within a frame time.
  bool external_inverter = false;
  /// Runs every BDU's 10 ms task at every tick instead of only when it has something to do: the
  /// reference the skipping is checked against (tests), never faster.
  bool tick_bdus_every_10ms = false;
};

struct RunResult {
  std::vector<SystemSnapshot> snapshots;
  std::vector<CodeEvent> code_events;
  std::vector<StateEvent> state_events;
  std::vector<ExpectationResult> expectations;
  double simulated_s = 0.0;
  double wall_s = 0.0;
  std::uint64_t ticks = 0;
  plant::PlantExtremes extremes;
  bool protection_limits_held = true;
  std::string protection_message;
  double energy_discharged_Wh = 0.0;  // at BAT OUT, all BDUs
  double energy_charged_Wh = 0.0;
  bool all_expectations_held() const;
};

class LockstepRunner {
 public:
  static constexpr std::uint64_t kTick_us = 10000;

  LockstepRunner(const plant::SystemDescription& description, const Scenario& scenario,
                 const RunnerOptions& options = {});
  ~LockstepRunner();
  LockstepRunner(const LockstepRunner&) = delete;
  LockstepRunner& operator=(const LockstepRunner&) = delete;

  /// Runs to the scenario's duration (or duration_s when given) and returns everything recorded.
  RunResult run(double duration_s);
  /// Advances to a time (for tests); records nothing but events.
  void advance_to(double time_s);
  /// Advances to a time in microseconds; with an external inverter, the BDUs' COM port is also
  /// serviced between ticks, so a frame from outside is answered at once (paced runs).
  void advance_to_us(std::uint64_t target_us);
  static constexpr std::uint64_t kComService_us = 250;
  /// The external inverter port (RunnerOptions::external_inverter): a frame from outside onto the
  /// COM bus, and the frames the bus delivered to it. False when there is no such port or its
  /// queue is full / empty.
  bool send_external(const firmware::CanFrame& frame);
  bool receive_external(firmware::CanFrame& frame);
  /// Time up to which the COM bus has been serviced (the external port's "now").
  std::uint64_t serviced_us() const { return serviced_us_; }
  double time_s() const { return static_cast<double>(now_us_) * 1e-6; }
  SystemSnapshot snapshot() const;

  plant::SystemPlant& plant() { return *plant_; }
  firmware::BduController& bdu(int index) { return *bdus_[static_cast<std::size_t>(index)]; }
  firmware::ModuleBms& module(int bdu, int index) {
    return *modules_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(index)];
  }
  PlantModuleHal& module_hal(int bdu, int index) {
    return *module_hals_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(index)];
  }
  CanBus& link_bus(int bdu) { return *link_buses_[static_cast<std::size_t>(bdu)]; }
  CanBus& com_bus() { return *com_bus_; }
  InverterLink& inverter_link() { return *inverter_link_; }
  const std::vector<CodeEvent>& code_events() const { return code_events_; }
  const std::vector<StateEvent>& state_events() const { return state_events_; }

 private:
  void build_nodes();
  void make_module(int bdu, int module, const firmware::FirmwareVersion& version);
  void tick();
  void apply_due_events();
  void apply_event(const ScenarioEvent& event);
  void update_wiring();
  void collect_events();
  void check_protection_limits();
  void service_com(std::uint64_t at_us);

  plant::SystemDescription description_;
  Scenario scenario_;
  RunnerOptions options_;
  std::uint64_t now_us_ = 0;       // the next tick
  std::uint64_t hal_time_us_ = 0;  // the time the nodes' HALs see (a tick or a COM service)
  std::uint64_t plant_step_us_ = 100000;
  std::unique_ptr<plant::SystemPlant> plant_;
  std::vector<std::unique_ptr<CanBus>> link_buses_;
  std::unique_ptr<CanBus> com_bus_;
  std::vector<LinkChain> chains_;
  std::vector<std::vector<int>> module_ports_;
  std::vector<int> bdu_link_ports_;
  std::vector<int> bdu_com_ports_;
  int inverter_port_ = -1;
  int service_tool_port_ = -1;
  int external_port_ = -1;
  std::uint64_t serviced_us_ = 0;
  std::vector<std::vector<std::unique_ptr<PlantModuleHal>>> module_hals_;
  std::vector<std::vector<std::unique_ptr<firmware::ModuleBms>>> modules_;
  std::vector<std::unique_ptr<PlantBduHal>> bdu_hals_;
  std::vector<std::unique_ptr<firmware::BduController>> bdus_;
  std::unique_ptr<InverterLink> inverter_link_;
  std::size_t next_event_ = 0;
  struct PendingRelease {
    std::uint64_t at_us;
    int bdu;
  };
  std::vector<PendingRelease> button_releases_;
  std::vector<firmware::BduState> bdu_states_;
  std::vector<std::vector<firmware::ModuleState>> module_states_;
  // A module's events and state can change only when it ticks (or is made anew): collect_events()
  // looks only at the modules flagged here since it last looked (per BDU, bit m for module m).
  std::vector<std::uint64_t> modules_ran_;
  // Each module's next_task_ms(), kept beside the runner's other per-tick data: it changes only
  // when the module ticks (or is made anew), and reading it from every module's object each
  // 10 ms tick missed the cache (1-2 % of the run in perf).
  std::vector<std::vector<firmware::TimeMs>> module_due_ms_;
  static_assert(plant::SystemDescription::kMaxModulesPerBdu <= 64);
  std::vector<CodeEvent> code_events_;
  std::vector<StateEvent> state_events_;
  bool protection_held_ = true;
  std::string protection_message_;
};

}  // namespace bts::sim
