#pragma once
// Modbus framing around a request PDU: the TCP MBAP header (transaction, protocol 0, length,
// unit) and the RTU frame (unit, PDU, CRC-16). Pure functions, so the framing can be fuzzed
// apart from the sockets (tests/io/modbus_frames_fuzz_test.cpp).
#include <cstddef>
#include <cstdint>
#include <span>

namespace bts::io {

inline constexpr std::size_t kMbapHeaderBytes = 7;
inline constexpr std::size_t kMaxTcpAduBytes = 260;  // 7 + 253
inline constexpr std::size_t kMaxRtuAduBytes = 256;  // 1 + 253 + 2

struct MbapHeader {
  std::uint16_t transaction_id = 0;
  std::uint16_t protocol_id = 0;
  std::uint16_t length = 0;  // unit id + PDU bytes
  std::uint8_t unit_id = 0;
};

enum class FrameStatus : std::uint8_t {
  NeedMore,  // a frame has started but not all of it is here
  Complete,  // header, pdu and size describe the first frame
  Invalid,   // not Modbus TCP (protocol id not 0, or a length outside 2..254): drop the client
};

struct TcpFrame {
  FrameStatus status = FrameStatus::NeedMore;
  MbapHeader header;
  std::span<const std::uint8_t> pdu;  // inside the buffer given to next_tcp_frame
  std::size_t size = 0;               // bytes the frame takes from the buffer's start
};

/// The first frame of the bytes received so far on one TCP connection.
TcpFrame next_tcp_frame(std::span<const std::uint8_t> received);

/// The response ADU to a request with this header: returns its size (0 if out is too small).
std::size_t write_tcp_response(const MbapHeader& request, std::span<const std::uint8_t> pdu,
                               std::span<std::uint8_t> out);

struct RtuFrame {
  FrameStatus status = FrameStatus::NeedMore;  // Invalid: drop the first byte and look again
  std::uint8_t unit_id = 0;
  std::span<const std::uint8_t> pdu;  // inside the buffer given to next_rtu_frame
  std::size_t size = 0;               // bytes the frame takes, CRC included
};

/// The first request frame of the bytes received on a serial line: its length follows from the
/// function code (and byte count), and its CRC must hold. A function whose request length is not
/// known, or a bad CRC, is Invalid. Bytes that never complete a frame are dropped by the caller
/// after a silence (the server: kRtuSilence_ms).
RtuFrame next_rtu_frame(std::span<const std::uint8_t> received);

/// Modbus RTU CRC-16 (polynomial 0xA001 reflected, start 0xFFFF); sent low byte first.
std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes);

/// The RTU response: unit id, PDU, CRC. Returns its size (0 if out is too small).
std::size_t write_rtu_response(std::uint8_t unit_id, std::span<const std::uint8_t> pdu,
                               std::span<std::uint8_t> out);

}  // namespace bts::io
