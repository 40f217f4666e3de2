// Control requests: counters (text, JSON, Prometheus), session dumps, live trace on the
// current pipeline, flush; and the client side of the control socket.
#include <poll.h>
#include <rte_cycles.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control_protocol.h"
#include "datapath.h"
#include "sluice/compiler/meta.h"
#include "sluice/runtime/control.h"

namespace sluice::rt {
namespace {

using nlohmann::json;

constexpr size_t kMaxSessionsListed = 20000;  // `ctl sessions --limit` (docs/operations.md)

std::string tpSummary(const Transposition& t) {
    if (t.flags & kTpDrop) return std::string("drop:") + dropReasonName(t.dropReason);
    std::string s;
    auto add = [&](const char* w) { s += (s.empty() ? "" : ","); s += w; };
    if (t.flags & kTpDecap) add("decap");
    if (t.flags & kTpSetSrcIp) add("snat");
    if (t.flags & kTpSetDstIp) add("dnat");
    if (t.flags & kTpSetSrcPort) add("sport");
    if (t.flags & kTpSetDstPort) add("dport");
    if (t.flags & kTpSetDscp) add("dscp");
    if (t.flags & kTpSetL2) add("l2");
    if (t.flags & kTpEncap) add("encap");
    return s.empty() ? "none" : s;
}

std::string promEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (c == '\n') { o += "\\n"; continue; }
        o += c;
    }
    return o;
}

}  // namespace

