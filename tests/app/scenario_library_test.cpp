// The scenario library (scenarios/*.yaml, one or more per row of the manual's tables) run through
// the real `bts simulate`, as a user runs it: every file must load, every expectation must hold,
// no cell may leave the scenario's protection limits, and the exit code must be 0.
//
// BTS_FAULT_MATRIX=quick (the sanitizer preset) runs only a few of them; the test says which.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bts_process.hpp"
#include "library_scenarios.hpp"

namespace {

using bts::testing_support::kScenarioDir;
using bts::testing_support::library_files;
using bts::testing_support::quick_library;

// Under a sanitizer (about 20x slower) a few short files stand for the library: a state, a module
// fault with a reset, a BDU fault, the two-BDU system and the manual's own example.
const std::vector<std::string> kQuickSubset = {
    "state-standby-dc-switch-open", "f10-sampling-fault", "f14-fuse-damaged",
    "f9-communication-bdu-network-e40", "a8-abnormal-ambient-temperature"};

std::vector<std::string> files_to_run() {
  return bts::testing_support::library_files_to_run(kQuickSubset);
}

using bts::testing_support::CommandResult;
using bts::testing_support::run_bts;

class ScenarioLibrary : public testing::TestWithParam<std::string> {};

TEST_P(ScenarioLibrary, RunsWithEveryExpectationHeld) {
  const std::string name = GetParam();
  const auto file = kScenarioDir / (name + ".yaml");
  const auto out = std::filesystem::temp_directory_path() /
                   ("bts-scenario-library-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(out);
  const CommandResult result =
      run_bts("simulate --scenario '" + file.string() + "' --quiet --out '" + out.string() + "'");
  EXPECT_EQ(result.exit_code, 0) << name << ":\n" << result.output;

  std::ifstream summary_file(out / "summary.json");
  ASSERT_TRUE(summary_file) << "no summary.json for " << name << ":\n" << result.output;
  const nlohmann::json summary = nlohmann::json::parse(summary_file);
  const auto& expectations = summary.at("expectations");
  EXPECT_GT(expectations.at("total").get<int>(), 0) << name << " checks nothing";
  EXPECT_TRUE(expectations.at("all_held").get<bool>()) << name << ":\n" << result.output;
  for (const auto& check : expectations.at("results")) {
    EXPECT_TRUE(check.at("passed").get<bool>())
        << name << ": " << check.at("message").get<std::string>();
  }
  EXPECT_TRUE(summary.at("protection").at("held").get<bool>())
      << name << ": " << summary.at("protection").at("message").get<std::string>();
  std::printf("%s: %d expectations held, %.1f s simulated in %.2f s\n", name.c_str(),
              expectations.at("total").get<int>(), summary.at("simulated_s").get<double>(),
              summary.at("wall_s").get<double>());
  std::filesystem::remove_all(out);
}

std::string test_id(const testing::TestParamInfo<std::string>& param_info) {
  std::string id = param_info.param;
  std::replace(id.begin(), id.end(), '-', '_');
  return id;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioLibrary, testing::ValuesIn(files_to_run()), test_id);

// Which part of the library this run covers, and that the library covers the manual.
TEST(ScenarioLibrarySubset, SaysWhichFilesRun) {
  const std::vector<std::string> all = library_files();
  const std::vector<std::string> run = files_to_run();
  std::printf("scenario library: %zu of %zu files%s\n", run.size(), all.size(),
              quick_library() ? " (BTS_FAULT_MATRIX=quick)" : "");
  RecordProperty("files_run", static_cast<int>(run.size()));
  EXPECT_FALSE(run.empty());
}

TEST(ScenarioLibrarySubset, HasAFileForEveryTableRowWithACause) {
  // Table 2-1, tables 2-2/2-3 in both directions, and every alarm and fault with a physical
  // cause (A3/F3 and A5/F5: their prevention; F12: no scenario event can fail a module's record
  // memory, the fault matrix covers it).
  const std::vector<std::string> prefixes = {"state-shutdown",
                                             "state-standby",
                                             "updating",
                                             "state-charge-soc",
                                             "state-discharge-soc",
                                             "a1-",
                                             "a2-",
                                             "a3-",
                                             "a4-",
                                             "a5-",
                                             "a6-",
                                             "a7-",
                                             "a8-",
                                             "a9-",
                                             "f1-",
                                             "f2-",
                                             "f4-",
                                             "f6-",
                                             "f7-",
                                             "f8-",
                                             "f9-",
                                             "f10-",
                                             "f11-",
                                             "f13-",
                                             "f14-",
                                             "f15-",
                                             "f16-",
                                             "f17-"};
  const std::vector<std::string> all = library_files();
  for (const std::string& prefix : prefixes) {
    EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                            [&](const std::string& name) { return name.rfind(prefix, 0) == 0; }))
        << "no scenario for " << prefix;
  }
}

}  // namespace
