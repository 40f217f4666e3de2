// Datapath internals: devices, per-worker state, the decision function (slow path composition)
// and the worker loop. See runtime/README.md for the design.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control_protocol.h"
#include "control_server.h"
#include "file_lock.h"
#include "flow_logger.h"
#include "pipeline_swap.h"
#include "session_table.h"
#include "sluice/runtime/config.h"
#include "sluice/runtime/flow.h"
#include "sluice/runtime/reload.h"
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
    uint16_t rxQueues = 1;  // > 1: one per worker, spread by the device (RSS, packet fanout)
    bool hasPort = false;  // ethPort is a DPDK port of ours (set up, or being set up)
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
    uint64_t uncachedDrops = 0;  // drops from the uplink not cached: the drop cache was full
    uint64_t loops = 0, busyLoops = 0;
    uint64_t busyCycles = 0;  // TSC spent in processBurst (per-packet cost without idle polls)
};

struct PipelineRun {
    uint16_t port;
    uint8_t dir;
    sl_result result;
};

// Where a packet goes after a pipeline stage of decide() (VPP next-node style).
enum class NextHop : uint8_t {
    Drop,         // no next hop: Decision::drop and ::detail say why
    InboundPort,  // run `port`'s inbound pipeline next (local switching)
    DeliverVm,    // deliver to `port`'s VM; no further pipeline
    Tunnel,       // VXLAN from tunnelSrc to tunnelDst with `vni`, through the uplink
    Uplink,       // plain, to the uplink's next hop
};

struct Egress {
    NextHop hop = NextHop::Drop;
    uint16_t port = kNoPort;  // InboundPort, DeliverVm
    uint32_t vni = 0;         // Tunnel
    lang::IpAddr tunnelSrc, tunnelDst;
};

// Why decide() dropped a packet, finer than DropReason (for `ctl trace`): one list, X-macro.
#define SLUICE_DROP_DETAILS(X)                                 \
    X(None, "none")                                            \
    X(PolicyDeny, "policy deny")                               \
    X(NoRoute, "no route")                                     \
    X(NotForThisHost, "outer destination is not this host")    \
    X(NoLocalPort, "no local port for destination")            \
    X(NoEgress, "no egress")                                   \
    X(NoUplink, "no uplink configured")                        \
    X(NotExpressible, "transposition not expressible")

enum class DropDetail : uint8_t {
#define SLUICE_DETAIL_ENUM(name, text) name,
    SLUICE_DROP_DETAILS(SLUICE_DETAIL_ENUM)
#undef SLUICE_DETAIL_ENUM
};
const char* dropDetailText(DropDetail d);

// What the slow path decided for a key, ready to install. Plain data: no allocation.
struct Decision {
    DropReason drop = DropReason::None;
    DropDetail detail = DropDetail::None;
    uint16_t owner = kUplinkIngress;
    Egress egress;  // the final next hop (DeliverVm, Tunnel or Uplink) unless dropped
    Transposition fwd;  // valid unless dropped (not zeroed first: buildTransposition writes it)
    PipelineRun runs[2];
    unsigned nRuns = 0;
    bool pair = false;
    FlowKey revKey;  // valid when pair
    Transposition rev;  // valid when pair
    uint32_t idleMs = 0;
    bool tcpTrack = false;
    uint8_t dscp = 0;               // of the packet decided (re-simulation repeats it)
    const Pipeline* pl = nullptr;   // the one pipeline read for this decision (RCU)
};

// Rule steps of a re-simulated session whose packets so far go to its old rules: passed
// from the worker to the maintenance thread through a bounded single-producer queue.
struct StepRecord {
    uint64_t packets;
    uint8_t nSteps;
    SessionStep steps[kMaxSteps];
};
struct alignas(64) StepQueue {
    static constexpr uint32_t kSize = 1024;
    std::atomic<uint32_t> head{0};  // written by the worker
    std::atomic<uint32_t> tail{0};  // written by the maintenance thread
    uint64_t lost = 0;              // worker: records dropped while the queue was full
    StepRecord records[kSize];
};

// What a reload attempt did (history, control replies). Defined in reload.cpp.
struct ReloadAttempt;

