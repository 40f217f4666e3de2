// select-classifier: the cost model and the classifier builders (VFP 6.5: "trie, interval tree,
// hash, list"). All structures work on the 64-bit key projection of keys.h; rows that are not
// exact on it (IPv6 dims) are re-checked exactly in the leaves.
#include <algorithm>
#include <cmath>
#include <queue>

#include "ir/keys.h"
#include "lower/lower.h"

namespace sluice::ir {

namespace {

using Box = std::vector<std::pair<uint64_t, uint64_t>>;

Box projectRow(const Table& t, const Row& r) {
    Box b(t.dims.size());
    for (size_t d = 0; d < t.dims.size(); ++d) b[d] = projectDim(t.dims[d], r.dims[d]);
    return b;
}

size_t usedDims(const Row& r) {
    return static_cast<size_t>(
        std::count_if(r.dims.begin(), r.dims.end(), [](const DimMatch& d) { return !d.any; }));
}

double linearCost(const Table& t) {
    double c = 1;
    for (const Row& r : t.rows) c += 1 + static_cast<double>(usedDims(r));
    return c;
}

// ---- Hash: every row an exact point on every (narrow) dimension.
bool hashEligible(const Table& t) {
    if (t.rows.empty() || t.dims.empty()) return false;
    for (size_t d = 0; d < t.dims.size(); ++d) {
        if (t.wide[d]) return false;
    }
    for (const Row& r : t.rows) {
        for (const DimMatch& d : r.dims) {
            if (d.any || d.lo != d.hi) return false;
        }
    }
    return true;
}

void buildHash(Table& t) {
    Classifier& c = t.cls;
    size_t size = 16;
    while (size < t.rows.size() * 2) size *= 2;
    c.slots.assign(size, 0);
    c.hashSeed = 0x51c3u;
    std::vector<std::vector<uint64_t>> keys;
    for (uint32_t i = 0; i < t.rows.size(); ++i) {
        uint64_t h = c.hashSeed;
        std::vector<uint64_t> k;
        for (size_t d = 0; d < t.dims.size(); ++d) {
            k.push_back(projectDim(t.dims[d], t.rows[i].dims[d]).first);
            h = hashMix(h, k.back());
        }
        size_t mask = size - 1;
        for (size_t s = h & mask;; s = (s + 1) & mask) {
            if (c.slots[s] == 0) {
                c.slots[s] = i + 1;
                break;
            }
            if (keys[c.slots[s] - 1] == k) break;  // duplicate key: the earlier row wins
        }
        keys.push_back(std::move(k));
    }
    c.kind = ClassifierKind::Hash;
    c.cost = 12 + 3.0 * static_cast<double>(t.dims.size());
}

// ---- Interval: one narrow dimension; elementary intervals with their first-match winner.
bool intervalEligible(const Table& t) { return t.dims.size() == 1 && !t.wide[0]; }

void buildInterval(Table& t) {
    Classifier& c = t.cls;
    std::vector<std::pair<uint64_t, uint64_t>> iv;
    for (const Row& r : t.rows) iv.push_back(projectDim(t.dims[0], r.dims[0]));
    std::vector<uint64_t> pts{0};
    for (auto [lo, hi] : iv) {
        pts.push_back(lo);
        if (hi != ~uint64_t{0}) pts.push_back(hi + 1);
    }
    std::sort(pts.begin(), pts.end());
    pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
    // Sweep: rows starting at each point enter a min-heap by row index; expired rows leave lazily.
    std::vector<uint32_t> order(iv.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return iv[a].first < iv[b].first; });
    std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<>> heap;
    size_t next = 0;
    c.bounds.clear();
    c.winners.clear();
    for (uint64_t p : pts) {
        while (next < order.size() && iv[order[next]].first <= p) heap.push(order[next++]);
        while (!heap.empty() && iv[heap.top()].second < p) heap.pop();
        int32_t w = heap.empty() ? -1 : static_cast<int32_t>(heap.top());
        if (!c.winners.empty() && c.winners.back() == w) continue;  // merge equal neighbours
        c.bounds.push_back(p);
        c.winners.push_back(w);
    }
    c.kind = ClassifierKind::Interval;
    c.intervalDim = 0;
    c.cost = 4 + 3 * std::log2(static_cast<double>(c.bounds.size()) + 1);
}

// ---- Tree: HyperSplit (Qi et al.): binary cuts on one dimension at a time, the cut chosen
// to balance the rules on both sides; leaves keep at most binth rows, checked in order.
struct TreeBuilder {
    const Table& t;
    std::vector<Box> boxes;
    Classifier& c;
    size_t binth;
    size_t budget;  // leaf-row budget; exceeded -> give up (caller retries with larger leaves)
    bool failed = false;
    double depthSum = 0, leafSum = 0;

