// Rule-level analyses of each group and layer (README.md, "Rule checks"):
// unmatchable, shadowed, redundant, conflict; groups that never hold; layer defaults never or
// always reached. Priority groups whose rules are unions of few boxes take the geometric path
// (overlap index, containment, subtraction with a cap); what it cannot decide, and lpm or
// complex groups, go to Z3 with one incremental solver per group.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "box.h"
#include "box_index.h"
#include "pset.h"
#include "checks.h"
#include "encoding.h"
#include "replay.h"

namespace sluice::verify {

using lang::Direction;
using lang::Group;
using lang::Rule;

namespace {

// Rules listed in a finding besides its subject (the message counts the rest).
constexpr size_t kMaxInvolved = 16;
// Pseudo-random probe points per box of a rule in the shadow check (geo::probe).
constexpr size_t kProbeRandom = 8;

// Names shown in a message; the rest are counted (`total` names in all).
constexpr size_t kNamesShown = 5;

std::string joinNames(const std::vector<std::string>& names, size_t total) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < kNamesShown; ++i) s += (i ? ", " : "") + names[i];
    if (total > kNamesShown) s += ", and " + std::to_string(total - kNamesShown) + " more";
    return s;
}

const char* dirWord(Direction d) { return d == Direction::In ? "in" : "out"; }

class GroupChecker {
public:
    GroupChecker(CheckContext& cc, uint32_t layer, Direction dir, uint32_t group)
        : cc_(cc), policy_(*cc.policy), layer_(layer), dir_(dir), group_(group),
          g_(policy_.layers[layer].groupsFor(dir)[group]), n_(g_.rules.size()),
          solver_(cc.smt.z3()), h_(cc.smt.freshHeaders("g_")) {
        solver_.add(cc_.smt.universe(h_));
        const auto& groups = policy_.layers[layer].groupsFor(dir);
        singleGroup_ = groups.size() == 1;
        defaultVerdict_ = policy_.layers[layer].defaultFor(dir).verdict;
        where_ = "layer " + policy_.layers[layer].name + " " + dirWord(dir);
    }

    void run(const std::optional<geo::Region>& groupBoxes) {
        std::vector<std::optional<geo::Region>> boxes(n_);
        bool geometric = cc_.options.useGeometry && g_.mode == lang::GroupMode::Priority;
        for (size_t r = 0; r < n_ && geometric; ++r) {
            boxes[r] = geo::conditionBoxes({&g_.conditions, &g_.rules[r].conditions},
                                           cc_.options.boxCap);
            if (!boxes[r]) geometric = false;
        }
        (void)groupBoxes;
        cc_.report.rulesChecked += n_;
        if (geometric) {
            regions_.resize(n_);
            volumes_.resize(n_);
            for (size_t r = 0; r < n_; ++r) {
                regions_[r] = std::move(*boxes[r]);
                for (const auto& b : regions_[r]) volumes_[r].push_back(b.log2Volume());
            }
            runGeometric();
        } else {
            runSolver();
        }
    }

private:
    std::string name(size_t r) const { return ruleName(policy_, layer_, g_.rules[r]); }
    const Rule& rule(size_t r) const { return g_.rules[r]; }

    // The layer outcome without rule r is the same as with it when no later rule matches.
    bool fallbackEquivalent(size_t r) const {
        const auto& a = rule(r).action;
        return singleGroup_ && !rule(r).stateful && a.verdict == defaultVerdict_ &&
               !a.isTransposition() && !a.routeTable && !a.meter;
    }

    const z3::expr& matchExpr(size_t r) {
        auto it = matchCache_.find(r);
        if (it != matchCache_.end()) return it->second;
        z3::expr e = cc_.smt.conditions(h_, g_.conditions) &&
                     cc_.smt.conditions(h_, rule(r).conditions);
        return matchCache_.emplace(r, e).first->second;
    }

    std::optional<lang::Headers> solve(const z3::expr& query) {
        solver_.push();
        solver_.add(query);
        auto res = cc_.smt.checkCanonical(solver_, h_);
        std::optional<lang::Headers> out;
        if (res == z3::sat) out = cc_.smt.modelHeaders(solver_.get_model(), h_);
        solver_.pop();
        if (res == z3::unknown) throw std::runtime_error("solver returned unknown");
        return out;
    }

