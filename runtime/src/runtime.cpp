// Runtime setup: EAL, devices, worker launch, the maintenance thread (aging, RCU reclamation,
// control socket) and the public Runtime wrapper.
#include "sluice/runtime/runtime.h"

#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <poll.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "datapath.h"

namespace sluice::rt {
namespace {

std::atomic<bool> gEalUp{false};
std::atomic<unsigned> gInstance{0};

bool hugepagesAvailable() {
    std::ifstream f("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
    unsigned long n = 0;
    if (!(f >> n) || n < 256) return false;  // 512 MB
    std::ifstream mounts("/proc/mounts");
    std::string line;
    while (std::getline(mounts, line)) {
        if (line.find("hugetlbfs") != std::string::npos) return true;
    }
    return false;
}

// A pcap receive file must be a regular file: a FIFO or a device would hang or never end.
Status regularInput(const std::string& path) {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0)
        return makeError("cannot read " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return makeError(path + " is not a regular file");
    return {};
}

uint64_t memAvailableBytes() {
    std::ifstream f("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (f >> key >> kb >> unit) {
        if (key == "MemAvailable:") return kb * 1024;
    }
    return UINT64_MAX;  // unknown: let the allocation decide
}

uint64_t dpdkFreeBytes() {
    uint64_t total = 0;
    for (unsigned i = 0; i < rte_socket_count(); ++i) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(static_cast<int>(i)), &st) == 0)
            total += st.heap_freesz_bytes;
    }
    return total;
}

std::string megabytes(uint64_t b) { return std::to_string((b + (1u << 20) - 1) >> 20) + " MB"; }

// The session table of `capacity` slots: hot and cold slot arrays, compact IPv4 keys and two
// session indexes (64-byte buckets for twice the positions, 8 ways) on the heap; two slot
// rings in DPDK memory. The estimate is checked against what is free before anything is
// allocated, so a large max_per_port is a clear error, never an abort.
Status checkSessionMemory(uint64_t capacity, uint32_t maxPerPort, size_t budgets) {
    if (capacity > UINT32_MAX / 2)
        return makeError("sessions.max_per_port " + std::to_string(maxPerPort) + " x " +
                         std::to_string(budgets) + " budgets is too many session entries");
    uint64_t buckets = rte_align64pow2(std::max<uint64_t>(capacity * 2 / 8, 1));
    uint64_t heap = capacity * (sizeof(Session) + sizeof(SessionCold) + sizeof(Transposition) + 32) + 2 * 64 * buckets;
    uint64_t dpdk = 2 * 8 * rte_align64pow2(capacity + 1);
    std::string what = "sessions.max_per_port " + std::to_string(maxPerPort) + " x " +
                       std::to_string(budgets) + " budgets (ports + drop cache) = " +
                       std::to_string(capacity) + " entries";
    uint64_t avail = memAvailableBytes();
    if (heap > avail)
        return makeError(what + " need " + megabytes(heap) + " of memory, " + megabytes(avail) +
                         " available; lower sessions.max_per_port");
    uint64_t free = dpdkFreeBytes();
    if (dpdk > free)
        return makeError(what + " need " + megabytes(dpdk) + " of DPDK memory, " +
                         megabytes(free) + " free (hugepages, or EAL -m); lower " +
                         "sessions.max_per_port");
    return {};
}

// Every wait of stop() has a deadline. A worker that has not left its loop by then (a slow
// path that never returns), or a reload still verifying or compiling, is reported, counted and
// left alone: leak_ is set, so neither the devices nor the pipelines, the session table or the
// Datapath itself are freed under it (the daemon exits right after).
constexpr uint64_t kWorkerStopDeadlineMs = 5000;
constexpr uint64_t kReloadStopDeadlineMs = 30000;

template <class F>
bool waitUntil(F done, uint64_t ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= end) return false;
        usleep(200);
    }
    return true;
}

int launchWorker(void* arg) {
    auto* p = static_cast<std::pair<Datapath*, unsigned>*>(arg);
    return p->first->workerMain(p->second);
}

// A pcap file with only the global header: a receive side that never yields a packet. Made
// in the process's private temporary directory (mkdtemp, O_EXCL|O_NOFOLLOW), never at a
// shared, guessable path where another user could plant a symlink or a FIFO.
Expected<std::string> emptyPcap(PrivateTempDir& dir) {
    if (dir.path().empty()) {
        if (Status s = dir.create(); !s) return s.error();
    }
    const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    std::string p = dir.path() + "/empty.pcap";
    struct stat st{};
    if (lstat(p.c_str(), &st) == 0) return p;
    return dir.writeFile("empty.pcap", std::string(reinterpret_cast<const char*>(hdr), sizeof hdr));
}

}  // namespace

