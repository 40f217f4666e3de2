// IR printer, verifier and reference evaluation of tables.
#include "ir/ir.h"

#include <sstream>

#include "ir/keys.h"

namespace sluice::ir {

const char* classifierName(ClassifierKind k) {
    switch (k) {
        case ClassifierKind::Linear: return "linear";
        case ClassifierKind::Hash: return "hash";
        case ClassifierKind::Interval: return "interval";
        case ClassifierKind::Tree: return "tree";
    }
    return "?";
}

size_t Classifier::memoryBytes() const {
    return nodes.size() * 16 + leafBegin.size() * 8 + leafRows.size() * 4 + bounds.size() * 8 +
           winners.size() * 4 + slots.size() * 4;
}

bool ActionProgram::operator==(const ActionProgram& o) const {
    if (verdict != o.verdict || routeTable != o.routeTable || meter != o.meter ||
        ops.size() != o.ops.size()) {
        return false;
    }
    for (size_t i = 0; i < ops.size(); ++i) {
        const TranspositionOp &a = ops[i], &b = o.ops[i];
        if (a.kind != b.kind || a.field != b.field || a.value != b.value ||
            a.family != b.family || a.vni != b.vni || !(a.outerSrc == b.outerSrc) ||
            !(a.outerDst == b.outerDst)) {
            return false;
        }
    }
    return true;
}

bool rowMatches(const Table& t, const Row& r, const lang::Headers& h) {
    for (size_t d = 0; d < t.dims.size(); ++d) {
        const DimMatch& m = r.dims[d];
        if (m.any) continue;
        if (h.family(t.dims[d]) != m.family) return false;
        u128 v = h.get(t.dims[d]);
        if (v < m.lo || v > m.hi) return false;
    }
    return true;
}

int scanTable(const Table& t, const lang::Headers& h) {
    for (size_t i = 0; i < t.rows.size(); ++i) {
        if (rowMatches(t, t.rows[i], h)) return static_cast<int>(i);
    }
    return -1;
}

int classifyTable(const Table& t, const lang::Headers& h) {
    const Classifier& c = t.cls;
    switch (c.kind) {
        case ClassifierKind::Linear: return scanTable(t, h);
        case ClassifierKind::Interval: {
            uint64_t k = packetKey(h, t.dims[c.intervalDim]);
            size_t lo = 0, hi = c.bounds.size();  // last bound <= k
            while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (c.bounds[mid] <= k) lo = mid; else hi = mid;
            }
            return c.winners[lo];
        }
        case ClassifierKind::Hash: {
            uint64_t hv = c.hashSeed;
            for (Field f : t.dims) hv = hashMix(hv, packetKey(h, f));
            size_t mask = c.slots.size() - 1;
            for (size_t i = hv & mask;; i = (i + 1) & mask) {
                uint32_t s = c.slots[i];
                if (s == 0) return -1;
                if (rowMatches(t, t.rows[s - 1], h)) return static_cast<int>(s - 1);
            }
        }
        case ClassifierKind::Tree: {
            int32_t n = c.nodes.empty() ? ~0 : 0;
            while (n >= 0) {
                const TreeNode& node = c.nodes[static_cast<size_t>(n)];
                n = packetKey(h, t.dims[node.dim]) <= node.split ? node.left : node.right;
            }
            uint32_t leaf = static_cast<uint32_t>(~n);
            for (uint32_t i = c.leafBegin[leaf]; i < c.leafEnd[leaf]; ++i) {
                uint32_t r = c.leafRows[i];
                if (rowMatches(t, t.rows[r], h)) return static_cast<int>(r);
            }
            return -1;
        }
    }
    return -1;
}

namespace {

std::string hex(u128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v) {
        s.insert(s.begin(), "0123456789abcdef"[static_cast<unsigned>(v & 15)]);
        v >>= 4;
    }
    return "0x" + s;
}

