// Box arithmetic: exact comparison of two first-match lists of boxes over a region, without a
// solver. Both lists are walked from their heads; equal heads (same rule, same box inside the
// region) are taken together and shadow every later entry they cover; otherwise the region is
// split along the first head that does not cover it (inside it the head is the answer, outside
// it the head is gone), until both heads cover the region (compare their rules) or a list is
// exhausted. Regions with a dimension that no packet can have (keys between the IPv4 and IPv6
// ranges, values past a field's width) are vacuously equal.
#include <algorithm>
#include <set>

#include "ir/keys.h"
#include "tv_internal.h"

namespace sluice::tv {

namespace {

// A realizable key in [lo, hi] for field f, if any.
bool realizableKey(Field f, uint64_t lo, uint64_t hi, uint64_t& out) {
    const lang::FieldInfo& info = lang::fieldInfo(f);
    if (!info.isIp) {
        uint64_t max = info.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << info.width) - 1;
        if (lo > max) return false;
        out = lo;
        return true;
    }
    if (lo == 0) { out = 0; return true; }  // no family
    const std::pair<uint64_t, uint64_t> ranges[] = {
        {ir::kTagV4, ir::kTagV4 + 0xffffffffull},
        {ir::kTagV6, ir::kTagV6 + (uint64_t{1} << 62) - 1},
    };
    for (auto [a, b] : ranges) {
        uint64_t x = std::max(lo, a);
        if (x <= std::min(hi, b)) { out = x; return true; }
    }
    return false;
}

struct BoxSolver {
    const ir::Table& t;
    const std::vector<Entry>& A;
    const std::vector<Entry>& B;
    size_t budget;
    std::vector<uint64_t> witness;
    std::vector<Box> popped;  // clipped boxes where both sides agree (stack per path)

    bool point(const Box& r, std::vector<uint64_t>& p) const {
        p.resize(r.size());
        for (size_t d = 0; d < r.size(); ++d)
            if (!realizableKey(t.dims[d], r[d].first, r[d].second, p[d])) return false;
        return true;
    }
    static Box clip(const Box& b, const Box& r) {
        Box c = r;
        for (size_t d = 0; d < r.size(); ++d) c[d] = {std::max(b[d].first, r[d].first), std::min(b[d].second, r[d].second)};
        return c;
    }
    // Only the latest few common heads are consulted (long identical lists stay linear); a
    // missed shadow costs precision (a candidate point the caller re-checks), never soundness.
    bool shadowed(const Box& b, const Box& r) const {
        if (popped.empty()) return false;
        Box c = clip(b, r);
        size_t from = popped.size() > 8 ? popped.size() - 8 : 0;
        for (size_t i = popped.size(); i-- > from;)
            if (covers(popped[i], c)) return true;
        return false;
    }
    size_t next(const std::vector<Entry>& L, size_t i, const Box& r) const {
        while (i < L.size() && (!meets(*L[i].box, r) || shadowed(*L[i].box, r))) ++i;
        return i;
    }

    Outcome solve(const Box& r, size_t ia, size_t ib) {
        if (budget == 0) return Outcome::Unknown;
        --budget;
        std::vector<uint64_t> p;
        if (!point(r, p)) return Outcome::Equal;
        size_t mark = popped.size();
        Outcome result = run(r, ia, ib, p);
        popped.resize(mark);
        return result;
    }

    Outcome run(const Box& r, size_t ia, size_t ib, const std::vector<uint64_t>& p) {
        for (;;) {
            ia = next(A, ia, r);
            ib = next(B, ib, r);
            bool ha = ia < A.size(), hb = ib < B.size();
            if ((ha && !A[ia].exact) || (hb && !B[ib].exact)) return Outcome::Unknown;
            if (ha && hb && A[ia].result == B[ib].result && clip(*A[ia].box, r) == clip(*B[ib].box, r)) {
                popped.push_back(clip(*A[ia].box, r));
                ++ia;
                ++ib;
                continue;
            }
            bool ca = ha && covers(*A[ia].box, r), cb = hb && covers(*B[ib].box, r);
            if ((!ha || ca) && (!hb || cb)) {
                int ra = ha ? A[ia].result : -1, rb = hb ? B[ib].result : -1;
                if (ra == rb) return Outcome::Equal;
                witness = p;
                return Outcome::Differ;
            }
            const Box& x = (ha && !ca) ? *A[ia].box : *B[ib].box;
            Outcome o = solve(clip(x, r), ia, ib);
            if (o != Outcome::Equal) return o;
            Box rest = r;
            for (size_t d = 0; d < r.size(); ++d) {
                if (rest[d].first < x[d].first) {
                    Box below = rest;
                    below[d].second = x[d].first - 1;
                    if ((o = solve(below, ia, ib)) != Outcome::Equal) return o;
                    rest[d].first = x[d].first;
                }
                if (rest[d].second > x[d].second) {
                    Box above = rest;
                    above[d].first = x[d].second + 1;
                    if ((o = solve(above, ia, ib)) != Outcome::Equal) return o;
                    rest[d].second = x[d].second;
                }
            }
            return Outcome::Equal;
        }
    }
};

// Drops entries whose box inside the region repeats an earlier entry's: such an entry is
// never first anywhere in the region (exact; prune-rows drops duplicate rows the same way).
std::vector<Entry> dedupe(const std::vector<Entry>& in, const Box& region) {
    std::set<Box> seen;
    std::vector<Entry> out;
    for (const Entry& e : in) {
        Box c = BoxSolver::clip(*e.box, region);
        if (e.exact && !seen.insert(c).second) continue;
        out.push_back(e);
    }
    return out;
}

}  // namespace

BoxDecision decideByBoxes(const ir::Table& t, const Box& region, const std::vector<Entry>& srcIn,
                          const std::vector<Entry>& lowIn, size_t budget) {
    std::vector<Entry> src = dedupe(srcIn, region), low = dedupe(lowIn, region);
    BoxSolver s{t, src, low, budget, {}, {}};
    BoxDecision d;
    d.outcome = s.solve(region, 0, 0);
    d.witness = std::move(s.witness);
    return d;
}

}  // namespace sluice::tv
