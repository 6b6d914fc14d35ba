#include "io/can/candump_log.hpp"

#include <cstdio>
#include <stdexcept>

#include "io/can/hex_text.hpp"

namespace bts::io {

std::string format_candump_line(const LoggedFrame& entry) {
  char head[64];
  std::snprintf(head, sizeof head, "(%.6f) ", entry.time_s);
  std::string line = head + entry.interface_name + ' ';
  char id[16];
  std::snprintf(id, sizeof id, entry.frame.extended ? "%08X#" : "%03X#", entry.frame.id);
  line += id;
  if (entry.remote) return line + "R";
  for (std::uint8_t k = 0; k < entry.frame.dlc && k < 8; ++k) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02X", entry.frame.data[k]);
    line += byte;
  }
  return line;
}

std::optional<LoggedFrame> parse_candump_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
    line.remove_suffix(1);
  if (line.size() < 3 || line.front() != '(') return std::nullopt;
  const std::size_t close = line.find(')');
  if (close == std::string_view::npos) return std::nullopt;
  LoggedFrame entry;
  const std::string time_text(line.substr(1, close - 1));
  // Seconds with a decimal fraction, digits only (strtod alone would take "1e300", "inf").
  if (time_text.find_first_not_of("0123456789.") != std::string::npos ||
      time_text.find('.') != time_text.rfind('.') || time_text.size() > 24) {
    return std::nullopt;
  }
  char* end = nullptr;
  entry.time_s = std::strtod(time_text.c_str(), &end);
  if (time_text.empty() || end != time_text.c_str() + time_text.size() || entry.time_s < 0.0)
    return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  if (rest.empty() || rest.front() != ' ') return std::nullopt;
  rest.remove_prefix(1);
  const std::size_t space = rest.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  entry.interface_name = std::string(rest.substr(0, space));
  std::string_view frame_text = rest.substr(space + 1);
  // candump -l may append a direction/flags field after a space; it is not part of the frame.
  if (const std::size_t flags = frame_text.find(' '); flags != std::string_view::npos)
    frame_text = frame_text.substr(0, flags);
  const std::size_t hash = frame_text.find('#');
  if (hash != 3 && hash != 8) return std::nullopt;
  const auto id = parse_hex_digits(frame_text.substr(0, hash));
  entry.frame.extended = hash == 8;
  if (!id || *id > (entry.frame.extended ? 0x1FFFFFFFu : 0x7FFu)) return std::nullopt;
  entry.frame.id = *id;
  std::string_view data = frame_text.substr(hash + 1);
  if (!data.empty() && (data.front() == 'R' || data.front() == 'r')) {
    entry.remote = true;
    return entry;
  }
  if (data.size() % 2 != 0 || data.size() > 16) return std::nullopt;
  entry.frame.dlc = static_cast<std::uint8_t>(data.size() / 2);
  for (std::size_t k = 0; k < entry.frame.dlc; ++k) {
    const auto byte = parse_hex_digits(data.substr(2 * k, 2));
    if (!byte) return std::nullopt;
    entry.frame.data[k] = static_cast<std::uint8_t>(*byte);
  }
  return entry;
}

CandumpWriter::CandumpWriter(const std::string& path, std::string interface_name)
    : path_(path), interface_name_(std::move(interface_name)), out_(path, std::ios::trunc) {
  if (!out_) throw std::runtime_error("cannot write the CAN log " + path);
}

void CandumpWriter::write(double time_s, const CanFrame& frame) {
  out_ << format_candump_line({time_s, interface_name_, frame, false}) << '\n';
  ++frames_;
}

void CandumpWriter::flush() { out_.flush(); }

CandumpReplayPort::CandumpReplayPort(const std::string& path,
                                     std::function<bool(const CanFrame&)> wanted)
    : path_(path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the CAN log " + path);
  std::string line;
  int line_number = 0;
  std::optional<double> first_s;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto entry = parse_candump_line(line);
    if (!entry) {
      throw std::runtime_error(path + ", line " + std::to_string(line_number) +
                               ": not a candump -l line (expected e.g. "
                               "\"(1700000000.000000) can0 00004200#0000000000000000\")");
    }
    if (!first_s) first_s = entry->time_s;
    entry->time_s -= *first_s;
    if (entry->remote || !wanted(entry->frame)) {
      ++skipped_;
      continue;
    }
    entries_.push_back(*entry);
  }
}

void CandumpReplayPort::receive(std::vector<CanFrame>& frames, std::uint64_t now_ms) {
  const double now_s = static_cast<double>(now_ms) * 1e-3;
  while (next_ < entries_.size() && entries_[next_].time_s <= now_s) {
    frames.push_back(entries_[next_].frame);
    ++next_;
  }
}

bool CandumpReplayPort::send(const CanFrame& /*frame*/, std::uint64_t /*now_ms*/) {
  return true;  // the battery's answers go nowhere during a replay (the log may record them)
}

double CandumpReplayPort::duration_s() const {
  return entries_.empty() ? 0.0 : entries_.back().time_s - entries_.front().time_s;
}

}  // namespace bts::io
