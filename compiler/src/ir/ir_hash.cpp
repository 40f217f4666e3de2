// moduleHash: word-wise mixing (keys.h hashMix) over every field codegen consumes, with sizes
// in front of every sequence so that no two different modules serialise alike.
#include "ir/ir_hash.h"

#include <string>

#include "ir/keys.h"

namespace sluice::ir {

namespace {

struct WordHasher {
    uint64_t h = 0x5eed5109ce11u;
    void u(uint64_t v) { h = hashMix(h, v); }
    void w(u128 v) { u(static_cast<uint64_t>(v)); u(static_cast<uint64_t>(v >> 64)); }
    void s(const std::string& v) {
        u(v.size());
        uint64_t acc = 0;
        for (size_t i = 0; i < v.size(); ++i) {
            acc = (acc << 8) | static_cast<unsigned char>(v[i]);
            if (i % 8 == 7) { u(acc); acc = 0; }
        }
        u(acc);
    }
    void opt(const std::optional<uint32_t>& v) { u(v ? uint64_t{*v} : ~uint64_t{0}); }
    void ip(const lang::IpAddr& a) { u(static_cast<uint64_t>(a.family)); w(a.value); }
    template <typename T>
    void seq(const std::vector<T>& v) {
        u(v.size());
        for (const T& x : v) u(static_cast<uint64_t>(x));
    }

    void table(const Table& t) {
        s(t.name);
        u(t.dims.size());
        for (Field f : t.dims) u(static_cast<uint64_t>(f));
        u(t.wide.size());
        for (bool b : t.wide) u(b);
        u(t.rows.size());
        for (const Row& r : t.rows) {
            u(r.rule);
            u(static_cast<uint64_t>(static_cast<int64_t>(r.lpmLen)));
            u(r.dims.size());
            for (const DimMatch& d : r.dims) {
                u(d.any);
                w(d.lo);
                w(d.hi);
                u(static_cast<uint64_t>(d.family));
            }
        }
        const Classifier& c = t.cls;
        u(static_cast<uint64_t>(c.kind));
        u(c.nodes.size());
        for (const TreeNode& n : c.nodes) {
            u(n.dim);
            u(n.split);
            u(static_cast<uint64_t>(static_cast<int64_t>(n.left)));
            u(static_cast<uint64_t>(static_cast<int64_t>(n.right)));
        }
        seq(c.leafBegin);
        seq(c.leafEnd);
        seq(c.leafRows);
        u(c.intervalDim);
        seq(c.bounds);
        u(c.winners.size());
        for (int32_t x : c.winners) u(static_cast<uint64_t>(static_cast<int64_t>(x)));
        seq(c.slots);
        u(c.hashSeed);
    }
};

}  // namespace

uint64_t moduleHash(const Module& m) {
    WordHasher h;
    h.u(m.policyHash);
    h.u(m.layerNames.size());
    for (const std::string& n : m.layerNames) h.s(n);
    h.u(m.rules.size());
    for (const RuleInfo& r : m.rules) {
        h.s(r.layer); h.s(r.group); h.s(r.rule);
        h.u(r.layerIndex); h.u(r.groupIndex); h.u(r.ruleIndex); h.u(r.priority);
        h.u(static_cast<uint64_t>(r.dir)); h.u(static_cast<uint64_t>(r.verdict));
        h.opt(r.routeTable); h.opt(r.meter); h.u(r.idleTimeoutMs);
        h.u(r.terminating); h.u(r.stateful);
    }
    h.u(m.actions.size());
    for (const ActionProgram& a : m.actions) {
        h.u(static_cast<uint64_t>(a.verdict)); h.opt(a.routeTable); h.opt(a.meter);
        h.u(a.ops.size());
        for (const TranspositionOp& op : a.ops) {
            h.u(op.kind); h.u(static_cast<uint64_t>(op.field)); h.w(op.value);
            h.u(static_cast<uint64_t>(op.family)); h.u(op.vni); h.ip(op.outerSrc); h.ip(op.outerDst);
        }
    }
    h.u(m.layers.size());
    for (const LayerIR& L : m.layers) {
        h.u(L.layer); h.u(static_cast<uint64_t>(L.dir)); h.s(L.name); h.u(L.defaultAction);
        h.u(L.groups.size());
        for (const GroupIR& G : L.groups) {
            h.u(G.groupIndex); h.s(G.name); h.u(G.lpm);
            h.table(G.conditions);
            h.table(G.table);
            h.u(G.rules.size());
            for (const RuleRef& r : G.rules) {
                h.u(r.globalId); h.u(r.action); h.u(r.terminating); h.u(r.stateful);
            }
        }
    }
    h.u(m.routes.size());
    for (const RouteTableIR& R : m.routes) {
        h.s(R.name);
        h.table(R.table);
        h.u(R.hops.size());
        for (const NextHop& n : R.hops) { h.u(static_cast<uint64_t>(n.kind)); h.u(n.index); h.ip(n.address); }
    }
    h.u(m.pipelines.size());
    for (const PortPipeline& p : m.pipelines) {
        h.u(p.port); h.u(static_cast<uint64_t>(p.dir)); h.s(p.portName);
        h.seq(p.layers); h.seq(p.policyLayers);
    }
    return h.h;
}

}  // namespace sluice::ir
