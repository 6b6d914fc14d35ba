#include "app/duration.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bts::app {

std::optional<double> parse_duration_s(const std::string& text, std::string& error) {
  if (text.empty()) {
    error = "empty duration (use e.g. 90s, 15m, 24h, 7d)";
    return std::nullopt;
  }
  double unit_s = 1.0;
  std::string number = text;
  switch (text.back()) {
    case 's':
      unit_s = 1.0;
      number.pop_back();
      break;
    case 'm':
      unit_s = 60.0;
      number.pop_back();
      break;
    case 'h':
      unit_s = 3600.0;
      number.pop_back();
      break;
    case 'd':
      unit_s = 86400.0;
      number.pop_back();
      break;
    default:
      break;
  }
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value)) {
    error = "'" + text + "' is not a duration (use e.g. 90s, 15m, 24h, 7d)";
    return std::nullopt;
  }
  if (value < 0.0) {
    error = "'" + text + "' is negative; a duration is 0 or more";
    return std::nullopt;
  }
  return value * unit_s;
}

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long days = total / 86400;
  const long long hours = (total % 86400) / 3600;
  const long long minutes = (total % 3600) / 60;
  const long long secs = total % 60;
  char buffer[64];
  if (days > 0) {
    std::snprintf(buffer, sizeof buffer, "%lldd %02lld:%02lld:%02lld", days, hours, minutes, secs);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", hours, minutes, secs);
  }
  return buffer;
}

}  // namespace bts::app
