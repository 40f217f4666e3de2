// The Policy model the front end builds: intervals, sorting, indices, constants inlined.
#include "sluice/lang/dump.h"
#include "test_util.h"

namespace sluice::lang::test {
namespace {

const char* kPolicy = R"(
const WEB = 80, 443, 8000..8080;
const NETS = 10.1.0.0/16, fd00::/16;
port web1 { mac 02:00:00:00:01:05; ip 10.1.0.5, fd00::5; vni 0x10; layers nat, acl; credit gold; }
port web2 { mac 02:00:00:00:01:06; ip 10.1.0.6; vni 7; layers acl; }
layer acl {
    default in deny;
    default out allow;
    out {
        group late priority 30 { rule z priority 9 action allow; rule a priority 1 action deny; }
        group early priority 10 match src_ip NETS {
            rule web priority 5 match proto tcp dst_port WEB action allow, meter cap stateful idle 2m;
        }
    }
    in {
        group bylen priority 1 lpm dst_ip {
            rule near priority 2 match dst_ip 10.1.0.0/24 action route rt terminating;
            rule one priority 1 match dst_ip 10.1.0.5 action allow;
        }
    }
    out { group merged priority 20 { rule m priority 1 match src_mac 02:00:00:00:00:00..02:00:00:00:00:ff action set dst_mac 02:00:00:00:00:09, set dscp 10; } }
}
layer nat { out { group g priority 1 { rule s priority 1 match src_ip 10.1.0.5 action set src_ip 203.0.113.1, set src_port 1000, encap vxlan vni 99 src 192.168.0.1 dst 192.168.0.2; } } }
routes rt { 10.1.0.0/24 -> port web2; 0.0.0.0/0 -> ecmp fw; 10.2.0.0/16 -> host 192.168.1.1; }
ecmp fw { member a 192.168.0.21 weight 3; member b 192.168.0.22; }
meter cap { rate 1.5Gbps; burst 64KB; }
credit gold { bandwidth base 1Gbps max 2Gbps host 10Gbps cap 1m consume 50%; }
assert iso isolated web1 -> 10.2.0.0/16, 10.3.0.1..10.3.0.9 match proto udp;
)";

class ModelTest : public ::testing::Test {
protected:
    void SetUp() override {
        loaded_ = loadSnippet(kPolicy);
        ASSERT_NE(loaded_.policy, nullptr) << loaded_.text;
        p_ = loaded_.policy.get();
    }
    Loaded loaded_;
    const Policy* p_ = nullptr;
};

TEST_F(ModelTest, DeclarationsAndIndices) {
    ASSERT_EQ(p_->ports.size(), 2u);
    ASSERT_EQ(p_->layers.size(), 2u);
    EXPECT_EQ(p_->findLayer("acl"), 0);
    EXPECT_EQ(p_->findLayer("nat"), 1);
    EXPECT_EQ(p_->findPort("web2"), 1);
    EXPECT_EQ(p_->findRouteTable("rt"), 0);
    EXPECT_EQ(p_->findEcmpGroup("fw"), 0);
    EXPECT_EQ(p_->findLayer("missing"), -1);
    const Port& w = p_->ports[0];
    EXPECT_EQ(w.mac, 0x020000000105u);
    EXPECT_EQ(w.vni, 16u);
    ASSERT_EQ(w.ips.size(), 2u);
    EXPECT_EQ(w.ips[0], IpAddr::v4(0x0a010005));
    EXPECT_EQ(w.ips[1].family, Family::V6);
    EXPECT_EQ(w.layers, (std::vector<uint32_t>{1, 0}));
    ASSERT_TRUE(w.credit.has_value());
    EXPECT_EQ(*w.credit, 0u);
    EXPECT_FALSE(p_->ports[1].credit.has_value());
}

TEST_F(ModelTest, GroupsAndRulesSortedByPriorityAndMerged) {
    const Layer& acl = p_->layers[0];
    const auto& out = acl.groupsFor(Direction::Out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].name, "early");
    EXPECT_EQ(out[1].name, "merged");
    EXPECT_EQ(out[2].name, "late");
    ASSERT_EQ(out[2].rules.size(), 2u);
    EXPECT_EQ(out[2].rules[0].name, "a");
    EXPECT_EQ(out[2].rules[0].action.verdict, Verdict::Deny);
    EXPECT_EQ(out[2].rules[1].name, "z");
    const auto& in = acl.groupsFor(Direction::In);
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].mode, GroupMode::Lpm);
    EXPECT_EQ(in[0].lpmField, Field::DstIp);
    EXPECT_EQ(in[0].rules[0].name, "one");
    EXPECT_EQ(acl.defaultFor(Direction::In).verdict, Verdict::Deny);
    EXPECT_EQ(acl.defaultFor(Direction::Out).verdict, Verdict::Allow);
    // Absent default: deny both ways.
    EXPECT_EQ(p_->layers[1].defaultFor(Direction::Out).verdict, Verdict::Deny);
}

