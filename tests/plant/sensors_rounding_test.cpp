// The sensors' rounding helpers must give the library's results bit for bit: every reading, and so
// every simulation output, depends on them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "plant/sensors.hpp"

namespace bts::plant {
namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_both_exact(double v) {
  EXPECT_TRUE(same_bits(exact_floor(v), std::floor(v))) << v;
  EXPECT_TRUE(same_bits(floor_half_up(v), std::floor(v + 0.5))) << v;
}

TEST(SensorRounding, EdgesMatchTheLibrary) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double base : {0.0, 0.5, 1.0, 1.5, 2.5, 1e3, 0x1p51, 0x1p52, 0x1p53, 1e300}) {
    for (double sign : {1.0, -1.0}) {
      double v = sign * base;
      for (int k = 0; k < 3; ++k) v = std::nextafter(v, -inf);
      for (int k = 0; k < 7; ++k) {
        expect_both_exact(v);
        v = std::nextafter(v, inf);
      }
    }
  }
  for (double v : {0.0, -0.0, 0.49999999999999994, -0.49999999999999994, -0.5, inf, -inf})
    expect_both_exact(v);
  EXPECT_TRUE(std::isnan(floor_half_up(std::numeric_limits<double>::quiet_NaN())));
}

TEST(SensorRounding, RandomValuesMatchTheLibrary) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> reading(-5000.0, 5000.0);
  std::uniform_int_distribution<std::uint64_t> bits;
  for (int k = 0; k < 200000; ++k) {
    expect_both_exact(reading(rng));
    const std::uint64_t b = bits(rng);
    double any;
    std::memcpy(&any, &b, sizeof any);
    if (!std::isnan(any)) expect_both_exact(any);
  }
}

// The module HAL's conversion of a reading to thousandths, floor_half_up(reading * 1000), gives
// back the count of 0.001 quanta the reading was made from (count * 0.001): so the HAL may take
// the count itself (plant/sensors.hpp, kMilliQuantum).
void expect_count_returns(std::int32_t count) {
  const double reading = static_cast<double>(count) * kMilliQuantum;
  EXPECT_EQ(static_cast<std::int32_t>(floor_half_up(reading * 1000.0)), count) << count;
}

TEST(SensorRounding, MilliQuantaScaleBackToTheirCount) {
  for (std::int32_t count = -2000000; count <= 2000000; ++count) expect_count_returns(count);
  const auto limit = static_cast<std::int64_t>(kQuantaCountLimit);
  for (std::int64_t edge : {limit - 1, -limit + 1, -limit, limit / 2, -limit / 2}) {
    for (std::int64_t k = -1000; k <= 1000; ++k) {
      const std::int64_t count = edge + k;
      if (count > -limit - 1 && count < limit)
        expect_count_returns(static_cast<std::int32_t>(count));
    }
  }
  std::mt19937_64 rng(12);
  std::uniform_int_distribution<std::int32_t> any_count(-(limit - 1), limit - 1);
  for (int k = 0; k < 2000000; ++k) expect_count_returns(any_count(rng));
}

// The quantised normal keeps half its table (the other half mirrored, sign flipped): every one of
// the 4096 values is still the inverse normal CDF at its bin's centre, to the bit, and a draw
// is one of them picked by 12 bits of the generator's word.
TEST(SensorRounding, QuantisedNormalIsTheInverseCdfAtEachBinCentre) {
  for (std::uint32_t bin = 0; bin < 4096; ++bin) {
    const double expected = inverse_normal_cdf((bin + 0.5) / 4096.0);
    EXPECT_TRUE(same_bits(Rng::quantised_normal_value(bin), expected))
        << bin << ": " << Rng::quantised_normal_value(bin) << " vs " << expected;
  }
  EXPECT_LT(Rng::quantised_normal_value(0), -3.4);
  EXPECT_GT(Rng::quantised_normal_value(4095), 3.4);
  Rng draws(31);
  Rng words(31);
  const std::uint64_t word = words.next_u64();
  for (int k = 0; k < 5; ++k) {
    const auto bin = static_cast<std::uint32_t>((word >> (12 * k)) & 0xFFFu);
    EXPECT_TRUE(same_bits(draws.normal_fast(), Rng::quantised_normal_value(bin))) << k;
  }
}

// Rng::fill_normal_fast gives the draws normal_fast gives, in order, and leaves the generator where
// they leave it.
TEST(SensorRounding, FilledNormalsAreTheDrawsOneAtATime) {
  Rng one_at_a_time(21);
  Rng filled(21);
  std::mt19937_64 lengths(22);
  std::uniform_int_distribution<std::size_t> length(0, 30);
  for (int round = 0; round < 2000; ++round) {
    std::vector<double> draws(length(lengths));
    filled.fill_normal_fast(draws.data(), draws.size());
    for (double draw : draws) EXPECT_TRUE(same_bits(draw, one_at_a_time.normal_fast()));
  }
  EXPECT_EQ(filled.next_u64(), one_at_a_time.next_u64());
}

