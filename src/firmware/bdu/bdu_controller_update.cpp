// The BDU's side of a firmware update (docs/firmware.md): Standby -> Updating on the service
// tool's request; the image goes to the modules in numbered blocks at a pace the Link bus carries
// beside its cyclic traffic; the CRC ends it; after the modules restarted the BDU takes the new
// version itself and starts again with a self test (Updating -> SelfTest).
#include "firmware/bdu/bdu_controller.hpp"
#include "firmware/link/link_protocol.hpp"
#include "firmware/update/update_protocol.hpp"

namespace bts::firmware {

namespace {
constexpr int kBlocksPerTick = 8;           // 800 blocks/s: about 40 % of the Link bus
constexpr TimeMs kModuleRestart_ms = 1000;  // modules check the CRC and restart
}  // namespace

void BduController::run_update(TimeMs now_ms) {
  switch (update_phase_) {
    case UpdatePhase::Start:
      hal_.link_send(update::encode_start(link::kAddressBdu, update_request_));
      update_sequence_ = 0;
      update_phase_ = UpdatePhase::Blocks;
      break;
    case UpdatePhase::Blocks:
      for (int k = 0; k < kBlocksPerTick && update_sequence_ < update_request_.blocks; ++k) {
        update::Block block;
        block.sequence = update_sequence_;
        block.bytes = update::image_block(update_request_.version, update_sequence_);
        if (!hal_.link_send(update::encode_block(link::kAddressBdu, block)))
          break;  // queue full: next tick
        ++update_sequence_;
      }
      if (update_sequence_ == update_request_.blocks) {
        hal_.link_send(update::encode_end(
            link::kAddressBdu, update::image_crc(update_request_.version, update_request_.blocks)));
        update_phase_ = UpdatePhase::Restart;
        update_phase_since_ms_ = now_ms;
      }
      break;
    case UpdatePhase::Restart:
      if (now_ms - update_phase_since_ms_ >= kModuleRestart_ms) {
        config_.firmware_version = update_request_.version;  // the BDU restarts on it too
        update_phase_ = UpdatePhase::Done;
      }
      break;
    case UpdatePhase::Idle:
    case UpdatePhase::Done:
      break;
  }
}

}  // namespace bts::firmware
