// The source side of a table, from the policy model with the interpreter's meaning: priority
// first match, or longest prefix with ties by priority (lpm groups), route tables by prefix
// length then source order. Independent of build-ir: boxes are derived here from lang
// conditions through the key projection (keys.h), which is exact for non-IP fields and IPv4.
#include <algorithm>

#include "ir/keys.h"
#include "tv_internal.h"

namespace sluice::tv {

namespace {

constexpr size_t kMaxBoxesPerAlt = 256;

int dimOf(const ir::Table& t, Field f) {
    auto it = std::find(t.dims.begin(), t.dims.end(), f);
    return it == t.dims.end() ? -1 : static_cast<int>(it - t.dims.begin());
}

// Key interval of one match value, and whether it is exact (the packets whose field matches
// the value are exactly the realizable packets whose key lies in the interval).
std::pair<uint64_t, uint64_t> keyRange(Field f, const lang::MatchValue& v, bool& exact) {
    bool ip = lang::fieldInfo(f).isIp;
    if (ip) {
        if (v.family != Family::V4 || v.hi > 0xffffffffu || v.lo > v.hi) exact = false;
    } else if (v.family != Family::None || v.lo > v.hi) {
        exact = false;
    }
    return {ir::projectKey(ip, v.lo, v.family), ir::projectKey(ip, v.hi, v.family)};
}

// Expands an AND of OR-conditions into boxes; `skip` names a condition left out (lpm field).
void expand(const ir::Table& t, const std::vector<lang::Condition>& conds, std::optional<Field> skip,
            const lang::MatchValue* extra, SourceAlt& a) {
    a.hull = fullBox(t);
    a.exact = true;
    std::vector<Box> boxes{fullBox(t)};
    auto apply = [&](Field f, const std::vector<const lang::MatchValue*>& values) {
        int d = dimOf(t, f);
        if (d < 0) {  // a condition on a field the table does not look at
            a.exact = false;
            return;
        }
        uint64_t hlo = ~uint64_t{0}, hhi = 0;
        std::vector<Box> next;
        for (const lang::MatchValue* v : values) {
            auto [lo, hi] = keyRange(f, *v, a.exact);
            hlo = std::min(hlo, lo);
            hhi = std::max(hhi, hi);
            if (!a.exact) continue;
            for (const Box& b : boxes) {
                Box nb = b;
                auto& s = nb[static_cast<size_t>(d)];
                s = {std::max(s.first, lo), std::min(s.second, hi)};
                if (s.first <= s.second) next.push_back(std::move(nb));
            }
            if (next.size() > kMaxBoxesPerAlt) a.exact = false;
        }
        auto& hs = a.hull[static_cast<size_t>(d)];
        hs = {std::max(hs.first, hlo), std::min(hs.second, hhi)};
        if (a.exact) boxes = std::move(next);
    };
    for (const lang::Condition& c : conds) {
        if (skip && c.field == *skip) continue;
        std::vector<const lang::MatchValue*> vs;
        for (const lang::MatchValue& v : c.values) vs.push_back(&v);
        apply(c.field, vs);
    }
    if (extra) apply(*skip, {extra});
    if (a.exact) a.boxes = std::move(boxes);
}

void flatten(TableSource& s) {
    for (uint32_t i = 0; i < s.alts.size(); ++i) {
        const SourceAlt& a = s.alts[i];
        if (!a.exact) {
            s.entries.push_back({&a.hull, a.result, false, i});
            continue;
        }
        for (const Box& b : a.boxes) s.entries.push_back({&b, a.result, true, i});
    }
}

void collectV6(TableSource& s, const std::vector<lang::Condition>& conds) {
    for (const lang::Condition& c : conds)
        for (const lang::MatchValue& v : c.values)
            if (v.family == Family::V6) s.v6.insert(c.field);
}

void tableV6(TableSource& s, const ir::Table& t) {
    for (size_t d = 0; d < t.dims.size(); ++d)
        if (t.wide[d]) s.v6.insert(t.dims[d]);
}

// The interpreter's matched prefix length of one value.
int valueLen(Field f, const lang::MatchValue& v) {
    if (v.prefixLen >= 0) return v.prefixLen;
    if (v.lo == v.hi) {
        return lang::fieldInfo(f).isIp ? (v.family == Family::V4 ? 32 : 128)
                                       : static_cast<int>(lang::fieldInfo(f).width);
    }
    return -1;
}

}  // namespace

Box fullBox(const ir::Table& t) { return Box(t.dims.size(), {0, ~uint64_t{0}}); }

bool meets(const Box& b, const Box& region) {
    for (size_t d = 0; d < region.size(); ++d) {
        if (b[d].first > region[d].second || b[d].second < region[d].first) return false;
    }
    return true;
}

bool covers(const Box& b, const Box& region) {
    for (size_t d = 0; d < region.size(); ++d) {
        if (b[d].first > region[d].first || b[d].second < region[d].second) return false;
    }
    return true;
}

TableSource sourceOfGroup(const lang::Group& g, const ir::Table& t) {
    TableSource s;
    s.table = &t;
    struct Item { int len; uint32_t rule; SourceAlt alt; };
    std::vector<Item> items;
    bool lpm = g.mode == lang::GroupMode::Lpm;
    for (uint32_t i = 0; i < g.rules.size(); ++i) {
        const lang::Rule& r = g.rules[i];
        collectV6(s, r.conditions);
        const lang::Condition* lpmCond = nullptr;
        if (lpm) {
            for (const lang::Condition& c : r.conditions)
                if (c.field == g.lpmField) lpmCond = &c;
        }
        if (!lpmCond) {
            SourceAlt a;
            a.result = static_cast<int>(i);
            a.conds = &r.conditions;
            expand(t, r.conditions, std::nullopt, nullptr, a);
            items.push_back({lpm ? -1 : 0, i, std::move(a)});
            continue;
        }
        // LPM: the rule stands at the length of the longest value it matches (interpreter),
        // so each value is its own alternative at its own length.
        for (const lang::MatchValue& v : lpmCond->values) {
            SourceAlt a;
            a.result = static_cast<int>(i);
            a.conds = &r.conditions;
            a.lpmField = g.lpmField;
            a.lpmValue = &v;
            expand(t, r.conditions, g.lpmField, &v, a);
            items.push_back({valueLen(g.lpmField, v), i, std::move(a)});
        }
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.len != b.len) return a.len > b.len;
        return a.rule < b.rule;
    });
    for (Item& it : items) s.alts.push_back(std::move(it.alt));
    tableV6(s, t);
    flatten(s);
    return s;
}

