// What a module BMS samples through the simulator's HAL: its own cells' voltages in mV, and 0 in
// the slots of cells the module does not have. The HAL copies the plant's counts of 0.001 V
// quanta for every slot at once, which is right only because the plant never writes the slots
// past its cells; both halves are checked here.
#include <gtest/gtest.h>

#include "plant/system_description.hpp"
#include "plant/system_plant.hpp"
#include "sim/can_bus.hpp"
#include "sim/lockstep_runner.hpp"
#include "sim/plant_hal.hpp"

namespace bts::sim {
namespace {

TEST(ModuleSample, PlantReadingLeavesTheSlotsPastItsCellsAlone) {
  plant::SystemDescription system;
  ASSERT_TRUE(plant::builtin_system("e10", system));
  plant::SystemPlant plant(system);
  plant::Module& module = plant.module(0, 1);
  ASSERT_LT(module.cell_count(), plant::kMaxCellsPerModule);
  plant::ModuleSensorReadings readings;
  for (int slot = module.cell_count(); slot < plant::kMaxCellsPerModule; ++slot) {
    readings.cell_voltage_quanta[static_cast<std::size_t>(slot)] = 7777;
    readings.cell_voltage_V[static_cast<std::size_t>(slot)] = 7.777;
  }
  for (int sample = 0; sample < 20; ++sample) {
    plant.step(0.1);
    module.read_sensors(sample % 10 == 0, readings);
    ASSERT_TRUE(readings.cell_voltage_quanta_valid);
    for (int slot = 0; slot < plant::kMaxCellsPerModule; ++slot) {
      const auto index = static_cast<std::size_t>(slot);
      if (slot < module.cell_count()) {
        EXPECT_NEAR(readings.cell_voltage_quanta[index] * 0.001, readings.cell_voltage_V[index],
                    1e-9)
            << "cell " << slot;
      } else {
        EXPECT_EQ(readings.cell_voltage_quanta[index], 7777) << "slot " << slot;
        EXPECT_EQ(readings.cell_voltage_V[index], 7.777) << "slot " << slot;
      }
    }
  }
}

TEST(ModuleSample, FirmwareSeesItsCellsInMillivoltsAndZeroBeyond) {
  plant::SystemDescription system;
  ASSERT_TRUE(plant::builtin_system("e20", system));
  LockstepRunner runner(system, Scenario{});
  runner.advance_to(5.0);
  for (int module_index = 0; module_index < 4; ++module_index) {
    const firmware::ModuleMeasurements& sample = runner.module(0, module_index).last_sample();
    const plant::Module& plant_module = runner.plant().module(0, module_index);
    ASSERT_EQ(sample.cell_count, plant_module.cell_count());
    for (int slot = 0; slot < firmware::kMaxCellsPerModule; ++slot) {
      const std::int32_t voltage_mV = sample.cell_voltage_mV[static_cast<std::size_t>(slot)];
      if (slot < sample.cell_count) {
        // Within the noise and quantisation of the cell's true terminal voltage.
        EXPECT_NEAR(voltage_mV, plant_module.cell(slot).terminal_voltage_V() * 1000.0, 15.0)
            << "module " << module_index << " cell " << slot;
      } else {
        EXPECT_EQ(voltage_mV, 0) << "module " << module_index << " slot " << slot;
      }
    }
  }
}

// The HAL writes the firmware's sample in place: every field of it, whatever the struct held
// before. Two identical plants, each sampled through its own HAL, one into a struct full of
// garbage and one into a fresh one, give the same sample to the byte.
TEST(ModuleSample, HalWritesEveryFieldOfTheSampleItIsGiven) {
  plant::SystemDescription system;
  ASSERT_TRUE(plant::builtin_system("e10", system));
  plant::SystemPlant clean_plant(system);
  plant::SystemPlant dirty_plant(system);
  CanBus clean_link("link", 500000, 1);
  CanBus dirty_link("link", 500000, 1);
  LinkChain clean_chain;
  LinkChain dirty_chain;
  const std::uint64_t now_us = 0;
  PlantModuleHal clean_hal(clean_plant, 0, 1, clean_link, clean_link.attach("m"), clean_chain,
                           now_us);
  PlantModuleHal dirty_hal(dirty_plant, 0, 1, dirty_link, dirty_link.attach("m"), dirty_chain,
                           now_us);
  for (int sample = 0; sample < 12; ++sample) {  // temperatures converted on the first and 11th
    clean_plant.step(0.1);
    dirty_plant.step(0.1);
    firmware::ModuleMeasurements clean{};
    firmware::ModuleMeasurements dirty;  // what an earlier sample or garbage left there
    dirty.cell_count = 99;
    dirty.temperature_count = 99;
    dirty.cell_voltage_mV.fill(7777);
    dirty.cell_temperature_ddegC.fill(777);
    dirty.stack_voltage_mV = dirty.current_mA = dirty.bus_voltage_dV = -1;
    dirty.terminal_temperature_ddegC = dirty.ambient_temperature_ddegC = -1;
    dirty.pcu_temperature_ddegC = -1;
    dirty.pcu_reports_internal_fault = dirty.pcu_reports_over_temperature = true;
    dirty.pcu_reports_bus_reversed = true;
    clean_hal.sample(clean);
    dirty_hal.sample(dirty);
    ASSERT_GT(clean.cell_count, 0);
    ASSERT_LT(clean.cell_count, firmware::kMaxCellsPerModule);
    ASSERT_LT(clean.temperature_count, firmware::kMaxTemperatureSensors);
    EXPECT_EQ(dirty.cell_count, clean.cell_count);
    EXPECT_EQ(dirty.temperature_count, clean.temperature_count);
    EXPECT_EQ(dirty.cell_voltage_mV, clean.cell_voltage_mV) << "sample " << sample;
    EXPECT_EQ(dirty.cell_temperature_ddegC, clean.cell_temperature_ddegC) << "sample " << sample;
    EXPECT_EQ(dirty.cell_voltage_mV.back(), 0);
    EXPECT_EQ(dirty.cell_temperature_ddegC.back(), 0);
    EXPECT_EQ(dirty.stack_voltage_mV, clean.stack_voltage_mV);
    EXPECT_EQ(dirty.current_mA, clean.current_mA);
    EXPECT_EQ(dirty.terminal_temperature_ddegC, clean.terminal_temperature_ddegC);
    EXPECT_EQ(dirty.ambient_temperature_ddegC, clean.ambient_temperature_ddegC);
    EXPECT_EQ(dirty.pcu_temperature_ddegC, clean.pcu_temperature_ddegC);
    EXPECT_EQ(dirty.bus_voltage_dV, clean.bus_voltage_dV);
    EXPECT_EQ(dirty.pcu_reports_internal_fault, clean.pcu_reports_internal_fault);
    EXPECT_EQ(dirty.pcu_reports_over_temperature, clean.pcu_reports_over_temperature);
    EXPECT_EQ(dirty.pcu_reports_bus_reversed, clean.pcu_reports_bus_reversed);
  }
}

}  // namespace
}  // namespace bts::sim
