// `sluice gateway CONFIG` over loopback (docs/gateway.md): a learner made of the real RSP codec
// learns a VM's host, sees a `ctl vm move` through a reconcile, and the gateway refuses and
// counts replayed, forged and oversized datagrams; config errors exit 1. Loopback only.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "sluice/rsp/codec.h"

namespace {

namespace fs = std::filesystem;
using namespace sluice;
using Clock = std::chrono::steady_clock;

const std::string kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Gateway : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sluice-gateway-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        store_ = (dir_ / "vpc.store").string();
        uint8_t key[32];
        for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
        ASSERT_EQ(keys_.add(1, key, 32), rsp::RspError::None);
    }
    void TearDown() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (sock_ >= 0) ::close(sock_);
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    int sluice(const std::string& args) {
        int s = std::system(("timeout 30 " + std::string(SLUICE_BINARY_DIR) + "/cli/sluice " +
                             args + " >/dev/null 2>" + (dir_ / "cmd.err").string())
                                .c_str());
        return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
    }
    std::string writeConfig(const std::string& body) {
        auto p = (dir_ / "gateway.json").string();
        std::ofstream(p) << body;
        return p;
    }
    std::string goodConfig() {
        return writeConfig(R"({"store": "vpc.store", "watch_interval_ms": 20,
            "rsp": {"listen": "127.0.0.1", "port": 0, "sender": 9,
                    "keys": [{"id": 1, "key": ")" +
                           kKeyHex + R"("}]}})");
    }
    // Starts the gateway and waits (up to 10 s) for its start line; returns the RSP port.
    int start(const std::string& config) {
        errPath_ = (dir_ / "gw.err").string();
        outPath_ = (dir_ / "gw.out").string();
        pid_ = ::fork();
        if (pid_ == 0) {
            FILE* e = std::freopen(errPath_.c_str(), "w", stderr);
            FILE* o = std::freopen(outPath_.c_str(), "w", stdout);
            (void)e;
            (void)o;
            std::string bin = std::string(SLUICE_BINARY_DIR) + "/cli/sluice";
            ::execl(bin.c_str(), bin.c_str(), "gateway", config.c_str(), nullptr);
            _exit(127);
        }
        // The whole start line (it ends with a newline), then its RSP port.
        std::regex line(R"(RSP on 127\.0\.0\.1:(\d+)[^\n]*\n)");
        for (auto end = Clock::now() + std::chrono::seconds(10); Clock::now() < end;) {
            std::smatch m;
            std::string err = slurp(errPath_);
            if (std::regex_search(err, m, line)) return std::stoi(m[1]);
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                ADD_FAILURE() << "gateway exited: " << err;
                return -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ADD_FAILURE() << "no start line: " << slurp(errPath_);
        return -1;
    }
    // SIGTERM, exit status, the counters it prints.
    nlohmann::json stop(int& code) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return lastLine();
    }
    // The last counters line the gateway printed.
    nlohmann::json lastLine() {
        std::string out = slurp(outPath_);
        if (!out.empty() && out.back() == '\n') out.pop_back();
        return nlohmann::json::parse(out.substr(out.rfind('\n') + 1), nullptr, false);
    }
    void connectTo(int port) {
        sock_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(sock_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    }
    std::vector<uint8_t> query(uint64_t seq, uint64_t known, uint16_t flags = 0) {
        rsp::QueryBatch q;
        q.header = {rsp::kVersion, rsp::MessageType::Query, flags, 1, 42, seq, 1};
        q.entries[0] = {100, rsp::IpAddress::v4(10, 1, 0, 5), known};
        std::vector<uint8_t> m(rsp::kMaxMessageBytes);
        size_t n = 0;
        EXPECT_EQ(rsp::encodeQueries(q, keys_, m.data(), m.size(), n), rsp::RspError::None);
        m.resize(n);
        return m;
    }
    // Sends m; the reply within 2 s, decoded by the learner's receiver, or false.
    bool ask(const std::vector<uint8_t>& m, rsp::ReplyBatch& r) {
        EXPECT_EQ(::send(sock_, m.data(), m.size(), 0), static_cast<ssize_t>(m.size()));
        pollfd p{sock_, POLLIN, 0};
        if (::poll(&p, 1, 2000) != 1) return false;
        uint8_t buf[rsp::kMaxMessageBytes];
        ssize_t n = ::recv(sock_, buf, sizeof buf, 0);
        return n > 0 &&
               learner_.receiveReplies(buf, static_cast<size_t>(n), r) == rsp::RspError::None;
    }
    fs::path dir_;
    std::string store_, errPath_, outPath_;
    pid_t pid_ = -1;
    int sock_ = -1;
    rsp::Keyring keys_;
    rsp::Receiver learner_{keys_, 4};
};

