#pragma once
// The Modbus request decoder of the SunSpec server: one request PDU (function code and data, no
// address or checksum) in, one response PDU out, against a SunSpecMap. Function 3 reads holding
// registers; functions 6 and 16 write, through the map's checks. Anything else, and any request
// that is malformed, gets an exception response. Pure: no I/O, no heap; the transport (TCP or
// RTU framing) lives in src/io/modbus_server.*. Fuzzed by tests/firmware/modbus_pdu_fuzz_test.cpp.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "firmware/inverter/sunspec_map.hpp"

namespace bts::firmware::modbus {

inline constexpr std::size_t kMaxPduBytes = 253;

inline constexpr std::uint8_t kReadHoldingRegisters = 0x03;
inline constexpr std::uint8_t kWriteSingleRegister = 0x06;
inline constexpr std::uint8_t kWriteMultipleRegisters = 0x10;
inline constexpr std::uint8_t kExceptionFlag = 0x80;

inline constexpr std::size_t kMaxReadRegisters = 125;
inline constexpr std::size_t kMaxWriteRegisters = 123;

enum class ExceptionCode : std::uint8_t {
  None = 0,
  IllegalFunction = 0x01,
  IllegalDataAddress = 0x02,
  IllegalDataValue = 0x03,
};

struct PduAnswer {
  std::size_t length = 0;  // bytes of the response PDU; 0 for an empty request (no answer)
  ExceptionCode exception = ExceptionCode::None;
  sunspec::MapStatus status = sunspec::MapStatus::Ok;  // the map's reason for a refusal
};

/// Answers one request PDU. Accepted writes append their control requests to `requests`;
/// refused ones change nothing.
PduAnswer answer_request(const sunspec::SunSpecMap& map, std::span<const std::uint8_t> request,
                         std::span<std::uint8_t, kMaxPduBytes> response,
                         sunspec::ControlRequests& requests);

}  // namespace bts::firmware::modbus
