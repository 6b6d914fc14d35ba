// The SunSpec values of a running simulation come from the BDU controllers' own view (their
// measurements, state, limits, codes and module tables), and a running E10 is served over TCP.
#include "io/sunspec_source.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/modbus_server.hpp"
#include "io_test_support.hpp"

namespace bts::io {
namespace {

struct RunningSystem {
  plant::SystemDescription description;
  std::unique_ptr<sim::LockstepRunner> runner;

  explicit RunningSystem(const std::string& name, double seconds) {
    EXPECT_TRUE(plant::builtin_system(name, description));
    runner = std::make_unique<sim::LockstepRunner>(description, sim::Scenario{});
    runner->advance_to(seconds);
  }
};

TEST(SunSpecSource, E40ValuesAreWhatEachBduKnows) {
  RunningSystem system("e40", 60.0);
  const firmware::sunspec::SunSpecValues values =
      sunspec_values(*system.runner, system.description);
  ASSERT_EQ(values.bdu_count, 2);
  for (int b = 0; b < 2; ++b) {
    const firmware::BduController& bdu = system.runner->bdu(b);
    const firmware::sunspec::BduValues& shown = values.bdus[static_cast<std::size_t>(b)];
    EXPECT_EQ(shown.state, bdu.state());
    EXPECT_EQ(shown.soc_permille, bdu.soc_permille());
    EXPECT_EQ(shown.codes, bdu.codes());
    EXPECT_EQ(shown.serial_number, bdu.serial_number());
    EXPECT_EQ(shown.output_voltage_dV, bdu.last_measurements().output_voltage_dV);
    EXPECT_EQ(shown.charge_current_limit_dA, bdu.inverter_values().charge_current_limit_dA);
    EXPECT_EQ(shown.heartbeat_s, 60);
    ASSERT_EQ(shown.module_count, 4);
    for (int m = 0; m < 4; ++m) {
      const firmware::ModuleEntry& entry = bdu.modules()[static_cast<std::size_t>(m)];
      const firmware::sunspec::ModuleValues& module = shown.modules[static_cast<std::size_t>(m)];
      EXPECT_TRUE(module.reporting) << "BDU" << b + 1 << ".M" << m + 1;
      EXPECT_NE(module.serial_number, 0u);
      EXPECT_EQ(module.serial_number, entry.serial_number);
      EXPECT_EQ(module.max_cell_mV, entry.max_cell_mV);
      EXPECT_LT(module.max_cell_index, 16);
      EXPECT_GE(module.max_cell_mV, module.min_cell_mV);
    }
  }
  // Connected after a minute: relays closed, a SOC that the plant's 50 % start gives.
  EXPECT_TRUE(values.bdus[0].relay_closed[0] && values.bdus[0].relay_closed[1]);
  EXPECT_GT(values.bdus[0].soc_permille, 100);
}

TEST(SunSpecSource, RunningE10IsServedOverTcp) {
  if (const std::string missing = testing::missing_pymodbus(); !missing.empty()) FAIL() << missing;
  RunningSystem system("e10", 30.0);
  ModbusServerOptions options;
  options.port = 0;
  ModbusServer server(options);
  server.publish(sunspec_values(*system.runner, system.description));
  testing::ServerThread thread(server);
  const testing::CommandResult result =
      testing::run_command("/usr/bin/python3 " + testing::walk_script() + " --tcp 127.0.0.1 " +
                               std::to_string(server.tcp_port()),
                           30);
  thread.stop();
  ASSERT_EQ(result.exit_status, 0) << result.output;
  const nlohmann::json walk = nlohmann::json::parse(result.output);
  ASSERT_EQ(walk["models"].size(), 7u);  // 1, 802, 803, 804, 805 x2, end
  const auto& battery = walk["models"][1]["registers"];
  EXPECT_EQ(battery[11 - 2].get<int>(), system.runner->bdu(0).soc_permille());
  EXPECT_EQ(battery[23 - 2].get<int>(), static_cast<int>(system.runner->bdu(0).state()));
  EXPECT_EQ(walk["models"][3]["registers"][3 - 2].get<int>(), 2);  // 804 NMod
}

}  // namespace
}  // namespace bts::io
