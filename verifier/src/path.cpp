#include "path.h"

namespace sluice::verify::enc {

using lang::Field;
using lang::Family;

namespace {

Direction reverse(Direction d) { return d == Direction::In ? Direction::Out : Direction::In; }

}  // namespace

Sessions PathEnc::sessionsFor(Context& ctx, const lang::Policy& policy, uint32_t port,
                              Direction dir) const {
    Sessions out;
    for (const auto& h : hops) {
        if (h.port != port || h.dir != reverse(dir)) continue;
        for (auto& [layer, s] : sessionsOf(ctx, policy, h.pipe, h.in, allow && h.taken)) {
            auto it = out.find(layer);
            if (it == out.end()) {
                out.insert_or_assign(layer, s);
                continue;
            }
            // Two hops at the same port and direction are alternatives (one is taken).
            SessionAt& m = it->second;
            for (size_t i = 0; i < m.key.field.size(); ++i) {
                m.key.field[i] = z3::ite(s.active, s.key.field[i], m.key.field[i]);
                m.restore.field[i] = z3::ite(s.active, s.restore.field[i], m.restore.field[i]);
            }
            for (size_t i = 0; i < m.key.fam.size(); ++i) {
                m.key.fam[i] = z3::ite(s.active, s.key.fam[i], m.key.fam[i]);
                m.restore.fam[i] = z3::ite(s.active, s.restore.fam[i], m.restore.fam[i]);
            }
            m.active = m.active || s.active;
        }
    }
    return out;
}

PathEnc encodePath(Context& ctx, const lang::Policy& policy, uint32_t port, Direction dir,
                   const SymHeaders& in, const PathEnc* earlier) {
    auto& z = ctx.z3();
    auto k = [&](unsigned kind) { return z.bv_val(kind, 3); };
    PathEnc path{{}, z.bool_val(false), z.bool_val(false), z.bv_val(0, 32), in};
    auto pipeline = [&](uint32_t p, Direction d, const SymHeaders& h) {
        if (!earlier) return encodePipeline(ctx, policy, p, d, h);
        Sessions s = earlier->sessionsFor(ctx, policy, p, d);
        return encodePipeline(ctx, policy, p, d, h, nullptr, &s);
    };
    // An inbound hop at `q`, taken when `taken`: every output of it is final.
    auto inbound = [&](uint32_t q, const SymHeaders& h, const z3::expr& taken) {
        PipelineEnc pe = pipeline(q, Direction::In, h);
        z3::expr ok = pe.outKind != k(kDrop);
        z3::expr vm = pe.outKind == k(kVm) || pe.outKind == k(kPort);
        z3::expr vmPort = z3::ite(pe.outKind == k(kVm), z.bv_val(q, 32), pe.outIndex);
        path.allow = z3::ite(taken, ok, path.allow);
        path.toVm = z3::ite(taken, ok && vm, path.toVm);
        path.vmPort = z3::ite(taken, vmPort, path.vmPort);
        for (size_t i = 0; i < path.out.field.size(); ++i)
            path.out.field[i] = z3::ite(taken, pe.out.field[i], path.out.field[i]);
        for (size_t i = 0; i < path.out.fam.size(); ++i)
            path.out.fam[i] = z3::ite(taken, pe.out.fam[i], path.out.fam[i]);
        path.hops.push_back({q, Direction::In, std::move(pe), h, taken});
    };
    if (dir == Direction::In) {
        inbound(port, in, z.bool_val(true));
        return path;
    }
    PipelineEnc first = pipeline(port, Direction::Out, in);
    SymHeaders h = first.out;
    z3::expr kind = first.outKind;
    // Leaving the policy: host, gateway, ECMP; the uplink when no port has the address.
    z3::expr leaves = kind == k(kHost) || kind == k(kGateway) || kind == k(kEcmp);
    path.allow = leaves;
    path.out = h;
    path.hops.push_back({port, Direction::Out, first, in, z.bool_val(true)});
    // Default forwarding: the first port with the VNI and the (inner) destination address.
    z3::expr tunnelled = h.family(Field::OuterDstIp) != ctx.famVal(Family::None);
    z3::expr vni = z3::ite(tunnelled, h.get(Field::Vni),
                           ctx.fieldVal(Field::Vni, policy.ports[port].vni));
    z3::expr uplink = kind == k(kUplink);
    z3::expr unmatched = uplink;
    std::vector<z3::expr> byAddress;
    for (uint32_t q = 0; q < policy.ports.size(); ++q) {
        z3::expr owns = z.bool_val(false);
        for (const auto& ip : policy.ports[q].ips)
            owns = owns || (h.family(Field::DstIp) == ctx.famVal(ip.family) &&
                            h.get(Field::DstIp) == ctx.bv(ip.value, 128));
        z3::expr m = unmatched && vni == ctx.fieldVal(Field::Vni, policy.ports[q].vni) && owns;
        byAddress.push_back(m);
        unmatched = unmatched && !m;
    }
    path.allow = path.allow || unmatched;  // to the uplink
    for (uint32_t q = 0; q < policy.ports.size(); ++q) {
        z3::expr routed = kind == k(kPort) && first.outIndex == z.bv_val(q, 32);
        z3::expr taken = routed || byAddress[q];
        if (z3::eq(taken.simplify(), z.bool_val(false))) continue;
        inbound(q, h, taken);
    }
    return path;
}

}  // namespace sluice::verify::enc
