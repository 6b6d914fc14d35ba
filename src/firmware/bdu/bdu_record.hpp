#pragma once
// The BDU controller's non-volatile record: how often it woke, connected and entered Fault, and
// the energy through BAT OUT. It is read back once at wake-up and stored every minute while it
// changes. A write the memory refuses is F12 (BMS internal fault, SelfTestFailed row): the record
// is then not kept, and the next minute tries again, so F12 can be reset once the memory works.
// A record that fails its checks at wake-up (corrupted, another layout) is rebuilt from zero and
// reported as A9 (OtherWarning row) until a reset press acknowledges it.
#include <cstdint>

#include "firmware/common/types.hpp"
#include "firmware/hal/bdu_hal.hpp"

namespace bts::firmware {

struct BduRecord {
  std::uint32_t wakeups = 0;
  std::uint32_t connections = 0;
  std::uint32_t fault_entries = 0;
  std::uint32_t charged_Wh = 0;
  std::uint32_t discharged_Wh = 0;
};

class BduRecordKeeper {
 public:
  /// At wake-up: read the record back (a bad one is rebuilt and flagged), count the wake-up and
  /// store it at once, which is also the self test of the memory.
  void wake(BduHal& hal);
  void count_connection() { ++record_.connections, dirty_ = true; }
  void count_fault_entry() { ++record_.fault_entries, dirty_ = true; }
  /// Energy through BAT OUT for one 100 ms period (> 0 out of the battery).
  void add_output_energy(std::int32_t output_voltage_dV, std::int32_t output_current_dA);
  /// Every second: stores a changed record at each whole minute.
  void save_if_due(BduHal& hal, TimeMs now_ms);

  const BduRecord& record() const { return record_; }
  /// The last write was refused by the memory.
  bool write_failed() const { return write_failed_; }
  /// The record read at wake-up failed its checks and was rebuilt.
  bool rebuilt() const { return rebuilt_; }
  void acknowledge_rebuilt() { rebuilt_ = false; }

 private:
  void save(BduHal& hal);

  BduRecord record_{};
  std::int64_t charged_mJ_ = 0;  // below one Wh, not yet in the record
  std::int64_t discharged_mJ_ = 0;
  bool dirty_ = false;
  bool write_failed_ = false;
  bool rebuilt_ = false;
};

}  // namespace bts::firmware
