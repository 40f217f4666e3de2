// The policy's assertions (README.md, "Assertions: what reaches means"). A packet of the
// assertion's class (src in FROM, dst in TO, its match conditions) enters the network
//  (1) sent by the VM of a port A that owns a FROM address, with that address as source;
//  (2a) from the wire for a port B that owns a TO address, with that address as destination
//      and a source that is no local port's address (tunnelled: B's VNI);
//  (2b) from the wire with a destination in TO that no local port owns (a VIP, a remote
//      address) and a non-local source, taken by whichever port's inbound accepts it.
// From there it follows the network-level path (path.h = interp::evaluatePath): A's outbound
// pipeline, the forwarding decision, the receiving port's inbound pipeline. It is delivered
// when the path allows it. For `reachable` and TCP, the packet is the SYN of a connection and
// "delivered" means the connection is established: the SYN is delivered and its SYN-ACK, sent
// back by the receiving VM (or from the wire when the SYN left the policy), comes back along
// its own path, through the session pairs the SYN left, to the sender.
// isolated: no packet of the class is delivered; reachable some: at least one is; reachable
// every: all are (and the class is not empty). Witnesses are replayed from their text the same
// way through interp::evaluatePath.
#include <algorithm>

#include "checks.h"
#include "encoding.h"
#include "path.h"
#include "replay.h"
#include "sluice/interp/network.h"

