// Hardening of the runtime on ring devices (issue 9): remote senders cannot fill a VM's
// session budget, traces run on their own slow-path context while workers take new flows,
// and the control socket serves every client without stopping aging.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <filesystem>

#include "harness.h"
#include "sluice/runtime/control.h"
#include "pipelines/pipelines.h"

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

TEST(RuntimeHardening, DocumentedMaximumTableIsAClearErrorNotAnAbort) {
    ensureEal();
    auto cfgJson = ringConfig();
    cfgJson["sessions"]["max_per_port"] = 4194304;  // x 4 budgets: far more than -m 512
    auto cfg = parseRunConfig(cfgJson.dump(), "");
    ASSERT_TRUE(cfg.ok()) << cfg.error().str();
    lang::Frontend fe;
    auto policy = fe.loadFile(cfg->policyPath);
    ASSERT_TRUE(policy);
    auto r = Runtime::create(*cfg, pipelines::interpreterArtifact(policy, 1));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().str().find("sessions.max_per_port 4194304"), std::string::npos)
        << r.error().str();
    EXPECT_NE(r.error().str().find("memory"), std::string::npos) << r.error().str();
    // The same process can still build a runtime of a sensible size afterwards.
    Harness h(ringConfig());
    ASSERT_TRUE(h.rt);
}

// ---------------------------------------------------------------------------------------------
// The control socket: no client can stop aging or the other clients.

std::string socketPath(const char* what) {
    return (std::filesystem::temp_directory_path() /
            ("sluice-ctl-" + std::to_string(getpid()) + "-" + what + ".sock"))
        .string();
}

int connectTo(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Reads until EOF or `seconds`; what arrived.
std::string readAll(int fd, double seconds) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) break;
        out.append(buf, static_cast<size_t>(r));
    }
    return out;
}

bool sendAll(int fd, const std::string& s) {
    return send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

struct SocketHarness {
    std::string path;
    std::unique_ptr<Harness> h;
    SocketHarness(const char* what, nlohmann::json cfg = ringConfig()) : path(socketPath(what)) {
        std::filesystem::remove(path);
        cfg["control_socket"] = path;
        h = std::make_unique<Harness>(cfg, "", true);
    }
    ~SocketHarness() {
        h.reset();
        std::filesystem::remove(path + ".pid");
    }
    uint64_t aged() { return h->stats()["sessions"]["aged"].get<uint64_t>(); }
};

// `n` denied UDP flows vm1 -> vm2 (cached drop entries charged to vm1).
void denyFlows(Harness& h, unsigned n) {
    for (unsigned done = 0; done < n;) {
        std::vector<Bytes> burst;
        for (unsigned i = 0; i < 1000 && done < n; ++i, ++done)
            burst.push_back(ipv4(kGwMac, kMacVm1, kIp1, kIp2, 17,
                                 static_cast<uint16_t>(1000 + done), 9999));
        uint64_t want = rxPackets(h) + burst.size();
        ASSERT_TRUE(h.rt->injectFrames("a1", burst));
        ASSERT_TRUE(waitFor([&] { return rxPackets(h) >= want; }));
    }
}

TEST(ControlSocket, ClientThatClosesBeforeReadingDoesNotKillTheDaemon) {
    SocketHarness s("close");
    ASSERT_TRUE(s.h->rt);
    denyFlows(*s.h, 2000);  // a reply of several hundred KB
    std::string req = R"({"cmd":"sessions","format":"json","limit":20000})" "\n";
    for (int i = 0; i < 20; ++i) {
        int fd = connectTo(s.path);
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(sendAll(fd, req));
        close(fd);
    }
    auto r = controlRequest(s.path, R"({"cmd":"stats","format":"json"})");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_TRUE(nlohmann::json::parse(*r)["ok"].get<bool>());
}

TEST(ControlSocket, ClientThatNeverReadsALargeReplyDoesNotStopAgingOrControl) {
    auto cfg = ringConfig();
    cfg["sessions"]["udp_timeout"] = "300ms";
    SocketHarness s("noread", cfg);
    ASSERT_TRUE(s.h->rt);
    denyFlows(*s.h, 3000);
    int fd = connectTo(s.path);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, R"({"cmd":"sessions","format":"json","limit":20000})" "\n"));
    // While that client holds its unread reply: other clients are answered and aging goes on.
    auto r = controlRequest(s.path, R"({"cmd":"stats"})");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_TRUE(nlohmann::json::parse(*r)["ok"].get<bool>());
    EXPECT_TRUE(waitFor([&] { return s.aged() >= 3000; })) << s.aged();
    close(fd);
}

