// The assembled plant: determinism, every injectable fault changes what a sensor or the wiring
// shows, bad fault locations are refused, energy and heat balance of a whole system.
#include "plant/system_plant.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "sim/reference_controller.hpp"

namespace bts::plant {
namespace {

constexpr double kStep_s = 0.01;

SystemDescription system_named(const std::string& name,
                               HouseholdProfileKind household = HouseholdProfileKind::Idle) {
  SystemDescription description;
  EXPECT_TRUE(builtin_system(name, description));
  description.household.kind = household;
  return description;
}

/// Runs the plant with the reference controller for a while (10 ms plant, 100 ms controller).
void run(SystemPlant& plant, sim::ReferenceController& controller, double seconds) {
  const int steps = static_cast<int>(std::lround(seconds / kStep_s));
  for (int i = 0; i < steps; ++i) {
    if (i % 10 == 0) controller.update(10 * kStep_s);
    plant.step(kStep_s);
  }
}

/// Steps the plant with the converters off and relays open (for slow thermal tests at 1 s).
void rest(SystemPlant& plant, double seconds, double step_s = 1.0) {
  const int steps = static_cast<int>(std::lround(seconds / step_s));
  for (int i = 0; i < steps; ++i) plant.step(step_s);
}

/// A sensor failure on module 0 of BDU 0.
PlantFault sensor_fault(ModuleSensor sensor, int index, SensorFailure failure) {
  PlantFault fault;
  fault.kind = PlantFaultKind::SensorFailure;
  fault.sensor = sensor;
  fault.index = index;
  fault.sensor_failure = failure;
  return fault;
}

// A fingerprint of every cell's state, compared bit for bit.
std::vector<double> fingerprint(const SystemPlant& plant) {
  std::vector<double> values;
  for (int b = 0; b < plant.bdu_count(); ++b) {
    for (int m = 0; m < plant.module_count(b); ++m) {
      const Module& module = plant.module(b, m);
      for (int c = 0; c < module.cell_count(); ++c) {
        values.push_back(module.cell(c).soc());
        values.push_back(module.cell(c).terminal_voltage_V());
        values.push_back(module.cell(c).temperature_degC());
      }
    }
    values.push_back(plant.bdu(b).truth().dc_link_voltage_V);
  }
  return values;
}

TEST(SystemPlant, SameSeedGivesBitIdenticalResults) {
  const SystemDescription description = system_named("e40", HouseholdProfileKind::PvHomeDay);
  SystemPlant first(description), second(description);
  sim::ReferenceController first_controller(first), second_controller(second);
  run(first, first_controller, 600.0);
  run(second, second_controller, 600.0);
  const auto a = fingerprint(first), b = fingerprint(second);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(double)));
  // And the sensor noise too.
  EXPECT_EQ(first.module(1, 3).read_sensors().cell_voltage_V,
            second.module(1, 3).read_sensors().cell_voltage_V);
}

TEST(SystemPlant, CellsSteppedFourOrTwoAtATimeGiveTheSameResultsToTheBit) {
  // 16 cells a module (four blocks of four), and 15 (three fours, a pair and one alone).
  for (const int cells : {16, 15}) {
    SCOPED_TRACE(cells);
    SystemDescription description = system_named("e20", HouseholdProfileKind::PvHomeDay);
    description.module.cells_in_series = cells;
    SystemPlant quads(description), pairs(description);
    for (int m = 0; m < pairs.module_count(0); ++m) pairs.module(0, m).set_avx_cell_step(false);
    EXPECT_EQ(quads.module(0, 0).avx_cell_step(), Cell::avx_available());
    EXPECT_FALSE(pairs.module(0, 0).avx_cell_step());
    sim::ReferenceController quads_controller(quads), pairs_controller(pairs);
    run(quads, quads_controller, 300.0);
    run(pairs, pairs_controller, 300.0);
    const auto a = fingerprint(quads), b = fingerprint(pairs);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(double)));
  }
}

TEST(SystemPlant, DifferentSeedDrawsDifferentCells) {
  SystemDescription description = system_named("e10");
  SystemPlant first(description);
  description.seed += 1;
  SystemPlant second(description);
  EXPECT_NE(first.module(0, 0).cell(0).capacity_Ah(), second.module(0, 0).cell(0).capacity_Ah());
}

