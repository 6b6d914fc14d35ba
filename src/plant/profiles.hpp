#pragma once
// What the world around the battery does over time: the household behind the inverter (PV, house
// load, and so the power it asks of the battery) and the ambient temperature around the boxes.
// Both are pure functions of simulated time, built once at start-up (CSV files are read in the
// constructor and throw ProfileFileError there, never while stepping).
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "plant/csv_series.hpp"
#include "plant/inverter_parameters.hpp"

namespace bts::plant {

inline constexpr double kSecondsPerDay = 86400.0;

/// One instant of the household. Always request_W = load_W - pv_W (self-consumption):
/// request_W > 0 asks the battery to discharge, < 0 offers it surplus to charge from.
struct HouseholdSample {
  double pv_W = 0.0;
  double load_W = 0.0;
  double request_W = 0.0;
};

class HouseholdProfile {
 public:
  /// seed drives the PvHomeDay cloud pattern only. Throws ProfileFileError for a bad CSV.
  explicit HouseholdProfile(const HouseholdProfileParameters& parameters, std::uint64_t seed = 1);

  /// > 0: the house wants the battery to discharge (W).
  double battery_power_request_W(double time_s) const { return sample(time_s).request_W; }
  double pv_power_W(double time_s) const { return sample(time_s).pv_W; }
  double house_load_W(double time_s) const { return sample(time_s).load_W; }
  /// All three at once. Kinds without PV and load report a discharge request as load and a
  /// charge request as PV, so the balance request = load - PV holds for every kind.
  HouseholdSample sample(double time_s) const;

  HouseholdProfileKind kind() const { return parameters_.kind; }
  const HouseholdProfileParameters& parameters() const { return parameters_; }

 private:
  HouseholdSample pv_home_sample(double time_s) const;
  HouseholdSample csv_sample(double time_s) const;
  double cloud_factor(double second_of_day) const;

  HouseholdProfileParameters parameters_;
  /// PvHomeDay: remaining share of clear-sky PV at each knot of the day (last = first: it wraps).
  static constexpr int kCloudKnotsPerDay = 144;  // every 10 minutes
  std::array<double, kCloudKnotsPerDay + 1> cloud_factor_{};
  std::optional<CsvSeries> csv_;
  std::size_t csv_power_column_ = 0, csv_pv_column_ = 0, csv_load_column_ = 0;
};

class AmbientProfile {
 public:
  /// The winter garage used by kind Winter when mean_degC and amplitude_degC keep their defaults.
  static constexpr double kWinterGarageMean_degC = 2.0;
  static constexpr double kWinterGarageAmplitude_degC = 4.0;
  /// The daily cycle is a sinusoid, coldest at 05:00 and warmest twelve hours later at 17:00.
  static constexpr double kColdestHour_h = 5.0;

  /// Throws ProfileFileError for a bad CSV.
  explicit AmbientProfile(const AmbientProfileParameters& parameters);

  double temperature_degC(double time_s) const;

  AmbientProfileKind kind() const { return parameters_.kind; }
  /// The mean and amplitude in use (kind Winter may have replaced the defaults).
  double mean_degC() const { return mean_degC_; }
  double amplitude_degC() const { return amplitude_degC_; }

 private:
  AmbientProfileParameters parameters_;
  double mean_degC_;
  double amplitude_degC_;
  std::optional<CsvSeries> csv_;
};

}  // namespace bts::plant
