#include "sim/lockstep_runner.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <utility>

#include "firmware/update/update_protocol.hpp"
#include "firmware/version.hpp"

namespace bts::sim {

namespace {

std::uint32_t serial_from_text(const std::string& text, std::uint32_t fallback) {
  if (text.empty()) return fallback;
  std::uint32_t hash = 2166136261u;  // FNV-1a: a stable 32-bit number for a serial string
  for (char c : text) hash = (hash ^ static_cast<std::uint8_t>(c)) * 16777619u;
  return hash == 0 ? fallback : hash;
}

std::string bdu_node_name(int bdu) { return "BDU" + std::to_string(bdu + 1); }
std::string module_node_name(int bdu, int module) {
  return bdu_node_name(bdu) + ".M" + std::to_string(module + 1);
}

}  // namespace

bool RunResult::all_expectations_held() const {
  return std::all_of(expectations.begin(), expectations.end(),
                     [](const ExpectationResult& r) { return r.passed; });
}

LockstepRunner::LockstepRunner(const plant::SystemDescription& description,
                               const Scenario& scenario, const RunnerOptions& options)
    : description_(description), scenario_(scenario), options_(options) {
  plant_step_us_ = std::max<std::uint64_t>(
      kTick_us,
      static_cast<std::uint64_t>(std::llround(options.plant_step_s * 1e6)) / kTick_us * kTick_us);
  std::stable_sort(
      scenario_.events.begin(), scenario_.events.end(),
      [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.time_s < b.time_s; });
  std::stable_sort(scenario_.expectations.begin(), scenario_.expectations.end(),
                   [](const Expectation& a, const Expectation& b) { return a.time_s < b.time_s; });
  plant_ = std::make_unique<plant::SystemPlant>(description_);
  build_nodes();
  if (scenario_.start_activated) {
    // The installer's start: DC switch on, black start pressed for 1.5 s on every BDU.
    for (int b = 0; b < plant_->bdu_count(); ++b) {
      plant_->bdu(b).set_dc_switch_closed(true);
      plant_->bdu(b).set_black_start_pressed(true);
      button_releases_.push_back({1500000, b});
    }
  }
  update_wiring();
}

LockstepRunner::~LockstepRunner() = default;

void LockstepRunner::build_nodes() {
  const int bdu_count = plant_->bdu_count();
  chains_.resize(static_cast<std::size_t>(bdu_count));
  com_bus_ = std::make_unique<CanBus>("com", 500000, description_.seed ^ 0xC0Cull);
  inverter_port_ = com_bus_->attach("inverter");
  service_tool_port_ = com_bus_->attach("service-tool");
  // The service tool only sends (update requests); its controller takes frames addressed to it
  // alone, so the BDU network's traffic does not fill a queue nobody reads.
  com_bus_->add_acceptance_filter(
      service_tool_port_, std::uint32_t{firmware::update::kAddressServiceTool} << 8, 0xFFu << 8);
  // A real inverter may poll faster than the modelled one and gets bursts of answers back.
  if (options_.external_inverter) {
    external_port_ = com_bus_->attach("external", 512, 4096);
    // A real peer's frames take the time they take on a real wire (the worst-case bound used to
    // check the simulated schedules would turn a fully loaded real bus into an overloaded one).
    com_bus_->set_stuffing_model(StuffingModel::Exact);
  }
  module_hals_.resize(static_cast<std::size_t>(bdu_count));
  modules_.resize(static_cast<std::size_t>(bdu_count));
  module_ports_.resize(static_cast<std::size_t>(bdu_count));
  module_states_.resize(static_cast<std::size_t>(bdu_count));
  modules_ran_.resize(static_cast<std::size_t>(bdu_count));
  module_due_ms_.resize(static_cast<std::size_t>(bdu_count));
  for (int b = 0; b < bdu_count; ++b) {
    link_buses_.push_back(
        std::make_unique<CanBus>("link" + std::to_string(b + 1), 500000,
                                 description_.seed ^ (0x1100ull + static_cast<std::uint64_t>(b))));
    CanBus& link = *link_buses_.back();
    bdu_link_ports_.push_back(link.attach(bdu_node_name(b)));
    bdu_com_ports_.push_back(com_bus_->attach(bdu_node_name(b)));
    for (int m = 0; m < plant_->module_count(b); ++m) {
      // The module's firmware programs its controller's acceptance filters at start-up and
      // whenever its address changes (link::module_acceptance_filters).
      module_ports_[static_cast<std::size_t>(b)].push_back(link.attach(module_node_name(b, m)));
      module_hals_[static_cast<std::size_t>(b)].push_back(std::make_unique<PlantModuleHal>(
          *plant_, b, m, link, module_ports_[static_cast<std::size_t>(b)].back(),
          chains_[static_cast<std::size_t>(b)], hal_time_us_));
      modules_[static_cast<std::size_t>(b)].push_back(nullptr);
      module_due_ms_[static_cast<std::size_t>(b)].push_back(0);
      make_module(b, m, firmware::built_firmware_version());
      module_states_[static_cast<std::size_t>(b)].push_back(
          modules_[static_cast<std::size_t>(b)].back()->state());
    }
    bdu_hals_.push_back(std::make_unique<PlantBduHal>(
        *plant_, b, link, bdu_link_ports_.back(), *com_bus_, bdu_com_ports_.back(),
        chains_[static_cast<std::size_t>(b)], hal_time_us_));
    firmware::BduConfig config;
    config.bdu_index = static_cast<std::uint8_t>(b);
    config.serial_number = serial_from_text(
        description_.bdus[static_cast<std::size_t>(b)].serial_number, 0xB0000000u + b);
    config.firmware_version = firmware::built_firmware_version();
    config.expect_peer = bdu_count > 1;
    config.inverter_protocol = scenario_.inverter_protocol;
    config.pylon_dialect = scenario_.pylon_dialect;
    config.inverter_timeout_ms = static_cast<std::uint32_t>(scenario_.inverter_timeout_ms);
    config.module_sharing = scenario_.module_sharing;
    bdus_.push_back(std::make_unique<firmware::BduController>(*bdu_hals_.back(), config));
    bdu_states_.push_back(bdus_.back()->state());
  }
  InverterLinkOptions link_options;
  link_options.protocol = scenario_.inverter_protocol;
  link_options.pylon_dialect = scenario_.pylon_dialect;
  link_options.passive = options_.external_inverter;
  link_options.poll_interval_us = scenario_.inverter_poll_interval_us;
  inverter_link_ = std::make_unique<InverterLink>(*com_bus_, inverter_port_, plant_->inverter(),
                                                  bdu_count, link_options);
}

void LockstepRunner::make_module(int bdu, int module, const firmware::FirmwareVersion& version) {
  firmware::ModuleBmsConfig config;
  config.serial_number =
      serial_from_text(description_.bdus[static_cast<std::size_t>(bdu)]
                           .modules[static_cast<std::size_t>(module)]
                           .serial_number,
                       0x50000000u + static_cast<std::uint32_t>(bdu * 16 + module));
  config.firmware_version = version;
  config.capacity_mAh =
      static_cast<std::int32_t>(std::lround(description_.cell.nominal_capacity_Ah * 1000.0));
  modules_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(module)] =
      std::make_unique<firmware::ModuleBms>(
          *module_hals_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(module)], config);
  modules_ran_[static_cast<std::size_t>(bdu)] |= std::uint64_t{1} << module;
  module_due_ms_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(module)] =
      modules_[static_cast<std::size_t>(bdu)][static_cast<std::size_t>(module)]->next_task_ms();
}

