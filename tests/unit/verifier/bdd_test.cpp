// BDD packet sets (verifier/src/pset.h) against the two other deciders: the box geometry and
// Z3. On ClassBench sets and on random overlapping rule sets, the BDD-only path must report
// exactly the findings of the default path (boxes, then BDDs), and the shadowed and
// unmatchable rules of the Z3 scan; a deliberately broken BDD side must be caught.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "sluice/lang/classbench.h"
#include "sluice/lang/frontend.h"
#include "sluice/verify/verifier.h"

namespace sluice::verify {
namespace {

std::shared_ptr<const lang::Policy> loadText(const std::string& text) {
    lang::FrontendOptions fo;
    fo.warnings = false;
    lang::Frontend fe(fo);
    auto p = fe.loadString("bdd.sl", text);
    if (!p) {
        std::ostringstream s;
        fe.diags().printText(s);
        ADD_FAILURE() << s.str();
    }
    return p;
}

using Key = std::set<std::pair<std::string, std::string>>;  // (kind, subject rule)

Key findings(const Report& r, bool onlyShadowAndUnmatchable = false) {
    Key k;
    for (const auto& f : r.findings) {
        EXPECT_NE(f.kind, FindingKind::Internal) << f.message;
        if (onlyShadowAndUnmatchable && f.kind != FindingKind::Shadowed &&
            f.kind != FindingKind::Unmatchable)
            continue;
        k.emplace(findingName(f.kind), f.involved.empty() ? "" : f.involved.front().name);
    }
    return k;
}

VerifyOptions ruleOnly() {
    VerifyOptions o;
    o.routeChecks = o.creditChecks = o.assertions = false;
    return o;
}

// A rule set whose rules overlap a lot: few prefixes, port ranges and protocols.
std::string randomRules(uint32_t seed, int n) {
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::ostringstream s;
    s << "port p0 {\n  mac 02:00:00:00:00:01;\n  ip 10.0.0.1;\n  vni 1;\n  layers acl;\n}\n"
      << "layer acl {\n  default deny;\n  out {\n    group g priority 0 {\n";
    for (int i = 0; i < n; ++i) {
        s << "      rule r" << i << " priority " << i << " match";
        bool any = false;
        if (pick(0, 2)) {
            int len = pick(0, 2) == 0 ? 16 : 24;
            s << " src_ip 10.0." << (len == 16 ? 0 : pick(0, 3)) << ".0/" << len;
            any = true;
        }
        if (pick(0, 1)) {
            if (pick(0, 1)) s << " dst_ip 192.168." << pick(0, 1) << ".0/24";
            else s << " dst_ip 192.168." << pick(0, 1) << "." << (pick(0, 1) ? 0 : 128) << "/25";
            any = true;
        }
        int proto = pick(0, 3);
        if (proto == 1) s << " proto 6";
        if (proto == 2) s << " proto 17";
        if (proto == 3 && pick(0, 3) == 0) s << " proto 1";
        else if (proto == 3) proto = 0;
        if (pick(0, 1)) {
            int lo = pick(0, 3) * 100, hi = lo + pick(0, 3) * 100;
            s << " dst_port " << lo << ".." << hi;
            any = true;
        }
        if (!any && proto == 0) s << " dst_port 0..65535";
        s << " action " << (pick(0, 3) == 0 ? "deny" : "allow") << ";\n";
    }
    s << "    }\n  }\n}\n";
    return s.str();
}

TEST(VerifierBdd, SameFindingsAsBoxesOnClassBench) {
    for (const char* set : {"acl1_1k", "fw1_1k", "ipc1_1k"}) {
        // The first 300 rules of each set and its last (the catch-all) keep the BDD-only run
        // (every question on BDDs) fast.
        std::ifstream file(std::string(SLUICE_TEST_DATA) + "/classbench/" + set);
        ASSERT_TRUE(file) << set;
        std::stringstream in;
        std::string line;
        std::string last;
        for (int i = 0; std::getline(file, line); ++i) {
            if (i < 300) in << line << "\n";
            if (!line.empty()) last = line;
        }
        in << last << "\n";
        auto text = lang::importClassBench(in, set);
        ASSERT_TRUE(text);
        auto policy = loadText(*text);
        ASSERT_TRUE(policy);
        auto boxes = verifyPolicy(policy, ruleOnly());
        auto o = ruleOnly();
        o.bddOnly = true;
        auto bdds = verifyPolicy(policy, o);
        EXPECT_GT(bdds.bddDecided, 0u);
        EXPECT_EQ(findings(boxes), findings(bdds)) << set;
        EXPECT_GT(boxes.findings.size(), 100u) << set;
    }
}

TEST(VerifierBdd, AgreesWithBoxesAndZ3OnRandomRuleSets) {
    size_t nonEmpty = 0;
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        auto policy = loadText(randomRules(seed, 24));
        ASSERT_TRUE(policy);
        auto boxes = verifyPolicy(policy, ruleOnly());
        auto o = ruleOnly();
        o.bddOnly = true;
        auto bdds = verifyPolicy(policy, o);
        auto z = ruleOnly();
        z.useGeometry = false;
        auto z3 = verifyPolicy(policy, z);
        EXPECT_EQ(findings(boxes), findings(bdds)) << "seed " << seed;
        EXPECT_EQ(findings(z3, true), findings(bdds, true)) << "seed " << seed;
        nonEmpty += !findings(bdds, true).empty();
    }
    EXPECT_GT(nonEmpty, 10u) << "the generator makes too few shadowed rules to compare";
}

TEST(VerifierBdd, CrossCheckCatchesBrokenBdds) {
    size_t caught = 0;
    for (uint32_t seed = 1; seed <= 40 && caught == 0; ++seed) {
        auto policy = loadText(randomRules(seed, 24));
        ASSERT_TRUE(policy);
        auto o = ruleOnly();
        o.bddOnly = true;
        o.bddFaultDropLastCondition = true;
        o.replay = false;  // the replay would flag it too; the cross-check must on its own
        auto broken = verifyPolicy(policy, o);
        auto z = ruleOnly();
        z.useGeometry = false;
        auto z3 = verifyPolicy(policy, z);
        caught += findings(z3, true) != findings(broken, true);
    }
    EXPECT_GT(caught, 0u) << "BDDs ignoring a condition went unnoticed";
}

}  // namespace
}  // namespace sluice::verify
