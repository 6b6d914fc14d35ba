// Household and ambient profiles: values at known times, CSV series and their errors.
#include "plant/profiles.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace bts::plant {
namespace {

constexpr double kHour_s = 3600.0;

std::string data_file(const std::string& name) {
  return std::string(BTS_SOURCE_DIR) + "/data/profiles/" + name;
}

/// A scratch file unique to this test and process (release and sanitizer runs may overlap).
std::string write_temp_file(const std::string& stem, const std::string& text) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto path =
      std::filesystem::temp_directory_path() /
      ("bts_" + std::string(info->name()) + "_" + std::to_string(::getpid()) + "_" + stem);
  std::ofstream(path) << text;
  return path.string();
}

HouseholdProfileParameters pv_home() {
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::PvHomeDay;
  return p;
}

TEST(HouseholdProfile, IdleAsksNothing) {
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::Idle;
  const HouseholdProfile profile(p);
  EXPECT_EQ(profile.battery_power_request_W(0.0), 0.0);
  EXPECT_EQ(profile.battery_power_request_W(12 * kHour_s), 0.0);
}

TEST(HouseholdProfile, ConstantPowerSplitsIntoLoadOrPv) {
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::ConstantPower;
  p.constant_power_W = 1500.0;
  const HouseholdProfile discharge(p);
  EXPECT_EQ(discharge.battery_power_request_W(123.0), 1500.0);
  EXPECT_EQ(discharge.house_load_W(123.0), 1500.0);
  EXPECT_EQ(discharge.pv_power_W(123.0), 0.0);

  p.constant_power_W = -2000.0;
  const HouseholdProfile charge(p);
  EXPECT_EQ(charge.battery_power_request_W(5.0), -2000.0);
  EXPECT_EQ(charge.pv_power_W(5.0), 2000.0);
  EXPECT_EQ(charge.house_load_W(5.0), 0.0);
}

TEST(HouseholdProfile, StepsArePiecewiseConstant) {
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::Steps;
  p.steps = {{600.0, -3000.0}, {60.0, 1000.0}, {1200.0, 0.0}};  // out of order on purpose
  const HouseholdProfile profile(p);
  EXPECT_EQ(profile.battery_power_request_W(0.0), 0.0);  // before the first step
  EXPECT_EQ(profile.battery_power_request_W(59.9), 0.0);
  EXPECT_EQ(profile.battery_power_request_W(60.0), 1000.0);
  EXPECT_EQ(profile.battery_power_request_W(599.0), 1000.0);
  EXPECT_EQ(profile.battery_power_request_W(600.0), -3000.0);
  EXPECT_EQ(profile.battery_power_request_W(1199.0), -3000.0);
  EXPECT_EQ(profile.battery_power_request_W(1e6), 0.0);
}

TEST(HouseholdProfile, PvHomeDayHasNoPvAtNightAndPeaksAtSolarNoon) {
  const auto p = pv_home();
  const HouseholdProfile profile(p);
  const double noon_h = (p.pv_home.sunrise_h + p.pv_home.sunset_h) / 2.0;  // 13:00
  EXPECT_EQ(profile.pv_power_W(2 * kHour_s), 0.0);
  EXPECT_EQ(profile.pv_power_W(p.pv_home.sunrise_h * kHour_s), 0.0);
  EXPECT_EQ(profile.pv_power_W(23 * kHour_s), 0.0);
  EXPECT_NEAR(profile.pv_power_W(noon_h * kHour_s), p.pv_home.pv_peak_W, 1e-6);
  EXPECT_LT(profile.pv_power_W((noon_h - 2) * kHour_s), p.pv_home.pv_peak_W);
  EXPECT_GT(profile.pv_power_W((noon_h - 2) * kHour_s), 0.5 * p.pv_home.pv_peak_W);
}

TEST(HouseholdProfile, PvHomeDayRequestIsLoadMinusPv) {
  const HouseholdProfile profile(pv_home());
  // At night the house discharges the battery; at noon the PV surplus charges it.
  EXPECT_GT(profile.battery_power_request_W(2 * kHour_s), 0.0);
  EXPECT_LT(profile.battery_power_request_W(13 * kHour_s), 0.0);
  for (double t = 0.0; t < 86400.0; t += 997.0) {
    const auto s = profile.sample(t);
    EXPECT_DOUBLE_EQ(s.request_W, s.load_W - s.pv_W);
  }
}

TEST(HouseholdProfile, PvHomeDayLoadHasMorningAndEveningBumps) {
  const auto p = pv_home();
  const HouseholdProfile profile(p);
  EXPECT_NEAR(profile.house_load_W(3 * kHour_s), p.pv_home.base_load_W, 1.0);
  EXPECT_NEAR(profile.house_load_W(7.5 * kHour_s), p.pv_home.base_load_W + p.pv_home.morning_peak_W,
              5.0);
  EXPECT_NEAR(profile.house_load_W(19.0 * kHour_s),
              p.pv_home.base_load_W + p.pv_home.evening_peak_W, 5.0);
}

