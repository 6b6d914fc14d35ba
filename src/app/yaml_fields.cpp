#include "app/yaml_fields.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

namespace bts::app {

namespace {

std::string format_number(double value) {
  std::ostringstream out;
  out << value;  // shortest readable form: 0.5, 2000, 1e+06
  return out.str();
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// What a node holds, for "expected X, found Y".
std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

void require_scalar(const YamlSource& source, const YAML::Node& node, const std::string& path,
                    const std::string& expected) {
  if (!node.IsScalar())
    source.fail(node, path, "expected " + expected + ", found " + describe_node(node));
}

template <class Number>
bool parse_whole(const std::string& text, Number& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  const auto result = std::from_chars(begin, end, out);
  return begin != end && result.ec == std::errc() && result.ptr == end;
}

}  // namespace

bool Range::contains(double value) const {
  const bool above_min = min_open ? value > min : value >= min;
  const bool below_max = max_open ? value < max : value <= max;
  return above_min && below_max;
}

std::string Range::describe() const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (!has_min && !has_max) return "any finite number";
  std::string text;
  if (has_min) text += format_number(min) + (min_open ? " < " : " <= ");
  text += "value";
  if (has_max) text += std::string(max_open ? " < " : " <= ") + format_number(max);
  return text;
}

void YamlSource::fail(const YAML::Mark& mark, const std::string& path,
                      const std::string& problem) const {
  std::ostringstream message;
  message << file_;
  if (mark.line >= 0) message << ", line " << mark.line + 1 << ", column " << mark.column + 1;
  message << ": ";
  if (!path.empty()) message << path << ": ";
  message << problem;
  throw SystemDescriptionError(message.str());
}

void YamlSource::record_key(const std::string& path) const {
  if (recorder_ == nullptr) return;
  // "bdus[1].modules[3].x" -> "bdus[].modules[].x": the schema, not this document.
  std::string generic;
  bool in_index = false;
  for (const char c : path) {
    if (c == '[') in_index = true;
    if (c == ']') in_index = false;
    if (!in_index || c == '[') generic += c;
  }
  if (std::find(recorder_->begin(), recorder_->end(), generic) == recorder_->end()) {
    recorder_->push_back(generic);
  }
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

double read_number(const YamlSource& source, const YAML::Node& node, const std::string& path,
                   const Range& range) {
  require_scalar(source, node, path, "a number");
  double value = 0.0;
  if (!parse_whole(node.Scalar(), value) || !std::isfinite(value)) {
    source.fail(node, path, "expected a number, found '" + node.Scalar() + "'");
  }
  if (!range.contains(value)) {
    source.fail(node, path,
                format_number(value) + " is outside the allowed range " + range.describe());
  }
  return value;
}

int read_integer(const YamlSource& source, const YAML::Node& node, const std::string& path, int min,
                 int max) {
  require_scalar(source, node, path, "a whole number");
  int value = 0;
  if (!parse_whole(node.Scalar(), value)) {
    source.fail(node, path, "expected a whole number, found '" + node.Scalar() + "'");
  }
  if (value < min || value > max) {
    source.fail(node, path,
                std::to_string(value) + " is outside the allowed range " + std::to_string(min) +
                    " <= value <= " + std::to_string(max));
  }
  return value;
}

std::uint64_t read_unsigned64(const YamlSource& source, const YAML::Node& node,
                              const std::string& path) {
  require_scalar(source, node, path, "a whole number");
  std::uint64_t value = 0;
  if (!parse_whole(node.Scalar(), value)) {
    source.fail(node, path,
                "expected a whole number 0 <= value <= 18446744073709551615, found '" +
                    node.Scalar() + "'");
  }
  return value;
}

bool read_boolean(const YamlSource& source, const YAML::Node& node, const std::string& path) {
  require_scalar(source, node, path, "true or false");
  const std::string text = lower_case(node.Scalar());
  if (text == "true") return true;
  if (text == "false") return false;
  source.fail(node, path, "expected true or false, found '" + node.Scalar() + "'");
}

std::string read_text(const YamlSource& source, const YAML::Node& node, const std::string& path) {
  require_scalar(source, node, path, "a text");
  return node.Scalar();
}

void require_list(const YamlSource& source, const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) {
    source.fail(node, path, "expected a list, found " + describe_node(node));
  }
}

std::vector<std::pair<double, double>> read_pairs(const YamlSource& source, const YAML::Node& node,
                                                  const std::string& path, const PairColumn& first,
                                                  const PairColumn& second, std::size_t min_rows) {
  require_list(source, node, path);
  std::vector<std::pair<double, double>> rows;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node row = node[i];
    const std::string row_path = index_path(path, i);
    std::pair<double, double> values;
    if (row.IsSequence()) {
      if (row.size() != 2) {
        source.fail(row, row_path,
                    "expected a pair [" + std::string(first.name) + ", " + second.name +
                        "], found " + std::to_string(row.size()) + " values");
      }
      values.first = read_number(source, row[0], index_path(row_path, 0), first.range);
      values.second = read_number(source, row[1], index_path(row_path, 1), second.range);
    } else {
      MapReader fields(source, row, row_path);
      if (!fields.has(first.name) || !fields.has(second.name)) {
        fields.fail("", "expected both " + std::string(first.name) + " and " + second.name);
      }
      fields.number(first.name, values.first, first.range);
      fields.number(second.name, values.second, second.range);
      fields.finish();
    }
    if (!rows.empty() && values.first <= rows.back().first) {
      source.fail(row, row_path,
                  std::string(first.name) + " must increase from row to row (previous " +
                      format_number(rows.back().first) + ")");
    }
    rows.push_back(values);
  }
  if (rows.size() < min_rows) {
    source.fail(node, path,
                "needs at least " + std::to_string(min_rows) + " rows, found " +
                    std::to_string(rows.size()));
  }
  return rows;
}

