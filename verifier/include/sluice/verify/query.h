// `sluice query`: an ad-hoc question (Batfish's searchFilters) over the network-level path.
// The header space is an assertion's class (src in FROM, dst in TO, match conditions); the
// answer is, per entry point (a port's VM sending, the wire for a port, the wire to no local
// address), the classes of packets with the asked outcome. A class is the set of packets of
// the space that take the same hops, are decided by the same rule at every layer they reach
// and leave with the same output; each comes with an example packet that was replayed from
// its printed text through the reference interpreter, which must agree on the verdict and on
// every deciding rule (an internal error otherwise).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/model.h"
#include "sluice/verify/finding.h"

namespace sluice::verify {

struct QuerySpace {
    std::vector<lang::MatchValue> from;  // source addresses
    std::vector<lang::MatchValue> to;    // destination addresses
    std::vector<lang::Condition> conditions;
};

struct QueryOptions {
    std::optional<lang::Verdict> verdict;  // none: classes of both outcomes
    size_t maxClassesPerEntry = 32;
    double timeLimitSeconds = 0;  // > 0: stop after this long (QueryReport::truncated)
};

struct QueryClass {
    std::string entry;  // "port web1 out", "port web1 in", "inbound from the wire, ..."
    std::optional<std::string> port;
    lang::Direction dir = lang::Direction::Out;
    lang::Verdict verdict = lang::Verdict::Deny;  // delivered (allow) or not (deny)
    lang::Headers example;
    std::string exampleText;          // the example's packet text, as replayed
    std::vector<std::string> rules;   // "PORT DIR: LAYER.RULE" (or LAYER.default) per layer
    std::vector<lang::SourceRange> ranges;  // the deciding rules' locations
    std::string output;               // the path's final output ("vm:web1", "uplink", ...)
    std::string replay;               // what the interpreter did with the example
    // A TCP SYN that is delivered: whether its SYN-ACK comes back (the connection is
    // established), with what happened to it.
    std::optional<bool> connects;
};

struct QueryReport {
    std::vector<QueryClass> classes;
    std::vector<Finding> internalErrors;  // replays that disagreed
    size_t entriesWithPackets = 0;        // entry points the space has packets at
    size_t solverCalls = 0;
    double seconds = 0;
    bool truncated = false;  // a class cap or the time limit stopped the search somewhere
};

QueryReport queryPolicy(std::shared_ptr<const lang::Policy> policy, const QuerySpace& space,
                        const QueryOptions& options = {});

void printQuery(std::ostream& out, const lang::Policy& policy, const QueryReport& report);
// {"classes":[{"entry","port","dir","verdict","example","rules":[...],"locations":[...],
//   "output","replay","connects"}], "entries_with_packets", "truncated", "internal_errors",
//   "solver_calls", "seconds"}
std::string queryToJson(const lang::Policy& policy, const QueryReport& report);

}  // namespace sluice::verify