std::vector<std::string> ealArguments(const RunConfig& c) {
    std::vector<std::string> a = {"sluice"};
    // Workers get their own lcores when the machine has them; otherwise EAL maps several
    // lcores onto the available CPUs (--lcores), which is fine for functional runs.
    std::string lc;
    unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < c.workers + 1; ++i) {
        if (!lc.empty()) lc += ",";
        lc += std::to_string(i) + "@" + std::to_string(i % cpus);
    }
    a.push_back("--lcores=" + lc);
    bool huge = c.hugepages == "on" || (c.hugepages == "auto" && hugepagesAvailable());
    if (!huge) {
        a.push_back("--no-huge");
        a.push_back("-m");
        a.push_back("512");
    }
    bool pci = false;
    for (const auto& p : c.ports) pci |= p.device.kind == DeviceSpec::Kind::Pci;
    if (c.uplink && c.uplink->kind == DeviceSpec::Kind::Pci) pci = true;
    if (pci) {
        for (const auto& p : c.ports) {
            if (p.device.kind == DeviceSpec::Kind::Pci) a.push_back("-a" + p.device.name);
        }
        if (c.uplink && c.uplink->kind == DeviceSpec::Kind::Pci) a.push_back("-a" + c.uplink->name);
    } else {
        a.push_back("--no-pci");
    }
    a.push_back("--no-shconf");
    a.push_back("--iova-mode=va");
    a.push_back("--no-telemetry");
    a.push_back("--file-prefix=" + (c.filePrefix.empty() ? "sluice-" + std::to_string(getpid())
                                                          : c.filePrefix));
    a.push_back("--log-level=lib.eal:error");
    a.push_back("--log-level=pmd.net.af_packet:error");
    a.push_back("--log-level=pmd.net.af_xdp:error");
    for (const auto& e : c.extraEal) a.push_back(e);
    return a;
}

Status initEal(const std::vector<std::string>& args) {
    if (gEalUp.load()) return {};
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& s : copy) argv.push_back(s.data());
    int r = rte_eal_init(static_cast<int>(argv.size()), argv.data());
    if (r < 0) return makeError(std::string("DPDK EAL init failed: ") + rte_strerror(rte_errno));
    gEalUp = true;
    return {};
}

bool ealInitialised() { return gEalUp.load(); }

int controlSocketOwner(const std::string& path) { return ControlServer::owner(path); }

// ---------------------------------------------------------------------------------------------

Datapath::Datapath(const RunConfig& config, Artifact artifact) : cfg_(config) {
    auto p = pipelineOf(std::move(artifact));
    p->source = cfg_.policyPath.empty() ? cfg_.artifactPath : cfg_.policyPath;
    fillStableIds(*p);
    pipes_ = std::make_unique<PipelineSwap>(std::move(p));
    policyFile_ = cfg_.policyPath;
    name_ = std::to_string(getpid()) + "_" + std::to_string(gInstance.fetch_add(1));
}

Datapath::~Datapath() {
    (void)stop();
    if (leak_) {  // a stop deadline passed: a thread may still use all of this
        (void)pipes_.release();
        (void)table_.release();
        return;
    }
    for (auto& d : devices_) {
        if (d.hasPort) {
            if (!devicesStopped_) rte_eth_dev_stop(d.ethPort);
            rte_eth_dev_close(d.ethPort);
        }
        if (!d.vdevName.empty()) rte_vdev_uninit(d.vdevName.c_str());
        if (d.ringRx != nullptr) rte_ring_free(d.ringRx);
        if (d.ringTx != nullptr) rte_ring_free(d.ringTx);
    }
    if (reloadThread_.joinable()) reloadThread_.join();
    pipes_.reset();  // workers are stopped: nothing can use a pipeline any more
    table_.reset();
    if (pool_ != nullptr) rte_mempool_free(pool_);
}

// The combined channels of a kernel interface (`ethtool -l`), which is what the af_xdp PMD
// binds its sockets to; 1 when the driver reports none (veths report separate rx/tx only).
static unsigned combinedChannels(const std::string& iface) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1;
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface.c_str());
    ifr.ifr_data = reinterpret_cast<char*>(&ch);
    int rc = ::ioctl(fd, SIOCETHTOOL, &ifr);
    ::close(fd);
    return rc == 0 && ch.combined_count > 0 ? ch.combined_count : 1;
}