std::string Datapath::statsJson() {
    std::lock_guard<std::mutex> lock(controlMu_);
    drainStepQueues();
    const Pipeline* pl = pipes_->current();
    const artifact::Descriptor& policy = *pl->descriptor;
    const sl_policy_desc& desc = pl->slowPath->descriptor();
    json j;
    j["slow_path"] = pl->slowPath->kind();
    j["workers"] = cfg_.workers;
    j["uptime_s"] = static_cast<double>(rte_rdtsc() - startTsc_) / static_cast<double>(tscHz_);
    WorkerStats sum;
    json perWorker = json::array();
    for (size_t i = 0; i < stats_.size(); ++i) {
        const WorkerStats& w = stats_[i];
        uint64_t wrx = 0;
        for (unsigned d = 0; d < kMaxDevices; ++d) wrx += w.rxPackets[d];
        json rxq = json::array();
        for (const auto& q : workers_[i].rxQueues)
            rxq.push_back(devices_[q.dev].spec.text + "#" + std::to_string(q.queue));
        perWorker.push_back({{"worker", i}, {"rx_packets", wrx}, {"busy_cycles", w.busyCycles},
                             {"rx_queues", rxq}});
        for (unsigned d = 0; d < kMaxDevices; ++d) {
            sum.rxPackets[d] += w.rxPackets[d];
            sum.rxBytes[d] += w.rxBytes[d];
            sum.txPackets[d] += w.txPackets[d];
            sum.txBytes[d] += w.txBytes[d];
            for (size_t r = 0; r < kDropReasonCount; ++r) sum.drops[d][r] += w.drops[d][r];
        }
        sum.hits += w.hits;
        sum.misses += w.misses;
        sum.installs += w.installs;
        sum.resimulations += w.resimulations;
        sum.arpReplies += w.arpReplies;
        sum.slowPathCycles += w.slowPathCycles;
        sum.uncachedDrops += w.uncachedDrops;
        sum.busyCycles += w.busyCycles;
    }
    json ports = json::array();
    json dropsTotal = json::object();
    uint64_t rx = 0, tx = 0, dropped = 0;
    for (size_t d = 0; d < devices_.size(); ++d) {
        json p;
        p["name"] = devices_[d].isUplink ? "uplink" : ports_[devices_[d].policyPort].name;
        p["device"] = devices_[d].spec.text;
        p["rx_packets"] = sum.rxPackets[d];
        p["rx_bytes"] = sum.rxBytes[d];
        p["tx_packets"] = sum.txPackets[d];
        p["tx_bytes"] = sum.txBytes[d];
        json drops = json::object();
        uint64_t pd = 0;
        for (size_t r = 1; r < kDropReasonCount; ++r) {
            if (sum.drops[d][r] == 0) continue;
            drops[dropReasonName(static_cast<DropReason>(r))] = sum.drops[d][r];
            uint64_t prev = dropsTotal.value(dropReasonName(static_cast<DropReason>(r)), uint64_t{0});
            dropsTotal[dropReasonName(static_cast<DropReason>(r))] = prev + sum.drops[d][r];
            pd += sum.drops[d][r];
        }
        p["dropped"] = pd;
        p["drops"] = drops;
        if (!devices_[d].isUplink) p["sessions"] = table_->used(devices_[d].policyPort);
        rx += sum.rxPackets[d];
        tx += sum.txPackets[d];
        dropped += pd;
        ports.push_back(p);
    }
    j["ports"] = ports;
    j["drops"] = dropsTotal;
    json t;
    t["rx_packets"] = rx;
    t["tx_packets"] = tx;
    t["dropped"] = dropped;
    t["session_hits"] = sum.hits;
    t["session_misses"] = sum.misses;
    t["sessions_installed"] = sum.installs;
    t["resimulations"] = sum.resimulations;
    t["arp_replies"] = sum.arpReplies;
    t["busy_cycles"] = sum.busyCycles;
    t["tsc_hz"] = tscHz_;
    t["slow_path_cycles_per_miss"] =
        sum.misses + sum.resimulations ? sum.slowPathCycles / (sum.misses + sum.resimulations) : 0;
    j["totals"] = t;
    j["per_worker"] = perWorker;
    // Rule and layer counters: packets of live sessions plus those of removed ones.
    // Indexed by stable ids (pipeline_swap.h): counters survive reloads by name.
    std::vector<uint64_t> rules = retiredRulePackets_, layers = retiredLayerPackets_;
    rules.resize(stableRuleIds_.size(), 0);
    layers.resize(stableLayerIds_.size(), 0);
    uint32_t active = 0;
    for (uint32_t i = 0; i < table_->capacity(); ++i) {
        const Session& s = table_->at(i);
        if (s.inUse.load(std::memory_order_acquire) == 0) continue;
        ++active;
        const SessionCold& c = table_->cold(i);
        const uint64_t packets = s.packets - std::min(s.packets, c.basePackets);
        for (unsigned k = 0; k < c.nSteps && k < kMaxSteps; ++k) {
            if (c.steps[k].rule < rules.size()) rules[c.steps[k].rule] += packets;
            if (c.steps[k].layer < layers.size()) layers[c.steps[k].layer] += packets;
        }
    }
    auto ruleCount = [&](uint32_t r) {
        uint32_t id = r < pl->stableRule.size() ? pl->stableRule[r] : SL_NO_RULE;
        return id < rules.size() ? rules[id] : uint64_t{0};
    };
    auto layerCount = [&](size_t l) {
        uint32_t id = l < pl->stableLayer.size() ? pl->stableLayer[l] : 0xffffu;
        return id < layers.size() ? layers[id] : uint64_t{0};
    };
    json sess;
    sess["active"] = active;
    sess["capacity"] = table_->capacity();
    sess["max_per_port"] = table_->maxPerPort();
    sess["aged"] = sessionsAged_;
    sess["flushed"] = sessionsFlushed_;
    // Drop entries of traffic from the uplink live in their own bounded budget.
    sess["drop_cache"] = table_->used(kUplinkIngress);
    sess["drop_cache_capacity"] = table_->maxPerPort();
    sess["drops_not_cached"] = sum.uncachedDrops;
    j["sessions"] = sess;
    json lj = json::array();
    for (size_t l = 0; l < policy.layers.size(); ++l)
        lj.push_back({{"layer", policy.layers[l]}, {"packets", layerCount(l)}});
    j["layers"] = lj;
    json rj = json::array();
    for (uint32_t r = 0; r < desc.n_rules; ++r) {
        const sl_rule_info& ri = desc.rules[r];
        rj.push_back({{"layer", ri.layer ? ri.layer : ""},
                      {"group", ri.group ? ri.group : ""},
                      {"rule", ri.rule ? ri.rule : ""},
                      {"dir", ri.direction == SL_DIR_OUT ? "out" : "in"},
                      {"packets", ruleCount(r)}});
    }
    j["rules"] = rj;
    uint64_t lost = 0;
    for (const auto& q : stepQueues_) lost += q->lost;
    json pj;
    pj["number"] = pl->number;
    pj["policy_hash"] = pl->policyHash;
    pj["source"] = pl->source;
    pj["live"] = pipes_->live();
    pj["freed"] = pipes_->freed();
    pj["rollback_available"] = pipes_->previous() != nullptr;
    pj["reattributions_lost"] = lost;
    pj["grace_waiting"] = pipes_->waiting();
    pj["grace_overdue"] = pipes_->overdue();
    json gens = json::object();
    for (size_t p = 0; p < policy.ports.size() && p < nGens_; ++p)
        gens[policy.ports[p].name] = gens_[p].load(std::memory_order_relaxed);
    pj["generations"] = gens;
    j["pipeline"] = pj;
    // `file`: what SIGTERM and `ctl save` write ("" = none); `sluice run --takeover` checks it.
    j["state"] = {{"restored", stateRestored_}, {"skipped", stateSkipped_},
                  {"files_rejected", stateRejected_}, {"note", stateNote_},
                  {"file", stateFile_}};
    j["pid"] = static_cast<int64_t>(getpid());
    j["stop_timeouts"] = stopTimeouts_;
    flowLogStats(j);
    return j.dump(2);
}

