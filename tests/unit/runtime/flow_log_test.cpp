// Flow logs without EAL (issue 14 item 4): the per-worker ring (bounded, counted drops, order,
// one producer and one consumer at once), the JSON-lines file and its size-based rotation, a
// clear error for an unwritable path, and events built from pipeline results with the names
// of the descriptor.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "flow_log_file.h"
#include "flow_log_ring.h"
#include "flow_logger.h"
#include "sluice/runtime/flow.h"
#include "sluice/runtime/flow_log.h"

namespace sluice::rt {
namespace {

namespace fs = std::filesystem;

FlowLogEvent numbered(uint32_t i) {
    FlowLogEvent e;
    e.timeNs = i;
    e.rule = i;
    return e;
}

TEST(FlowLogRing, FullRingCountsDropsAndKeepsOrder) {
    FlowLogRing ring(8);
    for (uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(ring.push(numbered(i)));
    EXPECT_FALSE(ring.push(numbered(99)));
    EXPECT_FALSE(ring.push(numbered(100)));
    EXPECT_EQ(ring.dropped(), 2u);
    FlowLogEvent e;
    for (uint32_t i = 0; i < 8; ++i) {
        ASSERT_TRUE(ring.pop(e));
        EXPECT_EQ(e.rule, i);
    }
    EXPECT_FALSE(ring.pop(e));
    // Wraps around.
    for (uint32_t round = 0; round < 5; ++round) {
        for (uint32_t i = 0; i < 6; ++i) EXPECT_TRUE(ring.push(numbered(round * 10 + i)));
        for (uint32_t i = 0; i < 6; ++i) {
            ASSERT_TRUE(ring.pop(e));
            EXPECT_EQ(e.rule, round * 10 + i);
        }
    }
    EXPECT_EQ(ring.dropped(), 2u);
}

TEST(FlowLogRing, OneProducerOneConsumerLoseNothingButCountedDrops) {
    FlowLogRing ring(64);
    constexpr uint32_t kEvents = 200000;
    uint64_t popped = 0;
    uint32_t last = 0;
    bool ordered = true;
    std::thread producer([&] {
        for (uint32_t i = 1; i <= kEvents; ++i) ring.push(numbered(i));
    });
    FlowLogEvent e;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (popped + ring.dropped() < kEvents && std::chrono::steady_clock::now() < deadline) {
        if (!ring.pop(e)) continue;
        ordered = ordered && e.rule > last;
        last = e.rule;
        ++popped;
    }
    producer.join();
    while (ring.pop(e)) ++popped;
    EXPECT_TRUE(ordered);
    EXPECT_EQ(popped + ring.dropped(), kEvents);
}

class FlowLogFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_flowlog_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(FlowLogFileTest, RotatesBySizeAndKeepsNFiles) {
    std::string path = (dir_ / "flows.jsonl").string();
    FlowLogFile f;
    ASSERT_TRUE(f.open(path, 100, 2).ok());
    std::string line(39, 'x');  // 40 bytes a line with its newline: 2 lines a file
    for (int i = 0; i < 9; ++i) {
        line[0] = static_cast<char>('0' + i);
        ASSERT_TRUE(f.write(line));
    }
    EXPECT_EQ(f.rotations(), 4u);
    EXPECT_EQ(f.writeErrors(), 0u);
    EXPECT_TRUE(fs::exists(path));
    EXPECT_TRUE(fs::exists(path + ".1"));
    EXPECT_TRUE(fs::exists(path + ".2"));
    EXPECT_FALSE(fs::exists(path + ".3"));  // keep 2
    for (const std::string& p : {path, path + ".1", path + ".2"}) EXPECT_LE(fs::file_size(p), 100u);
    auto firstChars = [](const std::string& p) {
        std::ifstream in(p);
        std::string s, l;
        while (std::getline(in, l)) s += l[0];
        return s;
    };
    EXPECT_EQ(firstChars(path), "8");
    EXPECT_EQ(firstChars(path + ".1"), "67");
    EXPECT_EQ(firstChars(path + ".2"), "45");
}

TEST_F(FlowLogFileTest, UnwritablePathIsAClearErrorAtOpen) {
    FlowLogFile f;
    Status s = f.open((dir_ / "missing" / "flows.jsonl").string(), 1000, 1);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("flow_log.path: cannot open"), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find("No such file"), std::string::npos) << s.error().message;
    Status d = f.open(dir_.string(), 1000, 1);  // a directory
    EXPECT_FALSE(d.ok());
    fs::create_symlink("/etc/passwd", dir_ / "link");
    Status l = f.open((dir_ / "link").string(), 1000, 1);  // a symlink is not followed
    EXPECT_FALSE(l.ok());
}

// The logger of a daemon, without EAL: rings drained to the file and to subscribers with
// filters; a stuck subscriber's buffer is bounded and its losses counted, never blocking the
// drain; at most max_monitors subscribers.
TEST_F(FlowLogFileTest, LoggerDrainsRingsToFileAndBoundedSubscribers) {
    FlowLogConfig cfg;
    cfg.path = (dir_ / "flows.jsonl").string();
    cfg.ringEntries = 16;
    cfg.maxMonitors = 2;
    cfg.monitorBufferBytes = 8000;  // ten JSON lines fit, not 220 text lines
    FlowLogger logger(cfg, 2);
    ASSERT_TRUE(logger.open().ok());
    auto deny = logger.subscribe({std::nullopt, SL_VERDICT_DENY, true});
    auto stuck = logger.subscribe({std::nullopt, std::nullopt, false});
    ASSERT_TRUE(deny && stuck);
    EXPECT_FALSE(logger.subscribe({}).has_value()) << "max_monitors";
    for (uint32_t i = 0; i < 20; ++i) {
        FlowLogEvent e = numbered(i);
        e.verdict = i % 2 ? SL_VERDICT_DENY : SL_VERDICT_ALLOW;
        logger.push(i % 2, e);  // 10 per worker ring of 16
    }
    EXPECT_EQ(logger.drain(nullptr), 20u);
    std::string lines;
    uint64_t lost = 0;
    ASSERT_TRUE(logger.take(*deny, lines, lost));
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 10);  // denies only
    EXPECT_EQ(lost, 0u);
    EXPECT_NE(lines.find("\"schema_version\":1"), std::string::npos) << lines;
    // The stuck subscriber never takes: its buffer fills, the rest is counted as lost.
    for (int round = 0; round < 20; ++round) {
        for (uint32_t i = 0; i < 10; ++i) logger.push(0, numbered(i));
        logger.drain(nullptr);
    }
    FlowLogger::Counters c = logger.counters();
    EXPECT_EQ(c.written, 220u);
    EXPECT_GT(c.monitorLost, 0u);
    EXPECT_EQ(c.monitors, 2u);
    ASSERT_TRUE(logger.take(*stuck, lines, lost));
    EXPECT_LE(lines.size(), cfg.monitorBufferBytes);
    EXPECT_GT(lost, 0u);
    logger.unsubscribe(*stuck);
    EXPECT_FALSE(logger.take(*stuck, lines, lost));
    EXPECT_TRUE(logger.subscribe({}).has_value());
    // A full ring: counted, not waited on.
    for (uint32_t i = 0; i < 40; ++i) logger.push(1, numbered(i));
    EXPECT_EQ(logger.counters().dropped, 24u);
    std::ifstream in(cfg.path);
    size_t fileLines = 0;
    for (std::string l; std::getline(in, l);) ++fileLines;
    EXPECT_EQ(fileLines, 220u);
}

TEST(FlowLogEvents, DecisionAndNamesFromTheDescriptor) {
    // Two layers; rule 0 (sg/g/ssh) denies and is logged, rule 1 (acl/g/web) allows.
    sl_rule_info rules[2] = {};
    rules[0].layer = "sg";
    rules[0].group = "g";
    rules[0].rule = "ssh";
    rules[0].log = 1;
    rules[1].layer = "acl";
    rules[1].group = "g";
    rules[1].rule = "web";
    const char* layerNames[] = {"sg", "acl"};
    uint32_t layers[] = {0, 1};
    sl_entry entries[2] = {};
    entries[1].port = 0;
    entries[1].direction = SL_DIR_OUT;
    entries[1].port_name = "web1";
    entries[1].n_layers = 2;
    entries[1].layers = layers;
    entries[0] = entries[1];
    entries[0].direction = SL_DIR_IN;
    sl_policy_desc desc{};
    desc.abi_version = SL_ABI_VERSION;
    desc.n_entries = 2;
    desc.entries = entries;
    desc.n_rules = 2;
    desc.n_layers = 2;
    desc.rules = rules;
    desc.layer_names = layerNames;

    sl_result r{};
    r.verdict = SL_VERDICT_ALLOW;
    r.n_steps = 2;
    r.step_rule[0] = 0;
    r.step_rule[1] = 1;
    r.log_mask = 1;    // step 0 logged
    r.audit_mask = 1;  // ... and an audit would-deny there
    EXPECT_TRUE(flowLogWanted(r));
    sl_result plain = r;
    plain.log_mask = plain.audit_mask = 0;
    EXPECT_FALSE(flowLogWanted(plain));

    FlowLogEvent e;
    e.timeNs = 1'796'000'000'123'456'789ull;
    e.port = 0;
    e.direction = SL_DIR_OUT;
    e.family = SL_FAMILY_V4;
    e.proto = 6;
    e.src.lo = 0x0a000001;
    e.dst.lo = 0x0a000002;
    e.srcPort = 40000;
    e.dstPort = 22;
    fillDecision(e, r, entries[1]);
    EXPECT_EQ(e.layer, 0u);  // the last logged step decides the log line of an allow
    EXPECT_EQ(e.rule, 0u);
    EXPECT_EQ(e.flags, kFlowLogged | kFlowAudit);
    auto j = nlohmann::json::parse(flowLogJson(e, &desc));
    EXPECT_EQ(j["schema_version"], 1);
    EXPECT_EQ(j["port"], "web1");
    EXPECT_EQ(j["direction"], "out");
    EXPECT_EQ(j["src_ip"], "10.0.0.1");
    EXPECT_EQ(j["dst_port"], 22);
    EXPECT_EQ(j["verdict"], "allow");
    EXPECT_TRUE(j["drop_reason"].is_null());
    EXPECT_EQ(j["layer"], "sg");
    EXPECT_EQ(j["rule"], "ssh");
    EXPECT_EQ(j["audit_would_deny"], true);
    EXPECT_EQ(j["audit_rule"], "ssh");
    EXPECT_EQ(j["time"], "2026-11-30T00:53:20.123456Z");
    std::string text = flowLogText(e, &desc);
    EXPECT_NE(text.find("web1 out tcp 10.0.0.1:40000 -> 10.0.0.2:22 allow layer sg rule ssh [log]"),
              std::string::npos) << text;
    EXPECT_NE(text.find("[audit: would deny at sg/ssh]"), std::string::npos) << text;

    // A deny at step 1 (a default deny of acl): the denying step decides.
    sl_result d{};
    d.verdict = SL_VERDICT_DENY;
    d.out_kind = SL_OUT_DROP;
    d.n_steps = 2;
    d.step_rule[0] = 0;
    d.step_rule[1] = SL_NO_RULE;
    d.log_mask = 1;
    FlowLogEvent de;
    de.dropReason = static_cast<uint8_t>(DropReason::PolicyDeny);
    fillDecision(de, d, entries[1]);
    EXPECT_EQ(de.layer, 1u);
    EXPECT_EQ(de.rule, SL_NO_RULE);
    EXPECT_EQ(de.flags, kFlowLogged | kFlowDrop);
    auto dj = nlohmann::json::parse(flowLogJson(de, &desc));
    EXPECT_EQ(dj["layer"], "acl");
    EXPECT_TRUE(dj["rule"].is_null());
    EXPECT_EQ(dj["drop_reason"], "policy_deny");
}

}  // namespace
}  // namespace sluice::rt
