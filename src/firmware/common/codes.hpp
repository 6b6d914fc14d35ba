#pragma once
// The manual's alarm (A1-A9) and fault (F1-F17) codes, with their names and the indicator-light
// patterns of the manual's tables (BTS-SPEC section 3.3 and 3.4).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bts::firmware {

enum class Code : std::uint8_t {
  A1,
  A2,
  A3,
  A4,
  A5,
  A6,
  A7,
  A8,
  A9,
  F1,
  F2,
  F3,
  F4,
  F5,
  F6,
  F7,
  F8,
  F9,
  F10,
  F11,
  F12,
  F13,
  F14,
  F15,
  F16,
  F17,
};

inline constexpr int kCodeCount = 26;

enum class CodeKind : std::uint8_t { Alarm, Fault };

struct CodeInfo {
  Code code;
  CodeKind kind;
  std::string_view label;          // "A1", "F10"
  std::string_view name;           // the manual's wording
  std::array<bool, 5> soc_lights;  // L1..L5 lit (on for faults, on for alarms; alarm light flashes)
};

// One row per code, in the manual's order (the index is the enum value).
inline constexpr std::array<CodeInfo, kCodeCount> kCodeTable{{
    {Code::A1, CodeKind::Alarm, "A1", "high temperature", {true, false, false, false, false}},
    {Code::A2, CodeKind::Alarm, "A2", "low temperature", {false, true, false, false, false}},
    {Code::A3, CodeKind::Alarm, "A3", "over voltage", {false, false, true, false, false}},
    {Code::A4, CodeKind::Alarm, "A4", "under voltage", {false, false, false, true, false}},
    {Code::A5, CodeKind::Alarm, "A5", "over current", {false, false, false, false, true}},
    {Code::A6,
     CodeKind::Alarm,
     "A6",
     "cell temperature differential abnormal",
     {true, true, false, false, false}},
    {Code::A7,
     CodeKind::Alarm,
     "A7",
     "cell voltage differential too large",
     {false, true, true, false, false}},
    {Code::A8,
     CodeKind::Alarm,
     "A8",
     "abnormal ambient temperature",
     {false, false, true, true, false}},
    {Code::A9, CodeKind::Alarm, "A9", "other", {true, true, true, true, true}},
    {Code::F1, CodeKind::Fault, "F1", "high temperature", {true, false, false, false, false}},
    {Code::F2, CodeKind::Fault, "F2", "low temperature", {false, true, false, false, false}},
    {Code::F3, CodeKind::Fault, "F3", "battery over voltage", {false, false, true, false, false}},
    {Code::F4, CodeKind::Fault, "F4", "battery low voltage", {false, false, false, true, false}},
    {Code::F5, CodeKind::Fault, "F5", "battery over current", {false, false, false, false, true}},
    {Code::F6,
     CodeKind::Fault,
     "F6",
     "cell temperature differential protection",
     {true, true, false, false, false}},
    {Code::F7,
     CodeKind::Fault,
     "F7",
     "cell voltage differential protection",
     {false, true, true, false, false}},
    {Code::F8,
     CodeKind::Fault,
     "F8",
     "ambient temperature protection",
     {false, false, true, true, false}},
    {Code::F9, CodeKind::Fault, "F9", "communication fault", {true, false, true, false, false}},
    {Code::F10, CodeKind::Fault, "F10", "sampling fault", {true, false, false, true, false}},
    {Code::F11, CodeKind::Fault, "F11", "battery cell fault", {false, true, false, false, false}},
    {Code::F12, CodeKind::Fault, "F12", "BMS internal fault", {false, true, true, true, false}},
    {Code::F13, CodeKind::Fault, "F13", "PCU internal fault", {true, true, true, false, false}},
    {Code::F14, CodeKind::Fault, "F14", "fuse damaged", {true, false, true, true, false}},
    {Code::F15,
     CodeKind::Fault,
     "F15",
     "terminal connection abnormal",
     {true, true, false, true, false}},
    {Code::F16,
     CodeKind::Fault,
     "F16",
     "software version inconsistent",
     {true, true, true, true, false}},
    {Code::F17, CodeKind::Fault, "F17", "other", {true, true, true, true, true}},
}};

constexpr const CodeInfo& code_info(Code code) {
  return kCodeTable[static_cast<std::size_t>(code)];
}
constexpr bool is_fault(Code code) { return code_info(code).kind == CodeKind::Fault; }

/// A set of active codes as a bit mask (bit = enum value), the form every interface carries.
class CodeSet {
 public:
  constexpr void set(Code code, bool active = true) {
    const std::uint32_t bit = 1u << static_cast<unsigned>(code);
    bits_ = active ? (bits_ | bit) : (bits_ & ~bit);
  }
  constexpr bool has(Code code) const { return (bits_ >> static_cast<unsigned>(code)) & 1u; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool any_fault() const { return (bits_ >> static_cast<unsigned>(Code::F1)) != 0; }
  constexpr std::uint32_t bits() const { return bits_; }
  constexpr static CodeSet from_bits(std::uint32_t bits) {
    CodeSet set;
    set.bits_ = bits & ((1u << kCodeCount) - 1u);
    return set;
  }
  constexpr CodeSet operator|(CodeSet other) const { return from_bits(bits_ | other.bits_); }
  constexpr bool operator==(const CodeSet&) const = default;
  /// D-PRIORITY: the code the lights show: faults over alarms, lowest number first.
  constexpr std::optional<Code> highest_priority() const {
    for (int index = static_cast<int>(Code::F1); index < kCodeCount; ++index) {
      if (has(static_cast<Code>(index))) return static_cast<Code>(index);
    }
    for (int index = 0; index < static_cast<int>(Code::F1); ++index) {
      if (has(static_cast<Code>(index))) return static_cast<Code>(index);
    }
    return std::nullopt;
  }

 private:
  std::uint32_t bits_ = 0;
};

}  // namespace bts::firmware
