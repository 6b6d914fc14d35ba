#include "firmware/version.hpp"

namespace bts::firmware {

FirmwareVersion built_firmware_version() { return FirmwareVersion{0, 1, 0}; }

}  // namespace bts::firmware
