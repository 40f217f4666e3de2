// The symbolic semantics of DESIGN.md section 3: a layer's decision (groups, priority and lpm
// winners, terminating, default) and a port's pipeline (layers in traversal order, rewrites,
// encap/decap, route selection and longest-prefix route lookup). Batfish style: first-match
// is a fold over the rules; every outcome has a selector literal, exactly one of which holds.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "smt.h"

namespace sluice::verify::enc {

using lang::Direction;
using smt::Context;
using smt::SymHeaders;

// Numeric interp::OutputKind values.
enum OutKind : unsigned { kDrop = 0, kVm = 1, kUplink = 2, kPort = 3, kHost = 4, kGateway = 5,
                          kEcmp = 6 };

// Keeps only some rules of a group (diff pruning); null keeps all.
using RuleFilter = std::function<bool(uint32_t group, uint32_t rule)>;

// One group: whether its conditions hold, each rule's match and win literal, whether some
// rule wins and whether the winner is terminating. `keep` drops rules (absent entries).
struct GroupEnc {
    z3::expr holds;
    std::vector<std::optional<z3::expr>> match;
    std::vector<std::optional<z3::expr>> win;
    z3::expr any;
    z3::expr term;
};
GroupEnc encodeGroup(Context& ctx, const lang::Group& group, const SymHeaders& in,
                     const std::function<bool(uint32_t)>& keep = nullptr);

struct LayerEnc {
    uint32_t layer = 0;
    Direction dir = Direction::Out;
    std::vector<std::vector<std::optional<z3::expr>>> match;  // [g][r], absent when filtered
    std::vector<std::vector<std::optional<z3::expr>>> win;    // rule wins its group
    std::vector<std::vector<std::optional<z3::expr>>> sel;    // rule decides the layer
    std::vector<z3::expr> groupHolds;
    std::vector<z3::expr> has;                                // group has a winner
    z3::expr selDefault;
    z3::expr allow;
    z3::expr routes;  // the decision names a route table
    z3::expr table;   // BV32 index of that table
    // Audit layer (Layer::audit) whose decision denies: `allow` holds and nothing is applied.
    z3::expr auditDeny;
    SymHeaders after;
};

LayerEnc encodeLayer(Context& ctx, const lang::Policy& policy, uint32_t layer, Direction dir,
                     const SymHeaders& in, const RuleFilter& filter = nullptr);

// Headers after `action` (an allowing one) for the packets where `when` holds.
void applyAction(Context& ctx, SymHeaders& h, const z3::expr& when, const lang::Action& action);

struct PipelineEnc {
    std::vector<LayerEnc> layers;   // traversal order
    std::vector<z3::expr> reached;  // layer evaluated (all earlier layers allowed)
    z3::expr allow;
    SymHeaders out;
    z3::expr outKind;   // BV3
    z3::expr outIndex;  // BV32
    z3::expr outAddr;   // BV128
    z3::expr outFam;    // BV2
};

// A session pair a stateful winner of an earlier packet left at one layer of the port, for
// packets of the other direction (the interpreter's pairs): when `active` and the packet's
// flow at the layer equals `key`'s (family, addresses, protocol, ports, ICMP type/code), the
// layer skips its rules, allows, and restores the fields where `restore` and `key` differ.
struct SessionAt {
    z3::expr active;
    SymHeaders key;      // the reply of the headers leaving the layer
    SymHeaders restore;  // the reply of the headers entering it
};
using Sessions = std::map<uint32_t, SessionAt>;  // by layer index

// `layerFilter(layerIndex)` gives the rule filter for that layer (or null); `sessions` the
// pairs the packet may meet at this port and direction (none: a first packet).
PipelineEnc encodePipeline(Context& ctx, const lang::Policy& policy, uint32_t port, Direction dir,
                           const SymHeaders& in,
                           const std::function<RuleFilter(uint32_t)>& layerFilter = nullptr,
                           const Sessions* sessions = nullptr);

// The pairs a pipeline run records (its stateful winners), for the reverse direction; each
// active only where `delivered` holds.
Sessions sessionsOf(Context& ctx, const lang::Policy& policy, const PipelineEnc& p,
                    const SymHeaders& in, const z3::expr& delivered);

// lang::replyHeaders as formulas: addresses, ports, MACs and tunnel endpoints swapped, an ICMP
// query's type answered.
SymHeaders replyOf(Context& ctx, const SymHeaders& h);

// Longest-prefix lookup of `dst` in a table: kind/index/address/family of the output.
struct RouteOut {
    z3::expr kind, index, addr, fam;
};
RouteOut encodeRouteLookup(Context& ctx, const lang::Policy& policy, uint32_t table,
                           const z3::expr& dst, const z3::expr& dstFam);

// True when the two rules decide the same layer outcome (action, terminating, stateful).
bool sameOutcome(const lang::Rule& a, const lang::Rule& b);
bool sameAction(const lang::Action& a, const lang::Action& b);

}  // namespace sluice::verify::enc
