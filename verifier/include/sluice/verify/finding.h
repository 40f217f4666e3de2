// Typed results of the verifier (Batfish style): every finding names its kind, its severity,
// the policy elements involved (with source ranges) and, where a packet exists, a witness
// that was replayed through the reference interpreter before it is reported.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/diag.h"
#include "sluice/lang/model.h"

namespace sluice::verify {

using lang::Severity;

enum class FindingKind {
    Shadowed,          // V001 rule can never win; `rules` = [rule, shadowing rules...]
    Redundant,         // V002 removing the rule changes no outcome; [rule, rules that take over]
    Conflict,          // V003 overlapping rules, different actions, priority decides; [winner, loser]
    Unmatchable,       // V004 rule whose conditions can never hold together
    GroupNeverHolds,   // V005 group whose conditions never hold
    DefaultNever,      // V006 layer default never reached (note)
    DefaultAlways,     // V007 layer default always reached
    Blackhole,         // V008 address space with no route in a route table
    HiddenRoute,       // V009 route hidden by more specific routes
    EcmpUnusable,      // V010 ECMP group with no usable member or zero total weight
    CreditOverbooked,  // V011 sum of credit bases over ports exceeds the host total
    CreditInconsistent,// V012 credit parameters inconsistent
    Assertion,         // V013 a policy assertion that does not hold
    Budget,            // V014 a check stopped at the memory budget (VerifyOptions::memoryBudgetMB)
    Internal,          // V099 the encoding and the interpreter disagree (a bug)
};

// Stable id ("V001"), JSON name ("shadowed"), default severity.
const char* findingId(FindingKind kind);
const char* findingName(FindingKind kind);
Severity findingSeverity(FindingKind kind);

// A policy element involved in a finding.
struct Involved {
    std::string name;  // "layer.rule", "routes.prefix", "credit", ... as shown to the operator
    lang::SourceRange range;
};

// A concrete packet: the headers where the check applies (a layer's input, a port's ingress).
struct Witness {
    lang::Headers headers;
    std::string where;  // "layer acl out", "port web1 out", "route table vnet"
    std::optional<std::string> port;  // ingress port when the witness is a whole-pipeline packet
    std::optional<lang::Direction> dir;
    std::string replay;  // what the interpreter did with it, one line
};

struct Finding {
    FindingKind kind;
    Severity severity;
    std::string message;
    lang::SourceRange range;        // primary location
    std::vector<Involved> involved;  // first = the subject; then the others
    std::optional<Witness> witness;
};

struct Report {
    std::vector<Finding> findings;
    // Statistics for the design note and the benchmark.
    size_t rulesChecked = 0;
    size_t solverCalls = 0;       // Z3 check() calls
    size_t geometricDecided = 0;  // rule questions decided without Z3
    size_t bddDecided = 0;        // of those, decided on BDDs (the boxes gave up)
    double seconds = 0;
    bool truncated = false;  // VerifyOptions::timeLimitSeconds ran out
    // Memory: the process's peak resident set after the run (getrusage), the peak BDD node
    // table of the run, and the budget the checks ran under.
    size_t peakRssBytes = 0;
    size_t bddPeakBytes = 0;
    size_t memoryBudgetBytes = 0;

    bool hasErrors() const;
};

// Every renderer shows at most `maxPerKind` findings of each kind (0: all), the first ones
// found; the rest are counted per kind (a 10K-rule set has ~10K redundant rules). The summary
// counts always cover every finding.
inline constexpr size_t kDefaultMaxFindingsPerKind = 50;

// clang-style text (FILE:LINE:COL: warning: ... [V001], source line, caret, notes), then
// "N more KIND finding(s) not shown" per capped kind.
void printReport(std::ostream& out, const lang::Policy& policy, const Report& report,
                 bool color = false, size_t maxPerKind = 0);
// {"findings":[{"id","kind","severity","message","file","line","col","rules":[...],
//   "locations":[...],"witness":"packet text"|null,"witness_headers":{...},...}], "summary":{},
//  "omitted":{"KIND": count, ...}}
std::string reportToJson(const lang::Policy& policy, const Report& report,
                         size_t maxPerKind = 0);
// SARIF 2.1.0 log with one run (tool "sluice-verify"), one result per shown finding; the run's
// properties carry the omitted counts.
std::string reportToSarif(const lang::Policy& policy, const Report& report,
                          size_t maxPerKind = 0);

// Packet text of a witness (DESIGN.md section 5 form) and the full header set as JSON text.
std::string witnessText(const lang::Headers& headers);

}  // namespace sluice::verify
