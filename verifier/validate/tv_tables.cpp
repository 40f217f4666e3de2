// Walks each classifier along its own regions (tv_internal.h) and decides every region.
#include <map>

#include "ir/keys.h"
#include "tv_internal.h"

namespace sluice::tv {

namespace {

struct TableCheck {
    const TableSource& s;
    const ir::Table& t;
    Smt& smt;
    bool useBoxes;
    compiler::ValidationReport& report;
    std::vector<Box> rowBoxes;
    std::vector<Entry> rowEnts;
    bool failed = false;

    TableCheck(const TableSource& src, Smt& z, bool boxes, compiler::ValidationReport& r)
        : s(src), t(*src.table), smt(z), useBoxes(boxes), report(r) {
        rowEnts = rowEntries(t, rowBoxes);
    }

    void fail(std::string packet, std::string detail) {
        failed = true;
        report.failures.push_back({t.name, std::move(packet), std::move(detail)});
    }

    static std::string answer(int r) { return r < 0 ? std::string("no rule") : "rule #" + std::to_string(r); }

    // Keeps the entries meeting `region` up to the first exact one covering it (nothing after
    // it can be first inside the region).
    static void truncate(std::vector<Entry>& es, const Box& region) {
        for (size_t i = 0; i < es.size(); ++i) {
            if (es[i].exact && covers(*es[i].box, region)) {
                es.resize(i + 1);
                return;
            }
        }
    }

    void decide(const Box& region, const std::vector<Entry>& src, const std::vector<uint32_t>& rows) {
        if (failed) return;
        ++report.regions;
        if (useBoxes) {
            std::vector<Entry> low;
            low.reserve(rows.size());
            for (uint32_t r : rows) low.push_back(rowEnts[r]);
            BoxDecision d = decideByBoxes(t, region, src, low);
            if (d.outcome == Outcome::Equal) {
                ++report.decidedByBoxes;
                return;
            }
            if (d.outcome == Outcome::Differ) {
                lang::Headers h = packetOfKeys(t, d.witness);
                int sa = sourceAnswer(s, h), la = loweredAnswer(t, s.conditionsTable, h);
                if (sa != la) {
                    ++report.decidedByBoxes;
                    fail(lang::formatPacketText(h), "source picks " + answer(sa) + ", lowered picks " + answer(la));
                    return;
                }
                // Not a real difference (an approximation of the shortcut): ask Z3.
            }
        }
        std::vector<const SourceAlt*> alts;
        for (const Entry& e : src) {
            const SourceAlt* a = &s.alts[e.alt];
            if (alts.empty() || alts.back() != a) alts.push_back(a);
        }
        ++report.solverQueries;
        SmtDecision z = smt.check(s, alts, region, rows);
        if (z.outcome == Outcome::Differ) fail(z.packet, z.detail);
        else if (z.outcome == Outcome::Unknown) fail("-", z.detail);
    }

    std::vector<uint32_t> allRows() const {
        std::vector<uint32_t> all(t.rows.size());
        for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
        return all;
    }

    void walkTree(int32_t node, const Box& region, const std::vector<Entry>& src) {
        if (failed) return;
        const ir::Classifier& c = t.cls;
        if (node < 0) {
            uint32_t leaf = static_cast<uint32_t>(~node);
            std::vector<uint32_t> rows(c.leafRows.begin() + c.leafBegin[leaf], c.leafRows.begin() + c.leafEnd[leaf]);
            decide(region, src, rows);
            return;
        }
        const ir::TreeNode& n = c.nodes[static_cast<size_t>(node)];
        Box l = region, r = region;
        l[n.dim].second = std::min(l[n.dim].second, n.split);
        bool rightEmpty = n.split == ~uint64_t{0} || n.split >= region[n.dim].second;
        if (!rightEmpty) r[n.dim].first = std::max(r[n.dim].first, n.split + 1);
        if (l[n.dim].first <= l[n.dim].second) {
            std::vector<Entry> ls;
            for (const Entry& e : src)
                if ((*e.box)[n.dim].first <= n.split) ls.push_back(e);
            truncate(ls, l);
            walkTree(n.left, l, ls);
        }
        if (!rightEmpty) {
            std::vector<Entry> rs;
            for (const Entry& e : src)
                if ((*e.box)[n.dim].second > n.split) rs.push_back(e);
            truncate(rs, r);
            walkTree(n.right, r, rs);
        }
    }

