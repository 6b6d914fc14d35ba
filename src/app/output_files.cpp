#include "app/output_files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace bts::app {

OutputDirectory::OutputDirectory(std::string path) : path_(std::move(path)) {
  std::error_code code;
  std::filesystem::create_directories(path_, code);
  if (code) {
    error_ = "cannot create directory '" + path_ + "': " + code.message();
  } else if (!std::filesystem::is_directory(path_)) {
    error_ = "'" + path_ + "' exists and is not a directory";
  }
}

bool OutputDirectory::write(const std::string& file_name, const std::string& content) {
  if (!ok()) return false;
  const std::filesystem::path final_path = std::filesystem::path(path_) / file_name;
  const std::filesystem::path temporary_path =
      std::filesystem::path(path_) / ("." + file_name + ".partial");
  {
    std::ofstream stream(temporary_path, std::ios::binary | std::ios::trunc);
    stream << content;
    stream.flush();
    if (!stream) {
      error_ = "cannot write '" + temporary_path.string() + "': " + std::strerror(errno);
      std::error_code ignored;
      std::filesystem::remove(temporary_path, ignored);
      return false;
    }
  }
  std::error_code code;
  std::filesystem::rename(temporary_path, final_path, code);
  if (code) {
    error_ = "cannot move '" + temporary_path.string() + "' into place: " + code.message();
    return false;
  }
  return true;
}

}  // namespace bts::app
