// Semantic diff: changed classes with witnesses and deciding rules; the --expect gate.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sluice/lang/frontend.h"
#include "sluice/verify/diff.h"

namespace sluice::verify {
namespace {

std::shared_ptr<const lang::Policy> load(const std::string& text) {
    lang::Frontend fe;
    auto p = fe.loadString("test.sl", text);
    if (!p) {
        std::ostringstream s;
        fe.diags().printText(s);
        ADD_FAILURE() << s.str();
    }
    return p;
}

std::string policy(const std::string& rules) {
    return "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers acl; }\n"
           "layer acl { default deny; in { group g priority 1 { " + rules + " } } }\n";
}

const char* kBase =
    "rule ssh priority 1 match proto tcp src_ip 10.9.0.0/16 dst_port 22 action allow;"
    " rule web priority 2 match proto tcp dst_port 80, 443 action allow;"
    " rule dns priority 3 match proto udp dst_port 53 action allow;";

TEST(VerifierDiff, IdenticalPoliciesAreTheSame) {
    auto a = load(policy(kBase));
    auto b = load(policy(kBase));
    auto d = diffPolicies(a, b);
    EXPECT_FALSE(d.different());
    EXPECT_TRUE(d.internalErrors.empty());
}

TEST(VerifierDiff, ChangedActionGivesOneClassWithWitness) {
    auto a = load(policy(kBase));
    auto b = load(policy(
        "rule ssh priority 1 match proto tcp src_ip 10.9.0.0/16 dst_port 22 action allow;"
        " rule web priority 2 match proto tcp dst_port 80, 443 action allow;"
        " rule dns priority 3 match proto udp dst_port 53 action deny;"));
    for (bool prune : {true, false}) {
        DiffOptions o;
        o.prune = prune;
        auto d = diffPolicies(a, b, o);
        EXPECT_TRUE(d.internalErrors.empty());
        ASSERT_EQ(d.changes.size(), 1u) << "prune " << prune;
        const auto& c = d.changes[0];
        EXPECT_EQ(c.port, "p");
        EXPECT_EQ(c.dir, lang::Direction::In);
        EXPECT_EQ(c.witness.proto, lang::kProtoUdp);
        EXPECT_EQ(c.witness.dstPort, 53);
        EXPECT_EQ(c.oldSide.verdict, lang::Verdict::Allow);
        EXPECT_EQ(c.newSide.verdict, lang::Verdict::Deny);
        EXPECT_EQ(c.oldSide.rule, "acl.dns");
        EXPECT_EQ(c.newSide.rule, "acl.dns");
        EXPECT_GT(c.sizeLog2, 100.0);  // every source, most header fields free
    }
}

TEST(VerifierDiff, NarrowedRuleAndRemovedRule) {
    auto a = load(policy(kBase));
    auto b = load(policy(
        "rule ssh priority 1 match proto tcp src_ip 10.9.1.0/24 dst_port 22 action allow;"
        " rule web priority 2 match proto tcp dst_port 443 action allow;"
        " rule dns priority 3 match proto udp dst_port 53 action allow;"));
    auto d = diffPolicies(a, b);
    EXPECT_TRUE(d.internalErrors.empty());
    ASSERT_EQ(d.changes.size(), 2u);
    bool ssh = false, web = false;
    for (const auto& c : d.changes) {
        EXPECT_EQ(c.newSide.verdict, lang::Verdict::Deny);
        EXPECT_EQ(c.newSide.rule, "acl.default");
        if (c.oldSide.rule == "acl.ssh") {
            ssh = true;
            EXPECT_EQ(c.witness.srcIp.value >> 16, 0x0a09u);
            EXPECT_NE((c.witness.srcIp.value >> 8) & 0xff, 1u);
        }
        if (c.oldSide.rule == "acl.web") {
            web = true;
            EXPECT_EQ(c.witness.dstPort, 80);
        }
    }
    EXPECT_TRUE(ssh && web);
    auto j = nlohmann::json::parse(diffToJson(d));
    ASSERT_EQ(j["changes"].size(), 2u);
    for (const auto& c : j["changes"]) {
        EXPECT_EQ(c["port"], "p");
        EXPECT_EQ(c["dir"], "in");
        EXPECT_TRUE(c["witness"].is_string());
        EXPECT_TRUE(c["old"].contains("verdict") && c["old"].contains("rule"));
        EXPECT_EQ(c["new"]["verdict"], "deny");
    }
}

TEST(VerifierDiff, ExpectationsGate) {
    auto a = load(policy(kBase));
    auto b = load(policy(
        "rule ssh priority 1 match proto tcp src_ip 10.9.1.0/24 dst_port 22 action allow;"
        " rule web priority 2 match proto tcp dst_port 443 action allow;"
        " rule dns priority 3 match proto udp dst_port 53 action allow;"));
    auto only = parseExpectations("# intended\nrule acl.ssh\n");
    ASSERT_TRUE(only.ok());
    auto d = diffPolicies(a, b, {}, *only);
    EXPECT_TRUE(d.gateFailed());  // the web change was not expected
    auto both = parseExpectations("rule acl.ssh\nrule acl.web\n");
    auto d2 = diffPolicies(a, b, {}, *both);
    EXPECT_FALSE(d2.gateFailed());
    auto extra = parseExpectations("rule acl.ssh\nrule acl.web\nport p out\n");
    auto d3 = diffPolicies(a, b, {}, *extra);
    EXPECT_TRUE(d3.gateFailed());  // `port p out` matched nothing
    EXPECT_FALSE(parseExpectations("bogus line").ok());
}

TEST(VerifierDiff, RouteChangeChangesTheOutput) {
    std::string base =
        "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers f; }\n"
        "layer f { default allow; out { group g priority 1 { rule r priority 1 action route rt; } } }\n";
    auto a = load(base + "routes rt { 10.1.0.0/16 -> host 192.168.0.2; 0.0.0.0/0 -> gateway 192.168.0.1; }");
    auto b = load(base + "routes rt { 10.1.0.0/16 -> host 192.168.0.3; 0.0.0.0/0 -> gateway 192.168.0.1; }");
    auto d = diffPolicies(a, b);
    EXPECT_TRUE(d.internalErrors.empty());
    ASSERT_EQ(d.changes.size(), 1u);
    EXPECT_EQ(d.changes[0].oldSide.output, "host:192.168.0.2");
    EXPECT_EQ(d.changes[0].newSide.output, "host:192.168.0.3");
    EXPECT_EQ(d.changes[0].witness.dstIp.value >> 16, 0x0a01u);
}

}  // namespace
}  // namespace sluice::verify
