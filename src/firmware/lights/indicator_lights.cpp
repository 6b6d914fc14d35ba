// Indicator lights: the manual's tables 2-1 to 2-3 and the alarm and fault tables.
#include "firmware/lights/indicator_lights.hpp"

#include <algorithm>

namespace bts::firmware {
namespace {

using SocLights = std::array<LightMode, kSocLightCount>;

// Discharging (steady) pattern of a band: L1..L(band) on.
SocLights steady_soc_lights(int band) {
  SocLights lights{};
  for (int light = 0; light < band && light < kSocLightCount; ++light) {
    lights[light] = LightMode::On;
  }
  return lights;
}

// Charging pattern of a band: the band's top light flashes, the ones below are on.
SocLights charging_soc_lights(int band) {
  SocLights lights = steady_soc_lights(band);
  if (band > 0) lights[band - 1] = LightMode::Flash;
  return lights;
}

LightPattern normal_lights(DisplayState state, int band) {
  LightPattern pattern;
  switch (state) {
    case DisplayState::Shutdown:
      return pattern;
    case DisplayState::Standby:
      pattern.status_colour = StatusColour::Green;
      pattern.status = LightMode::Flash;
      pattern.soc = steady_soc_lights(band);
      return pattern;
    case DisplayState::Updating:
      pattern.status_colour = StatusColour::Blue;
      pattern.status = LightMode::Flash;
      pattern.soc = steady_soc_lights(band);
      return pattern;
    case DisplayState::Charge:
      pattern.status_colour = StatusColour::Blue;
      pattern.status = LightMode::On;
      pattern.soc = charging_soc_lights(band);
      return pattern;
    case DisplayState::Discharge:
      pattern.status_colour = StatusColour::Green;
      pattern.status = LightMode::On;
      pattern.soc = steady_soc_lights(band);
      return pattern;
  }
  return LightPattern{};
}

bool lit(LightMode mode, TimeMs now_ms) {
  if (mode == LightMode::On) return true;
  return mode == LightMode::Flash && (now_ms % kFlashPeriod_ms) < kFlashLit_ms;
}

DecodedLights decode_code(const LightPattern& pattern) {
  DecodedLights decoded;
  const CodeKind kind = pattern.alarm == LightMode::Flash ? CodeKind::Alarm : CodeKind::Fault;
  for (const CodeInfo& info : kCodeTable) {
    if (info.kind != kind) continue;
    bool same = true;
    for (int light = 0; light < kSocLightCount; ++light) {
      const LightMode expected = info.soc_lights[light] ? LightMode::On : LightMode::Off;
      same = same && pattern.soc[light] == expected;
    }
    if (same) decoded.candidates.set(info.code);
  }
  decoded.valid = !decoded.candidates.empty();
  decoded.is_code = decoded.valid;
  return decoded;
}

DecodedLights decode_normal(const LightPattern& pattern) {
  DecodedLights decoded;
  DisplayState state = DisplayState::Shutdown;
  if (pattern.status == LightMode::Off) {
    state = DisplayState::Shutdown;
  } else if (pattern.status_colour == StatusColour::Green) {
    state = pattern.status == LightMode::Flash ? DisplayState::Standby : DisplayState::Discharge;
  } else if (pattern.status_colour == StatusColour::Blue) {
    state = pattern.status == LightMode::Flash ? DisplayState::Updating : DisplayState::Charge;
  } else {
    return decoded;  // a lit status light without a colour
  }
  if (state == DisplayState::Shutdown) {
    decoded.valid = pattern.soc == SocLights{};
    return decoded;
  }
  for (std::size_t band = 0; band < kSocBands.size(); ++band) {
    if (normal_lights(state, static_cast<int>(band)).soc == pattern.soc) {
      decoded.valid = true;
      decoded.state = state;
      decoded.soc_band_min_percent = kSocBands[band].min_percent;
      decoded.soc_band_max_percent = kSocBands[band].max_percent;
      return decoded;
    }
  }
  return decoded;
}

}  // namespace

int soc_band_index(int soc_percent) {
  const int clamped = std::clamp(soc_percent, 0, 100);
  for (std::size_t band = 0; band < kSocBands.size(); ++band) {
    if (clamped <= kSocBands[band].max_percent) return static_cast<int>(band);
  }
  return static_cast<int>(kSocBands.size()) - 1;
}

int soc_percent_from_permille(std::int32_t soc_permille) {
  const std::int32_t clamped = std::clamp<std::int32_t>(soc_permille, 0, 1000);
  return static_cast<int>((clamped + 5) / 10);
}

LightPattern code_lights(Code code) {
  const CodeInfo& info = code_info(code);
  LightPattern pattern;
  pattern.alarm = info.kind == CodeKind::Fault ? LightMode::On : LightMode::Flash;
  for (int light = 0; light < kSocLightCount; ++light) {
    pattern.soc[light] = info.soc_lights[light] ? LightMode::On : LightMode::Off;
  }
  return pattern;
}

LightPattern compute_lights(DisplayState state, int soc_percent, CodeSet active) {
  if (state == DisplayState::Shutdown) return LightPattern{};
  if (const auto code = active.highest_priority()) return code_lights(*code);
  return normal_lights(state, soc_band_index(soc_percent));
}

LightLevels lights_at(const LightPattern& pattern, TimeMs now_ms) {
  LightLevels levels;
  levels.status_lit = pattern.status_colour != StatusColour::None && lit(pattern.status, now_ms);
  levels.status_colour = levels.status_lit ? pattern.status_colour : StatusColour::None;
  levels.alarm_lit = lit(pattern.alarm, now_ms);
  for (int light = 0; light < kSocLightCount; ++light) {
    levels.soc_lit[light] = lit(pattern.soc[light], now_ms);
  }
  return levels;
}

DecodedLights decode_lights(const LightPattern& pattern) {
  if (pattern.alarm == LightMode::Off) return decode_normal(pattern);
  // A code pattern: the status light is dark and the SOC lights are steady.
  if (pattern.status != LightMode::Off) return DecodedLights{};
  return decode_code(pattern);
}

const char* light_mode_name(LightMode mode) {
  switch (mode) {
    case LightMode::Off:
      return "off";
    case LightMode::On:
      return "on";
    case LightMode::Flash:
      return "flash";
  }
  return "?";
}

const char* status_colour_name(StatusColour colour) {
  switch (colour) {
    case StatusColour::None:
      return "none";
    case StatusColour::Green:
      return "green";
    case StatusColour::Blue:
      return "blue";
  }
  return "?";
}

const char* display_state_name(DisplayState state) {
  switch (state) {
    case DisplayState::Shutdown:
      return "shutdown";
    case DisplayState::Standby:
      return "standby";
    case DisplayState::Updating:
      return "updating";
    case DisplayState::Charge:
      return "charge";
    case DisplayState::Discharge:
      return "discharge";
  }
  return "?";
}

}  // namespace bts::firmware
