#pragma once
// A fake BDU hardware for driving the real BduController in tests: measurements the test sets
// directly, relays whose auxiliary contacts follow the coils after a delay (unless welded), a
// small "electrical" model of the DC link (precharge through a resistor, current through the main
// contacts), and a record of every relay change, light update and frame sent on Link and COM.
// FakeLinkModules plays 1..4 modules on the Link bus (address claim, status, measurements,
// extremes, info) and FakeInverter plays a Sofar inverter that asks for data every second.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"
#include "firmware/hal/bdu_hal.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"
#include "firmware/link/link_protocol.hpp"
#include "firmware/version.hpp"

namespace bts::firmware::fake {

struct SentFrame {
  TimeMs time_ms = 0;
  CanFrame frame;
};

struct RelayEvent {
  TimeMs time_ms = 0;
  BduRelay relay = BduRelay::PositiveMain;
  bool energised = false;
};

class FakeBduHal final : public BduHal {
 public:
  static constexpr std::size_t kRxCapacity = 256;  // a full FIFO drops the newest frame

  // ---- What the test sets (the world around the BDU) ----
  std::int32_t bat_in_voltage_dV = 0;
  std::int32_t output_voltage_dV = 0;  // overwritten by step() while `electrical` is on
  std::int32_t output_current_dA = 0;  // overwritten by step() while `electrical` is on
  std::int32_t fuse_voltage_drop_dV = 0;
  std::int16_t bdu_temperature_ddegC = 250;
  std::int16_t output_terminal_temperature_ddegC = 250;
  std::array<std::int32_t, kMaxModulesPerBdu> input_voltage_dV{};
  bool black_start_pressed = false;
  bool dc_switch_closed = true;

  // Relays: the auxiliary contact follows the coil after this delay; a welded contact, once
  // closed, stays closed whatever the coil does.
  TimeMs relay_delay_ms = 20;
  std::array<bool, 3> welded{};

  // Electrical model (step()): with the negative and precharge contacts closed the output
  // voltage rises towards BAT IN with precharge_tau_ms (or stays at 0 when precharge_blocked:
  // a short behind the BDU); with both main contacts closed it equals BAT IN and load_current_dA
  // flows; with the output open it decays towards 0 with decay_tau_ms.
  bool electrical = true;
  double precharge_tau_ms = 200.0;
  double decay_tau_ms = 2000.0;
  bool precharge_blocked = false;
  std::int32_t load_current_dA = 0;  // > 0 to the inverter (discharging)

  // ---- BduHal ----
  BduMeasurements sample() override {
    ++samples;
    BduMeasurements m;
    m.bat_in_voltage_dV = bat_in_voltage_dV;
    m.output_voltage_dV = output_voltage_dV;
    m.output_current_dA = output_current_dA;
    m.fuse_voltage_drop_dV = fuse_voltage_drop_dV;
    m.bdu_temperature_ddegC = bdu_temperature_ddegC;
    m.output_terminal_temperature_ddegC = output_terminal_temperature_ddegC;
    m.input_voltage_dV = input_voltage_dV;
    m.black_start_pressed = black_start_pressed;
    m.dc_switch_closed = dc_switch_closed;
    m.relay_auxiliary_closed = auxiliary_;
    return m;
  }

  void set_relay(BduRelay relay, bool energised) override {
    const auto index = static_cast<std::size_t>(relay);
    if (coil_[index] == energised) return;
    coil_[index] = energised;
    coil_changed_ms_[index] = now_ms_;
    relay_events.push_back({now_ms_, relay, energised});
  }

  bool link_send(const CanFrame& frame) override {
    link_sent.push_back({now_ms_, frame});
    return true;
  }
  bool link_receive(CanFrame& frame) override { return pop(link_rx_, frame); }
  void set_link_enable_out(bool enabled) override { link_enable_out = enabled; }
  bool com_send(const CanFrame& frame) override {
    com_sent.push_back({now_ms_, frame});
    return true;
  }
  bool com_receive(CanFrame& frame) override { return pop(com_rx_, frame); }
  void set_lights(const LightOutputs& outputs) override {
    lights = outputs;
    lights_time_ms = now_ms_;
    ++light_updates;
  }
  std::size_t nvm_read(std::span<std::uint8_t> destination) override {
    const std::size_t count = std::min(destination.size(), nvm.size());
    std::copy_n(nvm.begin(), count, destination.begin());
    return count;
  }
  bool nvm_write(std::span<const std::uint8_t> source) override {
    if (nvm_write_fails) return false;
    nvm.assign(source.begin(), source.end());
    return true;
  }

