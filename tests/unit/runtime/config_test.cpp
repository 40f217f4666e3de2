// The `sluice run` config: every bad input is a clear error; good input is parsed as documented
// in docs/operations.md; the compile cache keeps compiled pipelines across restarts.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "sluice/lang/frontend.h"
#include "sluice/runtime/config.h"
#include "sluice/runtime/slow_path.h"
#include "pipelines/pipelines.h"

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

// `flow_log` (issue 14 item 4): defaults, a path beside the config, and each bad key named.
TEST(RunConfig, FlowLogSectionIsCheckedWithItsLocation) {
    auto c = parseRunConfig(
        R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"},
            "flow_log": {"path": "flows.jsonl", "all_drops": true, "keep": 3}})", "/etc/sluice");
    ASSERT_TRUE(c.ok()) << c.error().str();
    ASSERT_TRUE(c->flowLog.has_value());
    EXPECT_EQ(c->flowLog->path, "/etc/sluice/flows.jsonl");
    EXPECT_TRUE(c->flowLog->allDrops);
    EXPECT_EQ(c->flowLog->keep, 3u);
    EXPECT_EQ(c->flowLog->maxBytes, 64u << 20);
    EXPECT_FALSE(parseRunConfig(kMinimal, "")->flowLog.has_value());
    struct Case {
        const char* flowLog;
        const char* mentions;
    } cases[] = {
        {R"({"ring_entries": 1000})", "flow_log.ring_entries: must be a power of two"},
        {R"({"ring_entries": 8})", "flow_log.ring_entries: must be 64.."},
        {R"({"max_bytes": 10})", "flow_log.max_bytes: must be 4096.."},
        {R"({"keep": -1})", "flow_log.keep: must be an integer"},
        {R"({"all_drops": "yes"})", "flow_log.all_drops: must be true or false"},
        {R"({"path": 7})", "flow_log.path: must be a string"},
        {R"({"rotate": 1})", "flow_log.rotate: unknown key"},
        {R"([])", "flow_log: must be an object"},
    };
    for (const Case& k : cases) {
        std::string json = std::string(R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, "flow_log": )") +
                           k.flowLog + "}";
        auto bad = parseRunConfig(json, "");
        ASSERT_FALSE(bad.ok()) << k.flowLog;
        EXPECT_NE(bad.error().str().find(k.mentions), std::string::npos)
            << k.flowLog << ": " << bad.error().str();
    }
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

TEST(DeviceSpec, EveryKindParsesAndAMissingNameIsAnError) {
    struct Case {
        const char* text;
        DeviceSpec::Kind kind;
        const char* name;
    } good[] = {
        {"af_packet:veth0", DeviceSpec::Kind::AfPacket, "veth0"},
        {"af_xdp:veth1", DeviceSpec::Kind::AfXdp, "veth1"},
        {"tap:t0", DeviceSpec::Kind::Tap, "t0"},
        {"ring:r1", DeviceSpec::Kind::Ring, "r1"},
        {"pci:0000:01:00.0", DeviceSpec::Kind::Pci, "0000:01:00.0"},
        {"null", DeviceSpec::Kind::Null, ""},
    };
    for (const Case& c : good) {
        auto d = parseDeviceSpec(c.text);
        ASSERT_TRUE(d.ok()) << c.text << ": " << d.error().str();
        EXPECT_EQ(d->kind, c.kind) << c.text;
        EXPECT_EQ(d->name, c.name) << c.text;
    }
    for (const char* bad : {"af_xdp:", "af_xdp", "af_xdp:a,b", "af_packet:", "xdp:veth0"}) {
        auto d = parseDeviceSpec(bad);
        ASSERT_FALSE(d.ok()) << bad;
        EXPECT_NE(d.error().str().find(bad), std::string::npos) << d.error().str();
    }
}

TEST(RunConfig, DurationsNeverWrap) {
    EXPECT_EQ(parseDurationMs("5m"), 300000u);
    EXPECT_EQ(parseDurationMs("5124095576030h"), 5124095576030ull * 3600000);
    EXPECT_EQ(parseDurationMs("9999999999999h"), std::nullopt);  // wrapped around before
    EXPECT_EQ(parseDurationMs("9999999999999s"), 9999999999999ull * 1000);
    EXPECT_EQ(parseDurationMs("12x"), std::nullopt);
}

