#include "plant/csv_series.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace bts::plant {

namespace {

std::string describe_location(const std::string& path, int line, int column,
                              const std::string& column_name) {
  std::ostringstream out;
  out << "profile file '" << path << "'";
  if (line > 0) out << ", line " << line;
  if (column > 0) {
    out << ", column " << column;
    if (!column_name.empty()) out << " (" << column_name << ")";
  }
  return out.str();
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return fields;
}

bool parse_finite(const std::string& text, double& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars refuses a leading '+'
  const auto result = std::from_chars(begin, end, out);
  return result.ec == std::errc() && result.ptr == end && begin != end && std::isfinite(out);
}

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  return joined;
}

}  // namespace

ProfileFileError::ProfileFileError(const std::string& path, int line, int column,
                                   const std::string& column_name, const std::string& problem)
    : std::runtime_error(describe_location(path, line, column, column_name) + ": " + problem),
      path_(path),
      line_(line),
      column_(column) {}

CsvSeries CsvSeries::load(const std::string& path,
                          const std::vector<std::vector<std::string>>& accepted_headers) {
  std::ifstream file(path);
  if (!file) throw ProfileFileError(path, 0, 0, "", "cannot open it for reading");

  CsvSeries series;
  std::string raw;
  int line_number = 0;
  bool header_seen = false;
  while (std::getline(file, raw)) {
    ++line_number;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();  // files written on Windows
    const std::string line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split_fields(line);

    if (!header_seen) {
      const auto match = std::find(accepted_headers.begin(), accepted_headers.end(), fields);
      if (match == accepted_headers.end()) {
        std::string expected;
        for (const auto& header : accepted_headers) {
          expected += (expected.empty() ? "'" : " or '") + join(header) + "'";
        }
        throw ProfileFileError(path, line_number, 1, "",
                               "header '" + join(fields) + "' is not " + expected);
      }
      series.column_names_ = fields;
      series.values_.resize(fields.size() - 1);
      header_seen = true;
      continue;
    }

    const auto& names = series.column_names_;
    if (fields.size() != names.size()) {
      const int column = static_cast<int>(std::min(fields.size(), names.size())) + 1;
      throw ProfileFileError(path, line_number, column, "",
                             "expected " + std::to_string(names.size()) + " fields, found " +
                                 std::to_string(fields.size()));
    }
    std::vector<double> row(fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!parse_finite(fields[i], row[i])) {
        throw ProfileFileError(path, line_number, static_cast<int>(i) + 1, names[i],
                               "'" + fields[i] + "' is not a finite number");
      }
    }
    if (!series.time_s_.empty() && row[0] <= series.time_s_.back()) {
      throw ProfileFileError(path, line_number, 1, names[0],
                             "time_s must increase from row to row (previous row " +
                                 std::to_string(series.time_s_.back()) + ")");
    }
    series.time_s_.push_back(row[0]);
    for (std::size_t i = 1; i < row.size(); ++i) series.values_[i - 1].push_back(row[i]);
  }
  if (!header_seen) throw ProfileFileError(path, 0, 0, "", "no header line (the file is empty)");
  if (series.time_s_.empty()) {
    throw ProfileFileError(path, line_number, 0, "", "no data rows after the header");
  }
  return series;
}

bool CsvSeries::has_column(const std::string& name) const {
  return std::find(column_names_.begin(), column_names_.end(), name) != column_names_.end();
}

std::size_t CsvSeries::column_index(const std::string& name) const {
  const auto it = std::find(column_names_.begin(), column_names_.end(), name);
  if (it == column_names_.end() || it == column_names_.begin()) {
    throw std::out_of_range("no value column '" + name + "'");
  }
  return static_cast<std::size_t>(it - column_names_.begin());
}

double CsvSeries::value(std::size_t column, double time_s) const {
  const auto& values = values_[column - 1];
  if (time_s <= time_s_.front()) return values.front();
  if (time_s >= time_s_.back()) return values.back();
  // First row strictly after time_s; the row before it is at or before time_s.
  const auto after = std::upper_bound(time_s_.begin(), time_s_.end(), time_s);
  const auto i = static_cast<std::size_t>(after - time_s_.begin());
  const double share = (time_s - time_s_[i - 1]) / (time_s_[i] - time_s_[i - 1]);
  return values[i - 1] + share * (values[i] - values[i - 1]);
}

}  // namespace bts::plant
