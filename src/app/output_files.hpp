#pragma once
// Writes result files into a directory so that nothing is left half-written: each file goes to a
// temporary name first and is renamed into place only when complete.
#include <string>

namespace bts::app {

class OutputDirectory {
 public:
  /// Creates the directory (and parents) if needed.
  explicit OutputDirectory(std::string path);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  /// Writes one file atomically; on failure returns false and error() says why.
  bool write(const std::string& file_name, const std::string& content);

 private:
  std::string path_;
  std::string error_;
};

}  // namespace bts::app
