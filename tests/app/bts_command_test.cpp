// The bts program as a user runs it: exit codes, messages and the files it writes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "bts_process.hpp"

namespace {

using bts::testing_support::CommandResult;
using bts::testing_support::run_bts;

std::filesystem::path fresh_directory(const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("bts-test-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(path);
  return path;
}

TEST(BtsCommand, HelpAndVersion) {
  const CommandResult help = run_bts("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("simulate"), std::string::npos);
  const CommandResult version = run_bts("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("bts 0."), std::string::npos);
}

TEST(BtsCommand, SimulateWritesTimeSeriesAndSummary) {
  const auto out = fresh_directory("simulate");
  const CommandResult result =
      run_bts("simulate --system e20 --duration 30m --seed 7 --quiet --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("real time"), std::string::npos);
  std::ifstream csv(out / "timeseries.csv");
  ASSERT_TRUE(csv);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("time_s,bdu1_state,", 0), 0u) << header;
  for (const char* column :
       {"bdu1_L5", "bdu1_codes", "bdu1_m4_soc_percent", "bdu1_m4_temperature_max_degC"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column;
  }
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 31);  // every minute from 0 to 30
  std::ifstream summary_file(out / "summary.json");
  const nlohmann::json summary = nlohmann::json::parse(summary_file);
  EXPECT_EQ(summary["system"], "e20");
  EXPECT_EQ(summary["seed"], 7);
  EXPECT_NE(summary["system_description"].get<std::string>().find("4 modules"), std::string::npos);
  EXPECT_DOUBLE_EQ(summary["simulated_s"].get<double>(), 1800.0);
  EXPECT_GT(summary["real_time_factor"].get<double>(), 1.0);
  EXPECT_LT(summary["ground_truth_extremes"]["cell_voltage_max_V"].get<double>(), 3.65);
  for (const char* module : {"BDU1.M1", "BDU1.M4"}) {
    const auto& estimate = summary["state_estimation"]["BDU1"]["modules"][module];
    EXPECT_NEAR(estimate["soc_percent"].get<double>(), estimate["true_soc_percent"].get<double>(),
                3.0 * estimate["soc_uncertainty_percent"].get<double>() + 0.5)
        << module;
    EXPECT_GT(estimate["true_capacity_percent"].get<double>(), 95.0) << module;
  }
  for (const char* file : {"events.csv", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(out / file)) << file;
  // Nothing half-written is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos);
  }
  std::filesystem::remove_all(out);
}

TEST(BtsCommand, BenchSocPrintsOneJsonObjectWithTheScores) {
  const CommandResult bench = run_bts("bench soc --days 0.25 --case e10-25degC");
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  const nlohmann::json report = nlohmann::json::parse(bench.output);
  EXPECT_EQ(report["benchmark"], "soc");
  EXPECT_DOUBLE_EQ(report["aim"]["rmse_percent"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(report["aim"]["max_error_percent"].get<double>(), 3.0);
  ASSERT_EQ(report["cases"].size(), 1u);
  const auto& one = report["cases"][0];
  EXPECT_EQ(one["name"], "e10-25degC");
  EXPECT_GT(one["module_soc"]["samples"].get<int>(), 100);
  EXPECT_GE(one["module_soc"]["max_error_percent"].get<double>(),
            one["module_soc"]["rmse_percent"].get<double>());
  EXPECT_TRUE(one.contains("bdu_soc"));
  EXPECT_EQ(run_bts("bench soc --case e99").exit_code, 2);
}

TEST(BtsCommand, BenchEnergyShowsWhereTheEnergyWent) {
  const CommandResult bench = run_bts("bench energy");
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  const nlohmann::json report = nlohmann::json::parse(bench.output);
  EXPECT_EQ(report["benchmark"], "energy");
  const auto& shared = report["with_sharing"];
  const auto& equal = report["equal_sharing_baseline"];
  const double held_Wh = shared["energy_held_Wh"].get<double>();
  EXPECT_NEAR(held_Wh, 11500.0, 200.0) << "SOH 100/95/85/80 % at SOC 90/70/50/30 % of 5.12 kWh";
  // Sharing lets every module reach its own empty end; equal sharing stops at the weakest's.
  EXPECT_GT(shared["share"].get<double>(), equal["share"].get<double>() + 0.4);
  for (const auto& weakest_percent : shared["module_weakest_cell_soc_at_stop_percent"])
    EXPECT_LT(weakest_percent.get<double>(), 5.0);
  // No firmware can deliver more than the converters pass on, and each part of the loss is real.
  const double ceiling = report["converters_ceiling_share"].get<double>();
  EXPECT_GT(ceiling, 0.93);
  EXPECT_LT(ceiling, 0.98);
  EXPECT_LT(shared["share"].get<double>(), ceiling);
  const auto& lost = shared["lost_on_the_way_by_part"];
  const double delivered_Wh = shared["energy_delivered_Wh"].get<double>();
  EXPECT_GT(lost["converters_power_stages_Wh"].get<double>(), 0.02 * delivered_Wh);
  EXPECT_GT(lost["bms_boards_Wh"].get<double>(), 0.0);
  EXPECT_GT(lost["in_the_modules_cells_resistance_balancing_heater_Wh"].get<double>(), 0.0);
  EXPECT_GT(lost["bdu_relays_fuse_cables_Wh"].get<double>(), 0.0);
  EXPECT_EQ(report["aim_met"].get<bool>(), shared["share"].get<double>() >= 0.97);
}

TEST(BtsCommand, SameSeedSameBytes) {
  const auto first = fresh_directory("seed-a"), second = fresh_directory("seed-b");
  ASSERT_EQ(
      run_bts("simulate --system e10 --duration 20m --quiet --out " + first.string()).exit_code, 0);
  ASSERT_EQ(
      run_bts("simulate --system e10 --duration 20m --quiet --out " + second.string()).exit_code,
      0);
  auto read = [](const std::filesystem::path& path) {
    std::ifstream stream(path);
    std::stringstream text;
    text << stream.rdbuf();
    return text.str();
  };
  EXPECT_EQ(read(first / "timeseries.csv"), read(second / "timeseries.csv"));
  std::filesystem::remove_all(first);
  std::filesystem::remove_all(second);
}

TEST(BtsCommand, BadInputExitsWithTwoAndSaysWhy) {
  const CommandResult duration = run_bts("simulate --duration soon --quiet");
  EXPECT_EQ(duration.exit_code, 2);
  EXPECT_NE(duration.output.find("--duration"), std::string::npos) << duration.output;
  const CommandResult system = run_bts("simulate --system e99 --duration 1m --quiet");
  EXPECT_EQ(system.exit_code, 2);
  EXPECT_NE(system.output.find("e99"), std::string::npos) << system.output;

  const auto dir = fresh_directory("bad-yaml");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "five.yaml") << "bdus:\n  - modules: [{}, {}, {}, {}, {}]\n";
  const CommandResult five =
      run_bts("simulate --system " + (dir / "five.yaml").string() + " --duration 1m --quiet");
  EXPECT_EQ(five.exit_code, 2);
  EXPECT_NE(five.output.find("at most 4 modules per BDU"), std::string::npos) << five.output;
  EXPECT_FALSE(std::filesystem::exists("out/simulate-should-not-exist"));
  std::filesystem::remove_all(dir);

  const CommandResult unknown = run_bts("simulate --frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
}

}  // namespace
