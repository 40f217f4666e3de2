// The `sluice run` config: every bad input is a clear error; good input is parsed as documented
// in docs/operations.md; the compile cache keeps compiled pipelines across restarts.
#include <gtest/gtest.h>

#include <filesystem>

#include "sluice/lang/frontend.h"
#include "sluice/runtime/config.h"
#include "sluice/runtime/slow_path.h"

namespace sluice::rt {
namespace {

namespace fs = std::filesystem;

const char* kMinimal = R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}})";

TEST(RunConfig, MinimalConfigResolvesThePolicyBesideIt) {
    auto c = parseRunConfig(kMinimal, "/etc/sluice");
    ASSERT_TRUE(c.ok()) << c.error().str();
    EXPECT_EQ(c->policyPath, "/etc/sluice/p.sl");
    EXPECT_EQ(c->slowPath, "auto");
    EXPECT_TRUE(c->compileCache.empty());
}

TEST(RunConfig, CompileCacheIsRelativeToTheConfig) {
    auto c = parseRunConfig(
        R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "compile_cache": "cache"})", "/etc/sluice");
    ASSERT_TRUE(c.ok()) << c.error().str();
    EXPECT_EQ(c->compileCache, "/etc/sluice/cache");
}

TEST(RunConfig, BadInputIsAClearError) {
    struct Case {
        const char* json;
        const char* mentions;
    } cases[] = {
        {"{", "JSON"},
        {"[]", "object"},
        {R"({"ports": {"vm1": "ring:r1"}})", "policy"},
        {R"({"policy": "p.sl"})", "ports"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "colour": 1})", "colour"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "slow_path": "fast"})", "slow_path"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "workers": 0})", "workers"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "burst": 1000})", "burst"},
        {R"({"policy": 5, "ports": {"vm1": "ring:r1"}})", "policy"},
        // Issue 9: wide numbers were narrowed (2^32 + 1 workers became 1) instead of refused.
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "workers": 4294967297})", "workers"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "burst": 4294967328})", "burst"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "workers": -1})", "workers"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "workers": 2.5})", "workers"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"},)"
         R"( "sessions": {"max_per_port": 4294967298}})", "max_per_port"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"},)"
         R"( "vms": [{"vni": 4294967396, "ip": "10.0.0.1", "host": "10.0.0.2"}]})", "vni"},
        {R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"},)"
         R"( "sessions": {"udp_timeout": "9999999999999h"}})", "udp_timeout"},
    };
    for (const Case& c : cases) {
        auto parsed = parseRunConfig(c.json, "/tmp");
        ASSERT_FALSE(parsed.ok()) << c.json;
        EXPECT_NE(parsed.error().str().find(c.mentions), std::string::npos)
            << c.json << " -> " << parsed.error().str();
    }
}

TEST(RunConfig, DurationsNeverWrap) {
    EXPECT_EQ(parseDurationMs("5m"), 300000u);
    EXPECT_EQ(parseDurationMs("5124095576030h"), 5124095576030ull * 3600000);
    EXPECT_EQ(parseDurationMs("9999999999999h"), std::nullopt);  // wrapped around before
    EXPECT_EQ(parseDurationMs("9999999999999s"), 9999999999999ull * 1000);
    EXPECT_EQ(parseDurationMs("12x"), std::nullopt);
}

TEST(CompileCache, SecondCompileOfTheSamePolicyReusesTheObject) {
    lang::Frontend fe;
    auto policy = fe.loadString(
        "cache.sl",
        "port vm1 { mac 02:00:00:00:00:01; ip 10.0.0.1; vni 1; layers acl; }\n"
        "layer acl { default deny; out { group g priority 1 {\n"
        "  rule web priority 1 match proto tcp dst_port 80 action allow; } } }\n");
    ASSERT_NE(policy, nullptr);
    fs::path dir = fs::temp_directory_path() / ("sluice-cache-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    auto first = compilePolicySlowPath(policy, dir.string());
    if (!first.ok() && first.error().str().find("no compiler module") != std::string::npos) {
        GTEST_SKIP() << first.error().str();
    }
    ASSERT_TRUE(first.ok()) << first.error().str();
    std::vector<fs::path> objects;
    for (const auto& e : fs::directory_iterator(dir)) objects.push_back(e.path());
    ASSERT_EQ(objects.size(), 1u);
    auto stamp = fs::last_write_time(objects[0]);
    auto second = compilePolicySlowPath(policy, dir.string());
    ASSERT_TRUE(second.ok()) << second.error().str();
    size_t count = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++count;
    }
    EXPECT_EQ(count, 1u);
    EXPECT_EQ(fs::last_write_time(objects[0]), stamp);  // loaded, not rewritten
    EXPECT_EQ(first.value()->descriptor().n_rules, second.value()->descriptor().n_rules);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice::rt
