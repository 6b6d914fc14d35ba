// Compile-time checks of the default diagnosis tables.
#include "firmware/diagnosis/diagnosis_tables.hpp"

#include <span>

#include "firmware/diagnosis/diagnosis.hpp"

namespace bts::firmware {
namespace {

constexpr bool all_consistent(std::span<const DiagnosisRow> table) {
  for (const DiagnosisRow& row : table) {
    if (!row_is_consistent(row)) return false;
  }
  return true;
}

static_assert(kModuleDiagnosisTable.size() <= kMaxDiagnosisRows);
static_assert(kBduDiagnosisTable.size() <= kMaxDiagnosisRows);
static_assert(all_consistent(kModuleDiagnosisTable), "a module row has inverted hysteresis");
static_assert(all_consistent(kBduDiagnosisTable), "a BDU row has inverted hysteresis");

}  // namespace
}  // namespace bts::firmware
