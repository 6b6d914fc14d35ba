#pragma once
// Strict reading of YAML maps into parameter structs: every key checked for type and range,
// unknown and duplicate keys refused with the closest known key suggested. Every refusal is a
// SystemDescriptionError naming the file, line, column and key path.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "app/system_loader.hpp"

namespace bts::app {

/// Allowed values of a number, e.g. 0 < value <= 2000.
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  // value must be strictly above min
  bool max_open = false;

  static Range any() { return {}; }
  static Range closed(double lo, double hi) { return {lo, hi, false, false}; }
  /// lo < value <= hi: for quantities that must be positive.
  static Range above(double lo, double hi) { return {lo, hi, true, false}; }
  /// lo <= value < hi
  static Range below(double lo, double hi) { return {lo, hi, false, true}; }
  bool contains(double value) const;
  std::string describe() const;
};

/// The document being read, for messages. With a key recorder set, every key the schema asks
/// for is appended to it (list indices emptied), whether the document has it or not.
class YamlSource {
 public:
  explicit YamlSource(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path,
                         const std::string& problem) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& problem) const {
    fail(node.Mark(), path, problem);
  }
  const std::string& file() const { return file_; }

  void set_key_recorder(std::vector<std::string>* recorder) { recorder_ = recorder; }
  void record_key(const std::string& path) const;

 private:
  std::string file_;
  std::vector<std::string>* recorder_ = nullptr;
};

std::string child_path(const std::string& parent, const std::string& key);
std::string index_path(const std::string& parent, std::size_t index);

// Typed reading of one value; path names it in messages.
double read_number(const YamlSource& source, const YAML::Node& node, const std::string& path,
                   const Range& range);
int read_integer(const YamlSource& source, const YAML::Node& node, const std::string& path, int min,
                 int max);
std::uint64_t read_unsigned64(const YamlSource& source, const YAML::Node& node,
                              const std::string& path);
bool read_boolean(const YamlSource& source, const YAML::Node& node, const std::string& path);
std::string read_text(const YamlSource& source, const YAML::Node& node, const std::string& path);
/// A list; refuses anything else.
void require_list(const YamlSource& source, const YAML::Node& node, const std::string& path);

/// One column of a table of pairs: its name (used as key in the map form) and allowed range.
struct PairColumn {
  const char* name;
  Range range;
};
/// A table written as [[a, b], ...] or [{first: a, second: b}, ...], first column strictly
/// increasing, at least min_rows rows.
std::vector<std::pair<double, double>> read_pairs(const YamlSource& source, const YAML::Node& node,
                                                  const std::string& path, const PairColumn& first,
                                                  const PairColumn& second, std::size_t min_rows);

/// One of a set of names, compared ignoring case, '_' and '-' ("pv_home_day" = "PvHomeDay").
template <class Enum>
Enum read_choice(const YamlSource& source, const YAML::Node& node, const std::string& path,
                 const std::vector<std::pair<std::string, Enum>>& choices);
std::string normalise_choice(const std::string& text);
std::string closest_name(const std::string& wanted, const std::vector<std::string>& known);

/// The keys of one map. Each accessor declares a key as known; finish() refuses the others.
/// A null or absent node reads as an empty map (a section left out keeps its defaults).
class MapReader {
 public:
  MapReader(const YamlSource& source, const YAML::Node& node, std::string path);

  const YamlSource& source() const { return source_; }
  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const { return child_path(path_, key); }
  /// Where the key is written (its value), else where the map is.
  YAML::Mark mark_of(const std::string& key) const;
  bool has(const std::string& key) const { return lookup(key) != nullptr; }

  /// The value under key (declaring it), or nullptr when the document leaves it out.
  const YAML::Node* find(const std::string& key);
  /// The sub-map under key as a reader (empty when absent).
  MapReader section(const std::string& key);

  void number(const std::string& key, double& field, const Range& range);
  void integer(const std::string& key, int& field, int min, int max);
  void boolean(const std::string& key, bool& field);
  void text(const std::string& key, std::string& field);
  void pairs(const std::string& key, std::vector<std::pair<double, double>>& field,
             const PairColumn& first, const PairColumn& second, std::size_t min_rows);

  /// Refuse with a message about key (at its place, else the map's).
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  /// Refuse keys that no accessor declared, suggesting the closest declared one.
  void finish() const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const Entry* lookup(const std::string& key) const;

  const YamlSource& source_;
  YAML::Mark mark_;
  std::string path_;
  std::vector<Entry> entries_;
  std::vector<std::string> declared_;
};

/// The household and ambient sections of a system description, shared with scenario files
/// (defined in system_loader.cpp). Relative CSV paths are taken from csv_directory.
void read_household(MapReader r, plant::HouseholdProfileParameters& p,
                    const std::string& csv_directory, std::uint64_t seed);
void read_ambient(MapReader r, plant::AmbientProfileParameters& p,
                  const std::string& csv_directory);

template <class Enum>
Enum read_choice(const YamlSource& source, const YAML::Node& node, const std::string& path,
                 const std::vector<std::pair<std::string, Enum>>& choices) {
  const std::string text = read_text(source, node, path);
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) {
    if (normalise_choice(name) == normalise_choice(text)) return value;
    names.push_back(name);
  }
  std::string allowed;
  for (const auto& name : names) allowed += (allowed.empty() ? "" : ", ") + name;
  source.fail(node, path, "'" + text + "' is not one of: " + allowed);
}

}  // namespace bts::app
