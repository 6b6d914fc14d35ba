#include "app/run_command.hpp"

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "app/duration.hpp"
#include "app/live_status.hpp"
#include "app/run_setup.hpp"
#include "app/system_loader.hpp"
#include "firmware/inverter/inverter_protocol.hpp"
#include "firmware/inverter/pylon_hv_protocol.hpp"
#include "firmware/inverter/sofar_protocol.hpp"
#include "io/can/candump_log.hpp"
#include "io/can/slcan_pty_adapter.hpp"
#include "io/can/slcan_serial_host.hpp"
#include "io/can/socketcan_port.hpp"
#include "io/live_session.hpp"
#include "io/modbus_server.hpp"
#include "io/sunspec_source.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::app {

namespace {

struct RunOptions {
  std::string system;
  std::string scenario;
  std::string duration;
  double speed = 1.0;
  std::string inverter;
  std::string pylon_dialect = "spec";
  double inverter_timeout_s = 0.0;  // 0: the scenario's (60 s unless it says otherwise)
  std::string can;
  std::string pty_link;
  std::string log_can;
  std::string status_path;
  std::string modbus_tcp;
  std::string modbus_rtu;
  bool modbus_writes = false;
  int modbus_unit = 1;
  bool quiet = false;
};

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested.store(true); }

/// Whether a frame is one an inverter sends (what a replayed log feeds into the simulator).
bool is_inverter_request(firmware::InverterProtocol protocol, const firmware::CanFrame& frame) {
  if (protocol == firmware::InverterProtocol::PylonHv) {
    firmware::pylon_hv::InverterCommand command;
    return firmware::pylon_hv::decode_command(frame, command);
  }
  firmware::sofar::Inquiry inquiry;
  return firmware::sofar::decode_inquiry(frame, inquiry);
}

/// The CAN port named by --can. Throws std::runtime_error / std::invalid_argument with the reason.
std::unique_ptr<io::CanPort> open_can_port(const RunOptions& options,
                                           firmware::InverterProtocol protocol) {
  const std::string& spec = options.can;
  if (spec == "slcan-pty")
    return std::make_unique<io::SlcanPtyAdapter>(io::slcan::DeviceOptions{}, options.pty_link);
  if (spec.rfind("slcan:", 0) == 0)
    return std::make_unique<io::SlcanSerialHost>(io::parse_serial_endpoint(spec.substr(6)));
  if (spec.rfind("socketcan:", 0) == 0) return std::make_unique<io::SocketCanPort>(spec.substr(10));
  if (spec.rfind("replay:", 0) == 0) {
    return std::make_unique<io::CandumpReplayPort>(spec.substr(7),
                                                   [protocol](const firmware::CanFrame& frame) {
                                                     return is_inverter_request(protocol, frame);
                                                   });
  }
  throw std::invalid_argument("--can: '" + spec +
                              "' is not a CAN port; use slcan-pty, slcan:DEVICE@BITRATE, "
                              "socketcan:IFACE or replay:FILE");
}