std::string Datapath::statsText() {
    json j = json::parse(statsJson());
    std::ostringstream os;
    const json& t = j["totals"];
    os << "slow path: " << j["slow_path"].get<std::string>() << "   workers: " << j["workers"]
       << "   uptime: " << std::fixed << std::setprecision(1) << j["uptime_s"].get<double>() << " s\n";
    os << "packets: rx " << t["rx_packets"] << "  tx " << t["tx_packets"] << "  dropped "
       << t["dropped"] << "   sessions: hits " << t["session_hits"] << "  misses "
       << t["session_misses"] << "  active " << j["sessions"]["active"] << "  aged "
       << j["sessions"]["aged"] << "   arp replies " << t["arp_replies"] << "\n\n";
    os << std::left << std::setw(14) << "port" << std::setw(28) << "device" << std::right
       << std::setw(10) << "rx" << std::setw(10) << "tx" << std::setw(10) << "dropped"
       << "  drop reasons\n";
    for (const auto& p : j["ports"]) {
        std::string reasons;
        for (auto& [k, v] : p["drops"].items()) reasons += (reasons.empty() ? "" : ", ") + k + "=" + v.dump();
        os << std::left << std::setw(14) << p["name"].get<std::string>() << std::setw(28)
           << p["device"].get<std::string>() << std::right << std::setw(10)
           << p["rx_packets"].get<uint64_t>() << std::setw(10) << p["tx_packets"].get<uint64_t>()
           << std::setw(10) << p["dropped"].get<uint64_t>() << "  " << reasons << "\n";
    }
    os << "\nlayers:";
    for (const auto& l : j["layers"]) os << "  " << l["layer"].get<std::string>() << "=" << l["packets"];
    os << "\nrules (packets):\n";
    for (const auto& r : j["rules"]) {
        os << "  " << std::left << std::setw(36)
           << (r["layer"].get<std::string>() + "/" + r["dir"].get<std::string>() + "/" +
               r["group"].get<std::string>() + "/" + r["rule"].get<std::string>())
           << std::right << std::setw(10) << r["packets"].get<uint64_t>() << "\n";
    }
    return os.str();
}