class Datapath {
public:
    Datapath(const RunConfig& config, Artifact artifact);  // checked by Runtime::create
    ~Datapath();
    Status init();         // mempool, session table, ports (runtime.cpp)
    Status bindDevices(bool lockDevices = true);  // device locks, devices opened and started
    Status acquireDeviceLocks();
    size_t drainReceive();
    Status closeControl();
    Status start(bool controlSocket);
    // Bounded (runtime.cpp): an error names what did not stop within its deadline; then
    // leaking() holds and nothing that thread may still use is ever freed.
    Status stop(bool keepControl = false);
    bool leaking() const { return leak_; }
    std::string control(const std::string& request);
    Status reload(Artifact artifact);
    // reload.cpp: verify-gated reload through the loader, rollback, history, SIGHUP.
    void setLoader(PipelineLoader loader, std::string policyFile);
    std::string reloadNow(const std::string& file, const ReloadOptions& o, const char* trigger);
    bool reloadAsync(const std::string& file, const ReloadOptions& o,
                     std::function<void(std::string)> done, std::string& busyReply);
    void setChecker(PipelineChecker checker) { checker_ = std::move(checker); }
    std::string rollback(const ReloadOptions& o);
    std::string historyJson();
    bool deferControl(const std::string& request, std::function<void(std::string)> reply);
    void setStateFile(std::string path) { stateFile_ = std::move(path); }
    // state_file.cpp
    Status saveState(const std::string& path, size_t* written = nullptr);
    std::string restoreState(const std::string& path);
    uint32_t generation(uint32_t port) const {
        return port < nGens_ ? gens_[port].load(std::memory_order_acquire) : 0;
    }
    bool injectFrames(const std::string& ring, const std::vector<std::vector<uint8_t>>& frames);
    std::vector<std::vector<uint8_t>> collectFrames(const std::string& ring, size_t max);
    std::string statsJson();
    std::pair<std::string, std::string> ringNames(const std::string& ring) const;
    const char* slowPathKind() const { return pipes_->current()->slowPath->kind(); }

    // Public for the worker launch trampoline.
    int workerMain(unsigned worker);
    // One loop iteration of `worker` on the calling thread (runtime not started): deterministic
    // benchmarks and tests. False when nothing was received (or the runtime runs).
    bool pollOnce(unsigned worker);

private:
    struct PortInfo {
        std::string name;
        uint64_t mac = 0;
        uint32_t vni = 0;
        std::vector<lang::IpAddr> ips;
        uint16_t dev = 0;
    };
    // A burst's per-packet state between the stages (processBurst), one per worker.
    struct BurstScratch {
        FlowKey4 k4[kMaxBurst];
        uint32_t hashes[kMaxBurst];
        uint32_t cand[kMaxBurst];  // the slot peek() found by signature, or kNoSlot
        uint32_t lens[kMaxBurst];
        uint8_t tcpFlags[kMaxBurst];
        rte_mbuf* live[kMaxBurst];
        rte_mbuf* tx[kMaxBurst];
        uint16_t txDev[kMaxBurst];
        PacketLayout lays[kMaxBurst];  // packets not parsed by fast::parse4 (fullMask)
        FlowKey wide[kMaxBurst];       // keys without a compact form (wideMask), misses
    };
    struct WorkerCtx {
        unsigned id = 0;
        struct RxQueue {
            uint16_t dev;
            uint16_t queue;
        };
        std::vector<RxQueue> rxQueues;
        WorkerStats* stats = nullptr;
        std::unique_ptr<BurstScratch> scratch = std::make_unique<BurstScratch>();
    };

