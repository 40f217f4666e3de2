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
#include "checks.h"
#include "encoding.h"
#include "entry_points.h"
#include "path.h"
#include "replay.h"

namespace sluice::verify {

using lang::Direction;

namespace {

constexpr uint8_t kSyn = 0x02;

struct Entry {
    EntryPoint at;
    z3::expr delivered;  // the packet reaches a destination (TCP reachable: connects)
};

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
    for (auto& at : entryPoints(ctx, policy, h, a.from, a.to)) {
        if (at.port >= 0) {
            entries.push_back({at, delivered(static_cast<uint32_t>(at.port), at.dir)});
            continue;
        }
        z3::expr some = z.bool_val(false);
        for (uint32_t b : entryPorts(policy, at)) some = some || delivered(b, at.dir);
        entries.push_back({at, some});
    }
    std::string what = std::string("assertion ") + a.name;
    auto fail = [&](const std::string& msg, const std::optional<lang::Headers>& w,
                    const Entry* e, bool expectDelivered) {
        auto& f = cc.add(FindingKind::Assertion, what + " fails: " + msg, a.range);
        f.involved.push_back({a.name, a.range});
        if (!w || !e) return;
        Witness wt;
        wt.headers = *w;
        wt.dir = e->at.dir;
        if (e->at.port >= 0) wt.port = policy.ports[static_cast<size_t>(e->at.port)].name;
        wt.where = entryName(policy, e->at);
        f.witness = wt;
        if (!cc.options.replay) return;
        auto pw = cc.replayHeaders(f);
        if (!pw) return;
        std::string text;
        bool got = deliveredByInterpreter(cc.policy, e->at, *pw,
                                          connections && pw->proto == lang::kProtoTcp, text);
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
            if (auto w = solveWith(e.at.guard && e.delivered)) {
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
            if (solveWith(e.at.guard && e.delivered)) return;
        // None delivered: show one packet of the class and where it goes.
        for (const auto& e : entries) {
            if (auto w = solveWith(e.at.guard)) {
                fail("no packet of the class is delivered", w, &e, false);
                return;
            }
        }
        fail("the class is empty", std::nullopt, nullptr, false);
        return;
    }
    bool anyPacket = false;
    for (const auto& e : entries) {
        if (solveWith(e.at.guard)) anyPacket = true;
        if (auto w = solveWith(e.at.guard && !e.delivered)) {
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