// A NIC with a receive queue per worker: RSS over addresses and ports with a symmetric key
// (0x6d5a repeated), so both directions of a flow reach the same worker and its session lines
// stay in one core's cache. A NIC that cannot spread is polled on one queue.
static void configureRss(Device& d, rte_eth_conf& conf, unsigned workers) {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(d.ethPort, &info) != 0 || info.max_rx_queues < workers) return;
    const uint64_t want = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
    if ((info.flow_type_rss_offloads & want) == 0) return;
    static uint8_t symmetricKey[40];
    for (size_t i = 0; i < sizeof symmetricKey; i += 2) {
        symmetricKey[i] = 0x6d;
        symmetricKey[i + 1] = 0x5a;
    }
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & want;
    if (info.hash_key_size == sizeof symmetricKey) {
        conf.rx_adv_conf.rss_conf.rss_key = symmetricKey;
        conf.rx_adv_conf.rss_conf.rss_key_len = sizeof symmetricKey;
    }
    d.rxQueues = static_cast<uint16_t>(workers);
}

Status Datapath::setupDevice(Device& d, unsigned index) {
    const DeviceSpec& s = d.spec;
    std::string n = std::to_string(index) + "_" + name_;
    std::string args;
    unsigned txq = cfg_.workers;
    switch (s.kind) {
        case DeviceSpec::Kind::AfPacket:
            if (if_nametoindex(s.name.c_str()) == 0)
                return makeError(d.label + ": network interface '" + s.name +
                                 "' does not exist (device " + s.text +
                                 "); create it or change the config");
            d.vdevName = "net_af_packet_sl" + n;
            // qpairs: a socket per worker each way; the kernel spreads received flows over the
            // receive sockets by hash (PACKET_FANOUT_HASH).
            args = "iface=" + s.name + ",qpairs=" + std::to_string(txq);
            d.rxQueues = static_cast<uint16_t>(txq);
            break;
        case DeviceSpec::Kind::AfXdp:
            // AF_XDP sockets on the interface's first queues (copy mode on veths); the PMD loads
            // its default XDP redirect program. One queue pair per worker, as for af_packet.
            if (if_nametoindex(s.name.c_str()) == 0)
                return makeError(d.label + ": network interface '" + s.name +
                                 "' does not exist (device " + s.text +
                                 "); create it or change the config");
            if (unsigned q = combinedChannels(s.name); q < txq)
                return makeError(d.label + ": interface '" + s.name + "' has " + std::to_string(q) +
                                 " combined channel(s) (ethtool -l) but af_xdp needs one per "
                                 "worker (" + std::to_string(txq) + "; device " + s.text +
                                 "): use workers = " + std::to_string(q) + " or af_packet");
            d.vdevName = "net_af_xdp_sl" + n;
            args = "iface=" + s.name + ",start_queue=0,queue_count=" + std::to_string(txq);
            d.rxQueues = static_cast<uint16_t>(txq);
            break;
        case DeviceSpec::Kind::Tap:
            d.vdevName = "net_tap_sl" + n;
            args = "iface=" + s.name;
            break;
        case DeviceSpec::Kind::Pcap: {
            if (cfg_.workers > 1) return makeError(d.label + ": pcap devices need workers = 1");
            d.vdevName = "net_pcap_sl" + n;
            std::string rx = s.rxPcap;
            if (rx.empty()) {
                auto e = emptyPcap(tempDir_);
                if (!e) return makeError(d.label + ": " + e.error().message);
                rx = *e;
            } else if (Status r = regularInput(rx); !r) {
                return makeError(d.label + ": " + r.error().message);
            }
            args = "rx_pcap=" + rx +
                   ",tx_pcap=" + (s.txPcap.empty() ? std::string("/dev/null") : s.txPcap);
            break;
        }
        case DeviceSpec::Kind::Null:
            d.vdevName = "net_null_sl" + n;
            args = "";
            break;
        case DeviceSpec::Kind::Ring: {
            std::string rn = "rr_" + s.name + "_" + name_;
            std::string tn = "rt_" + s.name + "_" + name_;
            d.ringRx = rte_ring_create(rn.c_str(), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
            d.ringTx = rte_ring_create(tn.c_str(), 4096, SOCKET_ID_ANY, 0);
            if (d.ringRx == nullptr || d.ringTx == nullptr)
                return makeError(d.label + ": cannot create rings for " + s.text);
            std::vector<rte_ring*> tx(txq, d.ringTx);
            int id = rte_eth_from_rings(("sl_ring_" + s.name + "_" + name_).c_str(), &d.ringRx, 1,
                                        tx.data(), txq, SOCKET_ID_ANY);
            if (id < 0) return makeError(d.label + ": cannot create ring device " + s.text);
            d.ethPort = static_cast<uint16_t>(id);
            break;
        }
        case DeviceSpec::Kind::Pci: {
            uint16_t id = 0;
            if (rte_eth_dev_get_port_by_name(s.name.c_str(), &id) != 0)
                return makeError(d.label + ": no DPDK port for PCI device " + s.name);
            d.ethPort = id;
            break;
        }
    }
    if (!d.vdevName.empty()) {
        if (rte_vdev_init(d.vdevName.c_str(), args.c_str()) != 0)
            return makeError(d.label + ": cannot create device " + s.text + " (" + d.vdevName +
                             "," + args + ")");
        uint16_t id = 0;
        if (rte_eth_dev_get_port_by_name(d.vdevName.c_str(), &id) != 0)
            return makeError(d.label + ": device " + d.vdevName + " has no port");
        d.ethPort = id;
    }
    d.hasPort = true;
    rte_eth_conf conf{};
    if (s.kind == DeviceSpec::Kind::Pci && txq > 1) configureRss(d, conf, txq);
    if (rte_eth_dev_configure(d.ethPort, d.rxQueues, static_cast<uint16_t>(txq), &conf) != 0)
        return makeError(d.label + ": configure failed for " + s.text);
    uint16_t nrx = 1024, ntx = 1024;
    rte_eth_dev_adjust_nb_rx_tx_desc(d.ethPort, &nrx, &ntx);
    int sock = rte_eth_dev_socket_id(d.ethPort);
    for (uint16_t q = 0; q < d.rxQueues; ++q) {
        if (rte_eth_rx_queue_setup(d.ethPort, q, nrx, sock < 0 ? SOCKET_ID_ANY : sock, nullptr, pool_) != 0)
            return makeError(d.label + ": rx queue setup failed for " + s.text);
    }
    for (unsigned q = 0; q < txq; ++q) {
        if (rte_eth_tx_queue_setup(d.ethPort, static_cast<uint16_t>(q), ntx,
                                   sock < 0 ? SOCKET_ID_ANY : sock, nullptr) != 0)
            return makeError(d.label + ": tx queue setup failed for " + s.text);
    }
    if (rte_eth_dev_start(d.ethPort) != 0) return makeError(d.label + ": start failed for " + s.text);
    rte_eth_promiscuous_enable(d.ethPort);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(d.ethPort, &mac);
    std::memcpy(d.mac, mac.addr_bytes, 6);
    return {};
}

Status Datapath::init() {
    const artifact::Descriptor& policy = *pipes_->current()->descriptor;
    if (policy.ports.size() >= kMaxDevices - 1) return makeError("too many ports (max 30)");
    // Every configured port must exist in the policy; policy ports without a device belong
    // to other hosts.
    for (const auto& b : cfg_.ports) {
        if (policy.findPort(b.port) < 0)
            return makeError("config port '" + b.port + "' is not a port of the policy");
    }
    if (cfg_.flowLog) {
        // The file is opened before any device: an unwritable path is an error at start.
        flowLog_ = std::make_unique<FlowLogger>(*cfg_.flowLog, std::max(1u, cfg_.workers));
        if (Status s = flowLog_->open(); !s) return s;
    }
    pool_ = rte_pktmbuf_pool_create(("sl_mb_" + name_).c_str(), 16383, 256, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (pool_ == nullptr) return makeError("cannot create the mbuf pool (DPDK memory)");
    for (size_t i = 0; i < policy.ports.size(); ++i) {
        const artifact::PortDesc& p = policy.ports[i];
        auto it = std::find_if(cfg_.ports.begin(), cfg_.ports.end(),
                               [&](const PortBinding& b) { return b.port == p.name; });
        if (it == cfg_.ports.end()) {
            // A port of another host (one policy for a whole VPC): known, never local.
            ports_.push_back(PortInfo{p.name, p.mac, p.vni, p.ips, kNoPort});
            gens_[nGens_++].store(1);
            continue;
        }
        Device d;
        d.label = "port:" + p.name;
        d.spec = it->device;
        d.policyPort = static_cast<uint16_t>(i);
        devices_.push_back(d);
        PortInfo info{p.name, p.mac, p.vni, p.ips, static_cast<uint16_t>(devices_.size() - 1)};
        ports_.push_back(info);
        gens_[nGens_++].store(1);
    }
    if (cfg_.uplink) {
        Device d;
        d.label = "uplink";
        d.spec = *cfg_.uplink;
        d.isUplink = true;
        devices_.push_back(d);
        uplinkDev_ = static_cast<int>(devices_.size() - 1);
    }
    // The session table's memory is computed and checked before anything is allocated.
    const uint64_t capacity64 = uint64_t{cfg_.sessions.maxPerPort} * (ports_.size() + 1);
    if (Status s = checkSessionMemory(capacity64, cfg_.sessions.maxPerPort, ports_.size() + 1);
        !s)
        return s;
    for (int i = 0; i < 6; ++i) gwMac_[i] = static_cast<uint8_t>(cfg_.gatewayMac >> (40 - 8 * i));
    const auto capacity = static_cast<uint32_t>(capacity64);
    try {
        table_ = std::make_unique<SessionTable>(name_, capacity,
                                                static_cast<unsigned>(ports_.size()),
                                                cfg_.sessions.maxPerPort, cfg_.workers);
    } catch (const std::bad_alloc&) {
        return makeError("cannot allocate the session table (" + std::to_string(capacity) +
                         " entries); lower sessions.max_per_port");
    }
    if (!table_->ok()) return makeError("cannot create the session table (DPDK memory; lower sessions.max_per_port)");
    stats_.resize(cfg_.workers);
    workers_.resize(cfg_.workers);
    for (unsigned w = 0; w < cfg_.workers; ++w) {
        workers_[w].id = w;
        workers_[w].stats = &stats_[w];
    }
    pipes_->setRcu(table_->rcu());
    stepQueues_.clear();
    for (unsigned w = 0; w < cfg_.workers; ++w) stepQueues_.push_back(std::make_unique<StepQueue>());
    tscHz_ = rte_get_tsc_hz();
    startTsc_ = rte_rdtsc();
    return {};
}

// The devices: their locks, then each opened and started. Apart from init() so that
// `sluice run --takeover` has everything else (mempool, session table: ~150 ms of page faults)
// ready while the daemon it replaces still forwards. A takeover opens the devices before that
// daemon has stopped (af_packet setup waits for kernel RCU grace periods: ~60 ms a device),
// so without their locks, which it takes with acquireDeviceLocks() once the old one is gone.
Status Datapath::acquireDeviceLocks() {
    std::vector<FileLock> locks;
    std::string lockDir;
    for (const Device& d : devices_) {
        if (deviceLockPath(d.spec, "/").empty()) continue;
        if (lockDir.empty()) {
            auto dir = deviceLockDir();
            if (!dir) return makeError("device locks: " + dir.error().message);
            lockDir = *dir;
        }
        auto lock = FileLock::acquire(deviceLockPath(d.spec, lockDir),
                                      "device " + d.spec.text + " (" + d.label + ")");
        if (!lock) return lock.error();  // all or none: the ones taken are dropped again
        locks.push_back(std::move(lock.value()));
    }
    for (auto& l : locks) deviceLocks_.push_back(std::move(l));
    return {};
}

void Datapath::assignReceiveQueues() {
    for (auto& w : workers_) w.rxQueues.clear();
    // A device with a receive queue per worker is polled by every worker on its own queue (the
    // device spreads flows over them); a single-queue device by one worker, round robin. Null
    // devices only sink packets: their receive side would fabricate empty frames.
    unsigned next = 0;
    for (size_t i = 0; i < devices_.size(); ++i) {
        if (devices_[i].spec.kind == DeviceSpec::Kind::Null) continue;
        auto dev = static_cast<uint16_t>(i);
        if (devices_[i].rxQueues == cfg_.workers && cfg_.workers > 1) {
            for (unsigned w = 0; w < cfg_.workers; ++w)
                workers_[w].rxQueues.push_back({dev, static_cast<uint16_t>(w)});
        } else {
            workers_[next++ % cfg_.workers].rxQueues.push_back({dev, 0});
        }
    }
}

Status Datapath::bindDevices(bool lockDevices) {
    if (bound_) return makeError("devices are bound already");
    // One daemon per device: a second `sluice run` on the same interfaces would forward
    // every packet twice.
    if (lockDevices) {
        if (Status s = acquireDeviceLocks(); !s) return s;
    }
    for (size_t i = 0; i < devices_.size(); ++i) {
        if (Status s = setupDevice(devices_[i], static_cast<unsigned>(i)); !s) return s;
    }
    assignReceiveQueues();
    if (uplinkDev_ >= 0) {
        if (cfg_.uplinkMac != 0) {
            for (int i = 0; i < 6; ++i) uplinkMac_[i] = static_cast<uint8_t>(cfg_.uplinkMac >> (40 - 8 * i));
        } else {
            std::memcpy(uplinkMac_, devices_[uplinkDev_].mac, 6);
        }
    }
    bound_ = true;
    return {};
}

// Before start(): what the devices received so far goes (a takeover's copies of packets the
// old daemon forwarded). Returns the number of frames dropped.
size_t Datapath::drainReceive() {
    if (started_ || !bound_) return 0;
    size_t n = 0;
    rte_mbuf* pkts[64];
    for (const Device& d : devices_) {
        if (!d.hasPort || d.spec.kind == DeviceSpec::Kind::Null) continue;
        for (uint16_t q = 0; q < d.rxQueues; ++q) {
            for (int guard = 0; guard < 1024; ++guard) {  // bounded: a device that never empties
                uint16_t got = rte_eth_rx_burst(d.ethPort, q, pkts, 64);
                if (got == 0) break;
                rte_pktmbuf_free_bulk(pkts, got);
                n += got;
            }
        }
    }
    return n;
}

Status Datapath::start(bool controlSocket) {
    if (started_) return makeError("already started");
    if (!bound_) return makeError("start: the devices are not bound (Runtime::bindDevices)");
    if (controlSocket && !cfg_.controlSocket.empty()) {
        auto server = ControlServer::start(
            cfg_.controlSocket, [this](const std::string& req) { return control(req); }, {},
            [this](const std::string& req, ControlServer::Reply reply) {
                return deferControl(req, std::move(reply));
            });
        if (!server) return server.error();
        controlServer_ = std::move(server.value());
    }
    // Workers on EAL worker lcores (one each); with fewer lcores than workers, an error.
    lcores_.clear();
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) {
        if (cfg_.ports.empty()) return makeError("no ports bound");
    if (lcores_.size() < cfg_.workers) lcores_.push_back(lc);
    }
    if (cfg_.ports.empty()) return makeError("no ports bound");
    if (lcores_.size() < cfg_.workers)
        return makeError("EAL has " + std::to_string(lcores_.size()) + " worker lcores, need " +
                         std::to_string(cfg_.workers));
    if (inlineWorker_ >= 0) {  // pollOnce() ran before: its RCU registration goes
        table_->workerOffline(static_cast<unsigned>(inlineWorker_));
        inlineWorker_ = -1;
    }
    running_ = true;
    static std::vector<std::pair<Datapath*, unsigned>> args;
    args.clear();
    args.reserve(cfg_.workers);
    for (unsigned w = 0; w < cfg_.workers; ++w) args.emplace_back(this, w);
    for (unsigned w = 0; w < cfg_.workers; ++w) {
        if (rte_eal_remote_launch(launchWorker, &args[w], lcores_[w]) != 0) {
            running_ = false;
            for (unsigned k = 0; k < w; ++k) {
                unsigned l = lcores_[k];
                if (waitUntil([l] { return rte_eal_get_lcore_state(l) == WAIT; }, kWorkerStopDeadlineMs))
                    rte_eal_wait_lcore(l);
                else
                    leak_ = true;
            }
            return makeError("cannot launch worker on lcore " + std::to_string(lcores_[w]));
        }
    }
    maintRunning_ = true;
    maint_ = std::thread([this] { maintenanceMain(); });
    started_ = true;
    return {};
}

// The control socket (and its pid lock) goes once no request can run any more; the reload
// thread a request may have started is waited for as in stop().
Status Datapath::closeControl() {
    controlServer_.reset();
    if (reloadThread_.joinable()) {
        if (!waitUntil([this] { return !reloadBusy_.load(); }, kReloadStopDeadlineMs)) {
            reloadThread_.detach();
            leak_ = true;
            ++stopTimeouts_;
            return makeError("stop: a reload in progress did not finish within " +
                             std::to_string(kReloadStopDeadlineMs / 1000) + " s");
        }
        reloadThread_.join();
    }
    return {};
}

Status Datapath::stop(bool keepControl) {
    stopping_ = true;
    if (!keepControl) controlServer_.reset();  // no control request runs past this point
    std::string late;
    if (reloadThread_.joinable()) {  // a reload in progress finishes first (it will not swap)
        if (waitUntil([this] { return !reloadBusy_.load(); }, kReloadStopDeadlineMs)) {
            reloadThread_.join();
        } else {
            reloadThread_.detach();
            leak_ = true;
            ++stopTimeouts_;
            late = "a reload in progress did not finish within " +
                   std::to_string(kReloadStopDeadlineMs / 1000) + " s";
        }
    }
    if (!started_) return late.empty() ? Status{} : makeError("stop: " + late);
    running_ = false;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWorkerStopDeadlineMs);
    bool stuck = false;
    for (unsigned lc : lcores_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (waitUntil([lc] { return rte_eal_get_lcore_state(lc) == WAIT; },
                      static_cast<uint64_t>(std::max<int64_t>(0, left.count())))) {
            rte_eal_wait_lcore(lc);  // returns at once: the lcore is waiting
        } else {
            stuck = true;
            ++stopTimeouts_;
            late += std::string(late.empty() ? "" : "; ") + "the worker on lcore " +
                    std::to_string(lc) + " did not stop within " +
                    std::to_string(kWorkerStopDeadlineMs / 1000) + " s";
        }
    }
    maintRunning_ = false;
    if (maint_.joinable()) maint_.join();  // its loop sleeps at most 10 ms between scans
    if (stuck) {
        leak_ = true;  // a worker may still poll the devices: they stay up
    } else {
        for (auto& d : devices_) {
            if (d.hasPort) rte_eth_dev_stop(d.ethPort);
        }
        devicesStopped_ = true;
    }
    started_ = false;
    if (!late.empty()) return makeError("stop: " + late + "; its memory is not freed");
    return {};
}

