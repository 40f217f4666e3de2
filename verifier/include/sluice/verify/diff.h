// `sluice diff OLD NEW`: per port and direction, the classes of packets whose outcome
// (verdict, final headers, output) changed, each with a witness replayed through both
// policies' interpreters, the deciding rules in OLD and NEW, and a size measure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/model.h"
#include "sluice/verify/finding.h"

namespace sluice::verify {

// What decided a packet on one side: verdict, output and the rules per layer.
struct SideOutcome {
    lang::Verdict verdict = lang::Verdict::Deny;
    std::string output;                 // Output::str ("uplink", "port:web1", "drop", ...)
    std::string headers;                // final headers as packet text
    std::string rule;                   // the last deciding rule ("layer.rule" or "layer.default")
    std::vector<std::string> trace;     // deciding rule of every evaluated layer
    // A TCP SYN that the port passes: what happens to its SYN-ACK through the same port's
    // other direction (with the session pairs the SYN left), "deny (layer sg)", "allow ->
    // uplink"; empty otherwise.
    std::string reply;
};

struct Change {
    std::string port;  // port name, or "layer:NAME" for a layer attached to no port
    lang::Direction dir = lang::Direction::Out;
    lang::Headers witness;
    SideOutcome oldSide;
    SideOutcome newSide;
    double sizeLog2 = 0;   // log2 of the number of header values in the class's bounding box
    bool expected = true;  // false when --expect is used and no expectation covers it
    std::vector<lang::SourceRange> oldRanges;  // deciding rules' locations
    std::vector<lang::SourceRange> newRanges;
};

// An intended change, from an --expect file. One per line:
//   rule LAYER.RULE        changes decided by that rule (in OLD or NEW) are intended
//   port PORT [in|out]     any change on that port (and direction) is intended
//   # comment
struct Expectation {
    enum class Kind { Rule, Port } kind = Kind::Rule;
    std::string name;
    std::optional<lang::Direction> dir;
    int line = 0;
    bool used = false;
};
Expected<std::vector<Expectation>> parseExpectations(const std::string& text);

struct DiffOptions {
    size_t maxClassesPerPortDir = 64;
    bool replay = true;
    bool prune = true;  // restrict the solver to rules overlapping the changed rules
    // One changed verdict-only layer: classes from the changed rules' boxes (diff_geometric.h),
    // no solver. false: always Z3 (the property tests' cross-check).
    bool geometric = true;
    double timeLimitSeconds = 0;  // > 0: stop after this long (DiffReport::truncated)
};

struct DiffReport {
    std::vector<Change> changes;
    std::vector<std::string> portsAdded;
    std::vector<std::string> portsRemoved;
    std::vector<Finding> internalErrors;  // replays that disagreed
    std::vector<Expectation> expectations;
    size_t solverCalls = 0;
    size_t geometricLayers = 0;  // port directions answered by the geometric diff
    double seconds = 0;
    bool truncated = false;  // the time limit ran out: the list of changes may be incomplete

    bool different() const {
        return !changes.empty() || !portsAdded.empty() || !portsRemoved.empty();
    }
    // With expectations: anything unexpected, or an expectation that matched nothing.
    bool gateFailed() const;
};

DiffReport diffPolicies(std::shared_ptr<const lang::Policy> oldPolicy,
                        std::shared_ptr<const lang::Policy> newPolicy,
                        const DiffOptions& options = {},
                        std::vector<Expectation> expectations = {});

void printDiff(std::ostream& out, const lang::Policy& oldPolicy, const lang::Policy& newPolicy,
               const DiffReport& report);
// {"changes":[{"port","dir","witness","old":{"verdict","rule","output","headers","trace",
//   "reply"},
//   "new":{...},"size_log2","expected"}], "ports_added", "ports_removed", "internal_errors",
//   "unmet_expectations", "different"}
std::string diffToJson(const DiffReport& report);

}  // namespace sluice::verify
