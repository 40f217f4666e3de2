#include "diff_geometric.h"

#include <algorithm>
#include <map>
#include <set>

#include "box.h"
#include "box_index.h"
#include "encoding.h"
#include "pset.h"

namespace sluice::verify::geodiff {

namespace {

bool sameConditionList(const std::vector<lang::Condition>& a,
                       const std::vector<lang::Condition>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].field != b[i].field || a[i].values.size() != b[i].values.size()) return false;
        for (size_t v = 0; v < a[i].values.size(); ++v) {
            const auto& x = a[i].values[v];
            const auto& y = b[i].values[v];
            if (x.lo != y.lo || x.hi != y.hi || x.family != y.family ||
                x.prefixLen != y.prefixLen)
                return false;
        }
    }
    return true;
}

// One side's group: the rules' boxes behind a spatial index, and how they relate to the other
// side (the same-named rule, whether it is unchanged).
struct Side {
    const lang::Group* group = nullptr;
    lang::Verdict defaultVerdict = lang::Verdict::Deny;
    std::vector<geo::Region> boxes;
    std::vector<const geo::Box*> flat;
    std::vector<uint32_t> owner;
    geo::BoxIndex index;
    std::vector<int> twin;       // the same-named rule of the other side, or -1
    std::vector<char> changed;   // no twin, or a twin with other conditions or outcome
    std::vector<std::optional<pset::Set>> sets;

    size_t size() const { return boxes.size(); }
    lang::Verdict verdict(uint32_t r) const { return group->rules[r].action.verdict; }
    // Does a rule before `limit` have a box containing q (a piece, or a point)?
    bool containedBefore(const geo::Box& q, size_t limit) const {
        return index.anyMeeting(q, [&](uint32_t id) {
            return owner[id] < limit && flat[id]->contains(q);
        });
    }
    const pset::Set& setOf(uint32_t r) {
        if (!sets[r]) sets[r] = pset::Space::get().match({&group->conditions,
                                                          &group->rules[r].conditions});
        return *sets[r];
    }
};

class LayerDiff {
public:
    LayerDiff(Side& o, Side& n, size_t cap, size_t maxClasses, const std::function<bool()>& stop)
        : old_(o), new_(n), cap_(cap), maxClasses_(maxClasses), stop_(stop) {}

    Result run() {
        for (int s = 0; s < 2 && !full(); ++s) {
            Side& S = s == 0 ? old_ : new_;
            Side& T = s == 0 ? new_ : old_;
            for (uint32_t c = 0; c < S.size() && !full(); ++c)
                if (S.changed[c]) fromChanged(S, T, c, s == 0);
        }
        return std::move(result_);
    }

private:
    bool full() const { return result_.classes.size() >= maxClasses_ || result_.stopped; }

    // The classes where changed rule c of S decides.
    void fromChanged(Side& S, Side& T, uint32_t c, bool sIsOld) {
        // T's rules meeting c's boxes with another verdict, in T's order.
        std::vector<uint32_t> xs;
        for (const auto& b : S.boxes[c])
            T.index.anyIntersecting(b, [&](uint32_t id) {
                if (T.verdict(T.owner[id]) != S.verdict(c)) xs.push_back(T.owner[id]);
                return false;
            });
        std::sort(xs.begin(), xs.end());
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
        const int twin = S.twin[c];
        const bool twinSameBox =
            twin >= 0 && sameConditionList(S.group->rules[c].conditions,
                                           T.group->rules[static_cast<size_t>(twin)].conditions);
        for (uint32_t x : xs) {
            if (full()) return;
            // x unchanged and before c in S: its box is cut from where c decides.
            if (!T.changed[x] && T.twin[x] >= 0 && static_cast<uint32_t>(T.twin[x]) < c) continue;
            // c's twin in T has c's box and comes before x: x never decides inside it.
            if (twinSameBox && static_cast<uint32_t>(twin) < x) continue;
            ask(S, T, c, x, sIsOld);
        }
        if (!full() && T.defaultVerdict != S.verdict(c) && !twinSameBox)
            ask(S, T, c, std::nullopt, sIsOld);
    }

    void ask(Side& S, Side& T, uint32_t c, std::optional<uint32_t> x, bool sIsOld) {
        std::pair<int64_t, int64_t> key{sIsOld ? c : (x ? int64_t(*x) : -1),
                                        sIsOld ? (x ? int64_t(*x) : -1) : c};
        if (!asked_.insert(key).second) return;
        if (stop_ && stop_()) {
            result_.stopped = true;
            return;
        }
        ++result_.questions;
        auto w = decidesBoth(S, c, T, x);
        if (!w) return;
        Class k;
        k.witness = *w;
        std::optional<uint32_t> cs = c;
        k.oldRule = sIsOld ? cs : x;
        k.newRule = sIsOld ? x : cs;
        result_.classes.push_back(k);
    }

