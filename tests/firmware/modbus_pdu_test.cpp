// The Modbus request decoder: reads (function 3), writes (6 and 16) through the map's checks, and
// the exception responses for everything else.
#include "firmware/inverter/modbus_pdu.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "sunspec_test_values.hpp"

namespace bts::firmware::modbus {
namespace {

using sunspec::ControlKind;
using sunspec::ControlRequests;
using sunspec::SunSpecMap;

struct Exchange {
  std::vector<std::uint8_t> response;
  PduAnswer answer;
  ControlRequests requests;
};

Exchange ask(const SunSpecMap& map, std::vector<std::uint8_t> request) {
  Exchange exchange;
  std::array<std::uint8_t, kMaxPduBytes> response{};
  exchange.answer = answer_request(map, request, response, exchange.requests);
  exchange.response.assign(response.begin(), response.begin() + exchange.answer.length);
  return exchange;
}

SunSpecMap writable_map() {
  sunspec::SunSpecValues values = sunspec::testing::example_e10();
  values.writes_enabled = true;
  return SunSpecMap(values);
}

TEST(ModbusPdu, ReadsTheMarkerAndTheFirstModelHeader) {
  const Exchange exchange = ask(writable_map(), {0x03, 0x9C, 0x40, 0x00, 0x04});  // 40000, 4
  EXPECT_EQ(exchange.answer.exception, ExceptionCode::None);
  EXPECT_EQ(exchange.response,
            (std::vector<std::uint8_t>{0x03, 8, 0x53, 0x75, 0x6E, 0x53, 0x00, 0x01, 0x00, 0x42}));
}

TEST(ModbusPdu, ReadsUpTo125RegistersAndRefusesMore) {
  EXPECT_EQ(ask(writable_map(), {0x03, 0x9C, 0x40, 0x00, 125}).response.size(), 2u + 250u);
  const Exchange too_many = ask(writable_map(), {0x03, 0x9C, 0x40, 0x00, 126});
  EXPECT_EQ(too_many.response, (std::vector<std::uint8_t>{0x83, 0x03}));
  EXPECT_EQ(ask(writable_map(), {0x03, 0x9C, 0x40, 0x00, 0}).response,
            (std::vector<std::uint8_t>{0x83, 0x03}));
}

TEST(ModbusPdu, ReadOutsideTheMapIsAnIllegalDataAddress) {
  const Exchange below = ask(writable_map(), {0x03, 0x00, 0x00, 0x00, 0x02});
  EXPECT_EQ(below.response, (std::vector<std::uint8_t>{0x83, 0x02}));
  EXPECT_EQ(below.answer.status, sunspec::MapStatus::OutsideMap);
  // 40363..40364: the last register and one past the end.
  EXPECT_EQ(ask(writable_map(), {0x03, 0x9D, 0xAB, 0x00, 0x02}).response,
            (std::vector<std::uint8_t>{0x83, 0x02}));
}

TEST(ModbusPdu, UnknownFunctionsAreIllegal) {
  for (std::uint8_t function : {0x01, 0x02, 0x04, 0x05, 0x0F, 0x17, 0x2B, 0x7F, 0x83, 0xFF}) {
    const Exchange exchange = ask(writable_map(), {function, 0x9C, 0x40, 0x00, 0x01});
    EXPECT_EQ(exchange.response,
              (std::vector<std::uint8_t>{static_cast<std::uint8_t>(function | 0x80), 0x01}))
        << int{function};
  }
}

TEST(ModbusPdu, WriteSingleEchoesAndMakesARequest) {
  // 802 AlmRst of BDU 1: 40070 + 20 = 40090 = 0x9C9A.
  const Exchange exchange = ask(writable_map(), {0x06, 0x9C, 0x9A, 0x00, 0x01});
  EXPECT_EQ(exchange.response, (std::vector<std::uint8_t>{0x06, 0x9C, 0x9A, 0x00, 0x01}));
  ASSERT_EQ(exchange.requests.count, 1u);
  EXPECT_EQ(exchange.requests.items[0].kind, ControlKind::AlarmReset);
}

TEST(ModbusPdu, RefusedWritesAnswerExceptionsAndMakeNoRequest) {
  const Exchange out_of_range = ask(writable_map(), {0x06, 0x9C, 0x9A, 0x00, 0x02});
  EXPECT_EQ(out_of_range.response, (std::vector<std::uint8_t>{0x86, 0x03}));
  EXPECT_TRUE(out_of_range.requests.empty());
  const Exchange read_only = ask(writable_map(), {0x06, 0x9C, 0x51, 0x00, 0x01});  // 802 SoC
  EXPECT_EQ(read_only.response, (std::vector<std::uint8_t>{0x86, 0x02}));
  const SunSpecMap read_only_map(sunspec::testing::example_e10());
  const Exchange disabled = ask(read_only_map, {0x06, 0x9C, 0x9A, 0x00, 0x01});
  EXPECT_EQ(disabled.response, (std::vector<std::uint8_t>{0x86, 0x02}));
  EXPECT_EQ(disabled.answer.status, sunspec::MapStatus::WritesDisabled);
  EXPECT_TRUE(disabled.requests.empty());
}

TEST(ModbusPdu, WriteMultipleAnswersAddressAndCount) {
  // CtrlHb (40089 = 0x9C99) and AlmRst.
  const Exchange exchange =
      ask(writable_map(), {0x10, 0x9C, 0x99, 0x00, 0x02, 0x04, 0x12, 0x34, 0x00, 0x01});
  EXPECT_EQ(exchange.response, (std::vector<std::uint8_t>{0x10, 0x9C, 0x99, 0x00, 0x02}));
  ASSERT_EQ(exchange.requests.count, 2u);
  EXPECT_EQ(exchange.requests.items[0].value, 0x1234);
}

TEST(ModbusPdu, MalformedRequestsAreIllegalDataValues) {
  const std::vector<std::vector<std::uint8_t>> malformed{
      {0x03},                                                  // too short
      {0x03, 0x9C, 0x40, 0x00, 0x01, 0x00},                    // too long
      {0x06, 0x9C, 0x9A, 0x00},                                // too short
      {0x10, 0x9C, 0x99, 0x00, 0x02, 0x03, 0x12, 0x34, 0x00},  // byte count 3 for 2 registers
      {0x10, 0x9C, 0x99, 0x00, 0x02, 0x04, 0x12, 0x34, 0x00},  // one byte missing
      {0x10, 0x9C, 0x99, 0x00, 0x00, 0x00},                    // zero registers
  };
  for (const auto& request : malformed) {
    const Exchange exchange = ask(writable_map(), request);
    ASSERT_EQ(exchange.response.size(), 2u);
    EXPECT_EQ(exchange.response[1], 0x03);
    EXPECT_TRUE(exchange.requests.empty());
  }
  EXPECT_EQ(ask(writable_map(), {}).answer.length, 0u);  // nothing to answer
}

}  // namespace
}  // namespace bts::firmware::modbus