    Finding& involve(Finding& f, const std::vector<size_t>& rules) {
        for (size_t i = 0; i < rules.size() && i <= kMaxInvolved; ++i)
            f.involved.push_back({name(rules[i]), rule(rules[i]).range});
        return f;
    }

    // ---- BDDs: exact answers where the box subtraction gives up (pset.h) ----
    const pset::Set& setOf(size_t r) {
        if (sets_.empty()) sets_.resize(n_);
        if (!sets_[r]) {
            std::vector<lang::Condition> conds = rule(r).conditions;
            if (cc_.options.bddFaultDropLastCondition && !conds.empty()) conds.pop_back();
            sets_[r] = ps().match({&g_.conditions, &conds});
            if (ps().exhausted())
                throw BudgetExceeded("the rule checks of " + where_ + " group " + g_.name);
        }
        return *sets_[r];
    }
    pset::Space& ps() const { return pset::Space::get(); }
    // `from` minus the rules' sets, inside the universe; stops as soon as nothing is left.
    pset::Set minus(pset::Set from, const std::vector<size_t>& rules) {
        from &= ps().universe();
        for (size_t j : rules) {
            if (from == bddfalse) break;
            from -= setOf(j);
        }
        if (ps().exhausted())
            throw BudgetExceeded("the rule checks of " + where_ + " group " + g_.name);
        return from;
    }

    Witness witnessAt(const lang::Headers& h) {
        Witness w;
        w.headers = h;
        w.where = where_;
        w.dir = dir_;
        return w;
    }

    // Replays on the group alone and checks who decides. On the geometric path only the rules
    // whose boxes contain the packet can match it, so the others are left out.
    replay::LayerOutcome replayWith(const std::vector<size_t>& rules, const lang::Headers& h) {
        std::vector<uint32_t> idx;
        if (regions_.empty()) {
            for (size_t r : rules) idx.push_back(static_cast<uint32_t>(r));
        } else {
            const uint64_t stamp = ++stamp_;
            for (size_t r : rules) mark_[r] = stamp;
            const geo::Box q = geo::boxOf(h);
            index_.anyMeeting(q, [&](uint32_t id) {
                if (mark_[owner_[id]] == stamp && flat_[id]->contains(q))
                    idx.push_back(owner_[id]);
                return false;
            });
        }
        std::sort(idx.begin(), idx.end());
        idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
        auto mini = replay::miniLayer(policy_, layer_, dir_, group_, idx);
        return replay::runLayer(mini, dir_, h);
    }

    // The group's rules containing h among r and the rules overlapping it (geometric path),
    // with or without r.
    replay::LayerOutcome replayAround(size_t r, bool withR, const lang::Headers& h) {
        std::vector<uint32_t> idx;
        const geo::Box q = geo::boxOf(h);
        index_.anyMeeting(q, [&](uint32_t id) {
            if ((withR || owner_[id] != r) && flat_[id]->contains(q)) idx.push_back(owner_[id]);
            return false;
        });
        std::sort(idx.begin(), idx.end());
        idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
        auto mini = replay::miniLayer(policy_, layer_, dir_, group_, idx);
        return replay::runLayer(mini, dir_, h);
    }

    void reportUnmatchable(size_t r) {
        auto& f = cc_.add(FindingKind::Unmatchable,
                          "rule " + name(r) + " can never match: its conditions (with group " +
                              g_.name + "'s) never hold together",
                          rule(r).range);
        involve(f, {r});
    }

    void reportShadowed(size_t r, const std::vector<size_t>& by, const lang::Headers& w) {
        std::vector<std::string> names;
        for (size_t i = 0; i < by.size() && i < kNamesShown; ++i) names.push_back(name(by[i]));
        auto& f = cc_.add(FindingKind::Shadowed,
                          "rule " + name(r) + " can never win: shadowed by " +
                              joinNames(names, by.size()),
                          rule(r).range);
        std::vector<size_t> inv{r};
        inv.insert(inv.end(), by.begin(), by.end());
        involve(f, inv);
        f.witness = witnessAt(w);
        if (!cc_.options.replay) return;
        auto pw = cc_.replayHeaders(f);
        if (!pw) return;
        // The geometric path claims the listed rules cover r; the solver path claims the
        // whole group does.
        std::vector<size_t> all = by;
        if (!regions_.empty()) {
            all.push_back(r);
        } else {
            all.clear();
            for (size_t j = 0; j < n_; ++j) all.push_back(j);
        }
        auto o = replayWith(all, *pw);
        f.witness->replay = o.text;
        bool inBy = o.rule && (regions_.empty() ||
                               std::find(by.begin(), by.end(), *o.rule) != by.end());
        if (!o.rule || *o.rule == r || !inBy)
            cc_.internalError("replay of shadowed rule " + name(r) +
                                  " disagrees: " + o.text, &f);
    }

