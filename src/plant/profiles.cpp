#include "plant/profiles.hpp"

#include <algorithm>
#include <cmath>

#include "plant/random.hpp"
#include "plant/units.hpp"

namespace bts::plant {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHoursPerDay = 24.0;
constexpr std::uint64_t kCloudStream = 0xC10D;  // keeps the clouds apart from other seed users

/// Second of the day (0 <= s < 86400) at simulation time time_s.
double second_of_day(double time_s, double start_time_h) {
  const double s = std::fmod(start_time_h * kSecondsPerHour + time_s, kSecondsPerDay);
  return s < 0.0 ? s + kSecondsPerDay : s;
}

/// Gaussian bump at centre_h, measured the short way round the clock so midnight is seamless.
double daily_bump(double hour, double centre_h, double width_h) {
  double distance_h = std::fabs(hour - centre_h);
  distance_h = std::min(distance_h, kHoursPerDay - distance_h);
  const double z = distance_h / width_h;
  return std::exp(-0.5 * z * z);
}

HouseholdSample from_request(double request_W) {
  return {std::max(-request_W, 0.0), std::max(request_W, 0.0), request_W};
}

const std::vector<std::vector<std::string>> kHouseholdHeaders{{"time_s", "battery_power_W"},
                                                              {"time_s", "pv_W", "load_W"}};
const std::vector<std::vector<std::string>> kAmbientHeaders{{"time_s", "temperature_degC"}};

}  // namespace

HouseholdProfile::HouseholdProfile(const HouseholdProfileParameters& parameters, std::uint64_t seed)
    : parameters_(parameters) {
  // Steps are looked up by time; keep them in order whatever the caller gave.
  std::stable_sort(parameters_.steps.begin(), parameters_.steps.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  // Passing clouds: each knot takes away 50-90 % of the clear sky, scaled by cloudiness
  // (1 = overcast leaves 10-50 %). One pattern per seed, the same every day.
  Rng rng = Rng(seed).fork(kCloudStream);
  const double cloudiness = std::clamp(parameters_.pv_home.cloudiness, 0.0, 1.0);
  for (int i = 0; i < kCloudKnotsPerDay; ++i) {
    cloud_factor_[static_cast<std::size_t>(i)] = 1.0 - cloudiness * (0.5 + 0.4 * rng.uniform());
  }
  cloud_factor_[kCloudKnotsPerDay] = cloud_factor_[0];

  if (parameters_.kind == HouseholdProfileKind::CsvSeries) {
    csv_ = CsvSeries::load(parameters_.csv_path, kHouseholdHeaders);
    if (csv_->has_column("battery_power_W")) {
      csv_power_column_ = csv_->column_index("battery_power_W");
    } else {
      csv_pv_column_ = csv_->column_index("pv_W");
      csv_load_column_ = csv_->column_index("load_W");
    }
  }
}

HouseholdSample HouseholdProfile::sample(double time_s) const {
  switch (parameters_.kind) {
    case HouseholdProfileKind::Idle:
      return {};
    case HouseholdProfileKind::ConstantPower:
      return from_request(parameters_.constant_power_W);
    case HouseholdProfileKind::Steps: {
      // The last step that has started; before the first one the house asks nothing.
      const auto after = std::upper_bound(
          parameters_.steps.begin(), parameters_.steps.end(), time_s,
          [](double t, const std::pair<double, double>& step) { return t < step.first; });
      if (after == parameters_.steps.begin()) return {};
      return from_request(std::prev(after)->second);
    }
    case HouseholdProfileKind::PvHomeDay:
      return pv_home_sample(time_s);
    case HouseholdProfileKind::CsvSeries:
      return csv_sample(time_s);
  }
  return {};
}

HouseholdSample HouseholdProfile::pv_home_sample(double time_s) const {
  const PvHomeParameters& p = parameters_.pv_home;
  const double second = second_of_day(time_s, p.start_time_h);
  const double hour = second / kSecondsPerHour;

  double pv_W = 0.0;
  if (hour > p.sunrise_h && hour < p.sunset_h) {
    const double day_share = (hour - p.sunrise_h) / (p.sunset_h - p.sunrise_h);
    pv_W = p.pv_peak_W * std::sin(kPi * day_share) * cloud_factor(second);
  }
  const double load_W =
      p.base_load_W +
      p.morning_peak_W * daily_bump(hour, p.morning_peak_time_h, p.morning_peak_width_h) +
      p.evening_peak_W * daily_bump(hour, p.evening_peak_time_h, p.evening_peak_width_h);
  return {pv_W, load_W, load_W - pv_W};
}

double HouseholdProfile::cloud_factor(double second) const {
  const double position = second / kSecondsPerDay * kCloudKnotsPerDay;
  const auto knot =
      std::min(static_cast<std::size_t>(position), static_cast<std::size_t>(kCloudKnotsPerDay - 1));
  const double share = position - static_cast<double>(knot);
  return cloud_factor_[knot] + share * (cloud_factor_[knot + 1] - cloud_factor_[knot]);
}

HouseholdSample HouseholdProfile::csv_sample(double time_s) const {
  if (csv_power_column_ != 0) return from_request(csv_->value(csv_power_column_, time_s));
  const double pv_W = csv_->value(csv_pv_column_, time_s);
  const double load_W = csv_->value(csv_load_column_, time_s);
  return {pv_W, load_W, load_W - pv_W};
}

AmbientProfile::AmbientProfile(const AmbientProfileParameters& parameters)
    : parameters_(parameters),
      mean_degC_(parameters.mean_degC),
      amplitude_degC_(parameters.amplitude_degC) {
  if (parameters_.kind == AmbientProfileKind::Winter) {
    // A field left at its (summer-room) default means "a winter garage" for this kind.
    const AmbientProfileParameters defaults;
    if (mean_degC_ == defaults.mean_degC) mean_degC_ = kWinterGarageMean_degC;
    if (amplitude_degC_ == defaults.amplitude_degC) amplitude_degC_ = kWinterGarageAmplitude_degC;
  }
  if (parameters_.kind == AmbientProfileKind::CsvSeries) {
    csv_ = CsvSeries::load(parameters_.csv_path, kAmbientHeaders);
  }
}

double AmbientProfile::temperature_degC(double time_s) const {
  switch (parameters_.kind) {
    case AmbientProfileKind::Constant:
      return mean_degC_;
    case AmbientProfileKind::DailyCycle:
    case AmbientProfileKind::Winter: {
      const double hour = second_of_day(time_s, parameters_.start_time_h) / kSecondsPerHour;
      return mean_degC_ -
             amplitude_degC_ * std::cos(2.0 * kPi * (hour - kColdestHour_h) / kHoursPerDay);
    }
    case AmbientProfileKind::CsvSeries:
      return csv_->value(1, time_s);
  }
  return mean_degC_;
}

}  // namespace bts::plant
