// `sluice verify`: every analysis of verifier/README.md over one policy.
#pragma once

#include <memory>

#include "sluice/support/progress.h"
#include "sluice/verify/finding.h"

namespace sluice::verify {

struct VerifyOptions {
    bool ruleChecks = true;       // shadowed, redundant, conflict, unmatchable, groups, defaults
    bool conflicts = true;        // conflict warnings (can be many on large rule sets)
    bool routeChecks = true;      // blackholes, hidden routes, ECMP
    bool creditChecks = true;
    bool assertions = true;
    bool replay = true;           // replay witnesses through the interpreter
    bool useGeometry = true;      // false: the naive per-rule Z3 scan (benchmark baseline)
    size_t boxCap = 256;          // max boxes in a geometric subtraction (then point search, Z3)
    double timeLimitSeconds = 0;  // > 0: stop the rule checks after this long (Report::truncated)
    // Memory budget: the BDD node table gets half of it, Z3 the whole (its memory_max_size),
    // and the process's resident set is checked after every check; a check that exceeds it
    // stops with a V014 finding naming it (the other checks still run). 0: no budget.
    size_t memoryBudgetMB = 4096;
    // Test-only: every coverage question of the geometric path on BDDs (no box containment,
    // subtraction or point search), and a deliberately broken BDD side (each rule's last
    // condition ignored) that the cross-check must catch.
    bool bddOnly = false;
    bool bddFaultDropLastCondition = false;
    Progress* progress = nullptr;  // told each check, and each group of the rule checks
};

Report verifyPolicy(std::shared_ptr<const lang::Policy> policy, const VerifyOptions& options = {});

}  // namespace sluice::verify
