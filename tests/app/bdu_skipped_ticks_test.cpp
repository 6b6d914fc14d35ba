// The simulator runs a BDU's 10 ms task only when the BDU has something to do (its next_tick_ms)
// or a frame waits at its Link or COM port. That is only allowed because a skipped tick would have
// changed nothing: every scenario of the library, run both ways, must give the same record to the
// bit (timeseries every second, events, expectation results).
//
// BTS_FAULT_MATRIX=quick (the sanitizer preset) runs the few named below.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "app/run_outputs.hpp"
#include "app/run_setup.hpp"
#include "library_scenarios.hpp"
#include "sim/lockstep_runner.hpp"

namespace {

using bts::app::events_csv;
using bts::app::load_run_setup;
using bts::app::RunSetup;
using bts::app::timeseries_csv;

// Under a sanitizer: a button press and release, a black start window without an inverter, a
// precharge, a fault with its recovery hold and reset, the two-BDU network and a firmware update.
const std::vector<std::string> kQuickSubset = {
    "state-shutdown-long-press", "state-standby-inverter-silent", "f14-fuse-damaged",
    "f9-communication-bdu-network-e40", "updating-firmware"};

struct Record {
  std::string timeseries;
  std::string events;
  std::vector<bool> expectations;
};

Record run(const RunSetup& setup, bool every_tick) {
  bts::sim::RunnerOptions options;
  options.record_interval_s = 1.0;
  options.tick_bdus_every_10ms = every_tick;
  bts::sim::LockstepRunner runner(setup.description, setup.scenario, options);
  const bts::sim::RunResult result = runner.run(setup.duration_s);
  Record record;
  record.timeseries = timeseries_csv(result.snapshots);
  record.events = events_csv(result.code_events, result.state_events);
  for (const auto& expectation : result.expectations)
    record.expectations.push_back(expectation.passed);
  return record;
}

/// The first line where two texts differ, for the failure message.
std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      const std::size_t a_end = a.find('\n', i), b_end = b.find('\n', i);
      return "every tick:   " + a.substr(line_start, a_end - line_start) +
             "\nwhen due:     " + b.substr(line_start, b_end - line_start);
    }
    if (a[i] == '\n') line_start = i + 1;
  }
  return "one text is longer (" + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
         " bytes)";
}

class BduSkippedTicks : public testing::TestWithParam<std::string> {};

TEST_P(BduSkippedTicks, ChangeNothingInTheRecord) {
  const RunSetup setup = load_run_setup("", GetParam(), "", 3600.0);
  const Record every_tick = run(setup, true);
  const Record when_due = run(setup, false);
  ASSERT_FALSE(every_tick.timeseries.empty());
  EXPECT_TRUE(every_tick.timeseries == when_due.timeseries)
      << first_difference(every_tick.timeseries, when_due.timeseries);
  EXPECT_TRUE(every_tick.events == when_due.events)
      << first_difference(every_tick.events, when_due.events);
  EXPECT_EQ(every_tick.expectations, when_due.expectations);
}

INSTANTIATE_TEST_SUITE_P(
    Library, BduSkippedTicks,
    testing::ValuesIn(bts::testing_support::library_files_to_run(kQuickSubset)),
    [](const testing::TestParamInfo<std::string>& param) {
      std::string name = param.param;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

}  // namespace
