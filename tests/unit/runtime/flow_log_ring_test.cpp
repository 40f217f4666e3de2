// Flow logs end to end on ring devices (issue 14 item 4): real frames through the datapath; a
// ping decided by a `log` rule and a TCP flow with an audit would-deny appear in the flow-log
// file and to a `monitor` subscriber, with rule names from the descriptor; with all_drops a
// denied flow appears with its drop reason; the file rotates; a subscriber that never reads
// loses lines (counted) while every packet still gets through.
#include <filesystem>
#include <fstream>

#include "harness.h"
#include "pipelines/pipelines.h"

namespace sluice::rt::test {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kGwMac = 0x0200000000feULL;
const uint32_t kIp1 = ip4("10.10.0.1"), kIp2 = ip4("10.10.0.2");

const char* kPolicy = R"(
port vm1 { mac 02:00:00:0a:00:01; ip 10.10.0.1; vni 100; layers sg; }
port vm2 { mac 02:00:00:0a:00:02; ip 10.10.0.2; vni 100; layers trial, sg; }
layer sg {
    default deny;
    out { group egress priority 10 { rule all_out priority 10 action allow; } }
    in {
        group ingress priority 10 {
            rule ping priority 10 match proto icmp action allow log;
            rule web priority 20 match proto tcp dst_port 8080 action allow;
        }
    }
}
// Trying a rule that would close 8080: audit records, lets through.
layer trial {
    audit;
    default allow;
    in { group g priority 1 { rule no_web priority 1 match proto tcp dst_port 8080 action deny; } }
}
)";

class FlowLogRing : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice_flowring_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::ofstream(dir_ / "p.sl") << kPolicy;
    }
    void TearDown() override { fs::remove_all(dir_); }
    nlohmann::json config(const nlohmann::json& flowLog) {
        return {{"policy", (dir_ / "p.sl").string()},
                {"slow_path", "auto"},
                {"ports", {{"vm1", "ring:f1"}, {"vm2", "ring:f2"}}},
                {"uplink", {{"device", "ring:fup"}, {"address", "192.168.100.1"}}},
                {"sessions", {{"scan_interval", "20ms"}}},
                {"flow_log", flowLog}};
    }
    // JSON lines of the file (and its rotated files, oldest first), waiting for `n` of them.
    std::vector<nlohmann::json> fileLines(size_t n, int keep = 0) {
        std::vector<nlohmann::json> out;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        do {
            out.clear();
            for (int k = keep; k >= 0; --k) {
                fs::path p = dir_ / (k == 0 ? "flows.jsonl" : "flows.jsonl." + std::to_string(k));
                std::ifstream in(p);
                for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
            }
            if (out.size() >= n) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } while (std::chrono::steady_clock::now() < deadline);
        return out;
    }
    fs::path dir_;
};