// ---------------------------------------------------------------------------------------------
// Maintenance: aging by idle timeout and TCP state, RCU reclamation, the control socket.

uint64_t Datapath::expiryMs(const Session& s) const {
    if (s.flags & kTpDrop) return cfg_.sessions.udpMs;
    if (!s.tcpTracked) return s.idleMs;
    switch (static_cast<TcpState>(s.tcpState.load(std::memory_order_relaxed))) {
        case TcpState::SynSent:
        case TcpState::SynReceived: return cfg_.sessions.tcpSynMs;
        case TcpState::Established: return s.idleMs;
        case TcpState::FinWait: return cfg_.sessions.tcpFinMs;
        case TcpState::TimeWait: return cfg_.sessions.tcpTimeWaitMs;
        case TcpState::Closed: return cfg_.sessions.tcpClosedMs;
        default: return s.idleMs;
    }
}

void Datapath::retireCounters(uint32_t slot) {
    const Session& s = table_->at(slot);
    const SessionCold& c = table_->cold(slot);
    const uint64_t packets = s.packets - std::min(s.packets, c.basePackets);
    for (unsigned i = 0; i < c.nSteps && i < kMaxSteps; ++i) {
        if (c.steps[i].rule < retiredRulePackets_.size()) retiredRulePackets_[c.steps[i].rule] += packets;
        if (c.steps[i].layer < retiredLayerPackets_.size()) retiredLayerPackets_[c.steps[i].layer] += packets;
    }
}