std::string normalise_choice(const std::string& text) {
  std::string out;
  for (const char c : lower_case(text)) {
    if (c != '_' && c != '-' && c != ' ') out += c;
  }
  return out;
}

std::string closest_name(const std::string& wanted, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& name : known) {
    const std::size_t distance = edit_distance(lower_case(wanted), lower_case(name));
    if (distance < best_distance) {
      best_distance = distance;
      best = name;
    }
  }
  // A far-off "suggestion" only confuses: keep it to small slips.
  return best_distance <= std::max<std::size_t>(2, wanted.size() / 3) ? best : std::string();
}

MapReader::MapReader(const YamlSource& source, const YAML::Node& node, std::string path)
    : source_(source), mark_(node.Mark()), path_(std::move(path)) {
  if (node.IsNull()) return;  // a section left empty keeps its defaults
  if (!node.IsMap()) {
    source_.fail(node, path_, "expected a map of keys (key: value), found " + describe_node(node));
  }
  for (const auto& item : node) {
    if (!item.first.IsScalar()) source_.fail(item.first, path_, "a key must be a plain name");
    const std::string key = item.first.Scalar();
    if (const Entry* earlier = lookup(key)) {
      source_.fail(item.first, key_path(key),
                   "duplicate key (first given on line " +
                       std::to_string(earlier->key_node.Mark().line + 1) + ")");
    }
    entries_.push_back({key, item.first, item.second});
  }
}

const MapReader::Entry* MapReader::lookup(const std::string& key) const {
  for (const auto& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

YAML::Mark MapReader::mark_of(const std::string& key) const {
  const Entry* entry = lookup(key);
  return entry != nullptr ? entry->value.Mark() : mark_;
}

const YAML::Node* MapReader::find(const std::string& key) {
  declared_.push_back(key);
  source_.record_key(key_path(key));
  const Entry* entry = lookup(key);
  return entry != nullptr ? &entry->value : nullptr;
}

MapReader MapReader::section(const std::string& key) {
  const YAML::Node* node = find(key);
  return MapReader(source_, node != nullptr ? *node : YAML::Node(), key_path(key));
}

void MapReader::number(const std::string& key, double& field, const Range& range) {
  if (const YAML::Node* node = find(key)) field = read_number(source_, *node, key_path(key), range);
}

void MapReader::integer(const std::string& key, int& field, int min, int max) {
  if (const YAML::Node* node = find(key)) {
    field = read_integer(source_, *node, key_path(key), min, max);
  }
}

void MapReader::boolean(const std::string& key, bool& field) {
  if (const YAML::Node* node = find(key)) field = read_boolean(source_, *node, key_path(key));
}

void MapReader::text(const std::string& key, std::string& field) {
  if (const YAML::Node* node = find(key)) field = read_text(source_, *node, key_path(key));
}

void MapReader::pairs(const std::string& key, std::vector<std::pair<double, double>>& field,
                      const PairColumn& first, const PairColumn& second, std::size_t min_rows) {
  if (const YAML::Node* node = find(key)) {
    field = read_pairs(source_, *node, key_path(key), first, second, min_rows);
  }
}

void MapReader::fail(const std::string& key, const std::string& problem) const {
  source_.fail(key.empty() ? mark_ : mark_of(key), key.empty() ? path_ : key_path(key), problem);
}

void MapReader::finish() const {
  for (const auto& entry : entries_) {
    if (std::find(declared_.begin(), declared_.end(), entry.key) != declared_.end()) continue;
    const std::string suggestion = closest_name(entry.key, declared_);
    std::string problem = "unknown key '" + entry.key + "'";
    if (!suggestion.empty()) {
      problem += "; did you mean '" + suggestion + "'?";
    } else {
      std::string known;
      for (const auto& name : declared_) known += (known.empty() ? "" : ", ") + name;
      problem += "; known keys here: " + known;
    }
    source_.fail(entry.key_node, key_path(entry.key), problem);
  }
}

}  // namespace bts::app