TEST(HouseholdProfile, PvHomeDayRepeatsDailyAndHonoursStartTime) {
  auto p = pv_home();
  p.pv_home.cloudiness = 0.5;
  const HouseholdProfile profile(p, 7);
  for (double t = 0.0; t < 86400.0; t += 1234.5) {
    EXPECT_NEAR(profile.battery_power_request_W(t), profile.battery_power_request_W(t + 86400.0),
                1e-6);
    EXPECT_NEAR(profile.battery_power_request_W(t),
                profile.battery_power_request_W(t + 10 * 86400.0), 1e-6);
  }
  p.pv_home.start_time_h = 12.0;
  const HouseholdProfile shifted(p, 7);
  EXPECT_NEAR(shifted.pv_power_W(1 * kHour_s), profile.pv_power_W(13 * kHour_s), 1e-6);
  EXPECT_NEAR(shifted.house_load_W(0.0), profile.house_load_W(12 * kHour_s), 1e-6);
}

TEST(HouseholdProfile, CloudinessIsSeededAndBounded) {
  auto p = pv_home();
  p.pv_home.cloudiness = 1.0;
  const HouseholdProfile a(p, 1), b(p, 1), c(p, 2);
  bool differs = false;
  for (double h = 7.0; h < 19.0; h += 0.1) {
    const double clear_W = HouseholdProfile(pv_home()).pv_power_W(h * kHour_s);
    const double cloudy_W = a.pv_power_W(h * kHour_s);
    EXPECT_EQ(cloudy_W, b.pv_power_W(h * kHour_s));
    EXPECT_GE(cloudy_W, 0.1 * clear_W - 1e-9);  // overcast leaves 10-50 % of the clear sky
    EXPECT_LE(cloudy_W, 0.5 * clear_W + 1e-9);
    differs = differs || cloudy_W != c.pv_power_W(h * kHour_s);
  }
  EXPECT_TRUE(differs);
}

TEST(HouseholdProfile, CsvBatteryPowerIsInterpolated) {
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::CsvSeries;
  p.csv_path = data_file("battery-power-sample.csv");
  const HouseholdProfile profile(p);
  EXPECT_EQ(profile.battery_power_request_W(-5.0), 0.0);  // held before the first row
  EXPECT_NEAR(profile.battery_power_request_W(300.0), 1000.0, 1e-9);
  EXPECT_NEAR(profile.battery_power_request_W(1000.0), 2000.0, 1e-9);
  EXPECT_NEAR(profile.battery_power_request_W(2100.0), -500.0, 1e-9);
  EXPECT_EQ(profile.battery_power_request_W(1e6), 0.0);  // held after the last row
}

TEST(HouseholdProfile, CsvPvAndLoadColumns) {
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::CsvSeries;
  p.csv_path = data_file("pv-home-sample.csv");
  const HouseholdProfile profile(p);
  EXPECT_NEAR(profile.pv_power_W(13 * kHour_s), 6000.0, 1e-9);
  EXPECT_NEAR(profile.house_load_W(13 * kHour_s), 700.0, 1e-9);
  EXPECT_NEAR(profile.battery_power_request_W(13 * kHour_s), -5300.0, 1e-9);
  EXPECT_NEAR(profile.pv_power_W(7.5 * kHour_s), 1553.0 / 2.0, 1e-9);
}

TEST(CsvSeries, BadNumberNamesFileLineAndColumn) {
  const std::string path =
      write_temp_file("bad.csv", "# comment\ntime_s,battery_power_W\n0,100\n60,abc\n");
  HouseholdProfileParameters p;
  p.kind = HouseholdProfileKind::CsvSeries;
  p.csv_path = path;
  try {
    HouseholdProfile profile(p);
    FAIL() << "a bad CSV was accepted";
  } catch (const ProfileFileError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("line 4"), std::string::npos) << message;
    EXPECT_NE(message.find("column 2 (battery_power_W)"), std::string::npos) << message;
    EXPECT_EQ(e.line(), 4);
    EXPECT_EQ(e.column(), 2);
  }
  std::filesystem::remove(path);
}

