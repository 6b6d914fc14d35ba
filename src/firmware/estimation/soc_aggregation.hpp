#pragma once
// The BDU's SOC from its modules': weighted by each module's capacity (its learned share of the
// nominal capacity, from MODULE_ESTIMATES; nominal until the first frame), so that the SOC is the
// share of the BDU's charge that is left. The uncertainty is weighted the same way and summed
// linearly (the modules' errors share their cause: one model, one sensor design), and the
// calibration request is raised when any module asks. docs/firmware.md, "State estimation".
#include <cstdint>

namespace bts::firmware {

struct ModuleSocShare {
  std::int32_t soc_permille = 0;
  std::int32_t soc_uncertainty_permille = 0;
  std::int32_t capacity_permille = 1000;  // learned capacity against the nominal
  bool calibration_request = false;
};

struct AggregateSoc {
  std::int32_t soc_permille = 0;
  std::int32_t soc_uncertainty_permille = 0;
  std::int32_t capacity_permille = 1000;  // mean over the modules (the BDU's SOH)
  bool calibration_request = false;
  int modules = 0;
};

/// Adds modules one by one; result() is the capacity-weighted aggregate of those added.
class SocAggregator {
 public:
  void add(const ModuleSocShare& module) {
    const std::int64_t weight = module.capacity_permille > 0 ? module.capacity_permille : 1;
    weighted_soc_ += weight * module.soc_permille;
    weighted_uncertainty_ += weight * module.soc_uncertainty_permille;
    total_weight_ += weight;
    calibration_request_ |= module.calibration_request;
    ++modules_;
  }
  AggregateSoc result() const {
    AggregateSoc out;
    out.modules = modules_;
    out.calibration_request = calibration_request_;
    if (modules_ == 0) return out;
    out.soc_permille =
        static_cast<std::int32_t>((weighted_soc_ + total_weight_ / 2) / total_weight_);
    out.soc_uncertainty_permille =
        static_cast<std::int32_t>((weighted_uncertainty_ + total_weight_ / 2) / total_weight_);
    out.capacity_permille = static_cast<std::int32_t>(total_weight_ / modules_);
    return out;
  }

 private:
  std::int64_t weighted_soc_ = 0;
  std::int64_t weighted_uncertainty_ = 0;
  std::int64_t total_weight_ = 0;
  bool calibration_request_ = false;
  int modules_ = 0;
};

}  // namespace bts::firmware
