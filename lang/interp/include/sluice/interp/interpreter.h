// The reference interpreter: the executable semantics of DESIGN.md section 3. Slow and plain on
// purpose; the Z3 encoding and the generated code are checked against it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::interp {

using lang::Direction;
using lang::Headers;
using lang::Verdict;

// What one layer decided for a packet.
struct LayerStep {
    uint32_t layer = 0;                // index into Policy::layers
    std::optional<uint32_t> group;     // index into the layer's groups for the direction
    std::optional<uint32_t> rule;      // index into that group's rules
    bool viaSession = false;           // matched a stateful session pair; rules skipped
    // The winning rule has the `log` flag (the runtime writes a flow-log event).
    bool logged = false;
    // An audit layer (Layer::audit) whose result denied: recorded here, and the layer let the
    // packet go on as an allow with no transposition, route or meter (`verdict` is Allow).
    bool auditDeny = false;
    Verdict verdict = Verdict::Deny;
    Headers after;                     // metadata leaving the layer
    std::optional<uint32_t> meter;     // index into Policy::meters when the action meters
};

enum class OutputKind : uint8_t { Drop, Vm, Uplink, Port, Host, Gateway, Ecmp };

// Where the packet goes. Outbound with no route: Uplink. Inbound with no route: Vm (deliver to
// the port's own VM). A route lookup with no matching prefix, or `-> drop`: Drop.
struct Output {
    OutputKind kind = OutputKind::Drop;
    uint32_t index = 0;   // Port: Policy::ports; Ecmp: Policy::ecmpGroups; Vm: the port
    lang::IpAddr address; // Host / Gateway
    // "port:web1", "host:192.168.0.2", "gateway:...", "ecmp:fw", "uplink", "vm:web1", "drop"
    std::string str(const lang::Policy& policy) const;
};

struct Result {
    Verdict verdict = Verdict::Deny;
    Headers headers;                  // final metadata (all transpositions applied)
    Output output;
    std::vector<LayerStep> layers;    // layers evaluated, in traversal order
    std::string dropReason;           // "layer acl", "no route", ... when dropped

    // Whether a logged rule decided at some layer, and whether an audit layer would have
    // denied (what makes the runtime write a flow-log event besides `all_drops`).
    bool logged() const;
    bool auditDenied() const;
};

class Interpreter {
public:
    explicit Interpreter(std::shared_ptr<const lang::Policy> policy);

    // Evaluates one packet through port `port` (index into Policy::ports) in direction `dir`.
    // Stateful rules record session pairs here, so later packets of the reverse direction
    // see them (call clearSessions() to forget). A pair is recorded only for a packet that is
    // delivered (not dropped by a later layer or the route lookup). Its key is the reply's
    // flow at the layer: family, addresses and ports swapped, protocol, ICMP type/code kept.
    Result evaluate(uint32_t port, Direction dir, const Headers& packet);

    // The session pairs one evaluation would record, for the network-level path (network.h):
    // evaluateHop() appends them to `pending` instead of recording them, and commit() records
    // them once the whole path has delivered the packet.
    struct PendingSession {
        std::string key;
        Headers restore;      // reverse of the headers entering the layer
        uint32_t fields = 0;  // bit set of the Fields to restore
    };
    Result evaluateHop(uint32_t port, Direction dir, const Headers& packet,
                       std::vector<PendingSession>& pending);
    void commit(std::vector<PendingSession>& pending);

    // Whether a packet travelling `dir` through `port`, as given, matches a session pair at
    // one of the port's layers (the uplink delivers such a packet, e.g. the reply to an SNAT'd
    // flow, to the port that recorded the pair).
    bool hasSessionFor(uint32_t port, Direction dir, const Headers& packet) const;

    void clearSessions();
    size_t sessionCount() const;

    const lang::Policy& policy() const { return *policy_; }

private:
    struct SessionKey;
    std::shared_ptr<const lang::Policy> policy_;
    // Keyed by (port, layer, direction the reply travels, reply 5-tuple as seen at the layer).
    std::map<std::string, Headers> sessions_;
    // Same keys: bit set of the Fields the layer rewrote, which the pair restores.
    std::map<std::string, uint32_t> sessionFields_;
};

// JSON object of a result, per the `sluice eval --json` contract: verdict, output, headers
// (as packet text plus fields), layers [{layer, group, rule, session}], drop_reason.
std::string resultToJson(const lang::Policy& policy, uint32_t port, Direction dir,
                         const Result& result);
// Human-readable multi-line trace.
std::string resultToText(const lang::Policy& policy, uint32_t port, Direction dir,
                         const Result& result);

}  // namespace sluice::interp
