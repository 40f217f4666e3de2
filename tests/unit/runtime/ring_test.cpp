// The runtime on in-process ring devices: local switching, stateful pairs, NAT with checksums,
// VXLAN encap/decap, ARP, TCP state, table bounds, aging, re-simulation, counters and control.
#include "harness.h"
#include "sluice/runtime/flow.h"
#include "pipelines/pipelines.h"

namespace sluice::rt {
// Declared in runtime/src/transposition.h; exported for tests.
bool verifyChecksums(const uint8_t* frame, uint32_t len);
}  // namespace sluice::rt

namespace sluice::rt::test {
namespace {

constexpr uint64_t kGwMac = 0x0200000000feULL;
const uint32_t kIp1 = ip4("10.10.0.1"), kIp2 = ip4("10.10.0.2"), kIp3 = ip4("10.10.0.3");
const uint32_t kHostA = ip4("192.168.100.1"), kHostB = ip4("192.168.100.2");

bool checksumsOk(const Bytes& f) { return verifyChecksums(f.data(), static_cast<uint32_t>(f.size())); }

TEST(RuntimeRing, LocalSwitchingPingAndStatefulReply) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    auto out = h.exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 1, 7, 0)}, "a2", 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(mac(out[0], 0), kMacVm2);   // delivered to vm2's MAC
    EXPECT_EQ(mac(out[0], 6), kGwMac);    // from the gateway
    EXPECT_EQ(get32(out[0], 30), kIp2);
    EXPECT_TRUE(checksumsOk(out[0]));
    // The echo reply matches the reverse entry of the pair (a hit, no slow path).
    auto back = h.exchange("a2", {ipv4(kGwMac, kMacVm2, kIp2, kIp1, 1, 7, 0, 0, "", 0)}, "a1", 1);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(mac(back[0], 0), kMacVm1);
    auto s = h.stats();
    EXPECT_EQ(s["totals"]["session_misses"], 1);
    EXPECT_EQ(s["totals"]["session_hits"], 1);
    EXPECT_EQ(s["sessions"]["active"], 2);
    // Per-rule counters: vm2's inbound `ping` rule decided both packets of the pair.
    uint64_t ping = 0;
    for (auto& r : s["rules"]) if (r["rule"] == "ping") ping = r["packets"];
    EXPECT_EQ(ping, 2u);
}

TEST(RuntimeRing, BlockedConnectionIsCountedAndCached) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    Bytes syn = ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 40000, 9090, 0x02);
    auto out = h.exchange("a1", {syn, syn}, "a2", 1);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(h.drops("policy_deny"), 2u);
    auto s = h.stats();
    EXPECT_EQ(s["totals"]["session_misses"], 1);  // the drop decision is cached too
    EXPECT_EQ(s["totals"]["session_hits"], 1);
    // An allowed port passes.
    out = h.exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 40001, 8080, 0x02)}, "a2", 1);
    EXPECT_EQ(out.size(), 1u);
}

TEST(RuntimeRing, DnatVipWithIncrementalChecksums) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    uint32_t vip = ip4("10.10.0.100");
    auto out = h.exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, vip, 6, 40000, 80, 0x02, "hello")}, "a2", 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(get32(out[0], 30), kIp2);
    EXPECT_EQ(get16(out[0], 36), 8080);
    EXPECT_TRUE(checksumsOk(out[0]));
    // The SYN-ACK from vm2:8080 goes back as the VIP:80.
    auto back = h.exchange("a2", {ipv4(kGwMac, kMacVm2, kIp2, kIp1, 6, 8080, 40000, 0x12)}, "a1", 1);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(get32(back[0], 26), vip);
    EXPECT_EQ(get16(back[0], 34), 80);
    EXPECT_TRUE(checksumsOk(back[0]));
}

