#include "io/modbus_frames.hpp"

#include <algorithm>

namespace bts::io {
namespace {

constexpr std::uint16_t kMinMbapLength = 2;    // unit id and a function code
constexpr std::uint16_t kMaxMbapLength = 254;  // unit id and the largest PDU

std::uint16_t big_endian(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void put_big_endian(std::span<std::uint8_t> bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<std::uint8_t>(value >> 8);
  bytes[at + 1] = static_cast<std::uint8_t>(value & 0xFFu);
}

/// Request length (unit id to CRC) by function code; 0 when the bytes so far cannot tell, -1
/// when the function's request length is not known.
int rtu_request_length(std::span<const std::uint8_t> received) {
  constexpr int kFixed = 8;  // unit, function, 2 x 16 bits, CRC
  switch (received[1]) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
    case 0x06:
      return kFixed;
    case 0x07:
    case 0x0B:
    case 0x0C:
    case 0x11:
      return 4;  // unit, function, CRC
    case 0x0F:
    case 0x10:  // unit, function, address, count, byte count, data, CRC
      return received.size() < 7 ? 0 : 9 + received[6];
    default:
      return -1;
  }
}

}  // namespace

RtuFrame next_rtu_frame(std::span<const std::uint8_t> received) {
  RtuFrame frame;
  if (received.size() < 2) return frame;
  const int length = rtu_request_length(received);
  if (length < 0) {
    frame.status = FrameStatus::Invalid;
    return frame;
  }
  if (length == 0 || received.size() < static_cast<std::size_t>(length)) return frame;
  const auto size = static_cast<std::size_t>(length);
  const std::uint16_t crc =
      static_cast<std::uint16_t>(received[size - 2] | (received[size - 1] << 8));
  if (modbus_crc16(received.first(size - 2)) != crc) {
    frame.status = FrameStatus::Invalid;
    return frame;
  }
  frame.status = FrameStatus::Complete;
  frame.unit_id = received[0];
  frame.pdu = received.subspan(1, size - 3);
  frame.size = size;
  return frame;
}

TcpFrame next_tcp_frame(std::span<const std::uint8_t> received) {
  TcpFrame frame;
  if (received.size() < kMbapHeaderBytes) return frame;
  frame.header = {big_endian(received, 0), big_endian(received, 2), big_endian(received, 4),
                  received[6]};
  if (frame.header.protocol_id != 0 || frame.header.length < kMinMbapLength ||
      frame.header.length > kMaxMbapLength) {
    frame.status = FrameStatus::Invalid;
    return frame;
  }
  const std::size_t size = kMbapHeaderBytes - 1 + frame.header.length;
  if (received.size() < size) return frame;
  frame.status = FrameStatus::Complete;
  frame.size = size;
  frame.pdu = received.subspan(kMbapHeaderBytes, size - kMbapHeaderBytes);
  return frame;
}

std::size_t write_tcp_response(const MbapHeader& request, std::span<const std::uint8_t> pdu,
                               std::span<std::uint8_t> out) {
  const std::size_t size = kMbapHeaderBytes + pdu.size();
  if (pdu.empty() || size > out.size() || size > kMaxTcpAduBytes) return 0;
  put_big_endian(out, 0, request.transaction_id);
  put_big_endian(out, 2, 0);
  put_big_endian(out, 4, static_cast<std::uint16_t>(pdu.size() + 1));
  out[6] = request.unit_id;
  std::copy(pdu.begin(), pdu.end(), out.begin() + kMbapHeaderBytes);
  return size;
}

std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const std::uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001u)
                       : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

std::size_t write_rtu_response(std::uint8_t unit_id, std::span<const std::uint8_t> pdu,
                               std::span<std::uint8_t> out) {
  const std::size_t size = 1 + pdu.size() + 2;
  if (pdu.empty() || size > out.size() || size > kMaxRtuAduBytes) return 0;
  out[0] = unit_id;
  std::copy(pdu.begin(), pdu.end(), out.begin() + 1);
  const std::uint16_t crc = modbus_crc16(out.first(1 + pdu.size()));
  out[1 + pdu.size()] = static_cast<std::uint8_t>(crc & 0xFFu);
  out[2 + pdu.size()] = static_cast<std::uint8_t>(crc >> 8);
  return size;
}

}  // namespace bts::io
