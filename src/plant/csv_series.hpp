#pragma once
// A numeric time series read from a CSV file, for the household and ambient profiles.
// Read once at start-up (never while stepping); a lookup is a binary search and a linear
// interpolation, held constant before the first and after the last row.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace bts::plant {

/// A profile file that cannot be used. what() names the file, the line and the column, e.g.
/// "profile file 'day.csv', line 7, column 2 (battery_power_W): 'abc' is not a number".
/// Line and column are 1-based; 0 when the problem is the file as a whole.
class ProfileFileError : public std::runtime_error {
 public:
  ProfileFileError(const std::string& path, int line, int column, const std::string& column_name,
                   const std::string& problem);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  std::string path_;
  int line_;
  int column_;
};

class CsvSeries {
 public:
  /// Reads `path`. Its header must be one of `accepted_headers` (column names, the first always
  /// time_s). Blank lines and lines starting with '#' are skipped; time_s must strictly increase.
  /// Throws ProfileFileError.
  static CsvSeries load(const std::string& path,
                        const std::vector<std::vector<std::string>>& accepted_headers);

  const std::vector<std::string>& column_names() const { return column_names_; }
  bool has_column(const std::string& name) const;
  std::size_t column_index(const std::string& name) const;  // throws std::out_of_range
  std::size_t row_count() const { return time_s_.size(); }
  double first_time_s() const { return time_s_.front(); }
  double last_time_s() const { return time_s_.back(); }

  /// Value of column `column` (1 = first after time_s) at time_s.
  double value(std::size_t column, double time_s) const;

 private:
  std::vector<std::string> column_names_;
  std::vector<double> time_s_;
  std::vector<std::vector<double>> values_;  // values_[column - 1][row]
};

}  // namespace bts::plant
