// The network-level path (interp/network.h): every forwarding case, sessions across hops, NAT
// before forwarding, routes, uplink ingress and tunnelled packets.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/interp/network.h"
#include "sluice/lang/frontend.h"

namespace sluice {
namespace {

using interp::OutputKind;
using interp::PathResult;
using lang::Direction;
using lang::Verdict;

// Ports a, b (VNI 1), c (VNI 2, same address as b); layer sg: all egress stateful, inbound
// only ping and TCP 8080; layer nat: VIP 10.0.0.100:80 -> b:8080; route table for a's
// route tests.
const char* kPolicy = R"(
port a { mac 02:00:00:00:00:0a; ip 10.0.0.10; vni 1; layers sg, nat; }
port b { mac 02:00:00:00:00:0b; ip 10.0.0.11; vni 1; layers sg, nat; }
port c { mac 02:00:00:00:00:0c; ip 10.0.0.11; vni 2; layers sg, nat; }
port r { mac 02:00:00:00:00:0d; ip 10.0.0.12; vni 1; layers rt; }
layer sg {
    default deny;
    out { group g priority 1 { rule all priority 1 action allow stateful; } }
    in {
        group g priority 1 {
            rule ping priority 1 match proto icmp action allow;
            rule web priority 2 match proto tcp dst_port 8080 action allow;
        }
    }
}
layer nat {
    default allow;
    out {
        group vip priority 1 {
            rule web_vip priority 1 match proto tcp dst_ip 10.0.0.100 dst_port 80
                action set dst_ip 10.0.0.11, set dst_port 8080;
        }
    }
}
layer rt {
    default allow;
    out {
        group g priority 1 {
            rule to_b priority 1 match dst_ip 192.0.2.1 action route tbl;
            rule to_host priority 2 match dst_ip 198.51.100.0/24 action route tbl;
            rule dropped priority 3 match dst_ip 203.0.113.0/24 action route tbl;
            rule wrap priority 4 match dst_ip 10.0.0.10 proto udp dst_port 4789
                action encap vxlan vni 2 src 192.168.0.1 dst 192.168.0.2;
        }
    }
    in {
        group g priority 1 {
            rule back priority 1 match src_ip 198.51.100.7 action route tbl3;
            rule fwd priority 2 match src_ip 198.51.100.8 action route tbl2;
        }
    }
}
routes tbl {
    192.0.2.1/32 -> port b;
    198.51.100.0/24 -> host 192.168.0.9;
    203.0.113.0/24 -> drop;
}
routes tbl2 { 0.0.0.0/0 -> port a; }
routes tbl3 { 10.0.0.0/24 -> host 192.168.0.9; }
)";

class Net : public ::testing::Test {
protected:
    void SetUp() override {
        policy_ = frontend_.loadString("net.sl", kPolicy);
        if (!policy_) {
            std::ostringstream d;
            frontend_.diags().printText(d);
            FAIL() << "policy does not load:\n" << d.str();
        }
        interp_ = std::make_unique<interp::Interpreter>(policy_);
    }
    lang::Headers pkt(const std::string& text) {
        auto p = lang::parsePacketText(text);
        EXPECT_TRUE(p.ok()) << text;
        return p.ok() ? p->headers : lang::Headers{};
    }
    uint32_t port(const std::string& name) {
        int p = policy_->findPort(name);
        EXPECT_GE(p, 0) << name;
        return static_cast<uint32_t>(p);
    }
    PathResult out(const std::string& from, const std::string& text) {
        return interp::evaluatePath(*interp_, port(from), Direction::Out, pkt(text));
    }
    PathResult in(const std::string& to, const std::string& text) {
        return interp::evaluatePath(*interp_, port(to), Direction::In, pkt(text));
    }
    PathResult uplink(const std::string& text) {
        return interp::evaluateFromUplink(*interp_, pkt(text));
    }
    // "port/dir" of every hop.
    std::vector<std::string> hops(const PathResult& r) {
        std::vector<std::string> v;
        for (const auto& h : r.hops) {
            v.push_back(policy_->ports[h.port].name + "/" + lang::directionName(h.dir));
        }
        return v;
    }
    std::string output(const PathResult& r) { return r.output.str(*policy_); }