    // A packet in c's boxes and x's (any packet when x is T's default) that no rule before c
    // in S and no rule before x in T (every rule of T for the default) contains.
    std::optional<lang::Headers> decidesBoth(Side& S, uint32_t c, Side& T,
                                             std::optional<uint32_t> x) {
        const size_t limitT = x ? *x : T.size();
        geo::Region target;
        if (x) {
            for (const auto& a : S.boxes[c])
                for (const auto& b : T.boxes[*x])
                    if (auto i = a.intersect(b)) target.push_back(*i);
        } else {
            target = S.boxes[c];
        }
        if (target.empty()) return std::nullopt;
        // Each piece inside one cutting box: empty (the common case, no subtraction).
        bool inOne = true;
        for (size_t i = 0; inOne && i < target.size(); ++i)
            inOne = S.containedBefore(target[i], c) || T.containedBefore(target[i], limitT);
        if (inOne) return std::nullopt;
        if (auto p = geo::probe(target, 8, [&](const geo::Box& q) {
                return !S.containedBefore(q, c) && !T.containedBefore(q, limitT);
            }))
            return geo::pointOf(*p);
        // Exact: subtract the cutting boxes that meet the target, largest first.
        std::vector<std::pair<double, const geo::Box*>> sized;
        std::set<uint32_t> rulesS, rulesT;
        for (const auto& t : target) {
            S.index.anyIntersecting(t, [&](uint32_t id) {
                if (S.owner[id] < c) rulesS.insert(S.owner[id]);
                return false;
            });
            T.index.anyIntersecting(t, [&](uint32_t id) {
                if (T.owner[id] < limitT) rulesT.insert(T.owner[id]);
                return false;
            });
        }
        for (auto [side, rules] : {std::pair{&S, &rulesS}, std::pair{&T, &rulesT}})
            for (uint32_t r : *rules)
                for (const auto& b : side->boxes[r]) sized.emplace_back(b.log2Volume(), &b);
        std::stable_sort(sized.begin(), sized.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<const geo::Box*> cutters;
        for (auto& [v, b] : sized) cutters.push_back(b);
        auto cover = geo::subtract(target, cutters, cap_);
        if (cover.status == geo::Cover::Covered) return std::nullopt;
        if (cover.status == geo::Cover::NotCovered) return geo::pointOf(cover.witness);
        // BDDs over the rules that meet the target only.
        ++result_.bddQuestions;
        auto& ps = pset::Space::get();
        pset::Set left = S.setOf(c) & ps.universe();
        if (x) left &= T.setOf(*x);
        for (uint32_t r : rulesS) {
            if (left == bddfalse) break;
            left -= S.setOf(r);
        }
        for (uint32_t r : rulesT) {
            if (left == bddfalse) break;
            left -= T.setOf(r);
        }
        if (ps.exhausted()) throw std::runtime_error("the geometric diff's BDDs exceed the budget");
        if (left == bddfalse) return std::nullopt;
        return ps.pick(left);
    }

    Side& old_;
    Side& new_;
    size_t cap_;
    size_t maxClasses_;
    const std::function<bool()>& stop_;
    std::set<std::pair<int64_t, int64_t>> asked_;
    Result result_;
};

bool fill(Side& s, const lang::Layer& layer, lang::Direction dir, size_t cap) {
    const auto& groups = layer.groupsFor(dir);
    if (groups.size() != 1 || groups[0].mode != lang::GroupMode::Priority) return false;
    if (layer.audit) return false;  // verdicts are not the rules' own: left to Z3
    if (!decidesByVerdictOnly(layer.defaultFor(dir))) return false;
    s.group = &groups[0];
    s.defaultVerdict = layer.defaultFor(dir).verdict;
    const auto& rules = s.group->rules;
    s.boxes.resize(rules.size());
    for (size_t r = 0; r < rules.size(); ++r) {
        if (rules[r].stateful || !decidesByVerdictOnly(rules[r].action)) return false;
        auto b = geo::conditionBoxes({&s.group->conditions, &rules[r].conditions}, cap);
        if (!b) return false;
        s.boxes[r] = std::move(*b);
    }
    for (size_t r = 0; r < rules.size(); ++r)
        for (const auto& b : s.boxes[r]) {
            s.flat.push_back(&b);
            s.owner.push_back(static_cast<uint32_t>(r));
        }
    s.index = geo::BoxIndex(s.flat);
    s.sets.resize(rules.size());
    return true;
}

// Twins by name; unchanged when conditions and outcome are the same. False when the unchanged
// rules are not in the same relative order on both sides.
bool pair(Side& o, Side& n) {
    auto link = [](Side& a, const Side& b) {
        std::map<std::string, uint32_t> byName;
        for (uint32_t r = 0; r < b.size(); ++r) byName.emplace(b.group->rules[r].name, r);
        a.twin.assign(a.size(), -1);
        a.changed.assign(a.size(), 1);
        for (uint32_t r = 0; r < a.size(); ++r) {
            auto it = byName.find(a.group->rules[r].name);
            if (it == byName.end()) continue;
            a.twin[r] = static_cast<int>(it->second);
            const auto& x = a.group->rules[r];
            const auto& y = b.group->rules[it->second];
            a.changed[r] = !(x.priority == y.priority &&
                             sameConditionList(x.conditions, y.conditions) &&
                             enc::sameOutcome(x, y));
        }
    };
    link(o, n);
    link(n, o);
    std::vector<int> order;
    for (uint32_t r = 0; r < o.size(); ++r)
        if (!o.changed[r]) order.push_back(o.twin[r]);
    return std::is_sorted(order.begin(), order.end());
}

}  // namespace

bool decidesByVerdictOnly(const lang::Action& a) {
    return !a.isTransposition() && !a.routeTable && !a.meter;
}

std::optional<Result> diffLayer(const lang::Layer& oldLayer, const lang::Layer& newLayer,
                                lang::Direction dir, size_t boxCap, size_t maxClasses,
                                const std::function<bool()>& stop) {
    Side o, n;
    if (!fill(o, oldLayer, dir, boxCap) || !fill(n, newLayer, dir, boxCap)) return std::nullopt;
    if (!sameConditionList(o.group->conditions, n.group->conditions)) return std::nullopt;
    if (!pair(o, n)) return std::nullopt;
    return LayerDiff(o, n, boxCap, maxClasses, stop).run();
}

}  // namespace sluice::verify::geodiff
