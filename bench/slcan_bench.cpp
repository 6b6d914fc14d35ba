// The slcan virtual adapter of `bts run` under load, measured from a client on its terminal (the
// project's own slcan host code, which drives real CANables):
//  - BM_Slcan_PollLatency: an E10 live at 1x speed speaking Pylon HV; the client sends a 0x4200
//    poll every 20 ms and times the first answer frame (0x4210) as it arrives at the client.
//    Counters: median, 99th percentile and worst latency in ms. Aim: answer within 5 ms.
//  - BM_Slcan_FullBus: the client offers 4 000 frames/s (8-byte standard frames, what a fully
//    loaded 500 kbit/s bus carries) for 3 s while the battery runs; counters: frames/s that
//    reached the modelled bus and the share lost. Aim: sustain the full bus with no loss. The
//    data bytes are 0x55 (no stuff bits: 111 bits, 222 us a frame, a 4 500 frames/s bus), so a
//    loss is the adapter's and not the bus's own limit (all-zero data needs ~135 bits a frame:
//    such a bus carries only ~3 700 frames/s).
// Wall-clock measurements of two threads: run them on a quiet machine (docs/performance.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "io/can/slcan_pty_adapter.hpp"
#include "io/can/slcan_serial_host.hpp"
#include "io/live_session.hpp"
#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using bts::io::CanFrame;

/// An E10 with Pylon HV live on a virtual slcan adapter, in a thread, until stopped.
class LiveBattery {
 public:
  LiveBattery() {
    bts::plant::builtin_system("e10", description_);
    scenario_.inverter_protocol = bts::firmware::InverterProtocol::PylonHv;
    bts::sim::RunnerOptions options;
    options.external_inverter = true;
    runner_ = std::make_unique<bts::sim::LockstepRunner>(description_, scenario_, options);
    thread_ = std::thread([this] {
      bts::io::LiveOptions live;
      live.stop = &stop_;
      stats_ = bts::io::run_live(*runner_, &adapter_, live);
    });
  }
  ~LiveBattery() { stop(); }
  const std::string& path() const { return adapter_.path(); }
  bool open() const { return adapter_.device().is_open(); }
  bts::io::LiveStats stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return stats_;
  }

 private:
  bts::plant::SystemDescription description_;
  bts::sim::Scenario scenario_;
  std::unique_ptr<bts::sim::LockstepRunner> runner_;
  bts::io::SlcanPtyAdapter adapter_;
  std::atomic<bool> stop_{false};
  bts::io::LiveStats stats_;
  std::thread thread_;
};

CanFrame frame_of(std::uint32_t id, bool extended, std::uint8_t fill = 0) {
  CanFrame frame;
  frame.id = id;
  frame.extended = extended;
  frame.dlc = 8;
  frame.data.fill(fill);
  return frame;
}

/// Polls until the battery answers (it is asleep until its black start press is taken).
bool wait_answering(bts::io::SlcanSerialHost& host) {
  std::vector<CanFrame> received;
  for (int k = 0; k < 500; ++k) {
    host.send(frame_of(0x4200, true), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    received.clear();
    host.receive(received, 0);
    for (const CanFrame& frame : received) {
      if (frame.id == 0x4210) return true;
    }
  }
  return false;
}

bool wait_open(LiveBattery& battery, bts::io::SlcanSerialHost& host) {
  std::vector<CanFrame> ignored;
  for (int k = 0; k < 2000 && !battery.open(); ++k) {
    host.receive(ignored, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return battery.open();
}

double percentile(std::vector<double> values, double share) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(share * static_cast<double>(values.size() - 1))];
}

void BM_Slcan_PollLatency(benchmark::State& state) {
  for (auto _ : state) {
    LiveBattery battery;
    bts::io::SlcanSerialHost host({battery.path(), 500000});
    if (!wait_open(battery, host) || !wait_answering(host)) {
      state.SkipWithError("the battery did not answer");
      return;
    }
    std::vector<double> latencies_ms;
    std::vector<CanFrame> received;
    for (int poll = 0; poll < 250; ++poll) {
      host.send(frame_of(0x4200, true), 0);
      const Clock::time_point sent = Clock::now();
      bool answered = false;
      while (!answered && Clock::now() - sent < std::chrono::milliseconds(100)) {
        received.clear();
        host.receive(received, 0);
        for (const CanFrame& frame : received) answered |= frame.id == 0x4210;
        if (!answered) std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
      if (answered) {
        latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
      std::this_thread::sleep_until(sent + std::chrono::milliseconds(20));
      received.clear();
      host.receive(received, 0);  // the rest of the answer
    }
    battery.stop();
    state.SetIterationTime(static_cast<double>(latencies_ms.size()) * 0.02);
    state.counters["answered"] = static_cast<double>(latencies_ms.size());
    state.counters["polls"] = 250;
    if (!latencies_ms.empty()) {
      state.counters["median_ms"] = percentile(latencies_ms, 0.5);
      state.counters["p99_ms"] = percentile(latencies_ms, 0.99);
      state.counters["max_ms"] = percentile(latencies_ms, 1.0);
    }
  }
}
BENCHMARK(BM_Slcan_PollLatency)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_Slcan_FullBus(benchmark::State& state) {
  constexpr double kOffered_per_s = 4000.0;
  constexpr double kDuration_s = 3.0;
  for (auto _ : state) {
    LiveBattery battery;
    bts::io::SlcanSerialHost host({battery.path(), 500000});
    if (!wait_open(battery, host)) {
      state.SkipWithError("the adapter did not open");
      return;
    }
    const auto total = static_cast<std::uint64_t>(kOffered_per_s * kDuration_s);
    const Clock::time_point start = Clock::now();
    std::vector<CanFrame> ignored;
    for (std::uint64_t k = 0; k < total; ++k) {
      // Paced at the offered rate; frames no node of the battery listens to.
      std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<std::int64_t>(
                                                static_cast<double>(k) * 1e6 / kOffered_per_s)));
      host.send(frame_of(0x123, false, 0x55), 0);
      if (k % 64 == 0) host.receive(ignored, 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the queue drains
    const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    const bts::io::LiveStats stats = battery.stop();
    state.SetIterationTime(elapsed_s);
    state.counters["offered_per_s"] = kOffered_per_s;
    state.counters["on_bus_per_s"] = static_cast<double>(stats.frames_in) / kDuration_s;
    state.counters["lost_share"] =
        1.0 - static_cast<double>(stats.frames_in) / static_cast<double>(total);
    state.counters["refused"] = static_cast<double>(stats.frames_refused);
    state.counters["host_dropped"] = static_cast<double>(host.dropped_frames());
  }
}
BENCHMARK(BM_Slcan_FullBus)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
