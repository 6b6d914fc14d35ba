#include "firmware/inverter/modbus_pdu.hpp"

namespace bts::firmware::modbus {
namespace {

using sunspec::MapStatus;

std::uint16_t big_endian(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void put_big_endian(std::span<std::uint8_t> bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<std::uint8_t>(value >> 8);
  bytes[at + 1] = static_cast<std::uint8_t>(value & 0xFFu);
}

PduAnswer exception(std::uint8_t function, ExceptionCode code, std::span<std::uint8_t> response,
                    MapStatus status = MapStatus::Ok) {
  response[0] = static_cast<std::uint8_t>(function | kExceptionFlag);
  response[1] = static_cast<std::uint8_t>(code);
  return {2, code, status};
}

ExceptionCode exception_for(MapStatus status) {
  return status == MapStatus::ValueOutOfRange ? ExceptionCode::IllegalDataValue
                                              : ExceptionCode::IllegalDataAddress;
}

PduAnswer read_holding(const sunspec::SunSpecMap& map, std::span<const std::uint8_t> request,
                       std::span<std::uint8_t> response) {
  if (request.size() != 5) return exception(request[0], ExceptionCode::IllegalDataValue, response);
  const std::uint16_t address = big_endian(request, 1);
  const std::uint16_t count = big_endian(request, 3);
  if (count == 0 || count > kMaxReadRegisters)
    return exception(request[0], ExceptionCode::IllegalDataValue, response);
  std::array<std::uint16_t, kMaxReadRegisters> registers{};
  const MapStatus status = map.read(address, count, registers);
  if (status != MapStatus::Ok)
    return exception(request[0], ExceptionCode::IllegalDataAddress, response, status);
  response[0] = request[0];
  response[1] = static_cast<std::uint8_t>(2 * count);
  for (std::size_t index = 0; index < count; ++index)
    put_big_endian(response, 2 + 2 * index, registers[index]);
  return {2 + 2 * std::size_t{count}, ExceptionCode::None, MapStatus::Ok};
}

/// Both write functions: the map checks the registers; the answer repeats address and value
/// (function 6) or address and count (function 16), which are the request's bytes 1..4.
PduAnswer write(const sunspec::SunSpecMap& map, std::span<const std::uint8_t> request,
                std::uint16_t address, std::span<const std::uint16_t> registers,
                std::span<std::uint8_t> response, sunspec::ControlRequests& requests) {
  const MapStatus status = map.check_write(address, registers, requests);
  if (status != MapStatus::Ok)
    return exception(request[0], exception_for(status), response, status);
  for (std::size_t index = 0; index < 5; ++index) response[index] = request[index];
  return {5, ExceptionCode::None, MapStatus::Ok};
}

PduAnswer write_single(const sunspec::SunSpecMap& map, std::span<const std::uint8_t> request,
                       std::span<std::uint8_t> response, sunspec::ControlRequests& requests) {
  if (request.size() != 5) return exception(request[0], ExceptionCode::IllegalDataValue, response);
  const std::array<std::uint16_t, 1> value{big_endian(request, 3)};
  return write(map, request, big_endian(request, 1), value, response, requests);
}

PduAnswer write_multiple(const sunspec::SunSpecMap& map, std::span<const std::uint8_t> request,
                         std::span<std::uint8_t> response, sunspec::ControlRequests& requests) {
  if (request.size() < 6) return exception(request[0], ExceptionCode::IllegalDataValue, response);
  const std::uint16_t count = big_endian(request, 3);
  const std::size_t byte_count = request[5];
  if (count == 0 || count > kMaxWriteRegisters || byte_count != 2 * std::size_t{count} ||
      request.size() != 6 + byte_count)
    return exception(request[0], ExceptionCode::IllegalDataValue, response);
  std::array<std::uint16_t, kMaxWriteRegisters> values{};
  for (std::size_t index = 0; index < count; ++index)
    values[index] = big_endian(request, 6 + 2 * index);
  return write(map, request, big_endian(request, 1), std::span(values).first(count), response,
               requests);
}

}  // namespace

PduAnswer answer_request(const sunspec::SunSpecMap& map, std::span<const std::uint8_t> request,
                         std::span<std::uint8_t, kMaxPduBytes> response,
                         sunspec::ControlRequests& requests) {
  if (request.empty()) return {};
  switch (request[0]) {
    case kReadHoldingRegisters:
      return read_holding(map, request, response);
    case kWriteSingleRegister:
      return write_single(map, request, response, requests);
    case kWriteMultipleRegisters:
      return write_multiple(map, request, response, requests);
    default:
      return exception(request[0], ExceptionCode::IllegalFunction, response);
  }
}

}  // namespace bts::firmware::modbus