  // ---- The test's side of the buses ----
  void push_link(const CanFrame& frame) { push(link_rx_, frame); }
  void push_com(const CanFrame& frame) { push(com_rx_, frame); }
  /// A frame waits at the Link or COM port (what raises the controller's receive interrupt).
  bool frames_waiting() const { return !link_rx_.empty() || !com_rx_.empty(); }
  /// Whether a BDU ticked as the simulator ticks it runs its 10 ms task now: when it asked for
  /// it (BduController::next_tick_ms) or a frame waits.
  bool bdu_task_due(TimeMs now_ms, TimeMs next_tick_ms) const {
    return now_ms >= next_tick_ms || frames_waiting();
  }

  /// Advances the hardware to now_ms: auxiliary contacts, then the DC link.
  void step(TimeMs now_ms) {
    const double dt_ms = static_cast<double>(now_ms - now_ms_);
    now_ms_ = now_ms;
    for (std::size_t k = 0; k < 3; ++k) {
      if (now_ms_ - coil_changed_ms_[k] >= relay_delay_ms) auxiliary_[k] = coil_[k];
      if (welded[k] && coil_[k] && now_ms_ - coil_changed_ms_[k] >= relay_delay_ms) {
        stuck_closed_[k] = true;
      }
      if (welded[k] && stuck_closed_[k]) auxiliary_[k] = true;
    }
    if (!electrical) return;
    const bool positive = auxiliary_[0], negative = auxiliary_[1], precharge = auxiliary_[2];
    if (positive && negative) {
      output_voltage_dV = bat_in_voltage_dV;
      output_current_dA = load_current_dA;
      return;
    }
    output_current_dA = 0;
    if (negative && precharge) {
      if (precharge_blocked) {
        output_voltage_dV = 0;
      } else {
        output_voltage_dV = approach(output_voltage_dV, bat_in_voltage_dV, dt_ms, precharge_tau_ms);
      }
      return;
    }
    output_voltage_dV = approach(output_voltage_dV, 0, dt_ms, decay_tau_ms);
  }

  /// Welds a contact closed now (as if it had welded the last time it carried current).
  void weld(BduRelay relay) {
    const auto index = static_cast<std::size_t>(relay);
    welded[index] = true;
    stuck_closed_[index] = true;
  }

  TimeMs now_ms() const { return now_ms_; }
  bool coil(BduRelay relay) const { return coil_[static_cast<std::size_t>(relay)]; }
  bool auxiliary(BduRelay relay) const { return auxiliary_[static_cast<std::size_t>(relay)]; }
  std::array<bool, 3> coils() const { return coil_; }
  bool any_coil() const { return coil_[0] || coil_[1] || coil_[2]; }

  // ---- Records ----
  std::vector<RelayEvent> relay_events;  // commanded coil changes only
  std::vector<SentFrame> link_sent;
  std::vector<SentFrame> com_sent;
  bool link_enable_out = false;
  LightOutputs lights{};
  TimeMs lights_time_ms = 0;
  std::uint32_t light_updates = 0;
  std::uint32_t samples = 0;
  std::vector<std::uint8_t> nvm;
  bool nvm_write_fails = false;  // the record memory refuses writes (a failed EEPROM)

 private:
  static std::int32_t approach(std::int32_t value, std::int32_t target, double dt_ms,
                               double tau_ms) {
    const double next = target + (value - target) * std::exp(-dt_ms / tau_ms);
    return static_cast<std::int32_t>(std::lround(next));
  }
  static void push(std::deque<CanFrame>& queue, const CanFrame& frame) {
    if (queue.size() < kRxCapacity) queue.push_back(frame);
  }
  static bool pop(std::deque<CanFrame>& queue, CanFrame& frame) {
    if (queue.empty()) return false;
    frame = queue.front();
    queue.pop_front();
    return true;
  }