TEST(RuntimeRing, TcpHandshakeGatesTheReverseDirection) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    auto fwd = [&](uint8_t flags) { return ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 41000, 8080, flags); };
    auto rev = [&](uint8_t flags) { return ipv4(kGwMac, kMacVm2, kIp2, kIp1, 6, 8080, 41000, flags); };
    ASSERT_EQ(h.exchange("a1", {fwd(0x02)}, "a2", 1).size(), 1u);  // SYN
    // Data from the responder before its SYN+ACK: invalid while half-open.
    EXPECT_TRUE(h.exchange("a2", {rev(0x10)}, "a1", 1).empty());
    EXPECT_EQ(h.drops("tcp_invalid_state"), 1u);
    // Data from the initiator before the handshake completes: invalid too.
    EXPECT_TRUE(h.exchange("a1", {fwd(0x10)}, "a2", 1).empty());
    EXPECT_EQ(h.drops("tcp_invalid_state"), 2u);
    ASSERT_EQ(h.exchange("a2", {rev(0x12)}, "a1", 1).size(), 1u);  // SYN+ACK
    auto sess = h.ctl({{"cmd", "sessions"}, {"format", "json"}});
    auto body = nlohmann::json::parse(sess["output"].get<std::string>());
    ASSERT_EQ(body["total"], 2);
    EXPECT_EQ(body["sessions"][0]["tcp_state"], "syn_received");
    ASSERT_EQ(h.exchange("a1", {fwd(0x10)}, "a2", 1).size(), 1u);  // ACK
    body = nlohmann::json::parse(h.ctl({{"cmd", "sessions"}, {"format", "json"}})["output"].get<std::string>());
    EXPECT_EQ(body["sessions"][0]["tcp_state"], "established");
    ASSERT_EQ(h.exchange("a2", {rev(0x10)}, "a1", 1).size(), 1u);  // data now passes
    ASSERT_EQ(h.exchange("a1", {fwd(0x11)}, "a2", 1).size(), 1u);  // FIN
    ASSERT_EQ(h.exchange("a2", {rev(0x11)}, "a1", 1).size(), 1u);  // FIN
    body = nlohmann::json::parse(h.ctl({{"cmd", "sessions"}, {"format", "json"}})["output"].get<std::string>());
    EXPECT_EQ(body["sessions"][0]["tcp_state"], "time_wait");
}

TEST(RuntimeRing, VxlanToTheOwningHostAndBack) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    Bytes syn = ipv4(kGwMac, kMacVm1, kIp1, kIp3, 6, 42000, 8080, 0x02);
    auto out = h.exchange("a1", {syn}, "up", 1);
    ASSERT_EQ(out.size(), 1u);
    const Bytes& f = out[0];
    ASSERT_EQ(f.size(), syn.size() + 50);
    EXPECT_EQ(mac(f, 0), kMacHostB);               // outer destination: host B's MAC
    EXPECT_EQ(get16(f, 12), 0x0800);
    EXPECT_EQ(get32(f, 26), kHostA);               // outer source: our underlay address
    EXPECT_EQ(get32(f, 30), kHostB);
    EXPECT_EQ(f[23], 17);
    EXPECT_EQ(get16(f, 16), syn.size() + 36);      // outer IPv4 total length
    EXPECT_EQ(get16(f, 36), 4789);
    EXPECT_GE(get16(f, 34), 49152);                // entropy source port
    EXPECT_EQ(get16(f, 38), syn.size() + 16);      // UDP length
    EXPECT_EQ(f[42], 0x08);
    EXPECT_EQ((uint32_t(f[46]) << 16 | f[47] << 8 | f[48]), 100u);  // VNI
    EXPECT_TRUE(checksumsOk(f));
    EXPECT_TRUE(std::equal(syn.begin() + 12, syn.end(), f.begin() + 50 + 12));
    // Host B's reply, tunnelled to us, is decapsulated to vm1.
    Bytes synack = vxlan(ipv4(kGwMac, kMacVm3, kIp3, kIp1, 6, 8080, 42000, 0x12), 0, kMacHostB,
                         kHostB, kHostA, 100);
    auto back = h.exchange("up", {synack}, "a1", 1);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].size(), synack.size() - 50);
    EXPECT_EQ(mac(back[0], 0), kMacVm1);
    EXPECT_EQ(get32(back[0], 26), kIp3);
    EXPECT_TRUE(checksumsOk(back[0]));
}

