// The reference interpreter on policies built in C++ (DESIGN.md section 3, rule by rule).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "policy_builder.h"
#include "sluice/interp/interpreter.h"

namespace sluice::testing {
namespace {

using interp::Interpreter;
using interp::OutputKind;
using interp::Result;
using lang::NextHopKind;
using V = std::vector<std::string>;

constexpr Direction kOut = Direction::Out;
constexpr Direction kIn = Direction::In;

Group allowAll(const std::string& name) {
    return group(name, 1, {rule("any", 1, {}, allow())});
}

TEST(Interpreter, OutboundWalksLayersInOrderInboundInReverse) {
    PolicyBuilder b;
    uint32_t vm = b.layer("vm_side", {allowAll("g")}, {allowAll("g")});
    uint32_t mid = b.layer("middle", {allowAll("g")}, {allowAll("g")});
    uint32_t wire = b.layer("wire_side", {allowAll("g")}, {allowAll("g")});
    b.port("p", {vm, mid, wire});
    auto policy = b.build();
    Interpreter it(policy);

    Result out = it.evaluate(0, kOut, packet("tcp 10.0.0.1:1 -> 10.0.0.2:2"));
    EXPECT_EQ(out.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kOut, out), (V{"vm_side/g/any", "middle/g/any", "wire_side/g/any"}));
    EXPECT_EQ(out.output.kind, OutputKind::Uplink);

    Result in = it.evaluate(0, kIn, packet("tcp 10.0.0.2:2 -> 10.0.0.1:1"));
    EXPECT_EQ(in.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kIn, in), (V{"wire_side/g/any", "middle/g/any", "vm_side/g/any"}));
    EXPECT_EQ(in.output.kind, OutputKind::Vm);
    EXPECT_EQ(in.output.index, 0u);
    EXPECT_EQ(in.output.str(*policy), "vm:p");
}

TEST(Interpreter, DirectionsUseTheirOwnGroupsAndDefaults) {
    PolicyBuilder b;
    // Outbound allows tcp; inbound has no groups and defaults to allow.
    uint32_t l = b.layer("acl", {group("g", 1, {rule("tcp", 1, {cond(Field::Proto, 6)}, allow())})},
                         {}, Verdict::Deny, Verdict::Allow);
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    EXPECT_EQ(it.evaluate(0, kOut, packet("tcp 1.1.1.1:1 -> 2.2.2.2:2")).verdict, Verdict::Allow);
    Result udpOut = it.evaluate(0, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2"));
    EXPECT_EQ(udpOut.verdict, Verdict::Deny);
    EXPECT_EQ(udpOut.dropReason, "layer acl");
    EXPECT_EQ(trace(*policy, kOut, udpOut), (V{"acl/-/-"}));
    Result udpIn = it.evaluate(0, kIn, packet("udp 1.1.1.1:1 -> 2.2.2.2:2"));
    EXPECT_EQ(udpIn.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kIn, udpIn), (V{"acl/-/-"}));
}

