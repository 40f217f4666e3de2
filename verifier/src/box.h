// Geometry of match conditions: a rule (with its group's conditions) is a union of boxes, one
// interval per field plus the inner and outer address families. Boxes decide most rule
// questions without Z3 (overlap, containment, coverage by subtraction up to a size cap);
// only what they cannot decide within the cap reaches the solver.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::verify::geo {

using lang::u128;

inline constexpr size_t kDims = lang::kFieldCount + 2;
inline constexpr size_t kInnerFam = lang::kFieldCount;      // 1 = IPv4, 2 = IPv6
inline constexpr size_t kOuterFam = lang::kFieldCount + 1;  // 0 = not tunnelled, 1, 2

struct Box {
    std::array<u128, kDims> lo;
    std::array<u128, kDims> hi;

    bool intersects(const Box& o) const;
    bool contains(const Box& o) const;
    std::optional<Box> intersect(const Box& o) const;
    bool containsPoint(const lang::Headers& h) const;
    // log2 of the number of points.
    double log2Volume() const;
};

using Region = std::vector<Box>;  // a union of boxes (possibly overlapping)

// The boxes of the conjunction of some condition lists, inside the packet universe (each box
// has one inner family and one outer family). nullopt when more than `cap` boxes are needed.
std::optional<Region> conditionBoxes(const std::vector<const std::vector<lang::Condition>*>& lists,
                                     size_t cap);
// All packets.
Region universe();

bool intersects(const Region& a, const Region& b);
// Every box of `a` inside some single box of `b`.
bool containedInOne(const Region& a, const Region& b);

enum class Cover { Covered, NotCovered, Unknown };
struct CoverResult {
    Cover status = Cover::Unknown;
    Box witness{};  // a remaining box when NotCovered
};
// Is `target` covered by the union of `cutters`? Exact unless more than `cap` pieces remain;
// then, before answering Unknown, it looks for an uncovered point: the corners of the pieces
// left when the cap was hit and a fixed number of pseudo-random points of `target`, each
// tested against every cutter (a found point makes the answer NotCovered, witness = that
// point as a box).
CoverResult subtract(const Region& target, const std::vector<const Box*>& cutters, size_t cap);

// A concrete packet in the box, preferring values the packet text can show.
lang::Headers pointOf(const Box& b);
// The box of one packet (every dimension a single value).
Box boxOf(const lang::Headers& h);

// A cheap search for a point of `target` that `accept` takes (e.g. "no earlier rule contains
// it"), before an exact subtraction: per box of the target, its preferred point (pointOf), its
// two corners, then `randomPerBox` pseudo-random points (fixed seed, so runs repeat). Every
// point tried is a point box inside the target and the packet universe. nullopt: none taken
// (which proves nothing).
std::optional<Box> probe(const Region& target, size_t randomPerBox,
                         const std::function<bool(const Box&)>& accept);

}  // namespace sluice::verify::geo
