// Planted defects, one kind per test: the finding's kind, its rules and its witness.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/interp/interpreter.h"
#include "sluice/lang/frontend.h"
#include "sluice/interp/network.h"
#include "sluice/verify/diff.h"
#include "sluice/verify/verifier.h"

namespace sluice::verify {
namespace {

using lang::Direction;

lang::FrontendOptions withStdlib() {
    lang::FrontendOptions o;
    o.stdlibDirs = lang::defaultStdlibDirs();
    return o;
}

std::shared_ptr<const lang::Policy> load(const std::string& text) {
    lang::Frontend fe(withStdlib());
    auto p = fe.loadString("test.sl", text);
    if (!p) {
        std::ostringstream s;
        fe.diags().printText(s);
        ADD_FAILURE() << s.str();
    }
    return p;
}

std::vector<const Finding*> of(const Report& r, FindingKind k) {
    std::vector<const Finding*> out;
    for (const auto& f : r.findings)
        if (f.kind == k) out.push_back(&f);
    return out;
}

std::vector<std::string> names(const Finding& f) {
    std::vector<std::string> n;
    for (const auto& i : f.involved) n.push_back(i.name);
    return n;
}

void noInternal(const Report& r) {
    for (const auto& f : r.findings) EXPECT_NE(f.kind, FindingKind::Internal) << f.message;
}

// One layer `acl` on port p (10.0.0.1), with the given outbound body.
std::string onePort(const std::string& outBody, const std::string& def = "deny",
                    const std::string& extra = "") {
    return "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers acl; }\n"
           "layer acl { default " + def + "; out { " + outBody + " } }\n" + extra;
}

// Modes: 0 geometric path, 1 solver path (every rule "complex"), 2 the naive scan.
Report run(const std::shared_ptr<const lang::Policy>& p, int mode = 0) {
    VerifyOptions o;
    if (mode == 1) o.boxCap = 0;
    if (mode == 2) o.useGeometry = false;
    return verifyPolicy(p, o);
}

TEST(VerifierRules, ShadowedBySingleRule) {
    auto p = load(onePort(
        "group g priority 1 {"
        " rule wide priority 1 match src_ip 10.0.0.0/8 action allow;"
        " rule narrow priority 2 match src_ip 10.1.0.0/16 proto tcp action deny; }"));
    ASSERT_TRUE(p);
    for (int mode : {0, 1, 2}) {
        auto r = run(p, mode);
        noInternal(r);
        auto s = of(r, FindingKind::Shadowed);
        ASSERT_EQ(s.size(), 1u) << "mode " << mode;
        EXPECT_EQ(names(*s[0])[0], "acl.narrow");
        if (mode == 0) {
            EXPECT_EQ(names(*s[0]), (std::vector<std::string>{"acl.narrow", "acl.wide"}));
        }
        ASSERT_TRUE(s[0]->witness);
        const auto& w = s[0]->witness->headers;
        EXPECT_EQ(w.srcIp.value >> 16, 0x0a01u);
        EXPECT_EQ(w.proto, lang::kProtoTcp);
        EXPECT_NE(s[0]->witness->replay.find("acl.wide"), std::string::npos);
    }
}

TEST(VerifierRules, ShadowedByUnionOfRules) {
    auto p = load(onePort(
        "group g priority 1 {"
        " rule low priority 1 match dst_port 0..100 action allow;"
        " rule high priority 2 match dst_port 101..65535 action allow;"
        " rule mid priority 3 match dst_port 50..200 action deny; }"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto s = of(r, FindingKind::Shadowed);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(names(*s[0]),
              (std::vector<std::string>{"acl.mid", "acl.low", "acl.high"}));
    // The same policy without `high` leaves 101..200 to `mid`.
    auto q = load(onePort(
        "group g priority 1 {"
        " rule low priority 1 match dst_port 0..100 action allow;"
        " rule mid priority 3 match dst_port 50..200 action deny; }"));
    EXPECT_TRUE(of(run(q), FindingKind::Shadowed).empty());
}

TEST(VerifierRules, RedundantRuleAndItsWitness) {
    auto p = load(onePort(
        "group g priority 1 {"
        " rule specific priority 1 match proto tcp src_ip 10.0.0.0/8 dst_port 80 action allow;"
        " rule general priority 2 match proto tcp action allow; }"));
    ASSERT_TRUE(p);
    for (int mode : {0, 1}) {
        auto r = run(p, mode);
        noInternal(r);
        auto s = of(r, FindingKind::Redundant);
        ASSERT_EQ(s.size(), 1u) << "mode " << mode;
        EXPECT_EQ(names(*s[0]), (std::vector<std::string>{"acl.specific", "acl.general"}));
        ASSERT_TRUE(s[0]->witness);
        EXPECT_EQ(s[0]->witness->headers.dstPort, 80);
        EXPECT_TRUE(of(r, FindingKind::Shadowed).empty());
    }
}

TEST(VerifierRules, NotRedundantWhenADifferentRuleComesBetween) {
    auto p = load(onePort(
        "group g priority 1 {"
        " rule specific priority 1 match proto tcp src_ip 10.0.0.0/8 dst_port 80 action allow;"
        " rule block priority 2 match proto tcp src_ip 10.1.0.0/16 action deny;"
        " rule general priority 3 match proto tcp action allow; }"));
    ASSERT_TRUE(p);
    for (int mode : {0, 1}) {
        auto r = run(p, mode);
        noInternal(r);
        EXPECT_TRUE(of(r, FindingKind::Redundant).empty()) << "mode " << mode;
    }
}

TEST(VerifierRules, RedundantAgainstTheDefault) {
    auto p = load(onePort("group g priority 1 {"
                          " rule a priority 1 match proto udp action deny;"
                          " rule b priority 2 match proto tcp action allow; }",
                          "allow"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto s = of(r, FindingKind::Redundant);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(names(*s[0])[0], "acl.b");
}

TEST(VerifierRules, ConflictWithPacketInTheOverlap) {
    auto p = load(onePort(
        "group g priority 1 {"
        " rule block priority 1 match proto tcp dst_port 3306 action deny;"
        " rule range priority 2 match proto tcp dst_port 3000..4000 action allow; }"));
    ASSERT_TRUE(p);
    {
        auto r = run(p);
        noInternal(r);
        auto c = of(r, FindingKind::Conflict);
        ASSERT_EQ(c.size(), 1u);
        EXPECT_EQ(names(*c[0]), (std::vector<std::string>{"acl.range", "acl.block"}));
        ASSERT_TRUE(c[0]->witness);
        EXPECT_EQ(c[0]->witness->headers.dstPort, 3306);
        EXPECT_EQ(c[0]->severity, Severity::Warning);
    }
}

TEST(VerifierRules, ConflictOnTheSolverPath) {
    // An lpm group sends its rules to the solver path; a priority group with many values per
    // condition does too once the box cap is exceeded.
    auto p = load(onePort(
        "group g priority 1 {"
        " rule block priority 1 match proto tcp dst_port 3306 action deny;"
        " rule range priority 2 match proto tcp dst_port 3000..4000 action allow; }"));
    VerifyOptions o;
    o.boxCap = 0;  // every rule is "complex"
    auto r = verifyPolicy(p, o);
    noInternal(r);
    auto c = of(r, FindingKind::Conflict);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0]->witness->headers.dstPort, 3306);
}

TEST(VerifierRules, UnmatchableAndGroupNeverHolds) {
    auto p = load(onePort(
        "group web priority 1 match proto tcp dst_port 80, 443 {"
        " rule ok priority 1 match src_ip 10.0.0.0/8 action allow;"
        " rule alt priority 2 match dst_port 8080 action allow; }"
        "group never priority 2 match outer_src_ip 192.168.0.0/16 outer_dst_ip fd00::/8 {"
        " rule t priority 1 action allow; }"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto u = of(r, FindingKind::Unmatchable);
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(names(*u[0])[0], "acl.alt");
    auto g = of(r, FindingKind::GroupNeverHolds);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(names(*g[0])[0], "acl.never");
}

TEST(VerifierRules, DefaultsNeverAndAlwaysReached) {
    auto p = load(
        "port p { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers a, b; }\n"
        "layer a { default deny; out { group g priority 1 { rule all priority 1 action allow; } } }\n"
        "layer b { default allow; out { group g priority 1 match outer_src_ip 10.0.0.0/8 "
        "outer_dst_ip fd00::/8 { rule r priority 1 action deny; } } }\n");
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto never = of(r, FindingKind::DefaultNever);
    ASSERT_EQ(never.size(), 1u);
    EXPECT_EQ(names(*never[0])[0], "a.default");
    EXPECT_EQ(never[0]->severity, Severity::Note);
    auto always = of(r, FindingKind::DefaultAlways);
    ASSERT_EQ(always.size(), 1u);
    EXPECT_EQ(names(*always[0])[0], "b.default");
}

TEST(VerifierRules, LpmTieGoesToPriorityAndLosesTheRule) {
    auto p = load(onePort("group r priority 1 lpm dst_ip {"
                          " rule first priority 1 match dst_ip 10.0.0.0/8 action allow;"
                          " rule second priority 2 match dst_ip 10.0.0.0/8 action deny;"
                          " rule longer priority 3 match dst_ip 10.1.0.0/16 action deny; }"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto s = of(r, FindingKind::Shadowed);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(names(*s[0])[0], "acl.second");
}

TEST(VerifierRoutes, BlackholeAndHiddenRoute) {
    auto p = load(onePort("group g priority 1 { rule r priority 1 action allow, route rt; }",
                          "deny",
                          "routes rt { 10.1.0.0/24 -> host 192.168.0.2; 10.1.0.0/25 -> drop;"
                          " 10.1.0.128/25 -> host 192.168.0.3; 10.0.0.0/8 -> gateway 192.168.0.1; }"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto b = of(r, FindingKind::Blackhole);
    ASSERT_EQ(b.size(), 1u);
    ASSERT_TRUE(b[0]->witness);
    auto dst = b[0]->witness->headers.dstIp.value;
    EXPECT_TRUE(dst < 0x0a000000u || dst > 0x0affffffu);
    EXPECT_NE(b[0]->witness->replay.find("no route"), std::string::npos);
    auto h = of(r, FindingKind::HiddenRoute);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(names(*h[0])[0], "rt 10.1.0.0/24");
    EXPECT_EQ(names(*h[0]).size(), 3u);
}

TEST(VerifierRoutes, EcmpWithoutUsableMember) {
    auto p = load(onePort("group g priority 1 { rule r priority 1 action allow, route rt; }",
                          "deny",
                          "routes rt { 0.0.0.0/0 -> ecmp fw; }\n"
                          "ecmp fw { member a 192.168.0.2; member b 192.168.0.3 weight 2; }"));
    ASSERT_TRUE(p);
    EXPECT_TRUE(of(run(p), FindingKind::EcmpUnusable).empty());
    auto broken = std::make_shared<lang::Policy>(*p);
    for (auto& m : broken->ecmpGroups[0].members) m.weight = 0;
    auto r = run(broken);
    auto e = of(r, FindingKind::EcmpUnusable);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(names(*e[0])[0], "fw");
    EXPECT_EQ(e[0]->severity, Severity::Error);
    EXPECT_TRUE(r.hasErrors());
}

TEST(VerifierCredits, OverbookedAndInconsistentHostTotals) {
    std::string ports =
        "port a { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers l; credit gold; }\n"
        "port b { mac 02:00:00:00:00:02; ip 10.0.0.2; vni 1; layers l; credit gold; }\n"
        "port c { mac 02:00:00:00:00:03; ip 10.0.0.3; vni 1; layers l; credit silver; }\n"
        "layer l { default allow; }\n";
    auto p = load(ports +
                  "credit gold { bandwidth base 20Gbps max 30Gbps host 40Gbps cap 30s consume 50%; }\n"
                  "credit silver { bandwidth base 1Gbps max 2Gbps host 50Gbps cap 10s consume 100%; }\n");
    ASSERT_TRUE(p);
    auto r = run(p);
    auto o = of(r, FindingKind::CreditOverbooked);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_NE(o[0]->message.find("41Gbps"), std::string::npos) << o[0]->message;
    auto i = of(r, FindingKind::CreditInconsistent);
    ASSERT_EQ(i.size(), 1u);
    EXPECT_EQ(names(*i[0]), (std::vector<std::string>{"silver", "gold"}));
    auto fine = load(ports +
                     "credit gold { bandwidth base 10Gbps max 30Gbps host 40Gbps cap 30s consume 50%; }\n"
                     "credit silver { bandwidth base 1Gbps max 2Gbps host 40Gbps cap 10s consume 100%; }\n");
    ASSERT_TRUE(fine);
    auto rf = run(fine);
    EXPECT_TRUE(of(rf, FindingKind::CreditOverbooked).empty());
    EXPECT_TRUE(of(rf, FindingKind::CreditInconsistent).empty());
}

// Two VMs on one host, routed to each other, and an inbound ACL.
std::string twoVms(const std::string& inRules, const std::string& asserts) {
    return "port web { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers acl, fabric; }\n"
           "port db  { mac 02:00:00:00:00:02; ip 10.0.0.2; vni 1; layers acl, fabric; }\n"
           "layer acl { default deny; out { group e priority 1 {"
           " rule all priority 1 action allow stateful; } }\n"
           "  in { group i priority 1 { " + inRules + " } } }\n"
           "layer fabric { default allow; out { group f priority 1 {"
           " rule r priority 1 action route rt; } } }\n"
           "routes rt { 10.0.0.1/32 -> port web; 10.0.0.2/32 -> port db; 0.0.0.0/0 -> gateway 192.168.0.1; }\n" +
           asserts;
}

TEST(VerifierAssertions, IsolationViolatedThroughRoutesAndInboundLayers) {
    auto p = load(twoVms("rule pg priority 1 match proto tcp dst_port 5432 action allow;",
                         "assert apart isolated 10.0.0.1 -> 10.0.0.2 match proto tcp;\n"
                         "assert no_ssh isolated 10.0.0.1 -> 10.0.0.2 match proto tcp dst_port 22;\n"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto a = of(r, FindingKind::Assertion);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(names(*a[0])[0], "apart");
    ASSERT_TRUE(a[0]->witness);
    EXPECT_EQ(a[0]->witness->headers.dstPort, 5432);
    EXPECT_EQ(*a[0]->witness->port, "web");
    EXPECT_NE(a[0]->witness->replay.find("vm:db"), std::string::npos) << a[0]->witness->replay;
    EXPECT_TRUE(r.hasErrors());
}

TEST(VerifierAssertions, ReachableSomeAndEvery) {
    auto p = load(twoVms("rule pg priority 1 match proto tcp dst_port 5432 action allow;",
                         "assert some_pg reachable some 10.0.0.1 -> 10.0.0.2 match proto tcp;\n"
                         "assert every_pg reachable every 10.0.0.1 -> 10.0.0.2 match proto tcp dst_port 5432;\n"
                         "assert every_tcp reachable every 10.0.0.1 -> 10.0.0.2 match proto tcp;\n"
                         "assert some_udp reachable 10.0.0.1 -> 10.0.0.2 match proto udp;\n"));
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    std::vector<std::string> failed;
    for (auto* f : of(r, FindingKind::Assertion)) failed.push_back(names(*f)[0]);
    std::sort(failed.begin(), failed.end());
    EXPECT_EQ(failed, (std::vector<std::string>{"every_tcp", "some_udp"}));
    for (auto* f : of(r, FindingKind::Assertion)) {
        ASSERT_TRUE(f->witness) << f->message;
        if (names(*f)[0] == "every_tcp") {
            EXPECT_EQ(f->witness->headers.proto, lang::kProtoTcp);
        }
    }
}

TEST(VerifierAssertions, NatRewriteIsFollowed) {
    // Inbound to a VIP that the nat layer translates to the VM's address.
    auto p = load(
        "port vm { mac 02:00:00:00:00:01; ip 10.0.0.5; vni 1; layers acl, nat; }\n"
        "layer acl { default deny; in { group g priority 1 {"
        " rule app priority 1 match dst_ip 10.0.0.5 dst_port 8443 action allow stateful; } } }\n"
        "layer nat { default in deny; default out allow; in { group v priority 1 match dst_ip 203.0.113.5 {"
        " rule https priority 1 match proto tcp dst_port 443 action set dst_ip 10.0.0.5, set dst_port 8443, allow stateful; } } }\n"
        "assert vip reachable every 192.0.2.0/24 -> 203.0.113.5 match proto tcp dst_port 443;\n"
        "assert vip_ssh isolated 0.0.0.0/0 -> 203.0.113.5 match proto tcp dst_port 22;\n"
        "assert vm_out reachable some 10.0.0.5 -> 203.0.113.5 match proto tcp dst_port 443;\n");
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    // The VM itself cannot send (acl's outbound default is deny): only vm_out fails.
    auto a = of(r, FindingKind::Assertion);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(names(*a[0])[0], "vm_out");
    ASSERT_TRUE(a[0]->witness);
    EXPECT_EQ(*a[0]->witness->port, "vm");
    EXPECT_EQ(*a[0]->witness->dir, Direction::Out);
}

TEST(VerifierOutput, JsonAndSarifContracts) {
    auto p = load(onePort(
        "group g priority 1 {"
        " rule wide priority 1 match src_ip 10.0.0.0/8 action allow;"
        " rule narrow priority 2 match src_ip 10.1.0.0/16 action deny; }"));
    ASSERT_TRUE(p);
    auto r = run(p);
    auto j = nlohmann::json::parse(reportToJson(*p, r));
    ASSERT_TRUE(j["findings"].is_array());
    bool seen = false;
    for (const auto& f : j["findings"]) {
        EXPECT_TRUE(f.contains("kind") && f.contains("severity") && f.contains("rules") &&
                    f.contains("witness"));
        if (f["kind"] == "shadowed") {
            seen = true;
            EXPECT_EQ(f["rules"][0], "acl.narrow");
            EXPECT_EQ(f["severity"], "warning");
            EXPECT_TRUE(f["witness"].is_string());
            EXPECT_EQ(f["file"], "test.sl");
            EXPECT_EQ(f["line"], 2);
            auto parsed = lang::parsePacketText(f["witness"].get<std::string>());
            EXPECT_TRUE(parsed.ok());
        }
    }
    EXPECT_TRUE(seen);
    auto s = nlohmann::json::parse(reportToSarif(*p, r));
    EXPECT_EQ(s["version"], "2.1.0");
    ASSERT_EQ(s["runs"].size(), 1u);
    EXPECT_EQ(s["runs"][0]["results"].size(), r.findings.size());
    EXPECT_EQ(s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
               ["uri"],
              "test.sl");
}

// Only well-formed packets: a rule on icmp_type cannot admit TCP (whose ICMP type is 0), so the
// TCP isolation holds; a port condition covers every ICMP packet (whose ports are 0).
TEST(VerifierWellFormed, FieldsAProtocolDoesNotCarryAreZero) {
    auto p = load(
        "port a { mac 02:00:00:00:00:0a; ip 10.0.0.10; vni 1; layers acl; }\n"
        "layer acl { default deny; in { group g priority 1 {"
        " rule ping priority 10 match icmp_type 8 action allow; } } }\n"
        "assert no_tcp isolated 0.0.0.0/0 -> a match proto tcp;\n"
        "assert pings reachable some 0.0.0.0/0 -> a match proto icmp;\n");
    ASSERT_TRUE(p);
    for (int mode : {0, 1}) {
        auto r = run(p, mode);
        noInternal(r);
        EXPECT_TRUE(of(r, FindingKind::Assertion).empty()) << "mode " << mode;
    }
    auto q = load(onePort("group g priority 1 {"
                          " rule port0 priority 1 match dst_port 0 action deny;"
                          " rule icmp priority 2 match proto icmp action allow; }"));
    ASSERT_TRUE(q);
    for (int mode : {0, 1, 2}) {
        auto r = run(q, mode);
        noInternal(r);
        auto sh = of(r, FindingKind::Shadowed);
        ASSERT_EQ(sh.size(), 1u) << "mode " << mode;
        EXPECT_EQ(names(*sh[0])[0], "acl.icmp");
        ASSERT_TRUE(sh[0]->witness);
        // The printed witness is the packet the solver found.
        auto parsed = lang::parsePacketText(lang::formatPacketText(sh[0]->witness->headers));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(parsed->headers, sh[0]->witness->headers);
    }
}

// Findings are capped per kind in every output form, with the rest counted.
TEST(VerifierOutput, FindingsCappedPerKind) {
    std::string rules;
    for (int i = 0; i < 12; ++i)
        rules += " rule r" + std::to_string(i) + " priority " + std::to_string(i + 2) +
                 " match dst_port " + std::to_string(100 + i) + " action allow;";
    auto p = load(onePort("group g priority 1 { rule all priority 1 action allow;" + rules +
                          " }"));
    ASSERT_TRUE(p);
    auto r = run(p);
    ASSERT_EQ(of(r, FindingKind::Shadowed).size(), 12u);
    auto j = nlohmann::json::parse(reportToJson(*p, r, 5));
    size_t shown = 0;
    for (const auto& f : j["findings"]) shown += f["kind"] == "shadowed";
    EXPECT_EQ(shown, 5u);
    EXPECT_EQ(j["omitted"]["shadowed"], 7);
    EXPECT_EQ(j["summary"]["errors"].get<size_t>() + j["summary"]["warnings"].get<size_t>() +
                  j["summary"]["notes"].get<size_t>(),
              r.findings.size());
    auto all = nlohmann::json::parse(reportToJson(*p, r));
    EXPECT_TRUE(all["omitted"].empty());
    EXPECT_EQ(all["findings"].size(), r.findings.size());
    std::ostringstream text;
    printReport(text, *p, r, false, 5);
    EXPECT_NE(text.str().find("7 more shadowed finding(s) [V001] not shown"), std::string::npos)
        << text.str();
    auto sarif = nlohmann::json::parse(reportToSarif(*p, r, 5));
    EXPECT_EQ(sarif["runs"][0]["properties"]["omitted"]["shadowed"], 7);
}

std::shared_ptr<const lang::Policy> loadFile(const std::string& rel, const std::string& extra = "") {
    std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/" + rel);
    std::stringstream text;
    text << in.rdbuf();
    return load(text.str() + extra);
}

// The demo's whole path: vm1 out, default forwarding (VNI 100, vm2's address), vm2 in. 9090 is
// denied by vm2's inbound pipeline (the demo asserts it); 8080 is admitted, and the witness
// replays, from its text, through the network-level interpreter to the same verdict.
TEST(VerifierPath, DemoIsolationFollowsTheNetworkPath) {
    auto p = loadFile("examples/run/demo.sl",
                      "assert web_open isolated vm1 -> vm2 match proto tcp dst_port 8080;\n");
    ASSERT_TRUE(p);
    auto r = run(p);
    noInternal(r);
    auto a = of(r, FindingKind::Assertion);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(names(*a[0])[0], "web_open");
    ASSERT_TRUE(a[0]->witness);
    auto parsed = lang::parsePacketText(lang::formatPacketText(a[0]->witness->headers));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->headers.dstPort, 8080);
    interp::Interpreter in(p);
    auto path = interp::evaluatePath(in, static_cast<uint32_t>(p->findPort("vm1")),
                                     Direction::Out, parsed->headers);
    EXPECT_EQ(path.verdict, lang::Verdict::Allow);
    EXPECT_EQ(path.output.str(*p), "vm:vm2");
    ASSERT_EQ(path.hops.size(), 2u);
}

// Connections: without `stateful` on the inbound rules, no SYN-ACK comes back, so the
// reachable assertions fail (and replay so); with it they hold; diff sees the change.
TEST(VerifierConnections, ReachableNeedsTheReplyAndDiffSeesIt) {
    auto oneWay = loadFile("tests/data/verifier/three_tier.sl");
    auto paired = loadFile("tests/data/verifier/three_tier_stateful.sl");
    ASSERT_TRUE(oneWay && paired);
    auto r = run(oneWay);
    noInternal(r);
    std::vector<std::string> failed;
    for (auto* f : of(r, FindingKind::Assertion)) {
        failed.push_back(names(*f)[0]);
        ASSERT_TRUE(f->witness);
        EXPECT_EQ(f->witness->headers.tcpFlags, 0x02);  // a SYN
    }
    std::sort(failed.begin(), failed.end());
    EXPECT_EQ(failed, (std::vector<std::string>{"app_db", "internet_web", "web_app"}));
    auto good = run(paired);
    noInternal(good);
    EXPECT_TRUE(of(good, FindingKind::Assertion).empty());
    auto d = diffPolicies(paired, oneWay);
    EXPECT_TRUE(d.internalErrors.empty());
    EXPECT_TRUE(d.different());
    std::vector<std::string> ports;
    for (const auto& c : d.changes) {
        ports.push_back(c.port + " " + lang::directionName(c.dir));
        EXPECT_EQ(c.witness.proto, lang::kProtoTcp);
        EXPECT_EQ(c.witness.tcpFlags, 0x02);
        EXPECT_EQ(c.oldSide.reply.rfind("allow", 0), 0u) << c.oldSide.reply;
        EXPECT_EQ(c.newSide.reply.rfind("deny", 0), 0u) << c.newSide.reply;
    }
    std::sort(ports.begin(), ports.end());
    EXPECT_EQ(ports, (std::vector<std::string>{"app in", "db in", "web in"}));
}

// Every example in examples/ verifies without errors and without internal disagreements.
TEST(VerifierExamples, ExamplesHaveNoErrors) {
    for (const char* name : {"security_group", "nat_vip", "overlay", "ipv6", "vpc", "run/demo"}) {
        std::string path = std::string(SLUICE_SOURCE_DIR) + "/examples/" + name + ".sl";
        if (!std::ifstream(path)) continue;
        lang::Frontend fe(withStdlib());
        auto p = fe.loadFile(path);
        ASSERT_TRUE(p) << path << " does not load";
        auto r = verifyPolicy(p);
        for (const auto& f : r.findings)
            EXPECT_NE(f.severity, Severity::Error) << name << ": " << f.message;
    }
}

}  // namespace
}  // namespace sluice::verify
