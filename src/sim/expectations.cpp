#include "sim/expectations.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace bts::sim {

namespace {

std::string lower(const std::string& text) {
  std::string out = text;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// Compact number for messages: 0.5, 12.25, 3 (at most 3 decimals, no trailing zeros).
std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  std::string text = buffer;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

/// The manual's word for a light: "on", "off", "flashing".
const char* manual_word(firmware::LightMode mode) {
  switch (mode) {
    case firmware::LightMode::On:
      return "on";
    case firmware::LightMode::Flash:
      return "flashing";
    case firmware::LightMode::Off:
      break;
  }
  return "off";
}

const char* colour_word(firmware::StatusColour colour) {
  switch (colour) {
    case firmware::StatusColour::Green:
      return "green";
    case firmware::StatusColour::Blue:
      return "blue";
    case firmware::StatusColour::None:
      break;
  }
  return "";
}

std::string code_with_name(firmware::Code code) {
  const auto& info = firmware::code_info(code);
  return std::string(info.label) + " (" + std::string(info.name) + ")";
}

/// Lights match when every light matches; a lit status light is compared by colour only when the
/// expectation names one.
bool lights_match(const firmware::LightPattern& expected, const firmware::LightPattern& actual) {
  if (expected.status != actual.status || expected.alarm != actual.alarm ||
      expected.soc != actual.soc) {
    return false;
  }
  const bool lit = expected.status != firmware::LightMode::Off;
  return !lit || expected.status_colour == firmware::StatusColour::None ||
         expected.status_colour == actual.status_colour;
}

struct NodeView {
  bool exists = false;
  std::string state;
  firmware::CodeSet codes;
  firmware::LightPattern lights{};
  double soc_percent = 0.0;
  const BduSnapshot* bdu = nullptr;
  const ModuleSnapshot* module = nullptr;
};

NodeView view_of(const SystemSnapshot& snapshot, int bdu, int module) {
  NodeView view;
  if (bdu < 0 || bdu >= static_cast<int>(snapshot.bdus.size())) return view;
  const auto b = static_cast<std::size_t>(bdu);
  if (module < 0) {
    const BduSnapshot& s = snapshot.bdus[b];
    view = {true, s.state, s.codes, s.lights, s.soc_percent, &s};
    return view;
  }
  if (b >= snapshot.modules.size() || module >= static_cast<int>(snapshot.modules[b].size())) {
    return view;
  }
  const ModuleSnapshot& m = snapshot.modules[b][static_cast<std::size_t>(module)];
  view = {true, m.state, m.codes, m.lights, m.soc_percent, nullptr, &m};
  return view;
}

}  // namespace

std::string node_name(int bdu, int module) {
  std::string text = "BDU" + std::to_string(bdu + 1);
  if (module >= 0) text += ".M" + std::to_string(module + 1);
  return text;
}

std::string format_clock(double time_s) {
  const double rounded_ms = std::round(time_s * 1000.0);
  const auto total_ms = static_cast<long long>(rounded_ms);
  const long long total_s = total_ms / 1000;
  const long long ms = total_ms % 1000;
  const long long days = total_s / 86400;
  char buffer[64];
  int length = 0;
  if (days > 0) {
    length = std::snprintf(buffer, sizeof buffer, "%lldd %02lld:%02lld:%02lld", days,
                           (total_s % 86400) / 3600, (total_s % 3600) / 60, total_s % 60);
  } else {
    length = std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", total_s / 3600,
                           (total_s % 3600) / 60, total_s % 60);
  }
  std::string text(buffer, static_cast<std::size_t>(length));
  if (ms != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03lld", ms);
    std::string digits = fraction;
    while (digits.back() == '0') digits.pop_back();
    text += digits;
  }
  return text;
}

std::string describe_lights(const firmware::LightPattern& lights) {
  std::string text = "status ";
  if (lights.status == firmware::LightMode::Off) {
    text += "off";
  } else if (lights.status_colour == firmware::StatusColour::None) {
    text += std::string(manual_word(lights.status)) + " (any colour)";
  } else {
    text += std::string(colour_word(lights.status_colour)) + " " + manual_word(lights.status);
  }
  text += std::string(", alarm ") + manual_word(lights.alarm);
  for (std::size_t i = 0; i < lights.soc.size(); ++i) {
    text += ", L" + std::to_string(i + 1) + " " + manual_word(lights.soc[i]);
  }
  return text;
}

std::string code_labels(const firmware::CodeSet& codes) {
  std::string text;
  for (const auto& info : firmware::kCodeTable) {
    if (!codes.has(info.code)) continue;
    if (!text.empty()) text += ' ';
    text += info.label;
  }
  return text;
}