TEST(CsvSeries, RefusesWrongHeaderFieldCountTimeOrderAndMissingFile) {
  const auto message_for = [](const std::string& text) {
    const std::string path = write_temp_file("case.csv", text);
    std::string message;
    try {
      CsvSeries::load(path, {{"time_s", "temperature_degC"}});
    } catch (const ProfileFileError& e) {
      message = e.what();
    }
    std::filesystem::remove(path);
    return message;
  };
  EXPECT_NE(message_for("time,temp\n0,1\n").find("line 1"), std::string::npos);
  EXPECT_NE(message_for("time_s,temperature_degC\n0,1\n5,2,3\n").find("line 3, column 3"),
            std::string::npos);
  EXPECT_NE(message_for("time_s,temperature_degC\n0,1\n0,2\n").find("must increase"),
            std::string::npos);
  EXPECT_NE(message_for("time_s,temperature_degC\n").find("no data rows"), std::string::npos);
  EXPECT_NE(message_for("time_s,temperature_degC\n0,nan\n").find("not a finite number"),
            std::string::npos);
  EXPECT_THROW(CsvSeries::load("/nonexistent/bts.csv", {{"time_s", "x"}}), ProfileFileError);
}

TEST(CsvSeries, ToleratesWindowsLineEndsAndSpaces) {
  const std::string path =
      write_temp_file("crlf.csv", "time_s, temperature_degC\r\n0, 1\r\n10,+3\r\n");
  const auto series = CsvSeries::load(path, {{"time_s", "temperature_degC"}});
  EXPECT_EQ(series.row_count(), 2u);
  EXPECT_NEAR(series.value(1, 5.0), 2.0, 1e-12);
  std::filesystem::remove(path);
}

TEST(AmbientProfile, ConstantIsTheMean) {
  AmbientProfileParameters p;
  p.mean_degC = 18.0;
  const AmbientProfile profile(p);
  EXPECT_EQ(profile.temperature_degC(0.0), 18.0);
  EXPECT_EQ(profile.temperature_degC(50000.0), 18.0);
}

TEST(AmbientProfile, DailyCycleIsColdestAtFiveAndWarmestAtSeventeen) {
  AmbientProfileParameters p;
  p.kind = AmbientProfileKind::DailyCycle;
  p.mean_degC = 15.0;
  p.amplitude_degC = 6.0;
  const AmbientProfile profile(p);
  EXPECT_NEAR(profile.temperature_degC(5 * kHour_s), 9.0, 1e-9);
  EXPECT_NEAR(profile.temperature_degC(17 * kHour_s), 21.0, 1e-9);
  double coldest_s = 0.0, warmest_s = 0.0;
  for (double t = 0.0; t < 86400.0; t += 60.0) {
    if (profile.temperature_degC(t) < profile.temperature_degC(coldest_s)) coldest_s = t;
    if (profile.temperature_degC(t) > profile.temperature_degC(warmest_s)) warmest_s = t;
  }
  EXPECT_EQ(coldest_s, 5 * kHour_s);
  EXPECT_EQ(warmest_s, 17 * kHour_s);
  EXPECT_NEAR(profile.temperature_degC(86400.0 + 5 * kHour_s), 9.0, 1e-9);  // repeats

  p.start_time_h = 5.0;  // time 0 is 05:00
  EXPECT_NEAR(AmbientProfile(p).temperature_degC(0.0), 9.0, 1e-9);
}

TEST(AmbientProfile, WinterDefaultsToAGarage) {
  AmbientProfileParameters p;
  p.kind = AmbientProfileKind::Winter;
  const AmbientProfile garage(p);
  EXPECT_EQ(garage.mean_degC(), AmbientProfile::kWinterGarageMean_degC);
  EXPECT_EQ(garage.amplitude_degC(), AmbientProfile::kWinterGarageAmplitude_degC);
  EXPECT_NEAR(garage.temperature_degC(5 * kHour_s), -2.0, 1e-9);
  EXPECT_NEAR(garage.temperature_degC(17 * kHour_s), 6.0, 1e-9);

  p.mean_degC = -8.0;  // a colder place: the given mean is kept
  const AmbientProfile colder(p);
  EXPECT_EQ(colder.mean_degC(), -8.0);
  EXPECT_EQ(colder.amplitude_degC(), AmbientProfile::kWinterGarageAmplitude_degC);
}

TEST(AmbientProfile, CsvSeries) {
  AmbientProfileParameters p;
  p.kind = AmbientProfileKind::CsvSeries;
  p.csv_path = data_file("garage-temperature-sample.csv");
  const AmbientProfile profile(p);
  EXPECT_NEAR(profile.temperature_degC(0.0), 0.7, 1e-9);
  EXPECT_NEAR(profile.temperature_degC(5400.0), (0.7 - 1.1) / 2.0, 1e-9);
  p.csv_path = data_file("pv-home-sample.csv");  // wrong columns for an ambient
  EXPECT_THROW(AmbientProfile bad(p), ProfileFileError);
}

}  // namespace
}  // namespace bts::plant
