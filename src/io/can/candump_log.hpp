#pragma once
// Bus logs in can-utils' `candump -l` format, one frame per line:
//   (1700000000.123456) can0 18FF50E5#0102030405060708
// 3 hex digits = standard id, 8 = extended, "#R" a remote frame. canplayer, SavvyCAN and
// python-can's `can.LogReader` read it. CandumpWriter records every frame that crosses the
// inverter port; CandumpReplayPort plays a log's inverter requests back into the simulator.
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/can/can_port.hpp"

namespace bts::io {

struct LoggedFrame {
  double time_s = 0.0;
  std::string interface_name;
  CanFrame frame;
  bool remote = false;
};

std::string format_candump_line(const LoggedFrame& entry);
/// Nothing for a malformed line (bad time, id, data, more than 8 bytes, odd digits).
std::optional<LoggedFrame> parse_candump_line(std::string_view line);

class CandumpWriter {
 public:
  /// Opens (truncates) the file. Throws std::runtime_error naming it when it cannot.
  CandumpWriter(const std::string& path, std::string interface_name = "can0");
  void write(double time_s, const CanFrame& frame);
  /// Flushes to disk (also on destruction).
  void flush();
  std::uint64_t frames_written() const { return frames_; }

 private:
  std::string path_;
  std::string interface_name_;
  std::ofstream out_;
  std::uint64_t frames_ = 0;
};

/// A log played back as if its frames arrived on the wire, at their recorded pace relative to
/// the first frame (scaled by speed). Only frames `wanted` accepts are delivered (the inverter's
/// requests; the battery's own recorded answers are skipped and counted).
class CandumpReplayPort final : public CanPort {
 public:
  /// Reads the whole log. Throws std::runtime_error naming the file and line of a bad entry.
  CandumpReplayPort(const std::string& path, std::function<bool(const CanFrame&)> wanted);

  int poll_fd() const override { return -1; }
  void receive(std::vector<CanFrame>& frames, std::uint64_t now_ms) override;
  bool send(const CanFrame& frame, std::uint64_t now_ms) override;
  std::string description() const override { return "replay of " + path_; }
  std::uint64_t dropped_frames() const override { return 0; }

  bool finished() const { return next_ == entries_.size(); }
  std::size_t delivered() const { return next_; }
  std::size_t frames_in_log() const { return entries_.size(); }
  std::size_t skipped() const { return skipped_; }
  /// Duration of the replayed part, first to last delivered frame.
  double duration_s() const;

 private:
  std::string path_;
  std::vector<LoggedFrame> entries_;  // wanted frames only, times relative to the log's first
  std::size_t next_ = 0;
  std::size_t skipped_ = 0;
};

}  // namespace bts::io
