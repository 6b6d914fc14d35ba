#include "firmware/bdu/empty_battery_guard.hpp"

namespace bts::firmware {

void EmptyBatteryGuard::update(const EmptyGuardInputs& in, TimeMs now_ms) {
  if (!in.awake) {
    reset();
    return;
  }
  if (!awake_) {
    awake_ = true;
    settle_since_ms_ = now_ms;
  }
  const bool empty = in.every_module_at_empty_end;
  empty_ = empty;
  charge_possible_ = in.charge_possible;
  const bool soc_low = in.soc_known && in.soc_permille <= config_.request_below_soc_permille;
  const bool soc_back = in.soc_known && in.soc_permille >= config_.release_above_soc_permille;
  if (empty || soc_low) {
    force_charge_requested_ = true;
  } else if (soc_back) {
    force_charge_requested_ = false;
  }

  // Charge is what an empty battery waits for: it ends the parking and the count.
  if (in.charging || (!empty && soc_back)) {
    parked_ = probing_ = empty_timing_ = false;
  }
  // Right after a wake-up (the black start button), the inverter gets its chance first: 5 min
  // from the wake-up or from the end of the black start window, whichever is later.
  if (in.black_start_window) settle_since_ms_ = now_ms;
  const bool settled = now_ms - settle_since_ms_ >= config_.probe_length_ms;
  // One module's weak or shorted cell is that module's business (D-LOCAL-STOP); the deep limit
  // counts only once the whole battery is empty.
  const bool deep_cell =
      settled && empty && in.lowest_cell_mV > 0 && in.lowest_cell_mV <= config_.deep_cell_mV;

  if (in.connected && !parked_ && !in.charging) {
    if (empty) {
      if (!empty_timing_) empty_timing_ = true, empty_since_ms_ = now_ms;
      // On the clock only: the converters' own draw needs hours from the discharge end to the
      // deep limit, so a cell that gets there sooner while connected has a fault of its own
      // (an internal short: F4, F7), which must stay on show, not be parked away.
      if (now_ms - empty_since_ms_ >= config_.park_after_ms) park(now_ms);
    } else {
      empty_timing_ = false;
    }
  } else if (!in.connected) {
    empty_timing_ = false;
  }

  if (parked_) {
    if (probing_) {
      // A probe nobody answers while a cell reaches its deep limit ends at once.
      if ((deep_cell && !in.charging) || now_ms - probe_since_ms_ >= config_.probe_length_ms) {
        probing_ = false;
        parked_since_ms_ = now_ms;
      }
    } else if (now_ms - parked_since_ms_ >= config_.probe_interval_ms && in.charge_possible) {
      // A retry is for being charged: none while every module is too cold to take charge
      // (it would only spend energy, and a bus nobody may hold fails its precharge).
      start_probe(now_ms);
    }
  }
  // With the relays open only the modules' own draw is left, and nothing will charge the cells
  // before someone comes: switch everything off.
  if (in.standing_by && deep_cell) deep_shutdown_ = true;
}

void EmptyBatteryGuard::inverter_wants_to_charge(TimeMs now_ms) {
  if (parked_ && !probing_ && charge_possible_) start_probe(now_ms);
}

void EmptyBatteryGuard::park(TimeMs now_ms) {
  parked_ = true;
  probing_ = false;
  parked_since_ms_ = now_ms;
  empty_timing_ = false;
}

void EmptyBatteryGuard::start_probe(TimeMs now_ms) {
  probing_ = true;
  probe_since_ms_ = now_ms;
}

}  // namespace bts::firmware
