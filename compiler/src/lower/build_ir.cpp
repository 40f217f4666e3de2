// build-ir, lpm-order, prune-rows, verify-ir and the policy hash.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "lower/lower.h"

namespace sluice::ir {

namespace {

constexpr size_t kMaxRowsPerRule = 65536;

DimMatch fromValue(const lang::MatchValue& v) {
    DimMatch d;
    d.any = false;
    d.lo = v.lo;
    d.hi = v.hi;
    d.family = v.family;
    return d;
}

// The interpreter's matchedPrefixLen for one value.
int valueLpmLen(Field field, const lang::MatchValue& m) {
    if (m.prefixLen >= 0) return m.prefixLen;
    if (m.lo == m.hi) {
        return lang::fieldInfo(field).isIp ? (m.family == Family::V4 ? 32 : 128)
                                           : static_cast<int>(lang::fieldInfo(field).width);
    }
    return -1;
}

// Rows of one rule (or group) from its conditions over `dims`.
Status expandRows(const std::vector<lang::Condition>& conds, const std::vector<Field>& dims,
                  uint32_t rule, std::optional<Field> lpmField, const std::string& where,
                  std::vector<Row>& out) {
    std::vector<Row> rows(1);
    rows[0].rule = rule;
    rows[0].dims.assign(dims.size(), DimMatch{});
    for (const lang::Condition& c : conds) {
        size_t d = static_cast<size_t>(std::find(dims.begin(), dims.end(), c.field) - dims.begin());
        std::vector<Row> next;
        next.reserve(rows.size() * c.values.size());
        for (const Row& r : rows) {
            for (const lang::MatchValue& v : c.values) {
                if (v.lo > v.hi) continue;
                Row n = r;
                n.dims[d] = fromValue(v);
                if (lpmField && c.field == *lpmField) n.lpmLen = valueLpmLen(c.field, v);
                next.push_back(std::move(n));
            }
        }
        rows = std::move(next);
        if (rows.size() > kMaxRowsPerRule) {
            return makeError("expands to more than " + std::to_string(kMaxRowsPerRule) +
                                 " boxes (too many values in its conditions)",
                             where);
        }
    }
    for (Row& r : rows) out.push_back(std::move(r));
    return {};
}

std::vector<Field> dimsOf(const std::vector<const std::vector<lang::Condition>*>& condLists) {
    std::set<Field> fields;
    for (const auto* conds : condLists) {
        for (const lang::Condition& c : *conds) fields.insert(c.field);
    }
    return {fields.begin(), fields.end()};
}

void finishTable(Table& t) {
    t.wide.assign(t.dims.size(), false);
    for (const Row& r : t.rows) {
        for (size_t d = 0; d < t.dims.size(); ++d) {
            if (!r.dims[d].any && r.dims[d].family == Family::V6) t.wide[d] = true;
        }
    }
}

ActionProgram programOf(const lang::Action& a) {
    ActionProgram p;
    p.verdict = a.verdict;
    if (a.verdict == lang::Verdict::Deny) return p;  // a deny carries nothing else
    if (a.decap) p.ops.push_back({TranspositionOp::Decap, Field::Vni, 0, Family::None, 0, {}, {}});
    for (const lang::Rewrite& rw : a.rewrites) {
        TranspositionOp op;
        op.kind = TranspositionOp::Set;
        op.field = rw.field;
        op.value = rw.value;
        op.family = rw.family;
        p.ops.push_back(op);
    }
    if (a.encap) {
        TranspositionOp op;
        op.kind = TranspositionOp::Encap;
        op.vni = a.encap->vni;
        op.outerSrc = a.encap->outerSrc;
        op.outerDst = a.encap->outerDst;
        p.ops.push_back(op);
    }
    p.routeTable = a.routeTable;
    p.meter = a.meter;
    return p;
}

std::string actionKey(const ActionProgram& p) {
    std::string k;
    auto put = [&](u128 v) { k.append(reinterpret_cast<const char*>(&v), sizeof v); };
    put(static_cast<u128>(p.verdict));
    put(p.routeTable.value_or(~0u));
    put(p.meter.value_or(~0u));
    for (const TranspositionOp& op : p.ops) {
        put(op.kind); put(static_cast<u128>(op.field)); put(op.value);
        put(static_cast<u128>(op.family)); put(op.vni);
        put(op.outerSrc.value); put(static_cast<u128>(op.outerSrc.family));
        put(op.outerDst.value); put(static_cast<u128>(op.outerDst.family));
    }
    return k;
}

struct ActionInterner {
    Module& m;
    std::map<std::string, uint32_t> index;
    uint32_t operator()(const ActionProgram& p) {
        auto [it, fresh] = index.emplace(actionKey(p), static_cast<uint32_t>(m.actions.size()));
        if (fresh) m.actions.push_back(p);
        return it->second;
    }
};

}  // namespace

Status buildModule(const lang::Policy& policy, Module& m) {
    m = Module{};
    m.policyHash = policyHash(policy);
    ActionInterner internAction{m, {}};
    for (const lang::Layer& l : policy.layers) m.layerNames.push_back(l.name);
    // Global rule ids: layer, direction (in, out), group, rule.
    std::vector<std::array<uint32_t, 2>> firstRule(policy.layers.size());
    for (uint32_t li = 0; li < policy.layers.size(); ++li) {
        const lang::Layer& layer = policy.layers[li];
        for (int di = 0; di < 2; ++di) {
            Direction dir = static_cast<Direction>(di);
            const auto& groups = layer.groupsFor(dir);
            for (uint32_t gi = 0; gi < groups.size(); ++gi) {
                for (uint32_t ri = 0; ri < groups[gi].rules.size(); ++ri) {
                    const lang::Rule& r = groups[gi].rules[ri];
                    RuleInfo info;
                    info.layer = layer.name;
                    info.group = groups[gi].name;
                    info.rule = r.name;
                    info.layerIndex = li;
                    info.groupIndex = gi;
                    info.ruleIndex = ri;
                    info.priority = r.priority;
                    info.dir = dir;
                    info.verdict = r.action.verdict;
                    info.routeTable = r.action.routeTable;
                    info.meter = r.action.meter;
                    info.idleTimeoutMs = r.idleTimeoutMs;
                    info.terminating = r.terminating;
                    info.stateful = r.stateful;
                    info.log = r.log;
                    m.rules.push_back(std::move(info));
                }
            }
        }
    }
    uint32_t nextRule = 0;
    for (uint32_t li = 0; li < policy.layers.size(); ++li) {
        const lang::Layer& layer = policy.layers[li];
        for (int di = 0; di < 2; ++di) {
            Direction dir = static_cast<Direction>(di);
            LayerIR L;
            L.layer = li;
            L.dir = dir;
            L.name = layer.name + "/" + lang::directionName(dir);
            L.defaultAction = internAction(programOf(layer.defaultFor(dir)));
            L.audit = layer.audit;
            const auto& groups = layer.groupsFor(dir);
            for (uint32_t gi = 0; gi < groups.size(); ++gi) {
                const lang::Group& g = groups[gi];
                GroupIR G;
                G.groupIndex = gi;
                G.name = g.name;
                G.lpm = g.mode == lang::GroupMode::Lpm;
                std::string where = L.name + "/" + g.name;
                G.conditions.name = where + "/conditions";
                G.conditions.dims = dimsOf({&g.conditions});
                if (!g.conditions.empty()) {
                    if (Status s = expandRows(g.conditions, G.conditions.dims, 0, std::nullopt,
                                              G.conditions.name, G.conditions.rows);
                        !s) {
                        return s;
                    }
                }
                finishTable(G.conditions);
                G.table.name = where;
                std::vector<const std::vector<lang::Condition>*> lists;
                for (const lang::Rule& r : g.rules) lists.push_back(&r.conditions);
                G.table.dims = dimsOf(lists);
                for (uint32_t ri = 0; ri < g.rules.size(); ++ri) {
                    const lang::Rule& r = g.rules[ri];
                    std::optional<Field> lpm;
                    if (G.lpm) lpm = g.lpmField;
                    if (Status s = expandRows(r.conditions, G.table.dims, ri, lpm,
                                              where + "/" + r.name, G.table.rows);
                        !s) {
                        return s;
                    }
                    RuleRef ref;
                    ref.globalId = nextRule++;
                    ref.action = internAction(programOf(r.action));
                    ref.terminating = r.terminating;
                    ref.stateful = r.stateful;
                    ref.log = r.log;
                    G.rules.push_back(ref);
                }
                finishTable(G.table);
                L.groups.push_back(std::move(G));
            }
            m.layers.push_back(std::move(L));
        }
    }
    for (const lang::RouteTable& rt : policy.routeTables) {
        RouteTableIR R;
        R.name = rt.name;
        R.table.name = "routes/" + rt.name;
        R.table.dims = {Field::DstIp};
        for (uint32_t i = 0; i < rt.routes.size(); ++i) {
            const lang::RouteEntry& e = rt.routes[i];
            R.hops.push_back({e.kind, e.kind == lang::NextHopKind::Ecmp ? e.ecmp : e.port,
                              e.address});
            if (e.prefix.family == Family::None) continue;
            int width = static_cast<int>(e.prefix.width());
            if (e.prefixLen > width) continue;  // can never contain an address
            Row row;
            row.rule = i;
            row.lpmLen = std::max(e.prefixLen, 0);
            DimMatch d;
            d.any = false;
            d.family = e.prefix.family;
            int host = width - row.lpmLen;
            u128 mask = host >= 128 ? ~u128(0) : ((u128(1) << host) - 1);
            d.lo = e.prefix.value & ~mask;
            d.hi = d.lo | mask;
            if (e.prefix.family == Family::V4) {
                d.lo &= 0xffffffffu;
                d.hi &= 0xffffffffu;
            }
            row.dims.push_back(d);
            R.table.rows.push_back(std::move(row));
        }
        // Longest prefix first; ties keep source order (the interpreter's strict `>`).
        std::stable_sort(R.table.rows.begin(), R.table.rows.end(),
                         [](const Row& a, const Row& b) { return a.lpmLen > b.lpmLen; });
        finishTable(R.table);
        m.routes.push_back(std::move(R));
    }
    // Layer lookup: LayerIR index = policy layer * 2 + direction.
    for (uint32_t pi = 0; pi < policy.ports.size(); ++pi) {
        const lang::Port& port = policy.ports[pi];
        for (int di = 0; di < 2; ++di) {
            Direction dir = static_cast<Direction>(di);
            PortPipeline P;
            P.port = pi;
            P.dir = dir;
            P.portName = port.name;
            std::vector<uint32_t> order = port.layers;
            if (dir == Direction::In) std::reverse(order.begin(), order.end());
            for (uint32_t l : order) {
                if (l >= policy.layers.size()) {
                    return makeError("port " + port.name + " names a missing layer");
                }
                P.layers.push_back(l * 2 + static_cast<uint32_t>(di));
                P.policyLayers.push_back(l);
            }
            if (P.layers.size() > SL_MAX_STEPS) {
                return makeError("port " + port.name + " has more than " +
                                 std::to_string(SL_MAX_STEPS) + " layers");
            }
            m.pipelines.push_back(std::move(P));
        }
    }
    return {};
}

Status orderLpmRows(Module& m) {
    for (LayerIR& L : m.layers) {
        for (GroupIR& G : L.groups) {
            if (!G.lpm) continue;
            std::stable_sort(G.table.rows.begin(), G.table.rows.end(),
                             [](const Row& a, const Row& b) {
                                 if (a.lpmLen != b.lpmLen) return a.lpmLen > b.lpmLen;
                                 return a.rule < b.rule;
                             });
        }
    }
    return {};
}

namespace {

struct RowHash {
    size_t operator()(const Row* r) const {
        size_t h = 1469598103934665603ull;
        for (const DimMatch& d : r->dims) {
            uint64_t parts[] = {d.any, static_cast<uint64_t>(d.lo), static_cast<uint64_t>(d.lo >> 64),
                                static_cast<uint64_t>(d.hi), static_cast<uint64_t>(d.hi >> 64),
                                static_cast<uint64_t>(d.family)};
            for (uint64_t p : parts) h = (h ^ p) * 1099511628211ull;
        }
        return h;
    }
};
struct RowEq {
    bool operator()(const Row* a, const Row* b) const {
        for (size_t i = 0; i < a->dims.size(); ++i) {
            const DimMatch &x = a->dims[i], &y = b->dims[i];
            if (x.any != y.any) return false;
            if (!x.any && (x.lo != y.lo || x.hi != y.hi || x.family != y.family)) return false;
        }
        return true;
    }
};

void pruneTable(Table& t) {
    std::unordered_set<const Row*, RowHash, RowEq> seen;
    std::vector<Row> kept;
    std::vector<bool> keep(t.rows.size(), false);
    for (size_t i = 0; i < t.rows.size(); ++i) {
        const Row& r = t.rows[i];
        if (!seen.insert(&r).second) continue;
        keep[i] = true;
        bool catchAll = std::all_of(r.dims.begin(), r.dims.end(),
                                    [](const DimMatch& d) { return d.any; });
        if (catchAll) break;
    }
    for (size_t i = 0; i < t.rows.size(); ++i) {
        if (keep[i]) kept.push_back(std::move(t.rows[i]));
    }
    t.rows = std::move(kept);
}

}  // namespace

Status pruneRows(Module& m) {
    for (LayerIR& L : m.layers) {
        for (GroupIR& G : L.groups) pruneTable(G.table);
    }
    for (RouteTableIR& R : m.routes) pruneTable(R.table);
    return {};
}

Status verifyIr(Module& m) {
    if (auto e = verifyModule(m)) return makeError("internal: IR verifier: " + *e);
    return {};
}

namespace {

struct Hasher {
    uint64_t h = 1469598103934665603ull;
    void bytes(const void* p, size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    }
    void u(uint64_t v) { bytes(&v, sizeof v); }
    void w(u128 v) { u(static_cast<uint64_t>(v)); u(static_cast<uint64_t>(v >> 64)); }
    void s(const std::string& v) { u(v.size()); bytes(v.data(), v.size()); }
    void ip(const lang::IpAddr& a) { u(static_cast<uint64_t>(a.family)); w(a.value); }
    void conds(const std::vector<lang::Condition>& cs) {
        u(cs.size());
        for (const lang::Condition& c : cs) {
            u(static_cast<uint64_t>(c.field));
            u(c.values.size());
            for (const lang::MatchValue& v : c.values) {
                w(v.lo); w(v.hi); u(static_cast<uint64_t>(v.family));
                u(static_cast<uint64_t>(static_cast<int64_t>(v.prefixLen)));
            }
        }
    }
    void action(const lang::Action& a) {
        u(static_cast<uint64_t>(a.verdict)); u(a.decap);
        u(a.rewrites.size());
        for (const lang::Rewrite& r : a.rewrites) {
            u(static_cast<uint64_t>(r.field)); w(r.value); u(static_cast<uint64_t>(r.family));
        }
        u(a.encap.has_value());
        if (a.encap) { u(a.encap->vni); ip(a.encap->outerSrc); ip(a.encap->outerDst); }
        u(a.routeTable.value_or(~0u)); u(a.meter.value_or(~0u));
    }
};

}  // namespace

uint64_t policyHash(const lang::Policy& p) {
    Hasher h;
    h.s("sluice-compiler-abi-" + std::to_string(SL_ABI_VERSION) + "-ir-1");
    h.u(p.layers.size());
    for (const lang::Layer& l : p.layers) {
        h.s(l.name);
        h.u(l.audit);
        for (int d = 0; d < 2; ++d) {
            h.action(l.defaultAction[d]);
            h.u(l.groups[d].size());
            for (const lang::Group& g : l.groups[d]) {
                h.s(g.name); h.u(g.priority); h.conds(g.conditions);
                h.u(static_cast<uint64_t>(g.mode)); h.u(static_cast<uint64_t>(g.lpmField));
                h.u(g.rules.size());
                for (const lang::Rule& r : g.rules) {
                    h.s(r.name); h.u(r.priority); h.conds(r.conditions); h.action(r.action);
                    h.u(r.terminating); h.u(r.stateful); h.u(r.idleTimeoutMs); h.u(r.log);
                }
            }
        }
    }
    h.u(p.ports.size());
    for (const lang::Port& port : p.ports) {
        h.s(port.name);
        h.u(port.layers.size());
        for (uint32_t l : port.layers) h.u(l);
    }
    h.u(p.routeTables.size());
    for (const lang::RouteTable& rt : p.routeTables) {
        h.s(rt.name);
        h.u(rt.routes.size());
        for (const lang::RouteEntry& e : rt.routes) {
            h.ip(e.prefix); h.u(static_cast<uint64_t>(e.prefixLen)); h.u(static_cast<uint64_t>(e.kind));
            h.u(e.port); h.u(e.ecmp); h.ip(e.address);
        }
    }
    h.u(p.ecmpGroups.size());
    for (const auto& e : p.ecmpGroups) h.s(e.name);
    h.u(p.meters.size());
    return h.h;
}

}  // namespace sluice::ir
