// Bindings the generated code reads besides classifiers: per rule the action program (the
// rewrite table), the terminating / stateful flags and the rule info of the descriptor; per
// layer direction the default action; per route the next hop; per port and direction the layer
// order. Each is compared with the model under the interpreter's meaning of an action: a deny
// carries nothing; an allow applies decap, then the rewrites in order, then the encap, and
// remembers its route table and meter. The IR program must be exactly that sequence.
#include <algorithm>

#include "tv_internal.h"

namespace sluice::tv {

namespace {

std::string progText(const ir::ActionProgram& p) {
    std::string s = p.verdict == lang::Verdict::Deny ? "deny" : "allow";
    for (const ir::TranspositionOp& op : p.ops) {
        if (op.kind == ir::TranspositionOp::Decap) s += "; decap";
        else if (op.kind == ir::TranspositionOp::Encap) s += "; encap vni " + std::to_string(op.vni);
        else s += "; set " + std::string(lang::fieldInfo(op.field).name);
    }
    if (p.routeTable) s += "; route table " + std::to_string(*p.routeTable);
    if (p.meter) s += "; meter " + std::to_string(*p.meter);
    return s;
}

// Whether `p` means what the source action `a` means (see the file comment).
bool sameMeaning(const lang::Action& a, const ir::ActionProgram& p) {
    if (p.verdict != a.verdict) return false;
    if (a.verdict == lang::Verdict::Deny) return p.ops.empty() && !p.routeTable && !p.meter;
    if (p.routeTable != a.routeTable || p.meter != a.meter) return false;
    size_t want = (a.decap ? 1 : 0) + a.rewrites.size() + (a.encap ? 1 : 0);
    if (p.ops.size() != want) return false;
    size_t i = 0;
    if (a.decap && p.ops[i++].kind != ir::TranspositionOp::Decap) return false;
    for (const lang::Rewrite& rw : a.rewrites) {
        const ir::TranspositionOp& op = p.ops[i++];
        if (op.kind != ir::TranspositionOp::Set || op.field != rw.field || op.value != rw.value ||
            (lang::fieldInfo(rw.field).isIp && op.family != rw.family))
            return false;
    }
    if (a.encap) {
        const ir::TranspositionOp& op = p.ops[i++];
        if (op.kind != ir::TranspositionOp::Encap || op.vni != a.encap->vni ||
            !(op.outerSrc == a.encap->outerSrc) || !(op.outerDst == a.encap->outerDst))
            return false;
    }
    return true;
}

struct Bindings {
    const lang::Policy& policy;
    const ir::Module& m;
    compiler::ValidationReport& report;

    void fail(const std::string& where, const std::string& detail) {
        report.failures.push_back({where, "-", detail});
    }

    void action(const std::string& where, const lang::Action& a, uint32_t index) {
        ++report.actions;
        if (index >= m.actions.size()) return fail(where, "action index " + std::to_string(index) + " out of range");
        if (!sameMeaning(a, m.actions[index]))
            fail(where, "lowered action '" + progText(m.actions[index]) + "' differs from the source action");
    }

    void rule(const std::string& where, const lang::Layer& layer, uint32_t li, lang::Direction dir,
              uint32_t gi, uint32_t ri, const lang::Rule& r, const ir::RuleRef& ref) {
        action(where, r.action, ref.action);
        if (ref.terminating != r.terminating || ref.stateful != r.stateful || ref.log != r.log)
            fail(where, "terminating/stateful/log flags differ from the source rule");
        if (ref.globalId >= m.rules.size()) return fail(where, "rule id out of range");
        const ir::RuleInfo& info = m.rules[ref.globalId];
        if (info.layer != layer.name || info.group != layer.groupsFor(dir)[gi].name || info.rule != r.name ||
            info.layerIndex != li || info.groupIndex != gi || info.ruleIndex != ri || info.dir != dir ||
            info.priority != r.priority || info.verdict != r.action.verdict ||
            info.routeTable != r.action.routeTable || info.meter != r.action.meter ||
            info.idleTimeoutMs != r.idleTimeoutMs || info.terminating != r.terminating ||
            info.stateful != r.stateful || info.log != r.log)
            fail(where, "rule id " + std::to_string(ref.globalId) + " describes another rule (" + info.layer +
                            "/" + info.group + "/" + info.rule + ")");
    }

