// Current sharing and capacity expansion through the whole system (REQ-FEA-2, REQ-FEA-3): modules
// of different SOC discharge towards empty together; with equal sharing (the baseline) their gap
// stays; a new module plugged into a running system joins the Link bus and the power path without
// a code and its SOC converges with the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::sim {
namespace {

plant::SystemDescription e20_at(const std::array<double, 4>& socs) {
  plant::SystemDescription system;
  EXPECT_TRUE(plant::builtin_system("e20", system));
  for (std::size_t k = 0; k < 4; ++k) system.bdus[0].modules[k].initial_soc = socs[k];
  return system;
}

std::array<double, 4> true_socs(LockstepRunner& runner) {
  std::array<double, 4> socs{};
  for (int m = 0; m < 4; ++m)
    socs[static_cast<std::size_t>(m)] = runner.plant().module(0, m).truth().soc_mean;
  return socs;
}

std::array<double, 4> soc_drop_after_an_hour(firmware::ModuleSharing sharing) {
  plant::SystemDescription system = e20_at({0.9, 0.7, 0.5, 0.3});
  system.household.kind = plant::HouseholdProfileKind::ConstantPower;
  system.household.constant_power_W = 4000.0;
  Scenario scenario;
  scenario.module_sharing = sharing;
  LockstepRunner runner(system, scenario);
  runner.advance_to(60.0);
  const auto before = true_socs(runner);
  runner.advance_to(3660.0);
  const auto after = true_socs(runner);
  std::array<double, 4> drop{};
  for (std::size_t k = 0; k < 4; ++k) drop[k] = before[k] - after[k];
  EXPECT_FALSE(runner.bdu(0).codes().has(firmware::Code::A4));
  return drop;
}

TEST(CurrentSharing, ModulesGiveInProportionToWhatTheyHoldSoTheyEmptyTogether) {
  const auto drop = soc_drop_after_an_hour(firmware::ModuleSharing::RemainingCharge);
  // SOC falls in proportion to SOC: 90 % loses three times what 30 % loses.
  EXPECT_NEAR(drop[0] / drop[3], 3.0, 0.45);
  EXPECT_NEAR(drop[1] / drop[3], 7.0 / 3.0, 0.35);
  EXPECT_GT(drop[0], drop[1]);
  EXPECT_GT(drop[1], drop[2]);
  EXPECT_GT(drop[2], drop[3]);
}

TEST(CurrentSharing, EqualSharingBaselineDrainsEveryModuleAlike) {
  const auto drop = soc_drop_after_an_hour(firmware::ModuleSharing::Equal);
  for (std::size_t k = 1; k < 4; ++k)
    EXPECT_NEAR(drop[k] / drop[0], 1.0, 0.1) << "module " << k + 1;
}

// D-PARK: an E10 whose second module is nearly empty carries a 5 kW house, both converters at
// their 2.5 kW. Module 2 reaches its empty end (A4) within minutes; module 1 carries on. Module 2's
// converter can do nothing until the battery is charged, so the BDU closes both of its windows
// and it stops switching: 5 W of BMS draw instead of 20 W, its weakest cell no longer walked
// below the 2.9 V end by its converter's idling. When PV turns the battery to charging, it takes
// charge again.
TEST(ConverterParking, AnEmptyModuleParksWhileTheOthersDischargeAndWakesToBeCharged) {
  plant::SystemDescription system;
  ASSERT_TRUE(plant::builtin_system("e10", system));
  system.bdus[0].modules[0].initial_soc = 0.6;
  system.bdus[0].modules[1].initial_soc = 0.06;
  system.household.kind = plant::HouseholdProfileKind::ConstantPower;
  system.household.constant_power_W = 5000.0;
  Scenario scenario;
  scenario.events.push_back({});
  scenario.events.back().time_s = 40 * 60.0;  // midday: PV covers the house and 3 kW more
  scenario.events.back().kind = ScenarioEventKind::SetHouseholdPower;
  scenario.events.back().value = -3000.0;
  LockstepRunner runner(system, scenario);
  runner.advance_to(25 * 60.0);  // module 2 tapers to its 2.9 V end over the first 20 min
  ASSERT_EQ(runner.bdu(0).state(), firmware::BduState::Discharge);
  ASSERT_TRUE(runner.module(0, 1).codes().has(firmware::Code::A4))
      << "module 2 is at its empty end";
  EXPECT_FALSE(runner.module(0, 0).converter_parked()) << "module 1 carries the house";
  EXPECT_EQ(runner.plant().module(0, 0).pcu().mode(), plant::PcuMode::Running);
  EXPECT_TRUE(runner.module(0, 1).converter_parked());
  EXPECT_EQ(runner.plant().module(0, 1).pcu().mode(), plant::PcuMode::EnergySaving);
  EXPECT_NEAR(runner.plant().module(0, 1).pcu().loss_W(), 5.0, 1e-9) << "the BMS alone draws";
  EXPECT_GT(runner.plant().module(0, 0).truth().stack_current_A, 40.0);
  // While parked it is not offered for charge: the inverter sees what module 1 can take.
  EXPECT_LE(runner.bdu(0).inverter_values().charge_current_limit_dA, 75);
  const double lowest_cell_parked_V = runner.plant().module(0, 1).truth().cell_voltage_min_V;
  runner.advance_to(39 * 60.0);
  EXPECT_TRUE(runner.module(0, 1).converter_parked());
  EXPECT_GE(runner.plant().module(0, 1).truth().cell_voltage_min_V, lowest_cell_parked_V - 0.005)
      << "14 min at 5 W do not walk the weakest cell down";
  runner.advance_to(45 * 60.0);
  EXPECT_EQ(runner.bdu(0).state(), firmware::BduState::Charge);
  EXPECT_FALSE(runner.module(0, 1).converter_parked());
  EXPECT_EQ(runner.plant().module(0, 1).pcu().mode(), plant::PcuMode::Running);
  EXPECT_LT(runner.plant().module(0, 1).truth().stack_current_A, -5.0) << "module 2 charges";
  EXPECT_FALSE(runner.module(0, 1).codes().has(firmware::Code::F4));
  EXPECT_GE(runner.plant().extremes().cell_voltage_min_V, 2.5);
}

TEST(CapacityExpansion, ANewModuleJoinsARunningSystemWithoutACodeAndCatchesUp) {
  plant::SystemDescription system = e20_at({0.8, 0.8, 0.8, 0.3});
  system.household.kind = plant::HouseholdProfileKind::PvHomeDay;
  Scenario scenario;
  auto cable = [&](double at_s, plant::PlantFaultKind kind, ScenarioEventKind event) {
    ScenarioEvent e;
    e.time_s = at_s;
    e.kind = event;
    e.fault.kind = kind;
    e.fault.module = 3;
    scenario.events.push_back(e);
  };
  // Not installed at first: no Link cable, no power cable; both plugged in at 10 min.
  cable(0.0, plant::PlantFaultKind::LinkCableCut, ScenarioEventKind::InjectFault);
  cable(0.0, plant::PlantFaultKind::PowerCableCut, ScenarioEventKind::InjectFault);
  cable(600.0, plant::PlantFaultKind::PowerCableCut, ScenarioEventKind::ClearFault);
  cable(600.0, plant::PlantFaultKind::LinkCableCut, ScenarioEventKind::ClearFault);
  LockstepRunner runner(system, scenario);
  runner.advance_to(590.0);
  EXPECT_EQ(runner.bdu(0).modules_reporting(), 3) << "an E15 until the new module is plugged in";
  runner.advance_to(720.0);
  EXPECT_EQ(runner.bdu(0).modules_reporting(), 4) << "the new module claimed an address";
  EXPECT_TRUE(runner.bdu(0).codes().empty()) << "joining raises no code";
  const auto joined = true_socs(runner);
  runner.advance_to(12 * 3600.0);
  const auto later = true_socs(runner);
  EXPECT_TRUE(runner.bdu(0).codes().empty());
  const double gap_joined = joined[0] - joined[3];
  const double gap_later = std::abs(later[0] - later[3]);
  EXPECT_LT(gap_later, gap_joined / 5.0) << "SOC converges through sharing";
  EXPECT_GE(runner.plant().extremes().cell_voltage_min_V, 2.5);
  EXPECT_LE(runner.plant().extremes().cell_voltage_max_V, 3.65);
}

}  // namespace
}  // namespace bts::sim