std::string Datapath::prometheus() {
    json j = json::parse(statsJson());
    std::ostringstream os;
    auto head = [&](const char* name, const char* type, const char* help) {
        os << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    };
    head("sluice_port_rx_packets_total", "counter", "Packets received per port.");
    for (const auto& p : j["ports"])
        os << "sluice_port_rx_packets_total{port=\"" << promEscape(p["name"]) << "\"} " << p["rx_packets"] << "\n";
    head("sluice_port_tx_packets_total", "counter", "Packets transmitted per port.");
    for (const auto& p : j["ports"])
        os << "sluice_port_tx_packets_total{port=\"" << promEscape(p["name"]) << "\"} " << p["tx_packets"] << "\n";
    head("sluice_port_rx_bytes_total", "counter", "Bytes received per port.");
    for (const auto& p : j["ports"])
        os << "sluice_port_rx_bytes_total{port=\"" << promEscape(p["name"]) << "\"} " << p["rx_bytes"] << "\n";
    head("sluice_port_tx_bytes_total", "counter", "Bytes transmitted per port.");
    for (const auto& p : j["ports"])
        os << "sluice_port_tx_bytes_total{port=\"" << promEscape(p["name"]) << "\"} " << p["tx_bytes"] << "\n";
    head("sluice_drops_total", "counter", "Dropped packets per receiving port and reason.");
    for (const auto& p : j["ports"]) {
        for (auto& [k, v] : p["drops"].items())
            os << "sluice_drops_total{port=\"" << promEscape(p["name"]) << "\",reason=\"" << k << "\"} " << v << "\n";
    }
    head("sluice_session_hits_total", "counter", "Packets that hit the session cache.");
    os << "sluice_session_hits_total " << j["totals"]["session_hits"] << "\n";
    head("sluice_session_misses_total", "counter", "Packets that ran the slow path.");
    os << "sluice_session_misses_total " << j["totals"]["session_misses"] << "\n";
    head("sluice_sessions_active", "gauge", "Session entries in the table.");
    os << "sluice_sessions_active " << j["sessions"]["active"] << "\n";
    head("sluice_sessions_capacity", "gauge", "Session table capacity.");
    os << "sluice_sessions_capacity " << j["sessions"]["capacity"] << "\n";
    head("sluice_sessions_aged_total", "counter", "Session entries removed by aging.");
    os << "sluice_sessions_aged_total " << j["sessions"]["aged"] << "\n";
    if (j.contains("flow_log")) {
        const auto& f = j["flow_log"];
        head("sluice_flow_log_events_total", "counter", "Flow-log events recorded by the workers.");
        os << "sluice_flow_log_events_total " << f["events"] << "\n";
        head("sluice_flow_log_dropped_total", "counter", "Flow-log events lost to a full worker ring.");
        os << "sluice_flow_log_dropped_total " << f["flow_log_dropped"] << "\n";
        head("sluice_flow_log_written_total", "counter", "Flow-log lines written to the file.");
        os << "sluice_flow_log_written_total " << f["written"] << "\n";
        head("sluice_flow_log_rotations_total", "counter", "Rotations of the flow-log file.");
        os << "sluice_flow_log_rotations_total " << f["rotations"] << "\n";
        head("sluice_flow_log_write_errors_total", "counter", "Flow-log lines that could not be written.");
        os << "sluice_flow_log_write_errors_total " << f["write_errors"] << "\n";
        head("sluice_flow_log_monitor_lost_total", "counter", "Lines slow monitor clients lost.");
        os << "sluice_flow_log_monitor_lost_total " << f["monitor_lost"] << "\n";
    }
    head("sluice_layer_packets_total", "counter", "Packets decided through each layer.");
    for (const auto& l : j["layers"])
        os << "sluice_layer_packets_total{layer=\"" << promEscape(l["layer"]) << "\"} " << l["packets"] << "\n";
    head("sluice_rule_packets_total", "counter", "Packets decided by each rule.");
    for (const auto& r : j["rules"]) {
        os << "sluice_rule_packets_total{layer=\"" << promEscape(r["layer"]) << "\",dir=\""
           << r["dir"].get<std::string>() << "\",group=\"" << promEscape(r["group"])
           << "\",rule=\"" << promEscape(r["rule"]) << "\"} " << r["packets"] << "\n";
    }
    return os.str();
}

std::string Datapath::sessionsJson(size_t limit, const std::string& portFilter) {
    std::lock_guard<std::mutex> lock(controlMu_);
    const artifact::Descriptor& policy = *pipes_->current()->descriptor;
    int port = portFilter.empty() ? -1 : policy.findPort(portFilter);
    json arr = json::array();
    uint64_t now = rte_rdtsc();
    size_t total = 0;
    for (uint32_t i = 0; i < table_->capacity(); ++i) {
        const Session& s = table_->at(i);
        if (s.inUse.load(std::memory_order_acquire) == 0) continue;
        if (port >= 0 && s.owner != port) continue;
        ++total;
        if (arr.size() >= limit) continue;
        const SessionCold& c = table_->cold(i);
        json e;
        e["id"] = i;
        e["flow"] = formatKey(c.key);
        e["ingress"] = c.key.ingress == kUplinkIngress ? "uplink" : ports_[c.key.ingress].name;
        e["role"] = s.role == SessionRole::Forward ? "forward"
                    : s.role == SessionRole::Reverse ? "reverse" : "single";
        if (s.pair != kNoSlot) e["pair"] = s.pair;
        if (s.tcpTracked) {
            const Session& f = s.role == SessionRole::Reverse ? table_->at(s.pair) : s;
            e["tcp_state"] = tcpStateName(static_cast<TcpState>(f.tcpState.load()));
        }
        e["action"] = tpSummary(table_->action(i));
        e["egress"] = (s.flags & kTpDrop) ? "drop" : devices_[s.txDev].label;
        e["packets"] = s.packets;
        e["bytes"] = s.bytes;
        e["idle_ms"] = (now - s.lastSeen) * 1000 / tscHz_;
        e["age_ms"] = (now - c.created) * 1000 / tscHz_;
        e["owner"] = s.owner < ports_.size() ? ports_[s.owner].name : "uplink";
        arr.push_back(e);
    }
    json j;
    j["total"] = total;
    j["sessions"] = arr;
    return j.dump(2);
}