void LockstepRunner::update_wiring() {
  for (int b = 0; b < plant_->bdu_count(); ++b) {
    const plant::BduWiring& wiring = plant_->wiring(b);
    CanBus& link = *link_buses_[static_cast<std::size_t>(b)];
    // The BDU end of the Link bus is terminated inside the BDU; the far end by the resistor on the
    // last module. Without it segment 0 reflects; a segment cut off beyond a cable has nobody
    // to talk to anyway.
    link.set_terminated(0, wiring.terminal_resistor_present);
    for (int m = 0; m < plant_->module_count(b); ++m) {
      const bool beyond_cut =
          wiring.link_cable_cut_before_module >= 0 && m >= wiring.link_cable_cut_before_module;
      link.set_segment(module_ports_[static_cast<std::size_t>(b)][static_cast<std::size_t>(m)],
                       beyond_cut ? 1 : 0);
    }
  }
  // COM daisy chain: inverter - BDU1 - BDU2.
  bool inverter_cut = false;
  for (int b = 0; b < plant_->bdu_count(); ++b)
    inverter_cut |= plant_->wiring(b).inverter_communication_cut;
  com_bus_->set_segment(inverter_port_, inverter_cut ? 1 : 0);
  if (plant_->bdu_count() > 1)
    com_bus_->set_segment(bdu_com_ports_[1], plant_->bdu_network_cable_cut() ? 2 : 0);
}

