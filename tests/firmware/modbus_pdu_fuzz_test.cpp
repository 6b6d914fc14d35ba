// Deterministic fuzzing of the Modbus request decoder (GCC has no libFuzzer): seeded random PDUs
// and mutations of valid requests (byte changes, bit flips, cut or grown lengths) against an E10
// and an E40 map, with writes enabled and disabled. For every input:
//   - the answer is at most 253 bytes, repeats the function code (with 0x80 on an exception),
//     and an exception is two bytes with code 1, 2 or 3;
//   - an exception makes no control request, and a disabled map never makes one;
//   - a successful read returns exactly the map's registers;
//   - the same input gives the same answer.
// The sanitizer build runs this as an ordinary test; BTS_FUZZ_ITERATIONS sets the inputs per map.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "firmware/inverter/modbus_pdu.hpp"
#include "fuzz_iterations.hpp"
#include "sunspec_test_values.hpp"

namespace bts::firmware::modbus {
namespace {

constexpr std::uint64_t kDefaultIterations = 50'000;

std::uint64_t iterations() { return bts::testing::fuzz_iterations(kDefaultIterations); }

std::vector<std::uint8_t> request(std::uint8_t function, std::uint16_t address,
                                  std::vector<std::uint16_t> words) {
  std::vector<std::uint8_t> bytes{function, static_cast<std::uint8_t>(address >> 8),
                                  static_cast<std::uint8_t>(address)};
  for (const std::uint16_t word : words) {
    bytes.push_back(static_cast<std::uint8_t>(word >> 8));
    bytes.push_back(static_cast<std::uint8_t>(word));
  }
  return bytes;
}

/// Valid requests of every kind the server sees: reads across the map, writes of each control
/// point of each BDU, multi-register writes.
std::vector<std::vector<std::uint8_t>> seed_requests(const sunspec::SunSpecMap& map) {
  std::vector<std::vector<std::uint8_t>> seeds;
  for (std::uint32_t address = sunspec::kBaseAddress;
       address < sunspec::kBaseAddress + std::uint32_t{map.register_count()}; address += 61)
    seeds.push_back(request(kReadHoldingRegisters, static_cast<std::uint16_t>(address), {17}));
  for (int bdu = 0; bdu < map.layout().bdu_count; ++bdu) {
    const std::uint16_t battery = map.layout().bdus[static_cast<std::size_t>(bdu)].battery;
    seeds.push_back(request(kWriteSingleRegister, battery + 20, {1}));
    seeds.push_back(request(kWriteSingleRegister, battery + 19, {0x1234}));
    seeds.push_back(request(kWriteSingleRegister, battery + 50, {2}));
    std::vector<std::uint8_t> multiple = request(kWriteMultipleRegisters, battery + 19, {2});
    multiple.push_back(4);
    for (std::uint8_t byte : {0x00, 0x05, 0x00, 0x01}) multiple.push_back(byte);
    seeds.push_back(multiple);
  }
  return seeds;
}

class RequestSource {
 public:
  RequestSource(std::uint64_t seed, std::vector<std::vector<std::uint8_t>> seeds)
      : rng_(seed), seeds_(std::move(seeds)) {}

  std::vector<std::uint8_t> next() {
    if (below(8) == 0) return random_request();
    std::vector<std::uint8_t> bytes = seeds_[below(static_cast<std::uint32_t>(seeds_.size()))];
    const std::uint32_t mutations = below(4);  // 0: the valid request itself
    for (std::uint32_t m = 0; m < mutations; ++m) mutate(bytes);
    return bytes;
  }

 private:
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  std::uint8_t byte() { return static_cast<std::uint8_t>(rng_()); }

  std::vector<std::uint8_t> random_request() {
    std::vector<std::uint8_t> bytes(below(kMaxPduBytes + 1));
    for (auto& value : bytes) value = byte();
    if (!bytes.empty() && below(2) == 0) bytes[0] = std::array<std::uint8_t, 3>{3, 6, 16}[below(3)];
    return bytes;
  }