std::string Datapath::traceRequest(const std::string& packet, const std::string& portName,
                                   const std::string& dirText, bool asJson) {
    auto pt = lang::parsePacketText(packet);
    if (!pt) throw std::runtime_error("bad packet: " + pt.error().message);
    const Pipeline* pl = pipes_->current();
    const artifact::Descriptor& policy = *pl->descriptor;
    lang::Direction dir = lang::Direction::Out;
    if (pt->direction) dir = *pt->direction;
    if (dirText == "in") dir = lang::Direction::In;
    if (dirText == "out") dir = lang::Direction::Out;
    lang::Headers h = pt->headers;
    FlowKey key{};
    int port = -1;
    if (!portName.empty()) {
        port = policy.findPort(portName);
        if (port < 0) throw std::runtime_error("unknown port '" + portName + "'");
    }
    if (dir == lang::Direction::Out) {
        if (port < 0) {  // the port that owns the source address
            port = findLocalPort(0, h.srcIp, true);
            if (port < 0) throw std::runtime_error("no port owns " + h.srcIp.str() + "; give --port");
        }
        if (h.srcMac == 0) h.srcMac = ports_[port].mac;
        if (h.dstMac == 0) h.dstMac = cfg_.gatewayMac;
        headersToKey(h, key);
        key.ingress = static_cast<uint16_t>(port);
    } else {
        if (h.vni != 0 && h.outerSrc.family == lang::Family::None && cfg_.underlay.family != lang::Family::None) {
            // `vni N` without outer addresses: as if tunnelled to this host from itself.
            h.outerSrc = cfg_.underlay;
            h.outerDst = cfg_.underlay;
        }
        h.srcMac = h.dstMac = 0;
        headersToKey(h, key);
        key.ingress = kUplinkIngress;
    }
    if (key.proto == lang::kProtoIcmp || key.proto == lang::kProtoIcmpV6) key.srcPort = 0;
    Decision d;
    // The control context: never a worker's slow-path scratch state (workers keep running).
    decide(kControlContext, key, h.tcpFlags, h.dscp, d);
    uint32_t cached = table_->lookup(key);
    const sl_policy_desc& desc = pl->slowPath->descriptor();
    json j;
    j["packet"] = lang::formatPacketText(keyToHeaders(key, h.tcpFlags, h.dscp));
    j["ingress"] = key.ingress == kUplinkIngress ? "uplink" : ports_[key.ingress].name;
    j["slow_path"] = pl->slowPath->kind();
    json runs = json::array();
    for (unsigned i = 0; i < d.nRuns; ++i) {
        const sl_result& r = d.runs[i].result;
        const sl_entry* e = sl_policy_entry(&desc, d.runs[i].port, d.runs[i].dir);
        json steps = json::array();
        for (unsigned s = 0; s < r.n_steps && s < SL_MAX_STEPS; ++s) {
            json st;
            uint32_t layer = e != nullptr && s < e->n_layers ? e->layers[s] : 0;
            st["layer"] = layer < policy.layers.size() ? policy.layers[layer] : "?";
            uint32_t id = r.step_rule[s];
            if (id != SL_NO_RULE && id < desc.n_rules) {
                st["group"] = desc.rules[id].group;
                st["rule"] = desc.rules[id].rule;
                st["stateful"] = desc.rules[id].stateful != 0;
            } else {
                st["rule"] = "(default)";
            }
            steps.push_back(st);
        }
        runs.push_back({{"port", ports_[d.runs[i].port].name},
                        {"dir", d.runs[i].dir == SL_DIR_OUT ? "out" : "in"},
                        {"verdict", r.verdict == SL_VERDICT_ALLOW ? "allow" : "deny"},
                        {"headers", lang::formatPacketText(compiler::fromMeta(r.out))},
                        {"layers", steps}});
    }
    j["pipelines"] = runs;
    j["verdict"] = d.drop == DropReason::None ? "allow" : "drop";
    if (d.drop != DropReason::None) j["drop_reason"] = dropReasonName(d.drop);
    j["egress"] = describeDecision(d);
    if (d.drop == DropReason::None) j["transposition"] = tpSummary(d.fwd);
    j["session_pair"] = d.pair;
    if (cached != kNoSlot) {
        const Session& s = table_->at(cached);
        j["cached"] = {{"id", cached}, {"packets", s.packets}, {"action", tpSummary(table_->action(cached))}};
    } else {
        j["cached"] = nullptr;
    }
    if (asJson) return j.dump(2);
    std::ostringstream os;
    os << "packet  " << j["packet"].get<std::string>() << "  (from " << j["ingress"].get<std::string>()
       << ", slow path " << j["slow_path"].get<std::string>() << ")\n";
    for (const auto& r : j["pipelines"]) {
        os << "  " << r["port"].get<std::string>() << " " << r["dir"].get<std::string>() << ": "
           << r["verdict"].get<std::string>() << "\n";
        for (const auto& s : r["layers"]) {
            os << "    layer " << s["layer"].get<std::string>() << ": ";
            if (s.contains("group")) os << "group " << s["group"].get<std::string>() << " ";
            os << "rule " << s["rule"].get<std::string>();
            if (s.value("stateful", false)) os << " (stateful)";
            os << "\n";
        }
        os << "    -> " << r["headers"].get<std::string>() << "\n";
    }
    os << "result  " << j["verdict"].get<std::string>();
    if (j.contains("drop_reason")) os << " (" << j["drop_reason"].get<std::string>() << ")";
    os << "  egress " << j["egress"].get<std::string>();
    if (j.contains("transposition")) os << "  transposition " << j["transposition"].get<std::string>();
    if (d.pair) os << "  [creates session pair]";
    os << "\ncached  " << (cached != kNoSlot ? "yes (session " + std::to_string(cached) + ")" : std::string("no")) << "\n";
    return os.str();
}

