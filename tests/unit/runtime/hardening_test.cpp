// Hardening of the runtime on ring devices (issue 9): remote senders cannot fill a VM's
// session budget, traces run on their own slow-path context while workers take new flows,
// and the control socket serves every client without stopping aging.
#include "harness.h"

namespace sluice::rt::test {
namespace {

constexpr uint64_t kGwMac = 0x0200000000feULL;
const uint32_t kIp1 = ip4("10.10.0.1"), kIp2 = ip4("10.10.0.2");
const uint32_t kRemote = ip4("203.0.113.9");

// Polls `cond` every 5 ms until it holds or `seconds` pass.
template <typename F>
bool waitFor(F cond, double seconds = 5) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return cond();
}

uint64_t rxPackets(Harness& h) { return h.stats()["totals"]["rx_packets"].get<uint64_t>(); }

TEST(RuntimeHardening, DeniedFloodFromTheUplinkLeavesTheVmsBudgetAlone) {
    auto cfg = ringConfig();
    cfg["sessions"]["max_per_port"] = 8;
    Harness h(cfg);
    ASSERT_TRUE(h.rt);
    // 200 denied UDP packets from a remote host to vm2, each a new flow.
    std::vector<Bytes> flood;
    for (uint16_t i = 0; i < 200; ++i)
        flood.push_back(ipv4(0x02000000aa01ULL, 0x02000000aa02ULL, kRemote, kIp2, 17, 10000 + i, 9999));
    ASSERT_TRUE(h.rt->injectFrames("up", flood));
    ASSERT_TRUE(waitFor([&] { return rxPackets(h) >= 200; }));
    EXPECT_EQ(h.drops("policy_deny"), 200u);  // dropped for their own reason, every one
    EXPECT_EQ(h.drops("session_table_full"), 0u);
    auto s = h.stats();
    EXPECT_EQ(s["sessions"]["drop_cache"], 8);  // bounded
    EXPECT_EQ(s["sessions"]["drops_not_cached"], 192);
    for (const auto& p : s["ports"]) {
        if (p["name"] == "vm2") {
            EXPECT_EQ(p["sessions"], 0);
        }
    }
    // vm2's own new connections still work: SYN to vm1:8080 and its SYN+ACK.
    auto out = h.exchange("a2", {ipv4(kGwMac, kMacVm2, kIp2, kIp1, 6, 50000, 8080, 0x02)}, "a1", 1);
    EXPECT_EQ(out.size(), 1u);
    auto back = h.exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 8080, 50000, 0x12)}, "a2", 1);
    EXPECT_EQ(back.size(), 1u);
    EXPECT_EQ(h.drops("session_table_full"), 0u);
}


TEST(RuntimeHardening, TraceWithTheInterpreterWhileWorkerZeroTakesNewFlows) {
    auto cfg = ringConfig();
    cfg["sessions"]["max_per_port"] = 65536;
    Harness h(cfg, "interpreter");
    ASSERT_TRUE(h.rt);
    ASSERT_STREQ(h.rt->slowPathKind(), "interpreter");
    std::atomic<bool> done{false};
    std::atomic<uint64_t> injected{0};
    std::thread load([&] {
        uint32_t n = 0;
        while (!done.load()) {
            std::vector<Bytes> burst;
            for (int i = 0; i < 64; ++i, ++n) {
                burst.push_back(ipv4(kGwMac, kMacVm1, kIp1 + (n >> 16), kIp2, 6,
                                     static_cast<uint16_t>(n), 8080, 0x02));
            }
            if (h.rt->injectFrames("a1", burst)) injected += burst.size();
            h.rt->collectFrames("a2");
        }
    });
    int ok = 0;
    for (int i = 0; i < 2000; ++i) {
        auto tr = h.ctl({{"cmd", "trace"},
                         {"packet", "tcp 10.10.0.1:" + std::to_string(1000 + i) +
                                        " -> 10.10.0.2:8080 flags S"},
                         {"format", "json"}});
        if (!tr["ok"].get<bool>()) continue;
        auto t = nlohmann::json::parse(tr["output"].get<std::string>());
        if (t["verdict"] == "allow" && t["egress"] == "port:vm2") ++ok;
    }
    done = true;
    load.join();
    EXPECT_EQ(ok, 2000);
    EXPECT_GT(injected.load(), 0u);
    EXPECT_GT(h.stats()["totals"]["sessions_installed"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace sluice::rt::test