  TimeMs now_ms_ = 0;
  std::array<bool, 3> coil_{};
  std::array<TimeMs, 3> coil_changed_ms_{};
  std::array<bool, 3> auxiliary_{};
  std::array<bool, 3> stuck_closed_{};
  std::deque<CanFrame> link_rx_;
  std::deque<CanFrame> com_rx_;
};

/// One module as the BDU sees it on the Link bus.
struct FakeModule {
  std::uint32_t serial_number = 0;
  bool silent = false;  // never claims, never reports (a dead module or a cut cable)
  CodeSet codes;        // reported in MODULE_STATUS
  std::int32_t soc_permille = 500;
  std::int32_t stack_voltage_mV = 52800;
  std::int32_t min_cell_mV = 3300;
  std::int32_t max_cell_mV = 3310;
  std::int16_t min_temperature_ddegC = 250;
  std::int16_t max_temperature_ddegC = 260;
  FirmwareVersion version{0, 1, 0};
  // What happened to it.
  std::uint8_t address = link::kAddressUnassigned;
  std::uint8_t counter = 0;
};

/// Plays the modules of one BDU's Link daisy chain. Module k claims only when the modules
/// before it are addressed (its enable input follows the chain) and the BDU's enable out is high;
/// every module forgets its address when the BDU's enable out drops (it sleeps). While the
/// BDU asks for Run the modules' converters hold BAT IN at the BDU's reference (drive_bus), and
/// each BAT IN input reads the bus while its module runs (drive_inputs).
class FakeLinkModules {
 public:
  FakeLinkModules(FakeBduHal& hal, int count, FirmwareVersion version) : hal_(hal) {
    for (int k = 0; k < count; ++k) {
      FakeModule module;
      module.serial_number = 0x5A000001u + static_cast<std::uint32_t>(k);
      module.version = version;
      modules.push_back(module);
    }
  }

  std::vector<FakeModule> modules;
  bool drive_bus = true;     // BAT IN follows the reference while the BDU asks for Run
  bool drive_inputs = true;  // each module's BAT IN input reads what its converter puts out
  std::optional<link::BduCommand> last_command;

  void step(TimeMs now_ms) {
    for (; seen_ < hal_.link_sent.size(); ++seen_) handle(hal_.link_sent[seen_].frame);
    if (!hal_.link_enable_out) {
      for (FakeModule& module : modules) module.address = link::kAddressUnassigned;
      last_command.reset();
    }
    if (drive_bus) {
      const bool run = last_command && last_command->mode == link::RequestedMode::Run &&
                       std::any_of(modules.begin(), modules.end(), [](const FakeModule& m) {
                         return m.address != link::kAddressUnassigned && !m.silent;
                       });
      hal_.bat_in_voltage_dV = run ? last_command->bus_voltage_reference_dV : 0;
    }
    if (drive_inputs) {
      for (std::size_t k = 0; k < hal_.input_voltage_dV.size(); ++k) {
        const bool up = k < modules.size() && reporting(modules[k]);
        hal_.input_voltage_dV[k] = up ? hal_.bat_in_voltage_dV : 0;
      }
    }
    if (now_ms >= next_fast_ms_) {
      next_fast_ms_ = now_ms + link::kFastPeriod_ms;
      for (FakeModule& module : modules) send_fast(module);
    }
    if (now_ms >= next_slow_ms_) {
      next_slow_ms_ = now_ms + link::kSlowPeriod_ms;
      for (FakeModule& module : modules) send_info(module);
    }
  }

 private:
  bool reporting(const FakeModule& module) const {
    return !module.silent && module.address != link::kAddressUnassigned && hal_.link_enable_out;
  }