TEST(RuntimeRing, UplinkVxlanDecapNewFlowsAndDrops) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    auto tunnelled = [&](uint16_t dport, uint32_t outerDst, uint32_t vni) {
        return vxlan(ipv4(kGwMac, kMacVm3, kIp3, kIp2, 6, 43000, dport, 0x02), 0, kMacHostB,
                     kHostB, outerDst, vni);
    };
    auto out = h.exchange("up", {tunnelled(8080, kHostA, 100)}, "a2", 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(get16(out[0], 12), 0x0800);
    EXPECT_EQ(get16(out[0], 36), 8080);
    EXPECT_TRUE(h.exchange("up", {tunnelled(9090, kHostA, 100)}, "a2", 1).empty());
    EXPECT_EQ(h.drops("policy_deny"), 1u);
    EXPECT_TRUE(h.exchange("up", {tunnelled(8080, ip4("192.168.100.9"), 100)}, "a2", 1).empty());
    EXPECT_EQ(h.drops("not_for_this_host"), 1u);
    EXPECT_TRUE(h.exchange("up", {tunnelled(8080, kHostA, 101)}, "a2", 1).empty());
    EXPECT_EQ(h.drops("no_local_port"), 1u);
}

TEST(RuntimeRing, ArpRepliesForTheGateway) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    auto out = h.exchange("a1", {arpRequest(kMacVm1, kIp1, ip4("10.10.0.254"))}, "a1", 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(mac(out[0], 0), kMacVm1);
    EXPECT_EQ(get16(out[0], 20), 2);               // ARP reply
    EXPECT_EQ(mac(out[0], 22), kGwMac);            // sender hardware address: the gateway
    EXPECT_EQ(get32(out[0], 28), ip4("10.10.0.254"));
    EXPECT_EQ(get32(out[0], 38), kIp1);
    // Its own address (duplicate address detection) is not answered.
    EXPECT_TRUE(h.exchange("a1", {arpRequest(kMacVm1, 0, kIp1)}, "a1", 1).empty());
    EXPECT_EQ(h.drops("arp_not_answered"), 1u);
}

TEST(RuntimeRing, MalformedFramesAreDroppedByReason) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    Bytes f = ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 1, 8080);
    Bytes trunc(f.begin(), f.begin() + 30);
    Bytes frag = f;
    frag[20] = 0x20;
    h.exchange("a1", {trunc, frag, Bytes(8, 0)}, "a2", 0);
    EXPECT_EQ(h.drops("truncated_ipv4"), 1u);
    EXPECT_EQ(h.drops("ip_fragment"), 1u);
    EXPECT_EQ(h.drops("truncated_ethernet"), 1u);
}

TEST(RuntimeRing, FullTableRefusesNewFlowsKeepsEstablished) {
    auto cfg = ringConfig();
    cfg["sessions"]["max_per_port"] = 4;  // two pairs
    Harness h(cfg);
    ASSERT_TRUE(h.rt);
    auto syn = [&](uint16_t sport) { return ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, sport, 8080, 0x02); };
    ASSERT_EQ(h.exchange("a1", {syn(1000), syn(1001)}, "a2", 2).size(), 2u);
    EXPECT_TRUE(h.exchange("a1", {syn(1002)}, "a2", 1).empty());
    EXPECT_EQ(h.drops("session_table_full"), 1u);
    // Existing flows are untouched: the first connection's SYN+ACK still passes.
    EXPECT_EQ(h.exchange("a2", {ipv4(kGwMac, kMacVm2, kIp2, kIp1, 6, 8080, 1000, 0x12)}, "a1", 1).size(), 1u);
    auto s = h.stats();
    EXPECT_EQ(s["sessions"]["active"], 4);
}

