#include "plant/system_description.hpp"

#include <algorithm>
#include <cctype>

namespace bts::plant {

namespace {

struct BuiltinLayout {
  const char* name;
  int bdus;
  int modules_per_bdu;
};

// REQ-TOP-3: E5..E20 are one BDU of 1-4 modules; two BDUs of four is the largest system.
constexpr BuiltinLayout kBuiltins[] = {
    {"e5", 1, 1}, {"e10", 1, 2}, {"e15", 1, 3}, {"e20", 1, 4}, {"e40", 2, 4}};

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

bool builtin_system(const std::string& name, SystemDescription& out) {
  const std::string wanted = lower_case(name);
  const auto* layout = std::find_if(std::begin(kBuiltins), std::end(kBuiltins),
                                    [&](const BuiltinLayout& b) { return wanted == b.name; });
  if (layout == std::end(kBuiltins)) return false;

  // Everything else keeps the struct defaults: PvHomeDay household, constant 25 degC ambient.
  SystemDescription description;
  description.name = layout->name;
  description.inverter.battery_inputs = layout->bdus;
  for (int b = 1; b <= layout->bdus; ++b) {
    BduDescription bdu;
    bdu.serial_number = "BDU-" + std::to_string(b);
    for (int m = 1; m <= layout->modules_per_bdu; ++m) {
      ModuleDescription module;
      module.serial_number = "BTS5K-" + std::to_string(b) + "-" + std::to_string(m);
      bdu.modules.push_back(module);
    }
    description.bdus.push_back(bdu);
  }
  out = std::move(description);
  return true;
}

std::vector<std::string> builtin_system_names() {
  std::vector<std::string> names;
  for (const auto& layout : kBuiltins) names.emplace_back(layout.name);
  return names;
}

}  // namespace bts::plant