TEST(SystemPlant, TopologyFollowsTheDescription) {
  for (const auto& [name, bdus, modules] : std::vector<std::tuple<std::string, int, int>>{
           {"e5", 1, 1}, {"e10", 1, 2}, {"e15", 1, 3}, {"e20", 1, 4}, {"e40", 2, 4}}) {
    SystemPlant plant(system_named(name));
    EXPECT_EQ(plant.bdu_count(), bdus) << name;
    EXPECT_EQ(plant.module_count(bdus - 1), modules) << name;
    EXPECT_EQ(plant.module(0, 0).cell_count(), 16) << name;
  }
}

TEST(SystemPlant, ReferenceControllerBringsTheBusUpAndClosesTheRelays) {
  SystemPlant plant(system_named("e10"));
  sim::ReferenceController controller(plant);
  run(plant, controller, 30.0);
  EXPECT_TRUE(plant.bdu(0).relay_contacts_closed(RelayId::PositiveMain));
  EXPECT_TRUE(plant.bdu(0).relay_contacts_closed(RelayId::NegativeMain));
  EXPECT_FALSE(plant.bdu(0).relay_contacts_closed(RelayId::Precharge));
  EXPECT_GT(plant.bdu(0).truth().inverter_voltage_V, 350.0);
  EXPECT_LT(plant.bdu(0).truth().inverter_voltage_V, 425.0);
}

