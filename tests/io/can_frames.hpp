#pragma once
// Frames for the io tests.
#include <cstdint>
#include <vector>

#include "firmware/common/types.hpp"

namespace bts::io::test {

inline firmware::CanFrame frame_of(std::uint32_t id, bool extended,
                                   std::vector<std::uint8_t> data) {
  firmware::CanFrame frame;
  frame.id = id;
  frame.extended = extended;
  frame.dlc = static_cast<std::uint8_t>(data.size());
  for (std::size_t k = 0; k < data.size(); ++k) frame.data[k] = data[k];
  return frame;
}

}  // namespace bts::io::test
