#pragma once
// The median of a sample's cell voltages, for the SOC estimator's voltage correction.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include "firmware/hal/module_hal.hpp"

namespace bts::firmware {

/// Inputs of the sorting network: a module of up to 16 cells (every module so far).
inline constexpr std::size_t kCellSortNetworkInputs = 16;

struct CompareExchange {
  std::uint8_t low = 0;   // gets the smaller value
  std::uint8_t high = 0;  // gets the larger value
};

/// Batcher's odd-even merge sort for kCellSortNetworkInputs inputs (63 compare-exchanges), in
/// the order they must be applied. A network applies the same comparisons whatever the values,
/// so it runs with selects: the insertion sort std::sort uses on 16 values mispredicted about
/// one branch in two on noisy cells.
struct CellSortNetwork {
  std::array<CompareExchange, 63> steps{};
  std::size_t count = 0;
};

constexpr CellSortNetwork make_cell_sort_network() {
  constexpr std::size_t n = kCellSortNetworkInputs;
  CellSortNetwork network;
  for (std::size_t p = 1; p < n; p <<= 1) {
    for (std::size_t k = p; k >= 1; k >>= 1) {
      for (std::size_t j = k % p; j + k < n; j += 2 * k) {
        for (std::size_t i = 0; i < std::min(k, n - j - k); ++i) {
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
            network.steps[network.count++] = {static_cast<std::uint8_t>(i + j),
                                              static_cast<std::uint8_t>(i + j + k)};
          }
        }
      }
    }
  }
  return network;
}

inline constexpr CellSortNetwork kCellSortNetwork = make_cell_sort_network();
static_assert(kCellSortNetwork.count == kCellSortNetwork.steps.size());

/// One compare-exchange, through a mask: GCC makes std::min/std::max of a pair a branch here.
inline void compare_exchange(std::int32_t& low, std::int32_t& high) {
  const std::int32_t a = low;
  const std::int32_t b = high;
  const std::int32_t exchange_mask = -static_cast<std::int32_t>(b < a);
  const std::int32_t difference = (a ^ b) & exchange_mask;
  low = a ^ difference;
  high = b ^ difference;
}

template <std::size_t... Steps>
inline void apply_cell_sort_network(std::array<std::int32_t, kCellSortNetworkInputs>& values,
                                    std::index_sequence<Steps...>) {
  // Unrolled with the indices as constants, so the values can stay in registers.
  (compare_exchange(values[kCellSortNetwork.steps[Steps].low],
                    values[kCellSortNetwork.steps[Steps].high]),
   ...);
}

/// Sorts values ascending with kCellSortNetwork.
inline void sort_with_network(std::array<std::int32_t, kCellSortNetworkInputs>& values) {
  apply_cell_sort_network(values, std::make_index_sequence<kCellSortNetwork.steps.size()>{});
}

/// The median cell voltage (the mean of the middle two for an even count), 0 without cells: the
/// mean cell's, robust against the few cells of a normal spread that lead into a knee of the
/// curve (their voltage runs away from the mean's at the ends).
/// Up to 16 cells are sorted by the network, padded with the largest value (which sorts after
/// every cell, so the cells' own order is that of std::sort); more by std::sort.
inline double median_cell_voltage_mV(const ModuleMeasurements& sample) {
  const std::size_t count = sample.cell_count;
  if (count == 0) return 0.0;
  const std::size_t middle = count / 2;
  if (count <= kCellSortNetworkInputs) {
    std::array<std::int32_t, kCellSortNetworkInputs> sorted;
    sorted.fill(std::numeric_limits<std::int32_t>::max());
    std::copy_n(sample.cell_voltage_mV.begin(), count, sorted.begin());
    sort_with_network(sorted);
    return count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
  }
  std::array<std::int32_t, kMaxCellsPerModule> sorted = sample.cell_voltage_mV;
  std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(count));
  return count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
}

}  // namespace bts::firmware