TEST_F(FlowLogRing, LoggedRuleAuditAndDropsReachFileAndMonitor) {
    Harness h(config({{"path", (dir_ / "flows.jsonl").string()}, {"all_drops", true}}));
    ASSERT_TRUE(h.rt);
    auto sub = h.ctl({{"cmd", "monitor"}, {"op", "subscribe"}, {"format", "json"}});
    ASSERT_TRUE(sub.value("ok", false)) << sub.dump();
    uint64_t id = nlohmann::json::parse(sub["output"].get<std::string>())["id"];
    auto bad = h.ctl({{"cmd", "monitor"}, {"op", "subscribe"}, {"port", "nope"}});
    EXPECT_FALSE(bad.value("ok", true));
    EXPECT_NE(bad.value("error", std::string()).find("no port named 'nope'"), std::string::npos);

    auto ping = h.exchange("f1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 1, 7, 0)}, "f2", 1);
    EXPECT_EQ(ping.size(), 1u);  // logged, allowed
    auto web = h.exchange("f1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 40000, 8080, 0x02)}, "f2", 1);
    EXPECT_EQ(web.size(), 1u);  // audit would deny; delivered
    auto closed = h.exchange("f1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 40001, 9090, 0x02)}, "f2", 1);
    EXPECT_TRUE(closed.empty());  // denied: all_drops logs it

    auto lines = fileLines(3);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["schema_version"], 1);
    EXPECT_EQ(lines[0]["port"], "vm2");
    EXPECT_EQ(lines[0]["direction"], "in");
    EXPECT_EQ(lines[0]["proto"], "icmp");
    EXPECT_EQ(lines[0]["rule"], "ping");
    EXPECT_EQ(lines[0]["logged"], true);
    EXPECT_EQ(lines[0]["verdict"], "allow");
    EXPECT_EQ(lines[1]["dst_port"], 8080);
    EXPECT_EQ(lines[1]["audit_would_deny"], true);
    EXPECT_EQ(lines[1]["audit_layer"], "trial");
    EXPECT_EQ(lines[1]["audit_rule"], "no_web");
    EXPECT_EQ(lines[1]["verdict"], "allow");
    EXPECT_EQ(lines[2]["dst_port"], 9090);
    EXPECT_EQ(lines[2]["verdict"], "deny");
    EXPECT_EQ(lines[2]["drop_reason"], "policy_deny");
    EXPECT_EQ(lines[2]["layer"], "sg");
    EXPECT_TRUE(lines[2]["rule"].is_null());  // sg's default deny

    auto taken = h.ctl({{"cmd", "monitor"}, {"op", "take"}, {"id", id}});
    ASSERT_TRUE(taken.value("ok", false)) << taken.dump();
    auto t = nlohmann::json::parse(taken["output"].get<std::string>());
    std::string got = t["lines"];
    EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 3) << got;
    EXPECT_NE(got.find("\"audit_rule\":\"no_web\""), std::string::npos) << got;
    EXPECT_EQ(t["lost"], 0);
    auto s = h.stats();
    EXPECT_EQ(s["flow_log"]["written"], 3);
    EXPECT_EQ(s["flow_log"]["flow_log_dropped"], 0);
}

TEST_F(FlowLogRing, RotationAndAStuckMonitorDoNotStallTraffic) {
    Harness h(config({{"path", (dir_ / "flows.jsonl").string()},
                      {"max_bytes", 4096},
                      {"keep", 2},
                      {"monitor_buffer_bytes", 4096}}));
    ASSERT_TRUE(h.rt);
    auto sub = h.ctl({{"cmd", "monitor"}, {"op", "subscribe"}});  // never takes
    ASSERT_TRUE(sub.value("ok", false)) << sub.dump();
    constexpr int kPings = 120;  // each a flow of its own (ICMP id), each logged
    size_t delivered = 0;
    for (int i = 0; i < kPings; i += 10) {
        std::vector<Bytes> burst;
        for (int k = i; k < i + 10; ++k)
            burst.push_back(ipv4(kGwMac, kMacVm1, kIp1, kIp2, 1, static_cast<uint16_t>(100 + k), 0));
        delivered += h.exchange("f1", burst, "f2", 10).size();
    }
    EXPECT_EQ(delivered, static_cast<size_t>(kPings));
    // The file rotated (about 320 bytes a line: 12 a file) and keeps 2 rotated files.
    nlohmann::json s;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
        s = h.stats();
        if (s["flow_log"]["written"] == kPings) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(s["flow_log"]["written"], kPings);
    EXPECT_GT(s["flow_log"]["rotations"].get<uint64_t>(), 2u);
    EXPECT_GT(s["flow_log"]["monitor_lost"].get<uint64_t>(), 0u);  // the stuck subscriber
    EXPECT_TRUE(fs::exists(dir_ / "flows.jsonl.2"));
    EXPECT_FALSE(fs::exists(dir_ / "flows.jsonl.3"));
    for (const char* f : {"flows.jsonl", "flows.jsonl.1", "flows.jsonl.2"})
        EXPECT_LE(fs::file_size(dir_ / f), 4096u) << f;
    auto prom = h.ctl({{"cmd", "stats"}, {"format", "prometheus"}});
    EXPECT_NE(prom["output"].get<std::string>().find("sluice_flow_log_monitor_lost_total"),
              std::string::npos);
}

TEST_F(FlowLogRing, UnwritablePathIsAnErrorAtStart) {
    ensureEal();
    auto cfg = parseRunConfig(config({{"path", (dir_ / "no" / "such" / "f.jsonl").string()}}).dump(), "");
    ASSERT_TRUE(cfg.ok()) << cfg.error().str();
    lang::Frontend fe;
    auto policy = fe.loadFile(cfg->policyPath);
    ASSERT_TRUE(policy);
    std::string note;
    auto art = pipelines::makeArtifact("interpreter", policy, 1, note);
    ASSERT_TRUE(art.ok());
    auto r = Runtime::create(*cfg, std::move(art.value()));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("flow_log.path: cannot open"), std::string::npos) << r.error().str();
}

}  // namespace
}  // namespace sluice::rt::test