std::string dimText(Field f, const DimMatch& d) {
    if (d.any) return "*";
    std::string fam = d.family == Family::V4 ? "v4 " : d.family == Family::V6 ? "v6 " : "";
    if (lang::fieldInfo(f).isIp) {
        lang::IpAddr lo{d.family, d.lo}, hi{d.family, d.hi};
        return lo == hi ? lo.str() : lo.str() + ".." + hi.str();
    }
    return fam + (d.lo == d.hi ? hex(d.lo) : hex(d.lo) + ".." + hex(d.hi));
}

void printOps(std::ostringstream& os, const ActionProgram& a) {
    os << lang::verdictName(a.verdict);
    for (const TranspositionOp& op : a.ops) {
        switch (op.kind) {
            case TranspositionOp::Decap: os << "; decap"; break;
            case TranspositionOp::Set:
                os << "; set " << lang::fieldInfo(op.field).name << " "
                   << (lang::fieldInfo(op.field).isIp ? lang::IpAddr{op.family, op.value}.str()
                                                      : hex(op.value));
                break;
            case TranspositionOp::Encap:
                os << "; encap vni " << op.vni << " " << op.outerSrc.str() << "->"
                   << op.outerDst.str();
                break;
        }
    }
    if (a.routeTable) os << "; route #" << *a.routeTable;
    if (a.meter) os << "; meter #" << *a.meter;
}

}  // namespace

std::string printTable(const Table& t, size_t maxRows) {
    std::ostringstream os;
    os << "table " << t.name << " dims(";
    for (size_t d = 0; d < t.dims.size(); ++d) {
        os << (d ? "," : "") << lang::fieldInfo(t.dims[d]).name << (t.wide[d] ? "/wide" : "");
    }
    os << ") rows " << t.rows.size() << " classifier " << classifierName(t.cls.kind)
       << " cost " << t.cls.cost << " mem " << t.cls.memoryBytes() << "B";
    if (!t.cls.why.empty()) os << " [" << t.cls.why << "]";
    if (t.cls.kind == ClassifierKind::Tree) {
        os << " nodes " << t.cls.nodes.size() << " leaves " << t.cls.leafBegin.size()
           << " leaf-rows " << t.cls.leafRows.size();
    }
    os << "\n";
    for (size_t i = 0; i < t.rows.size() && i < maxRows; ++i) {
        const Row& r = t.rows[i];
        os << "    row " << i << " rule " << r.rule;
        if (r.lpmLen >= 0) os << " len " << r.lpmLen;
        os << ":";
        for (size_t d = 0; d < t.dims.size(); ++d) {
            os << " " << lang::fieldInfo(t.dims[d]).name << "=" << dimText(t.dims[d], r.dims[d]);
        }
        os << "\n";
    }
    if (t.rows.size() > maxRows) os << "    ... " << t.rows.size() - maxRows << " more rows\n";
    return os.str();
}

std::string printModule(const Module& m, size_t maxRows) {
    std::ostringstream os;
    os << "module hash " << std::hex << m.policyHash << std::dec << " rules " << m.rules.size()
       << " actions " << m.actions.size() << "\n";
    for (size_t i = 0; i < m.actions.size(); ++i) {
        os << "  action " << i << ": ";
        printOps(os, m.actions[i]);
        os << "\n";
    }
    for (size_t l = 0; l < m.layers.size(); ++l) {
        const LayerIR& L = m.layers[l];
        os << "  layer " << l << " " << L.name << " " << lang::directionName(L.dir)
           << " default action " << L.defaultAction << "\n";
        for (const GroupIR& g : L.groups) {
            os << "   group " << g.name << (g.lpm ? " lpm" : "") << "\n";
            if (!g.conditions.rows.empty()) os << "    when " << printTable(g.conditions, maxRows);
            os << "    " << printTable(g.table, maxRows);
            for (size_t r = 0; r < g.rules.size() && r < maxRows; ++r) {
                const RuleRef& rr = g.rules[r];
                os << "      rule " << r << " = #" << rr.globalId << " "
                   << m.rules[rr.globalId].rule << " action " << rr.action
                   << (rr.terminating ? " terminating" : "") << (rr.stateful ? " stateful" : "")
                   << "\n";
            }
        }
    }
    for (const RouteTableIR& rt : m.routes) os << "  routes " << printTable(rt.table, maxRows);
    for (const PortPipeline& p : m.pipelines) {
        os << "  pipeline " << p.portName << " " << lang::directionName(p.dir) << ":";
        for (uint32_t l : p.layers) os << " " << m.layers[l].name;
        os << "\n";
    }
    return os.str();
}

