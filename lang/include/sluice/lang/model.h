// The policy model: resolved, typed and immutable, with source spans. It is the one thing the
// verifier, the compiler, the interpreter and the runtime consume; no parser type leaks here.
//
// Normalisation done by the front end so consumers stay simple:
//  - constants and imports are gone (values inlined, declarations merged into one Policy);
//  - every match value is a closed interval [lo, hi] over the field's width (an exact value is
//    [v, v]; a prefix is its address block, with prefixLen kept for LPM and printing);
//  - rules inside a group and groups inside a layer direction are sorted by priority (lower
//    number first); priorities are unique there;
//  - references (layers of a port, route tables, ECMP groups, meters, credits) are indices.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/packet.h"
#include "sluice/lang/source.h"

namespace sluice::lang {

// One alternative of a condition: field value in [lo, hi]. For IP fields `family` is V4 or V6
// and the packet's address must be of that family; for other fields it is None.
struct MatchValue {
    u128 lo = 0;
    u128 hi = 0;
    Family family = Family::None;
    int prefixLen = -1;  // >= 0 when written as a prefix (or a single address: full length)
    SourceRange range;

    bool contains(u128 v, Family f) const { return f == family && lo <= v && v <= hi; }
};

// Holds when the field matches any of the values (OR).
struct Condition {
    Field field;
    std::vector<MatchValue> values;
    SourceRange range;
};

enum class Verdict : uint8_t { Allow, Deny };
inline const char* verdictName(Verdict v) { return v == Verdict::Allow ? "allow" : "deny"; }

// `set FIELD VALUE`: NAT of addresses and ports, DSCP marking, MAC rewrite.
struct Rewrite {
    Field field;
    u128 value = 0;
    Family family = Family::None;  // IP fields only
    SourceRange range;
};

// `encap vxlan vni N src A dst B`: push an outer header. The metadata then has vni/outer_*
// set; later layers match them.
struct Encap {
    uint32_t vni = 0;
    IpAddr outerSrc;
    IpAddr outerDst;
    SourceRange range;
};

// A rule's (or a layer default's) action. `Deny` drops and carries nothing else. An allowing
// action applies, in this order: decap, rewrites, encap; route and meter are remembered for
// the end of the pipeline (the last layer that names a route table decides the table).
struct Action {
    Verdict verdict = Verdict::Deny;
    bool decap = false;
    std::vector<Rewrite> rewrites;
    std::optional<Encap> encap;
    std::optional<uint32_t> routeTable;  // index into Policy::routeTables
    std::optional<uint32_t> meter;       // index into Policy::meters
    SourceRange range;

    bool isTransposition() const { return decap || !rewrites.empty() || encap.has_value(); }
};

struct Rule {
    std::string name;  // unique within its layer
    uint32_t priority = 0;
    std::vector<Condition> conditions;  // AND; empty = matches everything
    Action action;
    bool terminating = false;
    bool stateful = false;
    uint64_t idleTimeoutMs = 0;  // stateful only; 0 = the runtime default
    bool log = false;  // `log`: the runtime writes a flow-log event when this rule decides
    SourceRange range;
};

enum class GroupMode : uint8_t { Priority, Lpm };

struct Group {
    std::string name;
    uint32_t priority = 0;
    std::vector<Condition> conditions;  // group is skipped unless all hold
    GroupMode mode = GroupMode::Priority;
    Field lpmField = Field::DstIp;  // GroupMode::Lpm only
    std::vector<Rule> rules;        // sorted by priority
    SourceRange range;
};

struct Layer {
    std::string name;
    std::vector<Group> groups[2];  // indexed by Direction; sorted by priority
    Action defaultAction[2];       // indexed by Direction; verdict only
    // `audit;`: when the layer's result (a rule or the default) denies, the packet goes on as
    // if the layer had allowed it with no transposition, route or meter, and the would-deny
    // is recorded (interp::LayerStep::auditDeny). docs/language.md "Audit mode".
    bool audit = false;
    SourceRange auditRange;  // where `audit;` is written (when audit)
    SourceRange range;

