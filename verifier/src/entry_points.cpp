#include "entry_points.h"

#include <algorithm>

namespace sluice::verify {

using lang::Direction;
using lang::Family;

namespace {

constexpr uint8_t kSynAck = 0x12;

bool inValues(const std::vector<lang::MatchValue>& vs, const lang::IpAddr& a) {
    for (const auto& v : vs)
        if (v.contains(a.value, a.family)) return true;
    return false;
}

z3::expr addrIs(smt::Context& ctx, const smt::SymHeaders& h, lang::Field f,
                const lang::IpAddr& a) {
    return h.family(f) == ctx.famVal(a.family) && h.get(f) == ctx.bv(a.value, 128);
}

// The ports a path may end at (a VM): its inbound hops and the targets of inbound routes.
std::vector<uint32_t> receivers(const lang::Policy& policy, const enc::PathEnc& p) {
    std::vector<uint32_t> out;
    for (const auto& h : p.hops)
        if (h.dir == Direction::In) out.push_back(h.port);
    for (const auto& t : policy.routeTables)
        for (const auto& r : t.routes)
            if (r.kind == lang::NextHopKind::Port) out.push_back(r.port);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool deliveredOnce(const std::shared_ptr<const lang::Policy>& policy, uint32_t port,
                   Direction dir, const lang::Headers& packet, bool connection,
                   std::string& text) {
    interp::Interpreter in(policy);
    auto r = interp::evaluatePath(in, port, dir, packet);
    text += "port " + policy->ports[port].name + " " + lang::directionName(dir) + ": " +
            pathText(*policy, r);
    if (r.verdict != lang::Verdict::Allow) return false;
    if (!connection) return true;
    std::optional<uint32_t> from;
    if (dir == Direction::Out) from = port;
    return replyComesBack(in, *policy, r, from, text);
}

}  // namespace

std::vector<EntryPoint> entryPoints(smt::Context& ctx, const lang::Policy& policy,
                                    const smt::SymHeaders& h,
                                    const std::vector<lang::MatchValue>& from,
                                    const std::vector<lang::MatchValue>& to) {
    auto& z = ctx.z3();
    std::vector<EntryPoint> entries;
    z3::expr notLocal = z.bool_val(true), dstNotLocal = z.bool_val(true);
    for (const auto& port : policy.ports)
        for (const auto& ip : port.ips) {
            notLocal = notLocal && !addrIs(ctx, h, lang::Field::SrcIp, ip);
            dstNotLocal = dstNotLocal && !addrIs(ctx, h, lang::Field::DstIp, ip);
        }
    z3::expr tunnelled = h.family(lang::Field::OuterDstIp) != ctx.famVal(Family::None);
    for (uint32_t pa = 0; pa < policy.ports.size(); ++pa) {
        const auto& port = policy.ports[pa];
        z3::expr srcOwn = z.bool_val(false), dstOwn = z.bool_val(false);
        bool anySrc = false, anyDst = false;
        for (const auto& ip : port.ips) {
            if (inValues(from, ip)) {
                srcOwn = srcOwn || addrIs(ctx, h, lang::Field::SrcIp, ip);
                anySrc = true;
            }
            if (inValues(to, ip)) {
                dstOwn = dstOwn || addrIs(ctx, h, lang::Field::DstIp, ip);
                anyDst = true;
            }
        }
        if (anySrc)  // a VM sends plain packets (the vSwitch does the tunnelling)
            entries.push_back({static_cast<int>(pa), Direction::Out, srcOwn && !tunnelled});
        if (anyDst) {
            // From the wire, as evaluateFromUplink finds the port: its VNI when tunnelled.
            z3::expr vni = z3::implies(tunnelled, h.get(lang::Field::Vni) ==
                                                      ctx.fieldVal(lang::Field::Vni, port.vni));
            entries.push_back({static_cast<int>(pa), Direction::In, dstOwn && notLocal && vni});
        }
    }
    entries.push_back({-1, Direction::In, dstNotLocal && notLocal});
    return entries;
}

std::vector<uint32_t> entryPorts(const lang::Policy& policy, const EntryPoint& e) {
    if (e.port >= 0) return {static_cast<uint32_t>(e.port)};
    std::vector<uint32_t> all(policy.ports.size());
    for (uint32_t b = 0; b < all.size(); ++b) all[b] = b;
    return all;
}

std::string entryName(const lang::Policy& policy, const EntryPoint& e) {
    if (e.port < 0) return "inbound from the wire, to no local address";
    return "port " + policy.ports[static_cast<size_t>(e.port)].name + " " +
           lang::directionName(e.dir);
}

z3::expr established(smt::Context& ctx, const lang::Policy& policy, const enc::PathEnc& fwd,
                     std::optional<uint32_t> from) {
    auto& z = ctx.z3();
    smt::SymHeaders reply = enc::replyOf(ctx, fwd.out);
    reply.get(lang::Field::TcpFlags) = ctx.fieldVal(lang::Field::TcpFlags, kSynAck);
    auto back = [&](const enc::PathEnc& r) {
        if (!from) return r.allow;
        return r.allow && r.toVm && r.vmPort == z.bv_val(*from, 32);
    };
    z3::expr atVm = z.bool_val(false);
    for (uint32_t x : receivers(policy, fwd)) {
        auto r = enc::encodePath(ctx, policy, x, Direction::Out, reply, &fwd);
        atVm = atVm || (fwd.vmPort == z.bv_val(x, 32) && back(r));
    }
    z3::expr leftPolicy = z.bool_val(true);
    if (from) leftPolicy = back(enc::encodePath(ctx, policy, *from, Direction::In, reply, &fwd));
    return fwd.allow && z3::ite(fwd.toVm, atVm, leftPolicy);
}

std::string pathText(const lang::Policy& policy, const interp::PathResult& r) {
    std::string t = lang::verdictName(r.verdict);
    t += ", output " + r.output.str(policy);
    if (!r.dropReason.empty()) t += " (" + r.dropReason + ")";
    t += ", hops";
    for (const auto& h : r.hops)
        t += " " + policy.ports[h.port].name + " " + lang::directionName(h.dir);
    return t;
}

bool replyComesBack(interp::Interpreter& in, const lang::Policy& policy,
                    const interp::PathResult& syn, std::optional<uint32_t> from,
                    std::string& text) {
    using K = interp::OutputKind;
    lang::Headers reply = lang::replyHeaders(syn.headers);
    reply.tcpFlags = kSynAck;
    interp::PathResult r;
    if (syn.output.kind == K::Vm || syn.output.kind == K::Port)
        r = interp::evaluatePath(in, syn.output.index, Direction::Out, reply);
    else if (from)
        r = interp::evaluatePath(in, *from, Direction::In, reply);
    else
        return true;  // a SYN from the wire routed back to the wire: nothing to answer
    text += "; SYN-ACK " + lang::formatPacketText(reply) + ": " + pathText(policy, r);
    if (r.verdict != lang::Verdict::Allow) return false;
    if (!from) return true;
    return (r.output.kind == K::Vm || r.output.kind == K::Port) && r.output.index == *from;
}

bool deliveredByInterpreter(const std::shared_ptr<const lang::Policy>& policy,
                            const EntryPoint& e, const lang::Headers& packet, bool connection,
                            std::string& text) {
    text = "interpreter: ";
    bool any = false;
    bool first = true;
    for (uint32_t b : entryPorts(*policy, e)) {
        if (!first) text += " | ";
        first = false;
        any = deliveredOnce(policy, b, e.dir, packet, connection, text) || any;
    }
    return any;
}

}  // namespace sluice::verify