// Issue 9: values that used to wrap or be accepted silently. Each is an error naming the JSON
// path of the offending value.
TEST(RunConfig, NumbersAreRangeCheckedTypesCheckedUnknownKeysRejected) {
    struct Case {
        const char* extra;  // members added to the minimal config
        const char* mentions;
    } cases[] = {
        {R"("workers": 4294967297)", "workers: must be 1..16"},
        {R"("workers": -1)", "workers"},
        {R"("workers": 1.5)", "workers"},
        {R"("workers": "2")", "workers"},
        {R"("burst": 4294967328)", "burst: must be 1..64"},
        {R"("sessions": {"max_per_port": 4294967298})", "sessions.max_per_port: must be 2..4194304"},
        {R"("sessions": {"max_per_port": 1})", "sessions.max_per_port"},
        {R"("sessions": 5)", "sessions: must be an object"},
        {R"("sessions": {"udp_timout": "1s"})", "sessions.udp_timout: unknown key"},
        {R"("sessions": {"udp_timeout": "4294967297ms"})", "sessions.udp_timeout: must be"},
        {R"("sessions": {"udp_timeout": 0})", "sessions.udp_timeout"},
        {R"("sessions": {"scan_interval": "2h"})", "sessions.scan_interval"},
        {R"("vms": [{"vni": 4294967396, "ip": "10.0.0.1", "host": "10.1.0.1"}])",
         "vms[0].vni: must be 0..16777215"},
        {R"("vms": [{"vni": 1, "ip": "10.0.0.1", "host": "10.1.0.1", "hots": 1}])",
         "vms[0].hots: unknown key"},
        {R"("vms": [{"vni": 1, "ip": "10.0.0.1"}])", "vms[0]: needs"},
        {R"("vms": {"vni": 1})", "vms: must be an array"},
        {R"("hosts": [{"address": "10.1.0.1", "mtu": 9000}])", "hosts[0].mtu: unknown key"},
        {R"("hosts": ["10.1.0.1"])", "hosts[0]: must be an object"},
        {R"("uplink": {"device": "ring:u", "address": "10.1.0.1", "vlan": 3})",
         "uplink.vlan: unknown key"},
        {R"("uplink": {"device": "ring:u", "address": 7})", "uplink.address: must be a string"},
        {R"("uplink": {"device": "ring:r1", "address": "10.1.0.1"})", "already bound"},
        {R"("eal": "--no-huge")", "eal: must be an array"},
        {R"("eal": [1])", "eal[0]: must be a string"},
        {R"("file_prefix": "a b")", "file_prefix"},
        {R"("control_socket": 5)", "control_socket: must be a string"},
        {R"("gateway_mac": "02:00")", "gateway_mac: bad MAC"},
        {R"("hugepages": true)", "hugepages"},
    };
    for (const Case& c : cases) {
        std::string json = std::string(R"({"policy": "p.sl", "ports": {"vm1": "ring:r1"}, )") +
                           c.extra + "}";
        auto parsed = parseRunConfig(json, "/tmp");
        ASSERT_FALSE(parsed.ok()) << json;
        EXPECT_NE(parsed.error().str().find(c.mentions), std::string::npos)
            << json << " -> " << parsed.error().str();
    }
    auto dup = parseRunConfig(R"({"policy": "p.sl", "ports": {"vm1": "ring:r", "vm2": "ring:r"}})", "");
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().str().find("already bound"), std::string::npos) << dup.error().str();
    auto obj = parseRunConfig(R"({"policy": "p.sl", "ports": {"vm1": {"device": "ring:r", "x": 1}}})", "");
    ASSERT_FALSE(obj.ok());
    EXPECT_NE(obj.error().str().find("ports.vm1.x: unknown key"), std::string::npos)
        << obj.error().str();
}

TEST(RunConfig, LimitsThemselvesAreAccepted) {
    auto c = parseRunConfig(
        R"({"policy": "p.sl", "ports": {"vm1": {"device": "ring:r1"}}, "workers": 16, "burst": 64,
            "sessions": {"max_per_port": 4194304, "udp_timeout": "720h", "scan_interval": "60s"},
            "vms": [{"vni": 16777215, "ip": "10.0.0.1", "host": "10.1.0.1"}]})",
        "");
    ASSERT_TRUE(c.ok()) << c.error().str();
    EXPECT_EQ(c->workers, 16u);
    EXPECT_EQ(c->sessions.maxPerPort, 4194304u);
    EXPECT_EQ(c->sessions.udpMs, 720ull * 3600 * 1000);
    EXPECT_EQ(c->vms[0].vni, 16777215u);
}

TEST(RunConfig, SyntaxErrorsHaveLineAndColumnAndFilesMustBeRegular) {
    auto c = parseRunConfig("{\n  \"policy\": \"p.sl\",\n  \"ports\": {,}\n}", "");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().where, "3:13") << c.error().str();
    fs::path dir = fs::temp_directory_path() / ("sluice-cfg-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::path fifo = dir / "fifo.json";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    auto f = loadRunConfig(fifo.string());  // must not wait for a writer
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().str().find("regular file"), std::string::npos) << f.error().str();
    auto z = loadRunConfig("/dev/zero");
    ASSERT_FALSE(z.ok());
    fs::path bad = dir / "bad.json";
    std::ofstream(bad) << "{\"policy\": \"p.sl\",\n \"workers\": }";
    auto b = loadRunConfig(bad.string());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().where, bad.string() + ":2:13") << b.error().str();
    fs::remove_all(dir);
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
    auto first = pipelines::compiledArtifact(policy, dir.string());
    if (!first.ok() && first.error().str().find("no compiler module") != std::string::npos) {
        GTEST_SKIP() << first.error().str();
    }
    ASSERT_TRUE(first.ok()) << first.error().str();
    std::vector<fs::path> objects;
    for (const auto& e : fs::directory_iterator(dir)) objects.push_back(e.path());
    ASSERT_EQ(objects.size(), 1u);
    auto stamp = fs::last_write_time(objects[0]);
    auto second = pipelines::compiledArtifact(policy, dir.string());
    ASSERT_TRUE(second.ok()) << second.error().str();
    size_t count = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++count;
    }
    EXPECT_EQ(count, 1u);
    EXPECT_EQ(fs::last_write_time(objects[0]), stamp);  // loaded, not rewritten
    EXPECT_EQ(first.value().slowPath->descriptor().n_rules,
              second.value().slowPath->descriptor().n_rules);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace sluice::rt