void LockstepRunner::apply_event(const ScenarioEvent& event) {
  switch (event.kind) {
    case ScenarioEventKind::PressBlackStart:
      plant_->bdu(event.bdu).set_black_start_pressed(true);
      button_releases_.push_back(
          {now_us_ + static_cast<std::uint64_t>(std::llround(event.duration_s * 1e6)), event.bdu});
      break;
    case ScenarioEventKind::SetDcSwitch:
      plant_->bdu(event.bdu).set_dc_switch_closed(event.flag);
      break;
    case ScenarioEventKind::InjectFault:
    case ScenarioEventKind::ClearFault:
      plant_->set_fault(event.fault, event.kind == ScenarioEventKind::InjectFault);
      update_wiring();
      break;
    case ScenarioEventKind::SilenceInverter:
      inverter_link_->set_silent(event.flag);
      break;
    case ScenarioEventKind::SetHouseholdPower: {
      plant::HouseholdProfileParameters household;
      household.kind = plant::HouseholdProfileKind::ConstantPower;
      household.constant_power_W = event.value;
      plant_->inverter().set_household(household);
      break;
    }
    case ScenarioEventKind::SetAmbient:
      // The weather: modules and BDU enclosures alike (not a per-module override).
      plant_->set_ambient_degC(event.value);
      break;
    case ScenarioEventKind::InstallFirmware: {
      const firmware::FirmwareVersion version{static_cast<std::uint8_t>(event.version.major),
                                              static_cast<std::uint8_t>(event.version.minor),
                                              static_cast<std::uint8_t>(event.version.patch)};
      if (event.module >= 0)
        make_module(event.bdu, event.module, version);  // the module reboots on it
      break;
    }
    case ScenarioEventKind::RequestFirmwareUpdate: {
      firmware::update::Start request;
      request.version = {static_cast<std::uint8_t>(event.version.major),
                         static_cast<std::uint8_t>(event.version.minor),
                         static_cast<std::uint8_t>(event.version.patch)};
      request.blocks = firmware::update::kDefaultBlocks;
      const std::uint8_t address = event.bdu == 0 ? 0x80 : 0x81;  // BDU network addresses
      com_bus_->send(service_tool_port_, firmware::update::encode_request(address, request),
                     now_us_);
      break;
    }
  }
}

void LockstepRunner::apply_due_events() {
  while (next_event_ < scenario_.events.size() &&
         static_cast<std::uint64_t>(std::llround(scenario_.events[next_event_].time_s * 1e6)) <=
             now_us_) {
    apply_event(scenario_.events[next_event_]);
    ++next_event_;
  }
  for (auto it = button_releases_.begin(); it != button_releases_.end();) {
    if (it->at_us <= now_us_) {
      plant_->bdu(it->bdu).set_black_start_pressed(false);
      it = button_releases_.erase(it);
    } else {
      ++it;
    }
  }
}