std::string Datapath::control(const std::string& request) {
    auto req = parseControlRequest(request);
    if (!req) return controlReply(false, req.error().message);
    try {
        const std::string& format = req->format;
        switch (req->cmd) {
            case ControlCommand::Stats:
                if (format == "json") return controlReply(true, statsJson());
                if (format == "prometheus") return controlReply(true, prometheus());
                return controlReply(true, statsText());
            case ControlCommand::Sessions: {
                if (!req->port.empty()) {
                    std::lock_guard<std::mutex> lock(controlMu_);
                    if (pipes_->current()->descriptor->findPort(req->port) < 0)
                        return controlReply(false, "no port named '" + req->port + "'");
                }
                // Bounded: the reply must stay within the control server's reply limit.
                std::string out = sessionsJson(std::min(req->limit, kMaxSessionsListed), req->port);
                if (format == "json") return controlReply(true, out);
                json j = json::parse(out);
                std::ostringstream os;
                os << j["total"] << " session entries\n";
                for (const auto& s : j["sessions"]) {
                    os << std::setw(6) << s["id"] << "  " << std::left << std::setw(8)
                       << s["role"].get<std::string>() << std::setw(52)
                       << s["flow"].get<std::string>() << std::right << " "
                       << s.value("tcp_state", std::string("-")) << "  "
                       << s["action"].get<std::string>() << " -> "
                       << s["egress"].get<std::string>() << "  pkts " << s["packets"]
                       << "  idle " << s["idle_ms"] << "ms\n";
                }
                return controlReply(true, os.str());
            }
            case ControlCommand::Trace: {
                std::lock_guard<std::mutex> lock(controlMu_);
                return controlReply(true, traceRequest(req->packet, req->port, req->dir, format == "json"));
            }
            case ControlCommand::Flush: {
                size_t n;
                {
                    std::lock_guard<std::mutex> lock(controlMu_);
                    if (!req->port.empty() && pipes_->current()->descriptor->findPort(req->port) < 0)
                        return controlReply(false, "no port named '" + req->port + "'");
                    n = flush(req->port);
                }
                if (format == "json") return controlReply(true, json({{"flushed", n}}).dump());
                return controlReply(true, "flushed " + std::to_string(n) + " session entries\n");
            }
            case ControlCommand::Reload: {  // in-process callers; the socket defers it
                ReloadOptions o;
                o.force = req->force;
                o.dryRun = req->dryRun;
                o.expectFile = req->expect;
                return controlReply(true, reloadNow(req->file, o, "ctl"));
            }
            case ControlCommand::Rollback: {  // in-process callers; the socket defers it
                ReloadOptions o;
                o.force = req->force;
                o.dryRun = req->dryRun;
                o.expectFile = req->expect;
                return controlReply(true, rollback(o));
            }
            case ControlCommand::Monitor: return monitorRequest(*req);
            case ControlCommand::History: {
                std::string out = historyJson();
                if (format == "json") return controlReply(true, out);
                std::ostringstream os;
                const json all = json::parse(out);
                for (const auto& a : all["attempts"]) {
                    os << a.value("time", std::string()) << "  " << std::left << std::setw(11)
                       << a.value("result", std::string()) << std::right << " "
                       << a.value("trigger", std::string()) << "  "
                       << a.value("file", std::string());
                    if (a.contains("pipeline")) os << "  pipeline " << a["pipeline"];
                    std::string hash = a.value("policy_hash", std::string());
                    if (!hash.empty()) os << "  hash " << hash;
                    if (a.value("forced", false)) os << "  FORCED";
                    if (a.contains("diff")) {
                        std::string sum = a["diff"].value("summary", std::string());
                        if (!sum.empty()) os << "\n    diff: " << sum;
                    }
                    os << "\n";
                }
                return controlReply(true, os.str());
            }
            case ControlCommand::Save: {
                std::string path = req->file.empty() ? stateFile_ : req->file;
                if (path.empty())
                    return controlReply(false, "no state file: give one, or start with --state FILE");
                size_t n = 0;
                auto t0 = std::chrono::steady_clock::now();
                Status st = saveState(path, &n);
                if (!st) return controlReply(false, st.error().message);
                double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                if (format == "json")
                    return controlReply(true, json({{"file", path}, {"sessions", n}, {"ms", ms}}).dump());
                return controlReply(true, "saved " + std::to_string(n) + " sessions to " + path + "\n");
            }
        }
        return controlReply(false, "unhandled command");
    } catch (const std::exception& e) {
        return controlReply(false, e.what());
    }
}

