// The reference interpreter on policies written as text and loaded by the front end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/interp/interpreter.h"
#include "sluice/lang/frontend.h"

namespace sluice {
namespace {

using interp::Result;
using lang::Direction;
using lang::Verdict;

// Loads a policy and evaluates packet texts through one interpreter (sessions persist).
class TextPolicy {
public:
    explicit TextPolicy(const std::string& text) {
        policy_ = frontend_.loadString("test.sl", text);
        if (!policy_) {
            std::ostringstream d;
            frontend_.diags().printText(d);
            ADD_FAILURE() << "policy does not load:\n" << d.str();
            return;
        }
        interp_ = std::make_unique<interp::Interpreter>(policy_);
    }
    bool ok() const { return policy_ != nullptr; }

    // The JSON result of one packet ("PACKET" with its direction at the end).
    nlohmann::json eval(const std::string& portName, const std::string& packetText) {
        auto p = lang::parsePacketText(packetText);
        EXPECT_TRUE(p.ok()) << packetText << ": " << (p.ok() ? "" : p.error().str());
        EXPECT_TRUE(p.ok() && p->direction.has_value()) << "give a direction: " << packetText;
        if (!p.ok() || !p->direction || !interp_) return nlohmann::json::object();
        int port = policy_->findPort(portName);
        EXPECT_GE(port, 0) << portName;
        if (port < 0) return nlohmann::json::object();
        Result r = interp_->evaluate(static_cast<uint32_t>(port), *p->direction, p->headers);
        return nlohmann::json::parse(
            interp::resultToJson(*policy_, static_cast<uint32_t>(port), *p->direction, r));
    }

    // "layer/rule" per step ("layer/-" for the default, "layer/session" for a pair).
    static std::vector<std::string> steps(const nlohmann::json& j) {
        std::vector<std::string> out;
        for (const auto& s : j["layers"]) {
            std::string rule = s["session"].get<bool>() ? "session"
                               : s["rule"].is_null()    ? "-"
                                                        : s["rule"].get<std::string>();
            out.push_back(s["layer"].get<std::string>() + "/" + rule);
        }
        return out;
    }

