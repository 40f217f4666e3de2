// Translation validation internals (target sluice_tv): the source side of a table built from
// the policy model with the interpreter's meaning, the box-arithmetic decision procedure, the
// Z3 fallback, and the checks of actions, route hops and pipelines. Reads the compiler's IR
// (sluice_compiler_internal); Z3 types stay in tv_smt.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ir/ir.h"
#include "sluice/compiler/compiler.h"

namespace sluice::tv {

using lang::Family;
using lang::Field;
using lang::u128;
using Box = std::vector<std::pair<uint64_t, uint64_t>>;  // per table dim, inclusive key range

// One source alternative, in the source's first-match order. `result` is the table-local rule
// index (groups), the route index (route tables) or 0 (group conditions).
struct SourceAlt {
    int result = -1;
    Box hull;                 // projected hull of everything the alternative matches
    std::vector<Box> boxes;   // exact: matches exactly the realizable packets in these boxes
    bool exact = false;
    // The model objects, for Z3 and concrete evaluation.
    const std::vector<lang::Condition>* conds = nullptr;  // AND of ORs
    std::optional<Field> lpmField;                         // skip this field's condition ...
    const lang::MatchValue* lpmValue = nullptr;            // ... and require this value
    const lang::RouteEntry* route = nullptr;
};

// An entry of a first-match list as the box procedure sees it.
struct Entry {
    const Box* box;
    int result;
    bool exact;  // the entry matches exactly the realizable packets in its box
    uint32_t alt = 0;  // source: index of its SourceAlt; lowered: row index
};

struct TableSource {
    const ir::Table* table = nullptr;
    std::vector<SourceAlt> alts;
    std::vector<Entry> entries;      // alts flattened (exact alts: one entry per box)
    std::set<Field> v6;              // fields holding IPv6 values on either side
    bool conditionsTable = false;    // a group's conditions: holds (0) or not (-1)
};

TableSource sourceOfGroup(const lang::Group& g, const ir::Table& t);
TableSource sourceOfConditions(const lang::Group& g, const ir::Table& t);
TableSource sourceOfRoutes(const lang::RouteTable& rt, const ir::Table& t);

Box fullBox(const ir::Table& t);
bool meets(const Box& b, const Box& region);
bool covers(const Box& b, const Box& region);

// Lowered rows as entries (exact unless a wide dimension is constrained); `boxes` must outlive
// the entries.
std::vector<Entry> rowEntries(const ir::Table& t, std::vector<Box>& boxes);

// Concrete answers on one packet: the source (first alternative whose model condition holds)
// and the lowered table (its classifier, as the generated code runs it).
int sourceAnswer(const TableSource& s, const lang::Headers& h);
int loweredAnswer(const ir::Table& t, bool conditionsTable, const lang::Headers& h);

// A packet whose keys are `keys` (one per table dim; each must be realizable).
lang::Headers packetOfKeys(const ir::Table& t, const std::vector<uint64_t>& keys);

// ---- box arithmetic (tv_boxes.cpp)
enum class Outcome : uint8_t { Equal, Differ, Unknown };
struct BoxDecision {
    Outcome outcome = Outcome::Unknown;
    std::vector<uint64_t> witness;  // Differ: keys of a realizable point where they may differ
};
// Decides whether first-match over `src` equals first-match over `low` on every realizable
// packet of `region`. Sound: Equal is a proof; Differ comes with a candidate point (the caller
// confirms it concretely); Unknown when an inexact entry meets the region or the split budget
// runs out.
BoxDecision decideByBoxes(const ir::Table& t, const Box& region, const std::vector<Entry>& src,
                          const std::vector<Entry>& low, size_t budget = 4096);

// ---- Z3 (tv_smt.cpp)
struct SmtDecision {
    Outcome outcome = Outcome::Unknown;
    std::string packet, detail;  // Differ: witness and both answers; Unknown: reason
};
class Smt {
public:
    Smt();
    ~Smt();
    void beginTable(const TableSource& s);
    // region ∧ source(src alts) ≠ lowered: `rows` scanned in order, or (interval) the single
    // winner returned when its row holds.
    SmtDecision check(const TableSource& s, const std::vector<const SourceAlt*>& src,
                      const Box& region, const std::vector<uint32_t>& rows);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---- classifier walks (tv_tables.cpp): regions of the table's own structure (tree leaves
// reached with the source entries carried down the tree, interval segments by bisection, the
// whole table for hash and linear), each decided by boxes, else by Z3.
void validateTable(const TableSource& s, Smt& smt, bool useBoxes, compiler::ValidationReport& report);

// ---- actions, route hops, pipelines (tv_actions.cpp)
void validateBindings(const lang::Policy& policy, const ir::Module& m,
                      compiler::ValidationReport& report);

}  // namespace sluice::tv