    void run() {
        for (const ir::LayerIR& L : m.layers) {
            if (L.layer >= policy.layers.size()) { fail(L.name, "layer index out of range"); continue; }
            const lang::Layer& layer = policy.layers[L.layer];
            action("actions/" + L.name + "/default", layer.defaultFor(L.dir), L.defaultAction);
            if (L.audit != layer.audit) fail("actions/" + L.name, "audit mode differs from the source layer");
            const auto& groups = layer.groupsFor(L.dir);
            if (L.groups.size() != groups.size()) { fail("actions/" + L.name, "group count differs"); continue; }
            for (const ir::GroupIR& G : L.groups) {
                if (G.groupIndex >= groups.size()) { fail("actions/" + L.name, "group index out of range"); continue; }
                const lang::Group& g = groups[G.groupIndex];
                if (G.rules.size() != g.rules.size()) { fail("actions/" + G.table.name, "rule count differs"); continue; }
                for (uint32_t ri = 0; ri < g.rules.size(); ++ri)
                    rule("actions/" + G.table.name + "/" + g.rules[ri].name, layer, L.layer, L.dir, G.groupIndex, ri,
                         g.rules[ri], G.rules[ri]);
            }
        }
        if (m.routes.size() != policy.routeTables.size()) fail("routes", "route table count differs");
        for (size_t t = 0; t < std::min(m.routes.size(), policy.routeTables.size()); ++t) {
            const auto& src = policy.routeTables[t].routes;
            const auto& hops = m.routes[t].hops;
            if (hops.size() != src.size()) { fail("routes/" + m.routes[t].name, "next hop count differs"); continue; }
            for (size_t i = 0; i < src.size(); ++i) {
                ++report.actions;
                const lang::RouteEntry& e = src[i];
                uint32_t index = e.kind == lang::NextHopKind::Ecmp ? e.ecmp : e.port;
                bool usesIndex = e.kind == lang::NextHopKind::Ecmp || e.kind == lang::NextHopKind::Port;
                bool usesAddr = e.kind == lang::NextHopKind::Host || e.kind == lang::NextHopKind::Gateway;
                if (hops[i].kind != e.kind || (usesIndex && hops[i].index != index) ||
                    (usesAddr && !(hops[i].address == e.address)))
                    fail("routes/" + m.routes[t].name, "next hop of route " + std::to_string(i) + " differs");
            }
        }
        if (m.pipelines.size() != policy.ports.size() * 2) return fail("pipelines", "pipeline count differs");
        for (uint32_t p = 0; p < policy.ports.size(); ++p) {
            for (int d = 0; d < 2; ++d) {
                ++report.actions;
                const ir::PortPipeline& P = m.pipelines[p * 2 + static_cast<uint32_t>(d)];
                std::vector<uint32_t> order = policy.ports[p].layers;  // VM side first
                if (d == static_cast<int>(lang::Direction::In)) std::reverse(order.begin(), order.end());
                bool ok = P.port == p && P.dir == static_cast<lang::Direction>(d) && P.policyLayers == order &&
                          P.layers.size() == order.size();
                for (size_t i = 0; ok && i < order.size(); ++i)
                    ok = P.layers[i] < m.layers.size() && m.layers[P.layers[i]].layer == order[i] &&
                         m.layers[P.layers[i]].dir == P.dir;
                if (!ok)
                    fail("pipelines/" + policy.ports[p].name + "/" + lang::directionName(static_cast<lang::Direction>(d)),
                         "layer order differs from the port's");
            }
        }
    }
};

}  // namespace

void validateBindings(const lang::Policy& policy, const ir::Module& m, compiler::ValidationReport& report) {
    Bindings{policy, m, report}.run();
}

}  // namespace sluice::tv
