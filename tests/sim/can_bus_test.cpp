// The modelled CAN bus: frame timing at 500 kbit/s, arbitration, segments, loss, termination,
// fault confinement, queues, saturation, determinism and the recorder hook.
#include "sim/can_bus.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace bts::sim {
namespace {

constexpr std::uint32_t kBitrate = 500'000;

CanFrame frame_of(std::uint32_t id, std::uint8_t dlc = 8, bool extended = true,
                  std::uint8_t fill = 0x55) {
  CanFrame f;
  f.id = id;
  f.extended = extended;
  f.dlc = dlc;
  for (std::uint8_t i = 0; i < dlc; ++i) f.data[i] = static_cast<std::uint8_t>(fill + i);
  return f;
}

std::vector<std::uint32_t> drain_ids(CanBus& bus, int port) {
  std::vector<std::uint32_t> ids;
  CanFrame f;
  while (bus.receive(port, f)) ids.push_back(f.id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Frame length and timing

TEST(CanFrameBits, NominalAndWorstCaseStuffing) {
  // Extended: 67 + 8 * dlc bits without stuffing; stuffed region 54 + 8 * dlc.
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 8), StuffingModel::None), 131u);
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 8), StuffingModel::WorstCase), 160u);  // + 29
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 0), StuffingModel::None), 67u);
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 0), StuffingModel::WorstCase), 80u);  // + 13
  // Standard: 47 + 8 * dlc; stuffed region 34 + 8 * dlc.
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 8, false), StuffingModel::None), 111u);
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 8, false), StuffingModel::WorstCase), 135u);  // + 24
  EXPECT_EQ(can_frame_bits(frame_of(0x1, 0, false), StuffingModel::WorstCase), 55u);
}

TEST(CanFrameBits, ExactStuffingFollowsTheBitStream) {
  // Worked out independently from the frame's bit stream (CRC-15, stuff after five equal bits).
  CanFrame command = frame_of(0x0210FF80, 4);
  command.data = {0x06, 0xA0, 0x0F, 0x2A};
  EXPECT_EQ(can_crc15(command), 0x54F0);
  EXPECT_EQ(can_frame_bits(command, StuffingModel::Exact), 104u);  // 99 nominal + 5 stuff
  CanFrame zeros = frame_of(0x123, 8, false, 0);
  for (auto& b : zeros.data) b = 0;
  EXPECT_EQ(can_crc15(zeros), 0x044E);
  EXPECT_EQ(can_frame_bits(zeros, StuffingModel::Exact), 125u);
  CanFrame ext_zeros = zeros;
  ext_zeros.id = 0;
  ext_zeros.extended = true;
  EXPECT_EQ(can_crc15(ext_zeros), 0x3DAF);
  EXPECT_EQ(can_frame_bits(ext_zeros, StuffingModel::Exact), 150u);
  CanFrame ones = frame_of(0x1FFFFFFF, 8, true, 0);
  for (auto& b : ones.data) b = 0xFF;
  EXPECT_EQ(can_frame_bits(ones, StuffingModel::Exact), 149u);
  EXPECT_EQ(can_frame_bits(frame_of(0x7FF, 0, false), StuffingModel::Exact), 50u);
  CanFrame measurements = frame_of(0x04218001, 8);
  measurements.data = {0x40, 0xCE, 0x2E, 0xFB, 0xA5, 0x0F, 0x8D, 0x02};
  EXPECT_EQ(can_frame_bits(measurements, StuffingModel::Exact), 138u);
  // Always between the bounds.
  for (std::uint32_t id = 0; id < 2000; id += 7) {
    const CanFrame f =
        frame_of(id * 2654435761u & 0x1FFFFFFF, id % 9, true, static_cast<std::uint8_t>(id));
    const auto exact = can_frame_bits(f, StuffingModel::Exact);
    EXPECT_GE(exact, can_frame_bits(f, StuffingModel::None));
    EXPECT_LE(exact, can_frame_bits(f, StuffingModel::WorstCase));
  }
}

TEST(CanBusTiming, EightByteExtendedFrameAt500k) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  EXPECT_EQ(bus.frame_duration_ns(frame_of(0x1)), 320'000u);  // 160 bits x 2 us
  ASSERT_TRUE(bus.send(a, frame_of(0x1), 1000));
  bus.advance_to(1313);
  CanFrame f;
  EXPECT_FALSE(bus.receive(b, f));  // delivered at the end of EOF: 157 bits = 314 us
  bus.advance_to(1314);
  std::uint64_t t = 0;
  ASSERT_TRUE(bus.receive(b, f, t));
  EXPECT_EQ(t, 1314u);
  EXPECT_EQ(f, frame_of(0x1));
  EXPECT_FALSE(bus.receive(a, f));  // the sender does not hear its own frame
}

TEST(CanBusTiming, FramesGoOutBackToBack) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(bus.send(a, frame_of(0x100 + i), 0));
  bus.advance_to(100'000);
  std::uint64_t t = 0;
  CanFrame f;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(bus.receive(b, f, t));
    EXPECT_EQ(t, 320u * i + 314u);
    EXPECT_EQ(f.id, 0x100u + i);
  }
  // A standard 8-byte frame takes 135 bits worst case; with exact stuffing fewer.
  CanBus exact("link", kBitrate, 1);
  exact.set_stuffing_model(StuffingModel::Exact);
  EXPECT_EQ(exact.frame_duration_ns(frame_of(0x04218001)),
            2000u * can_frame_bits(frame_of(0x04218001), StuffingModel::Exact));
}

TEST(CanBusTiming, AFrameOnTheWireIsNotPreempted) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int c = bus.attach("c");
  ASSERT_TRUE(bus.send(a, frame_of(0x1FFFFFFF), 0));
  bus.advance_to(10);
  ASSERT_TRUE(bus.send(b, frame_of(0x1), 10));  // more urgent, but the bus is busy
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, c), (std::vector<std::uint32_t>{0x1FFFFFFF, 0x1}));
}

