// Datapath side of flow logs: at session creation (the slow path, never a hit) the worker
// turns a decision into FlowLogEvents and pushes them into its own ring; the maintenance
// thread drains them (runtime.cpp); `ctl stats` reports the counters. No locks, no
// allocation, no strings on the worker side.
#include <ctime>

#include "control_protocol.h"
#include "datapath.h"

namespace sluice::rt {

namespace {

uint64_t realtimeNs() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);  // vDSO: no system call
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// FlowKey addresses are network byte order, IPv4 in the first 4 bytes.
sl_ip keyAddress(const uint8_t* b, uint8_t family) {
    sl_ip ip{};
    if (family == SL_FAMILY_V4) {
        ip.lo = uint64_t{b[0]} << 24 | uint64_t{b[1]} << 16 | uint64_t{b[2]} << 8 | b[3];
    } else if (family == SL_FAMILY_V6) {
        for (int i = 0; i < 8; ++i) {
            ip.hi = ip.hi << 8 | b[i];
            ip.lo = ip.lo << 8 | b[8 + i];
        }
    }
    return ip;
}

FlowLogEvent eventOf(const FlowKey& key, uint64_t now) {
    FlowLogEvent e;
    e.timeNs = now;
    e.family = key.family;
    e.src = keyAddress(key.srcIp, key.family);
    e.dst = keyAddress(key.dstIp, key.family);
    e.proto = key.proto;
    e.srcPort = key.srcPort;
    e.dstPort = key.dstPort;
    e.vni = key.vni;
    return e;
}

}  // namespace

void Datapath::logFlow(unsigned worker, const FlowKey& key, const Decision& d) {
    if (!flowLog_ || d.pl == nullptr) return;
    const sl_policy_desc& desc = d.pl->slowPath->descriptor();
    const uint64_t now = realtimeNs();
    bool logged = false;
    for (unsigned k = 0; k < d.nRuns && k < 2; ++k) {
        const PipelineRun& run = d.runs[k];
        bool drop = run.result.verdict == SL_VERDICT_DENY;
        if (!flowLogWanted(run.result) && !(drop && flowLog_->allDrops())) continue;
        const sl_entry* entry = sl_policy_entry(&desc, run.port, run.dir);
        if (entry == nullptr) continue;
        FlowLogEvent e = eventOf(key, now);
        e.port = run.port;
        e.direction = run.dir;
        fillDecision(e, run.result, *entry);
        if (drop) e.dropReason = static_cast<uint8_t>(d.drop == DropReason::None ? DropReason::PolicyDeny : d.drop);
        flowLog_->push(worker, e);
        logged = true;
    }
    // A drop no pipeline decided (no route, no local port, a full session table...).
    if (!logged && flowLog_->allDrops() && d.drop != DropReason::None) {
        FlowLogEvent e = eventOf(key, now);
        e.port = key.ingress == kUplinkIngress ? kFlowUplink : key.ingress;
        e.direction = SL_DIR_OUT;
        e.verdict = SL_VERDICT_DENY;
        e.flags = kFlowDrop;
        e.dropReason = static_cast<uint8_t>(d.drop);
        flowLog_->push(worker, e);
    }
}

std::string Datapath::monitorRequest(const ControlRequest& req) {
    if (!flowLog_)
        return controlReply(false, "flow logs are off: the run config has no \"flow_log\" section");
    if (req.op == "subscribe") {
        FlowLogger::Filter f;
        f.json = req.format == "json";
        if (!req.verdict.empty())
            f.verdict = req.verdict == "allow" ? SL_VERDICT_ALLOW : SL_VERDICT_DENY;
        if (!req.port.empty()) {
            std::lock_guard<std::mutex> lock(controlMu_);  // holds the current pipeline
            const sl_policy_desc& desc = pipes_->current()->slowPath->descriptor();
            for (uint32_t i = 0; i < desc.n_entries; ++i) {
                const sl_entry& e = desc.entries[i];
                if (e.port_name != nullptr && req.port == e.port_name) f.port = e.port;
            }
            if (!f.port) return controlReply(false, "no port named '" + req.port + "'");
        }
        auto id = flowLog_->subscribe(f);
        if (!id) return controlReply(false, "busy: the most monitors at once are subscribed");
        return controlReply(true, nlohmann::json({{"id", *id}}).dump());
    }
    if (req.op == "stop") {
        flowLog_->unsubscribe(req.id);
        return controlReply(true, "{}");
    }
    std::string lines;
    uint64_t lost = 0;
    if (!flowLog_->take(req.id, lines, lost))
        return controlReply(false, "no monitor " + std::to_string(req.id) + " (stopped or expired)");
    return controlReply(true, nlohmann::json({{"lines", lines}, {"lost", lost}}).dump());
}

void Datapath::flowLogStats(nlohmann::json& j) const {
    if (!flowLog_) return;
    FlowLogger::Counters c = flowLog_->counters();
    j["flow_log"] = {{"events", c.events},       {"flow_log_dropped", c.dropped},
                     {"written", c.written},     {"rotations", c.rotations},
                     {"write_errors", c.writeErrors}, {"monitor_lost", c.monitorLost},
                     {"monitors", c.monitors}};
}

}  // namespace sluice::rt
