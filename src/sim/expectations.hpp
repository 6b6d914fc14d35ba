#pragma once
// Checking a scenario's expectations against what the system shows at one instant. Messages name
// the time, the scenario line, the node and what was expected and found, e.g.
// "at 00:15:00 (line 23): BDU1.M3 expected state Fault, was Standby".
#include <string>

#include "firmware/lights/indicator_lights.hpp"
#include "sim/scenario.hpp"
#include "sim/snapshot.hpp"

namespace bts::sim {

struct ExpectationResult {
  bool passed = false;
  std::string message;
  // Copied from the expectation, for tables and summary.json.
  double time_s = 0.0;
  int line = 0;
  std::string node;      // "BDU1" or "BDU1.M3"
  std::string expected;  // "state Fault"
};

/// Checks one expectation on a snapshot taken at (or just after) its time. State names compare
/// ignoring case. Charge and discharge limits a BDU does not report (limits_valid false) count as
/// 0 A: nothing may flow without limits. Inverter current compares its magnitude.
ExpectationResult check_expectation(const Expectation& expectation, const SystemSnapshot& snapshot);

/// "BDU1" for module -1, else "BDU1.M3" (0-based arguments, names count from 1).
std::string node_name(int bdu, int module);

/// Time of day since the start of the run: "00:15:00", "1d 02:00:00", "00:00:02.5".
std::string format_clock(double time_s);

/// The seven lights in the manual's words: "status green flashing, alarm off, L1 on, L2 off, L3
/// off, L4 off, L5 off". A lit status light without colour reads "status flashing (any colour)".
std::string describe_lights(const firmware::LightPattern& lights);

/// What an expectation asks, without time or node: "state Fault", "F10 active",
/// "charge current limit at most 0 A", "SOC 40..60 %".
std::string describe_expectation(const Expectation& expectation);

/// Active codes as labels in the manual's order, space-separated ("A1 F10"); "" when none.
std::string code_labels(const firmware::CodeSet& codes);

}  // namespace bts::sim
