// Property: for random policies and boundary-biased packets, the JIT-compiled pipeline agrees
// with the reference interpreter (verdict, final headers, output, per-layer rule, stateful
// flag) through the per-packet entry and through the burst entry at every size 0..64.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "random_policy.h"
#include "rc_budget.h"
#include "sluice/compiler/compare.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"

namespace sluice {
namespace {

void checkPolicy(uint64_t seed, int packets) {
    std::mt19937_64 rng(seed);
    auto policy = testing::randomPolicy(rng);
    auto compiled = compiler::compile(*policy, {});
    RC_ASSERT(compiled.ok());
    const sl_policy_desc* desc = (*compiled)->descriptor();
    RC_ASSERT(desc->n_entries == policy->ports.size() * 2);
    interp::Interpreter interp(policy);
    std::vector<lang::Headers> hs;
    for (int i = 0; i < packets; ++i) hs.push_back(testing::randomPacket(rng, *policy));
    std::vector<sl_meta> metas;
    for (const auto& h : hs) metas.push_back(compiler::toMeta(h));
    std::vector<const sl_meta*> ptrs;
    for (const auto& m : metas) ptrs.push_back(&m);
    for (uint32_t port = 0; port < policy->ports.size(); ++port) {
        for (auto dir : {lang::Direction::In, lang::Direction::Out}) {
            std::vector<interp::Result> want;
            for (const auto& h : hs) {
                interp.clearSessions();
                want.push_back(interp.evaluate(port, dir, h));
            }
            sl_pipeline_fn one = (*compiled)->lookup(port, dir);
            sl_pipeline_burst_fn burst = (*compiled)->lookupBurst(port, dir);
            RC_ASSERT(one != nullptr && burst != nullptr);
            for (size_t i = 0; i < hs.size(); ++i) {
                sl_result r;
                one(&metas[i], &r);
                auto diff = compiler::compareResults(*policy, *desc, port, dir, r, want[i]);
                if (diff) {
                    RC_FAIL("seed " + std::to_string(seed) + " port " + std::to_string(port) + " " +
                            lang::directionName(dir) + " packet " + lang::formatPacketText(hs[i]) +
                            ": " + *diff + "\ncompiled: " + compiler::resultText(*policy, *desc, r) +
                            "interpreter: " + interp::resultToText(*policy, port, dir, want[i]));
                }
            }
            for (uint32_t n = 0; n <= 64 && n <= hs.size(); ++n) {
                std::vector<sl_result> out(n + 1);
                std::memset(out.data(), 0xab, sizeof(sl_result) * (n + 1));
                burst(ptrs.data(), out.data(), n);
                const auto* canary = reinterpret_cast<const unsigned char*>(&out[n]);
                for (size_t b = 0; b < sizeof(sl_result); ++b) RC_ASSERT(canary[b] == 0xab);
                for (uint32_t i = 0; i < n; ++i) {
                    auto diff = compiler::compareResults(*policy, *desc, port, dir, out[i], want[i]);
                    if (diff) RC_FAIL("burst " + std::to_string(n) + " index " + std::to_string(i) + ": " + *diff);
                }
            }
        }
    }
}

RC_GTEST_PROP(CompilerProperty, GeneratedCodeAgreesWithInterpreter, ()) {
    uint64_t seed = *rc::gen::arbitrary<uint64_t>();
    checkPolicy(seed, 96);
}

TEST(CompilerProperty, FixedSeedsAgree) {
    // A handful of fixed seeds so a regression replays without rapidcheck's shrinking.
    for (uint64_t seed : {1ull, 2ull, 3ull, 42ull, 1234567ull}) {
        std::mt19937_64 rng(seed);
        auto policy = testing::randomPolicy(rng);
        auto compiled = compiler::compile(*policy, {});
        ASSERT_TRUE(compiled.ok()) << compiled.error().str();
        interp::Interpreter interp(policy);
        for (int i = 0; i < 200; ++i) {
            lang::Headers h = testing::randomPacket(rng, *policy);
            sl_meta m = compiler::toMeta(h);
            for (uint32_t port = 0; port < policy->ports.size(); ++port) {
                for (auto dir : {lang::Direction::In, lang::Direction::Out}) {
                    interp.clearSessions();
                    interp::Result want = interp.evaluate(port, dir, h);
                    sl_result got;
                    (*compiled)->lookup(port, dir)(&m, &got);
                    auto diff = compiler::compareResults(*policy, *(*compiled)->descriptor(), port, dir, got, want);
                    ASSERT_FALSE(diff.has_value())
                        << "seed " << seed << " " << lang::formatPacketText(h) << ": " << *diff
                        << "\ncompiled: " << compiler::resultText(*policy, *(*compiled)->descriptor(), got)
                        << "interpreter: " << interp::resultToText(*policy, port, dir, want);
                }
            }
        }
    }
}

// How many (packet, port, direction) results of code built with `fault` the comparison flags.
size_t mismatchesWith(compiler::FaultInjection fault) {
    size_t mismatches = 0;
    for (uint64_t seed = 1; seed <= 40 && mismatches == 0; ++seed) {
        std::mt19937_64 rng(seed);
        auto policy = testing::randomPolicy(rng);
        compiler::CompileOptions broken;
        broken.fault = fault;
        auto compiled = compiler::compile(*policy, broken);
        EXPECT_TRUE(compiled.ok());
        if (!compiled.ok()) return 0;
        interp::Interpreter interp(policy);
        for (int i = 0; i < 500; ++i) {
            lang::Headers h = testing::randomPacket(rng, *policy);
            sl_meta m = compiler::toMeta(h);
            for (uint32_t port = 0; port < policy->ports.size(); ++port) {
                for (auto dir : {lang::Direction::In, lang::Direction::Out}) {
                    interp.clearSessions();
                    sl_result got;
                    (*compiled)->lookup(port, dir)(&m, &got);
                    mismatches += compiler::compareResults(*policy, *(*compiled)->descriptor(), port, dir, got,
                                                           interp.evaluate(port, dir, h)).has_value();
                }
            }
        }
    }
    return mismatches;
}

TEST(CompilerProperty, HarnessDetectsBrokenCode) {
    // The same comparison must flag generated code built from a deliberately broken lowering:
    // a classifier bound, audit layers lowered as ordinary ones, `log` flags lost.
    EXPECT_GT(mismatchesWith(compiler::FaultInjection::ShiftBound), 0u);
    EXPECT_GT(mismatchesWith(compiler::FaultInjection::IgnoreAudit), 0u) << "audit lost unnoticed";
    EXPECT_GT(mismatchesWith(compiler::FaultInjection::DropLog), 0u) << "log bits lost unnoticed";
}

}  // namespace
}  // namespace sluice
