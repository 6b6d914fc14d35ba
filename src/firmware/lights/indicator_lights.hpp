#pragma once
// Indicator lights of a BDU or a module: one status light (green or blue), one alarm light and the
// five SOC lights L1..L5, as the manual's tables give them (BTS-SPEC section 3; docs/diagnosis.md).
// compute_lights() picks the pattern, lights_at() turns it into lit/unlit at a tick time, and
// decode_lights() reads a pattern back for tools.
#include <array>
#include <cstdint>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"

namespace bts::firmware {

enum class LightMode : std::uint8_t { Off, On, Flash };
enum class StatusColour : std::uint8_t { None, Green, Blue };

inline constexpr int kSocLightCount = 5;

/// What each light does. status_colour is None whenever the status light is off.
struct LightPattern {
  StatusColour status_colour = StatusColour::None;
  LightMode status = LightMode::Off;
  LightMode alarm = LightMode::Off;
  std::array<LightMode, kSocLightCount> soc{};  // L1..L5
  constexpr bool operator==(const LightPattern&) const = default;
};

/// The manual's normal states (table 2-1); each node maps its own states onto these.
enum class DisplayState : std::uint8_t { Shutdown, Standby, Updating, Charge, Discharge };

/// D-SOC-BANDS: bands on SOC rounded to a whole percent; 51 % belongs to the 51..75 band.
struct SocBand {
  int min_percent;
  int max_percent;
};
inline constexpr std::array<SocBand, 6> kSocBands{
    {{0, 5}, {6, 25}, {26, 50}, {51, 75}, {76, 95}, {96, 100}}};

/// Index into kSocBands; the SOC is clamped to 0..100 first.
int soc_band_index(int soc_percent);

/// SOC in 0.1 % rounded (half up) to a whole percent and clamped to 0..100.
int soc_percent_from_permille(std::int32_t soc_permille);

/// The pattern of one alarm or fault code: status off, alarm flashing (alarm) or on (fault),
/// SOC lights steady as the code's table row.
LightPattern code_lights(Code code);

/// The lights of a node: Shutdown is all off even with codes; otherwise the highest-priority
/// active code (D-PRIORITY), else the state's pattern with the SOC band (D-STANDBY-SOC).
LightPattern compute_lights(DisplayState state, int soc_percent, CodeSet active);

/// Whether each light is lit at one moment. status_colour is None while the status light is dark.
struct LightLevels {
  bool status_lit = false;
  StatusColour status_colour = StatusColour::None;
  bool alarm_lit = false;
  std::array<bool, kSocLightCount> soc_lit{};
  constexpr bool operator==(const LightLevels&) const = default;
};

/// D-FLASH: 1 Hz, 50 % duty, every flashing light in phase, lit in the first half of each second.
inline constexpr TimeMs kFlashPeriod_ms = 1000;
inline constexpr TimeMs kFlashLit_ms = 500;
LightLevels lights_at(const LightPattern& pattern, TimeMs now_ms);

/// A pattern read back. For a code, candidates holds every code with that pattern (D-F11: the
/// pattern of F2 is also the pattern of F11). For a normal pattern, state and the SOC band are set
/// (Shutdown shows no SOC: band 0..100). valid is false for a pattern no node can show.
struct DecodedLights {
  bool valid = false;
  bool is_code = false;
  CodeSet candidates;
  DisplayState state = DisplayState::Shutdown;
  int soc_band_min_percent = 0;
  int soc_band_max_percent = 100;
};
DecodedLights decode_lights(const LightPattern& pattern);

const char* light_mode_name(LightMode mode);          // "off", "on", "flash"
const char* status_colour_name(StatusColour colour);  // "none", "green", "blue"
const char* display_state_name(DisplayState state);   // "shutdown", "standby", ...

}  // namespace bts::firmware