TEST_F(Gateway, LearnsFollowsAMoveAndRefusesForgeries) {
    ASSERT_EQ(sluice("ctl vm --store " + store_ +
                     " add 100 10.1.0.5 --host 192.168.0.2 --mac 02:00:00:00:00:05"),
              0);
    int port = start(goodConfig());
    ASSERT_GT(port, 0);
    connectTo(port);
    uint64_t seq = 1;
    rsp::ReplyBatch r;
    auto learn = query(seq++, 0);
    ASSERT_TRUE(ask(learn, r));
    EXPECT_EQ(r.header.sender, 9u);
    ASSERT_EQ(r.entries[0].status, rsp::EntryStatus::Changed);
    EXPECT_EQ(r.entries[0].underlay, rsp::IpAddress::v4(192, 168, 0, 2));
    uint64_t version = r.entries[0].version;
    EXPECT_EQ(version, 1u);
    // SIGUSR1: the counters while it runs.
    ::kill(pid_, SIGUSR1);
    for (auto end = Clock::now() + std::chrono::seconds(10);
         Clock::now() < end && slurp(outPath_).empty();)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto live = lastLine();
    ASSERT_TRUE(live.is_object()) << slurp(outPath_);
    EXPECT_EQ(live["rsp"]["accepted"], 1);
    EXPECT_EQ(live["rsp"]["learn_queries"], 1);

    // Refused and unanswered: the same query again, a forgery, an oversized datagram.
    ASSERT_EQ(::send(sock_, learn.data(), learn.size(), 0), static_cast<ssize_t>(learn.size()));
    auto forged = query(seq++, 0);
    forged[rsp::kHeaderBytes + 12] ^= 1;
    ASSERT_EQ(::send(sock_, forged.data(), forged.size(), 0), static_cast<ssize_t>(forged.size()));
    std::vector<uint8_t> huge(4000, 0x53);
    ASSERT_EQ(::send(sock_, huge.data(), huge.size(), 0), 4000);

    // The controller moves the VM; reconciles converge on the new host.
    ASSERT_EQ(sluice("ctl vm --store " + store_ + " move 100 10.1.0.5 --host 192.168.0.7"), 0);
    bool moved = false;
    for (auto end = Clock::now() + std::chrono::seconds(10); Clock::now() < end && !moved;) {
        ASSERT_TRUE(ask(query(seq++, version, rsp::kFlagReconcile), r));
        if (r.entries[0].status == rsp::EntryStatus::Changed) {
            EXPECT_EQ(r.entries[0].underlay, rsp::IpAddress::v4(192, 168, 0, 7));
            EXPECT_EQ(r.entries[0].version, 2u);
            moved = true;
        } else {
            ASSERT_EQ(r.entries[0].status, rsp::EntryStatus::Unchanged);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ASSERT_TRUE(moved);
    ASSERT_EQ(sluice("ctl vm --store " + store_ + " del 100 10.1.0.5"), 0);
    bool deleted = false;
    for (auto end = Clock::now() + std::chrono::seconds(10); Clock::now() < end && !deleted;) {
        ASSERT_TRUE(ask(query(seq++, 2, rsp::kFlagReconcile), r));
        deleted = r.entries[0].status == rsp::EntryStatus::Deleted;
    }
    EXPECT_TRUE(deleted);

    int code = -1;
    auto stats = stop(code);
    EXPECT_EQ(code, 0) << slurp(errPath_);
    ASSERT_TRUE(stats.is_object()) << slurp(outPath_);
    EXPECT_EQ(stats["rsp"]["refused"]["replayed"], 1);
    EXPECT_EQ(stats["rsp"]["refused"]["bad_mac"], 1);
    EXPECT_EQ(stats["rsp"]["refused"]["too_long"], 1);
    EXPECT_EQ(stats["rsp"]["truncated"], 1);
    EXPECT_EQ(stats["rsp"]["learn_queries"], 1);
    EXPECT_EQ(stats["rsp"]["replies"], stats["rsp"]["accepted"]);
    EXPECT_GE(stats["table_loads"].get<int>(), 3);
    EXPECT_EQ(stats["revision"], 3);
}

TEST_F(Gateway, KeepsAnsweringWhenTheStoreBreaks) {
    ASSERT_EQ(sluice("ctl vm --store " + store_ +
                     " add 100 10.1.0.5 --host 192.168.0.2 --mac 02:00:00:00:00:05"),
              0);
    int port = start(goodConfig());
    ASSERT_GT(port, 0);
    connectTo(port);
    // A corrupt store (a higher revision, a bad checksum): the last good table keeps answering.
    std::string text = slurp(store_);
    text.replace(text.find("revision 1"), 10, "revision 7");
    std::ofstream(store_, std::ios::trunc) << text;
    for (auto end = Clock::now() + std::chrono::seconds(10);
         Clock::now() < end && slurp(errPath_).find("warning") == std::string::npos;)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_NE(slurp(errPath_).find("checksum mismatch"), std::string::npos) << slurp(errPath_);
    rsp::ReplyBatch r;
    ASSERT_TRUE(ask(query(1, 0), r));
    EXPECT_EQ(r.entries[0].status, rsp::EntryStatus::Changed);
    EXPECT_EQ(r.entries[0].underlay, rsp::IpAddress::v4(192, 168, 0, 2));
    int code = -1;
    auto stats = stop(code);
    EXPECT_EQ(code, 0);
    EXPECT_GE(stats["store_errors"].get<int>(), 1);
}

std::vector<uint8_t> vxlanFrame(uint32_t vni, const uint8_t dst[4], uint16_t etherType = 0x0800,
                                uint8_t flags = 0x08) {
    std::vector<uint8_t> f = {flags,        0, 0, 0, uint8_t(vni >> 16), uint8_t(vni >> 8),
                              uint8_t(vni), 0};
    const uint8_t eth[14] = {0x02,
                             0xaa,
                             0,
                             0,
                             0,
                             0x01,
                             0x02,
                             0xbb,
                             0,
                             0,
                             0,
                             0x02,
                             uint8_t(etherType >> 8),
                             uint8_t(etherType)};
    f.insert(f.end(), eth, eth + 14);
    uint8_t ip[20] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 9};
    std::memcpy(ip + 16, dst, 4);
    f.insert(f.end(), ip, ip + 20);
    const uint8_t udp[8] = {0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0};
    f.insert(f.end(), udp, udp + 8);
    return f;
}

TEST_F(Gateway, RelaysMissesToTheOwningHost) {
    // The VM's "host" is a socket of this test on 127.0.0.2.
    int host = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in ha{};
    ha.sin_family = AF_INET;
    ha.sin_addr.s_addr = htonl(0x7f000002);
    ASSERT_EQ(::bind(host, reinterpret_cast<sockaddr*>(&ha), sizeof ha), 0);
    socklen_t hl = sizeof ha;
    ::getsockname(host, reinterpret_cast<sockaddr*>(&ha), &hl);
    ASSERT_EQ(sluice("ctl vm --store " + store_ +
                     " add 100 10.1.0.5 --host 127.0.0.2 --mac 02:00:00:00:00:05"),
              0);
    auto cfg = writeConfig(R"({"store": "vpc.store", "watch_interval_ms": 20,
        "relay": {"listen": "127.0.0.1", "port": 0, "host_port": )" +
                           std::to_string(ntohs(ha.sin_port)) + R"(},
        "rsp": {"listen": "127.0.0.1", "port": 0, "keys": [{"id": 1, "key": ")" +
                           kKeyHex + R"("}]}})");
    ASSERT_GT(start(cfg), 0);
    std::smatch m;
    std::string err = slurp(errPath_);
    std::regex relayLine(R"(VXLAN relay on 127\.0\.0\.1:(\d+))");
    ASSERT_TRUE(std::regex_search(err, m, relayLine)) << err;
    connectTo(std::stoi(m[1]));
    const uint8_t vm[4] = {10, 1, 0, 5}, nobody[4] = {10, 1, 0, 99};
    // Drops first (nothing may reach the host), then the one packet that is relayed.
    auto send = [&](const std::vector<uint8_t>& f) {
        ASSERT_EQ(::send(sock_, f.data(), f.size(), 0), static_cast<ssize_t>(f.size()));
    };
    send(vxlanFrame(100, nobody));         // unknown destination
    send(vxlanFrame(101, vm));             // the VM is in VNI 100 only
    send(vxlanFrame(100, vm, 0x0806));     // ARP: not IP
    send(vxlanFrame(100, vm, 0x0800, 0));  // no VNI flag
    send(std::vector<uint8_t>(20, 0x08));  // too short
    auto frame = vxlanFrame(100, vm);
    send(frame);
    pollfd p{host, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    uint8_t got[2048];
    ssize_t n = ::recv(host, got, sizeof got, 0);
    ASSERT_EQ(n, static_cast<ssize_t>(frame.size()));
    // The same VXLAN payload with the inner destination MAC set to the VM's.
    const uint8_t vmMac[6] = {2, 0, 0, 0, 0, 5};
    EXPECT_EQ(std::memcmp(got + 8, vmMac, 6), 0);
    EXPECT_EQ(std::memcmp(got, frame.data(), 8), 0);
    EXPECT_EQ(std::memcmp(got + 14, frame.data() + 14, frame.size() - 14), 0);
    EXPECT_EQ(::poll(&p, 1, 200), 0) << "a dropped packet reached the host";
    int code = -1;
    auto stats = stop(code);
    ::close(host);
    EXPECT_EQ(code, 0);
    ASSERT_TRUE(stats.contains("relay")) << stats.dump();
    EXPECT_EQ(stats["relay"]["relayed"], 1);
    EXPECT_EQ(stats["relay"]["drops"]["unknown_destination"], 2);
    EXPECT_EQ(stats["relay"]["drops"]["not_ip"], 1);
    EXPECT_EQ(stats["relay"]["drops"]["no_vni"], 1);
    EXPECT_EQ(stats["relay"]["drops"]["too_short"], 1);
}

TEST_F(Gateway, ConfigErrorsExitOne) {
    auto bad = [&](const std::string& body, const std::string& why) {
        int code = sluice("gateway " + writeConfig(body));
        EXPECT_EQ(code, 1) << body;
        EXPECT_NE(slurp(dir_ / "cmd.err").find(why), std::string::npos) << slurp(dir_ / "cmd.err");
    };
    bad("[]", "not a JSON object");
    bad(R"({"rsp": {}})", "'store'");
    bad(R"({"store": "s", "rsp": {"keys": []}})", "rsp.keys");
    bad(R"({"store": "s", "rsp": {"keys": [{"id": 1, "key": "abcd"}]}})", "32 .. 128 hex digits");
    bad(R"({"store": "s", "extra": 1, "rsp": {}})", "unknown key 'extra'");
    bad(R"({"store": "s", "rsp": {"port": 70000, "keys": [{"id": 1, "key": ")" + kKeyHex +
            R"("}]}})",
        "port must be");
    bad(R"({"store": "s", "rsp": {"listen": "nowhere", "keys": [{"id": 1, "key": ")" + kKeyHex +
            R"("}]}})",
        "rsp.listen");
    bad(R"({"store": "s", "relay": {"port": "x"}, "rsp": {"keys": [{"id": 1, "key": ")" + kKeyHex +
            R"("}]}})",
        "port must be");
    bad(R"({"store": "s", "relay": {"mtu": 1}, "rsp": {"keys": [{"id": 1, "key": ")" + kKeyHex +
            R"("}]}})",
        "unknown key 'relay.mtu'");
    bad(R"({"store": "s", "rsp": {"reply_key": 2, "keys": [{"id": 1, "key": ")" + kKeyHex +
            R"("}]}})",
        "reply_key");
    // A corrupt store at start: refused (exit 1), naming the file.
    std::ofstream(store_) << "garbage\n";
    EXPECT_EQ(sluice("gateway " + goodConfig()), 1);
    EXPECT_NE(slurp(dir_ / "cmd.err").find(store_), std::string::npos) << slurp(dir_ / "cmd.err");
    EXPECT_EQ(sluice("gateway " + (dir_ / "missing.json").string()), 1);
}

}  // namespace