    const lang::Policy& policy() const { return *policy_; }
    interp::Interpreter& interpreter() { return *interp_; }

private:
    lang::Frontend frontend_;
    std::shared_ptr<const lang::Policy> policy_;
    std::unique_ptr<interp::Interpreter> interp_;
};

using V = std::vector<std::string>;

const char* kSecurityGroupPolicy = R"(
const ADMIN = 192.0.2.0/24;

port web1 { mac 02:00:00:00:01:05; ip 10.1.0.5; vni 5001; layers acl, fabric; }
port web2 { mac 02:00:00:00:01:06; ip 10.1.0.6; vni 5001; layers acl, fabric; }

layer acl {
    default deny;
    out {
        group block priority 10 {
            rule no_metadata priority 1 match dst_ip 169.254.169.254 action deny terminating;
        }
        group sg priority 20 {
            rule web_out priority 10 match proto tcp dst_port 80, 443 action allow stateful idle 5m;
            rule dns     priority 20 match proto udp dst_port 53 action allow stateful;
        }
    }
    in {
        group sg priority 20 match dst_ip 10.1.0.0/16 {
            rule ssh_admin priority 10 match proto tcp src_ip ADMIN dst_port 22 action allow;
        }
    }
}

layer fabric {
    default allow;
    out {
        group fwd priority 10 lpm dst_ip {
            rule local priority 1 match dst_ip 10.1.0.0/24 action allow, route vnet;
            rule wide  priority 2 match dst_ip 0.0.0.0/0 action allow, route vnet, meter cap;
        }
    }
}

routes vnet {
    10.1.0.6/32  -> port web2;
    10.1.1.0/24  -> host 192.168.0.12;
    10.9.0.0/16  -> ecmp firewalls;
    10.66.0.0/16 -> drop;
    0.0.0.0/0    -> gateway 192.168.0.1;
}

ecmp firewalls { member fw1 192.168.0.21 weight 2; member fw2 192.168.0.22; }
meter cap { rate 2Gbps; burst 1MB; }
)";

TEST(PolicyText, SecurityGroupsGroupsAndRoutes) {
    TextPolicy t(kSecurityGroupPolicy);
    ASSERT_TRUE(t.ok());
    auto j = t.eval("web1", "tcp 10.1.0.5:1000 -> 93.184.216.34:443 out");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/web_out", "fabric/wide"}));
    EXPECT_EQ(j["output"], "gateway:192.168.0.1");
    EXPECT_EQ(j["layers"][1]["meter"], "cap");

    // The terminating deny of the first group beats the later group's allow.
    j = t.eval("web1", "tcp 10.1.0.5:1000 -> 169.254.169.254:80 out");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/no_metadata"}));
    EXPECT_TRUE(j["output"].is_null());
    EXPECT_EQ(j["drop_reason"], "layer acl");

    // LPM group: 10.1.0.0/24 (local) beats 0.0.0.0/0 (wide); the route table's /32 gives web2.
    j = t.eval("web1", "tcp 10.1.0.5:1000 -> 10.1.0.6:80 out");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/web_out", "fabric/local"}));
    EXPECT_EQ(j["output"], "port:web2");
    EXPECT_EQ(t.eval("web1", "tcp 10.1.0.5:1 -> 10.1.1.9:80 out")["output"], "host:192.168.0.12");
    EXPECT_EQ(t.eval("web1", "tcp 10.1.0.5:1 -> 10.9.1.1:80 out")["output"], "ecmp:firewalls");
    j = t.eval("web1", "tcp 10.1.0.5:1 -> 10.66.0.1:80 out");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_TRUE(j["output"].is_null());
    EXPECT_FALSE(j["drop_reason"].is_null());

    // Not allowed outbound at all.
    j = t.eval("web1", "tcp 10.1.0.5:1000 -> 93.184.216.34:22 out");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/-"}));

    // Inbound: the group condition on dst_ip and the rule's source prefix.
    j = t.eval("web1", "tcp 192.0.2.7:5555 -> 10.1.0.5:22 in");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"fabric/-", "acl/ssh_admin"}));
    EXPECT_EQ(j["output"], "vm:web1");
    EXPECT_EQ(t.eval("web1", "tcp 198.51.100.1:5555 -> 10.1.0.5:22 in")["verdict"], "deny");
    EXPECT_EQ(t.eval("web1", "tcp 192.0.2.7:5555 -> 10.2.0.5:22 in")["verdict"], "deny");
}

TEST(PolicyText, StatefulRepliesComeBackOthersDoNot) {
    TextPolicy t(kSecurityGroupPolicy);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.eval("web1", "udp 10.1.0.5:40000 -> 8.8.8.8:53 out")["verdict"], "allow");
    auto j = t.eval("web1", "udp 8.8.8.8:53 -> 10.1.0.5:40000 in");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"fabric/-", "acl/session"}));
    EXPECT_EQ(j["output"], "vm:web1");
    EXPECT_EQ(t.eval("web1", "udp 8.8.8.8:53 -> 10.1.0.5:40001 in")["verdict"], "deny");
    EXPECT_EQ(t.eval("web2", "udp 8.8.8.8:53 -> 10.1.0.5:40000 in")["verdict"], "deny");
}

const char* kNatPolicy = R"(
port backend { mac 02:00:00:00:00:05; ip 10.0.0.5; vni 200; layers acl, nat; }

layer acl {
    default deny;
    out {
        group egress priority 100 {
            rule all_out priority 100 action allow stateful idle 5m;
        }
    }
    in {
        group services priority 100 {
            rule app priority 100 match proto tcp dst_port 8443, 8080 action allow;
        }
    }
}