TEST(ControlSocket, SlowSenderIsCutOffAndDoesNotHoldAgingOrNewFlows) {
    auto cfg = ringConfig();
    cfg["sessions"]["udp_timeout"] = "150ms";
    SocketHarness s("slow", cfg);
    ASSERT_TRUE(s.h->rt);
    int fd = connectTo(s.path);
    ASSERT_GE(fd, 0);
    std::atomic<bool> stop{false};
    std::thread dribble([&] {  // a byte every 0.3 s, never a whole line
        const std::string req = R"({"cmd":"stats","format":"json","port":"vm1"})";
        for (size_t i = 0; i < req.size() && !stop.load(); ++i) {
            if (send(fd, &req[i], 1, MSG_NOSIGNAL) != 1) break;
            for (int k = 0; k < 30 && !stop.load(); ++k)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    denyFlows(*s.h, 1);
    EXPECT_TRUE(waitFor([&] { return s.aged() >= 1; }, 3));
    auto out = s.h->exchange("a1", {ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, 3000, 8080, 0x02)}, "a2", 1);
    EXPECT_EQ(out.size(), 1u);
    // The server ends the slow client at its deadline, with a reason.
    std::string got = readAll(fd, 10);
    EXPECT_NE(got.find("timed out"), std::string::npos) << got;
    stop = true;
    dribble.join();
    close(fd);
}

TEST(ControlSocket, HalfOpenClientsDoNotDelayOthers) {
    SocketHarness s("halfopen");
    ASSERT_TRUE(s.h->rt);
    std::vector<int> idle;
    for (int i = 0; i < 10; ++i) {
        idle.push_back(connectTo(s.path));
        ASSERT_GE(idle.back(), 0);
    }
    int fd = connectTo(s.path);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(sendAll(fd, R"({"cmd":"stats"})" "\n"));
    // Answered well within one client deadline (the old server took 1 s per idle client).
    std::string got = readAll(fd, 3);
    EXPECT_NE(got.find("\"ok\":true"), std::string::npos) << got;
    close(fd);
    for (int f : idle) close(f);
}

TEST(ControlSocket, TwoHundredConcurrentClientsAreAllServed) {
    SocketHarness s("many");
    ASSERT_TRUE(s.h->rt);
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 200; ++i) {
        clients.emplace_back([&] {
            auto r = controlRequest(s.path, R"({"cmd":"stats","format":"json"})");
            if (r.ok() && nlohmann::json::parse(*r, nullptr, false).value("ok", false)) ++ok;
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(ok.load(), 200);
}

TEST(ControlSocket, ClientsBeyondTheBoundGetAClearError) {
    SocketHarness s("bound");
    ASSERT_TRUE(s.h->rt);
    std::vector<int> idle;
    for (int i = 0; i < 256; ++i) {
        idle.push_back(connectTo(s.path));
        ASSERT_GE(idle.back(), 0);
    }
    // Connected: wait until the server has accepted them all (its bound is 256).
    int extra = -1;
    std::string got;
    ASSERT_TRUE(waitFor([&] {
        extra = connectTo(s.path);
        got = readAll(extra, 0.5);
        close(extra);
        return got.find("busy") != std::string::npos;
    }));
    EXPECT_NE(got.find("\"ok\":false"), std::string::npos) << got;
    for (int f : idle) close(f);
    // Once they are gone, clients are served again.
    EXPECT_TRUE(waitFor([&] {
        auto r = controlRequest(s.path, R"({"cmd":"stats"})");
        return r.ok() && r->find("\"ok\":true") != std::string::npos;
    }));
}

TEST(ControlSocket, OversizedRequestIsRefused) {
    SocketHarness s("big");
    ASSERT_TRUE(s.h->rt);
    int fd = connectTo(s.path);
    ASSERT_GE(fd, 0);
    std::string junk(100000, 'x');
    send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    std::string got = readAll(fd, 3);
    EXPECT_NE(got.find("request too large"), std::string::npos) << got.substr(0, 200);
    close(fd);
}

}  // namespace
}  // namespace sluice::rt::test
