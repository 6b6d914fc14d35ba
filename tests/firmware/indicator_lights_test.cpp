// Indicator lights: every row of the manual's tables (states, SOC bands, alarms, faults), the
// decisions D-SOC-BANDS, D-STANDBY-SOC, D-FLASH, D-F11 and D-PRIORITY. Expected patterns are
// written out from the manual here, not derived from the implementation's tables.
#include "firmware/lights/indicator_lights.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace bts::firmware {
namespace {

// "1F000": L1 on, L2 flashing, L3..L5 off.
std::array<LightMode, 5> soc(const char* lights) {
  std::array<LightMode, 5> modes{};
  for (int i = 0; i < 5; ++i) {
    modes[i] = lights[i] == '1'   ? LightMode::On
               : lights[i] == 'F' ? LightMode::Flash
                                  : LightMode::Off;
  }
  return modes;
}

std::string describe(const LightPattern& p) {
  std::string text = std::string(status_colour_name(p.status_colour)) + " " +
                     light_mode_name(p.status) + " alarm " + light_mode_name(p.alarm) + " soc";
  for (LightMode mode : p.soc) text += std::string(" ") + light_mode_name(mode);
  return text;
}

LightPattern normal(StatusColour colour, LightMode status, const char* soc_lights) {
  return LightPattern{colour, status, LightMode::Off, soc(soc_lights)};
}

CodeSet codes(std::initializer_list<Code> list) {
  CodeSet set;
  for (Code code : list) set.set(code);
  return set;
}

// ---- Normal states x SOC (tables 2-1 to 2-3, D-SOC-BANDS, D-STANDBY-SOC) ----

struct SocRow {
  int soc_percent;
  const char* charging;     // table 2-2
  const char* discharging;  // table 2-3, also Standby and Updating
};

// Every band, both edges of each band, the skipped 51 % and values outside 0..100.
const SocRow kSocRows[] = {
    {-5, "00000", "00000"}, {0, "00000", "00000"},   {3, "00000", "00000"},
    {5, "00000", "00000"},  {6, "F0000", "10000"},   {15, "F0000", "10000"},
    {25, "F0000", "10000"}, {26, "1F000", "11000"},  {40, "1F000", "11000"},
    {50, "1F000", "11000"}, {51, "11F00", "11100"},  {52, "11F00", "11100"},
    {60, "11F00", "11100"}, {75, "11F00", "11100"},  {76, "111F0", "11110"},
    {90, "111F0", "11110"}, {95, "111F0", "11110"},  {96, "1111F", "11111"},
    {99, "1111F", "11111"}, {100, "1111F", "11111"}, {130, "1111F", "11111"},
};

class NormalStateTest : public ::testing::TestWithParam<SocRow> {};

TEST_P(NormalStateTest, StandbyIsGreenFlashingWithSteadySocLights) {
  const SocRow& row = GetParam();
  EXPECT_EQ(compute_lights(DisplayState::Standby, row.soc_percent, {}),
            normal(StatusColour::Green, LightMode::Flash, row.discharging));
}

TEST_P(NormalStateTest, UpdatingIsBlueFlashingWithSteadySocLights) {
  const SocRow& row = GetParam();
  EXPECT_EQ(compute_lights(DisplayState::Updating, row.soc_percent, {}),
            normal(StatusColour::Blue, LightMode::Flash, row.discharging));
}

TEST_P(NormalStateTest, ChargeIsBlueOnWithChargingPattern) {
  const SocRow& row = GetParam();
  const LightPattern lights = compute_lights(DisplayState::Charge, row.soc_percent, {});
  EXPECT_EQ(lights, normal(StatusColour::Blue, LightMode::On, row.charging)) << describe(lights);
}

TEST_P(NormalStateTest, DischargeIsGreenOnWithDischargingPattern) {
  const SocRow& row = GetParam();
  EXPECT_EQ(compute_lights(DisplayState::Discharge, row.soc_percent, {}),
            normal(StatusColour::Green, LightMode::On, row.discharging));
}

TEST_P(NormalStateTest, ShutdownIsAllOff) {
  EXPECT_EQ(compute_lights(DisplayState::Shutdown, GetParam().soc_percent, {}), LightPattern{});
}

INSTANTIATE_TEST_SUITE_P(SocBands, NormalStateTest, ::testing::ValuesIn(kSocRows),
                         [](const auto& param_info) {
                           const int soc_percent = param_info.param.soc_percent;
                           return soc_percent < 0 ? "minus" + std::to_string(-soc_percent)
                                                  : "soc" + std::to_string(soc_percent);
                         });

TEST(SocBandsTest, BandIndexAtEveryEdge) {
  EXPECT_EQ(soc_band_index(0), 0);
  EXPECT_EQ(soc_band_index(5), 0);
  EXPECT_EQ(soc_band_index(6), 1);
  EXPECT_EQ(soc_band_index(25), 1);
  EXPECT_EQ(soc_band_index(26), 2);
  EXPECT_EQ(soc_band_index(50), 2);
  EXPECT_EQ(soc_band_index(51), 3);
  EXPECT_EQ(soc_band_index(75), 3);
  EXPECT_EQ(soc_band_index(76), 4);
  EXPECT_EQ(soc_band_index(95), 4);
  EXPECT_EQ(soc_band_index(96), 5);
  EXPECT_EQ(soc_band_index(100), 5);
  EXPECT_EQ(soc_band_index(-1), 0);
  EXPECT_EQ(soc_band_index(101), 5);
}

TEST(SocBandsTest, PermilleRoundsHalfUpToWholePercentAndClamps) {
  EXPECT_EQ(soc_percent_from_permille(0), 0);
  EXPECT_EQ(soc_percent_from_permille(4), 0);
  EXPECT_EQ(soc_percent_from_permille(5), 1);
  EXPECT_EQ(soc_percent_from_permille(54), 5);
  EXPECT_EQ(soc_percent_from_permille(55), 6);  // 5.5 % rounds into the 6..25 band
  EXPECT_EQ(soc_percent_from_permille(504), 50);
  EXPECT_EQ(soc_percent_from_permille(505), 51);
  EXPECT_EQ(soc_percent_from_permille(1000), 100);
  EXPECT_EQ(soc_percent_from_permille(-30), 0);
  EXPECT_EQ(soc_percent_from_permille(1250), 100);
}

// ---- Alarm and fault codes (sections 3.3 and 3.4) ----

struct CodeRow {
  Code code;
  bool fault;
  const char* soc_lights;
};

const CodeRow kCodeRows[] = {
    {Code::A1, false, "10000"}, {Code::A2, false, "01000"}, {Code::A3, false, "00100"},
    {Code::A4, false, "00010"}, {Code::A5, false, "00001"}, {Code::A6, false, "11000"},
    {Code::A7, false, "01100"}, {Code::A8, false, "00110"}, {Code::A9, false, "11111"},
    {Code::F1, true, "10000"},  {Code::F2, true, "01000"},  {Code::F3, true, "00100"},
    {Code::F4, true, "00010"},  {Code::F5, true, "00001"},  {Code::F6, true, "11000"},
    {Code::F7, true, "01100"},  {Code::F8, true, "00110"},  {Code::F9, true, "10100"},
    {Code::F10, true, "10010"}, {Code::F11, true, "01000"}, {Code::F12, true, "01110"},
    {Code::F13, true, "11100"}, {Code::F14, true, "10110"}, {Code::F15, true, "11010"},
    {Code::F16, true, "11110"}, {Code::F17, true, "11111"},
};

LightPattern expected_code_lights(const CodeRow& row) {
  return LightPattern{StatusColour::None, LightMode::Off,
                      row.fault ? LightMode::On : LightMode::Flash, soc(row.soc_lights)};
}

class CodeLightsTest : public ::testing::TestWithParam<CodeRow> {};

TEST_P(CodeLightsTest, ShownInEveryStateButShutdown) {
  const CodeRow& row = GetParam();
  for (DisplayState state : {DisplayState::Standby, DisplayState::Updating, DisplayState::Charge,
                             DisplayState::Discharge}) {
    for (int soc_percent : {0, 30, 100}) {
      const LightPattern lights = compute_lights(state, soc_percent, codes({row.code}));
      EXPECT_EQ(lights, expected_code_lights(row))
          << display_state_name(state) << " " << soc_percent << ": " << describe(lights);
    }
  }
}

TEST_P(CodeLightsTest, ShutdownStaysDarkWithTheCodeActive) {
  EXPECT_EQ(compute_lights(DisplayState::Shutdown, 60, codes({GetParam().code})), LightPattern{});
}

TEST_P(CodeLightsTest, DecodesBackToTheCode) {
  const CodeRow& row = GetParam();
  const DecodedLights decoded = decode_lights(expected_code_lights(row));
  ASSERT_TRUE(decoded.valid);
  EXPECT_TRUE(decoded.is_code);
  // D-F11: the pattern of F2 and of F11 is the same; a reader must name both.
  const bool f2_or_f11 = row.code == Code::F2 || row.code == Code::F11;
  EXPECT_EQ(decoded.candidates, f2_or_f11 ? codes({Code::F2, Code::F11}) : codes({row.code}));
}

INSTANTIATE_TEST_SUITE_P(AllCodes, CodeLightsTest, ::testing::ValuesIn(kCodeRows),
                         [](const auto& param_info) {
                           return std::string(code_info(param_info.param.code).label);
                         });

// ---- D-PRIORITY ----

TEST(PriorityTest, FaultsOverAlarmsAndLowestNumberFirst) {
  struct Case {
    std::vector<Code> active;
    Code shown;
  };
  const Case cases[] = {
      {{Code::A5, Code::A1}, Code::A1},
      {{Code::A9, Code::A2}, Code::A2},
      {{Code::A1, Code::F17}, Code::F17},
      {{Code::F12, Code::A1, Code::F3}, Code::F3},
      {{Code::F11, Code::F2}, Code::F2},
      {{Code::F10, Code::F9, Code::A3}, Code::F9},
      {{Code::F1, Code::F17, Code::A1, Code::A9}, Code::F1},
  };
  for (const Case& c : cases) {
    CodeSet active;
    for (Code code : c.active) active.set(code);
    const LightPattern lights = compute_lights(DisplayState::Discharge, 80, active);
    EXPECT_EQ(lights, code_lights(c.shown)) << code_info(c.shown).label << ": " << describe(lights);
  }
}

TEST(PriorityTest, EveryPairOfCodesShowsTheHigherOne) {
  for (int a = 0; a < kCodeCount; ++a) {
    for (int b = 0; b < kCodeCount; ++b) {
      const auto code_a = static_cast<Code>(a);
      const auto code_b = static_cast<Code>(b);
      Code expected = a < b ? code_a : code_b;
      if (is_fault(code_a) != is_fault(code_b)) expected = is_fault(code_a) ? code_a : code_b;
      EXPECT_EQ(compute_lights(DisplayState::Charge, 40, codes({code_a, code_b})),
                code_lights(expected))
          << code_info(code_a).label << "+" << code_info(code_b).label;
    }
  }
}

// ---- D-FLASH ----

TEST(FlashTest, OneHertzHalfDutyAllInPhase) {
  const LightPattern charging = compute_lights(DisplayState::Charge, 60, {});  // "11F00"
  const LightPattern standby = compute_lights(DisplayState::Standby, 100, {});
  const LightPattern alarm = code_lights(Code::A6);
  struct Phase {
    TimeMs now_ms;
    bool flash_lit;
  };
  for (const Phase phase : {Phase{0, true}, Phase{499, true}, Phase{500, false}, Phase{999, false},
                            Phase{1000, true}, Phase{1499, true}, Phase{1500, false},
                            Phase{3'600'000'250, true}, Phase{3'600'000'750, false}}) {
    const LightLevels c = lights_at(charging, phase.now_ms);
    EXPECT_TRUE(c.status_lit) << phase.now_ms;  // blue on
    EXPECT_EQ(c.status_colour, StatusColour::Blue);
    EXPECT_FALSE(c.alarm_lit);
    EXPECT_EQ(c.soc_lit, (std::array<bool, 5>{true, true, phase.flash_lit, false, false}))
        << phase.now_ms;

    const LightLevels s = lights_at(standby, phase.now_ms);
    EXPECT_EQ(s.status_lit, phase.flash_lit) << phase.now_ms;
    EXPECT_EQ(s.status_colour, phase.flash_lit ? StatusColour::Green : StatusColour::None);
    EXPECT_EQ(s.soc_lit, (std::array<bool, 5>{true, true, true, true, true}));

    const LightLevels a = lights_at(alarm, phase.now_ms);
    EXPECT_FALSE(a.status_lit);
    EXPECT_EQ(a.alarm_lit, phase.flash_lit) << phase.now_ms;
    EXPECT_EQ(a.soc_lit, (std::array<bool, 5>{true, true, false, false, false}));
  }
}

TEST(FlashTest, FaultAlarmLightIsSteadyAndShutdownDark) {
  for (TimeMs now_ms : {0u, 499u, 500u, 999u}) {
    EXPECT_TRUE(lights_at(code_lights(Code::F1), now_ms).alarm_lit);
    EXPECT_EQ(lights_at(LightPattern{}, now_ms), LightLevels{});
  }
}

// ---- Decoding normal patterns (for tools) ----

TEST(DecodeTest, EveryStateAndBandRoundTrips) {
  for (DisplayState state : {DisplayState::Standby, DisplayState::Updating, DisplayState::Charge,
                             DisplayState::Discharge}) {
    for (const SocBand& band : kSocBands) {
      for (int soc_percent : {band.min_percent, band.max_percent}) {
        const DecodedLights decoded = decode_lights(compute_lights(state, soc_percent, {}));
        ASSERT_TRUE(decoded.valid) << display_state_name(state) << " " << soc_percent;
        EXPECT_FALSE(decoded.is_code);
        EXPECT_TRUE(decoded.candidates.empty());
        EXPECT_EQ(decoded.state, state);
        EXPECT_EQ(decoded.soc_band_min_percent, band.min_percent);
        EXPECT_EQ(decoded.soc_band_max_percent, band.max_percent);
      }
    }
  }
}

TEST(DecodeTest, BandsReadBackAsTheManualsRangesWith51InTheUpperBand) {
  const std::pair<int, int> expected[] = {{0, 5}, {6, 25}, {26, 50}, {51, 75}, {76, 95}, {96, 100}};
  for (const auto& [min_percent, max_percent] : expected) {
    for (int soc_percent : {min_percent, max_percent}) {
      const DecodedLights decoded =
          decode_lights(compute_lights(DisplayState::Charge, soc_percent, {}));
      EXPECT_EQ(decoded.soc_band_min_percent, min_percent) << soc_percent;
      EXPECT_EQ(decoded.soc_band_max_percent, max_percent) << soc_percent;
    }
  }
}

TEST(DecodeTest, ShutdownDecodesWithUnknownSoc) {
  const DecodedLights decoded = decode_lights(LightPattern{});
  EXPECT_TRUE(decoded.valid);
  EXPECT_FALSE(decoded.is_code);
  EXPECT_EQ(decoded.state, DisplayState::Shutdown);
  EXPECT_EQ(decoded.soc_band_min_percent, 0);
  EXPECT_EQ(decoded.soc_band_max_percent, 100);
}

TEST(DecodeTest, ImpossiblePatternsAreInvalid) {
  const LightPattern impossible[] = {
      // a code pattern with the status light lit
      {StatusColour::Green, LightMode::On, LightMode::Flash, soc("10000")},
      // a code pattern with a flashing SOC light
      {StatusColour::None, LightMode::Off, LightMode::On, soc("F0000")},
      // no code has L1 and L5 alone
      {StatusColour::None, LightMode::Off, LightMode::On, soc("10001")},
      {StatusColour::None, LightMode::Off, LightMode::Flash, soc("10001")},
      // an alarm pattern that only exists as a fault (F9)
      {StatusColour::None, LightMode::Off, LightMode::Flash, soc("10100")},
      // alarm and fault lights dark and nothing lit but SOC lights
      {StatusColour::None, LightMode::Off, LightMode::Off, soc("11000")},
      // a status light lit without a colour
      {StatusColour::None, LightMode::On, LightMode::Off, soc("11000")},
      // the steady pattern while charging, the charging pattern while discharging or in standby
      {StatusColour::Blue, LightMode::On, LightMode::Off, soc("11000")},
      {StatusColour::Green, LightMode::On, LightMode::Off, soc("1F000")},
      {StatusColour::Green, LightMode::Flash, LightMode::Off, soc("1F000")},
      // gaps in the SOC bar
      {StatusColour::Green, LightMode::On, LightMode::Off, soc("10100")},
  };
  for (const LightPattern& pattern : impossible) {
    EXPECT_FALSE(decode_lights(pattern).valid) << describe(pattern);
  }
}

TEST(NamesTest, LightModesAndColours) {
  EXPECT_STREQ(light_mode_name(LightMode::Off), "off");
  EXPECT_STREQ(light_mode_name(LightMode::On), "on");
  EXPECT_STREQ(light_mode_name(LightMode::Flash), "flash");
  EXPECT_STREQ(status_colour_name(StatusColour::Blue), "blue");
  EXPECT_STREQ(display_state_name(DisplayState::Updating), "updating");
}

}  // namespace
}  // namespace bts::firmware
