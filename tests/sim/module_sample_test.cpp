// What a module BMS samples through the simulator's HAL: its own cells' voltages in mV, and 0 in
// the slots of cells the module does not have. The HAL copies the plant's counts of 0.001 V
// quanta for every slot at once, which is right only because the plant never writes the slots
// past its cells; both halves are checked here.
#include <gtest/gtest.h>

#include "plant/system_description.hpp"
#include "plant/system_plant.hpp"
#include "sim/lockstep_runner.hpp"

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

}  // namespace
}  // namespace bts::sim