TEST_F(ModelTest, ValuesAreIntervals) {
    const Group& early = p_->layers[0].groupsFor(Direction::Out)[0];
    ASSERT_EQ(early.conditions.size(), 1u);
    const Condition& nets = early.conditions[0];
    EXPECT_EQ(nets.field, Field::SrcIp);
    ASSERT_EQ(nets.values.size(), 2u);  // constant inlined
    EXPECT_EQ(nets.values[0].family, Family::V4);
    EXPECT_EQ(nets.values[0].lo, static_cast<u128>(0x0a010000));
    EXPECT_EQ(nets.values[0].hi, static_cast<u128>(0x0a01ffff));
    EXPECT_EQ(nets.values[0].prefixLen, 16);
    EXPECT_EQ(nets.values[1].family, Family::V6);
    EXPECT_EQ(nets.values[1].lo, static_cast<u128>(0xfd00) << 112);
    EXPECT_EQ(nets.values[1].hi, (static_cast<u128>(0xfd00) << 112) | ((static_cast<u128>(1) << 112) - 1));

    const Rule& web = early.rules[0];
    ASSERT_EQ(web.conditions.size(), 2u);
    EXPECT_EQ(web.conditions[0].field, Field::Proto);
    EXPECT_EQ(web.conditions[0].values[0].lo, static_cast<u128>(6));
    const Condition& ports = web.conditions[1];
    ASSERT_EQ(ports.values.size(), 3u);
    EXPECT_EQ(ports.values[2].lo, static_cast<u128>(8000));
    EXPECT_EQ(ports.values[2].hi, static_cast<u128>(8080));
    EXPECT_EQ(ports.values[2].prefixLen, -1);
    EXPECT_EQ(ports.values[0].family, Family::None);
    EXPECT_TRUE(web.stateful);
    EXPECT_EQ(web.idleTimeoutMs, 120000u);
    ASSERT_TRUE(web.action.meter.has_value());

    const Rule& one = p_->layers[0].groupsFor(Direction::In)[0].rules[0];
    EXPECT_EQ(one.conditions[0].values[0].prefixLen, 32);  // an address is a full-length prefix
    const Rule& near = p_->layers[0].groupsFor(Direction::In)[0].rules[1];
    EXPECT_TRUE(near.terminating);
    ASSERT_TRUE(near.action.routeTable.has_value());
    EXPECT_EQ(*near.action.routeTable, 0u);

    const Rule& m = p_->layers[0].groupsFor(Direction::Out)[1].rules[0];
    EXPECT_EQ(m.conditions[0].values[0].lo, static_cast<u128>(0x020000000000));
    EXPECT_EQ(m.conditions[0].values[0].hi, static_cast<u128>(0x0200000000ff));
    ASSERT_EQ(m.action.rewrites.size(), 2u);
    EXPECT_EQ(m.action.rewrites[1].field, Field::Dscp);
    EXPECT_EQ(m.action.rewrites[1].value, static_cast<u128>(10));
}