    lang::Frontend frontend_;
    std::shared_ptr<const lang::Policy> policy_;
    std::unique_ptr<interp::Interpreter> interp_;
};

using V = std::vector<std::string>;

TEST_F(Net, DefaultForwardingReachesThePortWithThatVniAndAddress) {
    PathResult r = out("a", "tcp 10.0.0.10:1234 -> 10.0.0.11:9090 flags S");
    EXPECT_EQ(hops(r), (V{"a/out", "b/in"}));  // b, not c: c has VNI 2
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.output.kind, OutputKind::Drop);
    EXPECT_EQ(r.dropReason, "port b in: layer sg");
    // The first hop alone allows it (what single-hop eval shows).
    EXPECT_EQ(r.hops[0].result.verdict, Verdict::Allow);
    EXPECT_EQ(r.hops[0].result.output.kind, OutputKind::Uplink);

    r = out("a", "tcp 10.0.0.10:1234 -> 10.0.0.11:8080 flags S");
    EXPECT_EQ(hops(r), (V{"a/out", "b/in"}));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(output(r), "vm:b");
}

TEST_F(Net, NoPortForTheAddressLeavesByTheUplink) {
    PathResult r = out("a", "udp 10.0.0.10:1 -> 8.8.8.8:53");
    EXPECT_EQ(hops(r), (V{"a/out"}));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(output(r), "uplink");
    // Same address as b in another VNI: not b.
    r = out("c", "udp 10.0.0.11:1 -> 10.0.0.10:53");
    EXPECT_EQ(hops(r), (V{"c/out"}));
    EXPECT_EQ(output(r), "uplink");
}

TEST_F(Net, HairpinToItsOwnAddress) {
    PathResult r = out("a", "icmp 10.0.0.10 -> 10.0.0.10 type 8 code 0");
    EXPECT_EQ(hops(r), (V{"a/out", "a/in"}));
    EXPECT_EQ(output(r), "vm:a");
}

TEST_F(Net, NatBeforeForwarding) {
    // The VIP is rewritten to b:8080 by a's outbound nat layer; forwarding uses the new address.
    PathResult r = out("a", "tcp 10.0.0.10:1000 -> 10.0.0.100:80 flags S");
    EXPECT_EQ(hops(r), (V{"a/out", "b/in"}));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(output(r), "vm:b");
    EXPECT_EQ(lang::formatPacketText(r.headers), "tcp 10.0.0.10:1000 -> 10.0.0.11:8080 flags S");
    // Each layer pairs on its own: nat's rule is not stateful, so b's reply is not rewritten
    // back to the VIP and does not match the pair sg recorded (for the VIP): a's sg denies it.
    r = out("b", "tcp 10.0.0.11:8080 -> 10.0.0.10:1000 flags SA");
    EXPECT_EQ(hops(r), (V{"b/out", "a/in"}));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.dropReason, "port a in: layer sg");
}

TEST(NetNat, StatefulNatRestoresTheVipOnTheReply) {
    lang::Frontend fe;
    auto policy = fe.loadString("nat.sl", R"(
port a { mac 02:00:00:00:00:0a; ip 10.0.0.10; vni 1; layers sg, nat; }
port b { mac 02:00:00:00:00:0b; ip 10.0.0.11; vni 1; layers sg, nat; }
layer sg {
    default deny;
    out { group g priority 1 { rule all priority 1 action allow stateful; } }
    in { group g priority 1 { rule web priority 1 match proto tcp dst_port 8080 action allow; } }
}
layer nat {
    default allow;
    out {
        group vip priority 1 {
            rule web_vip priority 1 match proto tcp dst_ip 10.0.0.100 dst_port 80
                action set dst_ip 10.0.0.11, set dst_port 8080 stateful;
        }
    }
}
)");
    ASSERT_TRUE(policy != nullptr);
    interp::Interpreter it(policy);
    auto pkt = [](const char* t) { return lang::parsePacketText(t)->headers; };
    PathResult r = interp::evaluatePath(it, 0, Direction::Out,
                                        pkt("tcp 10.0.0.10:1000 -> 10.0.0.100:80 flags S"));
    ASSERT_EQ(r.verdict, Verdict::Allow);
    r = interp::evaluatePath(it, 1, Direction::Out, pkt("tcp 10.0.0.11:8080 -> 10.0.0.10:1000 flags SA"));
    ASSERT_EQ(r.hops.size(), 2u);
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_EQ(r.output.str(*policy), "vm:a");
    EXPECT_EQ(lang::formatPacketText(r.headers), "tcp 10.0.0.100:80 -> 10.0.0.10:1000 flags SA");
    // a in: nat (session, restores the VIP), then sg (session for the VIP flow).
    EXPECT_TRUE(r.hops[1].result.layers[0].viaSession);
    EXPECT_TRUE(r.hops[1].result.layers[1].viaSession);
}