// ---------------------------------------------------------------------------------------------
// Arbitration

TEST(CanBusArbitration, LowestIdentifierWins) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int c = bus.attach("c");
  const int d = bus.attach("listener");
  ASSERT_TRUE(bus.send(a, frame_of(0x0300), 0));
  ASSERT_TRUE(bus.send(b, frame_of(0x0100), 0));
  ASSERT_TRUE(bus.send(c, frame_of(0x0200), 0));
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, d), (std::vector<std::uint32_t>{0x100, 0x200, 0x300}));
}

TEST(CanBusArbitration, StandardBeatsExtendedWithTheSameBase) {
  CanBus bus("inverter", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int c = bus.attach("c");
  const int d = bus.attach("listener");
  ASSERT_TRUE(bus.send(a, frame_of(0x123u << 18, 8, true), 0));     // same base, extended
  ASSERT_TRUE(bus.send(b, frame_of(0x123, 8, false), 0));           // standard
  ASSERT_TRUE(bus.send(c, frame_of((0x122u << 18) | 0x3FFFF), 0));  // lower base wins over both
  bus.advance_to(10'000);
  std::vector<std::pair<std::uint32_t, bool>> order;
  CanFrame f;
  while (bus.receive(d, f)) order.emplace_back(f.id, f.extended);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], std::make_pair((0x122u << 18) | 0x3FFFF, true));
  EXPECT_EQ(order[1], std::make_pair(0x123u, false));
  EXPECT_EQ(order[2], std::make_pair(0x123u << 18, true));
}

TEST(CanBusArbitration, EachPortSendsInTheOrderQueued) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int d = bus.attach("listener");
  ASSERT_TRUE(bus.send(a, frame_of(0x500), 0));
  ASSERT_TRUE(bus.send(a, frame_of(0x100), 0));  // behind 0x500 in a's queue
  ASSERT_TRUE(bus.send(b, frame_of(0x300), 0));
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, d), (std::vector<std::uint32_t>{0x300, 0x500, 0x100}));
}

TEST(CanBusArbitration, FramesQueuedLaterWaitForTheirTime) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int d = bus.attach("listener");
  ASSERT_TRUE(bus.send(a, frame_of(0x500), 1000));
  ASSERT_TRUE(bus.send(b, frame_of(0x100), 1100));
  bus.advance_to(999);
  EXPECT_EQ(bus.rx_pending(d), 0u);
  bus.advance_to(10'000);
  std::uint64_t t = 0;
  CanFrame f;
  ASSERT_TRUE(bus.receive(d, f, t));
  EXPECT_EQ(f.id, 0x500u);
  EXPECT_EQ(t, 1314u);
  ASSERT_TRUE(bus.receive(d, f, t));
  EXPECT_EQ(f.id, 0x100u);
  EXPECT_EQ(t, 1320u + 314u);
}

// ---------------------------------------------------------------------------------------------
// Segments

TEST(CanBusSegments, ACutCableSplitsTheBus) {
  CanBus bus("link", kBitrate, 1);
  std::vector<int> p;
  for (int i = 0; i < 5; ++i) p.push_back(bus.attach("node" + std::to_string(i)));
  // BDU, module 1, module 2 | cut | module 3, module 4
  bus.set_segment(p[3], 1);
  bus.set_segment(p[4], 1);
  ASSERT_TRUE(bus.send(p[0], frame_of(0x10), 0));
  ASSERT_TRUE(bus.send(p[3], frame_of(0x20), 0));
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, p[1]), std::vector<std::uint32_t>{0x10});
  EXPECT_EQ(drain_ids(bus, p[2]), std::vector<std::uint32_t>{0x10});
  EXPECT_EQ(drain_ids(bus, p[4]), std::vector<std::uint32_t>{0x20});
  EXPECT_TRUE(drain_ids(bus, p[0]).empty());
  EXPECT_TRUE(drain_ids(bus, p[3]).empty());
  EXPECT_EQ(bus.stats().frames_transmitted, 2u);
  // Each segment is its own bus: both frames ran at the same time.
  EXPECT_NEAR(bus.bus_load_percent(0), 3.2, 1e-9);
  EXPECT_NEAR(bus.bus_load_percent(1), 3.2, 1e-9);
  // Mended: everyone hears everyone again.
  bus.set_segment(p[3], 0);
  bus.set_segment(p[4], 0);
  ASSERT_TRUE(bus.send(p[4], frame_of(0x30), 10'000));
  bus.advance_to(20'000);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(drain_ids(bus, p[i]), std::vector<std::uint32_t>{0x30});
}

TEST(CanBusSegments, ADisconnectedPortNeitherSendsNorHears) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int c = bus.attach("c");
  bus.set_segment(c, CanBus::kDisconnected);
  EXPECT_FALSE(bus.send(c, frame_of(0x1), 0));
  EXPECT_EQ(bus.port_stats(c).tx_rejected, 1u);
  ASSERT_TRUE(bus.send(a, frame_of(0x2), 0));
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, b), std::vector<std::uint32_t>{0x2});
  EXPECT_TRUE(drain_ids(bus, c).empty());
}

TEST(CanBusSegments, ANodeAloneGetsNoAcknowledge) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  bus.set_segment(b, 1);  // a is alone on segment 0
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(bus.send(a, frame_of(0x1), i * 1000));
  bus.advance_to(100'000);
  EXPECT_EQ(bus.stats().ack_errors, 30u);
  EXPECT_EQ(bus.port_stats(a).frames_lost, 30u);
  EXPECT_EQ(bus.port_stats(a).frames_sent, 0u);
  // The transmit error counter stops at the error-passive level: no bus-off.
  EXPECT_EQ(bus.transmit_error_count(a), 128u);
  EXPECT_EQ(bus.error_state(a), CanErrorState::Passive);
  EXPECT_EQ(bus.port_stats(a).bus_off_count, 0u);
}