    int32_t leaf(const std::vector<uint32_t>& rows, int depth) {
        c.leafBegin.push_back(static_cast<uint32_t>(c.leafRows.size()));
        c.leafRows.insert(c.leafRows.end(), rows.begin(), rows.end());
        c.leafEnd.push_back(static_cast<uint32_t>(c.leafRows.size()));
        depthSum += depth;
        leafSum += static_cast<double>(rows.size());
        if (c.leafRows.size() > budget) failed = true;
        return ~static_cast<int32_t>(c.leafBegin.size() - 1);
    }

    bool covers(const Box& b, const Box& region) {
        for (size_t d = 0; d < b.size(); ++d) {
            if (b[d].first > region[d].first || b[d].second < region[d].second) return false;
        }
        return true;
    }

    int32_t build(std::vector<uint32_t> rows, const Box& region, int depth) {
        if (failed) return ~0;
        for (size_t i = 0; i < rows.size(); ++i) {
            if (covers(boxes[rows[i]], region)) {
                rows.resize(i + 1);  // later rows are shadowed inside this region
                break;
            }
        }
        if (rows.size() <= binth || depth >= 60) return leaf(rows, depth);
        size_t n = rows.size();
        size_t bestMax = n, bestSum = 2 * n;
        uint32_t bestDim = 0;
        uint64_t bestSplit = 0;
        std::vector<uint64_t> los(n), his(n), cands;
        for (uint32_t d = 0; d < t.dims.size(); ++d) {
            uint64_t rlo = region[d].first, rhi = region[d].second;
            if (rlo == rhi) continue;
            cands.clear();
            for (size_t i = 0; i < n; ++i) {
                los[i] = std::max(boxes[rows[i]][d].first, rlo);
                his[i] = std::min(boxes[rows[i]][d].second, rhi);
                if (his[i] < rhi) cands.push_back(his[i]);
                if (los[i] > rlo) cands.push_back(los[i] - 1);
            }
            if (cands.empty()) continue;
            std::sort(los.begin(), los.end());
            std::sort(his.begin(), his.end());
            std::sort(cands.begin(), cands.end());
            cands.erase(std::unique(cands.begin(), cands.end()), cands.end());
            // Evaluate up to 64 quantiles of the candidate cuts.
            size_t step = std::max<size_t>(1, cands.size() / 64);
            for (size_t ci = 0; ci < cands.size(); ci += step) {
                uint64_t s = cands[ci];
                size_t left = static_cast<size_t>(std::upper_bound(los.begin(), los.end(), s) - los.begin());
                size_t right = n - static_cast<size_t>(std::upper_bound(his.begin(), his.end(), s) - his.begin());
                size_t mx = std::max(left, right), sum = left + right;
                if (mx < bestMax || (mx == bestMax && sum < bestSum)) {
                    bestMax = mx; bestSum = sum; bestDim = d; bestSplit = s;
                }
            }
        }
        if (bestMax >= n) return leaf(rows, depth);  // no cut separates anything
        std::vector<uint32_t> lrows, rrows;
        for (uint32_t r : rows) {
            if (boxes[r][bestDim].first <= bestSplit) lrows.push_back(r);
            if (boxes[r][bestDim].second > bestSplit) rrows.push_back(r);
        }
        int32_t self = static_cast<int32_t>(c.nodes.size());
        c.nodes.push_back({bestDim, bestSplit, 0, 0});
        Box lreg = region, rreg = region;
        lreg[bestDim].second = bestSplit;
        rreg[bestDim].first = bestSplit + 1;
        rows.clear();
        rows.shrink_to_fit();
        int32_t l = build(std::move(lrows), lreg, depth + 1);
        int32_t r = build(std::move(rrows), rreg, depth + 1);
        c.nodes[static_cast<size_t>(self)].left = l;
        c.nodes[static_cast<size_t>(self)].right = r;
        return self;
    }
};

bool buildTree(Table& t, size_t binth) {
    Classifier& c = t.cls;
    c.nodes.clear(); c.leafBegin.clear(); c.leafEnd.clear(); c.leafRows.clear();
    TreeBuilder b{t, {}, c, binth, 64 * t.rows.size() + 4096};
    for (const Row& r : t.rows) b.boxes.push_back(projectRow(t, r));
    std::vector<uint32_t> all(t.rows.size());
    for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    Box region(t.dims.size(), {0, ~uint64_t{0}});
    int32_t root = b.build(std::move(all), region, 0);
    if (b.failed) return false;
    if (root < 0) c.nodes.clear();  // the root is leaf 0
    c.kind = ClassifierKind::Tree;
    double leaves = static_cast<double>(c.leafBegin.size());
    double avgDepth = b.depthSum / leaves, avgLeaf = b.leafSum / leaves;
    double dims = static_cast<double>(std::max<size_t>(1, t.dims.size()));
    c.cost = 2 + 3 * avgDepth + avgLeaf * (1 + dims) / 2;
    return true;
}

}  // namespace