TableSource sourceOfConditions(const lang::Group& g, const ir::Table& t) {
    TableSource s;
    s.table = &t;
    s.conditionsTable = true;
    collectV6(s, g.conditions);
    SourceAlt a;
    a.result = 0;
    a.conds = &g.conditions;
    expand(t, g.conditions, std::nullopt, nullptr, a);
    s.alts.push_back(std::move(a));
    tableV6(s, t);
    flatten(s);
    return s;
}

TableSource sourceOfRoutes(const lang::RouteTable& rt, const ir::Table& t) {
    TableSource s;
    s.table = &t;
    struct Item { int len; SourceAlt alt; };
    std::vector<Item> items;
    for (uint32_t i = 0; i < rt.routes.size(); ++i) {
        const lang::RouteEntry& e = rt.routes[i];
        if (e.prefix.family == Family::None) continue;  // contains no address
        int width = static_cast<int>(e.prefix.width());
        if (e.prefixLen > width) continue;
        if (e.prefix.family == Family::V6) s.v6.insert(Field::DstIp);
        int len = std::max(e.prefixLen, 0);
        u128 host = width - len >= 128 ? ~u128(0) : ((u128(1) << (width - len)) - 1);
        u128 lo = e.prefix.value & ~host, hi = lo | host;
        SourceAlt a;
        a.result = static_cast<int>(i);
        a.route = &e;
        a.hull = fullBox(t);
        int d = dimOf(t, Field::DstIp);
        if (d >= 0) {
            a.hull[static_cast<size_t>(d)] = {ir::projectKey(true, lo, e.prefix.family),
                                              ir::projectKey(true, hi, e.prefix.family)};
            a.exact = e.prefix.family == Family::V4 && hi <= 0xffffffffu;
            if (a.exact) a.boxes = {a.hull};
        }
        items.push_back({e.prefixLen, std::move(a)});
    }
    // The interpreter: the first entry (source order) of the greatest prefix length.
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.len > b.len; });
    for (Item& it : items) s.alts.push_back(std::move(it.alt));
    tableV6(s, t);
    flatten(s);
    return s;
}

