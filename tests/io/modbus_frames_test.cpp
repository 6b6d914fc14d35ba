// Modbus TCP (MBAP) and RTU framing: splitting a byte stream into requests, building responses,
// the RTU CRC.
#include "io/modbus_frames.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace bts::io {
namespace {

TEST(ModbusFrames, TcpFrameNeedsTheWholeRequest) {
  const std::vector<std::uint8_t> request{0x12, 0x34, 0, 0, 0, 6, 1, 3, 0x9C, 0x40, 0, 2};
  for (std::size_t size = 0; size < request.size(); ++size)
    EXPECT_EQ(next_tcp_frame({request.data(), size}).status, FrameStatus::NeedMore) << size;
  const TcpFrame frame = next_tcp_frame(request);
  ASSERT_EQ(frame.status, FrameStatus::Complete);
  EXPECT_EQ(frame.size, 12u);
  EXPECT_EQ(frame.header.transaction_id, 0x1234);
  EXPECT_EQ(frame.header.unit_id, 1);
  EXPECT_EQ(std::vector<std::uint8_t>(frame.pdu.begin(), frame.pdu.end()),
            (std::vector<std::uint8_t>{3, 0x9C, 0x40, 0, 2}));
}

TEST(ModbusFrames, TcpFrameRefusesOtherProtocolsAndImpossibleLengths) {
  EXPECT_EQ(next_tcp_frame(std::vector<std::uint8_t>{0, 1, 0, 1, 0, 6, 1}).status,
            FrameStatus::Invalid);
  EXPECT_EQ(next_tcp_frame(std::vector<std::uint8_t>{0, 1, 0, 0, 0, 1, 1}).status,
            FrameStatus::Invalid);  // no room for a function code
  EXPECT_EQ(next_tcp_frame(std::vector<std::uint8_t>{0, 1, 0, 0, 0, 255, 1}).status,
            FrameStatus::Invalid);  // more than a PDU can hold
}

TEST(ModbusFrames, TcpResponseRepeatsTransactionAndUnit) {
  std::array<std::uint8_t, kMaxTcpAduBytes> out{};
  const std::array<std::uint8_t, 2> pdu{0x83, 0x02};
  const std::size_t size = write_tcp_response({0xABCD, 0, 6, 9}, pdu, out);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<long>(size)),
            (std::vector<std::uint8_t>{0xAB, 0xCD, 0, 0, 0, 3, 9, 0x83, 0x02}));
}

TEST(ModbusFrames, RtuCrcOfAKnownRequest) {
  // Read one holding register at 0 from unit 1: the CRC on the wire is 84 0A.
  const std::vector<std::uint8_t> request{0x01, 0x03, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(modbus_crc16(request), 0x0A84);
  std::array<std::uint8_t, kMaxRtuAduBytes> out{};
  const std::array<std::uint8_t, 5> pdu{0x03, 0x00, 0x00, 0x00, 0x01};
  ASSERT_EQ(write_rtu_response(1, pdu, out), 8u);
  EXPECT_EQ(out[6], 0x84);
  EXPECT_EQ(out[7], 0x0A);
  // A frame followed by its CRC has a CRC of zero.
  EXPECT_EQ(modbus_crc16({out.data(), 8}), 0);
}

std::vector<std::uint8_t> with_crc(std::vector<std::uint8_t> bytes) {
  const std::uint16_t crc = modbus_crc16(bytes);
  bytes.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  bytes.push_back(static_cast<std::uint8_t>(crc >> 8));
  return bytes;
}

TEST(ModbusFrames, RtuFrameByFunctionLengthAndCrc) {
  const std::vector<std::uint8_t> read = with_crc({2, 3, 0x9C, 0x40, 0, 2});
  for (std::size_t size = 0; size < read.size(); ++size)
    EXPECT_EQ(next_rtu_frame({read.data(), size}).status, FrameStatus::NeedMore) << size;
  const RtuFrame frame = next_rtu_frame(read);
  ASSERT_EQ(frame.status, FrameStatus::Complete);
  EXPECT_EQ(frame.unit_id, 2);
  EXPECT_EQ(frame.size, 8u);
  EXPECT_EQ(frame.pdu.size(), 5u);
  const std::vector<std::uint8_t> write = with_crc({1, 0x10, 0x9C, 0x99, 0, 2, 4, 0, 1, 0, 1});
  EXPECT_EQ(next_rtu_frame({write.data(), 6}).status, FrameStatus::NeedMore);  // no byte count
  EXPECT_EQ(next_rtu_frame(write).size, write.size());
  std::vector<std::uint8_t> corrupted = read;
  corrupted[3] ^= 0x01;
  EXPECT_EQ(next_rtu_frame(corrupted).status, FrameStatus::Invalid);
  EXPECT_EQ(next_rtu_frame(std::vector<std::uint8_t>{1, 0x2B, 0x0E}).status,
            FrameStatus::Invalid);  // request length unknown
}

}  // namespace
}  // namespace bts::io
