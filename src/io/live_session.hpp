#pragma once
// A live run: the simulator paced to the wall clock (times `speed`), with a real CAN port in the
// inverter's place. Frames from the port go onto the modelled COM bus through the runner's
// external port; what the bus delivers there goes back out. Other services (Modbus) are called
// every turn of the loop. The loop wakes at least every 250 us, so a poll is answered within a
// millisecond or two of wall time.
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "io/can/can_port.hpp"
#include "io/can/candump_log.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::io {

struct LiveOptions {
  double speed = 1.0;                                           // simulated seconds per wall second
  double duration_s = std::numeric_limits<double>::infinity();  // simulated time to stop at
  CandumpWriter* log = nullptr;                                 // every frame through the port
  /// Called about once a wall second (status file, progress line).
  std::function<void(sim::LockstepRunner&, double wall_s)> every_second;
  /// Called every turn of the loop (e.g. a Modbus server answering requests).
  std::vector<std::function<void(sim::LockstepRunner&)>> services;
  /// File descriptors the loop also waits on (e.g. the Modbus server's sockets).
  std::function<std::vector<int>()> extra_fds;
  const std::atomic<bool>* stop = nullptr;  // set by a signal handler: end cleanly
  std::function<bool()> finished;           // e.g. a replayed log has run out
};

struct LiveStats {
  std::uint64_t frames_in = 0;       // from the port onto the bus
  std::uint64_t frames_out = 0;      // from the bus out of the port
  std::uint64_t frames_refused = 0;  // the bus's queue for the port was full
  double wall_s = 0.0;
  double simulated_s = 0.0;
  double max_lag_s = 0.0;  // how far the simulation fell behind the paced time
};

/// Runs until the duration, a stop request or finished(); port may be null (no CAN).
LiveStats run_live(sim::LockstepRunner& runner, CanPort* port, const LiveOptions& options);

}  // namespace bts::io