TEST(RuntimeRing, AgingByIdleTimeoutAndTcpState) {
    auto cfg = ringConfig();
    cfg["sessions"]["udp_timeout"] = "150ms";
    cfg["sessions"]["tcp_time_wait"] = "150ms";
    cfg["sessions"]["tcp_established_timeout"] = "60s";
    Harness h(cfg);
    ASSERT_TRUE(h.rt);
    // A UDP pair, an established TCP connection, and one that closes.
    // UDP to vm2 is denied: the cached drop decision ages by the idle timeout (udp_timeout).
    EXPECT_TRUE(h.exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 17, 5000, 8080)}, "a2", 1).empty());
    auto fwd = [&](uint16_t sp, uint8_t fl) { return ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, sp, 8080, fl); };
    auto rev = [&](uint16_t sp, uint8_t fl) { return ipv4(kGwMac, kMacVm2, kIp2, kIp1, 6, 8080, sp, fl); };
    for (uint16_t sp : {2000, 2001}) {
        ASSERT_EQ(h.exchange("a1", {fwd(sp, 0x02)}, "a2", 1).size(), 1u);
        ASSERT_EQ(h.exchange("a2", {rev(sp, 0x12)}, "a1", 1).size(), 1u);
        ASSERT_EQ(h.exchange("a1", {fwd(sp, 0x10)}, "a2", 1).size(), 1u);
    }
    ASSERT_EQ(h.exchange("a1", {fwd(2001, 0x11)}, "a2", 1).size(), 1u);
    ASSERT_EQ(h.exchange("a2", {rev(2001, 0x11)}, "a1", 1).size(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto s = h.stats();
    // Left: the established connection's pair (stateful rule: idle 5m). Gone: the drop entry
    // (idle) and the closed connection (TIME_WAIT).
    EXPECT_EQ(s["sessions"]["active"], 2);
    EXPECT_EQ(s["sessions"]["aged"], 3);
    auto body = nlohmann::json::parse(h.ctl({{"cmd", "sessions"}, {"format", "json"}})["output"].get<std::string>());
    EXPECT_EQ(body["sessions"][0]["tcp_state"], "established");
}

TEST(RuntimeRing, NewGenerationResimulatesCachedSessions) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    Bytes ping = ipv4(kGwMac, kMacVm1, kIp1, kIp2, 1, 9, 0);
    ASSERT_EQ(h.exchange("a1", {ping}, "a2", 1).size(), 1u);
    // New policy: vm2 no longer accepts pings.
    std::string text = R"(
port vm1 { mac 02:00:00:0a:00:01; ip 10.10.0.1; vni 100; layers sg; }
port vm2 { mac 02:00:00:0a:00:02; ip 10.10.0.2; vni 100; layers sg; }
port vm3 { mac 02:00:00:0a:00:03; ip 10.10.0.3; vni 100; layers sg; }
layer sg { default deny; out { group e priority 1 { rule all priority 1 action allow stateful; } } }
)";
    lang::Frontend fe;
    auto policy = fe.loadString("reload.sl", text);
    ASSERT_TRUE(policy);
    uint32_t before = h.rt->generation(1);
    ASSERT_TRUE(h.rt->reload(pipelines::interpreterArtifact(policy, 1)).ok());
    EXPECT_EQ(h.rt->generation(1), before + 1);
    EXPECT_TRUE(h.exchange("a1", {ping}, "a2", 1).empty());
    auto s = h.stats();
    EXPECT_EQ(s["totals"]["resimulations"], 1);
    EXPECT_EQ(s["drops"]["policy_deny"], 1);
}

