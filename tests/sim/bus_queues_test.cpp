// Every node reads what its CAN controller accepts: a receive queue that overflows means a port
// that takes frames nobody drains (work for nothing, and a real node would miss frames).
#include <gtest/gtest.h>

#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::sim {
namespace {

void expect_no_overflow(const CanBus& bus, const char* bus_name) {
  for (int port = 0; port < bus.port_count(); ++port) {
    EXPECT_EQ(bus.port_stats(port).rx_overflow, 0u) << bus_name << " port " << port;
  }
}

TEST(BusQueues, NoPortOfTwoBdusOfFourDropsAFrameForAFullQueue) {
  plant::SystemDescription system;
  ASSERT_TRUE(plant::builtin_system("e40", system));
  system.household.kind = plant::HouseholdProfileKind::ConstantPower;
  system.household.constant_power_W = 4000.0;
  LockstepRunner runner(system, Scenario{});
  runner.advance_to(600.0);
  ASSERT_EQ(runner.bdu(0).state(), firmware::BduState::Discharge);
  EXPECT_GT(runner.com_bus().stats().frames_transmitted, 10000u) << "the COM bus carried traffic";
  expect_no_overflow(runner.com_bus(), "COM");
  expect_no_overflow(runner.link_bus(0), "Link 1");
  expect_no_overflow(runner.link_bus(1), "Link 2");
}

}  // namespace
}  // namespace bts::sim
