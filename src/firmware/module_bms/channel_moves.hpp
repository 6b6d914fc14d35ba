#pragma once
// When each channel of a sample last changed, and how many changed within a window: the
// bookkeeping of the stuck-channel check (a converter that freezes repeats its last reading while
// its siblings move with the noise; docs/diagnosis.md, F10).
#include <algorithm>
#include <array>
#include <cstddef>

#include "firmware/common/types.hpp"

namespace bts::firmware {

template <std::size_t kChannels>
class ChannelMoves {
 public:
  /// Every channel counts as changed at now_ms (the first sample).
  void restart(TimeMs now_ms) {
    changed_ms_.fill(now_ms);
    bound_channels_ = -1;
  }

  /// How often a channel's reading changes from one sample to the next: the bookkeeping is
  /// written for each (see update).
  enum class Changes { MostSamples, Seldom };

  /// Records which of the first `count` channels differ from the previous sample at now_ms, and
  /// returns how many changed less than window_ms ago (0 for a window of 0). Times never decrease.
  template <Changes kChanges, typename Reading>
  int update(const Reading* current, const Reading* previous, int count, TimeMs now_ms,
             TimeMs window_ms) {
    TimeMs* const changed_ms = changed_ms_.data();
    for (int channel = 0; channel < count; ++channel) {
      if constexpr (kChanges == Changes::MostSamples) {
        // A mask, not a branch: whether a noisy reading changed is a coin toss, and GCC made
        // the ternary a branch, mispredicted about once in three channels with 2 mV of noise.
        const TimeMs moved_mask = TimeMs{0} - (current[channel] != previous[channel] ? 1U : 0U);
        changed_ms[channel] ^= (changed_ms[channel] ^ now_ms) & moved_mask;
      } else if (current[channel] != previous[channel]) {
        changed_ms[channel] = now_ms;  // e.g. temperatures, converted once a second
      }
    }
    // A channel's time only grows, so the oldest one the last count found stays a lower bound of
    // them all: while it is inside the window, every channel is, and there is nothing to count.
    // With noise on that holds for ten minutes at a time; a stuck channel ends it.
    if (bound_channels_ == count && now_ms - oldest_bound_ms_ < window_ms) return count;
    int moving = 0;
    TimeMs oldest_ms = now_ms;
    for (int channel = 0; channel < count; ++channel) {
      moving += now_ms - changed_ms[channel] < window_ms ? 1 : 0;
      oldest_ms = std::min(oldest_ms, changed_ms[channel]);
    }
    oldest_bound_ms_ = oldest_ms;
    bound_channels_ = count;
    return moving;
  }

 private:
  std::array<TimeMs, kChannels> changed_ms_{};
  TimeMs oldest_bound_ms_ = 0;
  int bound_channels_ = -1;  // how many channels the bound was found over; -1: none yet
};

}  // namespace bts::firmware