    // `context`: the rules replayed besides r; null on the geometric path: every rule
    // overlapping r (a rule containing a point of r overlaps it, so the index answers).
    void reportRedundant(size_t r, const std::vector<size_t>* context,
                         const std::vector<size_t>& takeover, const lang::Headers& w) {
        std::vector<std::string> names;
        // Only the names the message shows (building every name was a tenth of the check).
        for (size_t i = 0; i < takeover.size() && i < kNamesShown; ++i)
            names.push_back(name(takeover[i]));
        std::string msg = "rule " + name(r) + " is redundant: removing it changes no outcome";
        if (!names.empty()) msg += " (" + joinNames(names, takeover.size()) + " decide the same)";
        else msg += " (the layer default decides the same)";
        auto& f = cc_.add(FindingKind::Redundant, msg, rule(r).range);
        std::vector<size_t> inv{r};
        inv.insert(inv.end(), takeover.begin(), takeover.end());
        involve(f, inv);
        f.witness = witnessAt(w);
        if (!cc_.options.replay) return;
        auto pw = cc_.replayHeaders(f);
        if (!pw) return;
        replay::LayerOutcome a, b;
        if (context) {
            std::vector<size_t> with = *context;
            with.push_back(r);
            a = replayWith(with, *pw);
            b = replayWith(*context, *pw);
        } else {
            a = replayAround(r, true, *pw);
            b = replayAround(r, false, *pw);
        }
        f.witness->replay = a.text + "; without it: " + b.text;
        bool same = a.verdict == b.verdict && a.after == b.after;
        if (a.rule != r || !same)
            cc_.internalError("replay of redundant rule " + name(r) + " disagrees: " + a.text +
                                  "; without it: " + b.text, &f);
    }

    void reportConflict(size_t winner, size_t loser, const lang::Headers& w) {
        auto& f = cc_.add(FindingKind::Conflict,
                          "rules " + name(winner) + " and " + name(loser) +
                              " overlap with different actions; only priority decides (" +
                              name(winner) + " wins)",
                          rule(loser).range);
        involve(f, {loser, winner});
        f.witness = witnessAt(w);
        if (!cc_.options.replay) return;
        auto pw = cc_.replayHeaders(f);
        if (!pw) return;
        std::vector<size_t> ctx;
        if (!regions_.empty()) {
            ctx = earlier_[winner];
            ctx.push_back(winner);
            ctx.push_back(loser);
        } else {
            for (size_t j = 0; j < n_; ++j) ctx.push_back(j);
        }
        auto o = replayWith(ctx, *pw);
        f.witness->replay = o.text;
        bool loserMatches = false;
        for (const auto& b : regions_.empty() ? geo::Region{} : regions_[loser])
            loserMatches = loserMatches || b.containsPoint(w);
        if (regions_.empty()) loserMatches = true;  // solver path: checked by the query
        if (o.rule != winner || !loserMatches)
            cc_.internalError("replay of conflict " + name(winner) + "/" + name(loser) +
                                  " disagrees: " + o.text, &f);
    }