void Datapath::agingScan() {
    uint64_t now = rte_rdtsc();
    uint64_t msTicks = std::max<uint64_t>(1, tscHz_ / 1000);
    for (uint32_t i = 0; i < table_->capacity(); ++i) {
        Session& s = table_->at(i);
        if (s.inUse.load(std::memory_order_acquire) == 0) continue;
        uint64_t last = s.lastSeen;
        Session* pair = nullptr;
        if (s.pair != kNoSlot) {
            Session& p = table_->at(s.pair);
            if (p.inUse.load(std::memory_order_acquire) != 0 && p.pair == i) pair = &p;
        }
        if (s.role == SessionRole::Reverse && pair != nullptr) continue;  // aged with its forward
        if (pair != nullptr) last = std::max(last, pair->lastSeen);
        uint64_t limit = expiryMs(s) * msTicks;
        if (now > last && now - last > limit) {
            retireCounters(i);
            table_->remove(i);
            if (pair != nullptr) {
                retireCounters(s.pair);
                table_->remove(s.pair);
            }
            sessionsAged_ += pair != nullptr ? 2 : 1;
        }
    }
}

size_t Datapath::flush(const std::string& portFilter) {
    size_t n = 0;
    int port = portFilter.empty() ? -1 : pipes_->current()->descriptor->findPort(portFilter);
    if (!portFilter.empty() && port < 0) return 0;
    for (uint32_t i = 0; i < table_->capacity(); ++i) {
        Session& s = table_->at(i);
        if (s.inUse.load(std::memory_order_acquire) == 0) continue;
        if (port >= 0 && s.owner != port) continue;
        retireCounters(i);
        table_->remove(i);
        ++n;
    }
    sessionsFlushed_ += n;
    return n;
}