TEST(RuntimeRing, ControlStatsPrometheusTraceFlush) {
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
    ASSERT_EQ(h.exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 1, 5, 0)}, "a2", 1).size(), 1u);
    auto prom = h.ctl({{"cmd", "stats"}, {"format", "prometheus"}});
    ASSERT_TRUE(prom["ok"].get<bool>());
    std::string p = prom["output"];
    EXPECT_NE(p.find("# TYPE sluice_port_rx_packets_total counter"), std::string::npos);
    EXPECT_NE(p.find("sluice_port_rx_packets_total{port=\"vm1\"} 1"), std::string::npos);
    EXPECT_NE(p.find("sluice_rule_packets_total{layer=\"sg\",dir=\"in\",group=\"ingress\",rule=\"ping\"} 1"),
              std::string::npos);
    auto tr = h.ctl({{"cmd", "trace"}, {"packet", "tcp 10.10.0.1:1234 -> 10.10.0.2:9090 flags S"},
                     {"format", "json"}});
    ASSERT_TRUE(tr["ok"].get<bool>()) << tr.dump();
    auto t = nlohmann::json::parse(tr["output"].get<std::string>());
    EXPECT_EQ(t["verdict"], "drop");
    EXPECT_EQ(t["drop_reason"], "policy_deny");
    ASSERT_EQ(t["pipelines"].size(), 2u);
    EXPECT_EQ(t["pipelines"][1]["port"], "vm2");
    EXPECT_EQ(t["pipelines"][1]["layers"][1]["rule"], "(default)");
    EXPECT_EQ(t["egress"], "drop (policy deny)");
    // Egress descriptions (built from the decision's next hop, outside the fast path).
    auto egress = [&](const std::string& packet) {
        auto r = h.ctl({{"cmd", "trace"}, {"packet", packet}, {"format", "json"}});
        EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
        return nlohmann::json::parse(r["output"].get<std::string>())["egress"].get<std::string>();
    };
    EXPECT_EQ(egress("tcp 10.10.0.1:1234 -> 10.10.0.2:8080 flags S"), "port:vm2");
    EXPECT_EQ(egress("udp 10.10.0.1:1234 -> 10.10.0.3:53"), "tunnel:192.168.100.2 vni 100");
    EXPECT_EQ(egress("udp 10.10.0.1:1234 -> 8.8.8.8:53"), "uplink");
    EXPECT_EQ(egress("udp 10.20.0.1:1234 -> 10.99.0.1:53 in"),
              "drop (no local port for destination)");
    tr = h.ctl({{"cmd", "trace"}, {"packet", "tcp 10.10.0.1:1234 -> 10.10.0.100:80 flags S"}});
    ASSERT_TRUE(tr["ok"].get<bool>());
    EXPECT_NE(tr["output"].get<std::string>().find("rule web_vip"), std::string::npos);
    EXPECT_NE(tr["output"].get<std::string>().find("dnat"), std::string::npos);
    auto bad = h.ctl({{"cmd", "trace"}, {"packet", "tcp nonsense"}});
    EXPECT_FALSE(bad["ok"].get<bool>());
    EXPECT_FALSE(nlohmann::json::parse(h.rt->control("not json"))["ok"].get<bool>());
    // A port that does not exist is an error, not "flushed 0" (issue 14).
    for (const char* cmd : {"flush", "sessions"}) {
        auto nope = h.ctl({{"cmd", cmd}, {"port", "nope"}});
        EXPECT_FALSE(nope["ok"].get<bool>()) << cmd << ": " << nope.dump();
        EXPECT_NE(nope.value("error", std::string()).find("no port named 'nope'"), std::string::npos);
    }
    auto fl = h.ctl({{"cmd", "flush"}, {"format", "json"}});
    EXPECT_EQ(nlohmann::json::parse(fl["output"].get<std::string>())["flushed"], 2);
    h.settle();
    EXPECT_EQ(h.stats()["sessions"]["active"], 0);
}

}  // namespace
}  // namespace sluice::rt::test
