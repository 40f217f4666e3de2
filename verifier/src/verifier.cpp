#include "sluice/verify/verifier.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "checks.h"
#include "pset.h"
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
        {"V014", "budget_exceeded", Severity::Error},
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

namespace {

size_t currentRssBytes() {
    std::ifstream in("/proc/self/statm");
    size_t pages = 0, resident = 0;
    in >> pages >> resident;
    return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t peakRssBytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<size_t>(u.ru_maxrss) * 1024;
}

std::string mb(size_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MB"; }

}  // namespace

Report verifyPolicy(std::shared_ptr<const lang::Policy> policy, const VerifyOptions& options) {
    auto start = std::chrono::steady_clock::now();
    Report report;
    size_t budget = options.memoryBudgetMB << 20;
    report.memoryBudgetBytes = budget;
    auto& ps = pset::Space::open(budget / 2);
    z3::set_param("memory_max_size", std::to_string(options.memoryBudgetMB).c_str());
    CheckContext cc(policy, options, report);
    // Each check runs on its own: one that hits the budget is named and the others still run.
    auto stage = [&](const char* name, void (*check)(CheckContext&)) {
        if (options.progress) options.progress->stage(name, 0);
        try {
            check(cc);
        } catch (const BudgetExceeded& e) {
            cc.add(FindingKind::Budget,
                   std::string("check stopped: ") + e.what() + " exceeded the BDD share of the "
                       "memory budget (" + mb(ps.peakBytes()) + " of nodes, budget " +
                       mb(budget) + ")",
                   {});
            pset::Space::open(budget / 2);
        } catch (const z3::exception& e) {
            std::string msg = e.msg();
            if (msg.find("memory") != std::string::npos)
                cc.add(FindingKind::Budget,
                       std::string("check stopped: the ") + name + " exceeded the memory budget "
                           "in Z3 (" + msg + ", budget " + mb(budget) + ")",
                       {});
            else
                cc.add(FindingKind::Internal, std::string("internal error: Z3: ") + msg, {});
        } catch (const std::exception& e) {
            cc.add(FindingKind::Internal, std::string("internal error: ") + e.what(), {});
        }
        size_t rss = currentRssBytes();
        if (budget != 0 && rss > budget)
            cc.add(FindingKind::Budget,
                   std::string("the ") + name + " exceeded the memory budget: resident set " +
                       mb(rss) + " after it, budget " + mb(budget),
                   {});
    };
    if (options.ruleChecks) stage("rule checks", checkRules);
    if (options.routeChecks) stage("route checks", checkRoutes);
    if (options.creditChecks) stage("credit checks", checkCredits);
    if (options.assertions) stage("assertions", checkAssertions);
    report.solverCalls = cc.smt.checks;
    report.bddPeakBytes = ps.peakBytes();
    report.peakRssBytes = peakRssBytes();
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace sluice::verify
