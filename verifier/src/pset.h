// Packet sets as BDDs (BuDDy, linked PRIVATE; only verifier/src sees it). One boolean variable
// per header bit (most significant first) plus 2 bits each for the inner and the outer address
// family (0 none, 1 IPv4, 2 IPv6), in the order families, proto, source and destination
// address, ports, then the rest. Wildcards cost nothing (an unconstrained bit has no node), so
// wide, overlapping rules do not multiply like boxes do.
//
// BuDDy's state is one per process (like smt::Context's per-thread Z3 context); `Space::open`
// sets the node budget of a run and `Space::exhausted` says when a run hit it (every operation
// after that yields garbage: the caller abandons the check and names it, see rule_checks.cpp).
#pragma once

#include <bdd.h>

#include <cstddef>
#include <string>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::verify::pset {

using Set = bdd;  // reference-counted BuDDy root

class Space {
public:
    // The process's space with its node budget set for one run: at most `maxBytes` of BDD
    // node table (0: 1 GiB). Clears an earlier exhaustion.
    static Space& open(size_t maxBytes);
    static Space& get();

    Set none() const { return bddfalse; }
    Set all() const { return bddtrue; }
    // Well-formed packets (smt::Context::universe): IPv4 or IPv6 inner addresses of one
    // family, IPv4 below 2^32, outer addresses of one family or none (then 0 and VNI 0),
    // ports only for TCP/UDP, flags only for TCP, ICMP type/code only for ICMP/ICMPv6,
    // ethertype by family.
    const Set& universe();
    // Packets whose field (with the family of an IP value) is in one of the values.
    Set condition(const lang::Condition& c);
    // The conjunction of condition lists, inside the universe.
    Set conditions(const std::vector<const std::vector<lang::Condition>*>& lists);
    // The same without the universe: its diagram ends at the last constrained bit, so unions
    // of many of them stay cheap; intersect with universe() before asking for emptiness.
    Set match(const std::vector<const std::vector<lang::Condition>*>& lists);
    Set field(lang::Field f, lang::u128 lo, lang::u128 hi);
    Set family(bool outer, lang::Family fam);

    bool contains(const Set& s, const lang::Headers& h) const;
    // A packet of a non-empty set, preferring the values the packet text shows plainly (0,
    // IPv4, TCP, not tunnelled) bit by bit in variable order.
    lang::Headers pick(const Set& s) const;
    // log2 of the number of packets (header bit patterns) in the set.
    double log2Count(const Set& s) const;

    bool exhausted() const;
    // Nodes in use / the most ever in use during this run, and their bytes.
    size_t peakBytes() const;
    size_t budgetBytes() const { return budgetBytes_; }

private:
    Space();
    struct Var {
        int first = 0;  // BuDDy variable of the most significant bit
        unsigned width = 0;
    };
    Var varOf(lang::Field f) const { return fields_[static_cast<size_t>(f)]; }
    Set range(Var v, lang::u128 lo, lang::u128 hi) const;
    Set equals(Var v, lang::u128 value) const;

    std::vector<Var> fields_;
    Var innerFam_, outerFam_;
    int vars_ = 0;
    std::vector<unsigned char> varDim_;  // per variable: dimension (fields, inner, outer family)
    std::vector<unsigned char> varShift_;  // and bit position from the least significant
    Set universe_;
    bool haveUniverse_ = false;
    size_t budgetBytes_ = 0;
};

}  // namespace sluice::verify::pset
