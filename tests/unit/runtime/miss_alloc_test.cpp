// The fast path and the miss path allocate nothing (issues 9 and 10): a replaced global
// operator new counts the allocations made on this thread while the worker loop runs on it
// (Runtime::pollOnce, runtime not started), for misses of every kind the demo policy has:
// local delivery with a pair install, policy denies, VXLAN to another host, uplink packets
// for no local port, and hits on all of them.
#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>

#include "harness.h"
#include "pipelines/pipelines.h"

namespace {

thread_local bool tCounting = false;
std::atomic<uint64_t> gAllocations{0};

void* counted(std::size_t n, std::size_t align) {
    if (tCounting) gAllocations.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) n = 1;
    void* p = align > alignof(std::max_align_t)
                  ? std::aligned_alloc(align, (n + align - 1) / align * align)
                  : std::malloc(n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

}  // namespace

void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new[](std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, static_cast<size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted(n, static_cast<size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace sluice::rt::test {
namespace {

constexpr uint64_t kGwMac = 0x0200000000feULL;
const uint32_t kIp1 = ip4("10.10.0.1"), kIp2 = ip4("10.10.0.2"), kIp3 = ip4("10.10.0.3");

// A runtime that is created but not started: the test thread is its worker.
struct InlineRuntime {
    std::unique_ptr<Runtime> rt;
    explicit InlineRuntime(const std::string& slow) {
        ensureEal();
        auto cfg = parseRunConfig(ringConfig().dump(), "");
        EXPECT_TRUE(cfg.ok());
        if (!cfg) return;
        lang::Frontend fe;
        auto policy = fe.loadFile(cfg->policyPath);
        EXPECT_TRUE(policy != nullptr);
        if (!policy) return;
        std::string note;
        auto art = pipelines::makeArtifact(slow, policy, 1, note);
        EXPECT_TRUE(art.ok()) << (art.ok() ? "" : art.error().str());
        if (!art) return;
        auto r = Runtime::create(*cfg, std::move(art.value()));
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().str());
        if (r) rt = std::move(r.value());
    }
    // Injects `frames` on `ring`, runs the worker until it is idle, and returns how many
    // allocations it made meanwhile. Transmitted frames are collected (outside the count).
    uint64_t run(const std::string& ring, const std::vector<Bytes>& frames) {
        EXPECT_TRUE(rt->injectFrames(ring, frames));
        uint64_t before = gAllocations.load();
        tCounting = true;
        while (rt->pollOnce(0)) {
        }
        tCounting = false;
        uint64_t n = gAllocations.load() - before;
        for (const char* r : {"a1", "a2", "up"}) rt->collectFrames(r);
        return n;
    }
    nlohmann::json stats() { return nlohmann::json::parse(rt->statsJson()); }
};

std::vector<Bytes> flows(unsigned n, const std::function<Bytes(unsigned)>& make) {
    std::vector<Bytes> v;
    for (unsigned i = 0; i < n; ++i) v.push_back(make(i));
    return v;
}

TEST(MissPathAllocations, NoneOnMissesOrHits) {
    InlineRuntime r("compiled");
    ASSERT_TRUE(r.rt);
    // The counter works: an allocation on this thread while counting is seen.
    tCounting = true;
    auto* probe = new std::string(64, 'x');
    tCounting = false;
    delete probe;
    ASSERT_GE(gAllocations.load(), 1u);

    const unsigned n = 500;
    auto ping = flows(n, [](unsigned i) {
        return ipv4(kGwMac, kMacVm1, kIp1, kIp2, 1, static_cast<uint16_t>(i), 0);
    });
    auto denied = flows(n, [](unsigned i) {
        return ipv4(kGwMac, kMacVm1, kIp1, kIp2, 6, static_cast<uint16_t>(20000 + i), 9090, 0x02);
    });
    auto tunnelled = flows(n, [](unsigned i) {
        return ipv4(kGwMac, kMacVm1, kIp1, kIp3, 17, static_cast<uint16_t>(30000 + i), 53, 0);
    });
    auto noPort = flows(2 * n, [](unsigned i) {
        return ipv4(0x020000aaaa01ULL, kMacHostB, ip4("10.20.0.9"), ip4("10.99.0.1"), 17,
                    static_cast<uint16_t>(1000 + i), 53, 0);
    });
    EXPECT_EQ(r.run("a1", ping), 0u) << "allowed misses with a pair install";
    EXPECT_EQ(r.run("a1", denied), 0u) << "policy-deny misses";
    EXPECT_EQ(r.run("a1", tunnelled), 0u) << "misses tunnelled to host B";
    EXPECT_EQ(r.run("up", noPort), 0u) << "uplink misses for no local port";
    auto s = r.stats();
    // Every packet above was a miss of the kind intended.
    EXPECT_EQ(s["totals"]["session_misses"], 5 * n);
    EXPECT_EQ(s["drops"].value("policy_deny", uint64_t{0}), n);
    EXPECT_EQ(s["drops"].value("no_local_port", uint64_t{0}), 2 * n);
    // Hits on all of them (the drop decisions are cached too).
    EXPECT_EQ(r.run("a1", ping), 0u);
    EXPECT_EQ(r.run("a1", denied), 0u);
    EXPECT_EQ(r.run("a1", tunnelled), 0u);
    EXPECT_EQ(r.run("up", noPort), 0u);
    s = r.stats();
    EXPECT_EQ(s["totals"]["session_hits"], 5 * n);
    EXPECT_EQ(s["totals"]["session_misses"], 5 * n);
    EXPECT_EQ(s["drops"].value("no_local_port", uint64_t{0}), 4 * n);
}

}  // namespace
}  // namespace sluice::rt::test
