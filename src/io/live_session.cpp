#include "io/live_session.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

namespace bts::io {

namespace {

constexpr std::int64_t kLoopWake_ns = 250000;  // the COM port is serviced every 250 us

double epoch_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/// Waits until one of the descriptors is readable or the timeout passes.
void wait_for_input(const std::vector<int>& fds, std::int64_t timeout_ns) {
  std::vector<pollfd> polled;
  for (const int fd : fds) {
    if (fd >= 0) polled.push_back({fd, POLLIN, 0});
  }
  const timespec timeout{0, static_cast<long>(std::max<std::int64_t>(timeout_ns, 0))};
  ::ppoll(polled.data(), polled.size(), &timeout, nullptr);
}

}  // namespace

LiveStats run_live(sim::LockstepRunner& runner, CanPort* port, const LiveOptions& options) {
  using Clock = std::chrono::steady_clock;
  LiveStats stats;
  const Clock::time_point start = Clock::now();
  const double start_sim_s = runner.time_s();
  double next_report_wall_s = 0.0;
  std::vector<CanFrame> incoming;
  while (true) {
    const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    const double paced_s = std::min(start_sim_s + wall_s * options.speed, options.duration_s);
    // Frames from outside join the bus at the time the COM port was last serviced.
    incoming.clear();
    if (port != nullptr) {
      port->receive(incoming, runner.serviced_us() / 1000);
      for (const CanFrame& frame : incoming) {
        if (options.log != nullptr) options.log->write(epoch_seconds(), frame);
        if (runner.send_external(frame)) {
          ++stats.frames_in;
        } else {
          ++stats.frames_refused;
        }
      }
    }
    runner.advance_to_us(static_cast<std::uint64_t>(std::llround(paced_s * 1e6)));
    CanFrame frame;
    while (runner.receive_external(frame)) {
      if (port == nullptr) continue;
      if (options.log != nullptr) options.log->write(epoch_seconds(), frame);
      if (port->send(frame, runner.serviced_us() / 1000)) ++stats.frames_out;
    }
    for (const auto& service : options.services) service(runner);
    const double after_s = std::chrono::duration<double>(Clock::now() - start).count();
    // Simulated time that passed on the wall clock while this turn computed.
    stats.max_lag_s = std::max(stats.max_lag_s, (after_s - wall_s) * options.speed);
    if (after_s >= next_report_wall_s) {
      next_report_wall_s = after_s + 1.0;
      if (options.log != nullptr) options.log->flush();
      if (options.every_second) options.every_second(runner, after_s);
    }
    if (paced_s >= options.duration_s) break;
    if (options.stop != nullptr && options.stop->load()) break;
    if (options.finished && options.finished()) break;
    std::vector<int> fds;
    if (port != nullptr) fds.push_back(port->poll_fd());
    if (options.extra_fds) {
      for (const int fd : options.extra_fds()) fds.push_back(fd);
    }
    wait_for_input(fds, kLoopWake_ns);
  }
  if (options.log != nullptr) options.log->flush();
  stats.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  stats.simulated_s = runner.time_s() - start_sim_s;
  return stats;
}

}  // namespace bts::io