std::vector<Entry> rowEntries(const ir::Table& t, std::vector<Box>& boxes) {
    boxes.assign(t.rows.size(), {});
    std::vector<Entry> out;
    for (uint32_t i = 0; i < t.rows.size(); ++i) {
        Box& b = boxes[i];
        bool exact = true;
        for (size_t d = 0; d < t.dims.size(); ++d) {
            b.push_back(ir::projectDim(t.dims[d], t.rows[i].dims[d]));
            const ir::DimMatch& m = t.rows[i].dims[d];
            if (t.wide[d] && !m.any) exact = false;
            // Narrow dims are checked on the key by the generated code: exact by definition
            // of the lowered side (codegen), whatever the row's family.
        }
        out.push_back({&b, static_cast<int>(t.rows[i].rule), exact, i});
    }
    return out;
}

namespace {

bool condHolds(const lang::Condition& c, const lang::Headers& h) {
    for (const lang::MatchValue& v : c.values)
        if (v.contains(h.get(c.field), h.family(c.field))) return true;
    return false;
}

bool altHolds(const SourceAlt& a, const lang::Headers& h) {
    if (a.route) {
        const lang::RouteEntry& e = *a.route;
        if (h.family(Field::DstIp) != e.prefix.family) return false;
        int width = static_cast<int>(e.prefix.width()), len = std::max(e.prefixLen, 0);
        if (len == 0) return true;
        u128 x = h.get(Field::DstIp) ^ e.prefix.value;
        if (width < 128) x &= (u128(1) << width) - 1;
        return (x >> (width - len)) == 0;
    }
    for (const lang::Condition& c : *a.conds) {
        if (a.lpmField && c.field == *a.lpmField) continue;
        if (!condHolds(c, h)) return false;
    }
    if (a.lpmValue && !a.lpmValue->contains(h.get(*a.lpmField), h.family(*a.lpmField))) return false;
    return true;
}

}  // namespace

int sourceAnswer(const TableSource& s, const lang::Headers& h) {
    for (const SourceAlt& a : s.alts)
        if (altHolds(a, h)) return a.result;
    return -1;
}

int loweredAnswer(const ir::Table& t, bool conditionsTable, const lang::Headers& h) {
    if (conditionsTable) {
        if (t.dims.empty()) return 0;
        return ir::scanTable(t, h) >= 0 ? 0 : -1;
    }
    int r = ir::classifyTable(t, h);
    if (r < 0) return -1;
    const ir::Row& row = t.rows[static_cast<size_t>(r)];
    if (t.cls.kind == ir::ClassifierKind::Interval && !ir::rowMatches(t, row, h)) return -1;
    return static_cast<int>(row.rule);
}

lang::Headers packetOfKeys(const ir::Table& t, const std::vector<uint64_t>& keys) {
    lang::Headers h;
    h.etherType = 0x0800;
    for (size_t d = 0; d < t.dims.size(); ++d) {
        Field f = t.dims[d];
        uint64_t k = keys[d];
        if (!lang::fieldInfo(f).isIp) {
            h.set(f, k);
        } else if (k >= ir::kTagV6) {
            h.set(f, u128(k - ir::kTagV6) << 66, Family::V6);
        } else if (k >= ir::kTagV4) {
            h.set(f, k - ir::kTagV4, Family::V4);
        } else {
            h.set(f, 0, Family::None);
        }
    }
    return h;
}

}  // namespace sluice::tv