TEST_F(Net, StatefulRepliesAcrossHops) {
    // a -> b 8080 is admitted; b's SYN-ACK comes back through b out (its rules) and a in (a's
    // sg session from the forward packet; a's inbound rules alone would deny TCP from 8080).
    ASSERT_EQ(out("a", "tcp 10.0.0.10:2000 -> 10.0.0.11:8080 flags S").verdict, Verdict::Allow);
    PathResult r = out("b", "tcp 10.0.0.11:8080 -> 10.0.0.10:2000 flags SA");
    EXPECT_EQ(hops(r), (V{"b/out", "a/in"}));
    EXPECT_EQ(r.verdict, Verdict::Allow);
    EXPECT_TRUE(r.hops[1].result.layers[1].viaSession);
    // Without the forward packet the same reply is denied by a's inbound rules.
    interp_->clearSessions();
    r = out("b", "tcp 10.0.0.11:8080 -> 10.0.0.10:2000 flags SA");
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.dropReason, "port a in: layer sg");
}

TEST_F(Net, NoSessionsFromAPathThatDrops) {
    // a -> b 9090: a's outbound pipeline allows (stateful) but b's inbound drops it, so a's pair
    // is not recorded: b's "reply" is judged by a's inbound rules.
    ASSERT_EQ(out("a", "tcp 10.0.0.10:3000 -> 10.0.0.11:9090 flags S").verdict, Verdict::Deny);
    EXPECT_EQ(interp_->sessionCount(), 0u);
    PathResult r = out("b", "tcp 10.0.0.11:9090 -> 10.0.0.10:3000 flags SA");
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.dropReason, "port a in: layer sg");
}

TEST_F(Net, RouteToAPortRunsItsInboundPipeline) {
    PathResult r = out("r", "icmp 10.0.0.12 -> 192.0.2.1 type 8 code 0");
    EXPECT_EQ(hops(r), (V{"r/out", "b/in"}));
    EXPECT_EQ(output(r), "vm:b");
    r = out("r", "udp 10.0.0.12:1 -> 192.0.2.1:53");  // b's sg denies UDP
    EXPECT_EQ(hops(r), (V{"r/out", "b/in"}));
    EXPECT_EQ(r.verdict, Verdict::Deny);
}

TEST_F(Net, RouteToAHostOrDropIsFinal) {
    PathResult r = out("r", "udp 10.0.0.12:1 -> 198.51.100.5:53");
    EXPECT_EQ(hops(r), (V{"r/out"}));
    EXPECT_EQ(output(r), "host:192.168.0.9");
    r = out("r", "udp 10.0.0.12:1 -> 203.0.113.5:53");
    EXPECT_EQ(hops(r), (V{"r/out"}));
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.dropReason, "port r out: route tbl 203.0.113.0/24 drops");
}

TEST_F(Net, InboundOutputsAreFinal) {
    // From the wire to r: a route back out, a route to port a (a's VM gets it, no more
    // pipelines), or r's own VM.
    EXPECT_EQ(output(in("r", "udp 198.51.100.7:1 -> 10.0.0.12:53")), "host:192.168.0.9");
    PathResult r = in("r", "udp 198.51.100.8:1 -> 10.0.0.12:53");
    EXPECT_EQ(hops(r), (V{"r/in"}));
    EXPECT_EQ(output(r), "port:a");
    r = in("r", "udp 198.51.100.9:1 -> 10.0.0.12:53");
    EXPECT_EQ(output(r), "vm:r");
}

TEST_F(Net, UplinkIngressFindsThePort) {
    // Plain: by destination address, any VNI (the first port with it: b, not c).
    PathResult r = uplink("tcp 192.0.2.7:5 -> 10.0.0.11:8080 flags S");
    EXPECT_EQ(hops(r), (V{"b/in"}));
    EXPECT_EQ(output(r), "vm:b");
    // Tunnelled: by VNI and inner destination; the pipeline sees the tunnel.
    r = uplink("tcp 192.0.2.7:5 -> 10.0.0.11:8080 vni 2 outer 192.168.0.2 -> 192.168.0.1 flags S");
    EXPECT_EQ(hops(r), (V{"c/in"}));
    EXPECT_EQ(r.hops[0].result.layers[0].after.vni, 2u);
    EXPECT_EQ(output(r), "vm:c");
    r = uplink("tcp 192.0.2.7:5 -> 10.0.0.11:8080 vni 3 outer 192.168.0.2 -> 192.168.0.1");
    EXPECT_TRUE(r.hops.empty());
    EXPECT_EQ(r.verdict, Verdict::Deny);
    EXPECT_EQ(r.dropReason, "no port for destination");
    EXPECT_EQ(uplink("udp 1.1.1.1:1 -> 9.9.9.9:2").dropReason, "no port for destination");
}

