#pragma once
// The SunSpec register map of the battery as a pure function of SunSpecValues: the "SunS" marker
// at 40000, model 1 (Common), per BDU a model 802 (battery), 803 (bank of one string) and 804 (the
// string: the BDU's BAT IN bus with its modules), one 805 per module, then the end marker. Reads
// fail cleanly outside the map; writes are refused unless enabled, and then reach only the
// documented control points, with range checks. docs/protocols/sunspec.md lists every point.
// No I/O, no heap.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "firmware/inverter/sunspec_values.hpp"

namespace bts::firmware::sunspec {

inline constexpr std::uint16_t kBaseAddress = 40000;  // 0-based protocol address of "SunS"

// Model ids and lengths (L: the registers after ID and L).
inline constexpr std::uint16_t kCommonModel = 1;
inline constexpr std::uint16_t kBatteryModel = 802;
inline constexpr std::uint16_t kBankModel = 803;
inline constexpr std::uint16_t kStringModel = 804;
inline constexpr std::uint16_t kModuleModel = 805;
inline constexpr std::uint16_t kEndModel = 0xFFFF;
inline constexpr std::uint16_t kCommonLength = 66;
inline constexpr std::uint16_t kBatteryLength = 62;
inline constexpr std::uint16_t kBankFixedLength = 26;
inline constexpr std::uint16_t kBankStringLength = 32;  // one repeating "string" group
inline constexpr std::uint16_t kStringFixedLength = 46;
inline constexpr std::uint16_t kStringModuleLength = 16;  // one repeating "module" group
inline constexpr std::uint16_t kModuleLength = 42;        // no per-cell group

// Offsets from a model's start (ID at 0) of the points the write checks and the tests name.
inline constexpr std::uint16_t kCtrlHbOffset = 19;
inline constexpr std::uint16_t kAlmRstOffset = 20;
inline constexpr std::uint16_t kSetOpOffset = 50;
inline constexpr std::uint16_t kSetInvStateOffset = 51;

/// Where each model starts (protocol addresses), following the installed BDUs and modules.
struct BduModelAddresses {
  std::uint16_t battery = 0;                               // 802
  std::uint16_t bank = 0;                                  // 803
  std::uint16_t string = 0;                                // 804
  std::array<std::uint16_t, kMaxModulesPerBdu> modules{};  // 805, module_count of them
  int module_count = 0;
};
struct SunSpecLayout {
  std::uint16_t common = 0;
  std::array<BduModelAddresses, kMaxBdus> bdus{};
  int bdu_count = 0;
  std::uint16_t end = 0;             // the end marker (0xFFFF, 0)
  std::uint16_t register_count = 0;  // from the marker to the end marker, both included
};
/// The layout for these values (bdu_count clamped to 1..2, module_count to 1..4).
SunSpecLayout layout_of(const SunSpecValues& values);

inline constexpr std::size_t kMaxRegisterCount =
    2 + 2 + kCommonLength +
    kMaxBdus *
        (2 + kBatteryLength + 2 + kBankFixedLength + kBankStringLength + 2 + kStringFixedLength +
         kMaxModulesPerBdu * (kStringModuleLength + 2 + kModuleLength)) +
    2;
inline constexpr std::size_t kMaxRegistersPerRead = 125;  // Modbus function 3

enum class MapStatus : std::uint8_t {
  Ok,
  OutsideMap,       // an address outside the marker..end marker range, or a count of 0
  NotWritable,      // a point that is read-only (or not implemented)
  WritesDisabled,   // writes are refused unless the server enables them
  ValueOutOfRange,  // a control point outside its documented range
};
const char* map_status_text(MapStatus status);

/// The register image built once from the values; reads copy from it.
class SunSpecMap {
 public:
  explicit SunSpecMap(const SunSpecValues& values);

  const SunSpecLayout& layout() const { return layout_; }
  std::uint16_t register_count() const { return layout_.register_count; }
  std::span<const std::uint16_t> registers() const { return {image_.data(), register_count()}; }

  /// Copies `count` registers from `start_address` into out (out.size() >= count).
  MapStatus read(std::uint32_t start_address, std::uint32_t count,
                 std::span<std::uint16_t> out) const;
  /// Checks a write of `registers` at `start_address` (function 6 or 16): all of it is accepted
  /// or none; accepted writes append their requests to `requests`.
  MapStatus check_write(std::uint32_t start_address, std::span<const std::uint16_t> registers,
                        ControlRequests& requests) const;

 private:
  MapStatus check_register(std::uint32_t address, std::uint16_t value,
                           ControlRequests& requests) const;

  SunSpecLayout layout_{};
  bool writes_enabled_ = false;
  std::array<std::uint16_t, kMaxRegisterCount> image_{};
};

/// One-call forms of SunSpecMap::read and check_write.
MapStatus read_registers(const SunSpecValues& values, std::uint32_t start_address,
                         std::uint32_t count, std::span<std::uint16_t> out);
MapStatus check_write(const SunSpecValues& values, std::uint32_t start_address,
                      std::span<const std::uint16_t> registers, ControlRequests& requests);

}  // namespace bts::firmware::sunspec
