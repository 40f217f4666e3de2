#include "encoding.h"

#include <algorithm>

namespace sluice::verify::enc {

using lang::Field;
using lang::Family;
using lang::u128;

namespace {

bool sameRewrites(const std::vector<lang::Rewrite>& a, const std::vector<lang::Rewrite>& b) {
    if (a.size() != b.size()) return false;
    for (const auto& ra : a) {
        bool found = false;
        for (const auto& rb : b) {
            if (ra.field == rb.field && ra.value == rb.value && ra.family == rb.family) {
                found = true;
                break;
            }
        }
        if (!found) return false;
    }
    return true;
}

// The interpreter's matched prefix length plus one (BV8): a prefix counts its length, a single
// value its full width, any other range -1; -1 also when the rule has no condition on the
// field. The longest matching value counts.
z3::expr lpmLength(Context& ctx, const SymHeaders& h, const lang::Rule& rule, Field field) {
    std::vector<std::pair<int, const lang::MatchValue*>> vals;
    for (const auto& c : rule.conditions) {
        if (c.field != field) continue;
        for (const auto& v : c.values) {
            int len = v.prefixLen;
            if (len < 0 && v.lo == v.hi) {
                len = lang::fieldInfo(field).isIp ? (v.family == Family::V4 ? 32 : 128)
                                                   : static_cast<int>(lang::fieldInfo(field).width);
            }
            vals.emplace_back(len, &v);
        }
    }
    std::stable_sort(vals.begin(), vals.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    z3::expr len = ctx.z3().bv_val(0, 8);
    for (auto it = vals.rbegin(); it != vals.rend(); ++it)
        len = z3::ite(ctx.matchValue(h, field, *it->second), ctx.z3().bv_val(it->first + 1, 8),
                      len);
    return len;
}

}  // namespace

GroupEnc encodeGroup(Context& ctx, const lang::Group& group, const SymHeaders& in,
                     const std::function<bool(uint32_t)>& keep) {
    auto& z = ctx.z3();
    size_t nr = group.rules.size();
    GroupEnc ge{ctx.conditions(in, group.conditions), {}, {}, z.bool_val(false),
                z.bool_val(false)};
    ge.match.assign(nr, std::nullopt);
    ge.win.assign(nr, std::nullopt);
    for (size_t r = 0; r < nr; ++r) {
        if (keep && !keep(static_cast<uint32_t>(r))) continue;
        ge.match[r] = ctx.conditions(in, group.rules[r].conditions);
    }
    if (group.mode == lang::GroupMode::Priority) {
        z3::expr noneBefore = ge.holds;
        for (size_t r = 0; r < nr; ++r) {
            if (!ge.match[r]) continue;
            z3::expr w = noneBefore && *ge.match[r];
            ge.win[r] = w;
            noneBefore = noneBefore && !*ge.match[r];
            if (group.rules[r].terminating) ge.term = ge.term || w;
        }
        // noneBefore: the group holds and no rule matched.
        ge.any = ge.holds && !noneBefore;
        return ge;
    }
    std::vector<std::optional<z3::expr>> len(nr);
    for (size_t r = 0; r < nr; ++r)
        if (ge.match[r]) len[r] = lpmLength(ctx, in, group.rules[r], group.lpmField);
    for (size_t r = 0; r < nr; ++r) {
        if (!ge.match[r]) continue;
        z3::expr w = ge.holds && *ge.match[r];
        for (size_t j = 0; j < nr; ++j) {
            if (j == r || !ge.match[j]) continue;
            z3::expr better = z3::ugt(*len[j], *len[r]);
            if (j < r) better = better || *len[j] == *len[r];
            w = w && !(*ge.match[j] && better);
        }
        ge.win[r] = w;
        ge.any = ge.any || w;
        if (group.rules[r].terminating) ge.term = ge.term || w;
    }
    return ge;
}

bool sameAction(const lang::Action& a, const lang::Action& b) {
    if (a.verdict != b.verdict) return false;
    if (a.verdict == lang::Verdict::Deny) return true;
    if (a.decap != b.decap || a.routeTable != b.routeTable || a.meter != b.meter) return false;
    if (a.encap.has_value() != b.encap.has_value()) return false;
    if (a.encap && (a.encap->vni != b.encap->vni || !(a.encap->outerSrc == b.encap->outerSrc) ||
                    !(a.encap->outerDst == b.encap->outerDst)))
        return false;
    return sameRewrites(a.rewrites, b.rewrites);
}

bool sameOutcome(const lang::Rule& a, const lang::Rule& b) {
    return sameAction(a.action, b.action) && a.terminating == b.terminating &&
           a.stateful == b.stateful && a.idleTimeoutMs == b.idleTimeoutMs;
}

void applyAction(Context& ctx, SymHeaders& h, const z3::expr& when, const lang::Action& action) {
    if (action.verdict != lang::Verdict::Allow) return;
    auto setField = [&](Field f, u128 value, Family fam) {
        h.get(f) = z3::ite(when, ctx.fieldVal(f, value), h.get(f));
        if (smt::isIpField(f)) h.family(f) = z3::ite(when, ctx.famVal(fam), h.family(f));
    };
    if (action.decap) {
        setField(Field::OuterSrcIp, 0, Family::None);
        setField(Field::OuterDstIp, 0, Family::None);
        setField(Field::Vni, 0, Family::None);
    }
    for (const auto& rw : action.rewrites) setField(rw.field, rw.value, rw.family);
    if (action.encap) {
        setField(Field::Vni, action.encap->vni, Family::None);
        setField(Field::OuterSrcIp, action.encap->outerSrc.value, action.encap->outerSrc.family);
        setField(Field::OuterDstIp, action.encap->outerDst.value, action.encap->outerDst.family);
    }
}

LayerEnc encodeLayer(Context& ctx, const lang::Policy& policy, uint32_t layerIdx, Direction dir,
                     const SymHeaders& in, const RuleFilter& filter) {
    auto& z = ctx.z3();
    const auto& layer = policy.layers[layerIdx];
    const auto& groups = layer.groupsFor(dir);
    LayerEnc e{layerIdx, dir, {}, {}, {}, {}, {}, z.bool_val(false), z.bool_val(false),
               z.bool_val(false), z.bv_val(0, 32), z.bool_val(false), in};
    size_t ng = groups.size();
    e.match.resize(ng);
    e.win.resize(ng);
    e.sel.resize(ng);
    std::vector<z3::expr> term;  // group's winner is terminating
    for (size_t g = 0; g < ng; ++g) {
        const auto& group = groups[g];
        std::function<bool(uint32_t)> keep;
        if (filter) keep = [&](uint32_t r) { return filter(static_cast<uint32_t>(g), r); };
        GroupEnc ge = encodeGroup(ctx, group, in, keep);
        e.groupHolds.push_back(ge.holds);
        e.match[g] = std::move(ge.match);
        e.win[g] = std::move(ge.win);
        e.sel[g].assign(group.rules.size(), std::nullopt);
        e.has.push_back(ge.any);
        term.push_back(ge.term);
    }
    // Decision: the first terminating winner, else the last group with a winner, else default.
    z3::expr noTermBefore = z.bool_val(true);
    std::vector<z3::expr> noWinAfter(ng + 1, z.bool_val(true));
    for (size_t g = ng; g-- > 0;) noWinAfter[g] = noWinAfter[g + 1] && !e.has[g];
    std::vector<std::pair<z3::expr, const lang::Action*>> outcomes;
    for (size_t g = 0; g < ng; ++g) {
        const auto& group = groups[g];
        for (size_t r = 0; r < group.rules.size(); ++r) {
            if (!e.win[g][r]) continue;
            z3::expr s = *e.win[g][r] && noTermBefore;
            bool terminating = group.rules[r].terminating &&
                               ctx.fault != EncodingFault::IgnoreTerminating;
            if (!terminating) s = s && noWinAfter[g + 1];
            e.sel[g][r] = s;
            outcomes.emplace_back(s, &group.rules[r].action);
        }
        if (ctx.fault != EncodingFault::IgnoreTerminating)
            noTermBefore = noTermBefore && !term[g];
    }
    e.selDefault = noWinAfter[0];
    outcomes.emplace_back(e.selDefault, &layer.defaultFor(dir));
    z3::expr allow = z.bool_val(false);
    z3::expr routes = z.bool_val(false);
    z3::expr table = z.bv_val(0, 32);
    z3::expr auditDeny = z.bool_val(false);
    // An audit layer lets a would-deny through unchanged (docs/language.md "Audit mode").
    bool audit = layer.audit && ctx.fault != EncodingFault::IgnoreAudit;
    for (auto& [s, action] : outcomes) {
        if (action->verdict != lang::Verdict::Allow) {
            if (audit) auditDeny = auditDeny || s;
            continue;
        }
        allow = allow || s;
        applyAction(ctx, e.after, s, *action);
        if (action->routeTable) {
            routes = routes || s;
            table = z3::ite(s, z.bv_val(*action->routeTable, 32), table);
        }
    }
    e.allow = allow || auditDeny;
    e.auditDeny = auditDeny;
    e.routes = routes;
    e.table = table;
    return e;
}

RouteOut encodeRouteLookup(Context& ctx, const lang::Policy& policy, uint32_t tableIdx,
                           const z3::expr& dst, const z3::expr& dstFam) {
    auto& z = ctx.z3();
    const auto& table = policy.routeTables[tableIdx];
    std::vector<const lang::RouteEntry*> entries;
    for (const auto& r : table.routes) entries.push_back(&r);
    // Longest prefix first; equal lengths cannot overlap (duplicates are E309).
    std::stable_sort(entries.begin(), entries.end(),
                     [](auto* a, auto* b) { return a->prefixLen > b->prefixLen; });
    RouteOut o{z.bv_val(kDrop, 3), z.bv_val(0, 32), z.bv_val(0, 128), z.bv_val(0, 2)};
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        const auto& r = **it;
        unsigned w = r.prefix.width();
        unsigned hostBits = r.prefixLen >= static_cast<int>(w) ? 0 : w - r.prefixLen;
        u128 hostMask = hostBits >= 128 ? ~u128(0) : ((u128(1) << hostBits) - 1);
        u128 lo = r.prefix.value & ~hostMask;
        u128 hi = lo | hostMask;
        z3::expr m = dstFam == ctx.famVal(r.prefix.family) && z3::uge(dst, ctx.bv(lo, 128)) &&
                     z3::ule(dst, ctx.bv(hi, 128));
        unsigned kind = kDrop;
        uint32_t index = 0;
        lang::IpAddr addr;
        switch (r.kind) {
            case lang::NextHopKind::Port: kind = kPort; index = r.port; break;
            case lang::NextHopKind::Host: kind = kHost; addr = r.address; break;
            case lang::NextHopKind::Gateway: kind = kGateway; addr = r.address; break;
            case lang::NextHopKind::Ecmp: kind = kEcmp; index = r.ecmp; break;
            case lang::NextHopKind::Drop: kind = kDrop; break;
        }
        o.kind = z3::ite(m, z.bv_val(kind, 3), o.kind);
        o.index = z3::ite(m, z.bv_val(index, 32), o.index);
        o.addr = z3::ite(m, ctx.bv(addr.value, 128), o.addr);
        o.fam = z3::ite(m, ctx.famVal(addr.family), o.fam);
    }
    return o;
}

namespace {

// Fields a session pair restores (the interpreter's kRestorableFields).
constexpr Field kRestorable[] = {Field::SrcMac, Field::DstMac, Field::Vni,
                                 Field::OuterSrcIp, Field::OuterDstIp, Field::SrcIp,
                                 Field::DstIp, Field::SrcPort, Field::DstPort};

z3::expr sameField(const SymHeaders& a, const SymHeaders& b, Field f) {
    z3::expr e = a.get(f) == b.get(f);
    if (smt::isIpField(f)) e = e && a.family(f) == b.family(f);
    return e;
}

// The interpreter's session key: family, addresses, protocol, ports, ICMP type/code.
z3::expr sameFlow(const SymHeaders& a, const SymHeaders& b) {
    z3::expr e = a.family(Field::SrcIp) == b.family(Field::SrcIp);
    for (Field f : {Field::SrcIp, Field::DstIp, Field::Proto, Field::SrcPort, Field::DstPort,
                    Field::IcmpType, Field::IcmpCode})
        e = e && a.get(f) == b.get(f);
    return e;
}

}  // namespace

SymHeaders replyOf(Context& ctx, const SymHeaders& h) {
    SymHeaders r = h;
    auto swap = [&](Field a, Field b) {
        r.get(a) = h.get(b);
        r.get(b) = h.get(a);
        if (smt::isIpField(a)) {
            r.family(a) = h.family(b);
            r.family(b) = h.family(a);
        }
    };
    swap(Field::SrcIp, Field::DstIp);
    swap(Field::SrcPort, Field::DstPort);
    swap(Field::SrcMac, Field::DstMac);
    swap(Field::OuterSrcIp, Field::OuterDstIp);
    // lang::answerIcmpType.
    const z3::expr& type = h.get(Field::IcmpType);
    auto t = [&](unsigned v) { return ctx.fieldVal(Field::IcmpType, v); };
    z3::expr proto = h.get(Field::Proto);
    z3::expr v4 = type;
    const std::pair<unsigned, unsigned> kIcmp[] = {{8, 0}, {0, 8}, {13, 14}, {14, 13},
                                                   {15, 16}, {16, 15}, {17, 18}, {18, 17}};
    for (auto [q, a] : kIcmp) v4 = z3::ite(type == t(q), t(a), v4);
    z3::expr v6 = z3::ite(type == t(128), t(129), z3::ite(type == t(129), t(128), type));
    r.get(Field::IcmpType) =
        z3::ite(proto == ctx.fieldVal(Field::Proto, lang::kProtoIcmp), v4,
                z3::ite(proto == ctx.fieldVal(Field::Proto, lang::kProtoIcmpV6), v6, type));
    return r;
}

Sessions sessionsOf(Context& ctx, const lang::Policy& policy, const PipelineEnc& p,
                    const SymHeaders& in, const z3::expr& delivered) {
    Sessions out;
    for (size_t k = 0; k < p.layers.size(); ++k) {
        const auto& le = p.layers[k];
        const auto& groups = policy.layers[le.layer].groupsFor(le.dir);
        z3::expr stateful = ctx.z3().bool_val(false);
        bool any = false;
        for (size_t g = 0; g < le.sel.size(); ++g)
            for (size_t r = 0; r < le.sel[g].size(); ++r)
                if (le.sel[g][r] && groups[g].rules[r].stateful &&
                    groups[g].rules[r].action.verdict == lang::Verdict::Allow) {
                    stateful = stateful || *le.sel[g][r];
                    any = true;
                }
        if (!any) continue;
        const SymHeaders& before = k == 0 ? in : p.layers[k - 1].after;
        out.insert_or_assign(le.layer, SessionAt{delivered && p.reached[k] && stateful,
                                                 replyOf(ctx, le.after), replyOf(ctx, before)});
    }
    return out;
}

PipelineEnc encodePipeline(Context& ctx, const lang::Policy& policy, uint32_t portIdx,
                           Direction dir, const SymHeaders& in,
                           const std::function<RuleFilter(uint32_t)>& layerFilter,
                           const Sessions* sessions) {
    auto& z = ctx.z3();
    const auto& port = policy.ports[portIdx];
    std::vector<uint32_t> order(port.layers.begin(), port.layers.end());
    if (dir == Direction::In) std::reverse(order.begin(), order.end());
    PipelineEnc p{{}, {}, z.bool_val(true), in, z.bv_val(kDrop, 3), z.bv_val(0, 32),
                  z.bv_val(0, 128), z.bv_val(0, 2)};
    SymHeaders cur = in;
    z3::expr hasRoute = z.bool_val(false);
    z3::expr table = z.bv_val(0, 32);
    for (uint32_t l : order) {
        p.reached.push_back(p.allow);
        RuleFilter f = layerFilter ? layerFilter(l) : nullptr;
        p.layers.push_back(encodeLayer(ctx, policy, l, dir, cur, f));
        auto& le = p.layers.back();
        if (sessions) {
            auto it = sessions->find(l);
            if (it != sessions->end()) {
                // A session hit skips the rules: allow, restore, no route.
                const SessionAt& sa = it->second;
                z3::expr hit = sa.active && sameFlow(cur, sa.key);
                SymHeaders restored = cur;
                for (Field fld : kRestorable) {
                    z3::expr use = hit && !sameField(sa.restore, sa.key, fld);
                    restored.get(fld) = z3::ite(use, sa.restore.get(fld), cur.get(fld));
                    if (smt::isIpField(fld))
                        restored.family(fld) =
                            z3::ite(use, sa.restore.family(fld), cur.family(fld));
                }
                for (size_t i = 0; i < le.after.field.size(); ++i)
                    le.after.field[i] = z3::ite(hit, restored.field[i], le.after.field[i]);
                for (size_t i = 0; i < le.after.fam.size(); ++i)
                    le.after.fam[i] = z3::ite(hit, restored.fam[i], le.after.fam[i]);
                le.allow = hit || le.allow;
                le.routes = !hit && le.routes;
            }
        }
        p.allow = p.allow && le.allow;
        cur = le.after;
        table = z3::ite(le.routes, le.table, table);
        hasRoute = hasRoute || le.routes;
    }
    p.out = cur;
    // No route action: uplink (outbound) or the port's VM (inbound).
    RouteOut o{z.bv_val(dir == Direction::Out ? kUplink : kVm, 3),
               z.bv_val(dir == Direction::Out ? 0 : portIdx, 32), z.bv_val(0, 128),
               z.bv_val(0, 2)};
    z3::expr dst = cur.get(Field::DstIp);
    z3::expr dstFam = cur.family(Field::DstIp);
    for (uint32_t t = 0; t < policy.routeTables.size(); ++t) {
        RouteOut r = encodeRouteLookup(ctx, policy, t, dst, dstFam);
        z3::expr use = hasRoute && table == z.bv_val(t, 32);
        o.kind = z3::ite(use, r.kind, o.kind);
        o.index = z3::ite(use, r.index, o.index);
        o.addr = z3::ite(use, r.addr, o.addr);
        o.fam = z3::ite(use, r.fam, o.fam);
    }
    p.outKind = z3::ite(p.allow, o.kind, z.bv_val(kDrop, 3));
    p.outIndex = z3::ite(p.allow, o.index, z.bv_val(0, 32));
    p.outAddr = z3::ite(p.allow, o.addr, z.bv_val(0, 128));
    p.outFam = z3::ite(p.allow, o.fam, z.bv_val(0, 2));
    // A drop route leaves nothing to compare.
    z3::expr isDrop = p.outKind == z.bv_val(kDrop, 3);
    p.outIndex = z3::ite(isDrop, z.bv_val(0, 32), p.outIndex);
    p.outAddr = z3::ite(isDrop, z.bv_val(0, 128), p.outAddr);
    p.outFam = z3::ite(isDrop, z.bv_val(0, 2), p.outFam);
    return p;
}

}  // namespace sluice::verify::enc
