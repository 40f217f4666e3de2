// The pipeline IR (namespace sluice::ir): what the compiler knows about one policy between the
// model and LLVM. Per (layer, direction) a LayerIR holds its groups; each group's rules are a
// Table of rows (boxes over the table's dimensions, first match wins) plus a classifier chosen
// by the cost model; actions are header-transposition programs (VFP 6.1), deduplicated.
//
// Invariants (checked by verifyModule):
//  - every Row has one DimMatch per table dimension; rows are in first-match order;
//  - a table's classifier refers only to its own rows; tree leaves list rows in ascending order;
//  - every rule reference names an action that exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::ir {

using lang::Direction;
using lang::Family;
using lang::Field;
using lang::u128;

// One dimension of one row: the exact set of field values it accepts. `any` accepts everything
// (the rule has no condition on the field). Otherwise the packet's field must lie in [lo, hi]
// and, for IP fields, have family `family`.
struct DimMatch {
    bool any = true;
    u128 lo = 0;
    u128 hi = 0;
    Family family = Family::None;
};

// A box: one alternative of a rule once its OR-conditions are expanded.
struct Row {
    uint32_t rule = 0;    // table-local rule index (priority order in the source group)
    int lpmLen = -1;      // LPM groups: prefix length this row stands for (-1: none)
    std::vector<DimMatch> dims;
};

enum class ClassifierKind : uint8_t { Linear, Hash, Interval, Tree };
const char* classifierName(ClassifierKind k);

// A decision-tree node over 64-bit projected keys (keys.h): key[dim] <= split goes left.
// A child >= 0 is a node; ~child >= 0 (child < 0) is a leaf index.
struct TreeNode {
    uint32_t dim = 0;
    uint64_t split = 0;
    int32_t left = 0;
    int32_t right = 0;
};

struct Classifier {
    ClassifierKind kind = ClassifierKind::Linear;
    std::string why;  // the cost model's reasoning, for dumps
    double cost = 0;  // estimated per-lookup cost (abstract units)
    // Tree
    std::vector<TreeNode> nodes;        // nodes[0] is the root (empty: the root is leaf 0)
    std::vector<uint32_t> leafBegin;    // leaf i lists leafRows[leafBegin[i], leafEnd[i])
    std::vector<uint32_t> leafEnd;
    std::vector<uint32_t> leafRows;     // row indices
    // Interval (one narrow dimension): elementary intervals start at bounds[i]; winner or -1
    uint32_t intervalDim = 0;
    std::vector<uint64_t> bounds;
    std::vector<int32_t> winners;
    // Hash (all rows exact points on every dimension): open addressing, slot = row + 1 or 0
    std::vector<uint32_t> slots;
    uint64_t hashSeed = 0;

    size_t memoryBytes() const;
};

struct Table {
    std::string name;              // "layer/out/group" for messages
    std::vector<Field> dims;
    std::vector<bool> wide;        // IP dims holding IPv6 values: exact check on 128 bits
    std::vector<Row> rows;         // first-match order
    Classifier cls;
};

// One step of a header-transposition program.
struct TranspositionOp {
    enum Kind : uint8_t { Decap, Set, Encap } kind = Set;
    Field field = Field::Dscp;  // Set
    u128 value = 0;             // Set
    Family family = Family::None;
    uint32_t vni = 0;           // Encap
    lang::IpAddr outerSrc, outerDst;
};

struct ActionProgram {
    lang::Verdict verdict = lang::Verdict::Deny;
    std::vector<TranspositionOp> ops;
    std::optional<uint32_t> routeTable;
    std::optional<uint32_t> meter;
    bool operator==(const ActionProgram& o) const;
};

struct RuleRef {
    uint32_t globalId = 0;  // index into Module::rules
    uint32_t action = 0;    // index into Module::actions
    bool terminating = false;
    bool stateful = false;
    bool log = false;
};

struct GroupIR {
    uint32_t groupIndex = 0;
    std::string name;
    bool lpm = false;
    Table conditions;            // holds when any row matches; no dims: always holds
    Table table;                 // the rules
    std::vector<RuleRef> rules;  // by table-local rule index
};

struct LayerIR {
    uint32_t layer = 0;
    Direction dir = Direction::Out;
    std::string name;
    std::vector<GroupIR> groups;
    uint32_t defaultAction = 0;
    bool audit = false;  // a deny is reported in sl_result.audit_mask and lets the packet on
};

struct NextHop {
    lang::NextHopKind kind = lang::NextHopKind::Drop;
    uint32_t index = 0;  // port or ECMP group
    lang::IpAddr address;
};

struct RouteTableIR {
    std::string name;
    Table table;                // one dimension: dst_ip; rows in LPM order; row.rule = route
    std::vector<NextHop> hops;  // by route index
};

struct PortPipeline {
    uint32_t port = 0;
    Direction dir = Direction::Out;
    std::string portName;
    std::vector<uint32_t> layers;  // indices into Module::layers, traversal order
    std::vector<uint32_t> policyLayers;  // Policy::layers indices, traversal order
};

struct RuleInfo {
    std::string layer, group, rule;
    uint32_t layerIndex = 0, groupIndex = 0, ruleIndex = 0, priority = 0;
    Direction dir = Direction::Out;
    lang::Verdict verdict = lang::Verdict::Deny;
    std::optional<uint32_t> routeTable, meter;
    uint64_t idleTimeoutMs = 0;
    bool terminating = false, stateful = false, log = false;
};

struct Module {
    uint64_t policyHash = 0;
    std::vector<std::string> layerNames;
    std::vector<RuleInfo> rules;
    std::vector<ActionProgram> actions;
    std::vector<LayerIR> layers;
    std::vector<RouteTableIR> routes;
    std::vector<PortPipeline> pipelines;  // index = port * 2 + direction
};

// Printer: a readable dump of the module (tables abbreviated past `maxRows` rows).
std::string printModule(const Module& m, size_t maxRows = 16);
std::string printTable(const Table& t, size_t maxRows = 16);
// Structural verifier; returns the first violated invariant.
std::optional<std::string> verifyModule(const Module& m);

// Exact first-match of a table on a packet, by scanning the rows (the meaning of the table,
// independent of its classifier). -1 when no row matches.
int scanTable(const Table& t, const lang::Headers& h);
// The classifier's answer (tree walk / hash / interval / linear) on the projected keys.
int classifyTable(const Table& t, const lang::Headers& h);
bool rowMatches(const Table& t, const Row& r, const lang::Headers& h);

}  // namespace sluice::ir