void LockstepRunner::tick() {
  hal_time_us_ = now_us_;
  apply_due_events();
  for (auto& link : link_buses_) link->advance_to(now_us_);
  com_bus_->advance_to(now_us_);
  const firmware::TimeMs now_ms = now_us_ / 1000;
  // Module BMSs are interrupt driven on their fast path: they run when a Link frame is waiting
  // or a periodic task is due, exactly as a tickless MCU would; the BDUs below likewise.
  // Each BDU's rows taken once (the firmware calls cannot change them, but the compiler cannot
  // know that and would reload them for every module).
  for (std::size_t b = 0; b < modules_.size(); ++b) {
    CanBus& link = *link_buses_[b];
    const std::unique_ptr<firmware::ModuleBms>* const modules = modules_[b].data();
    const int* const ports = module_ports_[b].data();
    firmware::TimeMs* const due_ms = module_due_ms_[b].data();
    const std::size_t module_count = modules_[b].size();
    std::uint64_t ran = 0;
    for (std::size_t m = 0; m < module_count; ++m) {
      if (now_ms >= due_ms[m] || link.rx_pending(ports[m]) > 0) {
        firmware::ModuleBms& module = *modules[m];
        module.tick(now_ms);
        due_ms[m] = module.next_task_ms();
        ran |= std::uint64_t{1} << m;
      }
    }
    modules_ran_[b] |= ran;
  }
  // The BDUs' 10 ms task runs when it has something to do (next_tick_ms) or a frame waits at
  // their Link or COM port; a tick skipped otherwise would change nothing (docs/firmware.md,
  // "Tasks and periods").
  for (std::size_t b = 0; b < bdus_.size(); ++b) {
    firmware::BduController& bdu = *bdus_[b];
    if (options_.tick_bdus_every_10ms || now_ms >= bdu.next_tick_ms() ||
        link_buses_[b]->rx_pending(bdu_link_ports_[b]) > 0 ||
        com_bus_->rx_pending(bdu_com_ports_[b]) > 0) {
      bdu.tick(now_ms);
    }
  }
  inverter_link_->tick(now_us_);
  collect_events();
  if (now_us_ % plant_step_us_ == 0) {
    plant_->step(static_cast<double>(plant_step_us_) * 1e-6);
    check_protection_limits();
  }
  now_us_ += kTick_us;
}

void LockstepRunner::collect_events() {
  const double time_s = this->time_s();
  for (std::size_t b = 0; b < bdus_.size(); ++b) {
    firmware::DiagnosisEvent event;
    while (bdus_[b]->pop_event(event)) {
      code_events_.push_back({static_cast<double>(event.time_ms) * 1e-3,
                              bdu_node_name(static_cast<int>(b)), event.code, event.raised});
    }
    const firmware::BduState state = bdus_[b]->state();
    if (bdu_states_[b] != state) {
      state_events_.push_back({time_s, bdu_node_name(static_cast<int>(b)),
                               firmware::bdu_state_name(bdu_states_[b]),
                               firmware::bdu_state_name(state)});
      bdu_states_[b] = state;
    }
    // The modules that ran since the last look, in order (nothing below makes one run).
    for (std::uint64_t ran = std::exchange(modules_ran_[b], 0); ran != 0; ran &= ran - 1) {
      const auto m = static_cast<std::size_t>(std::countr_zero(ran));
      while (modules_[b][m]->pop_event(event)) {
        code_events_.push_back({static_cast<double>(event.time_ms) * 1e-3,
                                module_node_name(static_cast<int>(b), static_cast<int>(m)),
                                event.code, event.raised});
      }
      const firmware::ModuleState module_state = modules_[b][m]->state();
      if (module_states_[b][m] != module_state) {
        state_events_.push_back({time_s, module_node_name(static_cast<int>(b), static_cast<int>(m)),
                                 firmware::module_state_name(module_states_[b][m]),
                                 firmware::module_state_name(module_state)});
        module_states_[b][m] = module_state;
      }
    }
  }
}

void LockstepRunner::check_protection_limits() {
  if (!protection_held_) return;
  const plant::PlantExtremes& extremes = plant_->extremes();
  char message[200];
  if (extremes.cell_voltage_max_V > scenario_.protection_max_cell_voltage_V) {
    std::snprintf(message, sizeof message, "at %.1f s a cell reached %.3f V (limit %.2f V)",
                  time_s(), extremes.cell_voltage_max_V, scenario_.protection_max_cell_voltage_V);
  } else if (extremes.cell_voltage_min_V < scenario_.protection_min_cell_voltage_V) {
    std::snprintf(message, sizeof message, "at %.1f s a cell fell to %.3f V (limit %.2f V)",
                  time_s(), extremes.cell_voltage_min_V, scenario_.protection_min_cell_voltage_V);
  } else if (extremes.cell_temperature_max_degC > scenario_.protection_max_cell_temperature_degC) {
    std::snprintf(message, sizeof message, "at %.1f s a cell reached %.1f degC (limit %.1f degC)",
                  time_s(), extremes.cell_temperature_max_degC,
                  scenario_.protection_max_cell_temperature_degC);
  } else {
    return;
  }
  protection_held_ = false;
  protection_message_ = message;
}

