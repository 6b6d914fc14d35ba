// The stuck-channel bookkeeping counts the channels that changed within the window exactly as a
// plain walk over every channel's last-change time does, also when it skips the walk.
#include "firmware/module_bms/channel_moves.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

namespace bts::firmware {
namespace {

constexpr std::size_t kChannels = 16;

/// The reference: each channel's last change, counted with plain comparisons.
struct PlainCount {
  std::array<TimeMs, kChannels> changed_ms{};
  int update(const std::int32_t* current, const std::int32_t* previous, int count, TimeMs now_ms,
             TimeMs window_ms) {
    int moving = 0;
    for (int channel = 0; channel < count; ++channel) {
      if (current[channel] != previous[channel]) changed_ms[channel] = now_ms;
      if (now_ms - changed_ms[channel] < window_ms) ++moving;
    }
    return moving;
  }
};

using Changes = ChannelMoves<kChannels>::Changes;

template <Changes kChanges>
void expect_same_counts(TimeMs window_ms, std::uint32_t seed) {
  ChannelMoves<kChannels> moves;
  PlainCount plain;
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> permille(0, 999);
  std::array<std::int32_t, kChannels> previous{}, current{};
  std::array<bool, kChannels> frozen{};
  TimeMs now_ms = 5000;
  moves.restart(now_ms);
  plain.changed_ms.fill(now_ms);
  int all_moving = 0, some_stuck = 0;
  for (int k = 0; k < 50000; ++k) {
    now_ms += permille(random) < 20 ? 0 : 100;  // sometimes the same time stamp twice
    // Long quiet phases (the shortcut's case), then spells of frozen channels; now and then
    // fewer channels, whose last ones then keep their old times.
    const bool quiet_phase = (k / 5000) % 2 == 0;
    const int count = permille(random) < 5 ? 12 : 16;
    for (int channel = 0; channel < count; ++channel) {
      if (!quiet_phase && permille(random) < (frozen[channel] ? 20 : 2))
        frozen[channel] = !frozen[channel];
      if (quiet_phase) frozen[channel] = false;
      current[channel] = frozen[channel] ? previous[channel] : previous[channel] + 1;
    }
    const int expected = plain.update(current.data(), previous.data(), count, now_ms, window_ms);
    ASSERT_EQ(
        moves.template update<kChanges>(current.data(), previous.data(), count, now_ms, window_ms),
        expected)
        << "sample " << k << ", " << count << " channels";
    (expected == count ? all_moving : some_stuck) += 1;
    previous = current;
  }
  if (window_ms > 0) {
    EXPECT_GT(all_moving, 10000) << "the test must see all channels moving";
    EXPECT_GT(some_stuck, 1000) << "... and stuck ones";
  }
}

TEST(ChannelMoves, CountsThoseOfAPlainWalkWithAWindowOfTwoSeconds) {
  expect_same_counts<Changes::MostSamples>(2000, 1);
  expect_same_counts<Changes::Seldom>(2000, 4);
}

TEST(ChannelMoves, CountsThoseOfAPlainWalkWithAWindowOfOneSample) {
  expect_same_counts<Changes::MostSamples>(100, 2);
  expect_same_counts<Changes::Seldom>(100, 5);
}

TEST(ChannelMoves, AWindowOfZeroCountsNothingAsMoving) {
  expect_same_counts<Changes::MostSamples>(0, 3);
  expect_same_counts<Changes::Seldom>(0, 6);
}

TEST(ChannelMoves, AChannelThatStopsIsCountedOnceTheWindowHasPassed) {
  ChannelMoves<4> moves;
  std::array<std::int16_t, 4> previous{10, 20, 30, 40}, current = previous;
  moves.restart(0);
  TimeMs now_ms = 0;
  for (int k = 1; k <= 100; ++k) {  // 10 s: channel 2 stops after the first second
    now_ms += 100;
    for (std::size_t channel = 0; channel < 4; ++channel) {
      if (channel != 2 || now_ms <= 1000)
        current[channel] = static_cast<std::int16_t>(current[channel] + 1);
    }
    const int moving = moves.update<ChannelMoves<4>::Changes::Seldom>(
        current.data(), previous.data(), 4, now_ms, 5000);
    EXPECT_EQ(moving, now_ms < 1000 + 5000 ? 4 : 3) << now_ms;
    previous = current;
  }
}

}  // namespace
}  // namespace bts::firmware