std::string describe_expectation(const Expectation& e) {
  switch (e.kind) {
    case ExpectationKind::State:
      return "state " + e.state;
    case ExpectationKind::Lights:
      return "lights " + describe_lights(e.lights);
    case ExpectationKind::CodeActive:
      return code_with_name(e.code) + " active";
    case ExpectationKind::CodeInactive:
      return code_with_name(e.code) + " inactive";
    case ExpectationKind::NoCodes:
      return "no codes";
    case ExpectationKind::RelaysClosed:
      return std::string("main relays ") + (e.flag ? "closed" : "open");
    case ExpectationKind::ChargeLimitAtMost:
      return "charge current limit at most " + number(e.value) + " A";
    case ExpectationKind::DischargeLimitAtMost:
      return "discharge current limit at most " + number(e.value) + " A";
    case ExpectationKind::ChargeLimitAtLeast:
      return "charge current limit at least " + number(e.value) + " A";
    case ExpectationKind::DischargeLimitAtLeast:
      return "discharge current limit at least " + number(e.value) + " A";
    case ExpectationKind::InverterCurrentAtMost:
      return "inverter current at most " + number(e.value) + " A";
    case ExpectationKind::SocBetween:
      return "SOC " + number(e.value) + ".." + number(e.value_high) + " %";
    case ExpectationKind::ModuleCurrentAtMost:
      return "module current at most " + number(e.value) + " A (> 0 discharging)";
    case ExpectationKind::ModuleCurrentAtLeast:
      return "module current at least " + number(e.value) + " A (> 0 discharging)";
  }
  return "?";
}

ExpectationResult check_expectation(const Expectation& e, const SystemSnapshot& snapshot) {
  ExpectationResult result;
  result.time_s = e.time_s;
  result.line = e.line;
  result.node = node_name(e.bdu, e.module);
  result.expected = describe_expectation(e);
  const std::string where = "at " + format_clock(e.time_s) + " (line " + std::to_string(e.line) +
                            "): " + result.node + " ";

  const NodeView node = view_of(snapshot, e.bdu, e.module);
  if (!node.exists) {
    result.passed = false;
    result.message = where + "expected " + result.expected + ", but the run has no such node";
    return result;
  }
  const auto verdict = [&](bool passed, const std::string& found) {
    result.passed = passed;
    result.message = where + (passed ? "" : "expected ") + result.expected +
                     (passed ? ", as expected" : ", " + found);
  };
  const bool bdu_check = node.bdu != nullptr;
  const auto need_bdu = [&]() {
    if (bdu_check) return true;
    result.passed = false;
    result.message = where + "expected " + result.expected + ", but that is checked on a BDU only";
    return false;
  };
  const auto limit = [&](double reported) { return node.bdu->limits_valid ? reported : 0.0; };
  const auto limit_text = [&](double reported) {
    return node.bdu->limits_valid ? "was " + number(reported) + " A"
                                  : std::string("no limits were reported (counts as 0 A)");
  };

  switch (e.kind) {
    case ExpectationKind::State:
      verdict(lower(node.state) == lower(e.state), "was " + node.state);
      break;
    case ExpectationKind::Lights:
      verdict(lights_match(e.lights, node.lights), "were " + describe_lights(node.lights));
      break;
    case ExpectationKind::CodeActive: {
      const std::string active = code_labels(node.codes);
      verdict(node.codes.has(e.code), "active were: " + (active.empty() ? "none" : active));
      break;
    }
    case ExpectationKind::CodeInactive:
      verdict(!node.codes.has(e.code), "but it is active");
      break;
    case ExpectationKind::NoCodes:
      verdict(node.codes.empty(), "active were: " + code_labels(node.codes));
      break;
    case ExpectationKind::RelaysClosed:
      if (!need_bdu()) break;
      verdict(node.bdu->relays_closed == e.flag,
              std::string("were ") + (node.bdu->relays_closed ? "closed" : "open"));
      break;
    case ExpectationKind::ChargeLimitAtMost:
      if (!need_bdu()) break;
      verdict(limit(node.bdu->charge_current_limit_A) <= e.value,
              limit_text(node.bdu->charge_current_limit_A));
      break;
    case ExpectationKind::DischargeLimitAtMost:
      if (!need_bdu()) break;
      verdict(limit(node.bdu->discharge_current_limit_A) <= e.value,
              limit_text(node.bdu->discharge_current_limit_A));
      break;
    case ExpectationKind::ChargeLimitAtLeast:
      if (!need_bdu()) break;
      verdict(limit(node.bdu->charge_current_limit_A) >= e.value,
              limit_text(node.bdu->charge_current_limit_A));
      break;
    case ExpectationKind::DischargeLimitAtLeast:
      if (!need_bdu()) break;
      verdict(limit(node.bdu->discharge_current_limit_A) >= e.value,
              limit_text(node.bdu->discharge_current_limit_A));
      break;
    case ExpectationKind::InverterCurrentAtMost:
      if (!need_bdu()) break;
      verdict(std::fabs(node.bdu->inverter_current_A) <= e.value,
              "was " + number(node.bdu->inverter_current_A) + " A");
      break;
    case ExpectationKind::SocBetween:
      verdict(node.soc_percent >= e.value && node.soc_percent <= e.value_high,
              "was " + number(node.soc_percent) + " %");
      break;
    case ExpectationKind::ModuleCurrentAtMost:
    case ExpectationKind::ModuleCurrentAtLeast: {
      if (node.module == nullptr) {
        result.passed = false;
        result.message =
            where + "expected " + result.expected + ", but that is checked on a module";
        break;
      }
      const double current_A = node.module->current_A;
      verdict(e.kind == ExpectationKind::ModuleCurrentAtMost ? current_A <= e.value
                                                             : current_A >= e.value,
              "was " + number(current_A) + " A");
      break;
    }
  }
  return result;
}

}  // namespace bts::sim
