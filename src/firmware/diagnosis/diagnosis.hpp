#pragma once
// Table-driven diagnosis engine of one node (module BMS or BDU): each row debounces its condition
// both ways, with hysteresis, optional latching and escalation; a code is active while any of its
// rows is. Fixed capacities, no heap, time only as the tick passed to evaluate().
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "firmware/common/codes.hpp"
#include "firmware/common/types.hpp"
#include "firmware/diagnosis/diagnosis_row.hpp"

namespace bts::firmware {

inline constexpr std::size_t kMaxDiagnosisRows = 64;
inline constexpr std::size_t kDiagnosisEventCapacity = 64;

/// A code became active (raised) or inactive (cleared).
struct DiagnosisEvent {
  TimeMs time_ms = 0;
  Code code = Code::A1;
  bool raised = false;
  constexpr bool operator==(const DiagnosisEvent&) const = default;
};

/// What the active rows ask of the node, taken together.
struct ReactionSummary {
  Reaction strongest = Reaction::None;  // by the enum's order
  bool derating = false;                // some active row asks for Derate
  bool charging_blocked = false;        // StopCharging or OpenRelays active
  bool discharging_blocked = false;     // StopDischarging or OpenRelays active
  bool open_relays = false;
};

/// Adds one row's reaction to a summary: the one rule for what a reaction blocks, used by the
/// engine for its own rows and by the BDU for the codes its modules report.
void add_reaction(ReactionSummary& summary, Reaction reaction);

class Diagnosis {
 public:
  /// The table must outlive the engine (the default tables are constexpr). Rows beyond
  /// kMaxDiagnosisRows are ignored and table_truncated() says so.
  explicit Diagnosis(std::span<const DiagnosisRow> table);

  bool table_truncated() const { return truncated_; }
  /// False when a row fails row_is_consistent(); such a row is never evaluated.
  bool table_consistent() const { return consistent_; }
  std::size_t row_count() const { return rows_.size(); }

  /// Latest value of an input. A row is evaluated only once its input has been set.
  void set_input(DiagnosisInput input, std::int32_t value) {
    const auto index = static_cast<std::size_t>(input);
    if (index >= kDiagnosisInputCount) return;
    // Or-ed in rather than branched on: whether a measured input changed is noise, sample to
    // sample, and a mispredicted branch per input cost more than the comparison.
    const bool changed = !input_set_[index] || inputs_[index] != value;
    inputs_changed_ |= std::uint64_t{changed} << index;
    inputs_[index] = value;
    input_set_[index] = true;
  }

  /// Advances every row's debounce to now_ms and queues an event for each code that changed.
  void evaluate(TimeMs now_ms);

  CodeSet active() const { return active_; }
  bool row_active(std::size_t row) const;
  bool row_escalated(std::size_t row) const;

  /// What the active rows ask, as of the last evaluate() or reset (cached there).
  ReactionSummary reaction() const { return reaction_; }
  Reaction strongest_reaction() const { return reaction().strongest; }
  bool charging_blocked() const { return reaction().charging_blocked; }
  bool discharging_blocked() const { return reaction().discharging_blocked; }

  /// Reset (operator or interface command, or the node's restart): releases every latched row
  /// whose condition has been gone for its clear delay, and every escalation whose alarm row is no
  /// longer active. Returns false when something stays latched because its condition persists.
  bool request_reset(TimeMs now_ms);

  /// Oldest queued event first. When the queue is full the oldest event is dropped.
  bool pop_event(DiagnosisEvent& event);
  std::size_t queued_events() const { return event_count_; }
  std::uint32_t events_dropped() const { return events_dropped_; }

  /// How often each code was raised; the node's non-volatile record stores and restores these.
  std::uint32_t raise_count(Code code) const;
  const std::array<std::uint32_t, kCodeCount>& raise_counts() const { return raise_counts_; }
  void restore_raise_counts(const std::array<std::uint32_t, kCodeCount>& counts);

 private:
  struct RowState {
    bool active = false;
    bool pending = false;         // set or clear condition held since pending_since_ms
    bool condition_gone = false;  // latched row whose clear condition held for the clear delay
    bool escalated = false;
    TimeMs pending_since_ms = 0;
    TimeMs active_since_ms = 0;
  };

  /// One row's debounce; clears its bit in idle_rows while it is active or pending, and sets
  /// rows_changed when its active or escalated flag changed (evaluate()'s copies of the members).
  void evaluate_row(std::size_t index, TimeMs now_ms, std::uint64_t& idle_rows, bool& rows_changed);
  void publish(TimeMs now_ms);
  ReactionSummary compute_reaction() const;
  void push_event(const DiagnosisEvent& event);

  std::span<const DiagnosisRow> rows_;
  std::array<bool, kMaxDiagnosisRows> row_ok_{};
  std::array<RowState, kMaxDiagnosisRows> states_{};
  std::array<std::int32_t, kDiagnosisInputCount> inputs_{};
  std::array<bool, kDiagnosisInputCount> input_set_{};
  // Most rows sit idle (neither active nor pending) with an input that did not change: evaluating
  // them again would change nothing, so evaluate() skips them. A bit per input set since then.
  static_assert(kDiagnosisInputCount <= 64, "one bit per input in inputs_changed_");
  std::uint64_t inputs_changed_ = 0;
  static_assert(kMaxDiagnosisRows <= 64, "one bit per row in the row masks");
  std::uint64_t idle_rows_ = 0;  // bit per row: neither active nor pending at its last evaluation
  std::array<std::uint64_t, kDiagnosisInputCount> input_rows_{};  // rows reading each input
  bool rows_changed_ = false;  // a row's active or escalated flag changed since publish()
  bool truncated_ = false;
  bool consistent_ = true;
  CodeSet active_;
  ReactionSummary reaction_{};
  std::array<DiagnosisEvent, kDiagnosisEventCapacity> events_{};
  std::size_t event_head_ = 0;  // index of the oldest event
  std::size_t event_count_ = 0;
  std::uint32_t events_dropped_ = 0;
  std::array<std::uint32_t, kCodeCount> raise_counts_{};
};

}  // namespace bts::firmware