    // The boxes of some rules, largest first (subtraction shrinks fastest that way).
    std::vector<const geo::Box*> boxesOf(const std::vector<size_t>& rules) const {
        std::vector<std::pair<double, const geo::Box*>> sized;
        for (size_t j : rules)
            for (size_t k = 0; k < regions_[j].size(); ++k)
                sized.emplace_back(volumes_[j][k], &regions_[j][k]);
        std::stable_sort(sized.begin(), sized.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<const geo::Box*> out;
        for (auto& [v, b] : sized) out.push_back(b);
        return out;
    }

    // ---- geometric path ----
    void runGeometric() {
        // Rules by outcome (enc::sameOutcome is an equivalence: equal actions and flags), so
        // "the first later rule deciding differently" compares two integers.
        outcome_.assign(n_, 0);
        std::vector<size_t> reps;
        for (size_t r = 0; r < n_; ++r) {
            size_t c = 0;
            while (c < reps.size() && !enc::sameOutcome(rule(reps[c]), rule(r))) ++c;
            if (c == reps.size()) reps.push_back(r);
            outcome_[r] = static_cast<uint32_t>(c);
        }
        action_.assign(n_, 0);  // the same for enc::sameAction (the conflict check)
        reps.clear();
        for (size_t r = 0; r < n_; ++r) {
            size_t c = 0;
            while (c < reps.size() && !enc::sameAction(rule(reps[c]).action, rule(r).action)) ++c;
            if (c == reps.size()) reps.push_back(r);
            action_[r] = static_cast<uint32_t>(c);
        }
        earlier_.assign(n_, {});
        later_.assign(n_, {});
        auto indexStart = std::chrono::steady_clock::now();
        // Overlap index: a spatial index over every rule's boxes (box_index.h), one query per
        // box; the pairs are the same as an all-pairs scan would give, in ascending order.
        flat_.clear();
        owner_.clear();
        for (size_t r = 0; r < n_; ++r)
            for (const auto& b : regions_[r]) {
                flat_.push_back(&b);
                owner_.push_back(static_cast<uint32_t>(r));
            }
        index_ = geo::BoxIndex(flat_);
        mark_.assign(n_, 0);
        // Candidate pairs from an index over the rules' bounding boxes (one query per rule,
        // not per box: a rule free in the protocol is 9 boxes with the same addresses), then
        // the box pairs, compact 5-tuple key first.
        std::vector<geo::Box> bounds(n_);
        for (size_t r = 0; r < n_; ++r) {
            if (regions_[r].empty()) continue;  // unmatchable: overlaps nothing
            geo::Box& b = bounds[r];
            b = regions_[r].front();
            for (const auto& x : regions_[r])
                for (size_t d = 0; d < geo::kDims; ++d) {
                    b.lo[d] = std::min(b.lo[d], x.lo[d]);
                    b.hi[d] = std::max(b.hi[d], x.hi[d]);
                }
        }
        std::vector<const geo::Box*> boundPtrs;
        std::vector<uint32_t> boundOwner;
        for (size_t r = 0; r < n_; ++r)
            if (!regions_[r].empty()) {
                boundPtrs.push_back(&bounds[r]);
                boundOwner.push_back(static_cast<uint32_t>(r));
            }
        geo::BoxIndex ruleIndex(boundPtrs);
        struct Key {
            lang::u128 slo, shi, dlo, dhi;
            uint32_t splo, sphi, dplo, dphi, plo, phi;
        };
        auto dim = [](lang::Field f) { return static_cast<size_t>(f); };
        auto u = [](lang::u128 v) { return static_cast<uint32_t>(v); };
        std::vector<Key> keys;
        std::vector<size_t> first(n_ + 1, 0);
        for (size_t r = 0; r < n_; ++r) {
            first[r] = keys.size();
            for (const auto& b : regions_[r])
                keys.push_back({b.lo[dim(lang::Field::SrcIp)], b.hi[dim(lang::Field::SrcIp)],
                                b.lo[dim(lang::Field::DstIp)], b.hi[dim(lang::Field::DstIp)],
                                u(b.lo[dim(lang::Field::SrcPort)]),
                                u(b.hi[dim(lang::Field::SrcPort)]),
                                u(b.lo[dim(lang::Field::DstPort)]),
                                u(b.hi[dim(lang::Field::DstPort)]),
                                u(b.lo[dim(lang::Field::Proto)]), u(b.hi[dim(lang::Field::Proto)])});
        }
        first[n_] = keys.size();
        auto overlap = [&](size_t x, size_t y) {
            const Key& a = keys[x];
            const Key& b = keys[y];
            if (a.slo > b.shi || b.slo > a.shi || a.dlo > b.dhi || b.dlo > a.dhi ||
                a.dplo > b.dphi || b.dplo > a.dphi || a.splo > b.sphi || b.splo > a.sphi ||
                a.plo > b.phi || b.plo > a.phi)
                return false;
            return flat_[x]->intersects(*flat_[y]);
        };
        for (size_t r = 0; r < n_; ++r) {
            if (regions_[r].empty()) continue;
            ruleIndex.anyMeeting(bounds[r], [&](uint32_t id) {
                size_t j = boundOwner[id];
                if (j >= r) return false;
                bool hit = false;
                for (size_t x = first[r]; x < first[r + 1] && !hit; ++x)
                    for (size_t y = first[j]; y < first[j + 1] && !hit; ++y) hit = overlap(x, y);
                if (hit) earlier_[r].push_back(j);
                return false;
            });
            std::sort(earlier_[r].begin(), earlier_[r].end());
            for (size_t j : earlier_[r]) later_[j].push_back(r);
        }
        size_t cap = cc_.options.boxCap;
        if (std::getenv("SLUICE_VERIFY_TRACE"))
            std::fprintf(stderr, "verify: %s group %s: %zu rules, %zu overlapping pairs, "
                         "overlap index %.3f s\n", where_.c_str(), g_.name.c_str(), n_,
                         [&] { size_t c = 0; for (auto& e : earlier_) c += e.size(); return c; }(),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                       indexStart).count());
        for (size_t r = 0; r < n_; ++r) {
            if (regions_[r].empty()) {
                reportUnmatchable(r);
                ++cc_.report.geometricDecided;
                continue;
            }
            const auto& E = earlier_[r];
            // Shadowed? winHere: a packet where r wins, when it is not.
            bool shadowed = false;
            bool decided = true;
            std::vector<size_t> by;
            std::optional<lang::Headers> winHere;
            const bool bddOnly = cc_.options.bddOnly;
            if (E.empty() && !bddOnly) {
                winHere = geo::pointOf(regions_[r].front());
            } else {
                // One earlier rule containing r: the first such rule contains r's first box,
                // so only the rules whose boxes contain that box are candidates.
                for (size_t j : bddOnly ? std::vector<size_t>{} : containingBefore(r))
                    if (geo::containedInOne(regions_[r], regions_[j])) {
                        shadowed = true;
                        by = {j};
                        break;
                    }
                if (!shadowed && !bddOnly) {
                    // Most rules win somewhere an earlier rule does not reach: a few probe
                    // points find it without subtracting hundreds of boxes.
                    if (auto p = geo::probe(regions_[r], kProbeRandom, [&](const geo::Box& q) {
                            return !coveredBefore(r, q);
                        }))
                        winHere = geo::pointOf(*p);
                }
                if (!shadowed && !winHere) {
                    auto cover = bddOnly ? geo::CoverResult{}
                                         : geo::subtract(regions_[r], boxesOf(E), cap);
                    if (cover.status == geo::Cover::Covered) {
                        shadowed = true;
                        by = E;
                    } else if (cover.status == geo::Cover::NotCovered) {
                        winHere = geo::pointOf(cover.witness);
                    } else {
                        pset::Set left = minus(setOf(r), E);
                        ++cc_.report.bddDecided;
                        if (left == bddfalse) {
                            shadowed = true;
                            by = E;
                        } else {
                            winHere = ps().pick(left);
                        }
                    }
                }
            }
            if (decided) ++cc_.report.geometricDecided;
            if (shadowed) {
                reportShadowed(r, by, geo::pointOf(regions_[r].front()));
                continue;
            }
            checkRedundantGeometric(r, *winHere);
            if (cc_.options.conflicts) checkConflictGeometric(r);
        }
    }

