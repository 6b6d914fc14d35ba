#include "firmware/bdu/bdu_record.hpp"

#include <array>

#include "firmware/common/nvm_record.hpp"

namespace bts::firmware {

namespace {

constexpr std::uint16_t kBduRecordVersion = 1;
constexpr std::int64_t kMilliJoulePerWh = 3600000;
constexpr TimeMs kSaveEvery_ms = 60000;

/// Moves whole watt-hours from an accumulator into a counter; true when one moved.
bool carry_whole_Wh(std::int64_t& accumulated_mJ, std::uint32_t& counter_Wh) {
  if (accumulated_mJ < kMilliJoulePerWh) return false;
  const std::int64_t whole_Wh = accumulated_mJ / kMilliJoulePerWh;
  counter_Wh += static_cast<std::uint32_t>(whole_Wh);
  accumulated_mJ -= whole_Wh * kMilliJoulePerWh;
  return true;
}

}  // namespace

void BduRecordKeeper::wake(BduHal& hal) {
  std::array<std::uint8_t, NvmImage<BduRecord>::kSize> buffer{};
  const std::size_t length = hal.nvm_read(buffer);
  BduRecord stored;
  const NvmStatus status =
      nvm_decode(std::span<const std::uint8_t>(buffer.data(), length), kBduRecordVersion, stored);
  if (status == NvmStatus::Ok) {
    record_ = stored;
  } else if (status != NvmStatus::Empty) {
    // Never trust a half-read counter: start again from zero and say so.
    record_ = BduRecord{};
    rebuilt_ = true;
  }
  ++record_.wakeups;
  save(hal);
}

void BduRecordKeeper::add_output_energy(std::int32_t output_voltage_dV,
                                        std::int32_t output_current_dA) {
  // dV * dA is 0.01 W; over 100 ms that is exactly 1 mJ.
  const std::int64_t energy_mJ = std::int64_t{output_voltage_dV} * output_current_dA;
  if (energy_mJ >= 0) {
    discharged_mJ_ += energy_mJ;
  } else {
    charged_mJ_ -= energy_mJ;
  }
  dirty_ |= carry_whole_Wh(discharged_mJ_, record_.discharged_Wh);
  dirty_ |= carry_whole_Wh(charged_mJ_, record_.charged_Wh);
}

void BduRecordKeeper::save_if_due(BduHal& hal, TimeMs now_ms) {
  if (dirty_ && now_ms % kSaveEvery_ms < 1000) save(hal);
}

void BduRecordKeeper::save(BduHal& hal) {
  const auto image = nvm_encode(record_, kBduRecordVersion);
  write_failed_ = !hal.nvm_write(image.bytes);
  // A refused write is tried again at the next minute.
  dirty_ = write_failed_;
}

}  // namespace bts::firmware