// Aging and RCU reclamation only: the control socket has a thread of its own, so no client
// can stop them.
void Datapath::maintenanceMain() {
    rte_thread_register();
    uint64_t lastScan = 0;
    uint64_t scanTicks = cfg_.sessions.scanIntervalMs * std::max<uint64_t>(1, tscHz_ / 1000);
    while (maintRunning_.load()) {
        uint64_t now = rte_rdtsc();
        if (now - lastScan >= scanTicks) {
            std::lock_guard<std::mutex> lock(controlMu_);
            drainStepQueues();
            agingScan();
            lastScan = now;
        }
        table_->reclaim();
        {
            std::lock_guard<std::mutex> lock(controlMu_);  // control readers hold pipelines
            // Names from the current pipeline's descriptor (an event recorded just before a
            // reload is named by the new one: rule ids of unchanged rules are stable).
            if (flowLog_) flowLog_->drain(&pipes_->current()->slowPath->descriptor());
            pipes_->reclaim();
        }
        usleep(static_cast<useconds_t>(std::min<uint64_t>(cfg_.sessions.scanIntervalMs, 10) * 1000));
    }
    rte_thread_unregister();
}

bool Datapath::injectFrames(const std::string& ring, const std::vector<std::vector<uint8_t>>& frames) {
    for (auto& d : devices_) {
        if (d.spec.kind != DeviceSpec::Kind::Ring || d.spec.name != ring) continue;
        for (const auto& f : frames) {
            rte_mbuf* m = rte_pktmbuf_alloc(pool_);
            if (m == nullptr) return false;
            char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
            if (p == nullptr) {
                rte_pktmbuf_free(m);
                return false;
            }
            std::memcpy(p, f.data(), f.size());
            if (rte_ring_enqueue(d.ringRx, m) != 0) {
                rte_pktmbuf_free(m);
                return false;
            }
        }
        return true;
    }
    return false;
}