// ---------------------------------------------------------------------------------------------
// Loss, termination, fault confinement

/// Sends n frames from port 0 to port 1, 1 ms apart, and returns how many arrived.
std::uint64_t run_frames(CanBus& bus, int n) {
  for (int i = 0; i < n; ++i) {
    bus.send(0, frame_of(0x100), static_cast<std::uint64_t>(i) * 1000);
    bus.advance_to(static_cast<std::uint64_t>(i) * 1000 + 999);
  }
  std::uint64_t received = 0;
  CanFrame f;
  while (bus.receive(1, f)) ++received;
  return received;
}

TEST(CanBusLoss, RandomLossMatchesItsProbability) {
  CanBus bus("link", kBitrate, 42);
  bus.attach("a", 32, 20'000);
  bus.attach("b", 32, 20'000);
  bus.set_loss_probability(0.05);
  const int n = 20'000;
  const auto received = run_frames(bus, n);
  const double p = 1.0 - static_cast<double>(received) / n;
  const double sigma = std::sqrt(0.05 * 0.95 / n);
  EXPECT_NEAR(p, 0.05, 4 * sigma);
  EXPECT_EQ(bus.stats().frames_corrupted, n - received);
  EXPECT_EQ(bus.port_stats(0).tx_errors, n - received);
  EXPECT_EQ(bus.port_stats(1).rx_errors, n - received);
  EXPECT_EQ(bus.port_stats(0).frames_lost, n - received);
  // At 5 % the error counters drift down (8 x 0.05 < 0.95): never bus-off.
  EXPECT_EQ(bus.port_stats(0).bus_off_count, 0u);
}

TEST(CanBusLoss, AnUnterminatedSegmentLosesAboutHalf) {
  CanBus bus("link", kBitrate, 7);
  bus.attach("bdu", 32, 20'000);
  bus.attach("module", 32, 20'000);
  EXPECT_TRUE(bus.terminated(0));
  bus.set_terminated(0, false);
  const int n = 4000;
  const auto received = run_frames(bus, n);
  const double p = 1.0 - static_cast<double>(received) / n;
  EXPECT_NEAR(p, CanBus::kDefaultUnterminatedLoss, 4 * std::sqrt(0.25 / n));
  // The transmitter's error counter climbs by 3.5 per frame on average: it goes bus-off again
  // and again, and recovers after 128 x 11 bit times.
  EXPECT_GT(bus.port_stats(0).bus_off_count, 10u);
  EXPECT_GT(bus.port_stats(1).rx_errors, 1000u);
}

TEST(CanBusLoss, ProbabilityOneLosesEverything) {
  CanBus bus("link", kBitrate, 7);
  bus.attach("bdu");
  bus.attach("module");
  bus.set_terminated(0, false);
  bus.set_unterminated_loss_probability(1.0);
  EXPECT_EQ(run_frames(bus, 100), 0u);
  // Another segment keeps its terminator and works.
  CanBus split("link", kBitrate, 7);
  split.attach("a");
  split.attach("b");
  const int c = split.attach("c");
  const int d = split.attach("d");
  split.set_segment(c, 1);
  split.set_segment(d, 1);
  split.set_terminated(0, false);
  split.set_unterminated_loss_probability(1.0);
  ASSERT_TRUE(split.send(c, frame_of(0x5), 0));
  split.advance_to(10'000);
  EXPECT_EQ(drain_ids(split, d), std::vector<std::uint32_t>{0x5});
}

TEST(CanBusLoss, BusOffAndRecovery) {
  CanBus bus("link", kBitrate, 3);
  const int a = bus.attach("a", 64);
  const int b = bus.attach("b");
  bus.set_loss_probability(1.0);
  bus.set_bus_off_recovery_us(100'000);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(bus.send(a, frame_of(0x1), 0));
  // A corrupted 8-byte attempt costs 160 + 13 bits (error frame) = 346 us.
  bus.advance_to(31 * 346);
  EXPECT_EQ(bus.error_state(a), CanErrorState::Passive);
  EXPECT_EQ(bus.port_stats(a).tx_errors, 31u);
  bus.advance_to(20'000);
  EXPECT_EQ(bus.port_stats(a).bus_off_count, 1u);
  EXPECT_EQ(bus.error_state(a), CanErrorState::BusOff);
  EXPECT_EQ(bus.port_stats(a).tx_errors, 32u);  // 32 x 8 = 256
  EXPECT_EQ(bus.port_stats(a).frames_lost, 32u);
  EXPECT_EQ(bus.receive_error_count(b), 32u);
  EXPECT_EQ(bus.tx_pending(a), 8u);  // the rest waits for the recovery
  bus.set_loss_probability(0.0);
  bus.advance_to(100'000);
  EXPECT_EQ(bus.error_state(a), CanErrorState::BusOff);
  EXPECT_EQ(bus.tx_pending(a), 8u);
  bus.advance_to(200'000);
  EXPECT_EQ(bus.error_state(a), CanErrorState::Active);
  EXPECT_EQ(bus.transmit_error_count(a), 0u);
  EXPECT_EQ(bus.tx_pending(a), 0u);
  EXPECT_EQ(drain_ids(bus, b).size(), 8u);
}

TEST(CanBusLoss, AutomaticRetransmissionRepeatsCorruptedFrames) {
  CanBus bus("link", kBitrate, 11);
  const int a = bus.attach("a", 1000, 1000);
  const int b = bus.attach("b", 1000, 1000);
  bus.set_automatic_retransmission(true);
  bus.set_loss_probability(0.05);
  for (int i = 0; i < 500; ++i)
    ASSERT_TRUE(bus.send(a, frame_of(static_cast<std::uint32_t>(i)), 0));
  bus.advance_to(1'000'000);
  const auto ids = drain_ids(bus, b);
  ASSERT_EQ(ids.size(), 500u);
  for (std::uint32_t i = 0; i < 500; ++i) EXPECT_EQ(ids[i], i);
  EXPECT_GT(bus.stats().frames_corrupted, 0u);
  EXPECT_EQ(bus.stats().frames_lost, 0u);
}

// ---------------------------------------------------------------------------------------------
// Queues

TEST(CanBusQueues, TransmitQueueCapacity) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a", 4, 16);
  bus.attach("b", 4, 16);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(bus.send(a, frame_of(0x1), 0));
  EXPECT_FALSE(bus.send(a, frame_of(0x1), 0));
  EXPECT_EQ(bus.port_stats(a).tx_queue_full, 1u);
  EXPECT_EQ(bus.stats().tx_queue_full, 1u);
  EXPECT_EQ(bus.tx_pending(a), 4u);
  bus.advance_to(320);  // one frame out: room for one more
  EXPECT_EQ(bus.tx_pending(a), 3u);
  EXPECT_TRUE(bus.send(a, frame_of(0x1), 320));
  CanFrame bad = frame_of(0x1);
  bad.dlc = 9;
  EXPECT_FALSE(bus.send(a, bad, 320));
  bad = frame_of(0x800, 8, false);  // wider than 11 bits
  EXPECT_FALSE(bus.send(a, bad, 320));
  EXPECT_EQ(bus.port_stats(a).tx_rejected, 2u);
}

TEST(CanBusQueues, ReceiveQueueOverflowDropsTheNewest) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a", 16, 16);
  const int b = bus.attach("b", 16, 3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bus.send(a, frame_of(0x10u + i), 0));
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, b), (std::vector<std::uint32_t>{0x10, 0x11, 0x12}));
  EXPECT_EQ(bus.port_stats(b).rx_overflow, 2u);
  EXPECT_EQ(bus.port_stats(b).frames_received, 3u);
  EXPECT_EQ(bus.stats().rx_overflow, 2u);
  EXPECT_EQ(bus.port_stats(a).frames_sent, 5u);  // acknowledged all the same
}

// ---------------------------------------------------------------------------------------------
// Saturation

TEST(CanBusLoad, AFullBusCarriesNoMoreThanTheBitrateAllows) {
  CanBus bus("link", kBitrate, 1);
  for (int i = 0; i < 3; ++i) bus.attach("talker" + std::to_string(i), 64, 16);
  const int listener = bus.attach("listener", 16, 64);
  // Each talker offers one 8-byte frame every 200 us: 15 000 frames/s against ~3 125 possible.
  std::uint64_t offered = 0;
  for (std::uint64_t t = 0; t < 1'000'000; t += 200) {
    for (int i = 0; i < 3; ++i) {
      bus.send(i, frame_of(0x100u + static_cast<std::uint32_t>(i)), t);
      ++offered;
    }
    bus.advance_to(t + 199);
    CanFrame f;
    while (bus.receive(listener, f)) {
    }
  }
  bus.advance_to(1'000'000);
  const auto sent = bus.stats().frames_transmitted;
  EXPECT_LE(sent, 1'000'000u / 320u + 1);  // 160-bit frames at 2 us per bit
  EXPECT_GE(sent, 1'000'000u / 320u - 2);
  EXPECT_GT(bus.bus_load_percent(), 99.0);
  EXPECT_LE(bus.bus_load_percent(), 100.0);
  EXPECT_GT(bus.stats().tx_queue_full, offered / 2);
  // The highest-priority talker gets the lion's share; the lowest starves.
  EXPECT_GT(bus.port_stats(0).frames_sent, bus.port_stats(2).frames_sent);
  EXPECT_EQ(bus.port_stats(listener).frames_received, sent);
}

TEST(CanBusLoad, LoadOfAPeriodicSchedule) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("a");
  bus.attach("b");
  for (std::uint64_t t = 0; t < 1'000'000; t += 10'000) {
    bus.send(a, frame_of(0x1), t);  // one 320 us frame every 10 ms: 3.2 %
    bus.advance_to(t + 9'999);
    CanFrame f;
    while (bus.receive(1, f)) {
    }
  }
  bus.advance_to(1'000'000);
  EXPECT_NEAR(bus.bus_load_percent(), 3.2, 0.01);
  bus.reset_statistics();
  EXPECT_EQ(bus.stats().frames_transmitted, 0u);
  EXPECT_EQ(bus.bus_load_percent(), 0.0);
}

// ---------------------------------------------------------------------------------------------
// Determinism and recording

std::vector<CanTraceEntry> run_lossy(std::uint64_t seed) {
  CanBus bus("link", kBitrate, seed);
  std::vector<CanTraceEntry> trace;
  trace.reserve(10'000);
  bus.set_observer([&trace](const CanTraceEntry& e) { trace.push_back(e); });
  for (int i = 0; i < 5; ++i) bus.attach("n" + std::to_string(i));
  bus.set_loss_probability(0.3);
  for (std::uint64_t t = 0; t < 200'000; t += 1000) {
    for (int i = 0; i < 5; ++i) {
      bus.send(
          i, frame_of(0x10u * static_cast<std::uint32_t>(i + 1), static_cast<std::uint8_t>(i + 4)),
          t + static_cast<std::uint64_t>(i) * 50);
    }
    bus.advance_to(t + 999);
    for (int i = 0; i < 5; ++i) {
      CanFrame f;
      while (bus.receive(i, f)) {
      }
    }
  }
  return trace;
}

bool same_trace(const std::vector<CanTraceEntry>& x, const std::vector<CanTraceEntry>& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].time_us != y[i].time_us || x[i].port != y[i].port || !(x[i].frame == y[i].frame) ||
        x[i].outcome != y[i].outcome) {
      return false;
    }
  }
  return true;
}

TEST(CanBusDeterminism, SameSeedSameDeliveries) {
  const auto first = run_lossy(123);
  const auto second = run_lossy(123);
  const auto other = run_lossy(124);
  ASSERT_GT(first.size(), 500u);
  EXPECT_TRUE(same_trace(first, second));
  EXPECT_FALSE(same_trace(first, other));
  for (std::size_t i = 1; i < first.size(); ++i) EXPECT_LE(first[i - 1].time_us, first[i].time_us);
}

TEST(CanBusRecorder, ObserverAndCandumpLine) {
  CanBus bus("link", kBitrate, 1);
  const int a = bus.attach("bdu");
  bus.attach("module1");
  std::vector<CanTraceEntry> trace;
  bus.set_observer([&trace](const CanTraceEntry& e) { trace.push_back(e); });
  CanFrame command = frame_of(0x0210FF80, 4);
  command.data = {0x06, 0xA0, 0x0F, 0x2A};
  ASSERT_TRUE(bus.send(a, command, 1'000'000));
  bus.advance_to(2'000'000);
  ASSERT_EQ(trace.size(), 1u);
  EXPECT_EQ(trace[0].port, a);
  EXPECT_EQ(trace[0].outcome, CanTraceEntry::Outcome::Delivered);
  char line[96];
  format_candump(line, sizeof line, trace[0].time_us, "link0", trace[0].frame);
  // 4-byte extended frame: 99 + 21 worst-case stuff bits; delivered 3 bits before the end.
  EXPECT_EQ(trace[0].time_us, 1'000'000u + 2u * (120u - 3u));
  EXPECT_STREQ(line, "(1.000234) link0 0210FF80#06A00F2A");
  CanFrame standard = frame_of(0x351, 2, false);
  standard.data = {0xAB, 0x01};
  format_candump(line, sizeof line, 12'345'678, "inv", standard);
  EXPECT_STREQ(line, "(12.345678) inv 351#AB01");
  CanFrame empty = frame_of(0x7FF, 0, false);
  format_candump(line, sizeof line, 0, "x", empty);
  EXPECT_STREQ(line, "(0.000000) x 7FF#");
}

TEST(CanBusPorts, NamesAndCounts) {
  CanBus bus("link-bdu1", 250'000, 1);
  EXPECT_EQ(bus.attach("bdu"), 0);
  EXPECT_EQ(bus.attach("module1"), 1);
  EXPECT_EQ(bus.port_count(), 2);
  EXPECT_EQ(bus.port_name(1), "module1");
  EXPECT_EQ(bus.name(), "link-bdu1");
  EXPECT_EQ(bus.frame_duration_ns(frame_of(0x1)), 640'000u);  // 4 us per bit
  EXPECT_FALSE(bus.send(5, frame_of(0x1), 0));
  CanFrame f;
  EXPECT_FALSE(bus.receive(-1, f));
}

}  // namespace
}  // namespace bts::sim

namespace {

TEST(CanBusFilters, APortHearsOnlyWhatItsFiltersAcceptButStillAcknowledges) {
  bts::sim::CanBus bus("filters", 500000, 1);
  const int sender = bus.attach("sender");
  const int filtered = bus.attach("filtered");
  ASSERT_TRUE(bus.add_acceptance_filter(filtered, 0x80, 0xFF));  // source address byte 0x80 only
  bts::firmware::CanFrame wanted, unwanted;
  wanted.id = 0x0210FF80;
  wanted.dlc = 1;
  unwanted.id = 0x03208001;
  unwanted.dlc = 1;
  ASSERT_TRUE(bus.send(sender, unwanted, 0));
  ASSERT_TRUE(bus.send(sender, wanted, 0));
  bus.advance_to(10000);
  bts::firmware::CanFrame received;
  ASSERT_TRUE(bus.receive(filtered, received));
  EXPECT_EQ(received.id, wanted.id);
  EXPECT_FALSE(bus.receive(filtered, received));
  // Both frames went out (acknowledged by the filtered port), none was lost.
  EXPECT_EQ(bus.port_stats(sender).frames_sent, 2u);
  EXPECT_EQ(bus.port_stats(sender).frames_lost, 0u);
  for (int f = 1; f < bts::sim::CanBus::kMaxFilters; ++f)
    EXPECT_TRUE(bus.add_acceptance_filter(filtered, 0, 0));
  EXPECT_FALSE(bus.add_acceptance_filter(filtered, 0, 0));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// What the bus keeps between frames (which ports accept an identifier, which have a frame queued,
// are bus-off or count receive errors) follows every change made during a run.

namespace bts::sim {
namespace {

TEST(CanBusKeptState, FiltersAddedDuringARunTakeEffectAtOnce) {
  CanBus bus("link", kBitrate, 1);
  const int sender = bus.attach("sender");
  const int open = bus.attach("open");
  const int module = bus.attach("module");
  const std::vector<std::uint32_t> ids{0x0210FF80, 0x03208001, 0x0210FF81};
  std::uint64_t now_us = 0;
  auto send_all = [&]() {
    for (std::uint32_t id : ids) ASSERT_TRUE(bus.send(sender, frame_of(id), now_us));
    now_us += 10'000;
    bus.advance_to(now_us);
  };
  send_all();  // no filters yet: everyone takes everything
  EXPECT_EQ(drain_ids(bus, module), ids);
  EXPECT_EQ(drain_ids(bus, open), ids);
  ASSERT_TRUE(bus.add_acceptance_filter(module, 0x80, 0xFF));  // source 0x80 only
  send_all();
  EXPECT_EQ(drain_ids(bus, module), std::vector<std::uint32_t>{0x0210FF80});
  EXPECT_EQ(drain_ids(bus, open), ids);
  ASSERT_TRUE(bus.add_acceptance_filter(module, 0x03000000, 0x0F000000));  // and type 0x03..
  send_all();
  EXPECT_EQ(drain_ids(bus, module), (std::vector<std::uint32_t>{0x0210FF80, 0x03208001}));
  EXPECT_EQ(drain_ids(bus, open), ids);
  ASSERT_TRUE(bus.add_acceptance_filter(open, 0x81, 0xFF));  // the open port gets one too
  send_all();
  EXPECT_EQ(drain_ids(bus, open), std::vector<std::uint32_t>{0x0210FF81});
  EXPECT_EQ(drain_ids(bus, module), (std::vector<std::uint32_t>{0x0210FF80, 0x03208001}));
}

TEST(CanBusKeptState, FiltersReplacedDuringARunTakeEffectAtOnce) {
  // A module reprograms its controller when its Link address changes: the new set replaces the
  // old one whole, an empty set takes every frame again, a set too large changes nothing.
  CanBus bus("link", kBitrate, 1);
  const int sender = bus.attach("sender");
  const int module = bus.attach("module");
  const std::vector<std::uint32_t> ids{0x0210FF80, 0x03110180, 0x03110280, 0x051A0080};
  std::uint64_t now_us = 0;
  auto send_all = [&]() {
    for (std::uint32_t id : ids) ASSERT_TRUE(bus.send(sender, frame_of(id), now_us));
    now_us += 10'000;
    bus.advance_to(now_us);
  };
  using Filter = firmware::CanAcceptanceFilter;
  const std::array unaddressed{Filter{0x0080, 0xFFFF}, Filter{0xFF80, 0xFFFF}};
  ASSERT_TRUE(bus.set_acceptance_filters(module, unaddressed));
  send_all();
  EXPECT_EQ(drain_ids(bus, module), (std::vector<std::uint32_t>{0x0210FF80, 0x051A0080}));
  const std::array second{Filter{0x0280, 0xFFFF}, Filter{0xFF80, 0xFFFF}};
  ASSERT_TRUE(bus.set_acceptance_filters(module, second));
  send_all();
  EXPECT_EQ(drain_ids(bus, module), (std::vector<std::uint32_t>{0x0210FF80, 0x03110280}));
  const std::array<Filter, CanBus::kMaxFilters + 1> too_many{};
  EXPECT_FALSE(bus.set_acceptance_filters(module, too_many));
  EXPECT_FALSE(bus.set_acceptance_filters(7, second));
  send_all();
  EXPECT_EQ(drain_ids(bus, module), (std::vector<std::uint32_t>{0x0210FF80, 0x03110280}));
  ASSERT_TRUE(bus.set_acceptance_filters(module, {}));
  send_all();
  EXPECT_EQ(drain_ids(bus, module), ids);
}

TEST(CanBusKeptState, ManyIdentifiersEachFilteredOnItsOwn) {
  CanBus bus("link", kBitrate, 1);
  const int sender = bus.attach("sender", 512);
  const int even = bus.attach("even", 16, 2048);
  const int low = bus.attach("low", 16, 2048);
  const int all = bus.attach("all", 16, 2048);
  ASSERT_TRUE(bus.add_acceptance_filter(even, 0x0, 0x1));        // even identifiers
  ASSERT_TRUE(bus.add_acceptance_filter(low, 0x0, 0x1FFFF000));  // identifiers below 0x1000
  std::vector<std::uint32_t> sent, want_even, want_low;
  std::uint64_t now_us = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::uint32_t i = 0; i < 400; ++i) {
      const std::uint32_t id = (i * 7919u) % 0x20000u;  // more identifiers than any table holds
      ASSERT_TRUE(bus.send(sender, frame_of(id, 0), now_us));
      sent.push_back(id);
      if (id % 2 == 0) want_even.push_back(id);
      if (id < 0x1000) want_low.push_back(id);
    }
    now_us += 100'000;
    bus.advance_to(now_us);
  }
  EXPECT_EQ(drain_ids(bus, all), sent);
  EXPECT_EQ(drain_ids(bus, even), want_even);
  EXPECT_EQ(drain_ids(bus, low), want_low);
}

TEST(CanBusKeptState, ABusOffPortHearsNothingUntilItIsBackOnTheBus) {
  CanBus bus("link", kBitrate, 3);
  const int a = bus.attach("a", 64);
  const int b = bus.attach("b");
  const int c = bus.attach("c");
  ASSERT_TRUE(bus.add_acceptance_filter(a, 0x0, 0x0));  // takes everything, through a filter
  ASSERT_TRUE(bus.add_acceptance_filter(c, 0x0, 0x0));
  bus.set_loss_probability(1.0);
  bus.set_bus_off_recovery_us(100'000);
  for (int i = 0; i < 32; ++i) ASSERT_TRUE(bus.send(a, frame_of(0x1), 0));
  bus.advance_to(20'000);
  // 32 corrupted attempts of 346 us: bus-off at 11 072 us, back at 111 072 us.
  ASSERT_EQ(bus.error_state(a), CanErrorState::BusOff);
  EXPECT_EQ(bus.receive_error_count(b), 32u);
  EXPECT_EQ(bus.receive_error_count(c), 32u);
  bus.set_loss_probability(0.0);
  ASSERT_TRUE(bus.send(b, frame_of(0x2), 20'000));
  ASSERT_TRUE(bus.send(c, frame_of(0x3), 20'000));
  bus.advance_to(30'000);
  EXPECT_TRUE(drain_ids(bus, a).empty());
  EXPECT_EQ(drain_ids(bus, b), std::vector<std::uint32_t>{0x3});
  EXPECT_EQ(drain_ids(bus, c), std::vector<std::uint32_t>{0x2});
  // Each good reception lowers a receiver's counter by one.
  EXPECT_EQ(bus.receive_error_count(b), 31u);
  EXPECT_EQ(bus.receive_error_count(c), 31u);
  // A frame that starts while a is off and ends after its recovery time reaches a: it is on the
  // bus when the frame is delivered.
  ASSERT_TRUE(bus.send(b, frame_of(0x4), 110'900));
  bus.advance_to(111'000);
  EXPECT_EQ(bus.error_state(a), CanErrorState::BusOff);
  bus.advance_to(120'000);
  EXPECT_EQ(bus.error_state(a), CanErrorState::Active);
  EXPECT_EQ(drain_ids(bus, a), std::vector<std::uint32_t>{0x4});
  EXPECT_EQ(drain_ids(bus, c), std::vector<std::uint32_t>{0x4});
  EXPECT_EQ(bus.receive_error_count(c), 30u);
  // Back on the bus with its counters cleared, a talks and hears as before.
  ASSERT_TRUE(bus.send(a, frame_of(0x5), 120'000));
  ASSERT_TRUE(bus.send(c, frame_of(0x6), 120'000));
  bus.advance_to(130'000);
  EXPECT_EQ(drain_ids(bus, a), std::vector<std::uint32_t>{0x6});
  EXPECT_EQ(drain_ids(bus, b), (std::vector<std::uint32_t>{0x5, 0x6}));
  EXPECT_EQ(bus.receive_error_count(a), 0u);
  EXPECT_EQ(bus.receive_error_count(b), 29u);
}

TEST(CanBusKeptState, ReceiveErrorCountersAboveThePassiveLevelDropTo120) {
  CanBus bus("link", kBitrate, 5);
  std::vector<int> senders;
  for (int i = 0; i < 5; ++i) senders.push_back(bus.attach("sender" + std::to_string(i), 64));
  const int receiver = bus.attach("receiver");
  const int quiet = bus.attach("quiet");
  ASSERT_TRUE(bus.add_acceptance_filter(quiet, 0x7FF, 0x7FF));  // hears nothing sent here
  bus.set_loss_probability(1.0);
  for (int s : senders) {  // each sender goes bus-off after 32 corrupted attempts
    for (int i = 0; i < 32; ++i) ASSERT_TRUE(bus.send(s, frame_of(0x10u + s), 0));
  }
  bus.advance_to(100'000);
  EXPECT_EQ(bus.receive_error_count(receiver), 160u);
  EXPECT_EQ(bus.receive_error_count(quiet), 160u);
  EXPECT_EQ(bus.error_state(receiver), CanErrorState::Passive);
  bus.set_loss_probability(0.0);
  ASSERT_TRUE(bus.send(receiver, frame_of(0x1), 100'000));
  ASSERT_TRUE(bus.send(quiet, frame_of(0x2), 100'000));
  bus.advance_to(110'000);
  EXPECT_EQ(bus.receive_error_count(receiver), 120u);
  EXPECT_EQ(bus.receive_error_count(quiet), 120u);
  EXPECT_EQ(drain_ids(bus, receiver), std::vector<std::uint32_t>{0x2});
  EXPECT_TRUE(drain_ids(bus, quiet).empty());
}

TEST(CanBusKeptState, ACableCutWhileFramesWaitSplitsTheirDeliveries) {
  CanBus bus("link", kBitrate, 1);
  const int bdu = bus.attach("bdu");
  std::vector<int> m;
  for (int i = 0; i < 4; ++i) {
    m.push_back(bus.attach("module" + std::to_string(i + 1)));
    ASSERT_TRUE(bus.add_acceptance_filter(m.back(), 0x80, 0xFF));
  }
  for (std::uint32_t i = 0; i < 3; ++i)
    ASSERT_TRUE(bus.send(bdu, frame_of(0x0210FF80 + (i << 16)), 0));
  ASSERT_TRUE(bus.send(m[2], frame_of(0x03208003), 0));
  // The BDU's first frame runs 0..320 us, its second 320..640 us; the cable before module 3 is
  // cut during the second.
  bus.advance_to(400);
  bus.set_segment(m[2], 1);
  bus.set_segment(m[3], 1);
  bus.advance_to(10'000);
  const std::vector<std::uint32_t> all{0x0210FF80, 0x0211FF80, 0x0212FF80};
  EXPECT_EQ(drain_ids(bus, m[0]), all);
  EXPECT_EQ(drain_ids(bus, m[1]), all);
  EXPECT_EQ(drain_ids(bus, m[3]), std::vector<std::uint32_t>{0x0210FF80});
  EXPECT_EQ(drain_ids(bus, m[2]), std::vector<std::uint32_t>{0x0210FF80});
  EXPECT_TRUE(drain_ids(bus, bdu).empty());         // module 3's frame stayed beyond the cut
  EXPECT_EQ(bus.port_stats(m[2]).frames_sent, 1u);  // module 4 acknowledged it
  // Mended: module 3's next frame reaches the BDU, the BDU's reach module 4 again.
  bus.set_segment(m[2], 0);
  bus.set_segment(m[3], 0);
  ASSERT_TRUE(bus.send(m[2], frame_of(0x03208003), 10'000));
  ASSERT_TRUE(bus.send(bdu, frame_of(0x0213FF80), 10'000));
  bus.advance_to(20'000);
  EXPECT_EQ(drain_ids(bus, bdu), std::vector<std::uint32_t>{0x03208003});
  EXPECT_EQ(drain_ids(bus, m[3]), std::vector<std::uint32_t>{0x0213FF80});
}

TEST(CanBusKeptState, TerminationAndLossChangedDuringARunTakeEffectAtOnce) {
  CanBus bus("link", kBitrate, 9);
  const int a = bus.attach("a");
  const int b = bus.attach("b");
  const int c = bus.attach("c");
  bus.set_segment(c, 1);
  bus.attach("d");  // on segment 0 with a and b
  std::uint64_t now_us = 0;
  auto delivered = [&](int from, int to) {
    bus.send(from, frame_of(0x100), now_us);
    now_us += 1000;
    bus.advance_to(now_us);
    return drain_ids(bus, to).size();
  };
  EXPECT_EQ(delivered(a, b), 1u);
  bus.set_unterminated_loss_probability(1.0);
  bus.set_terminated(0, false);
  EXPECT_EQ(delivered(a, b), 0u);
  bus.set_unterminated_loss_probability(0.0);
  EXPECT_EQ(delivered(a, b), 1u);
  bus.set_unterminated_loss_probability(1.0);
  EXPECT_EQ(delivered(a, b), 0u);
  bus.set_terminated(0, true);
  EXPECT_EQ(delivered(a, b), 1u);
  bus.set_loss_probability(1.0);
  EXPECT_EQ(delivered(a, b), 0u);
  bus.set_loss_probability(0.0);
  EXPECT_EQ(delivered(a, b), 1u);
  // Segment 1 keeps its own termination: unterminated there, segment 0 is unaffected.
  bus.set_segment(b, 1);
  bus.set_terminated(1, false);
  EXPECT_EQ(delivered(b, c), 0u);
  bus.set_segment(b, 0);
  EXPECT_EQ(delivered(a, b), 1u);
}

// advance_to returns at once when nothing is queued and nothing is on the wire: a last frame on
// the wire goes on to its delivery over several calls, on one segment and on a bus cut in two,
// and then the idle bus only moves its clock.
TEST(CanBusKeptState, ALastFrameOnTheWireIsDeliveredOverSeveralAdvances) {
  for (const bool cut : {false, true}) {
    CanBus bus("link", kBitrate, 1);
    const int a = bus.attach("a");
    const int b = bus.attach("b");
    const int c = bus.attach("c");
    const int d = bus.attach("d");
    if (cut) {
      bus.set_segment(c, 1);
      bus.set_segment(d, 1);
    }
    const CanFrame frame = frame_of(0x123);
    const std::uint64_t delivery_us =
        (bus.frame_duration_ns(frame) - 3 * (1'000'000'000ull / kBitrate)) / 1000;
    ASSERT_TRUE(bus.send(a, frame, 0));
    bus.advance_to(10);  // started at 0: on the wire (it leaves its queue once it has gone out)
    EXPECT_EQ(bus.tx_pending(a), 1u);
    EXPECT_EQ(bus.rx_pending(b), 0u);
    bus.advance_to(delivery_us - 1);
    EXPECT_EQ(bus.rx_pending(b), 0u);
    bus.advance_to(delivery_us);
    CanFrame received;
    std::uint64_t received_us = 0;
    ASSERT_TRUE(bus.receive(b, received, received_us)) << cut;
    EXPECT_EQ(received.id, 0x123u);
    EXPECT_EQ(received_us, delivery_us);
    EXPECT_EQ(bus.tx_pending(a), 0u);
    EXPECT_EQ(bus.rx_pending(c), cut ? 0u : 1u);
    bus.advance_to(50'000);  // idle
    EXPECT_EQ(bus.now_us(), 50'000u);
    EXPECT_EQ(bus.rx_pending(b), 0u);
    EXPECT_EQ(bus.stats().frames_transmitted, 1u);
  }
}

TEST(CanBusKeptState, ABusWithMoreThanSixtyFourPorts) {
  CanBus bus("big", kBitrate, 1);
  std::vector<int> p;
  for (int i = 0; i < 70; ++i) p.push_back(bus.attach("node" + std::to_string(i)));
  ASSERT_TRUE(bus.add_acceptance_filter(p[3], 0x080, 0x7FF));
  ASSERT_TRUE(bus.add_acceptance_filter(p[65], 0x080, 0x7FF));
  bus.set_segment(p[66], 1);
  bus.set_segment(p[67], 1);
  ASSERT_TRUE(bus.send(p[69], frame_of(0x100, 8, false), 0));
  ASSERT_TRUE(bus.send(p[64], frame_of(0x080, 8, false), 0));
  ASSERT_TRUE(bus.send(p[2], frame_of(0x200, 8, false), 0));
  ASSERT_TRUE(bus.send(p[67], frame_of(0x300, 8, false), 0));
  bus.advance_to(10'000);
  EXPECT_EQ(drain_ids(bus, p[0]), (std::vector<std::uint32_t>{0x080, 0x100, 0x200}));
  EXPECT_EQ(drain_ids(bus, p[68]), (std::vector<std::uint32_t>{0x080, 0x100, 0x200}));
  EXPECT_EQ(drain_ids(bus, p[3]), std::vector<std::uint32_t>{0x080});
  EXPECT_EQ(drain_ids(bus, p[65]), std::vector<std::uint32_t>{0x080});
  EXPECT_EQ(drain_ids(bus, p[66]), std::vector<std::uint32_t>{0x300});
  EXPECT_EQ(drain_ids(bus, p[64]), (std::vector<std::uint32_t>{0x100, 0x200}));
  // Receive error counters on both sides of port 64.
  bus.set_loss_probability(1.0);
  ASSERT_TRUE(bus.send(p[0], frame_of(0x1, 8, false), 10'000));
  bus.advance_to(20'000);
  EXPECT_EQ(bus.receive_error_count(p[3]), 1u);
  EXPECT_EQ(bus.receive_error_count(p[65]), 1u);
  EXPECT_EQ(bus.receive_error_count(p[66]), 0u);
  bus.set_loss_probability(0.0);
  ASSERT_TRUE(bus.send(p[0], frame_of(0x2, 8, false), 20'000));
  bus.advance_to(30'000);
  EXPECT_EQ(bus.receive_error_count(p[3]), 0u);
  EXPECT_EQ(bus.receive_error_count(p[65]), 0u);
  EXPECT_EQ(drain_ids(bus, p[69]), (std::vector<std::uint32_t>{0x080, 0x200, 0x2}));
}

}  // namespace
}  // namespace bts::sim