    // First later rule containing the point, or none.
    std::optional<size_t> firstLaterAt(size_t r, const lang::Headers& p) const {
        std::optional<size_t> first;
        const geo::Box q = geo::boxOf(p);
        index_.anyMeeting(q, [&](uint32_t id) {
            size_t j = owner_[id];
            if (j > r && (!first || j < *first) && flat_[id]->contains(q)) first = j;
            return false;
        });
        return first;
    }

    // The rules before r (ascending) with a box containing r's first box.
    std::vector<size_t> containingBefore(size_t r) const {
        std::vector<size_t> out;
        const geo::Box& x = regions_[r].front();
        index_.anyMeeting(x, [&](uint32_t id) {
            if (owner_[id] < r && flat_[id]->contains(x)) out.push_back(owner_[id]);
            return false;
        });
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }

    // Does a rule before r contain the point box q?
    bool coveredBefore(size_t r, const geo::Box& q) const {
        return index_.anyMeeting(q,
                                 [&](uint32_t id) { return owner_[id] < r && flat_[id]->contains(q); });
    }

    void checkRedundantGeometric(size_t r, const lang::Headers& winHere) {
        const auto& E = earlier_[r];
        const auto& L = later_[r];
        std::optional<size_t> kstar;
        std::vector<size_t> E1;
        for (size_t j : L) {
            if (outcome_[j] != outcome_[r]) {
                kstar = j;
                break;
            }
            E1.push_back(j);
        }
        bool fb = fallbackEquivalent(r);
        if (!kstar && fb) {
            ++cc_.report.geometricDecided;
            reportRedundant(r, nullptr, E1, winHere);
            return;
        }
        // Each box of r inside one box of a rule before r or of E1 (the rules before k*): no
        // subtraction needed (the usual case: a wide later rule with the same outcome).
        auto inCut = [&](size_t j) { return j != r && (!kstar || j < *kstar); };
        bool inOne = !cc_.options.bddOnly;
        for (size_t b = 0; inOne && b < regions_[r].size(); ++b) {
            const geo::Box& x = regions_[r][b];
            inOne = index_.anyMeeting(x, [&](uint32_t id) {
                return inCut(owner_[id]) && flat_[id]->contains(x);
            });
        }
        if (inOne) {
            ++cc_.report.geometricDecided;
            reportRedundant(r, nullptr, E1, winHere);
            return;
        }
        std::vector<size_t> cut = E;
        cut.insert(cut.end(), E1.begin(), E1.end());
        auto cover = cc_.options.bddOnly
                         ? geo::CoverResult{}
                         : geo::subtract(regions_[r], boxesOf(cut), cc_.options.boxCap);
        if (cover.status == geo::Cover::Covered) {
            ++cc_.report.geometricDecided;
            reportRedundant(r, nullptr, E1, winHere);
            return;
        }
        if (cover.status == geo::Cover::NotCovered) {
            lang::Headers p = geo::pointOf(cover.witness);
            auto j = firstLaterAt(r, p);
            bool equivalent = j ? enc::sameOutcome(rule(r), rule(*j)) : fb;
            if (!equivalent) {
                ++cc_.report.geometricDecided;
                return;  // not redundant: p is decided differently without r
            }
        }
        // Exact, on BDDs: a packet where r wins and the first later match (or the default)
        // decides differently.
        pset::Set differs = fb ? pset::Set(bddfalse) : pset::Set(bddtrue);
        for (auto it = L.rbegin(); it != L.rend(); ++it)
            differs = enc::sameOutcome(rule(r), rule(*it)) ? differs - setOf(*it)
                                                           : differs | setOf(*it);
        pset::Set bad = minus(setOf(r) & differs, E);
        ++cc_.report.bddDecided;
        if (bad == bddfalse) {
            std::vector<size_t> take;
            for (size_t j : L)
                if (enc::sameOutcome(rule(r), rule(j))) take.push_back(j);
            reportRedundant(r, nullptr, take, winHere);
        }
    }