layer nat {
    default in deny;
    default out allow;
    in {
        group vip priority 100 match dst_ip 203.0.113.50 proto tcp {
            rule https priority 100 match dst_port 443
                action set dst_ip 10.0.0.5, set dst_port 8443, allow stateful idle 4m;
        }
    }
    out {
        group snat priority 100 lpm dst_ip {
            rule private  priority 100 match dst_ip 10.0.0.0/8, 192.168.0.0/16 action allow;
            rule internet priority 200 match dst_ip 0.0.0.0/0
                action set src_ip 203.0.113.51, allow stateful idle 4m;
        }
    }
}
)";

TEST(PolicyText, DnatVipAndSnatWithInverseRewrites) {
    TextPolicy t(kNatPolicy);
    ASSERT_TRUE(t.ok());
    // DNAT inbound, then the backend's reply leaves from the VIP.
    auto j = t.eval("backend", "tcp 192.0.2.10:50000 -> 203.0.113.50:443 flags S in");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"nat/https", "acl/app"}));
    EXPECT_EQ(j["headers"], "tcp 192.0.2.10:50000 -> 10.0.0.5:8443 flags S");
    j = t.eval("backend", "tcp 10.0.0.5:8443 -> 192.0.2.10:50000 flags SA out");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/all_out", "nat/session"}));
    EXPECT_EQ(j["headers"], "tcp 203.0.113.50:443 -> 192.0.2.10:50000 flags SA");
    EXPECT_EQ(j["output"], "uplink");

    // Not a published service; the backend's own address is not reachable from outside.
    EXPECT_EQ(t.eval("backend", "tcp 192.0.2.10:50002 -> 203.0.113.50:22 in")["verdict"], "deny");
    j = t.eval("backend", "tcp 192.0.2.10:50003 -> 10.0.0.5:8443 in");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(j["drop_reason"], "layer nat");

    // SNAT outbound (LPM: 0.0.0.0/0 for a public destination), reply restored to the backend.
    j = t.eval("backend", "tcp 10.0.0.5:41000 -> 198.51.100.20:443 out");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/all_out", "nat/internet"}));
    EXPECT_EQ(j["headers"], "tcp 203.0.113.51:41000 -> 198.51.100.20:443");
    j = t.eval("backend", "tcp 198.51.100.20:443 -> 203.0.113.51:41000 in");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"nat/session", "acl/session"}));
    EXPECT_EQ(j["headers"], "tcp 198.51.100.20:443 -> 10.0.0.5:41000");
    EXPECT_EQ(j["output"], "vm:backend");

    // A private destination is not translated (the /8 is longer than the /0).
    j = t.eval("backend", "tcp 10.0.0.5:41001 -> 10.0.0.9:5432 out");
    EXPECT_EQ(TextPolicy::steps(j), (V{"acl/all_out", "nat/private"}));
    EXPECT_EQ(j["headers"], "tcp 10.0.0.5:41001 -> 10.0.0.9:5432");
}

const char* kOverlayPolicy = R"(
port vm1 { mac 02:00:0a:07:00:05; ip 10.7.0.5; vni 7001; layers sg, vnet; }

layer sg {
    default deny;
    out { group all priority 1 { rule any priority 1 action allow stateful; } }
    in  { group ping priority 1 { rule echo priority 1 match proto icmp icmp_type 8 action allow; } }
}

layer vnet {
    default deny;
    out {
        group forward priority 100 lpm dst_ip {
            rule here   priority 100 match dst_ip 10.7.0.0/24 action route rt;
            rule remote priority 200 match dst_ip 10.7.1.0/24
                action encap vxlan vni 7001 src 192.168.10.1 dst 192.168.10.2, route rt;
        }
    }
    in {
        group tunnel priority 100 {
            rule from_tunnel priority 100 match vni 7001 outer_dst_ip 192.168.10.1
                action decap vxlan;
        }
    }
}

routes rt {
    10.7.0.5/32 -> port vm1;
    10.7.1.0/24 -> host 192.168.10.2;
}
)";