    Status setupDevice(Device& d, unsigned index);
    void assignReceiveQueues();  // after setupDevice: which worker polls which (device, queue)
    bool pollWorker(WorkerCtx& w, uint16_t burst);
    uint16_t burstSize() const;
    void processBurst(WorkerCtx& w, uint16_t dev, rte_mbuf** pkts, uint16_t n, uint64_t now);
    void transmit(WorkerCtx& w, uint16_t dev, rte_mbuf** pkts, uint16_t n, uint64_t bytes);
    uint32_t missSlot(WorkerCtx& w, uint16_t dev, unsigned i, bool full, bool isWide,
                      uint64_t now);
    void checkGeneration(WorkerCtx& w, uint32_t slot, uint32_t epoch);
    bool applySlow(WorkerCtx& w, uint16_t dev, rte_mbuf* mb, unsigned i, bool full,
                   uint32_t slot, uint64_t& txBytes);
    // The sum of all ports' generations: it moves whenever any generation does, so a hit
    // compares one number per packet and checks its ports' generations only when it moved.
    uint32_t generationEpoch() const {
        uint32_t e = 0;
        for (uint32_t i = 0; i < nGens_; ++i) e += gens_[i].load(std::memory_order_acquire);
        return e;
    }
    void handleArp(WorkerCtx& w, uint16_t dev, rte_mbuf* m, const PacketLayout& lay);
    // Flow logs (flow_log_hook.cpp): the events of a decision, pushed to the worker's ring.
    void logFlow(unsigned worker, const FlowKey& key, const Decision& d);
    void flowLogStats(nlohmann::json& j) const;
    // `ctl monitor` (subscribe, take, stop), answered from the flow logger's buffers.
    std::string monitorRequest(const ControlRequest& req);
    // The miss path (decision.cpp): stages, each leaving the next hop or a drop.
    struct Walk;
    void decide(unsigned worker, const FlowKey& key, uint8_t tcpFlags, uint8_t dscp,
                Decision& d);
    bool ingressStage(unsigned worker, Walk& w, Decision& d, Egress& e);
    bool inboundStage(unsigned worker, Walk& w, Decision& d, Egress& e);
    bool forwardStage(Walk& w, Decision& d, const Egress& e);
    void pairStage(const Walk& w, uint8_t tcpFlags, Decision& d);
    bool reverseOf(const Walk& w, Decision& d, bool revTunnelled, const uint8_t* l2,
                   const EncapSpec* encap, uint16_t txDev);
    Egress resolveOutput(const Walk& w, const sl_result& r, uint16_t p, bool inbound) const;
    Egress ecmpMember(const Walk& w, const sl_result& r, uint32_t vni) const;
    Egress toHost(const lang::IpAddr& addr, uint32_t vni, const lang::IpAddr& dst) const;
    Egress localPortFor(uint32_t vni, const lang::IpAddr& dst) const;
    EncapSpec encapTo(const lang::IpAddr& src, const lang::IpAddr& dst, uint32_t vni,
                      const FlowKey& key) const;
    std::string describeDecision(const Decision& d) const;
    const sl_result& runPipeline(unsigned worker, Decision& d, uint16_t port,
                                 lang::Direction dir, const sl_meta& in);
    sl_meta delivered(const Walk& w, const Egress& e) const;
    // `key4`: the compact form of `key` when the caller has it (else computed when publishing).
    uint32_t install(unsigned worker, const FlowKey& key, const Decision& d, uint64_t now,
                     DropReason& refused, const FlowKey4* key4 = nullptr);
    void fillSession(uint32_t slot, const FlowKey& key, const FlowKey& origin,
                     const Decision& d, const Transposition& act, SessionRole role,
                     uint64_t now, uint32_t epoch);
    bool resimulate(unsigned worker, uint32_t slot);
    void fillSteps(SessionCold& c, const Decision& d);
    void recordSteps(unsigned worker, const SessionCold& c, uint64_t packets);
    void drainStepQueues();
    void fillStableIds(Pipeline& p);
    static std::unique_ptr<Pipeline> pipelineOf(Artifact a);
    Status compatible(const artifact::Descriptor& next) const;
    void swapIn(std::unique_ptr<Pipeline> next);
    void bumpGenerations(const Pipeline& next);
    std::string attempt(const std::string& file, const ReloadOptions& o, const char* trigger);
    std::string rollbackAttempt(const ReloadOptions& o);
    void record(nlohmann::json entry);
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
    std::unique_ptr<PipelineSwap> pipes_;
    // Stable rule/layer ids (pipeline_swap.h), assigned under controlMu_.
    std::map<std::string, uint32_t> stableRuleIds_, stableLayerIds_;
    std::vector<std::unique_ptr<StepQueue>> stepQueues_;  // one per worker
    // reload.cpp
    PipelineLoader loader_;
    PipelineChecker checker_;
    std::string policyFile_;
    std::atomic<bool> reloadBusy_{false};
    std::thread reloadThread_;
    std::mutex historyMu_;
    std::deque<std::string> history_;  // JSON objects, newest last, bounded
    uint64_t nextPipeline_ = 2;
    bool lastTransitionAll_ = true;
    std::vector<std::string> lastTransitionPorts_;
    std::string stateFile_;
    uint64_t stateRestored_ = 0, stateSkipped_ = 0, stateRejected_ = 0;
    std::string stateNote_;
    std::vector<PortInfo> ports_;
    std::vector<Device> devices_;
    int uplinkDev_ = -1;
    uint8_t uplinkMac_[6] = {};
    uint8_t gwMac_[6] = {};
    rte_mempool* pool_ = nullptr;
    std::unique_ptr<SessionTable> table_;
    // Policy generation of each port (VFP 6.3), a flat array read on every hit.
    std::atomic<uint32_t> gens_[kMaxDevices] = {};
    uint32_t nGens_ = 0;
    std::vector<WorkerCtx> workers_;
    std::vector<WorkerStats> stats_;
    std::vector<unsigned> lcores_;
    std::atomic<bool> running_{false};
    std::atomic<bool> maintRunning_{false};
    std::thread maint_;
    std::mutex controlMu_;  // control() callers (socket thread vs. in-process tests)
    std::unique_ptr<ControlServer> controlServer_;  // its own thread (never the maintenance's)
    std::vector<FileLock> deviceLocks_;  // one daemon per device
    PrivateTempDir tempDir_;             // e.g. the empty pcap of a transmit-only pcap device
    uint64_t tscHz_ = 1;
    uint64_t startTsc_ = 0;
    std::string name_;
    // Counters of sessions that have been removed, by stable id (maintenance thread writes,
    // stats reads, under controlMu_).
    std::vector<uint64_t> retiredRulePackets_, retiredLayerPackets_;
    uint64_t sessionsAged_ = 0, sessionsFlushed_ = 0;
    bool started_ = false;
    bool bound_ = false;
    std::atomic<bool> stopping_{false};  // stop() began: a reload finishing now does not swap
    bool leak_ = false;
    uint64_t stopTimeouts_ = 0;
    int inlineWorker_ = -1;  // the worker pollOnce() registered with RCU, or -1
    bool devicesStopped_ = false;
    std::unique_ptr<FlowLogger> flowLog_;  // null unless the config has `flow_log`
};

}  // namespace sluice::rt
