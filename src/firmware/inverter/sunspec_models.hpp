#pragma once
// The model writers: each fills one model's registers (ID and L included) from the values.
// Offsets follow the SunSpec model definitions; docs/protocols/sunspec.md lists every point.
#include <cstdint>
#include <span>

#include "firmware/inverter/sunspec_values.hpp"

namespace bts::firmware::sunspec {

void write_common_model(const SunSpecValues& values, std::span<std::uint16_t> model);  // 1
void write_battery_model(const SunSpecValues& values, int bdu_index,
                         std::span<std::uint16_t> model);                       // 802
void write_bank_model(const BduValues& bdu, std::span<std::uint16_t> model);    // 803
void write_string_model(const BduValues& bdu, std::span<std::uint16_t> model);  // 804
void write_module_model(const BduValues& bdu, int module_index,
                        std::span<std::uint16_t> model);  // 805

}  // namespace bts::firmware::sunspec