  void mutate(std::vector<std::uint8_t>& bytes) {
    switch (below(5)) {
      case 0:
        if (!bytes.empty()) bytes[below(static_cast<std::uint32_t>(bytes.size()))] = byte();
        break;
      case 1:
        if (!bytes.empty())
          bytes[below(static_cast<std::uint32_t>(bytes.size()))] ^=
              static_cast<std::uint8_t>(1u << below(8));
        break;
      case 2:
        bytes.resize(below(static_cast<std::uint32_t>(bytes.size()) + 1));
        break;
      case 3:
        if (bytes.size() < kMaxPduBytes) bytes.push_back(byte());
        break;
      default:  // a count or byte count at an extreme
        if (bytes.size() > 5) bytes[below(2) == 0 ? 4 : 5] = below(2) == 0 ? 0x00 : 0xFF;
        break;
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::vector<std::uint8_t>> seeds_;
};

void check_answer(const sunspec::SunSpecMap& map, bool writes_enabled,
                  const std::vector<std::uint8_t>& bytes) {
  std::array<std::uint8_t, kMaxPduBytes> response{};
  sunspec::ControlRequests requests;
  const PduAnswer answer = answer_request(map, bytes, response, requests);
  if (bytes.empty()) {
    ASSERT_EQ(answer.length, 0u);
    return;
  }
  ASSERT_GE(answer.length, 2u);
  ASSERT_LE(answer.length, kMaxPduBytes);
  if (answer.exception != ExceptionCode::None) {
    ASSERT_EQ(answer.length, 2u);
    ASSERT_EQ(response[0], bytes[0] | kExceptionFlag);
    ASSERT_GE(response[1], 1);
    ASSERT_LE(response[1], 3);
    ASSERT_TRUE(requests.empty());
  } else {
    ASSERT_EQ(response[0], bytes[0]);
  }
  if (!writes_enabled) {
    ASSERT_TRUE(requests.empty());
  }
  ASSERT_LE(requests.count, 2u);
  if (answer.exception == ExceptionCode::None && bytes[0] == kReadHoldingRegisters) {
    const std::uint32_t address = (bytes[1] << 8) | bytes[2];
    const std::uint32_t count = (bytes[3] << 8) | bytes[4];
    ASSERT_EQ(answer.length, 2 + 2 * count);
    for (std::uint32_t index = 0; index < count; ++index) {
      const std::uint16_t expected = map.registers()[address - sunspec::kBaseAddress + index];
      ASSERT_EQ(response[2 + 2 * index], expected >> 8);
      ASSERT_EQ(response[3 + 2 * index], expected & 0xFF);
    }
  }
  std::array<std::uint8_t, kMaxPduBytes> again{};
  sunspec::ControlRequests requests_again;
  const PduAnswer repeated = answer_request(map, bytes, again, requests_again);
  ASSERT_EQ(repeated.length, answer.length);
  ASSERT_EQ(again, response);
}

TEST(ModbusPduFuzz, SeededAndMutatedRequestsGetWellFormedAnswers) {
  std::uint64_t seed = 20240611;
  for (const bool writes_enabled : {false, true}) {
    for (sunspec::SunSpecValues values :
         {sunspec::testing::example_e10(), sunspec::testing::example_e40()}) {
      values.writes_enabled = writes_enabled;
      const sunspec::SunSpecMap map(values);
      RequestSource source(seed++, seed_requests(map));
      for (std::uint64_t index = 0; index < iterations(); ++index) {
        const std::vector<std::uint8_t> bytes = source.next();
        ASSERT_NO_FATAL_FAILURE(check_answer(map, writes_enabled, bytes)) << "input " << index;
      }
    }
  }
}

}  // namespace
}  // namespace bts::firmware::modbus