void LockstepRunner::advance_to_us(std::uint64_t target_us) {
  while (true) {
    if (now_us_ <= target_us) {
      tick();
      serviced_us_ = now_us_ - kTick_us;
      continue;
    }
    // Between ticks: only the COM port, and only when something outside can talk to it.
    if (external_port_ < 0) return;
    while (serviced_us_ + kComService_us <= target_us && serviced_us_ + kComService_us < now_us_) {
      serviced_us_ += kComService_us;
      service_com(serviced_us_);
    }
    return;
  }
}

void LockstepRunner::service_com(std::uint64_t at_us) {
  hal_time_us_ = at_us;  // what the BDUs' HALs stamp their frames with
  com_bus_->advance_to(at_us);
  for (std::size_t b = 0; b < bdus_.size(); ++b) {
    if (com_bus_->rx_pending(bdu_com_ports_[b]) > 0) bdus_[b]->on_com_receive(at_us / 1000);
  }
}

bool LockstepRunner::send_external(const firmware::CanFrame& frame) {
  return external_port_ >= 0 && com_bus_->send(external_port_, frame, serviced_us_);
}

bool LockstepRunner::receive_external(firmware::CanFrame& frame) {
  return external_port_ >= 0 && com_bus_->receive(external_port_, frame);
}

void LockstepRunner::advance_to(double time_s) {
  const auto target_us = static_cast<std::uint64_t>(std::llround(time_s * 1e6));
  while (now_us_ <= target_us) tick();
}

SystemSnapshot LockstepRunner::snapshot() const {
  SystemSnapshot snapshot;
  snapshot.time_s = time_s();
  snapshot.ambient_degC = plant_->ambient_temperature_degC();
  snapshot.household_request_W = plant_->inverter().household_request_W();
  for (std::size_t b = 0; b < bdus_.size(); ++b) {
    const firmware::BduController& bdu = *bdus_[b];
    const firmware::BduMeasurements& measured = bdu.last_measurements();
    BduSnapshot out;
    out.state = firmware::bdu_state_name(bdu.state());
    out.display = firmware::display_state_of(bdu.state());
    out.lights = bdu.lights();
    out.codes = bdu.codes();
    out.relays_closed = measured.relay_auxiliary_closed[0] && measured.relay_auxiliary_closed[1];
    out.precharge_closed = measured.relay_auxiliary_closed[2];
    out.bus_voltage_V = measured.bat_in_voltage_dV * 0.1;
    out.output_voltage_V = measured.output_voltage_dV * 0.1;
    out.output_current_A = measured.output_current_dA * 0.1;
    out.soc_percent = bdu.soc_permille() * 0.1;
    out.soc_uncertainty_percent = bdu.soc_uncertainty_permille() * 0.1;
    out.soh_percent = bdu.soh_permille() * 0.1;
    out.calibration_requested = bdu.calibration_charge_requested();
    const firmware::InverterFacingValues& limits = bdu.inverter_values();
    out.limits_valid = limits.valid;
    out.charge_voltage_limit_V = limits.charge_voltage_limit_dV * 0.1;
    out.discharge_voltage_limit_V = limits.discharge_voltage_limit_dV * 0.1;
    out.charge_current_limit_A = limits.charge_current_limit_dA * 0.1;
    out.discharge_current_limit_A = limits.discharge_current_limit_dA * 0.1;
    out.inverter_current_A =
        plant_->inverter().input_current_A(std::min<int>(static_cast<int>(b), 1));
    std::vector<ModuleSnapshot> modules;
    double true_charge_sum = 0.0, true_capacity_sum = 0.0;
    for (std::size_t m = 0; m < modules_[b].size(); ++m) {
      const firmware::ModuleBms& bms = *modules_[b][m];
      const plant::ModuleTruth truth =
          plant_->module(static_cast<int>(b), static_cast<int>(m)).truth();
      ModuleSnapshot module;
      module.state = firmware::module_state_name(bms.state());
      module.codes = bms.codes();
      module.lights = bms.lights();
      module.soc_percent = bms.soc_permille() * 0.1;
      module.current_A = bms.last_sample().current_mA * 0.001;
      module.cell_voltage_min_V = bms.statistics().min_voltage_mV * 0.001;
      module.cell_voltage_max_V = bms.statistics().max_voltage_mV * 0.001;
      module.cell_temperature_min_degC = bms.statistics().min_temperature_ddegC * 0.1;
      module.cell_temperature_max_degC = bms.statistics().max_temperature_ddegC * 0.1;
      module.balancing = bms.balancing_mask() != 0;
      module.heater_on = bms.heater_on();
      module.soc_uncertainty_percent = bms.soc_uncertainty_permille() * 0.1;
      module.soh_capacity_percent = bms.soh_capacity_permille() * 0.1;
      module.soh_resistance_percent = bms.soh_resistance_permille() * 0.1;
      module.calibration_requested = bms.calibration_charge_requested();
      module.true_soc_percent = truth.soc_mean * 100.0;
      const plant::Module& plant_module = plant_->module(static_cast<int>(b), static_cast<int>(m));
      double capacity_Ah = 0.0;
      for (int cell = 0; cell < plant_module.cell_count(); ++cell)
        capacity_Ah += plant_module.cell(cell).capacity_Ah();
      capacity_Ah /= std::max(1, plant_module.cell_count());
      module.true_capacity_percent = capacity_Ah / description_.cell.nominal_capacity_Ah * 100.0;
      module.true_cell_voltage_min_V = truth.cell_voltage_min_V;
      module.true_cell_voltage_max_V = truth.cell_voltage_max_V;
      module.true_cell_temperature_min_degC = truth.cell_temperature_min_degC;
      module.true_cell_temperature_max_degC = truth.cell_temperature_max_degC;
      true_charge_sum += module.true_soc_percent * capacity_Ah;
      true_capacity_sum += capacity_Ah;
      modules.push_back(module);
    }
    out.true_soc_percent = true_capacity_sum > 0.0 ? true_charge_sum / true_capacity_sum : 0.0;
    snapshot.bdus.push_back(out);
    snapshot.modules.push_back(std::move(modules));
  }
  return snapshot;
}

