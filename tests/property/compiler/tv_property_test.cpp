// Translation validation: passes on the real lowering of random policies; catches each kind of
// deliberately broken lowering (test-only fault injection), naming the table and a packet on
// which the broken classifier and the source semantics differ.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "random_policy.h"
#include "rc_budget.h"
#include "sluice/compiler/validate.h"

namespace sluice {
namespace {

RC_GTEST_PROP(TranslationValidation, AcceptsCorrectLowering, ()) {
    uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    std::mt19937_64 rng(seed);
    auto policy = testing::randomPolicy(rng, {20, SLUICE_RC_CASES > 20});
    auto report = compiler::validateTranslation(*policy, {});
    RC_ASSERT(report.ok());
    if (!report->ok()) {
        RC_FAIL("seed " + std::to_string(seed) + ": " + report->failures[0].table + " " +
                report->failures[0].packet + " " + report->failures[0].detail);
    }
}

// A policy whose first group is big enough to become a tree.
std::shared_ptr<lang::Policy> treePolicy() {
    auto p = std::make_shared<lang::Policy>();
    lang::Layer l;
    l.name = "acl";
    lang::Group g;
    g.name = "sg";
    for (uint32_t i = 0; i < 40; ++i) {
        lang::Rule r;
        r.name = "r" + std::to_string(i);
        r.priority = i;
        lang::Condition src{lang::Field::SrcIp, {{(lang::u128(10) << 24) | (i << 8), (lang::u128(10) << 24) | (i << 8) | 255, lang::Family::V4, 24, {}}}, {}};
        lang::Condition port{lang::Field::DstPort, {{80 + i, 90 + 2 * i, lang::Family::None, -1, {}}}, {}};
        r.conditions = {src, port};
        r.action.verdict = i % 2 ? lang::Verdict::Allow : lang::Verdict::Deny;
        g.rules.push_back(r);
    }
    l.groups[1].push_back(g);
    p->layers.push_back(l);
    lang::Port port;
    port.name = "web";
    port.layers = {0};
    p->ports.push_back(port);
    return p;
}

TEST(TranslationValidation, CatchesDroppedLeafRow) {
    auto p = treePolicy();
    auto good = compiler::validateTranslation(*p, {});
    ASSERT_TRUE(good.ok()) << good.error().str();
    EXPECT_TRUE(good->ok());
    compiler::CompileOptions broken;
    broken.fault = compiler::FaultInjection::DropLeafRow;
    auto bad = compiler::validateTranslation(*p, broken);
    ASSERT_TRUE(bad.ok());
    ASSERT_FALSE(bad->ok());
    EXPECT_EQ(bad->failures[0].table, "acl/out/sg");
    EXPECT_NE(bad->failures[0].packet.find("->"), std::string::npos) << bad->failures[0].packet;
}

TEST(TranslationValidation, CatchesShiftedBound) {
    auto p = treePolicy();
    compiler::CompileOptions broken;
    broken.fault = compiler::FaultInjection::ShiftBound;
    auto bad = compiler::validateTranslation(*p, broken);
    ASSERT_TRUE(bad.ok());
    ASSERT_FALSE(bad->ok());
    EXPECT_EQ(bad->failures[0].table, "acl/out/sg");
}

RC_GTEST_PROP(TranslationValidation, CatchesFaultsInRandomPolicies, ()) {
    uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    std::mt19937_64 rng(seed);
    auto policy = testing::randomPolicy(rng, {20, SLUICE_RC_CASES > 20});
    compiler::CompileOptions broken;
    broken.fault = *rc::gen::element(compiler::FaultInjection::DropLeafRow, compiler::FaultInjection::ShiftBound);
    auto report = compiler::validateTranslation(*policy, broken);
    RC_ASSERT(report.ok());
    // A fault may be semantically harmless (e.g. a shadowed row removed); it must then be
    // harmless for the interpreter too, which the property test of the generated code covers.
    // Here we only require no crash and, when TV reports, a named table and a packet.
    for (const auto& f : report->failures) {
        RC_ASSERT(!f.table.empty());
        RC_ASSERT(!f.packet.empty());
    }
}

}  // namespace
}  // namespace sluice
