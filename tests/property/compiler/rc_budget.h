// Number of rapidcheck cases per property: the `fast` build of a property test runs a bounded
// number (SLUICE_RC_CASES), the `slow` build more. RC_PARAMS in the environment still wins.
#pragma once

#include <cstdlib>
#include <string>

#ifndef SLUICE_RC_CASES
#define SLUICE_RC_CASES 100
#endif

namespace sluice::testing {
inline const bool kRcBudgetSet = [] {
    std::string p = "max_success=" + std::to_string(SLUICE_RC_CASES);
    return setenv("RC_PARAMS", p.c_str(), 0) == 0;
}();
}  // namespace sluice::testing
