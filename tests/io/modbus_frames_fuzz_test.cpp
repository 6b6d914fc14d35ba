// Deterministic fuzzing of the TCP framing: random byte streams and mutated valid requests, cut
// at random points as TCP may deliver them. Every frame found lies inside the bytes received, is
// protocol 0 with a length of 2..254, and the stream is consumed exactly as the server does.
// BTS_FUZZ_ITERATIONS sets the number of streams.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "../firmware/fuzz_iterations.hpp"
#include "io/modbus_frames.hpp"

namespace bts::io {
namespace {

std::vector<std::uint8_t> stream(std::mt19937_64& rng) {
  std::vector<std::uint8_t> bytes;
  const int requests = static_cast<int>(rng() % 4);
  for (int index = 0; index < requests; ++index) {
    std::vector<std::uint8_t> request{0, 1, 0, 0, 0, 6, 1, 3, 0x9C, 0x40, 0, 2};
    const int mutations = static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m)
      request[rng() % request.size()] = static_cast<std::uint8_t>(rng());
    bytes.insert(bytes.end(), request.begin(), request.end());
  }
  const std::size_t noise = rng() % 8 == 0 ? rng() % 300 : 0;
  for (std::size_t index = 0; index < noise; ++index)
    bytes.push_back(static_cast<std::uint8_t>(rng()));
  return bytes;
}

TEST(ModbusFramesFuzz, StreamsSplitIntoFramesInsideTheBuffer) {
  std::mt19937_64 rng(77);
  const std::uint64_t count = bts::testing::fuzz_iterations(50'000);
  for (std::uint64_t iteration = 0; iteration < count; ++iteration) {
    const std::vector<std::uint8_t> bytes = stream(rng);
    std::vector<std::uint8_t> buffer;
    std::size_t offset = 0;
    bool closed = false;
    while (offset < bytes.size() && !closed) {
      const std::size_t chunk = std::min<std::size_t>(bytes.size() - offset, 1 + rng() % 20);
      buffer.insert(buffer.end(), bytes.begin() + static_cast<long>(offset),
                    bytes.begin() + static_cast<long>(offset + chunk));
      offset += chunk;
      while (true) {
        const TcpFrame frame = next_tcp_frame(buffer);
        if (frame.status == FrameStatus::Invalid) {
          closed = true;
          break;
        }
        if (frame.status == FrameStatus::NeedMore) {
          ASSERT_LT(buffer.size(), kMaxTcpAduBytes) << "a complete frame was not found";
          break;
        }
        ASSERT_EQ(frame.header.protocol_id, 0);
        ASSERT_GE(frame.header.length, 2);
        ASSERT_LE(frame.header.length, 254);
        ASSERT_LE(frame.size, buffer.size());
        ASSERT_EQ(frame.pdu.data(), buffer.data() + kMbapHeaderBytes);
        ASSERT_EQ(frame.pdu.size() + kMbapHeaderBytes, frame.size);
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<long>(frame.size));
      }
    }
  }
}

TEST(ModbusFramesFuzz, RtuFramesFoundInNoiseHaveTheirCrc) {
  std::mt19937_64 rng(78);
  const std::uint64_t count = bts::testing::fuzz_iterations(50'000);
  for (std::uint64_t iteration = 0; iteration < count; ++iteration) {
    std::vector<std::uint8_t> bytes = stream(rng);
    if (rng() % 2 == 0 && bytes.size() > 8) {  // a valid RTU request somewhere in the noise
      std::vector<std::uint8_t> request{1, 3, 0x9C, 0x40, 0, 2};
      const std::uint16_t crc = modbus_crc16(request);
      request.push_back(static_cast<std::uint8_t>(crc & 0xFF));
      request.push_back(static_cast<std::uint8_t>(crc >> 8));
      bytes.insert(bytes.begin() + static_cast<long>(rng() % bytes.size()), request.begin(),
                   request.end());
    }
    std::size_t consumed = 0;
    while (consumed < bytes.size()) {
      const std::span<const std::uint8_t> rest(bytes.data() + consumed, bytes.size() - consumed);
      const RtuFrame frame = next_rtu_frame(rest);
      if (frame.status == FrameStatus::NeedMore) break;
      if (frame.status == FrameStatus::Invalid) {
        ++consumed;
        continue;
      }
      ASSERT_GE(frame.size, 4u);
      ASSERT_LE(frame.size, rest.size());
      ASSERT_EQ(modbus_crc16(rest.first(frame.size)), 0);  // CRC over frame and CRC is 0
      ASSERT_EQ(frame.pdu.data(), rest.data() + 1);
      ASSERT_EQ(frame.pdu.size() + 3, frame.size);
      consumed += frame.size;
    }
  }
}

}  // namespace
}  // namespace bts::io
