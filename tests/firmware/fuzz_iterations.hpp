#pragma once
// How many inputs a deterministic fuzz test feeds per target: BTS_FUZZ_ITERATIONS when set to a
// positive number, else the test's default.
#include <cstdint>
#include <cstdlib>

namespace bts::testing {

inline std::uint64_t fuzz_iterations(std::uint64_t default_iterations) {
  const char* text = std::getenv("BTS_FUZZ_ITERATIONS");
  if (text == nullptr || *text == '\0') return default_iterations;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0) return default_iterations;
  return value;
}

}  // namespace bts::testing