RunResult LockstepRunner::run(double duration_s) {
  RunResult result;
  const auto wall_start = std::chrono::steady_clock::now();
  const auto end_us = static_cast<std::uint64_t>(std::llround(duration_s * 1e6));
  const auto record_us = std::max<std::uint64_t>(
      kTick_us, static_cast<std::uint64_t>(std::llround(options_.record_interval_s * 1e6)));
  std::size_t next_expectation = 0;
  std::uint64_t next_record_us = 0;
  const std::uint64_t progress_every_us =
      std::max<std::uint64_t>(kTick_us, end_us / 100 / kTick_us * kTick_us);
  while (now_us_ <= end_us) {
    // Expectations and records see the system as it is at this instant, before it moves on.
    while (next_expectation < scenario_.expectations.size() &&
           static_cast<std::uint64_t>(
               std::llround(scenario_.expectations[next_expectation].time_s * 1e6)) <= now_us_) {
      result.expectations.push_back(
          check_expectation(scenario_.expectations[next_expectation], snapshot()));
      ++next_expectation;
    }
    if (now_us_ >= next_record_us) {
      result.snapshots.push_back(snapshot());
      next_record_us += record_us;
    }
    if (options_.progress && now_us_ % progress_every_us == 0 && now_us_ > 0) {
      options_.progress(static_cast<double>(now_us_) / static_cast<double>(end_us));
    }
    tick();
    ++result.ticks;
  }
  result.simulated_s = static_cast<double>(end_us) * 1e-6;
  result.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.code_events = code_events_;
  result.state_events = state_events_;
  result.extremes = plant_->extremes();
  result.protection_limits_held = protection_held_;
  result.protection_message = protection_message_;
  for (int b = 0; b < plant_->bdu_count(); ++b) {
    const plant::BduTruthSummary truth = plant_->bdu_truth(b);
    result.energy_discharged_Wh += truth.energy_discharged_Wh;
    result.energy_charged_Wh += truth.energy_charged_Wh;
  }
  return result;
}

}  // namespace bts::sim
