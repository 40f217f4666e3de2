// Random policies and boundary-biased packets for compiler tests (rapidcheck generators are
// thin wrappers over these seeded functions, so failures replay from a seed).
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::testing {

struct RandomPolicyOptions {
    int maxRules = 40;      // per group
    bool bigGroups = true;  // sometimes 60-200 rules, to exercise trees, hashes and intervals
};

std::shared_ptr<lang::Policy> randomPolicy(std::mt19937_64& rng, const RandomPolicyOptions& o = {});
// A packet near a boundary of some rule of `policy` (or a random one).
lang::Headers randomPacket(std::mt19937_64& rng, const lang::Policy& policy);

}  // namespace sluice::testing
