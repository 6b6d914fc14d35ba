// The built-in systems of REQ-TOP-3.
#include "plant/system_description.hpp"

#include <gtest/gtest.h>

namespace bts::plant {
namespace {

TEST(BuiltinSystem, ModuleCountsAndTopology) {
  const struct {
    const char* name;
    int bdus;
    int modules;
  } cases[] = {{"e5", 1, 1}, {"e10", 1, 2}, {"e15", 1, 3}, {"e20", 1, 4}, {"e40", 2, 8}};
  for (const auto& c : cases) {
    SystemDescription d;
    ASSERT_TRUE(builtin_system(c.name, d)) << c.name;
    EXPECT_EQ(d.name, c.name);
    EXPECT_EQ(static_cast<int>(d.bdus.size()), c.bdus) << c.name;
    EXPECT_EQ(d.module_count(), c.modules) << c.name;
    EXPECT_EQ(d.inverter.battery_inputs, c.bdus) << c.name;
    for (const auto& bdu : d.bdus) {
      EXPECT_LE(bdu.modules.size(), 4u);
      EXPECT_TRUE(bdu.terminal_resistor_present);
      for (const auto& module : bdu.modules) {
        EXPECT_EQ(module.initial_soc, 0.5);
        EXPECT_EQ(module.state_of_health, 1.0);
        EXPECT_FALSE(module.power_cable_reversed);
      }
    }
    EXPECT_EQ(d.household.kind, HouseholdProfileKind::PvHomeDay);
    EXPECT_EQ(d.ambient.kind, AmbientProfileKind::Constant);
    EXPECT_EQ(d.ambient.mean_degC, 25.0);
  }
}

TEST(BuiltinSystem, SerialNumbers) {
  SystemDescription d;
  ASSERT_TRUE(builtin_system("e40", d));
  EXPECT_EQ(d.bdus[0].serial_number, "BDU-1");
  EXPECT_EQ(d.bdus[1].serial_number, "BDU-2");
  EXPECT_EQ(d.bdus[0].modules[0].serial_number, "BTS5K-1-1");
  EXPECT_EQ(d.bdus[1].modules[3].serial_number, "BTS5K-2-4");
}

TEST(BuiltinSystem, NamesAndUnknownNames) {
  EXPECT_EQ(builtin_system_names(), (std::vector<std::string>{"e5", "e10", "e15", "e20", "e40"}));
  SystemDescription d;
  EXPECT_TRUE(builtin_system("E20", d));  // the manual writes E20
  EXPECT_EQ(d.name, "e20");
  SystemDescription untouched;
  untouched.name = "keep";
  EXPECT_FALSE(builtin_system("e25", untouched));
  EXPECT_EQ(untouched.name, "keep");
  EXPECT_FALSE(builtin_system("", untouched));
}

}  // namespace
}  // namespace bts::plant
