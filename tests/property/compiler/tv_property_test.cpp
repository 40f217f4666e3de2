// Translation validation: passes on the real lowering of random policies; catches each kind of
// deliberately broken lowering (test-only fault injection), naming the table and a packet on
// which the broken classifier and the source semantics differ.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "random_policy.h"
#include "rc_budget.h"
#include "sluice/compiler/compare.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"
#include "sluice/compiler/validate.h"
#include "sluice/interp/interpreter.h"

namespace sluice {
namespace {

RC_GTEST_PROP(TranslationValidation, AcceptsCorrectLowering, ()) {
    uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    std::mt19937_64 rng(seed);
    auto policy = testing::randomPolicy(rng, {20, SLUICE_RC_CASES > 20});
    // Both deciders: box arithmetic (with Z3 for what is not an exact box) and Z3 alone.
    for (bool boxes : {true, false}) {
        auto report = compiler::validateTranslation(*policy, {}, {boxes});
        RC_ASSERT(report.ok());
        if (!report->ok()) {
            RC_FAIL("seed " + std::to_string(seed) + (boxes ? " (boxes): " : " (z3): ") +
                    report->failures[0].table + " " + report->failures[0].packet + " " +
                    report->failures[0].detail);
        }
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

// True when code compiled from the broken lowering disagrees with the interpreter on some of
// `packets` random packets (any port, either direction): the fault changed behaviour.
bool faultChangesBehaviour(const std::shared_ptr<lang::Policy>& policy,
                           const compiler::CompileOptions& broken, std::mt19937_64& rng,
                           int packets) {
    auto compiled = compiler::compile(*policy, broken);
    RC_ASSERT(compiled.ok());
    interp::Interpreter interp(policy);
    for (int i = 0; i < packets; ++i) {
        lang::Headers h = testing::randomPacket(rng, *policy);
        sl_meta m = compiler::toMeta(h);
        for (uint32_t port = 0; port < policy->ports.size(); ++port) {
            for (auto dir : {lang::Direction::In, lang::Direction::Out}) {
                interp.clearSessions();
                sl_result got;
                (*compiled)->lookup(port, dir)(&m, &got);
                if (compiler::compareResults(*policy, *(*compiled)->descriptor(), port, dir, got,
                                             interp.evaluate(port, dir, h)))
                    return true;
            }
        }
    }
    return false;
}

// A case counts only when TV catches the fault (naming a table and a packet). A fault that TV
// does not report must be harmless: code built from it must agree with the interpreter, else
// TV missed a real fault. Harmless cases are discarded, so a run where TV catches nothing
// fails (rapidcheck gives up) instead of passing vacuously.
RC_GTEST_PROP(TranslationValidation, CatchesFaultsInRandomPolicies, ()) {
    uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    std::mt19937_64 rng(seed);
    auto policy = testing::randomPolicy(rng, {20, SLUICE_RC_CASES > 20});
    compiler::CompileOptions broken;
    broken.fault = *rc::gen::element(compiler::FaultInjection::DropLeafRow, compiler::FaultInjection::ShiftBound,
                                     compiler::FaultInjection::WrongAction, compiler::FaultInjection::IgnoreAudit,
                                     compiler::FaultInjection::DropLog);
    bool boxes = *rc::gen::arbitrary<bool>();
    auto report = compiler::validateTranslation(*policy, broken, {boxes});
    RC_ASSERT(report.ok());
    if (report->ok()) {
        if (faultChangesBehaviour(policy, broken, rng, 300))
            RC_FAIL("seed " + std::to_string(seed) +
                    ": TV accepted a broken lowering that changes behaviour");
        RC_DISCARD("the fault is harmless for this policy");
    }
    for (const auto& f : report->failures) {
        RC_ASSERT(!f.table.empty());
        RC_ASSERT(!f.packet.empty());
    }
}

}  // namespace
}  // namespace sluice
