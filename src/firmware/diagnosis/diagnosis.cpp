// Table-driven diagnosis engine; the semantics are written out in docs/diagnosis.md.
#include "firmware/diagnosis/diagnosis.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace bts::firmware {
namespace {

TimeMs elapsed_ms(TimeMs since_ms, TimeMs now_ms) {
  return now_ms >= since_ms ? now_ms - since_ms : 0;
}

bool on_set_side(const DiagnosisRow& row, std::int32_t value) {
  return row.comparison == Comparison::Above ? value >= row.set_threshold
                                             : value <= row.set_threshold;
}

bool on_clear_side(const DiagnosisRow& row, std::int32_t value) {
  return row.comparison == Comparison::Above ? value <= row.clear_threshold
                                             : value >= row.clear_threshold;
}

}  // namespace

void add_reaction(ReactionSummary& summary, Reaction reaction) {
  summary.strongest = std::max(summary.strongest, reaction);
  summary.derating = summary.derating || reaction == Reaction::Derate;
  summary.charging_blocked = summary.charging_blocked || reaction == Reaction::StopCharging ||
                             reaction == Reaction::OpenRelays;
  summary.discharging_blocked = summary.discharging_blocked ||
                                reaction == Reaction::StopDischarging ||
                                reaction == Reaction::OpenRelays;
  summary.open_relays = summary.open_relays || reaction == Reaction::OpenRelays;
}

Diagnosis::Diagnosis(std::span<const DiagnosisRow> table)
    : rows_(table.first(std::min(table.size(), kMaxDiagnosisRows))),
      truncated_(table.size() > kMaxDiagnosisRows) {
  for (std::size_t index = 0; index < rows_.size(); ++index) {
    row_ok_[index] = row_is_consistent(rows_[index]);
    consistent_ = consistent_ && row_ok_[index];
    const auto input = static_cast<std::size_t>(rows_[index].input);
    if (input < kDiagnosisInputCount) input_rows_[input] |= std::uint64_t{1} << index;
  }
}

void Diagnosis::evaluate(TimeMs now_ms) {
  // An idle row with an unchanged input stays idle: its set condition was absent last time. Due
  // are the rows that are not idle and those whose input changed.
  const std::uint64_t all_rows =
      rows_.size() >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << rows_.size()) - 1u;
  std::uint64_t due = all_rows & ~idle_rows_;
  for (std::uint64_t changed = inputs_changed_; changed != 0; changed &= changed - 1)
    due |= input_rows_[static_cast<std::size_t>(std::countr_zero(changed))];
  // The row flags in locals while the rows run: as members, each row's update waited on the
  // previous row's store (the rows' own stores might have been to them, for all the compiler knew).
  std::uint64_t idle_rows = idle_rows_;
  bool rows_changed = rows_changed_;
  for (; due != 0; due &= due - 1)  // in row order, as a scan over the table
    evaluate_row(static_cast<std::size_t>(std::countr_zero(due)), now_ms, idle_rows, rows_changed);
  idle_rows_ = idle_rows;
  rows_changed_ = rows_changed;
  inputs_changed_ = 0;
  // No row changed its flags: the active codes and the reaction are what publish() made them.
  if (rows_changed_) publish(now_ms);
}

// Inlined into evaluate(), its only caller (several rows per evaluation, every 100 ms).
[[gnu::always_inline]] inline void Diagnosis::evaluate_row(std::size_t index, TimeMs now_ms,
                                                           std::uint64_t& idle_rows,
                                                           bool& rows_changed) {
  const DiagnosisRow& row = rows_[index];
  const auto input = static_cast<std::size_t>(row.input);
  RowState& state = states_[index];
  // Nothing to do until the input is set (which marks it changed); a broken row never runs.
  const std::uint64_t bit = std::uint64_t{1} << index;
  idle_rows |= bit;
  if (!row_ok_[index] || !input_set_[input]) return;
  const std::int32_t value = inputs_[input];
  const bool was_active = state.active;
  const bool was_escalated = state.escalated;

  if (!state.active) {
    if (!on_set_side(row, value)) {
      state.pending = false;
      return;
    }
    if (!state.pending) {
      state.pending = true;
      state.pending_since_ms = now_ms;
    }
    if (elapsed_ms(state.pending_since_ms, now_ms) >= row.set_delay_ms) {
      state.active = true;
      state.pending = false;
      state.condition_gone = false;
      state.active_since_ms = now_ms;
    }
  } else if (!on_clear_side(row, value)) {
    // Present again, or inside the hysteresis band: the clear debounce starts over.
    state.pending = false;
    state.condition_gone = false;
  } else if (!state.condition_gone) {
    if (!state.pending) {
      state.pending = true;
      state.pending_since_ms = now_ms;
    }
    if (elapsed_ms(state.pending_since_ms, now_ms) >= row.clear_delay_ms) {
      state.pending = false;
      if (row.latching) {
        state.condition_gone = true;  // held until request_reset()
      } else {
        state.active = false;
      }
    }
  }

  if (state.active && row.escalate_after_ms > 0 && !state.escalated &&
      elapsed_ms(state.active_since_ms, now_ms) >= row.escalate_after_ms) {
    state.escalated = true;  // an escalation always latches until a reset
  }
  if (state.active || state.pending) idle_rows &= ~bit;
  rows_changed = rows_changed || state.active != was_active || state.escalated != was_escalated;
}