namespace {

std::optional<std::string> verifyTable(const Table& t) {
    if (t.wide.size() != t.dims.size()) return t.name + ": wide flags do not match dims";
    for (size_t i = 0; i < t.rows.size(); ++i) {
        if (t.rows[i].dims.size() != t.dims.size()) {
            return t.name + ": row " + std::to_string(i) + " has the wrong number of dims";
        }
        for (const DimMatch& d : t.rows[i].dims) {
            if (!d.any && d.lo > d.hi) return t.name + ": row with an empty interval";
        }
    }
    const Classifier& c = t.cls;
    size_t n = t.rows.size();
    switch (c.kind) {
        case ClassifierKind::Linear: break;
        case ClassifierKind::Interval:
            if (c.bounds.empty() || c.bounds[0] != 0 || c.bounds.size() != c.winners.size()) {
                return t.name + ": malformed interval classifier";
            }
            for (size_t i = 0; i < c.winners.size(); ++i) {
                if (c.winners[i] >= static_cast<int32_t>(n)) return t.name + ": bad winner";
                if (i && c.bounds[i] <= c.bounds[i - 1]) return t.name + ": unsorted bounds";
            }
            break;
        case ClassifierKind::Hash:
            if (c.slots.empty() || (c.slots.size() & (c.slots.size() - 1))) {
                return t.name + ": hash size is not a power of two";
            }
            for (uint32_t s : c.slots) {
                if (s > n) return t.name + ": hash slot out of range";
            }
            break;
        case ClassifierKind::Tree:
            if (c.leafBegin.size() != c.leafEnd.size() || c.leafBegin.empty()) {
                return t.name + ": malformed tree leaves";
            }
            for (const TreeNode& node : c.nodes) {
                for (int32_t ch : {node.left, node.right}) {
                    if (ch >= 0 ? static_cast<size_t>(ch) >= c.nodes.size()
                                : static_cast<size_t>(~ch) >= c.leafBegin.size()) {
                        return t.name + ": tree child out of range";
                    }
                }
                if (node.dim >= t.dims.size()) return t.name + ": tree dim out of range";
            }
            for (size_t l = 0; l < c.leafBegin.size(); ++l) {
                for (uint32_t i = c.leafBegin[l]; i < c.leafEnd[l]; ++i) {
                    if (c.leafRows[i] >= n) return t.name + ": leaf row out of range";
                    if (i > c.leafBegin[l] && c.leafRows[i] <= c.leafRows[i - 1]) {
                        return t.name + ": leaf rows not ascending";
                    }
                }
            }
            break;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> verifyModule(const Module& m) {
    for (const LayerIR& l : m.layers) {
        if (l.defaultAction >= m.actions.size()) return l.name + ": default action out of range";
        for (const GroupIR& g : l.groups) {
            if (auto e = verifyTable(g.conditions)) return e;
            if (auto e = verifyTable(g.table)) return e;
            for (const Row& r : g.table.rows) {
                if (r.rule >= g.rules.size()) return g.table.name + ": row names no rule";
            }
            for (const RuleRef& r : g.rules) {
                if (r.action >= m.actions.size() || r.globalId >= m.rules.size()) {
                    return g.table.name + ": rule reference out of range";
                }
            }
        }
    }
    for (const RouteTableIR& rt : m.routes) {
        if (auto e = verifyTable(rt.table)) return e;
    }
    for (const PortPipeline& p : m.pipelines) {
        if (p.layers.size() > 32) return p.portName + ": more than 32 layers";
        for (uint32_t l : p.layers) {
            if (l >= m.layers.size()) return p.portName + ": layer out of range";
        }
    }
    return std::nullopt;
}

}  // namespace sluice::ir
