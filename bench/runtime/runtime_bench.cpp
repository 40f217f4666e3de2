// runtime_bench: Mpps per core and cycles per packet of the vSwitch worker on ring devices.
//   hits:   F ICMP echo flows (stateful pairs) circulate; every packet hits the session cache.
//   misses: every packet carries a new ICMP identifier: slow path (compiled by default) and a
//           session-pair install per packet.
//   bare:   a plain rx_burst -> tx_burst loop between two ring devices (the limit).
// One worker lcore processes; the main lcore recycles transmitted mbufs back into the
// receive ring so the worker never starves (it counts busy loops; figures use its packets and
// the wall time). Usage: runtime_bench [--seconds S] [--flows F] [--slow-path compiled|interpreter]
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "sluice/lang/frontend.h"
#include "sluice/runtime/runtime.h"

using namespace sluice;
using nlohmann::json;

namespace {

uint16_t csum(const uint8_t* p, size_t len) {
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}

// 64-byte ICMP echo request from vm1 (10.10.0.1) to vm2 (10.10.0.2) with identifier `id`.
void echoFrame(uint8_t* f, uint16_t id) {
    std::memset(f, 0, 60);
    const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0xfe}, src[6] = {0x02, 0, 0, 0x0a, 0, 0x01};
    std::memcpy(f, dst, 6);
    std::memcpy(f + 6, src, 6);
    f[12] = 0x08;
    uint8_t* ip = f + 14;
    ip[0] = 0x45;
    ip[3] = 46;
    ip[8] = 64;
    ip[9] = 1;
    const uint8_t a[4] = {10, 10, 0, 1}, b[4] = {10, 10, 0, 2};
    std::memcpy(ip + 12, a, 4);
    std::memcpy(ip + 16, b, 4);
    uint16_t c = csum(ip, 20);
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
    uint8_t* icmp = ip + 20;
    icmp[0] = 8;
    icmp[4] = static_cast<uint8_t>(id >> 8);
    icmp[5] = static_cast<uint8_t>(id);
    c = csum(icmp, 26);
    icmp[2] = static_cast<uint8_t>(c >> 8);
    icmp[3] = static_cast<uint8_t>(c);
}

rte_mempool* gPool;

// Fills `rx` with `count` frames of `flows` distinct identifiers.
bool prime(rte_ring* rx, unsigned count, unsigned flows) {
    for (unsigned i = 0; i < count; ++i) {
        rte_mbuf* m = rte_pktmbuf_alloc(gPool);
        if (m == nullptr) return false;
        auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60));
        echoFrame(p, static_cast<uint16_t>(i % flows));
        if (rte_ring_enqueue(rx, m) != 0) {
            rte_pktmbuf_free(m);
            return false;
        }
    }
    return true;
}

// Moves transmitted mbufs back to the receive ring for `seconds`. With `fresh`, each
// recycled frame is rewritten as a new flow (new identifier, original MACs).
void recycle(rte_ring* tx, rte_ring* rx, double seconds, bool fresh, uint32_t& nextId) {
    uint64_t end = rte_rdtsc() + static_cast<uint64_t>(seconds * rte_get_tsc_hz());
    void* objs[64];
    while (rte_rdtsc() < end) {
        unsigned n = rte_ring_dequeue_burst(tx, objs, 64, nullptr);
        if (fresh) {
            for (unsigned i = 0; i < n; ++i) {
                auto* m = static_cast<rte_mbuf*>(objs[i]);
                rte_pktmbuf_reset(m);
                echoFrame(reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60)),
                          static_cast<uint16_t>(nextId++));
                // Vary the source address too so 16-bit identifiers do not repeat.
                rte_pktmbuf_mtod(m, uint8_t*)[14 + 14] = static_cast<uint8_t>(nextId >> 16);
            }
        }
        unsigned k = rte_ring_enqueue_burst(rx, objs, n, nullptr);
        for (unsigned i = k; i < n; ++i) rte_pktmbuf_free(static_cast<rte_mbuf*>(objs[i]));
    }
}

