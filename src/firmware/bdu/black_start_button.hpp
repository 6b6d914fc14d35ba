#pragma once
// The black start push button (one-key activate/shutdown, REQ-FEA-5). Press times (documented in
// docs/firmware.md): held 1 s while shut down -> activate; held 5 s while on -> shutdown; a press
// of 1-5 s while on -> a reset request (clears latched faults whose cause is gone).
#include <cstdint>

#include "firmware/common/types.hpp"

namespace bts::firmware {

struct ButtonPresses {
  bool activate = false;     // reached 1 s (fires once per press)
  bool shutdown = false;     // reached 5 s (fires once per press)
  bool short_press = false;  // released after 1..5 s
};

class BlackStartButton {
 public:
  static constexpr TimeMs kActivateHold_ms = 1000;
  static constexpr TimeMs kShutdownHold_ms = 5000;

  ButtonPresses update(bool pressed, TimeMs now_ms) {
    ButtonPresses presses;
    if (pressed && !was_pressed_) {
      pressed_since_ms_ = now_ms;
      activate_sent_ = shutdown_sent_ = false;
    }
    if (pressed) {
      const TimeMs held_ms = now_ms - pressed_since_ms_;
      if (held_ms >= kActivateHold_ms && !activate_sent_) {
        presses.activate = true;
        activate_sent_ = true;
      }
      if (held_ms >= kShutdownHold_ms && !shutdown_sent_) {
        presses.shutdown = true;
        shutdown_sent_ = true;
      }
    } else if (was_pressed_) {
      const TimeMs held_ms = now_ms - pressed_since_ms_;
      presses.short_press = held_ms >= kActivateHold_ms && held_ms < kShutdownHold_ms;
    }
    was_pressed_ = pressed;
    return presses;
  }
  /// Pressed at the last update: its hold time counts, tick by tick.
  bool held() const { return was_pressed_; }

 private:
  bool was_pressed_ = false;
  bool activate_sent_ = false;
  bool shutdown_sent_ = false;
  TimeMs pressed_since_ms_ = 0;
};

}  // namespace bts::firmware