// SensorChannel::read_noisy_quantised_run (two channels at a time) gives what reading each channel
// on its own gives: readings, counts, last readings, and whether every count fits; edge values
// included (counts at and beyond the int32 range, negative halves, infinities, NaN) and odd counts.
void expect_run_matches_one_at_a_time(const std::vector<SensorChannel>& channels,
                                      const std::vector<double>& true_values, std::uint64_t seed) {
  const std::size_t count = channels.size();
  std::vector<SensorChannel> single = channels;
  std::vector<SensorChannel> run = channels;
  Rng single_noise(seed);
  Rng run_noise(seed);
  std::vector<double> single_readings(count);
  std::vector<std::int32_t> single_counts(count);
  bool single_fit = true;
  for (std::size_t index = 0; index < count; ++index) {
    double quanta = 0.0;
    single_readings[index] =
        single[index].read_working_quantised(true_values[index], single_noise, quanta);
    if (!(std::fabs(quanta) < kQuantaCountLimit)) {
      single_fit = false;
      quanta = 0.0;
    }
    single_counts[index] = static_cast<std::int32_t>(quanta);
  }
  std::vector<double> normals(count);
  run_noise.fill_normal_fast(normals.data(), count);
  std::vector<double> run_readings(count);
  std::vector<std::int32_t> run_counts(count);
  const bool run_fit =
      SensorChannel::read_noisy_quantised_run(run.data(), count, true_values.data(), normals.data(),
                                              run_readings.data(), run_counts.data());
  EXPECT_EQ(run_fit, single_fit);
  for (std::size_t index = 0; index < count; ++index) {
    EXPECT_TRUE(same_bits(run_readings[index], single_readings[index]))
        << index << ": " << true_values[index] << " " << run_readings[index] << " "
        << single_readings[index];
    EXPECT_EQ(run_counts[index], single_counts[index]) << index << ": " << true_values[index];
    EXPECT_TRUE(same_bits(run[index].last_reading(), single[index].last_reading())) << index;
  }
  EXPECT_EQ(run_noise.next_u64(), single_noise.next_u64());

  // The module's front end (the channels side by side) reads the same, and hands the same last
  // readings back to its channels.
  CellVoltageFrontEnd front_end;
  front_end.take(channels.data(), count);
  std::vector<double> front_end_readings(count);
  std::vector<std::int32_t> front_end_counts(count);
  const bool front_end_fit = front_end.read(true_values.data(), normals.data(),
                                            front_end_readings.data(), front_end_counts.data());
  EXPECT_EQ(front_end_fit, single_fit);
  std::vector<SensorChannel> handed_back = channels;
  front_end.give_back(handed_back.data());
  for (std::size_t index = 0; index < count; ++index) {
    EXPECT_TRUE(same_bits(front_end_readings[index], single_readings[index]))
        << index << ": " << true_values[index];
    EXPECT_EQ(front_end_counts[index], single_counts[index]) << index;
    EXPECT_TRUE(same_bits(handed_back[index].last_reading(), single[index].last_reading()))
        << index;
  }
}

TEST(SensorRounding, NoisyQuantisedRunMatchesOneChannelAtATime) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> edges;
  for (double quanta :
       {0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 0x1p31 - 1.5, 0x1p31 - 1.0, 0x1p31 - 0.5, 0x1p31,
        -0x1p31 + 0.5, -0x1p31 + 1.0, -0x1p31, -0x1p31 - 1.0, 0x1p52, -0x1p52, 1e300, -1e300}) {
    double v = quanta;
    for (int k = 0; k < 3; ++k) v = std::nextafter(v, -inf);
    for (int k = 0; k < 7; ++k) {
      edges.push_back(v);
      v = std::nextafter(v, inf);
    }
  }
  for (double special : {inf, -inf, nan}) edges.push_back(special);
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> cell_voltage_V(2.0, 3.8);
  std::uniform_real_distribution<double> offset_V(-0.005, 0.005);
  std::uniform_int_distribution<std::size_t> edge_index(0, edges.size() - 1);
  std::uniform_int_distribution<int> choice(0, 3);
  for (std::size_t count : {0, 1, 2, 3, 15, 16, 17, 24}) {
    for (int round = 0; round < 3000; ++round) {
      std::vector<SensorChannel> channels;
      std::vector<double> true_values;
      for (std::size_t index = 0; index < count; ++index) {
        const int kind = choice(rng);
        if (kind == 0) {
          // An edge count of quanta as the true value, with noise too small to move most of them.
          const double quantum = index % 2 == 0 ? 1.0 : 0.001;
          channels.emplace_back(0.0, 0.0, 1e-300, quantum, 0.0, 0.0);
          true_values.push_back(edges[edge_index(rng)] * quantum);
        } else {
          // A cell voltage channel as the module builds it (some with a gain error).
          channels.emplace_back(offset_V(rng), kind == 1 ? 0.003 : 0.0, 0.001,
                                kind == 3 ? 0.01 : kMilliQuantum, 0.0, 0.0);
          true_values.push_back(kind == 3 ? -cell_voltage_V(rng) : cell_voltage_V(rng));
        }
      }
      expect_run_matches_one_at_a_time(channels, true_values, rng());
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace bts::plant