std::atomic<bool> gBareRun;
struct BareArgs {
    uint16_t in, out;
    uint64_t packets = 0;
    uint64_t busyCycles = 0;
};
int bareLoop(void* arg) {
    auto* a = static_cast<BareArgs*>(arg);
    rte_mbuf* pkts[32];
    while (gBareRun.load(std::memory_order_relaxed)) {
        uint16_t n = rte_eth_rx_burst(a->in, 0, pkts, 32);
        if (n == 0) continue;
        uint64_t t0 = rte_rdtsc();
        uint16_t s = rte_eth_tx_burst(a->out, 0, pkts, n);
        for (uint16_t i = s; i < n; ++i) rte_pktmbuf_free(pkts[i]);
        a->packets += n;
        a->busyCycles += rte_rdtsc() - t0;
    }
    return 0;
}

// CPU seconds used so far by the EAL worker thread of lcore 1 (its name contains "-1"). On
// a shared machine the worker is preempted; packets per CPU second is the per-core figure.
double workerCpuSeconds() {
    double best = 0;
    DIR* d = opendir("/proc/self/task");
    if (d == nullptr) return 0;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string base = std::string("/proc/self/task/") + e->d_name;
        std::ifstream comm(base + "/comm");
        std::string name;
        std::getline(comm, name);
        if (name.find("worker-1") == std::string::npos) continue;
        std::ifstream st(base + "/stat");
        std::string line;
        std::getline(st, line);
        auto close = line.rfind(')');
        std::istringstream is(line.substr(close + 2));
        std::string tok;
        unsigned long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && is >> tok; ++i) {
            if (i == 14) utime = std::stoul(tok);
            if (i == 15) stime = std::stoul(tok);
        }
        best = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    closedir(d);
    return best;
}

// cycles_per_packet: worker TSC cycles spent processing bursts (rx of a non-empty burst to
// the end of its tx) per packet, the cost without idle polls; mpps_per_core = hz / that.
json figures(uint64_t packets, double wallSecs, double cpuSecs, double hz, uint64_t busy) {
    double cpp = static_cast<double>(busy) / static_cast<double>(packets);
    return {{"packets", packets},
            {"busy_cycles_per_packet", cpp},
            {"mpps_per_core_busy", hz / cpp / 1e6},
            {"wall_s", wallSecs},
            {"worker_cpu_s", cpuSecs},
            {"mpps_wall", static_cast<double>(packets) / wallSecs / 1e6},
            {"mpps_per_cpu_second", static_cast<double>(packets) / cpuSecs / 1e6},
            {"ns_per_packet_busy", 1e9 * cpp / hz}};
}