void buildClassifier(Table& t, const compiler::CompileOptions& options) {
    t.cls = Classifier{};
    double lin = linearCost(t);
    if (t.rows.size() <= options.linearMax || t.dims.empty()) {
        t.cls.kind = ClassifierKind::Linear;
        t.cls.cost = lin;
        t.cls.why = "tiny: linear " + std::to_string(static_cast<int>(lin));
        return;
    }
    if (hashEligible(t)) {
        buildHash(t);
        t.cls.why = "exact points on every dim: hash";
        return;
    }
    if (intervalEligible(t)) {
        buildInterval(t);
        t.cls.why = "one narrow dim: interval search over " + std::to_string(t.cls.bounds.size()) +
                    " segments";
        return;
    }
    size_t binth = options.treeLeafSize;
    while (!buildTree(t, binth)) binth *= 2;
    double tree = t.cls.cost;
    if (lin <= tree && t.rows.size() <= 4 * options.linearMax) {
        t.cls = Classifier{};
        t.cls.kind = ClassifierKind::Linear;
        t.cls.cost = lin;
        t.cls.why = "linear " + std::to_string(static_cast<int>(lin)) + " <= tree " +
                    std::to_string(static_cast<int>(tree));
        return;
    }
    t.cls.why = "hypersplit binth " + std::to_string(binth) + " (linear would cost " +
                std::to_string(static_cast<int>(lin)) + ")";
}

Status selectClassifiers(Module& m, const compiler::CompileOptions& options) {
    for (LayerIR& L : m.layers) {
        for (GroupIR& G : L.groups) {
            G.conditions.cls = Classifier{};  // group conditions: always inline checks
            G.conditions.cls.cost = linearCost(G.conditions);
            G.conditions.cls.why = "group conditions";
            buildClassifier(G.table, options);
        }
    }
    for (RouteTableIR& R : m.routes) buildClassifier(R.table, options);
    return {};
}

std::string injectFault(Module& m, compiler::FaultInjection fault) {
    if (fault == compiler::FaultInjection::None) return {};
    if (fault == compiler::FaultInjection::IgnoreAudit) {
        std::string where;
        for (LayerIR& L : m.layers) {
            if (L.audit && where.empty()) where = L.name;
            L.audit = false;
        }
        return where;
    }
    if (fault == compiler::FaultInjection::DropLog) {
        std::string where;
        for (LayerIR& L : m.layers) {
            for (GroupIR& G : L.groups) {
                for (RuleRef& r : G.rules) {
                    if (r.log && where.empty()) where = G.table.name;
                    r.log = false;
                }
            }
        }
        for (RuleInfo& info : m.rules) info.log = false;
        return where;
    }
    if (fault == compiler::FaultInjection::WrongAction) {
        // A rule bound to another (different, since actions are interned) program.
        if (m.actions.size() < 2) return {};
        for (LayerIR& L : m.layers) {
            for (GroupIR& G : L.groups) {
                if (G.rules.empty()) continue;
                G.rules[0].action = (G.rules[0].action + 1) % static_cast<uint32_t>(m.actions.size());
                return G.table.name;
            }
        }
        return {};
    }
    auto corrupt = [&](Table& t) -> bool {
        Classifier& c = t.cls;
        if (fault == compiler::FaultInjection::ShiftBound) {
            for (Row& r : t.rows) {
                for (DimMatch& d : r.dims) {
                    if (!d.any && d.lo < d.hi) {
                        d.hi -= 1;
                        return true;
                    }
                }
            }
            return false;
        }
        switch (c.kind) {
            case ClassifierKind::Tree:
                for (size_t l = 0; l < c.leafBegin.size(); ++l) {
                    if (c.leafEnd[l] > c.leafBegin[l]) {
                        uint32_t p = c.leafBegin[l];
                        c.leafRows.erase(c.leafRows.begin() + p);
                        for (size_t k = 0; k < c.leafBegin.size(); ++k) {
                            if (c.leafBegin[k] > p) --c.leafBegin[k];
                            if (c.leafEnd[k] > p) --c.leafEnd[k];
                        }
                        return true;
                    }
                }
                return false;
            case ClassifierKind::Interval:
                for (int32_t& w : c.winners) {
                    if (w >= 0) { w = -1; return true; }
                }
                return false;
            case ClassifierKind::Hash:
                for (uint32_t& s : c.slots) {
                    if (s) { s = 0; return true; }
                }
                return false;
            case ClassifierKind::Linear:
                if (t.rows.empty()) return false;
                t.rows.erase(t.rows.begin());
                return true;
        }
        return false;
    };
    for (LayerIR& L : m.layers) {
        for (GroupIR& G : L.groups) {
            if (corrupt(G.table)) return G.table.name;
        }
    }
    for (RouteTableIR& R : m.routes) {
        if (corrupt(R.table)) return R.table.name;
    }
    return {};
}

}  // namespace sluice::ir
