// Property: for random small policies (layers, priority and lpm groups, group conditions,
// terminating rules, rewrites, encap/decap, route tables, audit layers) and random packets, the
// Z3 encoding evaluated on the concrete packet gives the interpreter's verdict, output, final
// headers, deciding group/rule and audit would-deny of every evaluated layer.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "sluice/interp/interpreter.h"
#include "sluice/verify/concrete.h"

namespace sluice::verify {
namespace {

using lang::Direction;
using lang::Family;
using lang::Field;
using lang::IpAddr;
using lang::u128;

struct Gen {
    std::mt19937 rng;
    explicit Gen(uint32_t seed) : rng(seed) {}
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
    bool coin(int percent = 50) { return pick(0, 99) < percent; }

    // Addresses from a tiny space so that rules and packets meet: 10.0.0.0-10.0.0.7 and
    // fd00::0-fd00::7.
    IpAddr addr(Family f) {
        u128 base = f == Family::V4 ? u128(0x0a000000) : (u128(0xfd00) << 112);
        return {f, base + static_cast<u128>(pick(0, 7))};
    }
    lang::MatchValue prefix(Family f) {
        int width = f == Family::V4 ? 32 : 128;
        int len = width - pick(0, 3);
        IpAddr a = addr(f);
        u128 mask = (u128(1) << (width - len)) - 1;
        lang::MatchValue v;
        v.family = f;
        v.lo = a.value & ~mask;
        v.hi = v.lo | mask;
        v.prefixLen = len;
        return v;
    }
    lang::MatchValue small(int max) {
        lang::MatchValue v;
        v.lo = static_cast<u128>(pick(0, max));
        v.hi = v.lo + static_cast<u128>(pick(0, 2));
        return v;
    }
    lang::Condition cond(Field f) {
        lang::Condition c;
        c.field = f;
        int n = pick(1, 2);
        for (int i = 0; i < n; ++i) {
            switch (f) {
                case Field::SrcIp:
                case Field::DstIp:
                case Field::OuterDstIp:
                    c.values.push_back(prefix(coin(70) ? Family::V4 : Family::V6));
                    break;
                case Field::Proto: {
                    lang::MatchValue v;
                    v.lo = v.hi = coin() ? lang::kProtoTcp : lang::kProtoUdp;
                    c.values.push_back(v);
                    break;
                }
                case Field::Vni: c.values.push_back(small(3)); break;
                default: c.values.push_back(small(6)); break;
            }
        }
        return c;
    }
    std::vector<lang::Condition> conds(int maxCount) {
        static const Field kFields[] = {Field::SrcIp, Field::DstIp, Field::Proto, Field::SrcPort,
                                        Field::DstPort, Field::Vni, Field::OuterDstIp,
                                        Field::Dscp};
        std::vector<lang::Condition> out;
        int n = pick(0, maxCount);
        std::vector<Field> used;
        for (int i = 0; i < n; ++i) {
            Field f = kFields[pick(0, 7)];
            if (std::find(used.begin(), used.end(), f) != used.end()) continue;
            used.push_back(f);
            out.push_back(cond(f));
        }
        return out;
    }
    lang::Action action(uint32_t tables) {
        lang::Action a;
        a.verdict = coin(70) ? lang::Verdict::Allow : lang::Verdict::Deny;
        if (a.verdict == lang::Verdict::Deny) return a;
        if (coin(25)) a.rewrites.push_back({Field::DstPort, static_cast<u128>(pick(0, 6)),
                                            Family::None, {}});
        if (coin(20)) {
            Family f = coin(70) ? Family::V4 : Family::V6;
            IpAddr x = addr(f);
            a.rewrites.push_back({Field::DstIp, x.value, f, {}});
        }
        if (coin(10)) a.rewrites.push_back({Field::Dscp, static_cast<u128>(pick(0, 6)),
                                            Family::None, {}});
        if (coin(10)) a.decap = true;
        if (coin(10)) {
            lang::Encap e;
            e.vni = static_cast<uint32_t>(pick(0, 3));
            e.outerSrc = addr(Family::V4);
            e.outerDst = addr(Family::V4);
            a.encap = e;
        }
        if (tables && coin(30)) a.routeTable = static_cast<uint32_t>(pick(0, tables - 1));
        return a;
    }
};

std::shared_ptr<lang::Policy> randomPolicy(Gen& g) {
    auto p = std::make_shared<lang::Policy>();
    uint32_t tables = static_cast<uint32_t>(g.pick(0, 2));
    int nports = g.pick(1, 2);
    int nlayers = g.pick(1, 3);
    for (int t = 0; t < static_cast<int>(tables); ++t) {
        lang::RouteTable rt;
        rt.name = "rt" + std::to_string(t);
        std::vector<std::pair<IpAddr, int>> seen;
        int n = g.pick(0, 4);
        for (int i = 0; i < n; ++i) {
            Family f = g.coin(70) ? Family::V4 : Family::V6;
            auto v = g.prefix(f);
            if (g.coin(15)) {  // a default route
                v.lo = 0;
                v.prefixLen = 0;
            }
            IpAddr pre{f, v.lo};
            bool dup = false;
            for (auto& s : seen) dup = dup || (s.first == pre && s.second == v.prefixLen);
            if (dup) continue;
            seen.push_back({pre, v.prefixLen});
            lang::RouteEntry e;
            e.prefix = pre;
            e.prefixLen = v.prefixLen;
            switch (g.pick(0, 3)) {
                case 0: e.kind = lang::NextHopKind::Port; e.port = g.pick(0, nports - 1); break;
                case 1: e.kind = lang::NextHopKind::Host; e.address = g.addr(Family::V4); break;
                case 2: e.kind = lang::NextHopKind::Gateway; e.address = g.addr(Family::V4); break;
                default: e.kind = lang::NextHopKind::Drop; break;
            }
            rt.routes.push_back(e);
        }
        p->routeTables.push_back(rt);
    }
    for (int l = 0; l < nlayers; ++l) {
        lang::Layer layer;
        layer.name = "l" + std::to_string(l);
        layer.audit = g.coin(30);
        for (int d = 0; d < 2; ++d) {
            layer.defaultAction[d].verdict = g.coin(60) ? lang::Verdict::Allow : lang::Verdict::Deny;
            int ngroups = g.pick(0, 3);
            for (int gi = 0; gi < ngroups; ++gi) {
                lang::Group grp;
                grp.name = "g" + std::to_string(gi);
                grp.priority = static_cast<uint32_t>(gi * 10);
                if (g.coin(25)) grp.conditions = g.conds(1);
                bool lpm = g.coin(30);
                grp.mode = lpm ? lang::GroupMode::Lpm : lang::GroupMode::Priority;
                grp.lpmField = Field::DstIp;
                int nrules = g.pick(0, 4);
                for (int ri = 0; ri < nrules; ++ri) {
                    lang::Rule r;
                    r.name = "r" + std::to_string(gi) + "_" + std::to_string(ri);
                    r.priority = static_cast<uint32_t>(ri);
                    r.conditions = g.conds(3);
                    if (lpm) {
                        r.conditions.erase(
                            std::remove_if(r.conditions.begin(), r.conditions.end(),
                                           [](auto& c) { return c.field == Field::DstIp; }),
                            r.conditions.end());
                        r.conditions.push_back(g.cond(Field::DstIp));
                    }
                    r.action = g.action(tables);
                    r.terminating = g.coin(30);
                    grp.rules.push_back(r);
                }
                layer.groups[d].push_back(grp);
            }
        }
        p->layers.push_back(layer);
    }
    for (int i = 0; i < nports; ++i) {
        lang::Port port;
        port.name = "p" + std::to_string(i);
        port.ips = {g.addr(Family::V4)};
        int n = g.pick(1, nlayers);
        for (int k = 0; k < n; ++k) port.layers.push_back(static_cast<uint32_t>(g.pick(0, nlayers - 1)));
        p->ports.push_back(port);
    }
    return p;
}

lang::Headers randomPacket(Gen& g) {
    lang::Headers h;
    Family f = g.coin(70) ? Family::V4 : Family::V6;
    h.etherType = f == Family::V4 ? 0x0800 : 0x86DD;
    h.srcIp = g.addr(f);
    h.dstIp = g.addr(f);
    h.proto = g.coin() ? lang::kProtoTcp : lang::kProtoUdp;
    h.srcPort = static_cast<uint16_t>(g.pick(0, 8));
    h.dstPort = static_cast<uint16_t>(g.pick(0, 8));
    h.dscp = static_cast<uint8_t>(g.pick(0, 8));
    if (g.coin(30)) {
        h.vni = static_cast<uint32_t>(g.pick(0, 4));
        h.outerSrc = g.addr(Family::V4);
        h.outerDst = g.addr(Family::V4);
    }
    return h;
}

// Empty when the encoding agrees with the interpreter on the packet, else what differs.
std::string disagreement(const std::shared_ptr<lang::Policy>& policy, uint32_t port,
                         Direction dir, const lang::Headers& pkt, EncodingFault fault) {
    interp::Interpreter in(policy);
    interp::Result want = in.evaluate(port, dir, pkt);
    EncodedResult got = evaluateEncoding(*policy, port, dir, pkt, fault);
    if (got.verdict != want.verdict) return "verdict";
    if (got.outputKind != static_cast<uint8_t>(want.output.kind)) return "output";
    if (want.verdict == lang::Verdict::Allow && !(got.headers == want.headers)) return "headers";
    if (got.layers.size() != want.layers.size()) return "layer count";
    for (size_t i = 0; i < got.layers.size(); ++i) {
        if (got.layers[i].rule != want.layers[i].rule) return "layer rule";
        if (got.layers[i].auditDeny != want.layers[i].auditDeny) return "audit";
    }
    return "";
}

// Random wanted field values, including combinations the packet text cannot carry (ports
// of ICMP, ICMP types of TCP, flags of UDP, a VNI without a tunnel).
std::vector<std::pair<Field, u128>> randomWanted(Gen& g) {
    static const uint8_t kProtos[] = {lang::kProtoTcp, lang::kProtoUdp, lang::kProtoIcmp,
                                      lang::kProtoIcmpV6, 47};
    std::vector<std::pair<Field, u128>> w;
    if (g.coin(80)) w.push_back({Field::Proto, kProtos[g.pick(0, 4)]});
    if (g.coin(40)) w.push_back({Field::DstPort, static_cast<u128>(g.pick(0, 3))});
    if (g.coin(40)) w.push_back({Field::IcmpType, static_cast<u128>(g.pick(0, 9))});
    if (g.coin(30)) w.push_back({Field::TcpFlags, static_cast<u128>(g.pick(0, 3))});
    if (g.coin(30)) w.push_back({Field::Vni, static_cast<u128>(g.pick(0, 2))});
    return w;
}

// True when the universe's packet for `wanted` is not the packet its text says.
bool illFormed(const std::vector<std::pair<Field, u128>>& wanted, EncodingFault fault) {
    auto h = universePacket(wanted, fault);
    if (!h) return false;
    auto parsed = lang::parsePacketText(lang::formatPacketText(*h));
    return !parsed || !(parsed->headers == *h);
}

void checkAgreement(uint32_t seed) {
    Gen g(seed);
    auto policy = randomPolicy(g);
    for (int k = 0; k < 8; ++k) {
        lang::Headers pkt = randomPacket(g);
        uint32_t port = static_cast<uint32_t>(g.pick(0, static_cast<int>(policy->ports.size()) - 1));
        Direction dir = g.coin() ? Direction::In : Direction::Out;
        interp::Interpreter in(policy);
        interp::Result want = in.evaluate(port, dir, pkt);
        EncodedResult got = evaluateEncoding(*policy, port, dir, pkt);
        std::string ctx = "seed " + std::to_string(seed) + " packet " +
                          lang::formatPacketText(pkt) + " port " + std::to_string(port) + " " +
                          lang::directionName(dir);
        RC_ASSERT(got.verdict == want.verdict);
        RC_ASSERT(got.outputKind == static_cast<uint8_t>(want.output.kind));
        if (want.verdict == lang::Verdict::Allow) {
            RC_ASSERT(got.outputIndex == want.output.index);
            RC_ASSERT(got.outputAddress == want.output.address);
            RC_ASSERT(got.headers == want.headers);
        }
        RC_ASSERT(got.layers.size() == want.layers.size());
        for (size_t i = 0; i < got.layers.size(); ++i) {
            RC_ASSERT(got.layers[i].layer == want.layers[i].layer);
            RC_ASSERT(got.layers[i].rule == want.layers[i].rule);
            if (got.layers[i].rule) RC_ASSERT(got.layers[i].group == want.layers[i].group);
            RC_ASSERT(got.layers[i].verdict == want.layers[i].verdict);
            RC_ASSERT(got.layers[i].auditDeny == want.layers[i].auditDeny);
        }
    }
}

RC_GTEST_PROP(VerifierEncoding, AgreesWithInterpreterOnConcretePackets, ()) {
    checkAgreement(*rc::gen::arbitrary<uint32_t>());
}

// Every packet of the encoding's universe is exactly what its printed text parses back to.
RC_GTEST_PROP(VerifierEncoding, UniversePacketsSurviveTheirText, ()) {
    Gen g(*rc::gen::arbitrary<uint32_t>());
    for (int k = 0; k < 3; ++k) {
        auto wanted = randomWanted(g);
        auto h = universePacket(wanted);
        if (!h) continue;
        auto parsed = lang::parsePacketText(lang::formatPacketText(*h));
        RC_ASSERT(parsed.ok());
        RC_ASSERT(parsed->headers == *h);
    }
}

// Disagreements with the interpreter that `fault` causes on random policies and packets
// (stops at the first seed that shows one).
size_t mismatchesUnder(EncodingFault fault) {
    size_t mismatches = 0;
    for (uint32_t seed = 1; seed <= 200 && mismatches == 0; ++seed) {
        Gen g(seed);
        auto policy = randomPolicy(g);
        for (int k = 0; k < 8; ++k) {
            lang::Headers pkt = randomPacket(g);
            auto port = static_cast<uint32_t>(g.pick(0, static_cast<int>(policy->ports.size()) - 1));
            Direction dir = g.coin() ? Direction::In : Direction::Out;
            mismatches += !disagreement(policy, port, dir, pkt, fault).empty();
        }
    }
    return mismatches;
}

// The same comparisons must flag deliberately broken encodings.
TEST(VerifierEncoding, HarnessDetectsBrokenEncoding) {
    EXPECT_GT(mismatchesUnder(EncodingFault::IgnoreTerminating), 0u)
        << "ignoring terminating rules went unnoticed";
    EXPECT_GT(mismatchesUnder(EncodingFault::IgnoreAudit), 0u)
        << "audit layers that drop their would-denies went unnoticed";
    size_t bad = 0, badCorrect = 0;
    Gen g(7);
    for (int k = 0; k < 64; ++k) {
        auto wanted = randomWanted(g);
        bad += illFormed(wanted, EncodingFault::IllFormedPackets);
        badCorrect += illFormed(wanted, EncodingFault::None);
    }
    EXPECT_GT(bad, 0u) << "an ill-formed universe went unnoticed";
    EXPECT_EQ(badCorrect, 0u);
}

}  // namespace
}  // namespace sluice::verify