uint64_t portRx(rt::Runtime& r, const char* name) {
    json s = json::parse(r.statsJson());
    for (auto& p : s["ports"]) if (p["name"] == name) return p["rx_packets"];
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 3;
    unsigned flows = 1024;
    std::string slow = "compiled";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--seconds") seconds = std::atof(argv[i + 1]);
        else if (k == "--flows") flows = static_cast<unsigned>(std::atoi(argv[i + 1]));
        else if (k == "--slow-path") slow = argv[i + 1];
    }
    auto s = rt::initEal({"runtime_bench", "--lcores=0@0,1@1", "--no-huge", "-m", "1024", "--no-pci",
                          "--no-shconf", "--iova-mode=va", "--no-telemetry",
                          "--file-prefix=rtbench" + std::to_string(getpid()), "--log-level=*:error"});
    if (!s) { std::fprintf(stderr, "%s\n", s.error().str().c_str()); return 1; }
    gPool = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    double hz = static_cast<double>(rte_get_tsc_hz());
    json out;
    out["tsc_ghz"] = hz / 1e9;
    const unsigned inflight = 2048;

    // --- bare loop ---
    {
        rte_ring* r1 = rte_ring_create("bare_rx", 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);  // as the runtime's
        rte_ring* r2 = rte_ring_create("bare_tx", 4096, SOCKET_ID_ANY, 0);
        rte_ring* null1 = rte_ring_create("bare_n1", 4096, SOCKET_ID_ANY, 0);
        rte_ring* null2 = rte_ring_create("bare_n2", 4096, SOCKET_ID_ANY, 0);
        int p1 = rte_eth_from_rings("bare_in", &r1, 1, &null1, 1, SOCKET_ID_ANY);
        int p2 = rte_eth_from_rings("bare_out", &null2, 1, &r2, 1, SOCKET_ID_ANY);
        for (int p : {p1, p2}) {
            rte_eth_conf conf{};
            auto port = static_cast<uint16_t>(p);
            rte_eth_dev_configure(port, 1, 1, &conf);
            rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr, gPool);
            rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr);
            rte_eth_dev_start(port);
        }
        prime(r1, inflight, flows);
        BareArgs a{static_cast<uint16_t>(p1), static_cast<uint16_t>(p2)};
        gBareRun = true;
        rte_eal_remote_launch(bareLoop, &a, rte_get_next_lcore(-1, 1, 0));
        uint32_t id = 0;
        recycle(r2, r1, 0.5, false, id);
        uint64_t before = a.packets, b0 = a.busyCycles;
        double c0 = workerCpuSeconds();
        uint64_t t0 = rte_rdtsc();
        recycle(r2, r1, seconds, false, id);
        uint64_t pk = a.packets - before;
        double secs = static_cast<double>(rte_rdtsc() - t0) / hz;
        double cpu = workerCpuSeconds() - c0;
        gBareRun = false;
        rte_eal_mp_wait_lcore();
        out["bare"] = figures(pk, secs, cpu, hz, a.busyCycles - b0);
    }

    // --- sluice: hits, then misses ---
    json cfgj = {{"policy", std::string(SLUICE_SOURCE_DIR) + "/examples/run/demo.sl"},
                 {"slow_path", slow},
                 {"ports", {{"vm1", "ring:b1"}, {"vm2", "ring:b2"}}},
                 {"sessions", {{"max_per_port", 65536}}}};
    auto cfg = rt::parseRunConfig(cfgj.dump(), "");
    lang::Frontend fe;
    auto policy = fe.loadFile(cfg->policyPath);
    std::string note;
    auto sp = rt::makeSlowPath(cfg->slowPath, policy, 1, note);
    if (!sp) { std::fprintf(stderr, "%s\n", sp.error().str().c_str()); return 1; }
    auto r = rt::Runtime::create(*cfg, policy, std::move(sp.value()));
    if (!r) { std::fprintf(stderr, "%s\n", r.error().str().c_str()); return 1; }
    rt::Runtime& run = **r;
    auto [rx1, tx1] = run.ringNames("b1");
    auto [rx2, tx2] = run.ringNames("b2");
    rte_ring* in = rte_ring_lookup(rx1.c_str());
    rte_ring* back = rte_ring_lookup(tx2.c_str());
    out["slow_path"] = run.slowPathKind();
    if (!run.start(false)) return 1;
    prime(in, inflight, flows);
    uint32_t id = 0;
    recycle(back, in, 1.0, false, id);  // warm-up: installs the pairs
    uint64_t before = portRx(run, "vm1");
    uint64_t busy0 = json::parse(run.statsJson())["totals"]["busy_cycles"];
    double c0 = workerCpuSeconds();
    uint64_t t0 = rte_rdtsc();
    recycle(back, in, seconds, false, id);
    uint64_t pk = portRx(run, "vm1") - before;
    double secs = static_cast<double>(rte_rdtsc() - t0) / hz;
    double cpu = workerCpuSeconds() - c0;
    json st = json::parse(run.statsJson());
    uint64_t busy1 = st["totals"]["busy_cycles"];
    out["hits"] = figures(pk, secs, cpu, hz, busy1 - busy0);
    out["hits"]["flows"] = flows;
    out["hits"]["misses_so_far"] = st["totals"]["session_misses"];
    uint64_t m0 = st["totals"]["session_misses"];
    id = 100000;
    c0 = workerCpuSeconds();
    t0 = rte_rdtsc();
    recycle(back, in, std::min(seconds, 1.0), true, id);
    secs = static_cast<double>(rte_rdtsc() - t0) / hz;
    cpu = workerCpuSeconds() - c0;
    st = json::parse(run.statsJson());
    uint64_t misses = st["totals"]["session_misses"].get<uint64_t>() - m0;
    out["misses"] = figures(misses, secs, cpu, hz, st["totals"]["busy_cycles"].get<uint64_t>() - busy1);
    out["misses"]["slow_path_cycles_per_miss_incl_install"] = st["totals"]["slow_path_cycles_per_miss"];
    out["misses"]["sessions_active"] = st["sessions"]["active"];
    out["misses"]["refused_table_full"] = st["drops"].value("session_table_full", 0);
    run.stop();
    double ratio = out["hits"]["busy_cycles_per_packet"].get<double>() /
                   out["bare"]["busy_cycles_per_packet"].get<double>();
    out["hits_vs_bare"] = ratio;
    out["goal_20mpps_met"] = out["hits"]["mpps_per_core_busy"].get<double>() >= 20.0;
    out["goal_1_5x_bare_met"] = ratio <= 1.5;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
