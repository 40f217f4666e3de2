// The verifier's geometric structures against plain answers: the spatial box index
// (verifier/src/box_index.h) against all-pairs box tests, and the geometric diff
// (verifier/src/diff_geometric.h) against the Z3 diff on random overlapping rule sets.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>

#include "box.h"
#include "box_index.h"
#include "sluice/lang/frontend.h"
#include "sluice/verify/diff.h"

namespace sluice::verify {
namespace {

std::shared_ptr<const lang::Policy> loadText(const std::string& text) {
    lang::FrontendOptions fo;
    fo.warnings = false;
    lang::Frontend fe(fo);
    auto p = fe.loadString("geometry.sl", text);
    if (!p) {
        std::ostringstream s;
        fe.diags().printText(s);
        ADD_FAILURE() << s.str() << text;
    }
    return p;
}

// One rule's match: few prefixes, port ranges and protocols, so rules overlap a lot.
std::string randomMatch(std::mt19937& rng) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::ostringstream s;
    s << "match";
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
    if (proto == 3) s << " proto 1";
    if (proto != 3 && pick(0, 1)) {
        int lo = pick(0, 3) * 100, hi = lo + pick(0, 3) * 100;
        s << " dst_port " << lo << ".." << hi;
        any = true;
    }
    if (!any && proto == 0) s << " src_port 0..65535";
    return s.str();
}

struct RuleLine {
    std::string name, match, verdict;
    int priority = 0;  // kept by the edits, so untouched rules stay unchanged
};

std::string policyText(const std::vector<RuleLine>& rules, const char* dir,
                       const char* defaultVerdict) {
    std::ostringstream s;
    s << "port p0 {\n  mac 02:00:00:00:00:01;\n  ip 10.0.0.1;\n  vni 1;\n  layers acl;\n}\n"
      << "layer acl {\n  default " << defaultVerdict << ";\n  " << dir
      << " {\n    group g priority 0 {\n";
    for (size_t i = 0; i < rules.size(); ++i)
        s << "      rule " << rules[i].name << " priority " << rules[i].priority << " "
          << rules[i].match
          << " action " << rules[i].verdict << ";\n";
    s << "    }\n  }\n}\n";
    return s.str();
}

TEST(VerifierGeometry, BoxIndexAnswersLikeAllPairs) {
    std::mt19937 rng(7);
    std::vector<RuleLine> rules;
    for (int i = 0; i < 400; ++i)
        rules.push_back({"r" + std::to_string(i), randomMatch(rng), "allow", i});
    auto policy = loadText(policyText(rules, "out", "deny"));
    ASSERT_TRUE(policy);
    const auto& g = policy->layers[0].groupsFor(lang::Direction::Out)[0];
    std::vector<geo::Region> regions;
    std::vector<const geo::Box*> flat;
    regions.reserve(g.rules.size());
    for (const auto& r : g.rules) {
        auto b = geo::conditionBoxes({&g.conditions, &r.conditions}, 256);
        ASSERT_TRUE(b);
        regions.push_back(std::move(*b));
    }
    for (const auto& reg : regions)
        for (const auto& b : reg) flat.push_back(&b);
    ASSERT_GT(flat.size(), 1000u);
    geo::BoxIndex index(flat);
    size_t hits = 0, pointHits = 0;
    for (size_t q = 0; q < flat.size(); ++q) {
        std::set<uint32_t> got, want;
        index.anyIntersecting(*flat[q], [&](uint32_t id) {
            EXPECT_TRUE(got.insert(id).second) << "box " << id << " reported twice";
            return false;
        });
        for (uint32_t i = 0; i < flat.size(); ++i)
            if (flat[i]->intersects(*flat[q])) want.insert(i);
        ASSERT_EQ(got, want) << "query box " << q;
        hits += got.size();
        // A point of the box: exactly the boxes containing it.
        geo::Box p = geo::boxOf(geo::pointOf(*flat[q]));
        std::set<uint32_t> gotP, wantP;
        index.anyIntersecting(p, [&](uint32_t id) {
            gotP.insert(id);
            return false;
        });
        for (uint32_t i = 0; i < flat.size(); ++i)
            if (flat[i]->contains(p)) wantP.insert(i);
        ASSERT_EQ(gotP, wantP) << "point of box " << q;
        pointHits += gotP.size();
    }
    // The sets overlap (the comparison is not between empty answers), but not everywhere.
    EXPECT_GT(hits, flat.size() * 4);
    EXPECT_LT(hits, flat.size() * flat.size() / 2);
    EXPECT_GT(pointHits, flat.size());
    // Early stop: the first hit ends the query.
    size_t calls = 0;
    EXPECT_TRUE(index.anyIntersecting(*flat[0], [&](uint32_t) { return ++calls == 1; }));
    EXPECT_EQ(calls, 1u);
}

using ClassKey = std::set<std::pair<std::string, std::string>>;  // (old decider, new decider)

ClassKey classes(const DiffReport& d) {
    ClassKey k;
    for (const auto& c : d.changes) k.emplace(c.oldSide.rule, c.newSide.rule);
    for (const auto& f : d.internalErrors) ADD_FAILURE() << f.message;
    return k;
}

// OLD: random overlapping rules; NEW: a few of them flipped, deleted, replaced, added.
TEST(VerifierGeometry, GeometricDiffAgreesWithZ3) {
    size_t differing = 0, geometric = 0;
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        std::mt19937 rng(seed);
        auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
        std::vector<RuleLine> old;
        for (int i = 0; i < 18; ++i)
            old.push_back({"r" + std::to_string(i), randomMatch(rng),
                           pick(0, 3) == 0 ? "deny" : "allow", 10 * i + 10});
        auto now = old;
        for (int k = pick(1, 3); k > 0; --k) {
            auto& r = now[static_cast<size_t>(pick(0, static_cast<int>(now.size()) - 1))];
            r.verdict = r.verdict == "allow" ? "deny" : "allow";
        }
        if (pick(0, 1)) now.erase(now.begin() + pick(0, static_cast<int>(now.size()) - 1));
        if (pick(0, 1)) now[static_cast<size_t>(pick(0, static_cast<int>(now.size()) - 1))].match =
            randomMatch(rng);
        if (pick(0, 1)) {
            int at = pick(0, static_cast<int>(now.size()));
            int prio = at == 0 ? 5 : now[static_cast<size_t>(at - 1)].priority + 5;
            now.insert(now.begin() + at, {"added", randomMatch(rng), pick(0, 1) ? "deny" : "allow",
                                          prio});
        }
        const char* dir = seed % 2 ? "in" : "out";
        const char* dflt = seed % 3 ? "deny" : "allow";
        auto a = loadText(policyText(old, dir, dflt));
        auto b = loadText(policyText(now, dir, dflt));
        ASSERT_TRUE(a && b);
        DiffOptions geo;
        geo.maxClassesPerPortDir = 1000;
        DiffOptions z3 = geo;
        z3.geometric = false;
        auto dg = diffPolicies(a, b, geo);
        auto dz = diffPolicies(a, b, z3);
        EXPECT_FALSE(dg.truncated || dz.truncated);
        EXPECT_EQ(dz.geometricLayers, 0u);
        geometric += dg.geometricLayers;
        EXPECT_EQ(classes(dg), classes(dz)) << "seed " << seed << "\nold:\n"
                                            << policyText(old, dir, dflt) << "new:\n"
                                            << policyText(now, dir, dflt);
        differing += !dz.changes.empty();
        if (!dg.changes.empty()) {
            EXPECT_EQ(dg.solverCalls, 0u) << "seed " << seed;
        }
    }
    EXPECT_GT(differing, 20u) << "too few diffs with changes to compare";
    EXPECT_GT(geometric, 20u) << "the geometric diff did not apply";
}

}  // namespace
}  // namespace sluice::verify
