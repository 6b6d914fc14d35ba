// Current sharing among a BDU's modules (src/firmware/bdu/module_sharing.*, REQ-FEA-2): the
// offsets move current between modules without changing the total, towards the modules with more
// to give (discharging) or more room (charging), never beyond a module's own limit.
#include "firmware/bdu/module_sharing.hpp"

#include <gtest/gtest.h>

#include <array>
#include <numeric>

namespace bts::firmware {
namespace {

ShareInput module(std::int32_t soc_permille, std::int32_t capacity_mAh = 100000,
                  std::int32_t limit_mA = 7500) {
  return {true, soc_permille, capacity_mAh, limit_mA, limit_mA};
}

/// What each module carries: the even split plus its offset.
std::array<std::int32_t, 4> carried(const std::array<ShareInput, 4>& modules, std::int32_t total_mA,
                                    ModuleSharing mode = ModuleSharing::RemainingCharge) {
  const auto offsets = sharing_offsets_mA(modules, total_mA, mode);
  int active = 0;
  for (const ShareInput& m : modules) active += m.active ? 1 : 0;
  std::array<std::int32_t, 4> currents{};
  for (std::size_t k = 0; k < 4; ++k) {
    if (modules[k].active) currents[k] = total_mA / active + offsets[k];
  }
  return currents;
}

TEST(ModuleSharing, EqualModulesShareEvenlyAndOffsetsSumToZero) {
  const std::array<ShareInput, 4> modules{module(500), module(500), module(500), module(500)};
  const auto offsets = sharing_offsets_mA(modules, 20000, ModuleSharing::RemainingCharge);
  for (std::int32_t offset : offsets) EXPECT_EQ(offset, 0);
}

TEST(ModuleSharing, DischargeFollowsRemainingChargeSocTimesCapacity) {
  // SOC 90/70/50/30 %, SOH 100/95/85/80 %: remaining charge 90, 66.5, 42.5, 24 Ah.
  const std::array<ShareInput, 4> modules{module(900, 100000), module(700, 95000),
                                          module(500, 85000), module(300, 80000)};
  const auto currents = carried(modules, 16000);
  const double total_charge = 90 + 66.5 + 42.5 + 24;
  EXPECT_NEAR(currents[0], 16000 * 90 / total_charge, 5);
  EXPECT_NEAR(currents[1], 16000 * 66.5 / total_charge, 5);
  EXPECT_NEAR(currents[2], 16000 * 42.5 / total_charge, 5);
  EXPECT_NEAR(currents[3], 16000 * 24 / total_charge, 5);
  const auto offsets = sharing_offsets_mA(modules, 16000, ModuleSharing::RemainingCharge);
  EXPECT_NEAR(std::accumulate(offsets.begin(), offsets.end(), 0), 0, 4) << "total unchanged";
}

TEST(ModuleSharing, ChargeFollowsRoomAndAFullModuleTakesNothing) {
  const std::array<ShareInput, 4> modules{module(1000), module(800), module(400), ShareInput{}};
  const auto currents = carried(modules, -9000);  // 9 A into the battery
  EXPECT_EQ(currents[0], 0) << "no room";
  EXPECT_NEAR(currents[1], -9000 * 200.0 / 800.0, 5);
  EXPECT_NEAR(currents[2], -9000 * 600.0 / 800.0, 5);
  EXPECT_EQ(currents[3], 0) << "an inactive module gets no offset";
}

TEST(ModuleSharing, AShareAboveAModulesLimitGoesToTheOthers) {
  // The fullest module would get 13.2 A of 20 A; its converter gives 7.5 A at most.
  const std::array<ShareInput, 4> modules{module(950), module(300), module(200), module(100)};
  const auto currents = carried(modules, 20000);
  EXPECT_EQ(currents[0], 7500);
  EXPECT_NEAR(currents[1], 12500 * 300 / 600.0, 5);
  EXPECT_NEAR(currents[2], 12500 * 200 / 600.0, 5);
  EXPECT_NEAR(currents[3], 12500 * 100 / 600.0, 5);
  // A module derated to 1 A by a cold cell carries 1 A.
  const std::array<ShareInput, 4> cold{module(900, 100000, 1000), module(500), module(500),
                                       ShareInput{}};
  EXPECT_EQ(carried(cold, 9000)[0], 1000);
}

TEST(ModuleSharing, EqualModeSmallCurrentsAndASingleModuleGetNoOffsets) {
  const std::array<ShareInput, 4> modules{module(900), module(100), ShareInput{}, ShareInput{}};
  for (std::int32_t offset : sharing_offsets_mA(modules, 10000, ModuleSharing::Equal))
    EXPECT_EQ(offset, 0);
  for (std::int32_t offset : sharing_offsets_mA(modules, 150, ModuleSharing::RemainingCharge))
    EXPECT_EQ(offset, 0) << "no direction to share in";
  const std::array<ShareInput, 4> single{module(900), ShareInput{}, ShareInput{}, ShareInput{}};
  for (std::int32_t offset : sharing_offsets_mA(single, 10000, ModuleSharing::RemainingCharge))
    EXPECT_EQ(offset, 0);
}

}  // namespace
}  // namespace bts::firmware
