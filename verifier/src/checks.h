// Shared state of one verification run and the entry points of the analyses. Each analysis
// lives in its own file pair (README.md explains each).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "smt.h"
#include "sluice/verify/verifier.h"

namespace sluice::verify {

// Thrown when a check's BDDs reach the node budget (pset::Space::exhausted); `what` names the
// check.
struct BudgetExceeded : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct CheckContext {
    std::shared_ptr<const lang::Policy> policy;
    const VerifyOptions& options;
    Report& report;
    smt::Context smt;

    CheckContext(std::shared_ptr<const lang::Policy> p, const VerifyOptions& o, Report& r)
        : policy(std::move(p)), options(o), report(r) {}

    Finding& add(FindingKind kind, std::string message, lang::SourceRange range) {
        Finding f{kind, findingSeverity(kind), std::move(message), range, {}, std::nullopt};
        report.findings.push_back(std::move(f));
        return report.findings.back();
    }
    // A replay that disagreed with the encoding's claim.
    void internalError(const std::string& what, const Finding* about);
    // What a finding's witness is replayed with: its printed text parsed back. When the text
    // does not carry the witness, adds a V099 error (which may move `f`) and gives nullopt.
    std::optional<lang::Headers> replayHeaders(const Finding& f);
};

std::string ruleName(const lang::Policy& policy, uint32_t layer, const lang::Rule& rule);

void checkRules(CheckContext& cc);       // rule_checks.cpp
void checkRoutes(CheckContext& cc);      // route_checks.cpp
void checkCredits(CheckContext& cc);     // credit_checks.cpp
void checkAssertions(CheckContext& cc);  // assertion_checks.cpp

}  // namespace sluice::verify
