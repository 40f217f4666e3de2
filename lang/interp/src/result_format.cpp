// Printing interpreter results: the `sluice eval --json` object and a readable trace.
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/interp/interpreter.h"
#include "sluice/interp/network.h"

namespace sluice::interp {

namespace {

using lang::Field;
using lang::Policy;

// Names of a step's layer, group and rule; empty when absent (or out of range).
struct StepNames {
    std::string layer;
    std::string group;
    std::string rule;
    std::string meter;
};

StepNames namesOf(const Policy& policy, Direction dir, const LayerStep& step) {
    StepNames n;
    if (step.layer >= policy.layers.size()) {
        n.layer = "#" + std::to_string(step.layer);
        return n;
    }
    const lang::Layer& layer = policy.layers[step.layer];
    n.layer = layer.name;
    const auto& groups = layer.groupsFor(dir);
    if (step.group && *step.group < groups.size()) {
        const lang::Group& g = groups[*step.group];
        n.group = g.name;
        if (step.rule && *step.rule < g.rules.size()) n.rule = g.rules[*step.rule].name;
    }
    if (step.meter && *step.meter < policy.meters.size()) n.meter = policy.meters[*step.meter].name;
    return n;
}

nlohmann::json nameOrNull(const std::string& s) {
    return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

nlohmann::json ipOrNull(const lang::IpAddr& a) {
    return a.family == lang::Family::None ? nlohmann::json(nullptr) : nlohmann::json(a.str());
}

// Every field of the metadata, keyed by its policy-text name.
nlohmann::json fieldsJson(const Headers& h) {
    nlohmann::json j = nlohmann::json::object();
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        Field f = static_cast<Field>(i);
        const lang::FieldInfo& info = lang::fieldInfo(f);
        std::string name(info.name);
        switch (f) {
            case Field::SrcMac: j[name] = lang::macToString(h.srcMac); break;
            case Field::DstMac: j[name] = lang::macToString(h.dstMac); break;
            case Field::OuterSrcIp: j[name] = ipOrNull(h.outerSrc); break;
            case Field::OuterDstIp: j[name] = ipOrNull(h.outerDst); break;
            case Field::SrcIp: j[name] = ipOrNull(h.srcIp); break;
            case Field::DstIp: j[name] = ipOrNull(h.dstIp); break;
            default: j[name] = static_cast<uint64_t>(h.get(f)); break;
        }
    }
    return j;
}

std::string portName(const Policy& policy, uint32_t port) {
    return port < policy.ports.size() ? policy.ports[port].name : "#" + std::to_string(port);
}

bool dropped(const Result& r) { return r.output.kind == OutputKind::Drop; }

}  // namespace

namespace {

nlohmann::json layersJson(const Policy& policy, Direction dir, const Result& result) {
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerStep& step : result.layers) {
        StepNames n = namesOf(policy, dir, step);
        nlohmann::json s;
        s["layer"] = n.layer;
        s["group"] = nameOrNull(n.group);
        s["rule"] = nameOrNull(n.rule);
        s["session"] = step.viaSession;
        s["verdict"] = lang::verdictName(step.verdict);
        s["meter"] = nameOrNull(n.meter);
        s["logged"] = step.logged;
        s["audit_would_deny"] = step.auditDeny;
        s["headers"] = lang::formatPacketText(step.after);
        layers.push_back(std::move(s));
    }
    return layers;
}

nlohmann::json outputJson(const Policy& policy, const Output& output) {
    return output.kind == OutputKind::Drop ? nlohmann::json(nullptr)
                                           : nlohmann::json(output.str(policy));
}

nlohmann::json dropReasonJson(const Output& output, const std::string& reason) {
    return output.kind == OutputKind::Drop ? nlohmann::json(reason) : nlohmann::json(nullptr);
}

std::string dump(const nlohmann::json& j) {
    // Replace invalid UTF-8 (names come from policy text) rather than throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string resultToJson(const Policy& policy, uint32_t port, Direction dir,
                         const Result& result) {
    nlohmann::json j;
    j["port"] = portName(policy, port);
    j["dir"] = lang::directionName(dir);
    j["verdict"] = lang::verdictName(result.verdict);
    j["output"] = outputJson(policy, result.output);
    j["headers"] = lang::formatPacketText(result.headers);
    j["fields"] = fieldsJson(result.headers);
    j["layers"] = layersJson(policy, dir, result);
    j["drop_reason"] = dropReasonJson(result.output, result.dropReason);
    j["logged"] = result.logged();
    j["audit_would_deny"] = result.auditDenied();
    return dump(j);
}

std::string pathToJson(const Policy& policy, std::optional<uint32_t> port, Direction dir,
                       const PathResult& path) {
    nlohmann::json j;
    j["port"] = port ? nlohmann::json(portName(policy, *port)) : nlohmann::json(nullptr);
    j["dir"] = lang::directionName(dir);
    j["verdict"] = lang::verdictName(path.verdict);
    j["output"] = outputJson(policy, path.output);
    j["headers"] = lang::formatPacketText(path.headers);
    j["fields"] = fieldsJson(path.headers);
    j["layers"] = path.hops.empty() ? nlohmann::json::array()
                                    : layersJson(policy, path.hops[0].dir, path.hops[0].result);
    j["drop_reason"] = dropReasonJson(path.output, path.dropReason);
    bool logged = false, audited = false;
    for (const Hop& hop : path.hops) {
        logged = logged || hop.result.logged();
        audited = audited || hop.result.auditDenied();
    }
    j["logged"] = logged;
    j["audit_would_deny"] = audited;
    nlohmann::json hops = nlohmann::json::array();
    for (const Hop& hop : path.hops) {
        nlohmann::json h;
        h["port"] = portName(policy, hop.port);
        h["dir"] = lang::directionName(hop.dir);
        h["verdict"] = lang::verdictName(hop.result.verdict);
        h["output"] = outputJson(policy, hop.result.output);
        h["headers"] = lang::formatPacketText(hop.result.headers);
        h["layers"] = layersJson(policy, hop.dir, hop.result);
        h["drop_reason"] = dropReasonJson(hop.result.output, hop.result.dropReason);
        hops.push_back(std::move(h));
    }
    j["hops"] = std::move(hops);
    return dump(j);
}

std::string resultToText(const Policy& policy, uint32_t port, Direction dir,
                         const Result& result) {
    std::ostringstream out;
    out << "port " << portName(policy, port) << " " << lang::directionName(dir) << ": "
        << lang::verdictName(result.verdict);
    if (dropped(result)) {
        out << " (dropped: " << result.dropReason << ")";
    } else {
        out << " -> " << result.output.str(policy);
    }
    out << "\n";
    for (const LayerStep& step : result.layers) {
        StepNames n = namesOf(policy, dir, step);
        out << "  layer " << n.layer << ": ";
        if (step.viaSession) {
            out << "session pair";
        } else if (!n.rule.empty()) {
            out << "group " << n.group << " rule " << n.rule;
        } else {
            out << "default";
        }
        out << " -> " << lang::verdictName(step.verdict);
        if (step.auditDeny) out << " (audit: would deny)";
        if (step.logged) out << ", logged";
        if (!n.meter.empty()) out << ", meter " << n.meter;
        out << "\n";
        if (step.verdict == Verdict::Allow) {
            out << "    " << lang::formatPacketText(step.after) << "\n";
        }
    }
    out << "  final: " << lang::formatPacketText(result.headers);
    return out.str();
}

std::string pathToText(const Policy& policy, std::optional<uint32_t> port, Direction dir,
                       const PathResult& path) {
    std::ostringstream out;
    out << "path from " << (port ? "port " + portName(policy, *port) : std::string("uplink"))
        << " " << lang::directionName(dir) << ": " << lang::verdictName(path.verdict);
    if (path.output.kind == OutputKind::Drop) {
        out << " (dropped: " << path.dropReason << ")";
    } else {
        out << " -> " << path.output.str(policy);
    }
    out << "\n";
    for (size_t i = 0; i < path.hops.size(); ++i) {
        const Hop& hop = path.hops[i];
        std::string text = resultToText(policy, hop.port, hop.dir, hop.result);
        // Indent the hop's own trace under the path line; its "final" line is left out (the
        // headers leaving the hop are those after its last layer).
        std::istringstream lines(text);
        std::string line;
        out << "  hop " << (i + 1) << ": ";
        for (bool first = true; std::getline(lines, line); first = false) {
            if (line.rfind("  final: ", 0) == 0) continue;
            if (!first) out << "  ";
            out << line << "\n";
        }
        // The pipeline sent it to the uplink; the vSwitch's default forwarding delivered it.
        if (hop.dir == Direction::Out && hop.result.output.kind == OutputKind::Uplink &&
            i + 1 < path.hops.size()) {
            out << "    forwarded by VNI and address to port "
                << portName(policy, path.hops[i + 1].port) << "\n";
        }
    }
    out << "  final: " << lang::formatPacketText(path.headers);
    return out.str();
}

}  // namespace sluice::interp
