// The default diagnosis tables: one generated test per row (raise after the set delay, clear
// after the clear delay or stay latched until reset), escalations, coverage of the manual's codes,
// and docs/diagnosis.md listing exactly these rows.
#include "firmware/diagnosis/diagnosis_tables.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "firmware/diagnosis/diagnosis.hpp"

namespace bts::firmware {
namespace {

struct RowCase {
  const char* node;
  std::span<const DiagnosisRow> table;
  std::size_t index;
  const DiagnosisRow& row() const { return table[index]; }
};

std::vector<RowCase> all_rows() {
  std::vector<RowCase> cases;
  for (std::size_t i = 0; i < kModuleDiagnosisTable.size(); ++i) {
    cases.push_back({"module", kModuleDiagnosisTable, i});
  }
  for (std::size_t i = 0; i < kBduDiagnosisTable.size(); ++i) {
    cases.push_back({"BDU", kBduDiagnosisTable, i});
  }
  return cases;
}

std::string case_name(const RowCase& c) {
  return std::string(c.node) + "_" + std::to_string(c.index) + "_" +
         std::string(code_info(c.row().code).label) + "_" +
         std::string(diagnosis_input_name(c.row().input));
}

// One step beyond a threshold towards "condition present" (+1 for Above rows).
std::int32_t toward_set(const DiagnosisRow& row) {
  return row.comparison == Comparison::Above ? 1 : -1;
}

// Other rows on the same input may be active too; this row's reaction must be among them.
void expect_reaction_in_force(const ReactionSummary& summary, Reaction reaction) {
  EXPECT_GE(summary.strongest, reaction);
  if (reaction == Reaction::Derate) {
    EXPECT_TRUE(summary.derating);
  }
  if (reaction == Reaction::StopCharging) {
    EXPECT_TRUE(summary.charging_blocked);
  }
  if (reaction == Reaction::StopDischarging) {
    EXPECT_TRUE(summary.discharging_blocked);
  }
  if (reaction == Reaction::OpenRelays) {
    EXPECT_TRUE(summary.open_relays && summary.charging_blocked && summary.discharging_blocked);
  }
}

// Times of the queued "raised" events of one code (other rows may have raised other codes).
std::vector<TimeMs> raise_events(Diagnosis& diagnosis, Code code) {
  std::vector<TimeMs> times;
  DiagnosisEvent event;
  while (diagnosis.pop_event(event)) {
    if (event.code == code && event.raised) times.push_back(event.time_ms);
  }
  return times;
}

class DefaultRowTest : public ::testing::TestWithParam<RowCase> {};

TEST_P(DefaultRowTest, RaisesAfterItsSetDelayAndClearsAfterItsClearDelay) {
  const RowCase& c = GetParam();
  const DiagnosisRow& row = c.row();
  Diagnosis diagnosis(c.table);
  ASSERT_TRUE(diagnosis.table_consistent());
  auto at = [&](std::int32_t value, TimeMs now_ms) {
    diagnosis.set_input(row.input, value);
    diagnosis.evaluate(now_ms);
    return diagnosis.row_active(c.index);
  };

  // Just short of the set threshold, for longer than the set delay: nothing.
  const std::int32_t short_of_set = row.set_threshold - toward_set(row);
  EXPECT_FALSE(at(short_of_set, 0));
  EXPECT_FALSE(at(short_of_set, row.set_delay_ms + 1000));
  EXPECT_FALSE(diagnosis.active().has(row.code));

  // At the set threshold: raised once it has held for the set delay.
  const TimeMs t0 = 100000;
  EXPECT_EQ(at(row.set_threshold, t0), row.set_delay_ms == 0);
  if (row.set_delay_ms > 0) {
    EXPECT_FALSE(at(row.set_threshold, t0 + row.set_delay_ms - 1));
  }
  EXPECT_TRUE(at(row.set_threshold, t0 + row.set_delay_ms));
  EXPECT_TRUE(diagnosis.active().has(row.code));
  expect_reaction_in_force(diagnosis.reaction(), row.reaction);
  EXPECT_EQ(raise_events(diagnosis, row.code), std::vector<TimeMs>{t0 + row.set_delay_ms});
  EXPECT_EQ(diagnosis.raise_count(row.code), 1u);

  if (row.latching) {
    EXPECT_FALSE(diagnosis.request_reset(t0 + row.set_delay_ms));  // condition still present
    EXPECT_TRUE(diagnosis.active().has(row.code));
  }

  // At the clear threshold: cleared once it has held for the clear delay, or held by the latch.
  const TimeMs t1 = t0 + row.set_delay_ms + 1000;
  EXPECT_TRUE(at(row.clear_threshold, t1) || row.clear_delay_ms == 0);
  if (row.clear_delay_ms > 0) {
    EXPECT_TRUE(at(row.clear_threshold, t1 + row.clear_delay_ms - 1));
  }
  const bool still_active = at(row.clear_threshold, t1 + row.clear_delay_ms);
  if (row.latching) {
    EXPECT_TRUE(still_active);
    EXPECT_TRUE(diagnosis.active().has(row.code));
    EXPECT_TRUE(diagnosis.request_reset(t1 + row.clear_delay_ms + 1));
  } else {
    EXPECT_FALSE(still_active);
  }
  EXPECT_FALSE(diagnosis.row_active(c.index));
  EXPECT_FALSE(diagnosis.active().has(row.code));
}

INSTANTIATE_TEST_SUITE_P(DefaultTables, DefaultRowTest, ::testing::ValuesIn(all_rows()),
                         [](const auto& param_info) { return case_name(param_info.param); });

std::vector<RowCase> escalating_rows() {
  std::vector<RowCase> cases;
  for (const RowCase& c : all_rows()) {
    if (c.row().escalate_after_ms > 0) cases.push_back(c);
  }
  return cases;
}

class EscalatingRowTest : public ::testing::TestWithParam<RowCase> {};

TEST_P(EscalatingRowTest, EscalatesOnlyAfterItsEscalationTime) {
  const RowCase& c = GetParam();
  const DiagnosisRow& row = c.row();
  Diagnosis diagnosis(c.table);
  diagnosis.set_input(row.input, row.set_threshold);
  diagnosis.evaluate(0);
  diagnosis.evaluate(row.set_delay_ms);
  ASSERT_TRUE(diagnosis.row_active(c.index));
  diagnosis.evaluate(row.set_delay_ms + row.escalate_after_ms - 1);
  EXPECT_FALSE(diagnosis.active().has(row.escalates_to));
  diagnosis.evaluate(row.set_delay_ms + row.escalate_after_ms);
  EXPECT_TRUE(diagnosis.active().has(row.escalates_to));
  expect_reaction_in_force(diagnosis.reaction(), row.escalation_reaction);
}

INSTANTIATE_TEST_SUITE_P(DefaultTables, EscalatingRowTest, ::testing::ValuesIn(escalating_rows()),
                         [](const auto& param_info) { return case_name(param_info.param); });

TEST(DefaultTablesTest, EveryCodeOfTheManualHasARow) {
  CodeSet covered;
  for (const RowCase& c : all_rows()) covered.set(c.row().code);
  for (int index = 0; index < kCodeCount; ++index) {
    EXPECT_TRUE(covered.has(static_cast<Code>(index)))
        << code_info(static_cast<Code>(index)).label << " has no row";
  }
}

TEST(DefaultTablesTest, LowTemperatureFaultBlocksOnlyItsDirection) {
  Diagnosis diagnosis(kModuleDiagnosisTable);
  diagnosis.set_input(DiagnosisInput::MinCellTemperatureWhileCharging_ddegC, -50);
  diagnosis.set_input(DiagnosisInput::MinCellTemperatureWhileDischarging_ddegC, 250);
  diagnosis.evaluate(0);
  diagnosis.evaluate(10000);
  ASSERT_TRUE(diagnosis.active().has(Code::F2));
  EXPECT_TRUE(diagnosis.charging_blocked());
  EXPECT_FALSE(diagnosis.discharging_blocked());
}

TEST(DefaultTablesTest, AlarmThresholdsComeBeforeFaultThresholds) {
  // For each input, an alarm row must trip before the fault row of the same direction.
  for (std::span<const DiagnosisRow> table : {std::span<const DiagnosisRow>(kModuleDiagnosisTable),
                                              std::span<const DiagnosisRow>(kBduDiagnosisTable)}) {
    for (const DiagnosisRow& alarm : table) {
      if (is_fault(alarm.code)) continue;
      for (const DiagnosisRow& fault : table) {
        if (!is_fault(fault.code) || fault.input != alarm.input ||
            fault.comparison != alarm.comparison) {
          continue;
        }
        if (alarm.comparison == Comparison::Above) {
          EXPECT_LT(alarm.set_threshold, fault.set_threshold) << code_info(alarm.code).label;
        } else {
          EXPECT_GT(alarm.set_threshold, fault.set_threshold) << code_info(alarm.code).label;
        }
      }
    }
  }
}

// ---- docs/diagnosis.md lists exactly these rows ----

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string render_row(const RowCase& c) {
  const DiagnosisRow& row = c.row();
  const bool above = row.comparison == Comparison::Above;
  std::ostringstream line;
  line << "| " << c.node << " | " << code_info(row.code).label << " | `"
       << diagnosis_input_name(row.input) << "` | " << (above ? ">= " : "<= ") << row.set_threshold
       << " | " << (above ? "<= " : ">= ") << row.clear_threshold << " | " << row.set_delay_ms
       << " | " << row.clear_delay_ms << " | " << reaction_name(row.reaction) << " | "
       << yes_no(row.latching) << " | ";
  if (row.escalate_after_ms > 0) {
    line << code_info(row.escalates_to).label << " after " << row.escalate_after_ms << " ms ("
         << reaction_name(row.escalation_reaction) << ")";
  } else {
    line << "-";
  }
  line << " | " << row.source << " |";
  return line.str();
}

TEST(DiagnosisDocsTest, DocsTableMatchesTheDefaultTables) {
  const std::string path = std::string(BTS_SOURCE_DIR) + "/docs/diagnosis.md";
  std::ifstream file(path);
  ASSERT_TRUE(file.good()) << path;
  std::set<std::string> doc_rows;
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("| module |", 0) == 0 || line.rfind("| BDU |", 0) == 0) doc_rows.insert(line);
  }
  std::string expected_table;
  std::set<std::string> code_rows;
  for (const RowCase& c : all_rows()) {
    const std::string rendered = render_row(c);
    code_rows.insert(rendered);
    expected_table += rendered + "\n";
  }
  bool all_found = true;
  for (const std::string& rendered : code_rows) {
    if (doc_rows.count(rendered) == 0) {
      all_found = false;
      ADD_FAILURE() << "missing from docs/diagnosis.md:\n" << rendered;
    }
  }
  for (const std::string& documented : doc_rows) {
    if (code_rows.count(documented) == 0) {
      all_found = false;
      ADD_FAILURE() << "in docs/diagnosis.md but not in the tables:\n" << documented;
    }
  }
  if (!all_found) std::cout << "Rows as the code has them:\n" << expected_table;
}

}  // namespace
}  // namespace bts::firmware