/// The Modbus server asked for by --modbus-tcp [HOST:]PORT or --modbus-rtu DEVICE:BAUD; none when
/// neither is given. Throws ModbusServerError / std::invalid_argument with the reason.
std::unique_ptr<io::ModbusServer> open_modbus(const RunOptions& options) {
  if (options.modbus_tcp.empty() && options.modbus_rtu.empty()) return nullptr;
  if (!options.modbus_tcp.empty() && !options.modbus_rtu.empty())
    throw std::invalid_argument("--modbus-tcp and --modbus-rtu: give one of them");
  io::ModbusServerOptions server;
  server.unit_id = options.modbus_unit;
  server.writes_enabled = options.modbus_writes;
  auto number = [](const std::string& text, const char* option) {
    std::size_t used = 0;
    int value = -1;
    try {
      value = std::stoi(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty())
      throw std::invalid_argument(std::string(option) + ": '" + text + "' is not a number");
    return value;
  };
  if (!options.modbus_tcp.empty()) {
    const std::size_t colon = options.modbus_tcp.rfind(':');
    if (colon != std::string::npos) server.host = options.modbus_tcp.substr(0, colon);
    server.port = number(options.modbus_tcp.substr(colon == std::string::npos ? 0 : colon + 1),
                         "--modbus-tcp");
  } else {
    const std::size_t colon = options.modbus_rtu.rfind(':');
    if (colon == std::string::npos)
      throw std::invalid_argument("--modbus-rtu: give DEVICE:BAUD, e.g. /dev/ttyUSB0:9600");
    server.transport = io::ModbusTransport::Rtu;
    server.device = options.modbus_rtu.substr(0, colon);
    server.baud = number(options.modbus_rtu.substr(colon + 1), "--modbus-rtu");
  }
  server.validate();
  return std::make_unique<io::ModbusServer>(server);
}

/// What an accepted SunSpec write asks of a BDU (docs/protocols/sunspec.md, "Writes").
void apply_control(sim::LockstepRunner& runner, const firmware::sunspec::ControlRequest& request,
                   bool quiet) {
  if (request.bdu_index >= runner.plant().bdu_count()) return;
  firmware::BduController& bdu = runner.bdu(request.bdu_index);
  const auto now_ms = static_cast<firmware::TimeMs>(runner.time_s() * 1000.0);
  switch (request.kind) {
    case firmware::sunspec::ControlKind::AlarmReset:
      bdu.request_alarm_reset(now_ms);
      break;
    case firmware::sunspec::ControlKind::SetOperation:
      bdu.set_remote_disconnect(request.value == 2);
      break;
    default:
      break;  // the heartbeat and the inverter's state are read back, nothing more
  }
  if (!quiet) {
    std::cout << "modbus: BDU" << request.bdu_index + 1 << " "
              << firmware::sunspec::control_kind_name(request.kind) << " " << request.value
              << std::endl;
  }
}

int run_live_command(const RunOptions& options) {
  constexpr const char* kName = "bts run";
  RunSetup setup;
  std::unique_ptr<io::CanPort> port;
  std::unique_ptr<io::CandumpWriter> log;
  std::unique_ptr<io::ModbusServer> modbus;
  try {
    setup = load_run_setup(options.system, options.scenario, options.duration,
                           std::numeric_limits<double>::infinity());
    if (options.duration.empty()) setup.duration_s = std::numeric_limits<double>::infinity();
    const auto protocol = firmware::inverter_protocol_from_name(options.inverter);
    if (!protocol)
      throw std::invalid_argument("--inverter: '" + options.inverter +
                                  "' is not a protocol; use pylon-hv or sofar");
    setup.scenario.inverter_protocol = *protocol;
    if (options.inverter_timeout_s > 0.0) {
      setup.scenario.inverter_timeout_ms =
          static_cast<firmware::TimeMs>(std::llround(options.inverter_timeout_s * 1000.0));
    }
    bool dialect_found = false;
    for (const auto& named : firmware::pylon_hv::kNamedDialects) {
      if (named.name == options.pylon_dialect) {
        setup.scenario.pylon_dialect = named.dialect;
        dialect_found = true;
      }
    }
    if (!dialect_found) {
      std::string names;
      for (const auto& named : firmware::pylon_hv::kNamedDialects) {
        if (!names.empty()) names += ", ";
        names += named.name;
      }
      throw std::invalid_argument("--pylon-dialect: '" + options.pylon_dialect +
                                  "' is not a dialect; use one of " + names);
    }
    modbus = open_modbus(options);
    if (options.can.empty() && !modbus)
      throw std::invalid_argument(
          "--can: give the CAN port the inverter is on (or a Modbus port with --modbus-tcp or "
          "--modbus-rtu)");
    if (!options.can.empty()) port = open_can_port(options, *protocol);
    if (!options.log_can.empty()) log = std::make_unique<io::CandumpWriter>(options.log_can);
  } catch (const std::exception& failure) {
    std::cerr << kName << ": " << failure.what() << "\n";
    return 2;
  }
  auto* replay = dynamic_cast<io::CandumpReplayPort*>(port.get());

  sim::RunnerOptions runner_options;
  // Without a CAN port the simulated inverter keeps talking to the batteries itself.
  runner_options.external_inverter = port != nullptr;
  sim::LockstepRunner runner(setup.description, setup.scenario, runner_options);
  if (!options.quiet) std::cout << describe_system(setup.description) << "\n";
  std::cout << kName << ": " << firmware::inverter_protocol_name(setup.scenario.inverter_protocol)
            << " inverter link on "
            << (port ? port->description() : std::string("the simulated inverter"))
            << ", inverter timeout " << setup.scenario.inverter_timeout_ms / 1000.0 << " s\n";
  if (auto* pty = dynamic_cast<io::SlcanPtyAdapter*>(port.get()))
    std::cout << "slcan adapter: " << pty->path() << "\n";
  if (modbus) {
    std::cout << "modbus: SunSpec on " << modbus->endpoint()
              << (options.modbus_writes ? " (writes enabled)" : " (read only)") << "\n";
  }
  std::cout << "speed " << options.speed << "x; Ctrl-C stops" << std::endl;

  stop_requested.store(false);
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  io::LiveOptions live;
  live.speed = options.speed;
  live.duration_s = setup.duration_s;
  live.log = log.get();
  live.stop = &stop_requested;
  if (replay != nullptr) live.finished = [replay] { return replay->finished(); };
  double next_line_s = 0.0;
  live.every_second = [&](sim::LockstepRunner& running, double wall_s) {
    const sim::SystemSnapshot snapshot = running.snapshot();
    if (!options.status_path.empty()) {
      std::string error;
      if (!write_live_status(options.status_path, snapshot, wall_s, error))
        std::cerr << kName << ": --status: " << error << "\n";
    }
    if (!options.quiet && wall_s >= next_line_s) {
      next_line_s = wall_s + 10.0;
      std::cout << status_line(snapshot) << std::endl;
    }
  };
  if (modbus) {
    live.services.push_back([&, next_publish_s = -1.0](sim::LockstepRunner& running) mutable {
      // The map is rebuilt ten times a (simulated) second; requests are answered every turn.
      if (running.time_s() >= next_publish_s) {
        next_publish_s = running.time_s() + 0.1;
        modbus->publish(io::sunspec_values(running, setup.description));
      }
      modbus->serve(std::chrono::milliseconds(0));
      for (const auto& request : modbus->take_control_requests())
        apply_control(running, request, options.quiet);
    });
  }
  const io::LiveStats stats = io::run_live(runner, port.get(), live);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!options.status_path.empty()) {
    std::string error;
    write_live_status(options.status_path, runner.snapshot(), stats.wall_s, error);
  }
  std::printf(
      "%s: stopped after %s simulated in %.1f s wall; frames in %llu, out %llu, refused %llu, "
      "dropped %llu%s\n",
      kName, format_duration(stats.simulated_s).c_str(), stats.wall_s,
      static_cast<unsigned long long>(stats.frames_in),
      static_cast<unsigned long long>(stats.frames_out),
      static_cast<unsigned long long>(stats.frames_refused),
      static_cast<unsigned long long>(port ? port->dropped_frames() : 0),
      stats.max_lag_s > 1.0 ? " (the simulation fell behind the wall clock)" : "");
  if (replay != nullptr) {
    std::printf("replayed %zu inverter frames of %s (%zu other frames skipped)\n",
                replay->delivered(), options.can.substr(7).c_str(), replay->skipped());
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "Run a system live, paced to the wall clock, with a real inverter or tool on CAN");
  command->add_option("--system", options->system,
                      "Built-in system (e5, e10, e15, e20, e40) or a YAML file");
  command->add_option("--scenario", options->scenario,
                      "Built-in scenario name or a YAML file (household and ambient profiles, "
                      "events)");
  command->add_option("--duration", options->duration,
                      "Stop after this much simulated time (default: run until Ctrl-C)");
  command->add_option("--speed", options->speed, "Simulated seconds per wall second")
      ->check(CLI::Range(0.01, 1000.0))
      ->capture_default_str();
  command->add_option("--inverter", options->inverter, "Inverter protocol: pylon-hv or sofar")
      ->required();
  command
      ->add_option("--pylon-dialect", options->pylon_dialect,
                   "Pylon HV field dialect: spec, sofar-hyd, battery-emulator, ferroamp, "
                   "solxpow, gce, deye")
      ->capture_default_str();
  command
      ->add_option("--inverter-timeout", options->inverter_timeout_s,
                   "Seconds the inverter may stay silent before the battery opens its relays "
                   "(F9 3 s later): 60 by default, e.g. 120 for a Sofar that polls rarely")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            constexpr double kMin_s = firmware::kMinInverterTimeout_ms / 1000.0;
            constexpr double kMax_s = firmware::kMaxInverterTimeout_ms / 1000.0;
            char* end = nullptr;
            const double seconds = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !(seconds >= kMin_s && seconds <= kMax_s))
              return "'" + text + "' is not allowed; seconds from 60 to 600";
            return "";
          },
          "SECONDS 60..600"));
  command->add_option("--can", options->can,
                      "slcan-pty (a virtual slcan adapter), slcan:DEVICE@BITRATE, "
                      "socketcan:IFACE or replay:FILE (a candump -l log)");
  command->add_option("--pty-link", options->pty_link,
                      "With slcan-pty: also make this symbolic link to the terminal");
  command->add_option("--log-can", options->log_can,
                      "Record every frame through the CAN port in candump -l format");
  command->add_option("--modbus-tcp", options->modbus_tcp,
                      "Serve the SunSpec map over Modbus TCP on [HOST:]PORT (host 127.0.0.1 "
                      "unless given)");
  command->add_option("--modbus-rtu", options->modbus_rtu,
                      "Serve the SunSpec map over Modbus RTU on DEVICE:BAUD (8N1)");
  command->add_option("--modbus-unit", options->modbus_unit, "Modbus unit id (RTU)")
      ->check(CLI::Range(1, 247))
      ->capture_default_str();
  command->add_flag("--modbus-writes", options->modbus_writes,
                    "Accept writes to the SunSpec control points (AlmRst, CtrlHb, SetOp, "
                    "SetInvState)");
  command->add_option("--status", options->status_path,
                      "Rewrite this JSON file every second with the system's state");
  command->add_flag("--quiet", options->quiet, "No status lines");
  command->callback([options, &exit_code]() { exit_code = run_live_command(*options); });
}

}  // namespace bts::app