    void checkConflictGeometric(size_t r) {
        size_t tries = 0;
        for (size_t i : earlier_[r]) {
            if (action_[i] == action_[r]) continue;
            if (++tries > 64) return;
            geo::Region overlap;
            for (const auto& a : regions_[i])
                for (const auto& b : regions_[r])
                    if (auto x = a.intersect(b)) overlap.push_back(*x);
            auto cover = cc_.options.bddOnly
                             ? geo::CoverResult{}
                             : geo::subtract(overlap, boxesOf(earlier_[i]), cc_.options.boxCap);
            if (cover.status == geo::Cover::Covered) continue;
            if (cover.status == geo::Cover::NotCovered) {
                ++cc_.report.geometricDecided;
                reportConflict(i, r, geo::pointOf(cover.witness));
                return;
            }
            pset::Set both = minus(setOf(i) & setOf(r), earlier_[i]);
            ++cc_.report.bddDecided;
            if (both != bddfalse) {
                reportConflict(i, r, ps().pick(both));
                return;
            }
        }
    }

    // ---- solver path (lpm groups, complex rules, or geometry disabled) ----
    void runSolver() {
        enc::GroupEnc ge = enc::encodeGroup(cc_.smt, g_, h_);
        bool priority = g_.mode == lang::GroupMode::Priority;
        bool naive = !cc_.options.useGeometry;
        auto start = std::chrono::steady_clock::now();
        for (size_t r = 0; r < n_; ++r) {
            if (cc_.options.timeLimitSeconds > 0 &&
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
                    cc_.options.timeLimitSeconds) {
                cc_.report.truncated = true;
                cc_.report.rulesChecked -= n_ - r;
                return;
            }
            // One question per rule when it can win (the naive scan asks only this one).
            z3::expr m = ge.holds && *ge.match[r];
            auto winP = solve(*ge.win[r]);
            std::optional<lang::Headers> any = winP;
            if (!winP) any = solve(m);
            if (!any) {
                reportUnmatchable(r);
                continue;
            }
            if (!winP) {
                std::vector<size_t> by;
                if (!naive) {
                    for (size_t j = 0; j < n_; ++j)
                        if (j != r && solve(m && *ge.match[j])) by.push_back(j);
                }
                reportShadowed(r, by, *any);
                continue;
            }
            if (naive) continue;  // the baseline scan asks only the shadow question
            // Redundant: the group without r decides differently somewhere r wins?
            std::vector<size_t> others;
            for (size_t j = 0; j < n_; ++j)
                if (j != r) others.push_back(j);
            enc::GroupEnc without = enc::encodeGroup(
                cc_.smt, g_, h_, [r](uint32_t j) { return j != r; });
            z3::expr same = cc_.smt.z3().bool_val(false);
            z3::expr noneWins = cc_.smt.z3().bool_val(true);
            std::vector<size_t> take;
            for (size_t j = 0; j < n_; ++j) {
                if (j == r) continue;
                noneWins = noneWins && !*without.win[j];
                if (enc::sameOutcome(rule(r), rule(j))) {
                    same = same || *without.win[j];
                    take.push_back(j);
                }
            }
            if (fallbackEquivalent(r)) same = same || noneWins;
            if (!solve(*ge.win[r] && !same)) reportRedundant(r, &others, take, *winP);
            if (!priority || !cc_.options.conflicts || n_ > 512) continue;
            for (size_t i = 0; i < r; ++i) {
                if (enc::sameAction(rule(i).action, rule(r).action)) continue;
                if (auto w = solve(*ge.win[i] && *ge.match[r])) {
                    reportConflict(i, r, *w);
                    break;
                }
            }
        }
    }

