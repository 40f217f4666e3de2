// The geometric diff of one changed layer (README.md, "Diff"): the classes of packets whose
// deciding rule changed verdict, found from the changed rules' neighbourhood only, by the
// same box arithmetic as the redundancy check, with BDDs for what the boxes leave undecided.
//
// Why it is exact. A packet's deciders differ only where a changed rule decides on one side:
// where both sides' first matching rules are unchanged rules they are the same rule (the
// unchanged rules keep their relative order, checked). So for each changed rule c of a side
// S, and each rule x of the other side T (or T's default) with another verdict, the question
// is: is there a packet in box(c) and box(x) that no rule before c in S and no rule before x in
// T contains? Yes gives a class (c, x) with that packet as witness. Most pairs are empty for a
// structural reason and are never asked: x unchanged and before c in S (x's box is cut from
// c's region), or c present in T with the same box before x (c's twin wins there).
//
// Applies when the layer direction has one priority group on both sides (same group
// conditions), every rule and the default decide by verdict alone (no rewrites, encap, decap,
// route table, meter or session), and every rule is a union of at most `boxCap` boxes. The
// caller checks the rest (a one-layer pipeline, the same port, the reply path unchanged).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "sluice/lang/model.h"

namespace sluice::verify::geodiff {

struct Class {
    std::optional<uint32_t> oldRule, newRule;  // index in the group's rules; nullopt: default
    lang::Headers witness;
};

struct Result {
    std::vector<Class> classes;
    size_t questions = 0;     // (c, x) pairs asked
    size_t bddQuestions = 0;  // of which the boxes could not decide
    bool stopped = false;     // `stop` said so: the list may be incomplete
};

// nullopt: not applicable (the caller asks Z3). At most `maxClasses` classes; `stop` is
// polled between questions (a time limit).
std::optional<Result> diffLayer(const lang::Layer& oldLayer, const lang::Layer& newLayer,
                                lang::Direction dir, size_t boxCap, size_t maxClasses,
                                const std::function<bool()>& stop);

// The verdict-only action test used for applicability (exposed for the caller's checks).
bool decidesByVerdictOnly(const lang::Action& a);

}  // namespace sluice::verify::geodiff
