// The cells' median through a sorting network must be that of std::sort, bit for bit: the SOC
// estimator's voltage correction reads it.
#include "firmware/module_bms/cell_median.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <random>

namespace bts::firmware {
namespace {

double median_by_sort(const ModuleMeasurements& sample) {
  if (sample.cell_count == 0) return 0.0;
  std::array<std::int32_t, kMaxCellsPerModule> sorted = sample.cell_voltage_mV;
  std::sort(sorted.begin(), sorted.begin() + sample.cell_count);
  const std::size_t middle = sample.cell_count / 2;
  return sample.cell_count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
}

TEST(CellMedian, TheNetworkSortsEveryZeroOneInput) {
  // The 0-1 principle: a comparator network that sorts all 2^16 inputs of zeros and ones sorts
  // every input. This is the proof that the network is a sorting network.
  for (std::uint32_t bits = 0; bits < (1u << kCellSortNetworkInputs); ++bits) {
    std::array<std::int32_t, kCellSortNetworkInputs> values{};
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = (bits >> k) & 1u;
    sort_with_network(values);
    ASSERT_TRUE(std::is_sorted(values.begin(), values.end())) << bits;
  }
}

TEST(CellMedian, MatchesTheMedianOfASortForEveryCount) {
  // Every count up to the largest module (the network below 17 cells, std::sort above), noisy
  // cells with ties, values near the integer limits (the padding is the largest value) and
  // stale values past the count, which must not count.
  std::mt19937 random(17);
  std::uniform_int_distribution<std::int32_t> noise_mV(-3, 3);
  std::uniform_int_distribution<std::int32_t> any(std::numeric_limits<std::int32_t>::min(),
                                                  std::numeric_limits<std::int32_t>::max());
  std::uniform_int_distribution<int> kind(0, 9);
  for (int count = 0; count <= kMaxCellsPerModule; ++count) {
    for (int k = 0; k < 3000; ++k) {
      ModuleMeasurements sample;
      sample.cell_count = static_cast<std::uint8_t>(count);
      const int case_kind = kind(random);
      // The mean of the middle two adds them as integers: halved for even counts (no overflow).
      const std::int32_t divisor = count % 2 == 1 ? 1 : 2;
      for (auto& voltage_mV : sample.cell_voltage_mV) {
        voltage_mV = case_kind == 0 ? any(random) / divisor
                     : case_kind == 1
                         ? std::numeric_limits<std::int32_t>::max() / divisor - 3 - noise_mV(random)
                         : 3300 + noise_mV(random);
      }
      EXPECT_EQ(median_cell_voltage_mV(sample), median_by_sort(sample)) << count << " " << k;
    }
  }
}

}  // namespace
}  // namespace bts::firmware