    void bisectSegments(size_t i, size_t j, const std::vector<Entry>& parent) {
        if (failed) return;
        const ir::Classifier& c = t.cls;
        Box region = fullBox(t);
        // Keys below bounds[0] fall into segment 0 (the search keeps the last bound <= key).
        region[c.intervalDim] = {i == 0 ? 0 : c.bounds[i], j < c.bounds.size() ? c.bounds[j] - 1 : ~uint64_t{0}};
        std::vector<Entry> src;
        for (const Entry& e : parent)
            if (meets(*e.box, region)) src.push_back(e);
        truncate(src, region);
        if (j - i == 1) {
            int32_t w = c.winners[i];
            decide(region, src, w < 0 ? std::vector<uint32_t>{} : std::vector<uint32_t>{static_cast<uint32_t>(w)});
            return;
        }
        size_t mid = i + (j - i) / 2;
        bisectSegments(i, mid, src);
        bisectSegments(mid, j, src);
    }

    // Hash: every distinct row key must probe to the first row holding it (concrete); the rows
    // themselves are then compared with the source over the whole table.
    bool probeHash() {
        const ir::Classifier& c = t.cls;
        std::map<std::vector<uint64_t>, uint32_t> first;
        for (uint32_t i = 0; i < t.rows.size(); ++i) {
            std::vector<uint64_t> k;
            for (size_t d = 0; d < t.dims.size(); ++d) k.push_back(ir::projectDim(t.dims[d], t.rows[i].dims[d]).first);
            first.emplace(k, i);
        }
        size_t mask = c.slots.size() - 1;
        for (auto& [k, row] : first) {
            uint64_t h = c.hashSeed;
            for (uint64_t x : k) h = ir::hashMix(h, x);
            int64_t found = -1;
            for (size_t slot = h & mask, n = 0; n <= mask; slot = (slot + 1) & mask, ++n) {
                if (c.slots[slot] == 0) break;
                std::vector<uint64_t> rk;
                for (size_t d = 0; d < t.dims.size(); ++d) rk.push_back(ir::projectDim(t.dims[d], t.rows[c.slots[slot] - 1].dims[d]).first);
                if (rk == k) { found = c.slots[slot] - 1; break; }
            }
            if (found != static_cast<int64_t>(row)) {
                ++report.regions;
                ++report.decidedByBoxes;
                std::vector<uint64_t> keys = k;
                fail(lang::formatPacketText(packetOfKeys(t, keys)),
                     "hash probe finds row " + std::to_string(found) + ", first-match row is " + std::to_string(row));
                return false;
            }
        }
        return true;
    }

    void run() {
        ++report.tables;
        Box full = fullBox(t);
        std::vector<Entry> src = s.entries;
        truncate(src, full);
        if (s.conditionsTable) {
            if (t.dims.empty()) {
                ++report.regions;
                ++report.decidedByBoxes;
                if (!s.alts[0].conds->empty()) fail("-", "group conditions dropped by the lowering");
                return;
            }
            decide(full, src, allRows());
            return;
        }
        switch (t.cls.kind) {
            case ir::ClassifierKind::Linear: decide(full, src, allRows()); break;
            case ir::ClassifierKind::Tree: walkTree(t.cls.nodes.empty() ? ~0 : 0, full, src); break;
            case ir::ClassifierKind::Interval:
                if (!t.cls.bounds.empty()) bisectSegments(0, t.cls.bounds.size(), src);
                break;
            case ir::ClassifierKind::Hash:
                if (probeHash()) decide(full, src, allRows());
                break;
        }
    }
};

}  // namespace

void validateTable(const TableSource& s, Smt& smt, bool useBoxes, compiler::ValidationReport& report) {
    smt.beginTable(s);
    TableCheck c(s, smt, useBoxes, report);
    c.run();
}

}  // namespace sluice::tv