Expected<std::string> controlRequest(const std::string& socketPath, const std::string& request,
                                     int timeoutMs) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return makeError(std::string("socket: ") + std::strerror(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socketPath.size() >= sizeof addr.sun_path) {
        close(fd);
        return makeError("control socket path too long");
    }
    std::strcpy(addr.sun_path, socketPath.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::string e = std::strerror(errno);
        close(fd);
        return makeError("cannot connect to " + socketPath + ": " + e + " (is `sluice run` up?)");
    }
    // The whole exchange within a deadline; the reply bounded (the server bounds it too).
    const int kTimeoutMs = std::max(1, timeoutMs);
    constexpr size_t kMaxReply = 64u << 20;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
    auto left = [&] {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
        return static_cast<int>(std::max<long long>(0, ms));
    };
    std::string req = request + "\n";
    size_t off = 0;
    while (off < req.size()) {
        pollfd p{fd, POLLOUT, 0};
        if (poll(&p, 1, left()) <= 0) {
            close(fd);
            return makeError("timed out writing to the control socket");
        }
        ssize_t w = send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (w <= 0) {
            close(fd);
            return makeError("write to control socket failed");
        }
        off += static_cast<size_t>(w);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int pr = poll(&p, 1, left());
        if (pr == 0) {
            close(fd);
            return makeError("no complete reply from the daemon within " +
                             std::to_string(kTimeoutMs / 1000) + " s");
        }
        if (pr < 0 && errno == EINTR) continue;
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r <= 0) break;
        out.append(buf, static_cast<size_t>(r));
        if (out.size() > kMaxReply) {
            close(fd);
            return makeError("reply from the daemon too large");
        }
    }
    close(fd);
    if (out.empty()) return makeError("no reply from the daemon");
    return out;
}

}  // namespace sluice::rt
