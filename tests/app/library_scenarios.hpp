#pragma once
// The scenario library (scenarios/*.yaml) as the app tests walk it: every file by name, or under
// BTS_FAULT_MATRIX=quick (the sanitizer preset, about 20x slower) a few that stand for it.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace bts::testing_support {

inline const std::filesystem::path kScenarioDir =
    std::filesystem::path(BTS_SOURCE_DIR) / "scenarios";

inline bool quick_library() {
  const char* value = std::getenv("BTS_FAULT_MATRIX");
  return value != nullptr && std::string(value) == "quick";
}

/// Every scenario of the library by name (without .yaml), sorted.
inline std::vector<std::string> library_files() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kScenarioDir)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The library, or only quick_subset's files under BTS_FAULT_MATRIX=quick.
inline std::vector<std::string> library_files_to_run(const std::vector<std::string>& quick_subset) {
  if (!quick_library()) return library_files();
  std::vector<std::string> subset;
  for (const std::string& name : library_files()) {
    if (std::find(quick_subset.begin(), quick_subset.end(), name) != quick_subset.end())
      subset.push_back(name);
  }
  return subset;
}

}  // namespace bts::testing_support