    CheckContext& cc_;
    const lang::Policy& policy_;
    uint32_t layer_;
    Direction dir_;
    uint32_t group_;
    const Group& g_;
    size_t n_;
    z3::solver solver_;
    smt::SymHeaders h_;
    bool singleGroup_ = false;
    lang::Verdict defaultVerdict_ = lang::Verdict::Deny;
    std::string where_;
    std::vector<geo::Region> regions_;
    std::vector<std::vector<double>> volumes_;  // log2 volume of each box of each rule
    std::vector<std::vector<size_t>> earlier_, later_;
    geo::BoxIndex index_;                // over flat_ (every box of every rule)
    std::vector<const geo::Box*> flat_;  // box id -> box
    std::vector<uint32_t> owner_;        // box id -> rule
    std::vector<uint64_t> mark_;         // per rule: the stamp of the last query that marked it
    std::vector<uint32_t> outcome_;      // per rule: its outcome class (enc::sameOutcome)
    std::vector<uint32_t> action_;       // per rule: its action class (enc::sameAction)
    uint64_t stamp_ = 0;
    std::map<size_t, z3::expr> matchCache_;
    std::vector<std::optional<pset::Set>> sets_;  // BDDs of the rules, built when needed
};

void checkDefaults(CheckContext& cc, uint32_t layer, Direction dir) {
    const auto& policy = *cc.policy;
    const auto& l = policy.layers[layer];
    const auto& groups = l.groupsFor(dir);
    size_t rules = 0;
    for (const auto& g : groups) rules += g.rules.size();
    if (rules == 0) return;
    std::string where = "layer " + l.name + " " + dirWord(dir);
    // Geometric: every (group, rule) region.
    bool geometric = cc.options.useGeometry;
    geo::Region all;
    for (const auto& g : groups) {
        for (const auto& r : g.rules) {
            if (!geometric) break;
            auto b = geo::conditionBoxes({&g.conditions, &r.conditions}, cc.options.boxCap);
            if (!b) {
                geometric = false;
                break;
            }
            all.insert(all.end(), b->begin(), b->end());
        }
    }
    std::optional<bool> always, never;
    if (geometric) {
        always = all.empty();
        if (!all.empty()) {
            // Every universe piece inside one rule box (a catch-all): never, no sort needed.
            geo::Region uni = geo::universe();
            if (geo::containedInOne(uni, all)) {
                never = true;
            } else {
                // Largest first; volumes computed once (not in the comparator: 17 log2 per
                // call made this sort most of the check on 10K-rule layers).
                std::vector<std::pair<double, const geo::Box*>> sized;
                for (const auto& b : all) sized.emplace_back(b.log2Volume(), &b);
                std::stable_sort(sized.begin(), sized.end(),
                                 [](const auto& a, const auto& b) { return a.first > b.first; });
                std::vector<const geo::Box*> cut;
                for (const auto& [v, b] : sized) cut.push_back(b);
                auto c = geo::subtract(uni, cut, cc.options.boxCap);
                if (c.status == geo::Cover::Covered) never = true;
                if (c.status == geo::Cover::NotCovered) never = false;
            }
        }
    }
    if (!always || !never) {
        z3::solver s(cc.smt.z3());
        auto h = cc.smt.freshHeaders("d_");
        s.add(cc.smt.universe(h));
        auto le = enc::encodeLayer(cc.smt, policy, layer, dir, h);
        if (!always) {
            s.push();
            s.add(!le.selDefault);
            always = cc.smt.check(s) == z3::unsat;
            s.pop();
        }
        if (!never) {
            s.push();
            s.add(le.selDefault);
            never = cc.smt.check(s) == z3::unsat;
            s.pop();
        }
    } else {
        ++cc.report.geometricDecided;
    }
    const char* verdict = lang::verdictName(l.defaultFor(dir).verdict);
    if (*always) {
        cc.add(FindingKind::DefaultAlways,
               where + ": the default (" + verdict + ") is always reached; no rule can ever "
                   "decide",
               l.range)
            .involved.push_back({l.name + ".default", l.range});
    } else if (*never) {
        cc.add(FindingKind::DefaultNever,
               where + ": the default (" + verdict + ") is never reached; every packet is "
                   "decided by a rule",
               l.range)
            .involved.push_back({l.name + ".default", l.range});
    }
}

}  // namespace