void Diagnosis::publish(TimeMs now_ms) {
  CodeSet now_active;
  for (std::size_t index = 0; index < rows_.size(); ++index) {
    if (states_[index].active) now_active.set(rows_[index].code);
    if (states_[index].escalated) now_active.set(rows_[index].escalates_to);
  }
  // Only codes whose bit changed produce events (most evaluations change nothing).
  std::uint32_t changed = now_active.bits() ^ active_.bits();
  while (changed != 0) {
    const int code_index = __builtin_ctz(changed);
    changed &= changed - 1;
    const auto code = static_cast<Code>(code_index);
    const bool raised = now_active.has(code);
    if (raised && raise_counts_[static_cast<std::size_t>(code_index)] <
                      std::numeric_limits<std::uint32_t>::max()) {
      ++raise_counts_[static_cast<std::size_t>(code_index)];
    }
    push_event(DiagnosisEvent{now_ms, code, raised});
  }
  active_ = now_active;
  reaction_ = compute_reaction();
  rows_changed_ = false;
}

bool Diagnosis::row_active(std::size_t row) const {
  return row < rows_.size() && states_[row].active;
}

bool Diagnosis::row_escalated(std::size_t row) const {
  return row < rows_.size() && states_[row].escalated;
}

ReactionSummary Diagnosis::compute_reaction() const {
  ReactionSummary summary;
  for (std::size_t index = 0; index < rows_.size(); ++index) {
    if (states_[index].active) add_reaction(summary, rows_[index].reaction);
    if (states_[index].escalated) add_reaction(summary, rows_[index].escalation_reaction);
  }
  return summary;
}

bool Diagnosis::request_reset(TimeMs now_ms) {
  bool all_released = true;
  for (std::size_t index = 0; index < rows_.size(); ++index) {
    RowState& state = states_[index];
    if (state.active && rows_[index].latching) {
      if (state.condition_gone) {
        state = RowState{};
      } else {
        all_released = false;
      }
    }
    if (state.escalated) {
      if (state.active) {
        all_released = false;
      } else {
        state.escalated = false;
      }
    }
  }
  idle_rows_ = 0;  // states may have been released: evaluate every row again
  publish(now_ms);
  return all_released;
}

bool Diagnosis::pop_event(DiagnosisEvent& event) {
  if (event_count_ == 0) return false;
  event = events_[event_head_];
  event_head_ = (event_head_ + 1) % kDiagnosisEventCapacity;
  --event_count_;
  return true;
}

void Diagnosis::push_event(const DiagnosisEvent& event) {
  if (event_count_ == kDiagnosisEventCapacity) {
    event_head_ = (event_head_ + 1) % kDiagnosisEventCapacity;
    --event_count_;
    ++events_dropped_;
  }
  events_[(event_head_ + event_count_) % kDiagnosisEventCapacity] = event;
  ++event_count_;
}

std::uint32_t Diagnosis::raise_count(Code code) const {
  const auto index = static_cast<std::size_t>(code);
  return index < raise_counts_.size() ? raise_counts_[index] : 0;
}

void Diagnosis::restore_raise_counts(const std::array<std::uint32_t, kCodeCount>& counts) {
  raise_counts_ = counts;
}

}  // namespace bts::firmware
