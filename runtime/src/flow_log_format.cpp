// Flow-log events: which pipeline results are logged, the deciding step, and the JSON / text
// lines (names from the compiled artifact's descriptor; the runtime never reads the policy).
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "sluice/runtime/flow.h"
#include "sluice/runtime/flow_log.h"

namespace sluice::rt {

namespace {

std::string ipText(const sl_ip& ip, uint8_t family) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == SL_FAMILY_V4) {
        uint32_t v = htonl(static_cast<uint32_t>(ip.lo));
        inet_ntop(AF_INET, &v, buf, sizeof buf);
    } else if (family == SL_FAMILY_V6) {
        uint8_t b[16];
        for (int i = 0; i < 8; ++i) {
            b[i] = static_cast<uint8_t>(ip.hi >> (56 - 8 * i));
            b[8 + i] = static_cast<uint8_t>(ip.lo >> (56 - 8 * i));
        }
        inet_ntop(AF_INET6, b, buf, sizeof buf);
    } else {
        return "-";
    }
    return buf;
}

std::string protoText(uint8_t proto) {
    switch (proto) {
        case 6: return "tcp";
        case 17: return "udp";
        case 1: return "icmp";
        case 58: return "icmpv6";
        default: return std::to_string(proto);
    }
}

// 2026-12-03T07:40:00.123456Z
std::string timeText(uint64_t ns) {
    time_t s = static_cast<time_t>(ns / 1000000000u);
    struct tm tm {};
    gmtime_r(&s, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<unsigned>(ns % 1000000000u / 1000u));
    return buf;
}

struct Names {
    std::string port, layer, group, rule;
};

Names namesOf(const sl_policy_desc* desc, uint16_t port, uint8_t dir, uint16_t layer,
              uint32_t rule) {
    Names n;
    n.port = port == kFlowUplink ? "uplink" : "#" + std::to_string(port);
    if (layer != kFlowNoLayer) n.layer = "#" + std::to_string(layer);
    if (rule != SL_NO_RULE) n.rule = "#" + std::to_string(rule);
    if (desc == nullptr) return n;
    if (port != kFlowUplink) {
        if (const sl_entry* e = sl_policy_entry(desc, port, dir); e && e->port_name)
            n.port = e->port_name;
    }
    if (layer != kFlowNoLayer && layer < desc->n_layers && desc->layer_names)
        n.layer = desc->layer_names[layer];
    if (rule != SL_NO_RULE && rule < desc->n_rules) {
        n.group = desc->rules[rule].group;
        n.rule = desc->rules[rule].rule;
    }
    return n;
}

nlohmann::json orNull(const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace

bool flowLogWanted(const sl_result& r) { return (r.log_mask | r.audit_mask) != 0; }

void fillDecision(FlowLogEvent& e, const sl_result& r, const sl_entry& entry) {
    e.verdict = r.verdict;
    uint32_t n = std::min<uint32_t>({r.n_steps, SL_MAX_STEPS, entry.n_layers});
    auto layerOf = [&](uint32_t i) {
        return entry.layers ? static_cast<uint16_t>(entry.layers[i]) : kFlowNoLayer;
    };
    e.layer = kFlowNoLayer;
    e.rule = SL_NO_RULE;
    if (n > 0) {
        // A deny: the last step walked (the layer that denied ends the walk; after a route
        // drop, the last layer). An allow: the last logged step, else the last step.
        uint32_t at = n - 1;
        if (r.verdict == SL_VERDICT_ALLOW) {
            for (uint32_t i = n; i-- > 0;) {
                if (r.log_mask & (1u << i)) {
                    at = i;
                    break;
                }
            }
        }
        e.layer = layerOf(at);
        e.rule = r.step_rule[at];
    }
    if (r.log_mask != 0) e.flags |= kFlowLogged;
    for (uint32_t i = 0; i < n; ++i) {
        if (r.audit_mask & (1u << i)) {
            e.flags |= kFlowAudit;
            e.auditLayer = layerOf(i);
            e.auditRule = r.step_rule[i];
            break;
        }
    }
    if (r.verdict == SL_VERDICT_DENY) e.flags |= kFlowDrop;
}

std::string flowLogJson(const FlowLogEvent& e, const sl_policy_desc* desc) {
    Names n = namesOf(desc, e.port, e.direction, e.layer, e.rule);
    nlohmann::json j;
    j["schema_version"] = 1;
    j["time"] = timeText(e.timeNs);
    j["time_ns"] = e.timeNs;
    j["port"] = n.port;
    j["direction"] = e.direction == SL_DIR_IN ? "in" : "out";
    j["proto"] = protoText(e.proto);
    j["src_ip"] = ipText(e.src, e.family);
    j["dst_ip"] = ipText(e.dst, e.family);
    j["src_port"] = e.srcPort;
    j["dst_port"] = e.dstPort;
    j["vni"] = e.vni;
    j["verdict"] = e.verdict == SL_VERDICT_ALLOW ? "allow" : "deny";
    j["drop_reason"] = (e.flags & kFlowDrop)
                           ? nlohmann::json(dropReasonName(static_cast<DropReason>(e.dropReason)))
                           : nlohmann::json(nullptr);
    j["layer"] = orNull(n.layer);
    j["group"] = orNull(n.group);
    j["rule"] = orNull(n.rule);
    j["rule_id"] = e.rule == SL_NO_RULE ? nlohmann::json(nullptr) : nlohmann::json(e.rule);
    j["logged"] = (e.flags & kFlowLogged) != 0;
    j["audit_would_deny"] = (e.flags & kFlowAudit) != 0;
    if (e.flags & kFlowAudit) {
        Names a = namesOf(desc, e.port, e.direction, e.auditLayer, e.auditRule);
        j["audit_layer"] = orNull(a.layer);
        j["audit_rule"] = orNull(a.rule);
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string flowLogText(const FlowLogEvent& e, const sl_policy_desc* desc) {
    Names n = namesOf(desc, e.port, e.direction, e.layer, e.rule);
    auto endpoint = [&](const sl_ip& ip, uint16_t port) {
        std::string s = ipText(ip, e.family);
        if (e.proto != 6 && e.proto != 17) return s;
        return (e.family == SL_FAMILY_V6 ? "[" + s + "]" : s) + ":" + std::to_string(port);
    };
    std::string s = timeText(e.timeNs) + " " + n.port + " " +
                    (e.direction == SL_DIR_IN ? "in" : "out") + " " + protoText(e.proto) + " " +
                    endpoint(e.src, e.srcPort) + " -> " + endpoint(e.dst, e.dstPort);
    if (e.vni != 0) s += " vni " + std::to_string(e.vni);
    s += e.verdict == SL_VERDICT_ALLOW ? " allow" : " deny";
    if (e.flags & kFlowDrop) s += std::string(" (") + dropReasonName(static_cast<DropReason>(e.dropReason)) + ")";
    if (!n.layer.empty()) s += " layer " + n.layer + (n.rule.empty() ? " default" : " rule " + n.rule);
    if (e.flags & kFlowLogged) s += " [log]";
    if (e.flags & kFlowAudit) {
        Names a = namesOf(desc, e.port, e.direction, e.auditLayer, e.auditRule);
        s += " [audit: would deny at " + a.layer + (a.rule.empty() ? "" : "/" + a.rule) + "]";
    }
    return s;
}

}  // namespace sluice::rt