std::string ruleName(const lang::Policy& policy, uint32_t layer, const lang::Rule& rule) {
    return policy.layers[layer].name + "." + rule.name;
}

void checkRules(CheckContext& cc) {
    const auto& policy = *cc.policy;
    Progress* progress = cc.options.progress;
    size_t groupsDone = 0;
    if (progress) {
        size_t total = 0;
        for (const auto& layer : policy.layers)
            total += layer.groupsFor(Direction::Out).size() + layer.groupsFor(Direction::In).size();
        progress->stage("rule checks", total);
    }
    for (uint32_t l = 0; l < policy.layers.size(); ++l) {
        for (Direction dir : {Direction::Out, Direction::In}) {
            const auto& groups = policy.layers[l].groupsFor(dir);
            for (uint32_t g = 0; g < groups.size(); ++g) {
                if (progress) progress->advance(groupsDone++);
                const auto& group = groups[g];
                auto gb = geo::conditionBoxes({&group.conditions}, cc.options.boxCap);
                bool never = false;
                if (gb) {
                    never = gb->empty();
                } else {
                    z3::solver s(cc.smt.z3());
                    auto h = cc.smt.freshHeaders("gc_");
                    s.add(cc.smt.universe(h) && cc.smt.conditions(h, group.conditions));
                    never = cc.smt.check(s) == z3::unsat;
                }
                if (never) {
                    auto& f = cc.add(FindingKind::GroupNeverHolds,
                                     "group " + group.name + " of layer " +
                                         policy.layers[l].name + " (" + dirWord(dir) +
                                         ") never applies: its conditions never hold",
                                     group.range);
                    f.involved.push_back({policy.layers[l].name + "." + group.name, group.range});
                    for (const auto& r : group.rules)
                        f.involved.push_back({ruleName(policy, l, r), r.range});
                    continue;
                }
                GroupChecker(cc, l, dir, g).run(gb);
            }
            checkDefaults(cc, l, dir);
        }
    }
    if (progress) progress->advance(groupsDone);
}

}  // namespace sluice::verify