namespace sluice::verify {

using lang::Direction;
using lang::Family;

namespace {

constexpr uint8_t kSyn = 0x02, kSynAck = 0x12;

bool inValues(const std::vector<lang::MatchValue>& vs, const lang::IpAddr& a) {
    for (const auto& v : vs)
        if (v.contains(a.value, a.family)) return true;
    return false;
}

z3::expr addrIs(smt::Context& ctx, const smt::SymHeaders& h, lang::Field f,
                const lang::IpAddr& a) {
    return h.family(f) == ctx.famVal(a.family) && h.get(f) == ctx.bv(a.value, 128);
}

struct Entry {
    int port;  // -1: (2b), any port's inbound
    Direction dir;
    z3::expr guard;      // extra constraints on the ingress packet
    z3::expr delivered;  // the packet reaches a destination (TCP reachable: connects)
};

std::string pathText(const lang::Policy& policy, const interp::PathResult& r) {
    std::string t = lang::verdictName(r.verdict);
    t += ", output " + r.output.str(policy);
    if (!r.dropReason.empty()) t += " (" + r.dropReason + ")";
    t += ", hops";
    for (const auto& h : r.hops)
        t += " " + policy.ports[h.port].name + " " + lang::directionName(h.dir);
    return t;
}

// The SYN-ACK of a delivered SYN and its path; `text` gets what happened. True when it comes
// back (to the sender's VM when the sender is port `from`'s VM).
bool replyComesBack(interp::Interpreter& in, const lang::Policy& policy,
                    const interp::PathResult& syn, std::optional<uint32_t> from,
                    uint32_t entryPort, std::string& text) {
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
    (void)entryPort;
    if (r.verdict != lang::Verdict::Allow) return false;
    if (!from) return true;
    return (r.output.kind == K::Vm || r.output.kind == K::Port) && r.output.index == *from;
}

// Replays one entry from the wire or a VM; true when delivered (connected, for a TCP SYN of a
// reachable assertion).
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
    return replyComesBack(in, *policy, r, from, port, text);
}

bool deliveredByInterpreter(const std::shared_ptr<const lang::Policy>& policy, const Entry& e,
                            const lang::Headers& packet, bool connection, std::string& text) {
    text = "interpreter: ";
    if (e.port >= 0)
        return deliveredOnce(policy, static_cast<uint32_t>(e.port), e.dir, packet, connection,
                             text);
    bool any = false;
    for (uint32_t b = 0; b < policy->ports.size(); ++b) {
        if (b) text += " | ";
        any = deliveredOnce(policy, b, Direction::In, packet, connection, text) || any;
    }
    return any;
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

// The connection of a SYN whose path is `fwd`, sent by port `from`'s VM (or from the wire):
// established when the SYN is delivered and its SYN-ACK comes back.
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

void checkAssertion(CheckContext& cc, const lang::Assertion& a) {
    auto& ctx = cc.smt;
    auto& z = ctx.z3();
    const auto& policy = *cc.policy;
    auto h = ctx.freshHeaders("a_");
    auto valuesExpr = [&](lang::Field f, const std::vector<lang::MatchValue>& vs) {
        lang::Condition c{f, vs, {}};
        return ctx.condition(h, c);
    };
    z3::expr cls = ctx.universe(h) && valuesExpr(lang::Field::SrcIp, a.from) &&
                   valuesExpr(lang::Field::DstIp, a.to) && ctx.conditions(h, a.conditions);
    // Reachability of TCP is about connections: the packet is the SYN.
    bool connections = a.kind != lang::AssertKind::Isolated;
    z3::expr isTcp = h.get(lang::Field::Proto) == ctx.fieldVal(lang::Field::Proto, lang::kProtoTcp);
    if (connections)
        cls = cls && z3::implies(isTcp, h.get(lang::Field::TcpFlags) ==
                                            ctx.fieldVal(lang::Field::TcpFlags, kSyn));
    auto delivered = [&](uint32_t port, Direction dir) {
        auto p = enc::encodePath(ctx, policy, port, dir, h);
        if (!connections) return p.allow;
        std::optional<uint32_t> from;
        if (dir == Direction::Out) from = port;
        return z3::ite(isTcp, established(ctx, policy, p, from), p.allow);
    };
    std::vector<Entry> entries;
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
            if (inValues(a.from, ip)) {
                srcOwn = srcOwn || addrIs(ctx, h, lang::Field::SrcIp, ip);
                anySrc = true;
            }
            if (inValues(a.to, ip)) {
                dstOwn = dstOwn || addrIs(ctx, h, lang::Field::DstIp, ip);
                anyDst = true;
            }
        }
        if (anySrc)  // a VM sends plain packets (the vSwitch does the tunnelling)
            entries.push_back({static_cast<int>(pa), Direction::Out, srcOwn && !tunnelled,
                               delivered(pa, Direction::Out)});
        if (anyDst) {
            // From the wire, as evaluateFromUplink finds the port: its VNI when tunnelled.
            z3::expr vni = z3::implies(tunnelled, h.get(lang::Field::Vni) ==
                                                      ctx.fieldVal(lang::Field::Vni, port.vni));
            entries.push_back({static_cast<int>(pa), Direction::In, dstOwn && notLocal && vni,
                               delivered(pa, Direction::In)});
        }
    }
    {
        z3::expr some = z.bool_val(false);
        for (uint32_t b = 0; b < policy.ports.size(); ++b)
            some = some || delivered(b, Direction::In);
        entries.push_back({-1, Direction::In, dstNotLocal && notLocal, some});
    }
    std::string what = std::string("assertion ") + a.name;
    auto fail = [&](const std::string& msg, const std::optional<lang::Headers>& w,
                    const Entry* e, bool expectDelivered) {
        auto& f = cc.add(FindingKind::Assertion, what + " fails: " + msg, a.range);
        f.involved.push_back({a.name, a.range});
        if (!w || !e) return;
        Witness wt;
        wt.headers = *w;
        wt.dir = e->dir;
        if (e->port >= 0) {
            wt.port = policy.ports[static_cast<size_t>(e->port)].name;
            wt.where = "port " + *wt.port + " " + lang::directionName(e->dir);
        } else {
            wt.where = "inbound from the wire, to no local address";
        }
        f.witness = wt;
        if (!cc.options.replay) return;
        auto pw = cc.replayHeaders(f);
        if (!pw) return;
        std::string text;
        bool got = deliveredByInterpreter(cc.policy, *e, *pw, connections && pw->proto == lang::kProtoTcp, text);
        f.witness->replay = text;
        if (got != expectDelivered)
            cc.internalError("replay of " + what + " disagrees: " + text, &f);
    };
    z3::solver s(z);
    s.add(cls);
    auto solveWith = [&](const z3::expr& q) -> std::optional<lang::Headers> {
        s.push();
        s.add(q);
        auto r = ctx.checkCanonical(s, h);
        std::optional<lang::Headers> out;
        if (r == z3::sat) out = ctx.modelHeaders(s.get_model(), h);
        s.pop();
        return out;
    };
    if (a.kind == lang::AssertKind::Isolated) {
        for (const auto& e : entries) {
            if (auto w = solveWith(e.guard && e.delivered)) {
                fail("a packet is delivered", w, &e, true);
                return;
            }
        }
        return;
    }
    if (entries.empty()) {
        fail("no local port sends or receives packets of this class", std::nullopt, nullptr,
             false);
        return;
    }
    if (a.kind == lang::AssertKind::ReachableSome) {
        for (const auto& e : entries)
            if (solveWith(e.guard && e.delivered)) return;
        // None delivered: show one packet of the class and where it goes.
        for (const auto& e : entries) {
            if (auto w = solveWith(e.guard)) {
                fail("no packet of the class is delivered", w, &e, false);
                return;
            }
        }
        fail("the class is empty", std::nullopt, nullptr, false);
        return;
    }
    bool anyPacket = false;
    for (const auto& e : entries) {
        if (solveWith(e.guard)) anyPacket = true;
        if (auto w = solveWith(e.guard && !e.delivered)) {
            fail("a packet of the class is not delivered", w, &e, false);
            return;
        }
    }
    if (!anyPacket) fail("the class is empty", std::nullopt, nullptr, false);
}

}  // namespace

void checkAssertions(CheckContext& cc) {
    for (const auto& a : cc.policy->assertions) checkAssertion(cc, a);
}

}  // namespace sluice::verify
