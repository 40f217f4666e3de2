// The policy's assertions (README.md, "Assertions: what reaches means"). A packet of the
// assertion's class (src in FROM, dst in TO, its match conditions) enters the host
//  (1) outbound at a port A that owns a FROM address, with that address as source; it is
//      delivered when A's outbound pipeline allows it and its output leaves the host (uplink,
//      remote host, gateway, ECMP group), or is a local port B whose inbound pipeline, fed
//      the rewritten headers, allows it to B's VM;
//  (2a) inbound from the wire at a port B that owns a TO address, with that address as
//      destination and a source that is no local port's address; delivered when B's inbound
//      pipeline allows it to B's VM;
//  (2b) inbound from the wire with a destination in TO that no local port owns (a VIP, a
//      remote address) and a non-local source; delivered when some port's inbound pipeline
//      allows it to that port's VM.
// isolated: no packet of the class is delivered; reachable some: at least one is; reachable
// every: all are (and the class is not empty). Witnesses are replayed the same way through
// the interpreter.
#include <algorithm>

#include "checks.h"
#include "encoding.h"
#include "replay.h"

namespace sluice::verify {

using lang::Direction;
using lang::Family;

namespace {

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
    z3::expr delivered;  // the packet reaches a destination
};

bool deliveredByInterpreter(const std::shared_ptr<const lang::Policy>& policy, const Entry& e,
                            const lang::Headers& packet, std::string& text) {
    using K = interp::OutputKind;
    if (e.port < 0) {
        text = "interpreter: inbound at";
        bool any = false;
        for (uint32_t b = 0; b < policy->ports.size(); ++b) {
            auto r = replay::runPort(policy, b, Direction::In, packet);
            bool ok = r.verdict == lang::Verdict::Allow && r.output.kind == K::Vm;
            text += " " + policy->ports[b].name + ": " + (ok ? "delivered" : "not delivered");
            any = any || ok;
        }
        return any;
    }
    uint32_t port = static_cast<uint32_t>(e.port);
    auto r = replay::runPort(policy, port, e.dir, packet);
    text = "interpreter: port " + policy->ports[port].name + " " +
           lang::directionName(e.dir) + ": " + lang::verdictName(r.verdict) + ", output " +
           r.output.str(*policy) + (r.dropReason.empty() ? "" : " (" + r.dropReason + ")");
    if (r.verdict != lang::Verdict::Allow) return false;
    if (e.dir == Direction::In) return r.output.kind == K::Vm;
    switch (r.output.kind) {
        case K::Uplink: case K::Host: case K::Gateway: case K::Ecmp: return true;
        case K::Port: {
            auto r2 = replay::runPort(policy, r.output.index, Direction::In, r.headers);
            text += "; port " + policy->ports[r.output.index].name + " in: " +
                    lang::verdictName(r2.verdict) + ", output " + r2.output.str(*policy);
            return r2.verdict == lang::Verdict::Allow && r2.output.kind == K::Vm;
        }
        default: return false;
    }
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
    std::vector<Entry> entries;
    // Inbound pipelines of local ports, on demand.
    auto inboundDelivered = [&](uint32_t b, const smt::SymHeaders& in) {
        auto p = enc::encodePipeline(ctx, policy, b, Direction::In, in);
        return p.allow && p.outKind == z.bv_val(enc::kVm, 3);
    };
    z3::expr notLocal = z.bool_val(true), dstNotLocal = z.bool_val(true);
    for (const auto& port : policy.ports)
        for (const auto& ip : port.ips) {
            notLocal = notLocal && !addrIs(ctx, h, lang::Field::SrcIp, ip);
            dstNotLocal = dstNotLocal && !addrIs(ctx, h, lang::Field::DstIp, ip);
        }
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
        if (anySrc) {
            auto p = enc::encodePipeline(ctx, policy, pa, Direction::Out, h);
            z3::expr k = p.outKind;
            z3::expr leaves = k == z.bv_val(enc::kUplink, 3) || k == z.bv_val(enc::kHost, 3) ||
                              k == z.bv_val(enc::kGateway, 3) || k == z.bv_val(enc::kEcmp, 3);
            z3::expr local = z.bool_val(false);
            for (uint32_t b = 0; b < policy.ports.size(); ++b)
                local = local || (k == z.bv_val(enc::kPort, 3) &&
                                  p.outIndex == z.bv_val(b, 32) && inboundDelivered(b, p.out));
            entries.push_back({static_cast<int>(pa), Direction::Out, srcOwn,
                               p.allow && (leaves || local)});
        }
        if (anyDst) {
            entries.push_back({static_cast<int>(pa), Direction::In, dstOwn && notLocal,
                               inboundDelivered(pa, h)});
        }
    }
    {
        z3::expr some = z.bool_val(false);
        for (uint32_t b = 0; b < policy.ports.size(); ++b) some = some || inboundDelivered(b, h);
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
        bool got = deliveredByInterpreter(cc.policy, *e, *pw, text);
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
