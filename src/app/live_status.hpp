#pragma once
// What a live run (`bts run`) shows of itself: a JSON status file rewritten every second (for
// scripts and tests: the firmware's view beside the plant's truth) and a one-line summary.
#include <string>

#include "sim/snapshot.hpp"

namespace bts::app {

/// The snapshot as JSON: time, per BDU state, relays, voltages, current, SOC, limits, codes,
/// lights; per module SOC, current, cell extremes; ground truth beside them.
std::string live_status_json(const sim::SystemSnapshot& snapshot, double wall_s);
/// Writes it atomically (temporary file, then rename); false with error set on failure.
bool write_live_status(const std::string& path, const sim::SystemSnapshot& snapshot, double wall_s,
                       std::string& error);
/// "00:01:00  BDU1 Idle 412.3 V 0.0 A SOC 50 % limits 28.0/28.0 A"
std::string status_line(const sim::SystemSnapshot& snapshot);

}  // namespace bts::app