    const std::vector<Group>& groupsFor(Direction d) const {
        return groups[static_cast<int>(d)];
    }
    const Action& defaultFor(Direction d) const { return defaultAction[static_cast<int>(d)]; }
};

enum class NextHopKind : uint8_t { Port, Host, Gateway, Ecmp, Drop };

struct RouteEntry {
    IpAddr prefix;  // network address
    int prefixLen = 0;
    NextHopKind kind = NextHopKind::Drop;
    uint32_t port = 0;  // Port: index into Policy::ports
    uint32_t ecmp = 0;  // Ecmp: index into Policy::ecmpGroups
    IpAddr address;     // Host / Gateway: underlay address
    SourceRange range;
};

struct RouteTable {
    std::string name;
    std::vector<RouteEntry> routes;  // in source order; lookup is longest prefix
    SourceRange range;
};

struct HealthProbe {
    uint64_t intervalMs = 1000;
    uint64_t timeoutMs = 500;
    uint32_t downAfter = 3;  // consecutive failures that mark a member down
    uint32_t upAfter = 2;    // consecutive successes that mark it up again
};

struct EcmpMember {
    std::string name;
    IpAddr address;
    uint32_t weight = 1;
    SourceRange range;
};

struct EcmpGroup {
    std::string name;
    std::vector<EcmpMember> members;
    std::vector<Field> hashFields;  // default: the 5-tuple
    std::optional<HealthProbe> probe;
    SourceRange range;
};

struct Meter {
    std::string name;
    uint64_t rateBps = 0;  // one of rateBps / ratePps is non-zero
    uint64_t ratePps = 0;
    uint64_t burstBytes = 0;
    SourceRange range;
};

// One resource of an Achelous credit policy (Algorithm 1). Bandwidth values are bits per
// second; CPU values are fractions of one core (0.2 = 20%).
struct CreditSpec {
    double base = 0;       // guaranteed
    double max = 0;        // ceiling while credit remains
    double hostTotal = 0;  // capacity of the host for this resource
    uint64_t capMs = 0;    // credit cap, as time at full (max - base) burst
    double consume = 1.0;  // consumption rate C, 0 < C <= 1
    SourceRange range;
};

struct CreditPolicy {
    std::string name;
    std::optional<CreditSpec> bandwidth;
    std::optional<CreditSpec> cpu;
    SourceRange range;
};

// A vNIC.
struct Port {
    std::string name;
    uint64_t mac = 0;
    std::vector<IpAddr> ips;
    uint32_t vni = 0;
    std::vector<uint32_t> layers;  // indices into Policy::layers, VM side first
    std::optional<uint32_t> credit;  // index into Policy::credits
    SourceRange range;
};

enum class AssertKind : uint8_t { Isolated, ReachableSome, ReachableEvery };

// `assert NAME isolated|reachable [some|every] FROM -> TO [match CONDS]`: over packets whose
// source address is in `from` and whose destination is in `to` (and that satisfy `conditions`),
// isolated = none is delivered; reachable some = at least one is; every = all are.
struct Assertion {
    std::string name;
    AssertKind kind = AssertKind::Isolated;
    std::vector<MatchValue> from;  // address intervals (src_ip)
    std::vector<MatchValue> to;    // address intervals (dst_ip)
    std::vector<Condition> conditions;
    SourceRange range;
};

struct Policy {
    std::shared_ptr<const SourceManager> sources;
    std::vector<Layer> layers;
    std::vector<Port> ports;
    std::vector<RouteTable> routeTables;
    std::vector<EcmpGroup> ecmpGroups;
    std::vector<Meter> meters;
    std::vector<CreditPolicy> credits;
    std::vector<Assertion> assertions;

    // Lookups by name; -1 when absent.
    int findPort(std::string_view name) const;
    int findLayer(std::string_view name) const;
    int findRouteTable(std::string_view name) const;
    int findEcmpGroup(std::string_view name) const;
};

}  // namespace sluice::lang
