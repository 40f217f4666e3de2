// Convergence with ALM (Achelous 4.3), simulated past one machine: the gateway's real loop
// (runGateway: file store watch, RSP responder) in a thread, and L learner instances made of
// the real RSP codec over loopback, each holding H forwarding-cache entries and reconciling,
// every 50 ms, the entries older than 100 ms in batches of 24. After every learner has learned
// its entries, the controller moves M VMs that every learner holds; the figure is the time
// from the start of that commit to each learner holding the new host, for each (learner, VM).
//   convergence_bench [VMS...]     (default 10 1000 100000)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "sluice/gateway/process.h"
#include "sluice/gateway/responder.h"

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;
constexpr int kLearners = 16, kHeld = 200, kMoved = 10;
constexpr auto kScan = std::chrono::milliseconds(50), kAge = std::chrono::milliseconds(100);

controller::Address v4(uint32_t x) {
    controller::Address a;
    a.family = 4;
    a.bytes = {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)};
    return a;
}

struct Entry {
    uint32_t vm;
    uint64_t version = 0;
    controller::Address host;
    Clock::time_point updated;
};

struct Learner {
    int fd = -1;
    uint32_t sender;
    rsp::SequenceCounter seq{1};
    std::vector<Entry> entries;
};

uint16_t freePort() {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t l = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &l);
    ::close(s);
    return ntohs(a.sin_port);
}

// Sends queries for the entries that are due (all with learn=true) in batches of 24.
void sendQueries(Learner& l, const rsp::Keyring& keys, Clock::time_point now, bool all) {
    rsp::QueryBatch q;
    uint8_t buf[rsp::kMaxMessageBytes];
    auto flush = [&] {
        if (q.header.count == 0) return;
        q.header.version = rsp::kVersion;
        q.header.keyId = 1;
        q.header.sender = l.sender;
        q.header.sequence = l.seq.next();
        q.header.flags = all ? 0 : rsp::kFlagReconcile;
        size_t n = 0;
        if (rsp::encodeQueries(q, keys, buf, sizeof buf, n) == rsp::RspError::None)
            ::send(l.fd, buf, n, 0);
        q.header.count = 0;
    };
    for (auto& e : l.entries) {
        if (!all && now - e.updated < kAge) continue;
        q.entries[q.header.count++] = {100, gateway::toRsp(v4(e.vm)), e.version};
        if (q.header.count == rsp::kMaxEntries) flush();
    }
    flush();
}

void receive(Learner& l, rsp::Receiver& rx, Clock::time_point now) {
    uint8_t buf[rsp::kMaxMessageBytes];
    rsp::ReplyBatch r;
    for (;;) {
        ssize_t n = ::recv(l.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) return;
        if (rx.receiveReplies(buf, size_t(n), r) != rsp::RspError::None) continue;
        for (size_t i = 0; i < r.header.count; ++i) {
            const auto& re = r.entries[i];
            uint32_t vm = uint32_t(re.dst.bytes[0]) << 24 | uint32_t(re.dst.bytes[1]) << 16 |
                          uint32_t(re.dst.bytes[2]) << 8 | re.dst.bytes[3];
            for (auto& e : l.entries) {
                if (e.vm != vm) continue;
                e.updated = now;  // checked, whatever the answer
                if (re.status == rsp::EntryStatus::Changed) {
                    e.version = re.version;
                    e.host = gateway::fromRsp(re.underlay);
                }
            }
        }
    }
}