TEST(Interpreter, FirstMatchInPriorityOrderWithinAGroup) {
    PolicyBuilder b;
    // Written out of order; the builder sorts like the front end does.
    uint32_t l = b.layer("acl", {group("g", 1,
                                       {rule("late_allow", 20, {cond(Field::DstPort, 80)}, allow()),
                                        rule("early_deny", 10,
                                             {cond(Field::DstPort, {range(1, 100)})}, deny()),
                                        rule("other", 30, {}, allow())})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    Result r = it.evaluate(0, kOut, packet("tcp 1.1.1.1:1 -> 2.2.2.2:80"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/g/early_deny"}));
    r = it.evaluate(0, kOut, packet("tcp 1.1.1.1:1 -> 2.2.2.2:443"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/g/other"}));
}

TEST(Interpreter, LastGroupWithAWinnerDecides) {
    PolicyBuilder b;
    uint32_t l = b.layer(
        "acl", {group("first", 10, {rule("allow_web", 1, {cond(Field::DstPort, 80)}, allow())}),
                group("second", 20, {rule("deny_net", 1, {cond(Field::DstIp, "10.9.0.0/16")}, deny())}),
                group("third", 30, {rule("never", 1, {cond(Field::DstPort, 9999)}, deny())})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    // Both first and second have winners: second (the later) decides.
    Result r = it.evaluate(0, kOut, packet("tcp 1.1.1.1:1 -> 10.9.0.1:80"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/second/deny_net"}));
    // Only first has a winner; third has none and does not override.
    r = it.evaluate(0, kOut, packet("tcp 1.1.1.1:1 -> 10.8.0.1:80"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/first/allow_web"}));
    // No winner anywhere: default deny.
    r = it.evaluate(0, kOut, packet("tcp 1.1.1.1:1 -> 10.8.0.1:81"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/-/-"}));
}

TEST(Interpreter, TerminatingWinnerEndsTheLayer) {
    PolicyBuilder b;
    uint32_t l = b.layer(
        "acl",
        {group("block", 10,
               {rule("metadata", 1, {cond(Field::DstIp, "169.254.169.254")}, deny(),
                     {.terminating = true}),
                rule("trusted", 2, {cond(Field::SrcIp, "10.0.0.0/24")}, allow(),
                     {.terminating = true}),
                rule("plain", 3, {}, deny())}),
         group("sg", 20, {rule("all", 1, {}, allow())})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    // A later group would allow, but the terminating deny ends the layer.
    Result r = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1 -> 169.254.169.254:80"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/block/metadata"}));
    // A terminating allow also ends it (the group sg is not reached).
    r = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1 -> 8.8.8.8:53"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/block/trusted"}));
    // A non-terminating deny in the first group is overridden by the later group.
    r = it.evaluate(0, kOut, packet("tcp 10.1.0.5:1 -> 8.8.8.8:53"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/sg/all"}));
}

TEST(Interpreter, GroupConditionsSkipTheGroup) {
    PolicyBuilder b;
    uint32_t l = b.layer(
        "acl", {group("base", 10, {rule("allow_all", 1, {}, allow())}),
                group("tenant_b", 20, {rule("deny_all", 1, {}, deny())},
                      {cond(Field::SrcIp, "10.2.0.0/16"), cond(Field::Proto, 6)})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    EXPECT_EQ(it.evaluate(0, kOut, packet("tcp 10.2.0.1:1 -> 1.1.1.1:2")).verdict, Verdict::Deny);
    // One of the group's conditions fails: skipped, the earlier group's winner stands.
    Result r = it.evaluate(0, kOut, packet("udp 10.2.0.1:1 -> 1.1.1.1:2"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/base/allow_all"}));
    EXPECT_EQ(it.evaluate(0, kOut, packet("tcp 10.3.0.1:1 -> 1.1.1.1:2")).verdict, Verdict::Allow);
}

TEST(Interpreter, ConditionValuesAreOredAndConditionsAnded) {
    PolicyBuilder b;
    uint32_t l = b.layer(
        "acl", {group("g", 1, {rule("web", 1,
                                    {cond(Field::Proto, 6),
                                     cond(Field::DstPort, {value(80), value(443), range(8000, 8080)})},
                                    allow())})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    for (const char* ok : {"tcp 1.1.1.1:1 -> 2.2.2.2:80", "tcp 1.1.1.1:1 -> 2.2.2.2:443",
                           "tcp 1.1.1.1:1 -> 2.2.2.2:8000", "tcp 1.1.1.1:1 -> 2.2.2.2:8080"}) {
        EXPECT_EQ(it.evaluate(0, kOut, packet(ok)).verdict, Verdict::Allow) << ok;
    }
    for (const char* no : {"tcp 1.1.1.1:1 -> 2.2.2.2:81", "udp 1.1.1.1:1 -> 2.2.2.2:80",
                           "tcp 1.1.1.1:1 -> 2.2.2.2:8081", "tcp 1.1.1.1:1 -> 2.2.2.2:7999"}) {
        EXPECT_EQ(it.evaluate(0, kOut, packet(no)).verdict, Verdict::Deny) << no;
    }
}

TEST(Interpreter, LpmGroupLongestPrefixWinsTiesByPriority) {
    PolicyBuilder b;
    uint32_t l = b.layer(
        "routes",
        {lpmGroup("lpm", 1, Field::DstIp,
                  {rule("wide", 1, {cond(Field::DstIp, "10.0.0.0/8")}, allow()),
                   rule("mid", 2, {cond(Field::DstIp, "10.1.0.0/16")}, deny()),
                   rule("narrow", 3,
                        {cond(Field::DstIp, {prefix("10.1.2.0/24"), prefix("192.168.0.0/16")})},
                        allow()),
                   rule("tie_first", 4, {cond(Field::DstIp, "10.2.0.0/16")}, allow()),
                   rule("tie_second", 5, {cond(Field::DstIp, "10.2.0.0/16")}, deny()),
                   // Longest prefix, but its other condition fails for udp.
                   rule("host_tcp", 6, {cond(Field::DstIp, "10.1.2.3"), cond(Field::Proto, 6)},
                        deny())})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    auto winner = [&](const char* text) {
        Result r = it.evaluate(0, kOut, packet(text));
        return trace(*policy, kOut, r).at(0);
    };
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 10.5.0.1:2"), "routes/lpm/wide");
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 10.1.9.1:2"), "routes/lpm/mid");
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 10.1.2.3:2"), "routes/lpm/narrow");
    EXPECT_EQ(winner("tcp 1.1.1.1:1 -> 10.1.2.3:2"), "routes/lpm/host_tcp");
    // The /24 of narrow is longer than mid's /16 although narrow's priority is later.
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 10.1.2.4:2"), "routes/lpm/narrow");
    // Narrow's other value: /16, longer than wide's /8 only if it matched; here wide does not.
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 192.168.1.1:2"), "routes/lpm/narrow");
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 10.2.0.9:2"), "routes/lpm/tie_first");
    EXPECT_EQ(winner("udp 1.1.1.1:1 -> 11.0.0.1:2"), "routes/-/-");
}

TEST(Interpreter, EachLayerSeesEarlierRewrites) {
    PolicyBuilder b;
    uint32_t nat = b.layer(
        "nat", {group("g", 1, {rule("vip", 1, {cond(Field::DstIp, "100.64.0.10")},
                                    setField(setIp(allow(), Field::DstIp, "10.0.0.9"),
                                             Field::DstPort, 8080))})},
        {}, Verdict::Allow, Verdict::Allow);
    // acl only allows the rewritten destination.
    uint32_t acl = b.layer(
        "acl", {group("g", 1, {rule("backend", 1,
                                    {cond(Field::DstIp, "10.0.0.9"), cond(Field::DstPort, 8080)},
                                    allow())})});
    b.port("p", {nat, acl});
    auto policy = b.build();
    Interpreter it(policy);
    Result r = it.evaluate(0, kOut, packet("tcp 10.0.0.1:1000 -> 100.64.0.10:80"));
    ASSERT_EQ(r.verdict, Verdict::Allow) << r.dropReason;
    EXPECT_EQ(trace(*policy, kOut, r), (V{"nat/g/vip", "acl/g/backend"}));
    EXPECT_EQ(lang::formatPacketText(r.layers[0].after), "tcp 10.0.0.1:1000 -> 10.0.0.9:8080");
    EXPECT_EQ(lang::formatPacketText(r.headers), "tcp 10.0.0.1:1000 -> 10.0.0.9:8080");
    // Without the rewrite (the nat layer's default allows unchanged) acl denies.
    Result d = it.evaluate(0, kOut, packet("tcp 10.0.0.1:1000 -> 10.0.0.9:80"));
    EXPECT_EQ(d.verdict, Verdict::Deny);
    EXPECT_EQ(d.dropReason, "layer acl");
    EXPECT_EQ(trace(*policy, kOut, d), (V{"nat/-/-", "acl/-/-"}));
}

TEST(Interpreter, RewritesOfOneActionAndLaterLayersCompose) {
    PolicyBuilder b;
    uint32_t l1 = b.layer(
        "l1", {group("g", 1, {rule("r", 1, {}, setField(allow(), Field::Dscp, 46))})});
    uint32_t l2 = b.layer(
        "l2", {group("g", 1, {rule("r", 1, {cond(Field::Dscp, 46)},
                                   setField(setField(allow(), Field::SrcPort, 7), Field::SrcMac,
                                            0x0a0b0c0d0e0full))})});
    b.port("p", {l1, l2});
    auto policy = b.build();
    Interpreter it(policy);
    Result r = it.evaluate(0, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2"));
    ASSERT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(r.headers.dscp, 46);
    EXPECT_EQ(r.headers.srcPort, 7);
    EXPECT_EQ(r.headers.srcMac, 0x0a0b0c0d0e0full);
    EXPECT_EQ(r.layers[0].after.srcPort, 1);  // the first layer's view is kept in the trace
}

// Port layers [snat, acl]: snat rewrites the source outbound (stateful); acl (wire side)
// allows outbound statefully and denies everything else inbound.
std::shared_ptr<const Policy> snatPolicy() {
    PolicyBuilder b;
    uint32_t snat = b.layer(
        "snat",
        {group("g", 1,
               {rule("masq", 1, {cond(Field::SrcIp, "10.0.0.0/24")},
                     setField(setIp(allow(), Field::SrcIp, "203.0.113.7"), Field::SrcPort, 40000),
                     {.stateful = true})})},
        {}, Verdict::Allow, Verdict::Allow);
    uint32_t acl = b.layer(
        "acl", {group("g", 1,
                      {rule("block", 1, {cond(Field::DstIp, "9.9.9.9")}, deny()),
                       rule("out", 2, {}, allow(), {.stateful = true})})});
    b.port("vm", {snat, acl});
    return b.build();
}

TEST(Interpreter, SnatReplyGetsTheInverseRewriteThroughSessions) {
    auto policy = snatPolicy();
    Interpreter it(policy);
    Result out = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1234 -> 8.8.8.8:443 flags S"));
    ASSERT_EQ(out.verdict, Verdict::Allow);
    EXPECT_EQ(lang::formatPacketText(out.headers), "tcp 203.0.113.7:40000 -> 8.8.8.8:443 flags S");
    EXPECT_EQ(it.sessionCount(), 2u);  // one pair per stateful layer

    // The reply arrives on the wire side, addressed to the translated source.
    Result in = it.evaluate(0, kIn, packet("tcp 8.8.8.8:443 -> 203.0.113.7:40000 flags SA"));
    ASSERT_EQ(in.verdict, Verdict::Allow) << in.dropReason;
    EXPECT_EQ(trace(*policy, kIn, in), (V{"acl/session", "snat/session"}));
    EXPECT_TRUE(in.layers[0].viaSession);
    EXPECT_EQ(in.layers[0].verdict, Verdict::Allow);
    EXPECT_FALSE(in.layers[0].rule.has_value());
    // acl rewrote nothing, so nothing changes there; snat restores the destination.
    EXPECT_EQ(lang::formatPacketText(in.layers[0].after),
              "tcp 8.8.8.8:443 -> 203.0.113.7:40000 flags SA");
    EXPECT_EQ(lang::formatPacketText(in.headers), "tcp 8.8.8.8:443 -> 10.0.0.5:1234 flags SA");
    EXPECT_EQ(in.output.kind, OutputKind::Vm);

    // Not a reply: another source port, or another remote: acl's inbound default denies.
    Result other = it.evaluate(0, kIn, packet("tcp 8.8.8.8:444 -> 203.0.113.7:40000"));
    EXPECT_EQ(other.verdict, Verdict::Deny);
    EXPECT_EQ(other.dropReason, "layer acl");
    EXPECT_EQ(it.evaluate(0, kIn, packet("tcp 8.8.4.4:443 -> 203.0.113.7:40000")).verdict,
              Verdict::Deny);
    // Same addresses and ports, other protocol: not the flow.
    EXPECT_EQ(it.evaluate(0, kIn, packet("udp 8.8.8.8:443 -> 203.0.113.7:40000")).verdict,
              Verdict::Deny);
    // Sessions match the reverse direction only: the same tuple outbound is evaluated by rules.
    Result again = it.evaluate(0, kOut, packet("tcp 8.8.8.8:443 -> 203.0.113.7:40000"));
    for (const auto& s : again.layers) EXPECT_FALSE(s.viaSession);

    it.clearSessions();
    EXPECT_EQ(it.sessionCount(), 0u);
    EXPECT_EQ(it.evaluate(0, kIn, packet("tcp 8.8.8.8:443 -> 203.0.113.7:40000")).verdict,
              Verdict::Deny);
}

TEST(Interpreter, NoSessionForAPacketDroppedByALaterLayer) {
    auto policy = snatPolicy();
    Interpreter it(policy);
    Result out = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1234 -> 9.9.9.9:443"));
    EXPECT_EQ(out.verdict, Verdict::Deny);
    EXPECT_EQ(trace(*policy, kOut, out), (V{"snat/g/masq", "acl/g/block"}));
    EXPECT_EQ(it.sessionCount(), 0u);
    EXPECT_EQ(it.evaluate(0, kIn, packet("tcp 9.9.9.9:443 -> 203.0.113.7:40000")).verdict,
              Verdict::Deny);
}

TEST(Interpreter, SessionsArePerPort) {
    PolicyBuilder b;
    uint32_t acl = b.layer("acl", {group("g", 1, {rule("out", 1, {}, allow(), {.stateful = true})})});
    b.port("a", {acl});
    b.port("b", {acl});
    auto policy = b.build();
    Interpreter it(policy);
    ASSERT_EQ(it.evaluate(0, kOut, packet("udp 10.0.0.1:53 -> 10.0.0.2:53")).verdict, Verdict::Allow);
    EXPECT_EQ(it.evaluate(1, kIn, packet("udp 10.0.0.2:53 -> 10.0.0.1:53")).verdict, Verdict::Deny);
    EXPECT_EQ(it.evaluate(0, kIn, packet("udp 10.0.0.2:53 -> 10.0.0.1:53")).verdict, Verdict::Allow);
}

TEST(Interpreter, DnatInboundReplyOutboundRestoresTheVip) {
    PolicyBuilder b;
    uint32_t lb = b.layer(
        "lb", {},
        {group("vip", 1,
               {rule("web", 1, {cond(Field::DstIp, "100.64.0.10"), cond(Field::DstPort, 80)},
                     setField(setIp(allow(), Field::DstIp, "10.0.0.5"), Field::DstPort, 8080),
                     {.stateful = true})})},
        Verdict::Deny, Verdict::Deny);
    b.port("web", {lb});
    auto policy = b.build();
    Interpreter it(policy);
    Result in = it.evaluate(0, kIn, packet("tcp 198.51.100.1:5555 -> 100.64.0.10:80"));
    ASSERT_EQ(in.verdict, Verdict::Allow);
    EXPECT_EQ(lang::formatPacketText(in.headers), "tcp 198.51.100.1:5555 -> 10.0.0.5:8080");
    Result out = it.evaluate(0, kOut, packet("tcp 10.0.0.5:8080 -> 198.51.100.1:5555"));
    ASSERT_EQ(out.verdict, Verdict::Allow) << out.dropReason;
    EXPECT_TRUE(out.layers.at(0).viaSession);
    EXPECT_EQ(lang::formatPacketText(out.headers), "tcp 100.64.0.10:80 -> 198.51.100.1:5555");
    EXPECT_EQ(out.output.kind, OutputKind::Uplink);
}

TEST(Interpreter, IcmpEchoSessionAdmitsTheReplyOnly) {
    PolicyBuilder b;
    uint32_t acl = b.layer("acl", {group("g", 1, {rule("ping", 1, {cond(Field::Proto, 1)}, allow(),
                                                      {.stateful = true})})});
    b.port("p", {acl});
    auto policy = b.build();
    Interpreter it(policy);
    ASSERT_EQ(it.evaluate(0, kOut, packet("icmp 10.0.0.1 -> 8.8.8.8 type 8 code 0")).verdict,
              Verdict::Allow);
    // The echo reply (type 0) matches the request's session; a request the other way does not.
    EXPECT_EQ(it.evaluate(0, kIn, packet("icmp 8.8.8.8 -> 10.0.0.1 type 0 code 0")).verdict,
              Verdict::Allow);
    EXPECT_EQ(it.evaluate(0, kIn, packet("icmp 8.8.8.8 -> 10.0.0.1 type 8 code 0")).verdict,
              Verdict::Deny);
    EXPECT_EQ(it.evaluate(0, kIn, packet("icmp 8.8.8.8 -> 10.0.0.1 type 0 code 1")).verdict,
              Verdict::Deny);
    EXPECT_EQ(it.evaluate(0, kIn, packet("icmp 8.8.4.4 -> 10.0.0.1 type 0 code 0")).verdict,
              Verdict::Deny);
}

TEST(Interpreter, Icmpv6EchoSessionAdmitsTheReply) {
    PolicyBuilder b;
    uint32_t acl = b.layer("acl", {group("g", 1, {rule("ping6", 1, {cond(Field::Proto, 58)},
                                                       allow(), {.stateful = true})})});
    b.port("p", {acl});
    auto policy = b.build();
    Interpreter it(policy);
    ASSERT_EQ(it.evaluate(0, kOut, packet("icmpv6 fd00::1 -> fd00::2 type 128 code 0")).verdict,
              Verdict::Allow);
    EXPECT_EQ(it.evaluate(0, kIn, packet("icmpv6 fd00::2 -> fd00::1 type 129 code 0")).verdict,
              Verdict::Allow);
    EXPECT_EQ(it.evaluate(0, kIn, packet("icmpv6 fd00::2 -> fd00::1 type 128 code 0")).verdict,
              Verdict::Deny);
}

TEST(Interpreter, EncapThenLaterLayerMatchesTheTunnel) {
    PolicyBuilder b;
    uint32_t vnet = b.layer(
        "vnet", {group("g", 1, {rule("overlay", 1, {cond(Field::DstIp, "10.1.1.0/24")},
                                     encap(allow(), 5001, "192.168.0.1", "192.168.0.12"))})},
        {group("g", 1, {rule("from_overlay", 1, {cond(Field::Vni, 5001)}, decap(allow()))})});
    uint32_t underlay = b.layer(
        "underlay",
        {group("g", 1, {rule("tunnel", 1,
                             {cond(Field::Vni, 5001), cond(Field::OuterDstIp, "192.168.0.0/24")},
                             allow())})},
        {group("g", 1, {rule("tunnel", 1, {cond(Field::OuterSrcIp, "192.168.0.0/24")}, allow())})});
    b.port("p", {vnet, underlay});
    auto policy = b.build();
    Interpreter it(policy);

    Result out = it.evaluate(0, kOut, packet("tcp 10.1.0.5:1 -> 10.1.1.7:2"));
    ASSERT_EQ(out.verdict, Verdict::Allow) << out.dropReason;
    EXPECT_TRUE(out.headers.tunnelled());
    EXPECT_EQ(out.headers.vni, 5001u);
    EXPECT_EQ(out.headers.outerSrc, ip("192.168.0.1"));
    EXPECT_EQ(out.headers.outerDst, ip("192.168.0.12"));
    EXPECT_EQ(lang::formatPacketText(out.headers),
              "tcp 10.1.0.5:1 -> 10.1.1.7:2 vni 5001 outer 192.168.0.1 -> 192.168.0.12");
    // Not for the overlay: no encap, so underlay (which wants the tunnel) denies.
    EXPECT_EQ(it.evaluate(0, kOut, packet("tcp 10.1.0.5:1 -> 10.1.2.7:2")).verdict, Verdict::Deny);

    Result in = it.evaluate(
        0, kIn,
        packet("tcp 10.1.1.7:2 -> 10.1.0.5:1 vni 5001 outer 192.168.0.12 -> 192.168.0.1"));
    ASSERT_EQ(in.verdict, Verdict::Allow) << in.dropReason;
    EXPECT_EQ(trace(*policy, kIn, in), (V{"underlay/g/tunnel", "vnet/g/from_overlay"}));
    EXPECT_FALSE(in.headers.tunnelled());
    EXPECT_EQ(in.headers.vni, 0u);
    EXPECT_EQ(in.headers.outerSrc.family, Family::None);
    EXPECT_EQ(lang::formatPacketText(in.headers), "tcp 10.1.1.7:2 -> 10.1.0.5:1");
}

TEST(Interpreter, StatefulEncapRepliesAreDecapsulated) {
    PolicyBuilder b;
    uint32_t vnet = b.layer(
        "vnet", {group("g", 1, {rule("overlay", 1, {},
                                     encap(allow(), 7, "192.168.0.1", "192.168.0.2"),
                                     {.stateful = true})})});
    b.port("p", {vnet});
    auto policy = b.build();
    Interpreter it(policy);
    ASSERT_EQ(it.evaluate(0, kOut, packet("udp 10.0.0.1:1 -> 10.0.0.2:2")).verdict, Verdict::Allow);
    Result in = it.evaluate(0, kIn, packet("udp 10.0.0.2:2 -> 10.0.0.1:1 vni 7 outer 192.168.0.2 -> 192.168.0.1"));
    ASSERT_EQ(in.verdict, Verdict::Allow);
    EXPECT_TRUE(in.layers.at(0).viaSession);
    EXPECT_EQ(lang::formatPacketText(in.headers), "udp 10.0.0.2:2 -> 10.0.0.1:1");
}

struct RouteFixture {
    std::shared_ptr<const Policy> policy;
    uint32_t fw = 0;
};

RouteFixture routePolicy() {
    PolicyBuilder b;
    uint32_t fw = b.ecmp("firewalls", {"192.168.0.21", "192.168.0.22"});
    uint32_t vnet = b.routes(
        "vnet", {routeTo("10.1.0.0/24", NextHopKind::Port, 1),
                 routeTo("10.1.1.0/24", NextHopKind::Host, 0, "192.168.0.12"),
                 routeTo("10.1.1.128/25", NextHopKind::Host, 0, "192.168.0.13"),
                 routeTo("10.9.0.0/16", NextHopKind::Ecmp, fw),
                 routeTo("10.66.0.0/16", NextHopKind::Drop),
                 routeTo("0.0.0.0/0", NextHopKind::Gateway, 0, "192.168.0.1"),
                 routeTo("fd00:1::/64", NextHopKind::Port, 1)});
    uint32_t partial = b.routes("partial", {routeTo("10.1.0.0/16", NextHopKind::Port, 1)});
    uint32_t acl = b.layer(
        "acl", {group("g", 1,
                      {rule("to_partial", 1, {cond(Field::DstPort, 1)}, route(allow(), partial)),
                       rule("rest", 2, {}, route(allow(), vnet))})});
    // A later layer with no route action does not reset the table; a later route does override.
    uint32_t nat = b.layer(
        "nat", {group("g", 1,
                      {rule("nat_partial", 1, {cond(Field::DstPort, 2)},
                            route(setIp(allow(), Field::DstIp, "10.1.1.200"), partial)),
                       rule("to_vip", 2, {cond(Field::DstIp, "100.64.0.1")},
                            setIp(allow(), Field::DstIp, "10.1.0.9")),
                       rule("keep", 3, {}, allow())})},
        {}, Verdict::Deny, Verdict::Allow);
    b.port("web1", {acl, nat});
    b.port("web2", {acl});
    b.port("plain", {nat});
    return {b.build(), fw};
}

TEST(Interpreter, RouteLookupOfTheFinalDestination) {
    RouteFixture f = routePolicy();
    const Policy& p = *f.policy;
    Interpreter it(f.policy);
    auto out = [&](const char* text) { return it.evaluate(0, kOut, packet(text)); };

    Result r = out("tcp 10.1.0.5:9 -> 10.1.0.7:80");
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(r.output.kind, OutputKind::Port);
    EXPECT_EQ(r.output.str(p), "port:web2");

    r = out("tcp 10.1.0.5:9 -> 10.1.1.7:80");
    EXPECT_EQ(r.output.kind, OutputKind::Host);
    EXPECT_EQ(r.output.str(p), "host:192.168.0.12");
    r = out("tcp 10.1.0.5:9 -> 10.1.1.130:80");  // the /25 is longer than the /24
    EXPECT_EQ(r.output.str(p), "host:192.168.0.13");

    r = out("tcp 10.1.0.5:9 -> 10.9.3.3:80");
    EXPECT_EQ(r.output.kind, OutputKind::Ecmp);
    EXPECT_EQ(r.output.index, f.fw);
    EXPECT_EQ(r.output.str(p), "ecmp:firewalls");

    r = out("tcp 10.1.0.5:9 -> 10.66.1.1:80");
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.output.kind, OutputKind::Drop);
    EXPECT_FALSE(r.dropReason.empty());
    EXPECT_NE(r.dropReason, "no route");

    r = out("tcp 10.1.0.5:9 -> 93.184.216.34:80");
    EXPECT_EQ(r.output.kind, OutputKind::Gateway);
    EXPECT_EQ(r.output.str(p), "gateway:192.168.0.1");

    // The route table of a layer whose action is followed by a rewrite in a later layer: the
    // lookup uses the rewritten destination.
    r = out("tcp 10.1.0.5:9 -> 100.64.0.1:80");
    EXPECT_EQ(r.output.str(p), "port:web2");
    EXPECT_EQ(r.headers.dstIp, ip("10.1.0.9"));

    // Table "partial" has no default: no match is a drop with "no route".
    r = out("tcp 10.1.0.5:9 -> 10.2.0.1:1");
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.output.kind, OutputKind::Drop);
    EXPECT_EQ(r.dropReason, "no route");
    EXPECT_EQ(r.layers.size(), 2u);  // both layers allowed; the drop is the lookup's
    r = out("tcp 10.1.0.5:9 -> 10.1.7.1:1");
    EXPECT_EQ(r.output.str(p), "port:web2");

    // The last layer naming a table decides: acl says vnet, nat says partial; the destination
    // rewritten by nat (10.1.1.200) is in partial's 10.1.0.0/16 (vnet would say host .13).
    r = out("tcp 10.1.0.5:9 -> 10.1.5.5:2");
    EXPECT_EQ(r.output.str(p), "port:web2");
    EXPECT_EQ(r.headers.dstIp, ip("10.1.1.200"));
}

TEST(Interpreter, NoRouteActionMeansUplinkOrVm) {
    RouteFixture f = routePolicy();
    Interpreter it(f.policy);
    Result r = it.evaluate(2, kOut, packet("tcp 10.1.0.5:9 -> 10.66.1.1:80"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(r.output.kind, OutputKind::Uplink);
    EXPECT_EQ(r.output.str(*f.policy), "uplink");
    r = it.evaluate(2, kIn, packet("tcp 10.66.1.1:80 -> 10.1.0.5:9"));
    EXPECT_EQ(r.output.kind, OutputKind::Vm);
    EXPECT_EQ(r.output.str(*f.policy), "vm:plain");
}

TEST(Interpreter, RouteLookupHonoursTheFamily) {
    RouteFixture f = routePolicy();
    Interpreter it(f.policy);
    // vnet's 0.0.0.0/0 must not catch an IPv6 destination; fd00:1::/64 does.
    Result r = it.evaluate(1, kOut, packet("tcp [fd00:1::5]:9 -> [fd00:1::7]:80"));
    EXPECT_EQ(r.output.str(*f.policy), "port:web2");
    r = it.evaluate(1, kOut, packet("tcp [fd00:2::5]:9 -> [fd00:2::7]:80"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.dropReason, "no route");
    // An IPv6 address whose low 32 bits fall in 10.1.0.0/24 is not routed by the IPv4 entry.
    r = it.evaluate(1, kOut, packet("tcp [fd00:2::5]:9 -> [::a01:5]:80"));
    EXPECT_EQ(r.dropReason, "no route");
}

TEST(Interpreter, Ipv4ConditionsNeverMatchIpv6Packets) {
    PolicyBuilder b;
    uint32_t acl = b.layer(
        "acl", {group("g", 1,
                      {rule("v4_any", 1, {cond(Field::SrcIp, "0.0.0.0/0")}, allow()),
                       rule("v6_net", 2, {cond(Field::DstIp, "fd00::/16")}, allow()),
                       rule("v6_any", 3, {cond(Field::SrcIp, "::/0"), cond(Field::Proto, 17)},
                            allow())})});
    b.port("p", {acl});
    auto policy = b.build();
    Interpreter it(policy);
    Result r = it.evaluate(0, kOut, packet("tcp 10.0.0.1:1 -> 10.0.0.2:2"));
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/g/v4_any"}));
    // ::5 has value 5, inside the interval of 0.0.0.0/0, but the family differs.
    r = it.evaluate(0, kOut, packet("tcp [::5]:1 -> [fd00::2]:2"));
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/g/v6_net"}));
    r = it.evaluate(0, kOut, packet("tcp [::5]:1 -> [fe80::2]:2"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    r = it.evaluate(0, kOut, packet("udp [::5]:1 -> [fe80::2]:2"));
    EXPECT_EQ(trace(*policy, kOut, r), (V{"acl/g/v6_any"}));
    // An IPv4 packet whose dst value is small does not match fd00::/16 or ::/0 either.
    PolicyBuilder b6;
    uint32_t only6 = b6.layer("acl", {group("g", 1, {rule("v6_any", 1, {cond(Field::SrcIp, "::/0")},
                                                         allow())})});
    b6.port("p", {only6});
    Interpreter it6(b6.build());
    EXPECT_EQ(it6.evaluate(0, kOut, packet("udp 0.0.0.5:1 -> 10.0.0.2:2")).verdict, Verdict::Deny);
    EXPECT_EQ(it6.evaluate(0, kOut, packet("udp [::5]:1 -> [::6]:2")).verdict, Verdict::Allow);
}

TEST(Interpreter, MeterIsRecordedInTheTrace) {
    PolicyBuilder b;
    uint32_t m = b.meter("tenant_cap", 2'000'000'000);
    uint32_t l = b.layer("qos", {group("g", 1, {rule("cap", 1, {}, meter(allow(), m))})});
    b.port("p", {l});
    auto policy = b.build();
    Interpreter it(policy);
    Result r = it.evaluate(0, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2"));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    ASSERT_TRUE(r.layers.at(0).meter.has_value());
    EXPECT_EQ(*r.layers.at(0).meter, m);
    auto j = nlohmann::json::parse(interp::resultToJson(*policy, 0, kOut, r));
    EXPECT_EQ(j["layers"][0]["meter"], "tenant_cap");
    EXPECT_NE(interp::resultToText(*policy, 0, kOut, r).find("meter tenant_cap"), std::string::npos);
}

TEST(Interpreter, DenyStopsTheWalk) {
    PolicyBuilder b;
    uint32_t a = b.layer("a", {group("g", 1, {rule("no", 1, {}, deny())})});
    uint32_t c = b.layer("c", {allowAll("g")});
    b.port("p", {a, c});
    auto policy = b.build();
    Interpreter it(policy);
    Result r = it.evaluate(0, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(trace(*policy, kOut, r), (V{"a/g/no"}));
    EXPECT_EQ(r.dropReason, "layer a");
    EXPECT_EQ(r.output.kind, OutputKind::Drop);
}

TEST(Interpreter, BadPortIndexIsADropNotACrash) {
    PolicyBuilder b;
    b.port("p", {});
    Interpreter it(b.build());
    Result r = it.evaluate(7, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2"));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_FALSE(r.dropReason.empty());
    Interpreter none(nullptr);
    EXPECT_EQ(none.evaluate(0, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2")).verdict, Verdict::Deny);
    // A port with no layers allows everything.
    EXPECT_EQ(it.evaluate(0, kOut, packet("udp 1.1.1.1:1 -> 2.2.2.2:2")).verdict, Verdict::Allow);
}

TEST(ResultJson, FollowsTheEvalContract) {
    auto policy = snatPolicy();
    Interpreter it(policy);
    Result out = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1234 -> 8.8.8.8:443"));
    auto j = nlohmann::json::parse(interp::resultToJson(*policy, 0, kOut, out));
    EXPECT_EQ(j["port"], "vm");
    EXPECT_EQ(j["dir"], "out");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(j["output"], "uplink");
    EXPECT_EQ(j["headers"], "tcp 203.0.113.7:40000 -> 8.8.8.8:443");
    EXPECT_TRUE(j["drop_reason"].is_null());
    ASSERT_EQ(j["layers"].size(), 2u);
    EXPECT_EQ(j["layers"][0]["layer"], "snat");
    EXPECT_EQ(j["layers"][0]["group"], "g");
    EXPECT_EQ(j["layers"][0]["rule"], "masq");
    EXPECT_EQ(j["layers"][0]["session"], false);
    EXPECT_EQ(j["layers"][0]["verdict"], "allow");
    EXPECT_EQ(j["layers"][1]["rule"], "out");
    EXPECT_EQ(j["fields"]["src_ip"], "203.0.113.7");
    EXPECT_EQ(j["fields"]["src_port"], 40000);
    EXPECT_TRUE(j["fields"]["outer_dst_ip"].is_null());

    Result reply = it.evaluate(0, kIn, packet("tcp 8.8.8.8:443 -> 203.0.113.7:40000"));
    auto jr = nlohmann::json::parse(interp::resultToJson(*policy, 0, kIn, reply));
    EXPECT_EQ(jr["output"], "vm:vm");
    EXPECT_EQ(jr["layers"][0]["session"], true);
    EXPECT_TRUE(jr["layers"][0]["rule"].is_null());
    EXPECT_TRUE(jr["layers"][0]["group"].is_null());

    Result dropped = it.evaluate(0, kIn, packet("tcp 1.2.3.4:1 -> 203.0.113.7:40000"));
    auto jd = nlohmann::json::parse(interp::resultToJson(*policy, 0, kIn, dropped));
    EXPECT_EQ(jd["verdict"], "deny");
    EXPECT_TRUE(jd["output"].is_null());
    EXPECT_EQ(jd["drop_reason"], "layer acl");
    ASSERT_EQ(jd["layers"].size(), 1u);
    EXPECT_EQ(jd["layers"][0]["layer"], "acl");
    EXPECT_TRUE(jd["layers"][0]["rule"].is_null());
    EXPECT_EQ(jd["layers"][0]["verdict"], "deny");
    // One object on one line (the eval --json contract: one result a line).
    EXPECT_EQ(interp::resultToJson(*policy, 0, kIn, dropped).find('\n'), std::string::npos);
}

TEST(ResultText, NamesVerdictLayersAndOutput) {
    auto policy = snatPolicy();
    Interpreter it(policy);
    Result out = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1234 -> 8.8.8.8:443"));
    std::string t = interp::resultToText(*policy, 0, kOut, out);
    EXPECT_NE(t.find("allow"), std::string::npos) << t;
    EXPECT_NE(t.find("uplink"), std::string::npos) << t;
    EXPECT_NE(t.find("rule masq"), std::string::npos) << t;
    EXPECT_NE(t.find("203.0.113.7:40000"), std::string::npos) << t;
    Result d = it.evaluate(0, kOut, packet("tcp 10.0.0.5:1234 -> 9.9.9.9:443"));
    std::string td = interp::resultToText(*policy, 0, kOut, d);
    EXPECT_NE(td.find("layer acl"), std::string::npos) << td;
    EXPECT_NE(td.find("deny"), std::string::npos) << td;
}

}  // namespace
}  // namespace sluice::testing