TEST(PolicyText, OverlayEncapDecapAndRoutes) {
    TextPolicy t(kOverlayPolicy);
    ASSERT_TRUE(t.ok());
    auto j = t.eval("vm1", "tcp 10.7.0.5:40001 -> 10.7.1.20:443 flags S out");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"sg/any", "vnet/remote"}));
    EXPECT_EQ(j["headers"],
              "tcp 10.7.0.5:40001 -> 10.7.1.20:443 vni 7001 outer 192.168.10.1 -> 192.168.10.2 "
              "flags S");
    EXPECT_EQ(j["output"], "host:192.168.10.2");
    EXPECT_EQ(j["fields"]["outer_dst_ip"], "192.168.10.2");

    // The reply comes through the tunnel: decapsulated by vnet, then the sg session admits it.
    j = t.eval("vm1",
               "tcp 10.7.1.20:443 -> 10.7.0.5:40001 vni 7001 outer 192.168.10.2 -> 192.168.10.1 "
               "flags SA in");
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_EQ(TextPolicy::steps(j), (V{"vnet/from_tunnel", "sg/session"}));
    EXPECT_EQ(j["headers"], "tcp 10.7.1.20:443 -> 10.7.0.5:40001 flags SA");
    EXPECT_EQ(j["output"], "vm:vm1");

    // Another VNI is not decapsulated: vnet's default denies.
    j = t.eval("vm1",
               "icmp 10.7.1.20 -> 10.7.0.5 vni 7002 outer 192.168.10.2 -> 192.168.10.1 type 8 "
               "code 0 in");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(j["drop_reason"], "layer vnet");
    // Same host: no encap, route to the port.
    EXPECT_EQ(t.eval("vm1", "udp 10.7.0.9:1 -> 10.7.0.5:2 out")["output"], "port:vm1");
    // Nothing in the table: no route.
    j = t.eval("vm1", "udp 10.7.0.5:1 -> 10.7.0.77:2 out");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(j["drop_reason"], "no route");
}

TEST(PolicyText, AddressFamiliesStayApart) {
    TextPolicy t(R"(
port dual { mac 02:00:00:00:06:05; ip 10.6.0.5, 2001:db8:100:1::5; vni 600; layers sg, fab; }
layer sg {
    default deny;
    in {
        group g priority 1 {
            rule v4_admins priority 1 match src_ip 10.0.0.0/8 action allow;
            rule v6_admins priority 2 match src_ip 2001:db8:ffff::/48 action allow;
            rule https     priority 3 match proto tcp dst_port 443 action allow;
        }
    }
    out { group g priority 1 { rule any priority 1 action allow, route rt; } }
}
layer fab { default allow; }
routes rt {
    2001:db8:100:2::/64 -> host 192.168.6.2;
    0.0.0.0/0           -> gateway 192.168.6.1;
}
)");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(TextPolicy::steps(t.eval("dual", "udp 10.1.1.1:1 -> 10.6.0.5:2 in")),
              (V{"fab/-", "sg/v4_admins"}));
    EXPECT_EQ(TextPolicy::steps(t.eval("dual", "udp [2001:db8:ffff::1]:1 -> [2001:db8:100:1::5]:2 in")),
              (V{"fab/-", "sg/v6_admins"}));
    // ::a01:101 holds 10.1.1.1 in its low 32 bits but is IPv6: no IPv4 rule matches it.
    auto j = t.eval("dual", "udp [::a01:101]:1 -> [2001:db8:100:1::5]:2 in");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(t.eval("dual", "tcp [2001:db8:77::1]:1 -> [2001:db8:100:1::5]:443 in")["verdict"],
              "allow");
    // Routes: the IPv4 default does not catch IPv6 destinations.
    EXPECT_EQ(t.eval("dual", "tcp [2001:db8:100:1::5]:1 -> [2001:db8:100:2::8]:443 out")["output"],
              "host:192.168.6.2");
    j = t.eval("dual", "tcp [2001:db8:100:1::5]:1 -> [2001:4860::8888]:443 out");
    EXPECT_EQ(j["verdict"], "deny");
    EXPECT_EQ(j["drop_reason"], "no route");
    EXPECT_EQ(t.eval("dual", "tcp 10.6.0.5:1 -> 8.8.8.8:443 out")["output"], "gateway:192.168.6.1");
}

}  // namespace
}  // namespace sluice