void runSize(size_t vms, const std::filesystem::path& dir) {
    auto store = (dir / "convergence.store").string();
    std::filesystem::remove(store);
    auto s = controller::openFileStore(store);
    for (size_t done = 0; done < vms;) {
        std::vector<controller::Write> ws;
        for (; done < vms && ws.size() < 100000; ++done) {
            controller::Write w;
            w.vm = {100, v4(0x0a000000u + uint32_t(done))};
            w.vmValue = {v4(0xc0a80000u + uint32_t(done % 4096)), controller::Mac{{2, 0, 0, 0, 0, 1}}, 0};
            ws.push_back(w);
        }
        s->commit(ws);
    }
    gateway::GatewayConfig c;
    c.store = store;
    c.listen = "127.0.0.1";
    c.port = freePort();
    c.keys.push_back({1, std::vector<uint8_t>(32, 7)});
    c.replyKey = 1;
    std::atomic<bool> stop{false};
    std::ostringstream log, stats;
    std::thread gw([&] { gateway::runGateway(c, stop, log, stats); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));

    rsp::Keyring keys;
    std::vector<uint8_t> key(32, 7);
    keys.add(1, key.data(), key.size());
    std::vector<Learner> learners(kLearners);
    std::vector<std::unique_ptr<rsp::Receiver>> rxs;
    size_t held = std::min<size_t>(kHeld, vms);
    size_t moved = std::min<size_t>(kMoved, vms);
    for (int i = 0; i < kLearners; ++i) {
        auto& l = learners[i];
        l.sender = uint32_t(i + 1);
        l.fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(c.port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(l.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        // The moved VMs are 0..moved-1: every learner holds them; the rest spread by learner.
        for (size_t k = 0; k < held; ++k) {
            uint32_t vm = k < moved ? uint32_t(k) : uint32_t((k * 7919 + size_t(i) * 104729) % vms);
            l.entries.push_back({0x0a000000u + vm, 0, {}, {}});
        }
        rxs.push_back(std::make_unique<rsp::Receiver>(keys, 4));
    }
    // Learn everything, then run reconciles until steady.
    auto now = Clock::now();
    for (int i = 0; i < kLearners; ++i) sendQueries(learners[i], keys, now, true);
    auto loop = [&](Clock::time_point until, auto&& onTick) {
        auto next = Clock::now();
        while (Clock::now() < until) {
            auto t = Clock::now();
            for (int i = 0; i < kLearners; ++i) receive(learners[i], *rxs[i], t);
            if (t >= next) {
                for (int i = 0; i < kLearners; ++i) sendQueries(learners[i], keys, t, false);
                next = t + kScan;
            }
            if (onTick(t)) return;
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    };
    // Until every entry is learned (the gateway may still be loading a large store: unanswered
    // learns are retried by the reconcile scan), then half a second of steady reconciles.
    auto countLearned = [&] {
        size_t n = 0;
        for (auto& l : learners)
            for (auto& e : l.entries) n += e.version != 0;
        return n;
    };
    loop(Clock::now() + std::chrono::seconds(60),
         [&](Clock::time_point) { return countLearned() == size_t(kLearners) * held; });
    loop(Clock::now() + std::chrono::milliseconds(500), [](Clock::time_point) { return false; });
    size_t learned = countLearned();

    // The move.
    std::vector<controller::Write> ws;
    for (size_t k = 0; k < moved; ++k) {
        controller::Write w;
        w.vm = {100, v4(0x0a000000u + uint32_t(k))};
        w.vmValue = {v4(0xc0a90000u + uint32_t(k)), controller::Mac{{2, 0, 0, 0, 0, 1}}, 0};
        ws.push_back(w);
    }
    auto t0 = Clock::now();
    s->commit(ws);
    double commitMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::map<std::pair<int, uint32_t>, double> done;
    loop(t0 + std::chrono::seconds(30), [&](Clock::time_point t) {
        for (int i = 0; i < kLearners; ++i)
            for (auto& e : learners[i].entries)
                if (e.vm - 0x0a000000u < moved && e.host == v4(0xc0a90000u + (e.vm - 0x0a000000u)) &&
                    !done.count({i, e.vm}))
                    done[{i, e.vm}] = std::chrono::duration<double, std::milli>(t - t0).count();
        return done.size() == size_t(kLearners) * moved;
    });
    stop = true;
    gw.join();
    std::vector<double> ms;
    for (auto& [k, v] : done) ms.push_back(v);
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms.empty() ? -1.0 : ms[std::min(ms.size() - 1, size_t(p * ms.size()))]; };
    std::printf("| %zu | %d x %zu | %zu/%zu | %zu/%zu | %.1f | %.0f | %.0f | %.0f |\n", vms, kLearners,
                held, learned, size_t(kLearners) * held, ms.size(), size_t(kLearners) * moved,
                commitMs, pct(0.5), pct(0.99), ms.empty() ? -1.0 : ms.back());
    for (auto& l : learners) ::close(l.fd);
    std::filesystem::remove(store);
    std::filesystem::remove(store + ".lock");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<size_t> sizes;
    for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
    if (sizes.empty()) sizes = {10, 1000, 100000};
    std::printf("| VMs | learners x entries | learned | converged | commit ms | p50 ms | p99 ms | max ms |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (size_t n : sizes) runSize(n, std::filesystem::temp_directory_path());
    return 0;
}
