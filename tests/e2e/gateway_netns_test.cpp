// `sluice gateway` end to end in network namespaces the test creates and removes: two hosts
// whose Linux VXLAN devices send every packet to the gateway (the forwarding-cache miss path,
// docs/gateway.md), the gateway relaying each to the owning host from the controller's store;
// a `ctl vm del` stops the relay within the watch interval. Traffic only among the namespaces;
// names are per process ("g" + pid), so it may run beside the other namespace tests (the
// ASan pass of scripts/test.sh runs each under flock /tmp/sluice-netns.lock).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int sh(const std::string& cmd) {
    int r = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string sluiceBin() { return std::string(SLUICE_BINARY_DIR) + "/cli/sluice"; }

class GatewayNetns : public ::testing::Test {
  protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
        if (sh("ip netns list") != 0) GTEST_SKIP() << "`ip netns` is unavailable";
        if (sh("command -v ping") != 0) GTEST_SKIP() << "needs ping";
        tag_ = "g" + std::to_string(getpid() % 100000);
        dir_ = fs::temp_directory_path() / ("sluice-gw-e2e-" + tag_);
        fs::create_directories(dir_);
        for (const char* n : {"gw", "ha", "hb"}) {
            std::string ns = tag_ + n;
            if (sh("ip netns add " + ns) != 0) GTEST_SKIP() << "cannot create namespaces";
            namespaces_.push_back(ns);
            sh("ip -n " + ns + " link set lo up");
        }
    }
    void TearDown() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        for (auto& ns : namespaces_) sh("ip netns del " + ns);
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    std::string ns(const char* n) { return tag_ + n; }
    int in(const std::string& n, const std::string& cmd) {
        return sh("ip netns exec " + n + " " + cmd);
    }

    // A host: an underlay veth to the gateway, and a VXLAN device (VNI 100) whose only remote
    // is the gateway, carrying the VM's address and MAC.
    void host(const char* h, int subnet, const std::string& vmIp, const std::string& vmMac,
              const std::string& peerIp, const std::string& peerMac) {
        std::string hn = ns(h), gw = ns("gw"), gwIf = std::string("ul") + h;
        std::string hostIp = "10.99." + std::to_string(subnet) + ".2";
        std::string gwIp = "10.99." + std::to_string(subnet) + ".1";
        ASSERT_EQ(
            sh("ip link add ul0 netns " + hn + " type veth peer name " + gwIf + " netns " + gw), 0);
        sh("ip -n " + hn + " addr add " + hostIp + "/24 dev ul0");
        sh("ip -n " + hn + " link set ul0 up");
        sh("ip -n " + gw + " addr add " + gwIp + "/24 dev " + gwIf);
        sh("ip -n " + gw + " link set " + gwIf + " up");
        ASSERT_EQ(sh("ip -n " + hn + " link add vx0 type vxlan id 100 remote " + gwIp + " local " +
                     hostIp + " dstport 4789 dev ul0"),
                  0);
        sh("ip -n " + hn + " link set vx0 address " + vmMac);
        sh("ip -n " + hn + " addr add " + vmIp + "/24 dev vx0");
        sh("ip -n " + hn + " link set vx0 up");
        // ARP is not relayed (the vSwitch answers it for its VMs): a static neighbour.
        sh("ip -n " + hn + " neigh add " + peerIp + " lladdr " + peerMac +
           " dev vx0 nud permanent");
    }

    std::string tag_;
    fs::path dir_;
    std::vector<std::string> namespaces_;
    pid_t pid_ = -1;
};

TEST_F(GatewayNetns, RelaysBetweenHostsAndFollowsTheStore) {
    host("ha", 1, "10.1.0.5", "02:00:00:00:00:05", "10.1.0.6", "02:00:00:00:00:06");
    host("hb", 2, "10.1.0.6", "02:00:00:00:00:06", "10.1.0.5", "02:00:00:00:00:05");
    std::string store = (dir_ / "vpc.store").string();
    ASSERT_EQ(sh(sluiceBin() + " ctl vm --store " + store +
                 " add 100 10.1.0.5 --host 10.99.1.2 --mac 02:00:00:00:00:05"),
              0);
    ASSERT_EQ(sh(sluiceBin() + " ctl vm --store " + store +
                 " add 100 10.1.0.6 --host 10.99.2.2 --mac 02:00:00:00:00:06"),
              0);
    std::string cfg = (dir_ / "gateway.json").string();
    std::ofstream(cfg) << R"({"store": ")" << store << R"(", "watch_interval_ms": 20,
        "relay": {"listen": "0.0.0.0", "port": 4789},
        "rsp": {"listen": "10.99.1.1", "port": 4790,
                "keys": [{"id": 1, "key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}]}})";
    std::string err = (dir_ / "gw.err").string(), out = (dir_ / "gw.out").string();
    pid_ = ::fork();
    if (pid_ == 0) {
        FILE* e = std::freopen(err.c_str(), "w", stderr);
        FILE* o = std::freopen(out.c_str(), "w", stdout);
        (void)e;
        (void)o;
        ::execlp("ip", "ip", "netns", "exec", ns("gw").c_str(), sluiceBin().c_str(), "gateway",
                 cfg.c_str(), nullptr);
        _exit(127);
    }
    bool up = false;
    for (auto end = Clock::now() + std::chrono::seconds(10); Clock::now() < end && !up;) {
        up = slurp(err).find("VXLAN relay on") != std::string::npos;
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(up) << slurp(err);

    // Both ways through the gateway: the request to hb, the reply back to ha.
    EXPECT_EQ(in(ns("ha"), "ping -c 3 -i 0.2 -W 2 10.1.0.6"), 0) << slurp(err);
    // The controller deletes hb's VM: within the watch interval the gateway stops relaying.
    ASSERT_EQ(sh(sluiceBin() + " ctl vm --store " + store + " del 100 10.1.0.6"), 0);
    bool stopped = false;
    for (auto end = Clock::now() + std::chrono::seconds(10); Clock::now() < end && !stopped;)
        stopped = in(ns("ha"), "ping -c 1 -W 1 10.1.0.6") != 0;
    EXPECT_TRUE(stopped);

    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(err);
    auto stats = nlohmann::json::parse(slurp(out), nullptr, false);
    ASSERT_TRUE(stats.is_object()) << slurp(out);
    EXPECT_GE(stats["relay"]["relayed"].get<int>(), 6);  // 3 requests and 3 replies at least
    EXPECT_GE(stats["relay"]["drops"]["unknown_destination"].get<int>(), 1);
    EXPECT_EQ(stats["revision"], 3);
}

}  // namespace
