#include "sluice/verify/verifier.h"

#include <chrono>

#include "checks.h"
#include "replay.h"

namespace sluice::verify {

namespace {

struct KindInfo {
    const char* id;
    const char* name;
    Severity severity;
};

const KindInfo& info(FindingKind kind) {
    static const KindInfo kInfo[] = {
        {"V001", "shadowed", Severity::Warning},
        {"V002", "redundant", Severity::Warning},
        {"V003", "conflict", Severity::Warning},
        {"V004", "unmatchable", Severity::Warning},
        {"V005", "group_never_holds", Severity::Warning},
        {"V006", "default_never_reached", Severity::Note},
        {"V007", "default_always_reached", Severity::Warning},
        {"V008", "blackhole", Severity::Warning},
        {"V009", "hidden_route", Severity::Warning},
        {"V010", "ecmp_unusable", Severity::Error},
        {"V011", "credit_overbooked", Severity::Error},
        {"V012", "credit_inconsistent", Severity::Error},
        {"V013", "assertion", Severity::Error},
        {"V099", "internal", Severity::Error},
    };
    return kInfo[static_cast<size_t>(kind)];
}

}  // namespace

const char* findingId(FindingKind kind) { return info(kind).id; }
const char* findingName(FindingKind kind) { return info(kind).name; }
Severity findingSeverity(FindingKind kind) { return info(kind).severity; }

bool Report::hasErrors() const {
    for (const auto& f : findings)
        if (f.severity == Severity::Error) return true;
    return false;
}

void CheckContext::internalError(const std::string& what, const Finding* about) {
    Finding f{FindingKind::Internal, Severity::Error,
              "internal error: the Z3 encoding and the reference interpreter disagree: " + what,
              about ? about->range : lang::SourceRange{}, {}, std::nullopt};
    if (about) {
        f.involved = about->involved;
        f.witness = about->witness;
    }
    // Appending may reallocate: `about` is not used after this point.
    report.findings.push_back(std::move(f));
}

std::optional<lang::Headers> CheckContext::replayHeaders(const Finding& f) {
    auto printed = replay::printedPacket(f.witness->headers);
    if (printed.error.empty()) return printed.headers;
    internalError(printed.error, &f);
    return std::nullopt;
}

Report verifyPolicy(std::shared_ptr<const lang::Policy> policy, const VerifyOptions& options) {
    auto start = std::chrono::steady_clock::now();
    Report report;
    CheckContext cc(policy, options, report);
    try {
        if (options.ruleChecks) checkRules(cc);
        if (options.routeChecks) checkRoutes(cc);
        if (options.creditChecks) checkCredits(cc);
        if (options.assertions) checkAssertions(cc);
    } catch (const z3::exception& e) {
        cc.add(FindingKind::Internal, std::string("internal error: Z3: ") + e.msg(), {});
    } catch (const std::exception& e) {
        cc.add(FindingKind::Internal, std::string("internal error: ") + e.what(), {});
    }
    report.solverCalls = cc.smt.checks;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace sluice::verify
