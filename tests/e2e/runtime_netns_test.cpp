// `sluice run` end to end: VMs are network namespaces with real Linux stacks, attached
// through veth pairs to af_packet devices of a vSwitch running in its own namespace. Checks
// real ping and TCP (nc) that the policy allows, a connection it blocks, DNAT and VXLAN in
// captures read by tshark, two hosts switching through VXLAN, TCP state and aging, and the
// full session table. Every namespace and veth is removed at the end of each test.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <sstream>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

int sh(const std::string& cmd) {
    int r = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

std::string capture(const std::string& cmd) {
    std::string out;
    FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

bool haveTool(const char* t) { return sh(std::string("command -v ") + t) == 0; }

std::string sluiceBin() { return std::string(SLUICE_BINARY_DIR) + "/cli/sluice"; }

// One vSwitch host: a namespace for the switch, VMs in their own namespaces.
struct Host {
    std::string sw;                    // switch namespace
    std::vector<std::string> vmNs;     // VM namespaces
    pid_t pid = -1;
    std::string socket, config;
};

class NetnsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
        if (sh("ip netns list") != 0) GTEST_SKIP() << "`ip netns` is unavailable";
        if (!haveTool("nc") || !haveTool("ping")) GTEST_SKIP() << "needs nc and ping";
        tag_ = "s" + std::to_string(getpid() % 100000);
        dir_ = fs::temp_directory_path() / ("sluice-e2e-" + tag_);
        fs::create_directories(dir_);
        if (sh("ip netns add " + tag_ + "probe") != 0) GTEST_SKIP() << "cannot create namespaces";
        sh("ip netns del " + tag_ + "probe");
    }
    void TearDown() override {
        for (auto& h : hosts_) {
            if (h.pid > 0) {
                kill(h.pid, SIGTERM);
                int st;
                waitpid(h.pid, &st, 0);
            }
        }
        for (auto& ns : namespaces_) sh("ip netns del " + ns);
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    std::string ns(const std::string& name) {
        std::string n = tag_ + name;
        EXPECT_EQ(sh("ip netns add " + n), 0);
        sh("ip -n " + n + " link set lo up");
        sh("ip netns exec " + n + " sysctl -w net.ipv6.conf.all.disable_ipv6=1");
        sh("ip netns exec " + n + " sysctl -w net.ipv6.conf.default.disable_ipv6=1");
        namespaces_.push_back(n);
        return n;
    }
    // A VM namespace with eth0 (MAC, address) whose peer `swIf` is in namespace `sw`.
    std::string vm(const std::string& name, const std::string& sw, const std::string& swIf,
                   const std::string& mac, const std::string& ip) {
        std::string n = ns(name);
        EXPECT_EQ(sh("ip link add " + swIf + " netns " + sw + " type veth peer name eth0 netns " + n), 0);
        sh("ip -n " + n + " link set eth0 address " + mac);
        sh("ip -n " + n + " addr add " + ip + "/24 dev eth0");
        sh("ip -n " + n + " link set eth0 up");
        sh("ip -n " + sw + " link set " + swIf + " up");
        // Offloads off: af_packet sees real checksums, as a NIC would deliver them.
        sh("ip netns exec " + n + " ethtool -K eth0 tx off");
        return n;
    }
    Host& start(const std::string& sw, json cfg) {
        Host h;
        h.sw = sw;
        h.socket = (dir_ / (sw + ".sock")).string();
        h.config = (dir_ / (sw + ".json")).string();
        if (!cfg.contains("policy"))
            cfg["policy"] = std::string(SLUICE_SOURCE_DIR) + "/examples/run/demo.sl";
        cfg["control_socket"] = h.socket;
        cfg["file_prefix"] = "e2e_" + sw;
        std::ofstream(h.config) << cfg.dump(2);
        pid_t pid = fork();
        if (pid == 0) {
            std::string log = (dir_ / (sw + ".log")).string();
            freopen(log.c_str(), "w", stderr);
            freopen("/dev/null", "w", stdout);
            execlp("ip", "ip", "netns", "exec", sw.c_str(), sluiceBin().c_str(), "run",
                   h.config.c_str(), "--quiet", nullptr);
            _exit(127);
        }
        h.pid = pid;
        for (int i = 0; i < 100 && !fs::exists(h.socket); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_TRUE(fs::exists(h.socket)) << capture("cat " + (dir_ / (sw + ".log")).string());
        hosts_.push_back(h);
        return hosts_.back();
    }
    json ctl(const Host& h, const std::string& args) {
        std::string out = capture(sluiceBin() + " ctl --socket " + h.socket + " " + args + " --json");
        json j = json::parse(out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << out;
        return j;
    }
    int in(const std::string& n, const std::string& cmd) { return sh("ip netns exec " + n + " " + cmd); }
    std::string inOut(const std::string& n, const std::string& cmd) {
        return capture("ip netns exec " + n + " " + cmd);
    }

    // The single-host topology of the embedded default: vm1, vm2 on one switch.
    Host& singleHost(json sessions = json::object()) {
        sw_ = ns("sw");
        vm1_ = vm("vm1", sw_, "v1", "02:00:00:0a:00:01", "10.10.0.1");
        vm2_ = vm("vm2", sw_, "v2", "02:00:00:0a:00:02", "10.10.0.2");
        json cfg = {{"ports", {{"vm1", "af_packet:v1"}, {"vm2", "af_packet:v2"}}},
                    {"sessions", sessions}};
        return start(sw_, cfg);
    }

    // Runs `sluice run` with `cfg` in namespace `n` to completion (it is expected to refuse to
    // start, or `--duration` ends it); its exit code and stderr.
    std::pair<int, std::string> runOnce(const std::string& n, const std::string& name, json cfg) {
        if (!cfg.contains("policy"))
            cfg["policy"] = std::string(SLUICE_SOURCE_DIR) + "/examples/run/demo.sl";
        if (!cfg.contains("file_prefix")) cfg["file_prefix"] = "e2e_" + tag_ + name;
        std::string config = (dir_ / (name + ".json")).string();
        std::string log = (dir_ / (name + ".log")).string();
        std::ofstream(config) << cfg.dump(2);
        int rc = std::system(("ip netns exec " + n + " timeout 20 " + sluiceBin() + " run " +
                              config + " --duration 2 --quiet >/dev/null 2>" + log).c_str());
        std::ifstream f(log);
        std::string err((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, err};
    }
    bool alive(const Host& h) { return h.pid > 0 && waitpid(h.pid, nullptr, WNOHANG) == 0; }

    std::string tag_;
    fs::path dir_;
    std::vector<std::string> namespaces_;
    std::deque<Host> hosts_;  // stable references
    std::string sw_, vm1_, vm2_;
};

TEST_F(NetnsTest, PingAndTcpAllowedOtherPortBlocked) {
    Host& h = singleHost();
    EXPECT_EQ(in(vm1_, "ping -c 3 -i 0.2 -W 2 10.10.0.2"), 0);
    // TCP 8080: allowed; a transfer of 200 KB arrives intact.
    std::string src = (dir_ / "src.bin").string(), dst = (dir_ / "dst.bin").string();
    sh("sh -c 'head -c 200000 /dev/urandom > " + src + "'");
    ASSERT_EQ(fs::file_size(src), 200000u);
    std::thread server([&] { in(vm2_, "sh -c 'timeout 10 nc -l -p 8080 > " + dst + "'"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(in(vm1_, "sh -c 'nc -w 3 -N 10.10.0.2 8080 < " + src + "'"), 0);
    server.join();
    EXPECT_EQ(fs::file_size(dst), 200000u);
    EXPECT_EQ(sh("cmp " + src + " " + dst), 0);
    // TCP 9090: a listener exists but the policy blocks the connection.
    std::thread blocked([&] { in(vm2_, "timeout 4 nc -l -p 9090"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_NE(in(vm1_, "nc -z -w 2 10.10.0.2 9090"), 0);
    blocked.join();
    json s = ctl(h, "stats");
    EXPECT_GT(s["drops"].value("policy_deny", 0), 0);
    EXPECT_GT(s["totals"]["session_hits"].get<uint64_t>(), 100u) << s.dump();
    EXPECT_GT(s["totals"]["arp_replies"].get<uint64_t>(), 0u);
    uint64_t web = 0;
    for (auto& r : s["rules"]) if (r["rule"] == "web") web = r["packets"];
    EXPECT_GT(web, 10u);
}

// Two workers: af_packet opens a receive socket per worker in a PACKET_FANOUT_HASH group, so
// every worker must poll its own queue of every veth (polling queue 0 alone lost the flows the
// kernel hashed to the other socket). Eight connections all arrive and both workers carry some.
TEST_F(NetnsTest, TwoWorkersEachPollTheirQueueOfEveryVeth) {
    sw_ = ns("sw");
    vm1_ = vm("vm1", sw_, "v1", "02:00:00:0a:00:01", "10.10.0.1");
    vm2_ = vm("vm2", sw_, "v2", "02:00:00:0a:00:02", "10.10.0.2");
    Host& h = start(sw_, {{"workers", 2}, {"ports", {{"vm1", "af_packet:v1"}, {"vm2", "af_packet:v2"}}}});
    EXPECT_EQ(in(vm1_, "ping -c 3 -i 0.2 -W 2 10.10.0.2"), 0);
    for (int i = 0; i < 8; ++i) {
        std::string dst = (dir_ / ("got" + std::to_string(i))).string();
        std::thread server([&] { in(vm2_, "sh -c 'timeout 6 nc -l -p 8080 > " + dst + "'"); });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        EXPECT_EQ(in(vm1_, "sh -c 'echo flow" + std::to_string(i) + " | nc -w 3 -N 10.10.0.2 8080'"), 0) << i;
        server.join();
        EXPECT_EQ(capture("cat " + dst), "flow" + std::to_string(i) + "\n") << i;
    }
    json s = ctl(h, "stats");
    ASSERT_EQ(s["per_worker"].size(), 2u) << s.dump();
    for (const auto& w : s["per_worker"]) {
        EXPECT_EQ(w["rx_queues"].size(), 2u) << w.dump();  // queue w of v1 and of v2
        EXPECT_GT(w["rx_packets"].get<uint64_t>(), 0u) << s["per_worker"].dump();
    }
}

// Issue 14, "watch live decisions": the demo policy with its ping rule logged and an audit
// layer that would deny TCP 8080. Real pings and a real connection show up in the flow-log file
// and in a running `sluice ctl monitor --json`; `--verdict deny` filters; an unknown port is an
// error (exit 1).
TEST_F(NetnsTest, FlowLogFileAndCtlMonitorSeeLiveDecisions) {
    std::ifstream demo(std::string(SLUICE_SOURCE_DIR) + "/examples/run/demo.sl");
    std::string policy((std::istreambuf_iterator<char>(demo)), std::istreambuf_iterator<char>());
    const std::string ping = "match proto icmp src_ip 10.10.0.0/16 action allow;";
    ASSERT_NE(policy.find(ping), std::string::npos);
    policy.replace(policy.find(ping), ping.size(), "match proto icmp src_ip 10.10.0.0/16 action allow log;");
    const std::string ports = "layers sg, nat; }";
    for (size_t at = policy.find(ports); at != std::string::npos; at = policy.find(ports, at + 1))
        policy.replace(at, ports.size(), "layers sg, nat, watch; }");
    policy += "\nlayer watch {\n    audit;\n    default allow;\n    in {\n        group g priority 1 {\n"
              "            rule no_web priority 1 match proto tcp dst_port 8080 action deny;\n"
              "        }\n    }\n}\n";
    std::string policyFile = (dir_ / "logged.sl").string();
    std::ofstream(policyFile) << policy;
    std::string flows = (dir_ / "flows.jsonl").string();
    sw_ = ns("sw");
    vm1_ = vm("vm1", sw_, "v1", "02:00:00:0a:00:01", "10.10.0.1");
    vm2_ = vm("vm2", sw_, "v2", "02:00:00:0a:00:02", "10.10.0.2");
    Host& h = start(sw_, {{"policy", policyFile},
                          {"ports", {{"vm1", "af_packet:v1"}, {"vm2", "af_packet:v2"}}},
                          {"flow_log", {{"path", flows}}}});
    std::string ctlBase = sluiceBin() + " ctl --socket " + h.socket + " monitor";
    // A monitor running while the traffic flows; it stops after 2 decisions or 20 s.
    std::string watched;
    std::thread monitor([&] { watched = capture(ctlBase + " --json --count 2 --seconds 20"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(in(vm1_, "ping -c 2 -i 0.2 -W 2 10.10.0.2"), 0);
    std::thread server([&] { in(vm2_, "timeout 6 nc -l -p 8080"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(in(vm1_, "sh -c 'echo hi | nc -w 3 -N 10.10.0.2 8080'"), 0);  // audit: still allowed
    server.join();
    monitor.join();
    auto decisions = [](const std::string& text) {
        std::vector<json> v;
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            json j = json::parse(line, nullptr, false);
            if (!j.is_discarded() && j.contains("verdict")) v.push_back(j);
        }
        return v;
    };
    bool sawPing = false, sawAudit = false;
    for (const json& d : decisions(watched)) {
        sawPing |= d["rule"] == "ping" && d["logged"] == true && d["proto"] == "icmp";
        sawAudit |= d["audit_would_deny"] == true && d["dst_port"] == 8080 && d["verdict"] == "allow";
    }
    EXPECT_TRUE(sawPing && sawAudit) << watched;
    // The file has the same decisions (the drain runs at most 10 ms apart).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<json> logged = decisions(capture("cat " + flows));
    EXPECT_GE(logged.size(), 2u);
    bool filePing = false;
    for (const json& d : logged) filePing |= d["rule"] == "ping" && d["port"] == "vm2";
    EXPECT_TRUE(filePing) << capture("cat " + flows);
    // --verdict deny sees nothing of this allowed traffic within its time.
    std::string denies;
    std::thread denyMonitor([&] { denies = capture(ctlBase + " --json --verdict deny --seconds 2"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(in(vm1_, "ping -c 1 -W 2 10.10.0.2"), 0);
    denyMonitor.join();
    EXPECT_TRUE(decisions(denies).empty()) << denies;
    EXPECT_EQ(sh(ctlBase + " --port nope --seconds 1 >/dev/null 2>&1"), 1);
}

TEST_F(NetnsTest, DnatVisibleInCaptureWithValidChecksums) {
    if (!haveTool("tshark") || !haveTool("tcpdump")) GTEST_SKIP() << "needs tshark and tcpdump";
    singleHost();
    std::string pcap = (dir_ / "vm2.pcap").string();
    std::thread server([&] { in(vm2_, "timeout 6 nc -l -p 8080"); });
    std::thread dump([&] { in(vm2_, "timeout 4 tcpdump -i eth0 -w " + pcap + " tcp"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    EXPECT_EQ(in(vm1_, "sh -c 'echo hello | nc -w 2 -N 10.10.0.100 80'"), 0);
    dump.join();
    server.join();
    std::string out = capture("tshark -r " + pcap + " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE "
                              "-T fields -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport "
                              "-e tcp.checksum.status -e ip.checksum.status");
    ASSERT_FALSE(out.empty());
    // Seen inside vm2: client -> 10.10.0.2:8080 (not the VIP), checksums good (status 1).
    EXPECT_NE(out.find("10.10.0.1\t10.10.0.2\t"), std::string::npos) << out;
    EXPECT_NE(out.find("\t8080\t1\t1"), std::string::npos) << out;  // 1: good
    EXPECT_EQ(out.find("10.10.0.100"), std::string::npos) << out;
}

TEST_F(NetnsTest, TwoHostsSwitchThroughVxlan) {
    if (!haveTool("tshark") || !haveTool("tcpdump")) GTEST_SKIP() << "needs tshark and tcpdump";
    std::string swA = ns("swa"), swB = ns("swb");
    std::string v1 = vm("vm1", swA, "v1", "02:00:00:0a:00:01", "10.10.0.1");
    std::string v3 = vm("vm3", swB, "v3", "02:00:00:0a:00:03", "10.10.0.3");
    ASSERT_EQ(sh("ip link add ula netns " + swA + " type veth peer name ulb netns " + swB), 0);
    sh("ip -n " + swA + " link set ula address 02:00:00:bb:bb:01 up");
    sh("ip -n " + swB + " link set ulb address 02:00:00:bb:bb:02 up");
    json a = {{"ports", {{"vm1", "af_packet:v1"}}},
              {"uplink", {{"device", "af_packet:ula"}, {"address", "192.168.100.1"}}},
              {"hosts", {{{"address", "192.168.100.2"}, {"mac", "02:00:00:bb:bb:02"}}}},
              {"vms", {{{"vni", 100}, {"ip", "10.10.0.3"}, {"host", "192.168.100.2"}}}}};
    json b = {{"ports", {{"vm3", "af_packet:v3"}}},
              {"uplink", {{"device", "af_packet:ulb"}, {"address", "192.168.100.2"}}},
              {"hosts", {{{"address", "192.168.100.1"}, {"mac", "02:00:00:bb:bb:01"}}}},
              {"vms", {{{"vni", 100}, {"ip", "10.10.0.1"}, {"host", "192.168.100.1"}}}}};
    Host& ha = start(swA, a);
    start(swB, b);
    // The PMD transmits with qdisc bypass, so a capture sees what an interface receives:
    // A -> B on ulb, B -> A on ula.
    std::string pa = (dir_ / "ula.pcap").string(), pb = (dir_ / "ulb.pcap").string();
    std::thread dumpA([&] { in(swA, "timeout 5 tcpdump -i ula -w " + pa + " udp port 4789"); });
    std::thread dumpB([&] { in(swB, "timeout 5 tcpdump -i ulb -w " + pb + " udp port 4789"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    EXPECT_EQ(in(v1, "ping -c 3 -i 0.2 -W 2 10.10.0.3"), 0);
    std::thread server([&] { in(v3, "timeout 6 nc -l -p 8080"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(in(v1, "sh -c 'echo over-the-overlay | nc -w 2 -N 10.10.0.3 8080'"), 0);
    server.join();
    dumpA.join();
    dumpB.join();
    auto fields = [&](const std::string& p) {
        return capture("tshark -r " + p + " -o ip.check_checksum:TRUE -T fields -e ip.src -e ip.dst "
                       "-e vxlan.vni -e ip.checksum.status -e tcp.dstport");
    };
    std::string ab = fields(pb), ba = fields(pa);
    // Outer then inner addresses; VNI 100; both IPv4 checksums good (1).
    EXPECT_NE(ab.find("192.168.100.1,10.10.0.1\t192.168.100.2,10.10.0.3\t100\t1,1"), std::string::npos) << ab;
    EXPECT_NE(ab.find("\t8080"), std::string::npos) << ab;  // the TCP connection crossed too
    EXPECT_NE(ba.find("192.168.100.2,10.10.0.3\t192.168.100.1,10.10.0.1\t100\t1,1"), std::string::npos) << ba;
    json s = ctl(ha, "stats");
    EXPECT_GT(s["ports"][1]["tx_packets"].get<uint64_t>(), 5u);  // uplink
}

TEST_F(NetnsTest, TcpStateAndAging) {
    Host& h = singleHost({{"tcp_time_wait", "1s"}, {"udp_timeout", "1s"}, {"scan_interval", "50ms"}});
    std::thread server([&] { in(vm2_, "timeout 6 nc -l -p 8080"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(in(vm1_, "sh -c 'echo bye | nc -w 2 -N 10.10.0.2 8080'"), 0);
    server.join();
    json sess = ctl(h, "sessions");
    bool closing = false;
    for (auto& e : sess["sessions"]) {
        if (e["flow"].get<std::string>().find(":8080") != std::string::npos && e.contains("tcp_state"))
            closing |= e["tcp_state"] == "time_wait" || e["tcp_state"] == "fin_wait";
    }
    EXPECT_TRUE(closing) << sess.dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    json after = ctl(h, "stats");
    EXPECT_EQ(after["sessions"]["active"], 0) << after["sessions"].dump();
    EXPECT_GE(after["sessions"]["aged"].get<uint64_t>(), 2u);
}

TEST_F(NetnsTest, FullSessionTableRefusesNewConnections) {
    Host& h = singleHost({{"max_per_port", 2}});
    EXPECT_EQ(in(vm1_, "ping -c 1 -W 2 10.10.0.2"), 0);  // one pair: vm1's budget is full
    std::thread server([&] { in(vm2_, "timeout 4 nc -l -p 8080"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_NE(in(vm1_, "nc -z -w 2 10.10.0.2 8080"), 0);
    server.join();
    json s = ctl(h, "stats");
    EXPECT_GT(s["drops"].value("session_table_full", 0), 0);
    // After a flush the connection goes through.
    ctl(h, "flush");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::thread server2([&] { in(vm2_, "timeout 4 nc -l -p 8080"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(in(vm1_, "nc -z -w 2 10.10.0.2 8080"), 0);
    server2.join();
}


// Issue 9: one daemon per device and per socket; the socket path never replaces a file.
TEST_F(NetnsTest, SecondDaemonOnTheSameVethsOrSocketIsRefused) {
    Host& h = singleHost();
    ASSERT_TRUE(alive(h));
    // Same veths, another socket: refused, it never forwards.
    auto [rc, err] = runOnce(sw_, "dup_dev",
                             {{"ports", {{"vm1", "af_packet:v1"}, {"vm2", "af_packet:v2"}}},
                              {"control_socket", (dir_ / "other.sock").string()}});
    EXPECT_EQ(rc, 1) << err;
    EXPECT_NE(err.find("already owns device af_packet:v1"), std::string::npos) << err;
    // Same socket, other devices: refused; the first daemon keeps its socket.
    auto [rc2, err2] = runOnce(sw_, "dup_sock",
                               {{"ports", {{"vm1", "ring:r1"}}}, {"control_socket", h.socket}});
    EXPECT_EQ(rc2, 1) << err2;
    EXPECT_NE(err2.find("already owns control socket"), std::string::npos) << err2;
    EXPECT_NE(err2.find("pid " + std::to_string(h.pid)), std::string::npos) << err2;
    EXPECT_TRUE(ctl(h, "stats").contains("totals"));
    // One switch forwards: no duplicate echo replies.
    std::string ping = inOut(vm1_, "ping -c 3 -i 0.2 -W 2 10.10.0.2");
    EXPECT_NE(ping.find("3 received"), std::string::npos) << ping;
    EXPECT_EQ(ping.find("DUP!"), std::string::npos) << ping;
}

TEST_F(NetnsTest, ControlSocketNamingARegularFileLeavesItAlone) {
    std::string sw = ns("sw");
    std::string file = (dir_ / "precious.txt").string();
    std::ofstream(file) << "keep me\n";
    auto [rc, err] = runOnce(sw, "regular", {{"ports", {{"vm1", "ring:r1"}}},
                                             {"control_socket", file}});
    EXPECT_EQ(rc, 1) << err;
    EXPECT_NE(err.find("exists and is not a socket"), std::string::npos) << err;
    std::ifstream f(file);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "keep me\n");
    // A stale socket of a dead daemon (nobody holds its lock) is replaced.
    std::string stale = (dir_ / "stale.sock").string();
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, stale.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    close(fd);
    auto [rc2, err2] = runOnce(sw, "stale", {{"ports", {{"vm1", "ring:r1"}}},
                                             {"control_socket", stale}});
    EXPECT_EQ(rc2, 0) << err2;
    EXPECT_FALSE(fs::exists(stale));  // removed again on exit
}

TEST_F(NetnsTest, SighupAndClientsThatLeaveEarlyDoNotKillTheDaemon) {
    Host& h = singleHost();
    ASSERT_TRUE(alive(h));
    ASSERT_EQ(kill(h.pid, SIGHUP), 0);
    for (int i = 0; i < 50; ++i) {  // request, then close without reading the reply
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, h.socket.c_str());
        ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        std::string req = "{\"cmd\":\"stats\",\"format\":\"prometheus\"}\n";
        ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
        close(fd);
    }
    EXPECT_TRUE(ctl(h, "stats").contains("totals"));
    EXPECT_TRUE(alive(h));
    EXPECT_EQ(in(vm1_, "ping -c 1 -W 2 10.10.0.2"), 0);
    // The reload (check, verify, compile) runs beside the workers; its line comes when it ends.
    std::string log;
    for (int i = 0; i < 150 && log.find("SIGHUP reload of") == std::string::npos; ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        log = capture("cat " + (dir_ / (sw_ + ".log")).string());
    }
    EXPECT_NE(log.find("SIGHUP reload of"), std::string::npos) << log;
}

}  // namespace