  void handle(const CanFrame& frame) {
    link::AddressRequest request;
    if (request.decode(frame)) {
      if (request.restart) {
        for (FakeModule& module : modules) module.address = link::kAddressUnassigned;
        return;
      }
      // Only the first unaddressed module of the chain has its enable input high.
      for (FakeModule& module : modules) {
        if (module.address != link::kAddressUnassigned) continue;
        if (module.silent || !hal_.link_enable_out) return;
        link::AddressClaim claim;
        claim.serial_number = module.serial_number;
        hal_.push_link(claim.encode());
        return;
      }
      return;
    }
    link::AddressAssign assign;
    if (assign.decode(frame)) {
      for (FakeModule& module : modules) {
        if (module.serial_number == assign.serial_number) module.address = assign.address;
      }
      return;
    }
    link::BduCommand command;
    if (command.decode(frame)) last_command = command;
  }

  link::ModuleState reported_state(const FakeModule& module) const {
    if (module.codes.any_fault()) return link::ModuleState::Fault;
    if (!last_command) return link::ModuleState::Standby;
    switch (last_command->mode) {
      case link::RequestedMode::Run:
        return link::ModuleState::Run;
      case link::RequestedMode::Off:
        return link::ModuleState::Off;
      case link::RequestedMode::Standby:
        return link::ModuleState::Standby;
    }
    return link::ModuleState::Standby;
  }

  void send_fast(FakeModule& module) {
    if (!reporting(module)) return;
    link::ModuleStatus status;
    status.module_address = module.address;
    status.state = reported_state(module);
    status.pcu_running = status.state == link::ModuleState::Run;
    status.enable_out_high = true;
    status.codes = module.codes;
    status.counter = module.counter++;
    hal_.push_link(status.encode());
    link::ModuleMeasurements measurements;
    measurements.module_address = module.address;
    measurements.stack_voltage_mV = module.stack_voltage_mV;
    measurements.bus_voltage_dV = hal_.bat_in_voltage_dV;
    measurements.soc_permille = module.soc_permille;
    hal_.push_link(measurements.encode());
    link::ModuleExtremes extremes;
    extremes.module_address = module.address;
    extremes.min_cell_mV = module.min_cell_mV;
    extremes.max_cell_mV = module.max_cell_mV;
    extremes.min_temperature_ddegC = module.min_temperature_ddegC;
    extremes.max_temperature_ddegC = module.max_temperature_ddegC;
    hal_.push_link(extremes.encode());
  }

  void send_info(const FakeModule& module) {
    if (!reporting(module)) return;
    link::ModuleInfo info;
    info.module_address = module.address;
    info.serial_number = module.serial_number;
    info.firmware_major = module.version.major;
    info.firmware_minor = module.version.minor;
    info.firmware_patch = module.version.patch;
    info.hardware_version = 1;
    hal_.push_link(info.encode());
  }

  FakeBduHal& hal_;
  std::size_t seen_ = 0;
  TimeMs next_fast_ms_ = 0;
  TimeMs next_slow_ms_ = 0;
};

/// Plays a Sofar inverter on COM: an inquiry (0x605) for this battery every second.
class FakeInverter {
 public:
  FakeInverter(FakeBduHal& hal, std::uint8_t battery_id) : hal_(hal), battery_id_(battery_id) {}
  bool present = true;
  bool pylon = false;        // poll with Pylon HV 0x4200 instead of Sofar 0x605
  TimeMs period_ms = 1000;   // how often it asks (some Sofar inverters: only now and then)
  TimeMs last_asked_ms = 0;  // when it last asked

  void step(TimeMs now_ms) {
    if (now_ms < next_ms_) return;
    next_ms_ = now_ms + period_ms;
    if (present) last_asked_ms = now_ms;
    if (!present) return;
    if (pylon) {
      hal_.push_com(pylon_hv::encode_command(pylon_hv::InverterCommand{}));
      return;
    }
    sofar::Inquiry inquiry;
    inquiry.battery_id = battery_id_;
    hal_.push_com(sofar::encode_inquiry(inquiry));
  }

 private:
  FakeBduHal& hal_;
  std::uint8_t battery_id_;
  TimeMs next_ms_ = 0;
};

}  // namespace bts::firmware::fake