TEST_F(ModelTest, TranspositionsRoutesAndSettings) {
    const Rule& s = p_->layers[1].groupsFor(Direction::Out)[0].rules[0];
    ASSERT_EQ(s.action.rewrites.size(), 2u);
    EXPECT_EQ(s.action.rewrites[0].field, Field::SrcIp);
    EXPECT_EQ(s.action.rewrites[0].family, Family::V4);
    EXPECT_EQ(s.action.rewrites[0].value, static_cast<u128>(0xcb007101));
    ASSERT_TRUE(s.action.encap.has_value());
    EXPECT_EQ(s.action.encap->vni, 99u);
    EXPECT_EQ(s.action.encap->outerDst, IpAddr::v4(0xc0a80002));
    EXPECT_TRUE(s.action.isTransposition());

    const RouteTable& rt = p_->routeTables[0];
    ASSERT_EQ(rt.routes.size(), 3u);
    EXPECT_EQ(rt.routes[0].kind, NextHopKind::Port);
    EXPECT_EQ(rt.routes[0].port, 1u);
    EXPECT_EQ(rt.routes[0].prefixLen, 24);
    EXPECT_EQ(rt.routes[1].kind, NextHopKind::Ecmp);
    EXPECT_EQ(rt.routes[1].prefixLen, 0);
    EXPECT_EQ(rt.routes[2].kind, NextHopKind::Host);
    EXPECT_EQ(rt.routes[2].address, IpAddr::v4(0xc0a80101));

    const EcmpGroup& fw = p_->ecmpGroups[0];
    ASSERT_EQ(fw.members.size(), 2u);
    EXPECT_EQ(fw.members[0].weight, 3u);
    EXPECT_EQ(fw.members[1].weight, 1u);
    EXPECT_EQ(fw.hashFields.size(), 5u);  // the default 5-tuple
    EXPECT_FALSE(fw.probe.has_value());

    EXPECT_EQ(p_->meters[0].rateBps, 1500000000u);
    EXPECT_EQ(p_->meters[0].burstBytes, 64000u);
    ASSERT_TRUE(p_->credits[0].bandwidth.has_value());
    EXPECT_DOUBLE_EQ(p_->credits[0].bandwidth->base, 1e9);
    EXPECT_EQ(p_->credits[0].bandwidth->capMs, 60000u);
    EXPECT_DOUBLE_EQ(p_->credits[0].bandwidth->consume, 0.5);
    EXPECT_FALSE(p_->credits[0].cpu.has_value());
}

TEST_F(ModelTest, AssertionsExpandPorts) {
    ASSERT_EQ(p_->assertions.size(), 1u);
    const Assertion& a = p_->assertions[0];
    EXPECT_EQ(a.kind, AssertKind::Isolated);
    ASSERT_EQ(a.from.size(), 2u);  // web1's two addresses
    EXPECT_EQ(a.from[0].prefixLen, 32);
    EXPECT_EQ(a.from[1].prefixLen, 128);
    ASSERT_EQ(a.to.size(), 2u);
    EXPECT_EQ(a.to[1].lo, static_cast<u128>(0x0a030001));
    EXPECT_EQ(a.to[1].hi, static_cast<u128>(0x0a030009));
    ASSERT_EQ(a.conditions.size(), 1u);
}

TEST_F(ModelTest, RangesPointAtTheSource) {
    const Port& w = p_->ports[0];
    EXPECT_EQ(w.range.begin.line, 4u);
    EXPECT_EQ(w.range.begin.col, 1u);
    const Rule& web = p_->layers[0].groupsFor(Direction::Out)[0].rules[0];
    EXPECT_EQ(web.range.begin.line, 12u);
    EXPECT_EQ(loaded_.policy->sources->line(web.range.begin.file, 12).substr(12, 8), "rule web");
}

TEST_F(ModelTest, DumpIsStableAndComplete) {
    std::string dump = dumpPolicy(*p_);
    EXPECT_NE(dump.find("rule web priority 5 proto=6 dst_port=80,443,8000..8080 -> allow meter=cap "
                        "stateful idleMs=120000"),
              std::string::npos)
        << dump;
    auto again = loadSnippet(kPolicy);
    ASSERT_NE(again.policy, nullptr);
    EXPECT_EQ(dump, dumpPolicy(*again.policy));
    auto changed = loadSnippet(std::string(kPolicy).replace(std::string(kPolicy).find("idle 2m"), 7, "idle 3m"));
    ASSERT_NE(changed.policy, nullptr);
    EXPECT_NE(dump, dumpPolicy(*changed.policy));
}

}  // namespace
}  // namespace sluice::lang::test