TEST_F(Net, TunnelledPacketsGoByTheirVni) {
    // r encapsulates to VNI 2: the inner destination 10.0.0.10 has no port in VNI 2, so the
    // packet leaves by the uplink with its tunnel, although a (VNI 1) has the address.
    PathResult r = out("r", "udp 10.0.0.12:1 -> 10.0.0.10:4789");
    EXPECT_EQ(hops(r), (V{"r/out"}));
    EXPECT_EQ(output(r), "uplink");
    EXPECT_TRUE(r.headers.tunnelled());
    EXPECT_EQ(r.headers.vni, 2u);
}

TEST_F(Net, JsonKeepsTheFirstHopsLayersAndAddsHops) {
    PathResult r = out("a", "tcp 10.0.0.10:1234 -> 10.0.0.11:9090 flags S");
    auto j = nlohmann::json::parse(interp::pathToJson(*policy_, port("a"), Direction::Out, r));
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_TRUE(j["output"].is_null());
    EXPECT_EQ(j["drop_reason"], "port b in: layer sg");
    ASSERT_EQ(j["layers"].size(), 2u);  // a's out layers: sg, nat
    EXPECT_EQ(j["layers"][0]["layer"], "sg");
    EXPECT_EQ(j["layers"][0]["rule"], "all");
    ASSERT_EQ(j["hops"].size(), 2u);
    EXPECT_EQ(j["hops"][0]["port"], "a");
    EXPECT_EQ(j["hops"][0]["output"], "uplink");
    EXPECT_EQ(j["hops"][1]["port"], "b");
    EXPECT_EQ(j["hops"][1]["dir"], "in");
    EXPECT_EQ(j["hops"][1]["verdict"], "deny");
    std::string text = interp::pathToText(*policy_, port("a"), Direction::Out, r);
    EXPECT_NE(text.find("path from port a out: deny (dropped: port b in: layer sg)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    forwarded by VNI and address to port b\n  hop 2: port b in"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Found by the data-plane differential test: the reply to an SNAT'd flow arrives from the
// uplink at the public address, which no port owns; the vSwitch's session table delivers it to
// the port whose pair it matches, and so does the reference path.
TEST(NetSnat, ReplyToThePublicAddressReachesThePortOfThePair) {
    lang::Frontend fe;
    auto policy = fe.loadString("snat.sl", R"(
port a { mac 02:00:00:00:00:0a; ip 10.0.0.10; vni 1; layers sg, snat; }
layer sg {
    default deny;
    out { group g priority 1 { rule all priority 1 action allow stateful; } }
}
layer snat {
    default allow;
    out { group g priority 1 { rule pub priority 1 action set src_ip 203.0.113.7 stateful; } }
}
)");
    ASSERT_TRUE(policy != nullptr);
    interp::Interpreter it(policy);
    auto pkt = [](const char* t) { return lang::parsePacketText(t)->headers; };
    PathResult out = interp::evaluatePath(it, 0, Direction::Out,
                                          pkt("udp 10.0.0.10:5000 -> 8.8.8.8:53"));
    ASSERT_EQ(out.verdict, Verdict::Allow);
    EXPECT_EQ(out.output.str(*policy), "uplink");
    PathResult reply = interp::evaluateFromUplink(it, pkt("udp 8.8.8.8:53 -> 203.0.113.7:5000"));
    EXPECT_EQ(reply.verdict, Verdict::Allow);
    EXPECT_EQ(reply.output.str(*policy), "vm:a");
    EXPECT_EQ(lang::formatPacketText(reply.headers), "udp 8.8.8.8:53 -> 10.0.0.10:5000");
    // Any other packet to the public address has no port.
    EXPECT_EQ(interp::evaluateFromUplink(it, pkt("udp 8.8.8.8:53 -> 203.0.113.7:5001")).dropReason,
              "no port for destination");
}

}  // namespace
}  // namespace sluice
