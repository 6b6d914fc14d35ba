#pragma once
// The system description: a built-in system (e5, e10, e15, e20, e40) or a YAML file that starts
// from one and overrides what it names. Every key, unit, default and allowed range is in
// docs/system-description.md. Loading is all or nothing: a complete, valid description or a
// SystemDescriptionError, never something half-applied.
#include <stdexcept>
#include <string>
#include <vector>

#include "plant/system_description.hpp"

namespace bts::app {

/// Why a system description was refused. what() names the file, the line and column, the key
/// path (e.g. "bdus[0].modules[4]") and what is allowed, e.g.
/// "e20.yaml, line 14, column 7: bdus[0].modules[4]: at most 4 modules per BDU (REQ-TOP-3), ...".
class SystemDescriptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A built-in name (case-insensitive) or the path of a YAML file. Relative CSV paths inside the
/// file are taken relative to the file's folder. Throws SystemDescriptionError.
plant::SystemDescription load_system_description(const std::string& name_or_path);

/// The same from YAML text: file_label names it in messages, csv_directory anchors relative CSV
/// paths, default_name is used when the text sets no `name`.
plant::SystemDescription parse_system_description(const std::string& yaml_text,
                                                  const std::string& file_label,
                                                  const std::string& csv_directory = ".",
                                                  const std::string& default_name = "custom");

/// One paragraph for people: "E10: 1 BDU, 2 modules (10.24 kWh nominal). ..."
std::string describe_system(const plant::SystemDescription& description);

/// Every key the file format knows, as paths with list indices left empty
/// ("bdus[].modules[].initial_soc", "household.pv_home.pv_peak_W"); for docs and their test.
std::vector<std::string> system_description_keys();

}  // namespace bts::app