std::vector<std::vector<uint8_t>> Datapath::collectFrames(const std::string& ring, size_t max) {
    std::vector<std::vector<uint8_t>> out;
    for (auto& d : devices_) {
        if (d.spec.kind != DeviceSpec::Kind::Ring || d.spec.name != ring) continue;
        void* obj = nullptr;
        while (out.size() < max && rte_ring_dequeue(d.ringTx, &obj) == 0) {
            auto* m = static_cast<rte_mbuf*>(obj);
            std::vector<uint8_t> bytes(rte_pktmbuf_pkt_len(m));
            const void* p = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(bytes.size()), bytes.data());
            if (p != bytes.data()) std::memcpy(bytes.data(), p, bytes.size());
            out.push_back(std::move(bytes));
            rte_pktmbuf_free(m);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------

Runtime::Runtime(std::unique_ptr<Datapath> dp) : dp_(std::move(dp)) {}
Runtime::~Runtime() {
    (void)dp_->stop();
    if (dp_->leaking()) (void)dp_.release();  // a stuck thread may still use it (stop())
}

Expected<std::unique_ptr<Runtime>> Runtime::create(const RunConfig& config,
                                                   Artifact artifact, bool deferDevices) {
    if (!ealInitialised()) return makeError("DPDK EAL is not initialised");
    if (Status s = checkArtifact(artifact); !s) return s.error();
    auto dp = std::make_unique<Datapath>(config, std::move(artifact));
    if (Status s = dp->init(); !s) return s.error();
    if (!deferDevices) {
        if (Status s = dp->bindDevices(); !s) return s.error();
    }
    return std::unique_ptr<Runtime>(new Runtime(std::move(dp)));
}

Status Runtime::bindDevices(bool lockDevices) { return dp_->bindDevices(lockDevices); }
Status Runtime::acquireDeviceLocks() { return dp_->acquireDeviceLocks(); }
size_t Runtime::drainReceive() { return dp_->drainReceive(); }
Status Runtime::closeControl() { return dp_->closeControl(); }

Status Runtime::start(bool controlSocket) { return dp_->start(controlSocket); }
Status Runtime::stop(bool keepControlSocket) { return dp_->stop(keepControlSocket); }
bool Runtime::pollOnce(unsigned worker) { return dp_->pollOnce(worker); }
std::string Runtime::control(const std::string& request) { return dp_->control(request); }
Status Runtime::reload(Artifact artifact) { return dp_->reload(std::move(artifact)); }
uint32_t Runtime::generation(uint32_t port) const { return dp_->generation(port); }
void Runtime::setLoader(PipelineLoader loader, std::string policyFile) {
    dp_->setLoader(std::move(loader), std::move(policyFile));
}
std::string Runtime::reloadFile(const std::string& file, const ReloadOptions& options,
                                const char* trigger) {
    return dp_->reloadNow(file, options, trigger);
}
void Runtime::setChecker(PipelineChecker checker) { dp_->setChecker(std::move(checker)); }
std::string Runtime::rollback(const ReloadOptions& options) { return dp_->rollback(options); }
Status Runtime::saveState(const std::string& path) { return dp_->saveState(path); }
std::string Runtime::restoreState(const std::string& path) { return dp_->restoreState(path); }
void Runtime::setStateFile(std::string path) { dp_->setStateFile(std::move(path)); }
bool Runtime::injectFrames(const std::string& ring, const std::vector<std::vector<uint8_t>>& f) {
    return dp_->injectFrames(ring, f);
}
std::vector<std::vector<uint8_t>> Runtime::collectFrames(const std::string& ring, size_t max) {
    return dp_->collectFrames(ring, max);
}
std::string Runtime::statsJson() { return dp_->statsJson(); }
std::pair<std::string, std::string> Runtime::ringNames(const std::string& ring) const {
    return dp_->ringNames(ring);
}

std::pair<std::string, std::string> Datapath::ringNames(const std::string& ring) const {
    for (const auto& d : devices_) {
        if (d.spec.kind == DeviceSpec::Kind::Ring && d.spec.name == ring && d.ringRx && d.ringTx)
            return {d.ringRx->name, d.ringTx->name};
    }
    return {};
}
const char* Runtime::slowPathKind() const { return dp_->slowPathKind(); }

}  // namespace sluice::rt
