// Datapath internals: devices, per-worker state, the decision function (slow path composition)
// and the worker loop. See runtime/README.md for the design.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "session_table.h"
#include "sluice/runtime/config.h"
#include "sluice/runtime/flow.h"
#include "sluice/runtime/slow_path.h"
#include "transposition.h"

namespace sluice::rt {

inline constexpr unsigned kMaxDevices = 32;
inline constexpr unsigned kMaxBurst = 64;
inline constexpr uint16_t kNoPort = 0xffff;

struct Device {
    std::string label;  // "port:web1" or "uplink"
    DeviceSpec spec;
    uint16_t ethPort = 0;
    uint16_t policyPort = kNoPort;  // kNoPort for the uplink
    bool isUplink = false;
    uint8_t mac[6] = {};
    rte_ring* ringRx = nullptr;  // ring devices only
    rte_ring* ringTx = nullptr;
    std::string vdevName;
};

// Per-worker counters; only the owning worker writes them.
struct alignas(64) WorkerStats {
    uint64_t rxPackets[kMaxDevices] = {};
    uint64_t rxBytes[kMaxDevices] = {};
    uint64_t txPackets[kMaxDevices] = {};
    uint64_t txBytes[kMaxDevices] = {};
    uint64_t drops[kMaxDevices][kDropReasonCount] = {};  // by receiving device
    uint64_t hits = 0, misses = 0, installs = 0, resimulations = 0, arpReplies = 0;
    uint64_t slowPathCycles = 0;
    uint64_t loops = 0, busyLoops = 0;
    uint64_t busyCycles = 0;  // TSC spent in processBurst (per-packet cost without idle polls)
};

// A pipeline (policy + slow path) in use; swapped under RCU by reload().
struct Pipeline {
    std::shared_ptr<const lang::Policy> policy;
    std::unique_ptr<SlowPath> slowPath;
};

struct PipelineRun {
    uint16_t port;
    uint8_t dir;
    sl_result result;
};

// What the slow path decided for a key, ready to install.
struct Decision {
    DropReason drop = DropReason::None;
    uint16_t owner = kUplinkIngress;
    Transposition fwd;
    PipelineRun runs[2];
    unsigned nRuns = 0;
    bool pair = false;
    FlowKey revKey{};
    Transposition rev;
    uint32_t idleMs = 0;
    bool tcpTrack = false;
    std::string egress;  // description, filled only when `describe` is set
};

class Datapath {
public:
    Datapath(const RunConfig& config, std::shared_ptr<const lang::Policy> policy,
             std::unique_ptr<SlowPath> slowPath);
    ~Datapath();
    Status init();  // devices, mempool, session table
    Status start(bool controlSocket);
    void stop();
    std::string control(const std::string& request);
    Status reload(std::shared_ptr<const lang::Policy> policy, std::unique_ptr<SlowPath> sp);
    uint32_t generation(uint32_t port) const {
        return port < gens_.size() ? gens_[port].load(std::memory_order_acquire) : 0;
    }
    bool injectFrames(const std::string& ring, const std::vector<std::vector<uint8_t>>& frames);
    std::vector<std::vector<uint8_t>> collectFrames(const std::string& ring, size_t max);
    std::string statsJson();
    std::pair<std::string, std::string> ringNames(const std::string& ring) const;
    const char* slowPathKind() const { return pipeline_.load()->slowPath->kind(); }

    // Public for the worker launch trampoline.
    int workerMain(unsigned worker);

private:
    struct PortInfo {
        std::string name;
        uint64_t mac = 0;
        uint32_t vni = 0;
        std::vector<lang::IpAddr> ips;
        uint16_t dev = 0;
    };
    struct WorkerCtx {
        unsigned id = 0;
        std::vector<uint16_t> rxDevs;
        WorkerStats* stats = nullptr;
    };

    Status setupDevice(Device& d, unsigned index);
    void processBurst(WorkerCtx& w, uint16_t dev, rte_mbuf** pkts, uint16_t n, uint64_t now);
    void handleArp(WorkerCtx& w, uint16_t dev, rte_mbuf* m, const PacketLayout& lay);
    bool decide(unsigned worker, const FlowKey& key, uint8_t tcpFlags, uint8_t dscp,
                Decision& d, bool describe);
    void runPipeline(unsigned worker, Decision& d, uint16_t port, lang::Direction dir,
                     const lang::Headers& in, sl_result& out);
    uint32_t install(unsigned worker, const FlowKey& key, const Decision& d, uint64_t now,
                     DropReason& refused);
    void fillSession(uint32_t slot, const FlowKey& key, const FlowKey& origin,
                     const Decision& d, const Transposition& act, SessionRole role,
                     uint64_t now);
    bool resimulate(unsigned worker, uint32_t slot);
    bool tcpAccept(Session& s, uint8_t flags);
    uint64_t expiryMs(const Session& s) const;
    int findLocalPort(uint32_t vni, const lang::IpAddr& ip, bool anyVni) const;
    const lang::IpAddr* vmHost(uint32_t vni, const lang::IpAddr& ip) const;
    uint64_t hostMac(const lang::IpAddr& host) const;
    uint16_t entropy(const FlowKey& key) const;

    void maintenanceMain();
    void agingScan();
    void retireCounters(uint32_t slot);
    std::string handleRequest(const std::string& request);
    std::string traceRequest(const std::string& packet, const std::string& port,
                             const std::string& dir, bool json);
    std::string sessionsJson(size_t limit, const std::string& portFilter);
    std::string prometheus();
    std::string statsText();
    size_t flush(const std::string& portFilter);

    RunConfig cfg_;
    std::atomic<Pipeline*> pipeline_{nullptr};
    std::vector<std::unique_ptr<Pipeline>> oldPipelines_;  // freed after RCU grace periods
    std::vector<PortInfo> ports_;
    std::vector<Device> devices_;
    int uplinkDev_ = -1;
    uint8_t uplinkMac_[6] = {};
    uint8_t gwMac_[6] = {};
    rte_mempool* pool_ = nullptr;
    std::unique_ptr<SessionTable> table_;
    std::deque<std::atomic<uint32_t>> gens_;
    std::vector<WorkerCtx> workers_;
    std::vector<WorkerStats> stats_;
    std::vector<unsigned> lcores_;
    std::atomic<bool> running_{false};
    std::atomic<bool> maintRunning_{false};
    std::thread maint_;
    std::mutex controlMu_;  // control() callers (socket thread vs. in-process tests)
    int listenFd_ = -1;
    uint64_t tscHz_ = 1;
    uint64_t startTsc_ = 0;
    std::string name_;
    // Counters of sessions that have been removed (maintenance thread writes, stats reads
    // under controlMu_).
    std::vector<uint64_t> retiredRulePackets_, retiredLayerPackets_;
    uint64_t sessionsAged_ = 0, sessionsFlushed_ = 0;
    bool started_ = false;
    bool devicesStopped_ = false;
};

}  // namespace sluice::rt
