// Cost of the modelled CAN bus per delivered frame.
//  - BM_CanBus_LinkE20: the Link bus of an E20 (BDU + 4 modules) with the protocol's schedule
//    (docs/protocols/link.md), stepped every 10 ms like the lockstep runner; one iteration is one
//    simulated second (~1 000 deliveries).
//  - BM_CanBus_Saturated: four talkers keep the bus full, one listener; one iteration is 100 ms.
//  - BM_CanBus_LinkE20_ExactStuffing: the same with exact bit stuffing (CRC and stuff bits of
//    every frame computed).
//  - BM_CanBus_LinkE20_Unterminated: the same with the terminator missing (half the frames
//    corrupted, error counters, bus-off and recovery).
// Counters: delivered frames per second of CPU time, CPU time per delivered frame and per frame
// on the wire.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>

#include "sim/can_bus.hpp"

namespace {

using bts::sim::CanBus;
using bts::sim::CanFrame;
using bts::sim::StuffingModel;

CanFrame frame_of(std::uint32_t id, std::uint8_t dlc) {
  CanFrame f;
  f.id = id;
  f.extended = true;
  f.dlc = dlc;
  for (std::uint8_t i = 0; i < dlc; ++i) f.data[i] = static_cast<std::uint8_t>(id + i * 37);
  return f;
}

/// One BDU and four modules sending the Link schedule: per 100 ms the BDU sends BDU_COMMAND and
/// four BDU_SHAREs, each module MODULE_STATUS, MODULE_MEASUREMENTS, MODULE_EXTREMES; once per
/// second each module sends 8 slow frames in its own 100 ms slot.
struct LinkE20 {
  explicit LinkE20(CanBus& bus_in) : bus(bus_in) {
    bdu = bus.attach("bdu");
    for (int m = 0; m < 4; ++m) modules[m] = bus.attach("module" + std::to_string(m + 1));
  }

  void step_10ms() {
    const std::uint64_t cycle = t_us / 10'000;
    if (cycle % 10 == 0) {
      bus.send(bdu, frame_of(0x0210FF80, 4), t_us);
      for (std::uint32_t m = 1; m <= 4; ++m)
        bus.send(bdu, frame_of(0x03110080 | (m << 8), 7), t_us);
      for (std::uint32_t m = 1; m <= 4; ++m) {
        const int port = modules[m - 1];
        bus.send(port, frame_of(0x03208000 | m, 7), t_us + m * 1000);
        bus.send(port, frame_of(0x04218000 | m, 8), t_us + m * 1000);
        bus.send(port, frame_of(0x04228000 | m, 8), t_us + m * 1000);
        if ((cycle / 10) % 10 == m) {
          for (std::uint32_t type = 0x30; type <= 0x36; ++type) {
            bus.send(port, frame_of(0x06008000 | (type << 16) | m, 8), t_us + m * 1000);
          }
          bus.send(port, frame_of(0x06388000 | m, 8), t_us + m * 1000);
        }
      }
    }
    t_us += 10'000;
    bus.advance_to(t_us);
    CanFrame f;
    while (bus.receive(bdu, f)) ++delivered;
    for (int port : modules) {
      while (bus.receive(port, f)) ++delivered;
    }
  }

  CanBus& bus;
  int bdu = 0;
  std::array<int, 4> modules{};
  std::uint64_t t_us = 0;
  std::uint64_t delivered = 0;
};

/// Deliveries (a frame placed in one receiver's queue) and transmissions (a frame on the wire,
/// heard by every other port) per second of CPU time, and the time each costs.
void report(benchmark::State& state, std::uint64_t delivered, std::uint64_t transmitted) {
  using benchmark::Counter;
  state.counters["frames_per_s"] = Counter(static_cast<double>(delivered), Counter::kIsRate);
  state.counters["time_per_frame"] =
      Counter(static_cast<double>(delivered), Counter::kIsRate | Counter::kInvert);
  state.counters["time_per_tx_frame"] =
      Counter(static_cast<double>(transmitted), Counter::kIsRate | Counter::kInvert);
}

void BM_CanBus_LinkE20(benchmark::State& state) {
  CanBus bus("link", 500'000, 1);
  LinkE20 link(bus);
  for (auto _ : state) {
    for (int i = 0; i < 100; ++i) link.step_10ms();
  }
  benchmark::DoNotOptimize(link.delivered);
  report(state, link.delivered, bus.stats().frames_transmitted);
  state.counters["bus_load_pct"] = bus.bus_load_percent();
}
BENCHMARK(BM_CanBus_LinkE20);

void BM_CanBus_LinkE20_ExactStuffing(benchmark::State& state) {
  CanBus bus("link", 500'000, 1);
  bus.set_stuffing_model(StuffingModel::Exact);
  LinkE20 link(bus);
  for (auto _ : state) {
    for (int i = 0; i < 100; ++i) link.step_10ms();
  }
  benchmark::DoNotOptimize(link.delivered);
  report(state, link.delivered, bus.stats().frames_transmitted);
  state.counters["bus_load_pct"] = bus.bus_load_percent();
}
BENCHMARK(BM_CanBus_LinkE20_ExactStuffing);

void BM_CanBus_LinkE20_Unterminated(benchmark::State& state) {
  CanBus bus("link", 500'000, 1);
  bus.set_terminated(0, false);
  LinkE20 link(bus);
  for (auto _ : state) {
    for (int i = 0; i < 100; ++i) link.step_10ms();
  }
  benchmark::DoNotOptimize(link.delivered);
  report(state, link.delivered, bus.stats().frames_transmitted);
}
BENCHMARK(BM_CanBus_LinkE20_Unterminated);

void BM_CanBus_Saturated(benchmark::State& state) {
  CanBus bus("link", 500'000, 1);
  std::array<int, 4> talkers{};
  for (int i = 0; i < 4; ++i) talkers[i] = bus.attach("talker" + std::to_string(i), 64, 16);
  const int listener = bus.attach("listener", 16, 1024);
  std::uint64_t t_us = 0;
  std::uint64_t delivered = 0;
  std::uint32_t sequence = 0;
  for (auto _ : state) {
    for (int step = 0; step < 10; ++step) {  // 10 x 10 ms
      for (int i = 0; i < 4; ++i) {
        while (bus.tx_pending(talkers[i]) < 16) {
          bus.send(talkers[i], frame_of(0x100 + (sequence++ & 0xFF), 8), t_us);
        }
      }
      t_us += 10'000;
      bus.advance_to(t_us);
      CanFrame f;
      for (int port = 0; port < bus.port_count(); ++port) {
        while (bus.receive(port, f)) ++delivered;
      }
    }
  }
  benchmark::DoNotOptimize(delivered);
  report(state, delivered, bus.stats().frames_transmitted);
  state.counters["bus_load_pct"] = bus.bus_load_percent();
  (void)listener;
}
BENCHMARK(BM_CanBus_Saturated);

}  // namespace