TEST(SystemPlant, DischargeDeliversStoredEnergyLessConverterLosses) {
  SystemDescription description = system_named("e10", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 4000.0;
  for (auto& module : description.bdus[0].modules) module.initial_soc = 0.9;
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  run(plant, controller, 60.0);
  const double stored_before_Wh = plant.stored_energy_Wh();
  const double delivered_before_Wh = plant.bdu_truth(0).energy_discharged_Wh;
  run(plant, controller, 3600.0);
  const double taken_from_cells_Wh = stored_before_Wh - plant.stored_energy_Wh();
  const double delivered_Wh = plant.bdu_truth(0).energy_discharged_Wh - delivered_before_Wh;
  EXPECT_NEAR(delivered_Wh, 4000.0, 80.0);
  // Converter efficiency ~96-97 %, plus 2 x 20 W no-load draw and the cells' own losses.
  const double efficiency = delivered_Wh / taken_from_cells_Wh;
  EXPECT_GT(efficiency, 0.90);
  EXPECT_LT(efficiency, 0.975);
}

TEST(SystemPlant, CellHeatRaisesTheTemperatureSensorNextToIt) {
  SystemPlant plant(system_named("e5"));
  PlantFault fault;
  fault.kind = PlantFaultKind::CellExternalHeat;
  fault.index = 5;  // sensed by temperature sensor 2 (cells 4 and 5)
  fault.value = 20.0;
  ASSERT_TRUE(plant.set_fault(fault, true));
  rest(plant, 3600.0);
  const ModuleSensorReadings readings = plant.module(0, 0).read_sensors();
  EXPECT_GT(readings.cell_temperature_degC[2] - readings.cell_temperature_degC[6], 3.0);
  EXPECT_GT(plant.module(0, 0).cell(5).temperature_degC(), 35.0);
}

TEST(SystemPlant, AmbientOverrideCoolsTheModule) {
  SystemPlant plant(system_named("e10"));
  PlantFault fault;
  fault.kind = PlantFaultKind::AmbientOverride;
  fault.module = -1;
  fault.value = -15.0;
  ASSERT_TRUE(plant.set_fault(fault, true));
  rest(plant, 12.0 * 3600.0, 10.0);
  const ModuleSensorReadings readings = plant.module(0, 1).read_sensors();
  EXPECT_LT(readings.ambient_temperature_degC, -10.0);
  EXPECT_LT(readings.cell_temperature_degC[0], -8.0);
}

// The weather changes (a scenario's ambient_degC): the air around the modules and the BDU
// enclosure both follow it, while a module's own ambient override still wins for that module.
TEST(SystemPlant, AmbientChangeReachesModulesAndTheBduEnclosure) {
  SystemPlant plant(system_named("e10"));
  PlantFault local;
  local.kind = PlantFaultKind::AmbientOverride;
  local.module = 0;
  local.value = 5.0;
  ASSERT_TRUE(plant.set_fault(local, true));
  plant.set_ambient_degC(52.0);
  rest(plant, 10.0);
  EXPECT_DOUBLE_EQ(plant.ambient_temperature_degC(), 52.0);
  EXPECT_DOUBLE_EQ(plant.module_ambient_temperature_degC(0, 1), 52.0);
  EXPECT_DOUBLE_EQ(plant.module_ambient_temperature_degC(0, 0), 5.0);
  EXPECT_GE(plant.read_bdu_sensors(0).bdu_temperature_degC, 52.0);
}

// A record memory that refuses writes is hardware of one node: a module's BMS, or the BDU.
TEST(SystemPlant, MemoryWriteFailureActsOnOneNode) {
  SystemPlant plant(system_named("e10"));
  PlantFault fault;
  fault.kind = PlantFaultKind::MemoryWriteFailure;
  fault.module = 1;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_TRUE(plant.memory_write_fails(0, 1));
  EXPECT_FALSE(plant.memory_write_fails(0, 0));
  EXPECT_FALSE(plant.memory_write_fails(0, -1));
  fault.module = -1;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_TRUE(plant.memory_write_fails(0, -1));
  ASSERT_TRUE(plant.set_fault(fault, false));
  EXPECT_FALSE(plant.memory_write_fails(0, -1));
  EXPECT_TRUE(plant.memory_write_fails(0, 1));
}

// The faults behind A3/F3 and A5/F5 act on the hardware they name: one module's converter, and
// the inverter input of one BDU (e40: BDU 2's is the inverter's second input).
TEST(SystemPlant, ConverterLimitAndInverterFaultsActOnTheirHardware) {
  SystemPlant plant(system_named("e40"));
  PlantFault fault;
  fault.kind = PlantFaultKind::PcuFailure;
  fault.bdu = 1;
  fault.module = 3;
  fault.pcu_failure = PcuFailure::CurrentLimitLost;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_EQ(plant.module(1, 3).pcu().failure(), PcuFailure::CurrentLimitLost);
  EXPECT_EQ(plant.module(1, 2).pcu().failure(), PcuFailure::None);
  PlantFault inverter;
  inverter.kind = PlantFaultKind::InverterIgnoresLimits;
  inverter.bdu = 1;
  ASSERT_TRUE(plant.set_fault(inverter, true));
  EXPECT_TRUE(plant.inverter().ignores_current_limits(1));
  EXPECT_FALSE(plant.inverter().ignores_current_limits(0));
  ASSERT_TRUE(plant.set_fault(inverter, false));
  EXPECT_FALSE(plant.inverter().ignores_current_limits(1));
}

TEST(SystemPlant, StuckHeaterHeatsWithoutACommand) {
  SystemPlant plant(system_named("e5"));
  for (int m = 0; m < 1; ++m) plant.module(0, m).pcu().set_mode(PcuMode::EnergySaving);
  PlantFault fault;
  fault.kind = PlantFaultKind::HeaterStuckOn;
  ASSERT_TRUE(plant.set_fault(fault, true));
  rest(plant, 2.0 * 3600.0);
  EXPECT_GT(plant.module(0, 0).read_sensors().cell_temperature_degC[3], 32.0);
  EXPECT_GT(plant.module(0, 0).heater_energy_Wh(), 250.0);
}

TEST(SystemPlant, InternalShortDrainsAndHeatsOneCell) {
  SystemDescription description = system_named("e5");
  description.bdus[0].modules[0].initial_soc = 0.15;  // on the slope, where voltage tells SOC
  SystemPlant plant(description);
  const Module& module = plant.module(0, 0);
  const double shorted_soc_before = module.cell(9).soc();
  const double healthy_soc_before = module.cell(8).soc();
  const double shorted_reading_before_V = plant.module(0, 0).read_sensors().cell_voltage_V[9];
  PlantFault fault;
  fault.kind = PlantFaultKind::CellInternalShort;
  fault.index = 9;
  fault.value = 0.5;  // ~6.5 A inside the can
  ASSERT_TRUE(plant.set_fault(fault, true));
  rest(plant, 3600.0);
  EXPECT_GT(shorted_soc_before - module.cell(9).soc(), 0.05);
  EXPECT_LT(healthy_soc_before - module.cell(8).soc(), 0.001);
  EXPECT_GT(module.cell(9).temperature_degC(), module.cell(8).temperature_degC() + 5.0);
  const ModuleSensorReadings readings = plant.module(0, 0).read_sensors();
  EXPECT_LT(readings.cell_voltage_V[9], shorted_reading_before_V - 0.015);
}

TEST(SystemPlant, OpenSenseWireCorruptsTwoChannels) {
  SystemPlant plant(system_named("e5"));
  const PlantFault fault = sensor_fault(ModuleSensor::CellVoltage, 3, SensorFailure::Open);
  ASSERT_TRUE(plant.set_fault(fault, true));
  plant.step(kStep_s);
  const ModuleSensorReadings readings = plant.module(0, 0).read_sensors();
  EXPECT_LT(readings.cell_voltage_V[3], 0.1);
  EXPECT_GT(readings.cell_voltage_V[4], 6.0);
  EXPECT_NEAR(readings.cell_voltage_V[5], plant.module(0, 0).cell(5).terminal_voltage_V(), 0.01);
  ASSERT_TRUE(plant.set_fault(fault, false));
  EXPECT_NEAR(plant.module(0, 0).read_sensors().cell_voltage_V[3],
              plant.module(0, 0).cell(3).terminal_voltage_V(), 0.01);
}

// A stuck cell voltage converter repeats its last reading while the cell moves on, and reads the
// cell again once mended (the readings before the failure came through the module's front end).
TEST(SystemPlant, StuckCellVoltageChannelRepeatsItsLastReading) {
  SystemDescription description = system_named("e5", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 2400.0;  // discharging at 0.5C: the cells sink
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  Module& module = plant.module(0, 0);
  run(plant, controller, 60.0);
  const double last_V = module.read_sensors().cell_voltage_V[6];
  const PlantFault fault = sensor_fault(ModuleSensor::CellVoltage, 6, SensorFailure::Stuck);
  ASSERT_TRUE(plant.set_fault(fault, true));
  for (int second = 0; second < 600; ++second) {
    run(plant, controller, 1.0);
    const ModuleSensorReadings readings = module.read_sensors();
    ASSERT_EQ(readings.cell_voltage_V[6], last_V) << "second " << second;
    ASSERT_NEAR(readings.cell_voltage_V[5], module.cell(5).terminal_voltage_V(), 0.01);
  }
  EXPECT_LT(module.cell(6).terminal_voltage_V(), last_V - 0.005) << "the cell itself moved on";
  ASSERT_TRUE(plant.set_fault(fault, false));
  run(plant, controller, 1.0);
  EXPECT_NEAR(module.read_sensors().cell_voltage_V[6], module.cell(6).terminal_voltage_V(), 0.01);
}

TEST(SystemPlant, TemperatureSensorFailuresReadTheirRailsOrFreeze) {
  SystemPlant plant(system_named("e5"));
  PlantFault fault;
  fault.kind = PlantFaultKind::SensorFailure;
  fault.sensor = ModuleSensor::CellTemperature;
  fault.index = 1;
  fault.sensor_failure = SensorFailure::Open;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_LE(plant.module(0, 0).read_sensors().cell_temperature_degC[1], -40.0);
  fault.sensor_failure = SensorFailure::Short;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_GE(plant.module(0, 0).read_sensors().cell_temperature_degC[1], 120.0);
  // Stuck: the true temperature moves, the reading does not.
  fault.sensor_failure = SensorFailure::None;
  ASSERT_TRUE(plant.set_fault(fault, false));
  const double before_degC = plant.module(0, 0).read_sensors().cell_temperature_degC[1];
  fault.sensor_failure = SensorFailure::Stuck;
  ASSERT_TRUE(plant.set_fault(fault, true));
  PlantFault heat;
  heat.kind = PlantFaultKind::CellExternalHeat;
  heat.index = 2;
  heat.value = 30.0;
  ASSERT_TRUE(plant.set_fault(heat, true));
  rest(plant, 1800.0);
  EXPECT_GT(plant.module(0, 0).cell(2).temperature_degC(), before_degC + 5.0);
  EXPECT_EQ(plant.module(0, 0).read_sensors().cell_temperature_degC[1], before_degC);
}

TEST(SystemPlant, CurrentSensorFailures) {
  SystemDescription description = system_named("e5", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 2000.0;
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  run(plant, controller, 120.0);
  EXPECT_GT(plant.module(0, 0).read_sensors().current_A, 30.0);
  PlantFault fault;
  fault.kind = PlantFaultKind::SensorFailure;
  fault.sensor = ModuleSensor::Current;
  fault.sensor_failure = SensorFailure::Open;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_EQ(plant.module(0, 0).read_sensors().current_A, 0.0);
  fault.sensor_failure = SensorFailure::Short;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_GE(plant.module(0, 0).read_sensors().current_A, 250.0);
}

TEST(SystemPlant, PcuFailuresShowInReportsAndCurrent) {
  SystemDescription description = system_named("e10", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 3000.0;
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  run(plant, controller, 60.0);
  PlantFault fault;
  fault.kind = PlantFaultKind::PcuFailure;
  fault.module = 1;
  fault.pcu_failure = PcuFailure::Dead;
  ASSERT_TRUE(plant.set_fault(fault, true));
  run(plant, controller, 5.0);
  ModuleSensorReadings readings = plant.module(0, 1).read_sensors();
  EXPECT_TRUE(readings.pcu_reports_internal_fault);
  EXPECT_LT(std::abs(plant.module(0, 1).pcu().bus_current_A()), 0.01);
  fault.pcu_failure = PcuFailure::IgnoresCommand;
  ASSERT_TRUE(plant.set_fault(fault, true));
  run(plant, controller, 5.0);
  readings = plant.module(0, 1).read_sensors();
  EXPECT_FALSE(readings.pcu_reports_internal_fault);
  EXPECT_GT(std::abs(plant.module(0, 1).pcu().current_command_A()), 1.0);
  EXPECT_LT(std::abs(plant.module(0, 1).pcu().bus_current_A()), 0.01);
}

TEST(SystemPlant, BlownFuseShowsAcrossTheFuseAndStopsTheOutput) {
  SystemDescription description = system_named("e10", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 3000.0;
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  run(plant, controller, 60.0);
  EXPECT_LT(plant.read_bdu_sensors(0).fuse_voltage_drop_V, 1.0);
  PlantFault fault;
  fault.kind = PlantFaultKind::FuseBlown;
  ASSERT_TRUE(plant.set_fault(fault, true));
  run(plant, controller, 2.0);
  // The PCUs hold BAT IN up while the inverter pulls the DC link down to its discharge voltage
  // limit: the whole difference now stands across the open fuse.
  const BduSensorReadings readings = plant.read_bdu_sensors(0);
  EXPECT_GT(readings.fuse_voltage_drop_V, 50.0);
  EXPECT_NEAR(readings.fuse_voltage_drop_V, readings.bat_in_voltage_V - readings.output_voltage_V,
              1.0);
  EXPECT_NEAR(readings.output_current_A, 0.0, 0.2);
}

TEST(SystemPlant, WeldedRelayStaysClosedAfterItsCoilDrops) {
  SystemPlant plant(system_named("e5"));
  sim::ReferenceController controller(plant);
  run(plant, controller, 30.0);
  PlantFault fault;
  fault.kind = PlantFaultKind::RelayWelded;
  fault.relay = RelayId::PositiveMain;
  ASSERT_TRUE(plant.set_fault(fault, true));
  plant.bdu(0).set_relay_coil(RelayId::PositiveMain, false);
  plant.bdu(0).set_relay_coil(RelayId::NegativeMain, false);
  rest(plant, 1.0, kStep_s);
  const BduSensorReadings readings = plant.read_bdu_sensors(0);
  EXPECT_TRUE(readings.relay_auxiliary_closed[static_cast<int>(RelayId::PositiveMain)]);
  EXPECT_FALSE(readings.relay_auxiliary_closed[static_cast<int>(RelayId::NegativeMain)]);
}

TEST(SystemPlant, ReversedOrCutPowerCableShowsOnTheBduInput) {
  SystemPlant plant(system_named("e20"));
  PlantFault reversed;
  reversed.kind = PlantFaultKind::PowerCableReversed;
  reversed.module = 2;
  ASSERT_TRUE(plant.set_fault(reversed, true));
  PlantFault cut;
  cut.kind = PlantFaultKind::PowerCableCut;
  cut.module = 3;
  ASSERT_TRUE(plant.set_fault(cut, true));
  sim::ReferenceController controller(plant);
  run(plant, controller, 10.0);
  const BduSensorReadings readings = plant.read_bdu_sensors(0);
  EXPECT_GT(readings.input_voltage_V[0], 300.0);
  EXPECT_LT(readings.input_voltage_V[2], -100.0);
  EXPECT_EQ(readings.input_voltage_V[3], 0.0);
}

TEST(SystemPlant, LooseTerminalsHeatUnderLoad) {
  SystemDescription description = system_named("e10", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 4000.0;
  SystemPlant plant(description);
  PlantFault module_terminal;
  module_terminal.kind = PlantFaultKind::ModuleTerminalLoose;
  module_terminal.module = 0;
  ASSERT_TRUE(plant.set_fault(module_terminal, true));
  PlantFault output_terminal;
  output_terminal.kind = PlantFaultKind::BduOutputTerminalLoose;
  ASSERT_TRUE(plant.set_fault(output_terminal, true));
  sim::ReferenceController controller(plant);
  run(plant, controller, 900.0);
  const double loose_degC = plant.module(0, 0).read_sensors().terminal_temperature_degC;
  const double tight_degC = plant.module(0, 1).read_sensors().terminal_temperature_degC;
  EXPECT_GT(loose_degC - tight_degC, 10.0);
  const BduSensorReadings bdu = plant.read_bdu_sensors(0);
  EXPECT_GT(bdu.output_terminal_temperature_degC - bdu.bdu_temperature_degC, 5.0);
}

TEST(SystemPlant, WiringFaultsChangeTheWiringTheBusesSee) {
  SystemPlant plant(system_named("e40"));
  PlantFault fault;
  fault.kind = PlantFaultKind::TerminalResistorRemoved;
  fault.bdu = 1;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_FALSE(plant.wiring(1).terminal_resistor_present);
  EXPECT_TRUE(plant.wiring(0).terminal_resistor_present);
  fault.kind = PlantFaultKind::LinkCableCut;
  fault.module = 2;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_EQ(plant.wiring(1).link_cable_cut_before_module, 2);
  fault.kind = PlantFaultKind::InverterCommunicationCut;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_TRUE(plant.wiring(1).inverter_communication_cut);
  fault.kind = PlantFaultKind::BduNetworkCableCut;
  ASSERT_TRUE(plant.set_fault(fault, true));
  EXPECT_TRUE(plant.bdu_network_cable_cut());
  ASSERT_TRUE(plant.set_fault(fault, false));
  EXPECT_FALSE(plant.bdu_network_cable_cut());
}

TEST(SystemPlant, InverterCableCutIsolatesTheInverter) {
  SystemDescription description = system_named("e10", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 3000.0;
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  run(plant, controller, 60.0);
  PlantFault fault;
  fault.kind = PlantFaultKind::InverterCableCut;
  ASSERT_TRUE(plant.set_fault(fault, true));
  run(plant, controller, 30.0);
  // The BDU keeps its DC link up while the inverter drains its own input below its limit.
  const BduTruth& truth = plant.bdu(0).truth();
  EXPECT_LT(truth.inverter_voltage_V, truth.dc_link_voltage_V - 30.0);
  EXPECT_NEAR(plant.read_bdu_sensors(0).output_current_A, 0.0, 0.2);
}

TEST(SystemPlant, FaultsAtPlacesThatDoNotExistAreRefused) {
  SystemPlant plant(system_named("e10"));
  std::string error;
  PlantFault fault;
  fault.kind = PlantFaultKind::CellInternalShort;
  fault.module = 2;
  EXPECT_FALSE(plant.set_fault(fault, true, &error));
  EXPECT_NE(error.find("module 3 does not exist"), std::string::npos) << error;
  fault.module = 0;
  fault.index = 16;
  EXPECT_FALSE(plant.set_fault(fault, true, &error));
  EXPECT_NE(error.find("cell 17 does not exist"), std::string::npos) << error;
  fault.kind = PlantFaultKind::FuseBlown;
  fault.bdu = 1;
  EXPECT_FALSE(plant.set_fault(fault, true, &error));
  EXPECT_NE(error.find("BDU 2 does not exist"), std::string::npos) << error;
  fault.kind = PlantFaultKind::BduNetworkCableCut;
  fault.bdu = 0;
  EXPECT_FALSE(plant.set_fault(fault, true, &error));
  EXPECT_NE(error.find("one BDU"), std::string::npos) << error;
}

/// Two-node thermal model of a module (all cells as one node, the module air as the other),
/// built only from the documented parameters, driven by the heat the cells report.
struct TwoNodeModule {
  double cells_rise_K = 0.0;
  double air_rise_K = 0.0;
  void step(const SystemDescription& d, double cells_heat_W, double dt_s) {
    const double cells_J_per_K = 16 * d.cell.heat_capacity_J_per_K;
    const double cells_to_air_W_per_K = 16 * d.cell.conductance_to_module_W_per_K;
    const double flow_W = cells_to_air_W_per_K * (cells_rise_K - air_rise_K);
    cells_rise_K += (cells_heat_W - flow_W) * dt_s / cells_J_per_K;
    air_rise_K += (flow_W - d.module.enclosure_conductance_W_per_K * air_rise_K) * dt_s /
                  d.module.internal_heat_capacity_J_per_K;
  }
};

double mean_cell_temperature_degC(const Module& module) {
  double sum_degC = 0.0;
  for (int c = 0; c < module.cell_count(); ++c) sum_degC += module.cell(c).temperature_degC();
  return sum_degC / module.cell_count();
}

TEST(SystemPlant, HalfCDischargeWarmsTheModuleAsItsThermalNetworkSays) {
  // 0.5C is ~2.4 kW per module. The cells' Joule and entropic heat goes into their own mass,
  // the module air and out through the enclosure: the documented parameters in a two-node model
  // must predict the mean cell temperature after an hour within 10 %.
  SystemDescription description = system_named("e5", HouseholdProfileKind::ConstantPower);
  description.household.constant_power_W = 2400.0;
  description.bdus[0].modules[0].initial_soc = 0.75;
  SystemPlant plant(description);
  sim::ReferenceController controller(plant);
  const Module& module = plant.module(0, 0);
  TwoNodeModule model;
  double current_sum_A = 0.0;
  for (int second = 0; second < 3600; ++second) {
    run(plant, controller, 1.0);
    double heat_W = 0.0;
    for (int c = 0; c < module.cell_count(); ++c) heat_W += module.cell(c).heat_W();
    model.step(description, heat_W, 1.0);
    current_sum_A += module.truth().stack_current_A;
  }
  EXPECT_NEAR(current_sum_A / 3600.0, 47.0, 3.0);  // it really was ~0.5C
  const double rise_K = mean_cell_temperature_degC(module) - 25.0;
  EXPECT_GT(rise_K, 0.3);
  EXPECT_NEAR(rise_K, model.cells_rise_K, 0.10 * model.cells_rise_K);
}

TEST(SystemPlant, KnownHeatWarmsTheModuleAsItsThermalNetworkSays) {
  // 2 W into every cell for two hours at rest: the rise follows the two-node model of the
  // documented heat capacities and conductances within 3 %.
  SystemPlant plant(system_named("e5"));
  SystemDescription description = plant.description();
  for (int c = 0; c < 16; ++c) {
    PlantFault heat;
    heat.kind = PlantFaultKind::CellExternalHeat;
    heat.index = c;
    heat.value = 2.0;
    ASSERT_TRUE(plant.set_fault(heat, true));
  }
  TwoNodeModule model;
  for (int second = 0; second < 7200; ++second) {
    plant.step(1.0);
    model.step(description, 32.0, 1.0);
  }
  const double rise_K = mean_cell_temperature_degC(plant.module(0, 0)) - 25.0;
  EXPECT_NEAR(rise_K, model.cells_rise_K, 0.03 * model.cells_rise_K);
  EXPECT_GT(rise_K, 2.0);
}

}  // namespace
}  // namespace bts::plant
