// Packets biased towards the policy's rule boundaries (prefix edges, range ends, overlapping
// rules of one group: priority ties) for `sluice proptest` and the benches.
#pragma once

#include <cstdint>
#include <random>

#include "sluice/lang/model.h"

namespace sluice::compiler {

class BoundarySampler {
public:
    BoundarySampler(const lang::Policy& policy, uint64_t seed);
    lang::Headers next();

private:
    void applyCondition(lang::Headers& h, const lang::Condition& c, bool inside);
    const lang::Policy& policy_;
    std::mt19937_64 rng_;
    std::vector<const lang::Group*> groups_;
};

}  // namespace sluice::compiler
