#pragma once
// Durations on the command line and in scenario files: "90s", "15m", "24h", "7d", or plain
// seconds ("3600"). Fractions are allowed ("1.5h").
#include <optional>
#include <string>

namespace bts::app {

/// Parses a duration; returns nothing and sets error when the text is not one.
std::optional<double> parse_duration_s(const std::string& text, std::string& error);

/// "1d 02:03:04" style for reports.
std::string format_duration(double seconds);

}  // namespace bts::app
