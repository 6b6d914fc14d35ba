#pragma once
// Helpers for the io tests: a server served on its own thread, bounded subprocesses, tools that
// must be installed (CI installs them; a missing one fails the test with its package name).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "io/modbus_server.hpp"

namespace bts::io::testing {

struct CommandResult {
  int exit_status = -1;
  std::string output;  // stdout (and stderr when asked)
};

/// Runs a shell command, killed after timeout_s; never hangs the test.
inline CommandResult run_command(const std::string& command, int timeout_s = 20,
                                 bool with_stderr = false) {
  const std::string bounded = "timeout -k 2 " + std::to_string(timeout_s) + " " + command +
                              (with_stderr ? " 2>&1" : " 2>/dev/null");
  CommandResult result;
  FILE* pipe = popen(bounded.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> chunk{};
  while (const std::size_t read = fread(chunk.data(), 1, chunk.size(), pipe))
    result.output.append(chunk.data(), read);
  const int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// Empty when the tool is there, else a message for FAIL() naming the Debian package.
inline std::string missing_tool(const std::string& tool, const std::string& package) {
  if (std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0) return {};
  return tool + " is not installed: install the Debian package " + package +
         " (scripts/install-deps does)";
}

inline std::string missing_pymodbus() {
  if (std::system("/usr/bin/python3 -c 'import pymodbus.client' >/dev/null 2>&1") == 0) return {};
  return "/usr/bin/python3 cannot import pymodbus: install the Debian package python3-pymodbus";
}

inline std::string walk_script() {
  return std::string(BTS_SOURCE_DIR) + "/tests/io/sunspec_walk.py";
}

/// Serves a ModbusServer on its own thread until stop() (or destruction). The test must not touch
/// the server while it runs: publish before, take requests after.
class ServerThread {
 public:
  explicit ServerThread(ModbusServer& server)
      : server_(server), thread_([this] {
          while (!stop_) server_.serve(std::chrono::milliseconds(20));
        }) {}
  ~ServerThread() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  ModbusServer& server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace bts::io::testing
