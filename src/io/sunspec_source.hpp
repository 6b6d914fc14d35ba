#pragma once
// The SunSpec values of a running simulation: what each BDU controller knows (its measurements,
// state, limits, codes and its module table from the Link bus), never the plant's ground truth.
#include "firmware/inverter/sunspec_values.hpp"
#include "plant/system_description.hpp"
#include "sim/lockstep_runner.hpp"

namespace bts::io {

/// One BDU's values from its controller; module_count is how many modules are installed.
firmware::sunspec::BduValues sunspec_bdu_values(const firmware::BduController& bdu,
                                                int module_count, double time_s);

/// Every BDU of the running system (the description says how many BDUs and modules).
firmware::sunspec::SunSpecValues sunspec_values(sim::LockstepRunner& runner,
                                                const plant::SystemDescription& description);

}  // namespace bts::io
