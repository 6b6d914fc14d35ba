// Diagnosis engine: debounce both ways, hysteresis, latching and reset, escalation, shared codes,
// events, reactions and table capacity, on small tables written for each test.
#include "firmware/diagnosis/diagnosis.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string_view>
#include <vector>

namespace bts::firmware {
namespace {

using I = DiagnosisInput;

constexpr DiagnosisRow above(Code code, I input, std::int32_t set, std::int32_t clear,
                             std::uint32_t set_delay_ms, std::uint32_t clear_delay_ms,
                             Reaction reaction = Reaction::None, bool latching = false) {
  return DiagnosisRow{.code = code,
                      .input = input,
                      .comparison = Comparison::Above,
                      .set_threshold = set,
                      .clear_threshold = clear,
                      .set_delay_ms = set_delay_ms,
                      .clear_delay_ms = clear_delay_ms,
                      .reaction = reaction,
                      .latching = latching,
                      .source = "test"};
}

constexpr DiagnosisRow below(Code code, I input, std::int32_t set, std::int32_t clear,
                             std::uint32_t set_delay_ms, std::uint32_t clear_delay_ms,
                             Reaction reaction = Reaction::None) {
  DiagnosisRow row = above(code, input, set, clear, set_delay_ms, clear_delay_ms, reaction);
  row.comparison = Comparison::Below;
  return row;
}

std::vector<DiagnosisEvent> drain(Diagnosis& diagnosis) {
  std::vector<DiagnosisEvent> events;
  DiagnosisEvent event;
  while (diagnosis.pop_event(event)) events.push_back(event);
  return events;
}

// Feeds value and evaluates at now_ms; returns whether code is active afterwards.
bool step(Diagnosis& diagnosis, I input, std::int32_t value, TimeMs now_ms, Code code) {
  diagnosis.set_input(input, value);
  diagnosis.evaluate(now_ms);
  return diagnosis.active().has(code);
}

constexpr std::array kOneRow{above(Code::A1, I::MaxCellTemperature_ddegC, 500, 450, 1000, 2000)};

TEST(DiagnosisDebounceTest, RaisesOnlyAfterTheSetDelay) {
  Diagnosis diagnosis(kOneRow);
  const I input = I::MaxCellTemperature_ddegC;
  EXPECT_FALSE(step(diagnosis, input, 499, 0, Code::A1));
  EXPECT_FALSE(step(diagnosis, input, 500, 100, Code::A1));  // at the threshold: pending
  EXPECT_FALSE(step(diagnosis, input, 520, 1099, Code::A1));
  EXPECT_TRUE(step(diagnosis, input, 520, 1100, Code::A1));
  EXPECT_TRUE(diagnosis.row_active(0));
}

TEST(DiagnosisDebounceTest, ABlipDoesNotRaiseAndRestartsTheDelay) {
  Diagnosis diagnosis(kOneRow);
  const I input = I::MaxCellTemperature_ddegC;
  EXPECT_FALSE(step(diagnosis, input, 600, 0, Code::A1));
  EXPECT_FALSE(step(diagnosis, input, 600, 900, Code::A1));
  EXPECT_FALSE(step(diagnosis, input, 499, 950, Code::A1));  // gone for one sample
  EXPECT_FALSE(step(diagnosis, input, 600, 1000, Code::A1));
  EXPECT_FALSE(step(diagnosis, input, 600, 1999, Code::A1));  // 999 ms since it came back
  EXPECT_TRUE(step(diagnosis, input, 600, 2000, Code::A1));
  EXPECT_TRUE(drain(diagnosis).size() == 1u);
}

TEST(DiagnosisDebounceTest, ClearsOnlyAfterTheClearDelay) {
  Diagnosis diagnosis(kOneRow);
  const I input = I::MaxCellTemperature_ddegC;
  step(diagnosis, input, 600, 0, Code::A1);
  ASSERT_TRUE(step(diagnosis, input, 600, 1000, Code::A1));
  EXPECT_TRUE(step(diagnosis, input, 450, 5000, Code::A1));  // at the clear threshold: pending
  EXPECT_TRUE(step(diagnosis, input, 400, 6999, Code::A1));
  EXPECT_TRUE(step(diagnosis, input, 460, 7000, Code::A1));  // back in the band: starts over
  EXPECT_TRUE(step(diagnosis, input, 400, 7100, Code::A1));
  EXPECT_TRUE(step(diagnosis, input, 400, 9099, Code::A1));
  EXPECT_FALSE(step(diagnosis, input, 400, 9100, Code::A1));
}

TEST(DiagnosisHysteresisTest, TheBandHoldsEitherState) {
  Diagnosis diagnosis(kOneRow);
  const I input = I::MaxCellTemperature_ddegC;
  // Inactive: a value inside 450..500 never raises.
  for (TimeMs t = 0; t <= 10000; t += 500) EXPECT_FALSE(step(diagnosis, input, 499, t, Code::A1));
  // Active: a value inside the band never clears.
  step(diagnosis, input, 500, 20000, Code::A1);
  ASSERT_TRUE(step(diagnosis, input, 500, 21000, Code::A1));
  for (TimeMs t = 21000; t <= 40000; t += 500) {
    EXPECT_TRUE(step(diagnosis, input, 451, t, Code::A1));
  }
}

TEST(DiagnosisHysteresisTest, BelowRowsMirror) {
  constexpr std::array table{below(Code::A4, I::MinCellVoltage_mV, 2900, 3100, 0, 0)};
  Diagnosis diagnosis(table);
  const I input = I::MinCellVoltage_mV;
  EXPECT_FALSE(step(diagnosis, input, 2901, 0, Code::A4));
  EXPECT_TRUE(step(diagnosis, input, 2900, 1, Code::A4));  // zero delay: at once
  EXPECT_TRUE(step(diagnosis, input, 3099, 2, Code::A4));
  EXPECT_FALSE(step(diagnosis, input, 3100, 3, Code::A4));
}

TEST(DiagnosisInputTest, RowsWaitForTheirFirstValue) {
  // 0 would be below the threshold, but the input has never been fed.
  constexpr std::array table{
      below(Code::F2, I::MinCellTemperatureWhileCharging_ddegC, 0, 50, 0, 0)};
  Diagnosis diagnosis(table);
  diagnosis.evaluate(0);
  diagnosis.evaluate(100000);
  EXPECT_TRUE(diagnosis.active().empty());
  EXPECT_TRUE(step(diagnosis, I::MinCellTemperatureWhileCharging_ddegC, 0, 100001, Code::F2));
  diagnosis.set_input(I::Count, 1);  // ignored
}

TEST(DiagnosisInputTest, TimeGoingBackwardsDoesNotRaise) {
  Diagnosis diagnosis(kOneRow);
  EXPECT_FALSE(step(diagnosis, I::MaxCellTemperature_ddegC, 600, 5000, Code::A1));
  EXPECT_FALSE(step(diagnosis, I::MaxCellTemperature_ddegC, 600, 10, Code::A1));
  EXPECT_TRUE(step(diagnosis, I::MaxCellTemperature_ddegC, 600, 6000, Code::A1));
}

// ---- Latching and reset ----

constexpr std::array kLatchingTable{
    above(Code::F3, I::MaxCellVoltage_mV, 3650, 3400, 1000, 5000, Reaction::StopCharging, true),
    above(Code::A3, I::MaxCellVoltage_mV, 3600, 3400, 1000, 5000, Reaction::StopCharging)};

TEST(DiagnosisLatchTest, StaysActiveAfterTheConditionClearsUntilReset) {
  Diagnosis diagnosis(kLatchingTable);
  const I input = I::MaxCellVoltage_mV;
  step(diagnosis, input, 3700, 0, Code::F3);
  ASSERT_TRUE(step(diagnosis, input, 3700, 1000, Code::F3));
  EXPECT_FALSE(diagnosis.request_reset(1500));  // refused: the condition persists
  EXPECT_TRUE(diagnosis.active().has(Code::F3));

  EXPECT_TRUE(step(diagnosis, input, 3300, 2000, Code::F3));
  EXPECT_FALSE(diagnosis.request_reset(4000));  // gone, but not yet for the clear delay
  EXPECT_TRUE(step(diagnosis, input, 3300, 7000, Code::F3));
  EXPECT_FALSE(diagnosis.active().has(Code::A3));              // the non-latching row has cleared
  EXPECT_TRUE(step(diagnosis, input, 3300, 60000, Code::F3));  // latched, however long

  drain(diagnosis);
  EXPECT_TRUE(diagnosis.request_reset(60000));
  EXPECT_FALSE(diagnosis.active().has(Code::F3));
  const auto events = drain(diagnosis);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (DiagnosisEvent{60000, Code::F3, false}));
}

TEST(DiagnosisLatchTest, ResetRefusedWhenTheConditionReturnsAfterClearing) {
  Diagnosis diagnosis(kLatchingTable);
  const I input = I::MaxCellVoltage_mV;
  step(diagnosis, input, 3700, 0, Code::F3);
  step(diagnosis, input, 3700, 1000, Code::F3);
  step(diagnosis, input, 3300, 2000, Code::F3);
  step(diagnosis, input, 3300, 7000, Code::F3);  // condition gone for the clear delay
  step(diagnosis, input, 3500, 8000, Code::F3);  // back into the band
  EXPECT_FALSE(diagnosis.request_reset(8000));
  EXPECT_TRUE(diagnosis.active().has(Code::F3));
}

TEST(DiagnosisLatchTest, ResetWithNothingLatchedSucceedsAndChangesNothing) {
  Diagnosis diagnosis(kLatchingTable);
  step(diagnosis, I::MaxCellVoltage_mV, 3610, 0, Code::A3);
  ASSERT_TRUE(step(diagnosis, I::MaxCellVoltage_mV, 3610, 1000, Code::A3));
  EXPECT_TRUE(diagnosis.request_reset(1000));
  EXPECT_TRUE(diagnosis.active().has(Code::A3));  // a reset does not clear live conditions
}

// ---- Escalation ----

constexpr std::array kEscalationTable{[] {
  DiagnosisRow row =
      above(Code::A5, I::ChargeCurrent_mA, 60000, 55000, 1000, 1000, Reaction::Derate);
  row.escalate_after_ms = 5000;
  row.escalates_to = Code::F5;
  row.escalation_reaction = Reaction::OpenRelays;
  return row;
}()};

TEST(DiagnosisEscalationTest, AnAlarmActiveTooLongRaisesItsFaultWhichLatches) {
  Diagnosis diagnosis(kEscalationTable);
  const I input = I::ChargeCurrent_mA;
  step(diagnosis, input, 65000, 0, Code::A5);
  ASSERT_TRUE(step(diagnosis, input, 65000, 1000, Code::A5));  // active since 1000
  EXPECT_FALSE(step(diagnosis, input, 65000, 5999, Code::F5));
  EXPECT_EQ(diagnosis.strongest_reaction(), Reaction::Derate);
  EXPECT_TRUE(step(diagnosis, input, 65000, 6000, Code::F5));
  EXPECT_TRUE(diagnosis.row_escalated(0));
  EXPECT_EQ(diagnosis.strongest_reaction(), Reaction::OpenRelays);
  EXPECT_FALSE(diagnosis.request_reset(6000));  // the alarm is still active

  step(diagnosis, input, 0, 7000, Code::A5);
  EXPECT_TRUE(step(diagnosis, input, 0, 8000, Code::F5));  // alarm cleared, escalation holds
  EXPECT_FALSE(diagnosis.active().has(Code::A5));
  EXPECT_TRUE(diagnosis.request_reset(8000));
  EXPECT_TRUE(diagnosis.active().empty());
  EXPECT_EQ(diagnosis.strongest_reaction(), Reaction::None);
}

TEST(DiagnosisEscalationTest, AnAlarmThatClearsInTimeDoesNotEscalate) {
  Diagnosis diagnosis(kEscalationTable);
  const I input = I::ChargeCurrent_mA;
  for (int cycle = 0; cycle < 5; ++cycle) {
    const TimeMs t0 = static_cast<TimeMs>(cycle) * 10000;
    step(diagnosis, input, 65000, t0, Code::A5);
    ASSERT_TRUE(step(diagnosis, input, 65000, t0 + 1000, Code::A5));
    step(diagnosis, input, 65000, t0 + 4999, Code::A5);  // active for 4 s of the 5 s allowed
    step(diagnosis, input, 0, t0 + 5000, Code::A5);
    EXPECT_FALSE(step(diagnosis, input, 0, t0 + 6000, Code::A5));
  }
  EXPECT_FALSE(diagnosis.active().has(Code::F5));
  EXPECT_EQ(diagnosis.raise_count(Code::A5), 5u);
}

// ---- Shared codes, events, counters ----

constexpr std::array kSharedTable{
    above(Code::F9, I::LinkTimeout, 1, 0, 100, 100, Reaction::OpenRelays),
    above(Code::F9, I::InverterTimeout, 1, 0, 100, 100, Reaction::OpenRelays),
    above(Code::A9, I::OtherWarning, 1, 0, 0, 0)};

TEST(DiagnosisSharedCodeTest, ActiveWhileAnyOfItsRowsIs) {
  Diagnosis diagnosis(kSharedTable);
  diagnosis.set_input(I::LinkTimeout, 1);
  diagnosis.set_input(I::InverterTimeout, 0);
  diagnosis.evaluate(0);
  diagnosis.evaluate(100);
  ASSERT_TRUE(diagnosis.active().has(Code::F9));
  diagnosis.set_input(I::InverterTimeout, 1);
  diagnosis.evaluate(200);
  diagnosis.evaluate(300);
  EXPECT_TRUE(diagnosis.row_active(0) && diagnosis.row_active(1));
  diagnosis.set_input(I::LinkTimeout, 0);
  diagnosis.evaluate(400);
  diagnosis.evaluate(500);
  EXPECT_FALSE(diagnosis.row_active(0));
  EXPECT_TRUE(diagnosis.active().has(Code::F9));  // the inverter row still holds it
  diagnosis.set_input(I::InverterTimeout, 0);
  diagnosis.evaluate(600);
  diagnosis.evaluate(700);
  EXPECT_FALSE(diagnosis.active().has(Code::F9));
  const auto events = drain(diagnosis);
  ASSERT_EQ(events.size(), 2u);  // one raise, one clear: the code, not the rows
  EXPECT_EQ(events[0], (DiagnosisEvent{100, Code::F9, true}));
  EXPECT_EQ(events[1], (DiagnosisEvent{700, Code::F9, false}));
  EXPECT_EQ(diagnosis.raise_count(Code::F9), 1u);
}

TEST(DiagnosisEventTest, EventsComeOutInOrder) {
  Diagnosis diagnosis(kSharedTable);
  DiagnosisEvent event;
  EXPECT_FALSE(diagnosis.pop_event(event));
  diagnosis.set_input(I::OtherWarning, 1);
  diagnosis.set_input(I::LinkTimeout, 1);
  diagnosis.evaluate(10);   // A9 raised at once
  diagnosis.evaluate(110);  // F9 raised
  diagnosis.set_input(I::OtherWarning, 0);
  diagnosis.evaluate(120);  // A9 cleared
  diagnosis.set_input(I::OtherWarning, 1);
  diagnosis.set_input(I::LinkTimeout, 0);
  diagnosis.evaluate(130);  // A9 raised again, F9 clear pending
  diagnosis.evaluate(230);  // F9 cleared
  const std::vector<DiagnosisEvent> expected{
      {10, Code::A9, true},  {110, Code::F9, true},  {120, Code::A9, false},
      {130, Code::A9, true}, {230, Code::F9, false},
  };
  EXPECT_EQ(diagnosis.queued_events(), expected.size());
  EXPECT_EQ(drain(diagnosis), expected);
  EXPECT_EQ(diagnosis.raise_count(Code::A9), 2u);
  EXPECT_EQ(diagnosis.raise_count(Code::F9), 1u);
  EXPECT_EQ(diagnosis.raise_count(Code::F1), 0u);
}

TEST(DiagnosisEventTest, AFullQueueDropsTheOldestAndCounts) {
  Diagnosis diagnosis(kSharedTable);
  for (TimeMs t = 0; t < 70; ++t) {  // 70 events: A9 raised at even t, cleared at odd t
    diagnosis.set_input(I::OtherWarning, t % 2 == 0 ? 1 : 0);
    diagnosis.evaluate(t);
  }
  EXPECT_EQ(diagnosis.queued_events(), kDiagnosisEventCapacity);
  EXPECT_EQ(diagnosis.events_dropped(), 70u - kDiagnosisEventCapacity);
  const auto events = drain(diagnosis);
  ASSERT_EQ(events.size(), kDiagnosisEventCapacity);
  EXPECT_EQ(events.front().time_ms, 70u - kDiagnosisEventCapacity);
  EXPECT_EQ(events.back().time_ms, 69u);
  EXPECT_EQ(diagnosis.raise_count(Code::A9), 35u);
}

TEST(DiagnosisEventTest, CountersRestoreFromTheNonVolatileRecord) {
  Diagnosis diagnosis(kSharedTable);
  std::array<std::uint32_t, kCodeCount> stored{};
  stored[static_cast<std::size_t>(Code::A9)] = 41;
  diagnosis.restore_raise_counts(stored);
  diagnosis.set_input(I::OtherWarning, 1);
  diagnosis.evaluate(0);
  EXPECT_EQ(diagnosis.raise_count(Code::A9), 42u);
  EXPECT_EQ(diagnosis.raise_counts()[static_cast<std::size_t>(Code::A9)], 42u);
}

// ---- Reactions ----

constexpr std::array kReactionTable{
    below(Code::F2, I::MinCellTemperatureWhileCharging_ddegC, 0, 50, 0, 0, Reaction::StopCharging),
    below(Code::F2, I::MinCellTemperatureWhileDischarging_ddegC, -200, -150, 0, 0,
          Reaction::StopDischarging),
    above(Code::A1, I::MaxCellTemperature_ddegC, 500, 450, 0, 0, Reaction::Derate),
    above(Code::F14, I::FuseOpen, 1, 0, 0, 0, Reaction::OpenRelays),
    above(Code::A9, I::OtherWarning, 1, 0, 0, 0, Reaction::None)};

TEST(DiagnosisReactionTest, LowTemperatureWhileChargingBlocksChargingOnly) {
  Diagnosis diagnosis(kReactionTable);
  diagnosis.set_input(I::MinCellTemperatureWhileCharging_ddegC, -10);
  diagnosis.evaluate(0);
  const ReactionSummary reaction = diagnosis.reaction();
  EXPECT_EQ(reaction.strongest, Reaction::StopCharging);
  EXPECT_TRUE(reaction.charging_blocked);
  EXPECT_FALSE(reaction.discharging_blocked);
  EXPECT_FALSE(reaction.open_relays);
  EXPECT_FALSE(reaction.derating);
}

TEST(DiagnosisReactionTest, LowTemperatureWhileDischargingBlocksDischargingOnly) {
  Diagnosis diagnosis(kReactionTable);
  diagnosis.set_input(I::MinCellTemperatureWhileDischarging_ddegC, -250);
  diagnosis.evaluate(0);
  EXPECT_EQ(diagnosis.strongest_reaction(), Reaction::StopDischarging);
  EXPECT_FALSE(diagnosis.charging_blocked());
  EXPECT_TRUE(diagnosis.discharging_blocked());
}

TEST(DiagnosisReactionTest, DerateAndReportOnlyBlockNothing) {
  Diagnosis diagnosis(kReactionTable);
  diagnosis.set_input(I::OtherWarning, 1);
  diagnosis.evaluate(0);
  EXPECT_EQ(diagnosis.strongest_reaction(), Reaction::None);
  diagnosis.set_input(I::MaxCellTemperature_ddegC, 520);
  diagnosis.evaluate(1);
  const ReactionSummary reaction = diagnosis.reaction();
  EXPECT_EQ(reaction.strongest, Reaction::Derate);
  EXPECT_TRUE(reaction.derating);
  EXPECT_FALSE(reaction.charging_blocked || reaction.discharging_blocked || reaction.open_relays);
}

TEST(DiagnosisReactionTest, ReactionsCombineAndTheStrongestWins) {
  Diagnosis diagnosis(kReactionTable);
  diagnosis.set_input(I::MinCellTemperatureWhileCharging_ddegC, -10);
  diagnosis.set_input(I::MinCellTemperatureWhileDischarging_ddegC, -250);
  diagnosis.set_input(I::MaxCellTemperature_ddegC, 520);
  diagnosis.evaluate(0);
  ReactionSummary reaction = diagnosis.reaction();
  EXPECT_EQ(reaction.strongest, Reaction::StopDischarging);
  EXPECT_TRUE(reaction.charging_blocked && reaction.discharging_blocked && reaction.derating);
  EXPECT_FALSE(reaction.open_relays);
  diagnosis.set_input(I::FuseOpen, 1);
  diagnosis.evaluate(1);
  reaction = diagnosis.reaction();
  EXPECT_EQ(reaction.strongest, Reaction::OpenRelays);
  EXPECT_TRUE(reaction.open_relays);
}

TEST(DiagnosisReactionTest, ReactionsEndWithTheirRows) {
  Diagnosis diagnosis(kReactionTable);
  diagnosis.set_input(I::FuseOpen, 1);
  diagnosis.evaluate(0);
  ASSERT_TRUE(diagnosis.reaction().open_relays);
  diagnosis.set_input(I::FuseOpen, 0);
  diagnosis.evaluate(1);
  EXPECT_EQ(diagnosis.reaction().strongest, Reaction::None);
  EXPECT_FALSE(diagnosis.charging_blocked() || diagnosis.discharging_blocked());
}

// ---- Table capacity and consistency ----

TEST(DiagnosisTableTest, AFullTableIsAcceptedALargerOneTruncatedAndFlagged) {
  std::vector<DiagnosisRow> rows(kMaxDiagnosisRows + 1,
                                 above(Code::A9, I::OtherWarning, 1, 0, 0, 0));
  rows.back() = above(Code::F17, I::OtherFault, 1, 0, 0, 0);  // beyond the capacity
  const Diagnosis full(std::span<const DiagnosisRow>(rows.data(), kMaxDiagnosisRows));
  EXPECT_FALSE(full.table_truncated());
  EXPECT_EQ(full.row_count(), kMaxDiagnosisRows);

  Diagnosis truncated(rows);
  EXPECT_TRUE(truncated.table_truncated());
  EXPECT_EQ(truncated.row_count(), kMaxDiagnosisRows);
  truncated.set_input(I::OtherFault, 1);
  truncated.set_input(I::OtherWarning, 1);
  truncated.evaluate(0);
  EXPECT_FALSE(truncated.active().has(Code::F17));  // the dropped row is never evaluated
  EXPECT_TRUE(truncated.active().has(Code::A9));
  EXPECT_FALSE(truncated.row_active(kMaxDiagnosisRows));
}

TEST(DiagnosisTableTest, AnInconsistentRowIsFlaggedAndNeverRaises) {
  // Clear threshold above the set threshold of an Above row: no hysteresis, would chatter.
  constexpr std::array table{above(Code::A1, I::MaxCellTemperature_ddegC, 500, 550, 0, 0),
                             above(Code::A9, I::OtherWarning, 1, 0, 0, 0)};
  static_assert(!row_is_consistent(table[0]));
  Diagnosis diagnosis(table);
  EXPECT_FALSE(diagnosis.table_consistent());
  diagnosis.set_input(I::MaxCellTemperature_ddegC, 900);
  diagnosis.set_input(I::OtherWarning, 1);
  diagnosis.evaluate(0);
  EXPECT_FALSE(diagnosis.active().has(Code::A1));
  EXPECT_TRUE(diagnosis.active().has(Code::A9));
  EXPECT_TRUE(Diagnosis(kSharedTable).table_consistent());
}

TEST(DiagnosisTableTest, RowConsistencyRules) {
  DiagnosisRow row = above(Code::A1, I::MaxCellTemperature_ddegC, 500, 450, 0, 0);
  EXPECT_TRUE(row_is_consistent(row));
  row.clear_threshold = 500;  // equal: no hysteresis
  EXPECT_FALSE(row_is_consistent(row));
  row = below(Code::A4, I::MinCellVoltage_mV, 2900, 2800, 0, 0);
  EXPECT_FALSE(row_is_consistent(row));
  row = above(Code::A1, I::Count, 500, 450, 0, 0);
  EXPECT_FALSE(row_is_consistent(row));
  row = above(Code::A1, I::MaxCellTemperature_ddegC, 500, 450, 0, 0);
  row.escalate_after_ms = 1000;
  row.escalates_to = Code::A1;
  EXPECT_FALSE(row_is_consistent(row));
  row.escalates_to = Code::F1;
  EXPECT_TRUE(row_is_consistent(row));
  row.source = "";
  EXPECT_FALSE(row_is_consistent(row));
}

TEST(DiagnosisNamesTest, InputAndReactionNames) {
  EXPECT_EQ(diagnosis_input_name(I::MaxCellVoltage_mV), "MaxCellVoltage_mV");
  EXPECT_EQ(diagnosis_input_name(I::OtherWarning), "OtherWarning");
  EXPECT_EQ(diagnosis_input_name(I::Count), "?");
  std::set<std::string_view> names;
  for (std::size_t index = 0; index < kDiagnosisInputCount; ++index) {
    const std::string_view name = diagnosis_input_name(static_cast<I>(index));
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(reaction_name(Reaction::StopDischarging), "stop discharging");
  EXPECT_EQ(reaction_name(Reaction::OpenRelays), "open relays");
}

}  // namespace
}  // namespace bts::firmware
