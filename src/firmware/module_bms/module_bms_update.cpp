// The module BMS's side of a firmware update: from Standby it follows the BDU's transfer, checks
// the sequence and the CRC, and restarts on the new version only when both are right.
#include "firmware/module_bms/module_bms.hpp"
#include "firmware/update/update_protocol.hpp"

namespace bts::firmware {

bool ModuleBms::handle_update_frame(const CanFrame& frame, TimeMs now_ms) {
  const std::uint8_t type = update::type_of(frame);
  if (type != update::kTypeStart && type != update::kTypeBlock && type != update::kTypeEnd)
    return false;
  if (address_ == 0) return true;
  update::Start start;
  update::Block block;
  std::uint32_t crc = 0;
  if (update::decode_start(frame, start)) {
    // Only a module that is not carrying current takes an update.
    if (state_ == ModuleState::Standby || state_ == ModuleState::Updating) {
      state_ = ModuleState::Updating;
      update_version_ = start.version;
      update_blocks_ = start.blocks;
      update_next_sequence_ = 0;
      update_crc_ = 0;
      update_last_frame_ms_ = now_ms;
    }
  } else if (update::decode_block(frame, block) && state_ == ModuleState::Updating) {
    update_last_frame_ms_ = now_ms;
    if (block.sequence == update_next_sequence_) {
      update_crc_ = crc32(block.bytes, update_crc_);
      ++update_next_sequence_;
    } else {
      abort_update();  // a gap: the image is incomplete, keep the running version
    }
  } else if (update::decode_end(frame, crc) && state_ == ModuleState::Updating) {
    if (update_next_sequence_ == update_blocks_ && crc == update_crc_) {
      // Restart on the new image: the version changes, the record counts a boot.
      config_.firmware_version = update_version_;
      ++record_.boots;
      ++updates_done_;
      record_dirty_ = true;
    } else {
      ++updates_failed_;
    }
    state_ = ModuleState::Standby;
  }
  return true;
}

void ModuleBms::abort_update() {
  ++updates_failed_;
  state_ = ModuleState::Standby;
}

}  // namespace bts::firmware
