// `sluice graph FILE [--port P] [-o OUT]`: the policy as a Graphviz digraph: ports, the layers
// each port's packets cross (in outbound order, one edge chain per port), each layer's groups
// per direction, the route tables their rules route to, and the next hops of those tables
// (ports, hosts, gateways, ECMP groups, drop). With --port only what that port reaches. With
// --compiled the policy is compiled first and each group and route table also shows the
// classifier that ships for it (kind, rows, memory), as `sluice compile` reports it.
// Exit codes: 0 written; 1 input errors (policy diagnostics, an unknown --port, an unwritable
// output); 2 usage.
#include <fstream>
#include <map>
#include <iostream>
#include <set>
#include <sstream>

#include "command.h"
#include "sluice/compiler/compiler.h"

namespace sluice::cli {
namespace {

struct GraphOptions {
    std::string file;
    std::string port;
    std::string out;
    bool compiled = false;
};

// Table name (as compiler::TableStats names it: "LAYER/DIR/GROUP", "routes/NAME") -> stats.
using CompiledTables = std::map<std::string, compiler::TableStats>;

std::string bytesText(size_t n) {
    if (n < 10 * 1024) return std::to_string(n) + " B";
    if (n < 10 * 1024 * 1024) return std::to_string((n + 512) / 1024) + " KiB";
    return std::to_string((n + (1 << 19)) >> 20) + " MiB";
}

// The line a compiled table adds to its node ("hypersplit, 120 rows, 4 KiB"); none when not
// compiled. Every table drawn is reached by a port, so the compiler made one for it; the
// fallback says so if that ever stops being true.
void addCompiled(std::vector<std::string>& label, const CompiledTables* tables,
                 const std::string& name) {
    if (!tables) return;
    auto it = tables->find(name);
    if (it == tables->end()) {
        label.push_back("no compiled table");
        return;
    }
    const auto& t = it->second;
    // A table without data (linear rows compiled into the code) has no memory of its own.
    label.push_back(t.classifier + ", " + std::to_string(t.rows) + " row(s), " +
                    (t.memoryBytes == 0 ? std::string("in the code") : bytesText(t.memoryBytes)));
}

// A DOT double-quoted string: backslash and quote escaped, control characters dropped.
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out + "\"";
}

// Node ids (kind:name); labels may hold DOT's "\n" line breaks, added by `lines`.
std::string lines(const std::vector<std::string>& parts) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += "\\n";
        for (char c : parts[i]) {
            if (c == '"' || c == '\\') out += '\\';
            if (static_cast<unsigned char>(c) >= 0x20) out += c;
        }
    }
    return "\"" + out + "\"";
}

std::string portId(const lang::Policy& p, uint32_t i) { return quoted("port:" + p.ports[i].name); }
std::string layerId(const lang::Policy& p, uint32_t i) {
    return quoted("layer:" + p.layers[i].name);
}
std::string groupId(const lang::Policy& p, uint32_t l, lang::Direction d, const lang::Group& g) {
    return quoted("group:" + p.layers[l].name + ":" + lang::directionName(d) + ":" + g.name);
}
std::string tableId(const lang::Policy& p, uint32_t t) {
    return quoted("routes:" + p.routeTables[t].name);
}
std::string ecmpId(const lang::Policy& p, uint32_t e) {
    return quoted("ecmp:" + p.ecmpGroups[e].name);
}

std::string graphText(const lang::Policy& policy, std::optional<uint32_t> onlyPort,
                      const CompiledTables* compiled) {
    std::ostringstream o;
    o << "digraph sluice {\n"
      << "  rankdir=LR;\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    std::set<uint32_t> ports, layers, tables, ecmps;
    for (uint32_t i = 0; i < policy.ports.size(); ++i)
        if (!onlyPort || *onlyPort == i) ports.insert(i);
    for (uint32_t pi : ports)
        for (uint32_t l : policy.ports[pi].layers) layers.insert(l);
    // Tables routed to by the rules of the layers shown, and tables reached through them.
    for (uint32_t l : layers)
        for (int d = 0; d < 2; ++d)
            for (const auto& g : policy.layers[l].groups[d])
                for (const auto& r : g.rules)
                    if (r.action.routeTable) tables.insert(*r.action.routeTable);
    std::set<uint32_t> targetPorts;
    for (uint32_t t : tables)
        for (const auto& r : policy.routeTables[t].routes) {
            if (r.kind == lang::NextHopKind::Ecmp) ecmps.insert(r.ecmp);
            if (r.kind == lang::NextHopKind::Port) targetPorts.insert(r.port);
        }
    for (uint32_t q : targetPorts) ports.insert(q);

    o << "  // ports\n";
    for (uint32_t pi : ports) {
        const auto& p = policy.ports[pi];
        std::vector<std::string> label{"port " + p.name};
        std::string ips;
        for (const auto& ip : p.ips) ips += (ips.empty() ? "" : ", ") + ip.str();
        label.push_back(ips);
        label.push_back("vni " + std::to_string(p.vni));
        o << "  " << portId(policy, pi) << " [shape=box, style=\"rounded,filled\", "
          << "fillcolor=\"#dbe9f6\", label=" << lines(label) << "];\n";
    }
    o << "  // layers and their groups (per direction, in priority order)\n";
    for (uint32_t l : layers) {
        const auto& layer = policy.layers[l];
        std::vector<std::string> label{"layer " + layer.name,
                                       std::string("default in ") +
                                           lang::verdictName(layer.defaultFor(lang::Direction::In).verdict) +
                                           ", out " +
                                           lang::verdictName(layer.defaultFor(lang::Direction::Out).verdict)};
        o << "  " << layerId(policy, l) << " [shape=component, style=filled, "
          << "fillcolor=\"#fff2cc\", label=" << lines(label) << "];\n";
        for (lang::Direction d : {lang::Direction::Out, lang::Direction::In}) {
            for (const auto& g : layer.groupsFor(d)) {
                std::vector<std::string> gl{std::string(lang::directionName(d)) + " group " + g.name,
                                            "priority " + std::to_string(g.priority) +
                                                (g.mode == lang::GroupMode::Lpm ? ", lpm" : ""),
                                            std::to_string(g.rules.size()) + " rule(s)"};
                addCompiled(gl, compiled,
                            layer.name + "/" + lang::directionName(d) + "/" + g.name);
                o << "  " << groupId(policy, l, d, g) << " [shape=note, label=" << lines(gl)
                  << "];\n";
                o << "  " << layerId(policy, l) << " -> " << groupId(policy, l, d, g)
                  << " [style=dashed, arrowhead=none, label=" << quoted(lang::directionName(d))
                  << "];\n";
                std::set<uint32_t> routed;
                for (const auto& r : g.rules)
                    if (r.action.routeTable) routed.insert(*r.action.routeTable);
                for (uint32_t t : routed)
                    o << "  " << groupId(policy, l, d, g) << " -> " << tableId(policy, t)
                      << " [label=\"route\"];\n";
            }
        }
    }
    o << "  // pipelines: each port's layers in outbound order (inbound is the reverse)\n";
    for (uint32_t pi : ports) {
        if (onlyPort && *onlyPort != pi) continue;
        const auto& p = policy.ports[pi];
        std::string prev = portId(policy, pi);
        for (size_t i = 0; i < p.layers.size(); ++i) {
            std::string next = layerId(policy, p.layers[i]);
            o << "  " << prev << " -> " << next << " [label=" << quoted(p.name + " " + std::to_string(i + 1))
              << ", color=\"#1f77b4\"];\n";
            prev = next;
        }
    }
    o << "  // route tables and next hops\n";
    std::set<std::string> endpoints;
    for (uint32_t t : tables) {
        const auto& table = policy.routeTables[t];
        std::vector<std::string> tl{"routes " + table.name,
                                    std::to_string(table.routes.size()) + " route(s)"};
        addCompiled(tl, compiled, "routes/" + table.name);
        o << "  " << tableId(policy, t) << " [shape=cylinder, style=filled, fillcolor=\"#e2f0d9\", "
          << "label=" << lines(tl) << "];\n";
        for (const auto& r : table.routes) {
            std::string prefix = r.prefix.str() + "/" + std::to_string(r.prefixLen);
            std::string target;
            switch (r.kind) {
                case lang::NextHopKind::Port: target = portId(policy, r.port); break;
                case lang::NextHopKind::Ecmp: target = ecmpId(policy, r.ecmp); break;
                case lang::NextHopKind::Host: target = quoted("host:" + r.address.str()); break;
                case lang::NextHopKind::Gateway: target = quoted("gateway:" + r.address.str()); break;
                case lang::NextHopKind::Drop: target = quoted("drop"); break;
            }
            if (r.kind == lang::NextHopKind::Host || r.kind == lang::NextHopKind::Gateway ||
                r.kind == lang::NextHopKind::Drop)
                endpoints.insert(target);
            o << "  " << tableId(policy, t) << " -> " << target << " [label=" << quoted(prefix)
              << "];\n";
        }
    }
    for (const auto& e : endpoints) {
        std::string name = e.substr(1, e.size() - 2);
        o << "  " << e << " [shape=" << (name == "drop" ? "octagon" : "ellipse")
          << ", label=" << quoted(name) << "];\n";
    }
    for (uint32_t e : ecmps) {
        const auto& g = policy.ecmpGroups[e];
        o << "  " << ecmpId(policy, e) << " [shape=hexagon, label="
          << lines({"ecmp " + g.name, std::to_string(g.members.size()) + " member(s)"}) << "];\n";
        for (const auto& m : g.members) {
            std::string id = quoted("member:" + g.name + ":" + m.name);
            o << "  " << id << " [shape=ellipse, label="
              << lines({m.name, m.address.str(), "weight " + std::to_string(m.weight)}) << "];\n";
            o << "  " << ecmpId(policy, e) << " -> " << id << ";\n";
        }
    }
    o << "}\n";
    return o.str();
}

int runGraph(const GraphOptions& options) {
    lang::FrontendOptions fo = frontendOptions();
    fo.warnings = false;
    lang::Frontend frontend(fo);
    auto policy = loadPolicyOrReport(frontend, options.file, false);
    if (!policy) return kExitInputError;
    std::optional<uint32_t> only;
    if (!options.port.empty()) {
        int p = policy->findPort(options.port);
        if (p < 0) {
            std::cerr << options.file << ": error: no port named '" << options.port << "'\n";
            return kExitInputError;
        }
        only = static_cast<uint32_t>(p);
    }
    CompiledTables tables;
    if (options.compiled) {
        auto c = compiler::compile(*policy, {});
        if (!c) {
            std::cerr << options.file << ": error: " << c.error().str() << "\n";
            return kExitInputError;
        }
        for (const auto& t : (*c)->tables()) tables[t.table] = t;
    }
    std::string text = graphText(*policy, only, options.compiled ? &tables : nullptr);
    if (options.out.empty() || options.out == "-") {
        std::cout << text;
        return kExitOk;
    }
    std::ofstream out(options.out, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        std::cerr << options.out << ": error: cannot write file\n";
        return kExitInputError;
    }
    return kExitOk;
}

void setupGraph(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<GraphOptions>();
    auto* cmd = app.add_subcommand(
        "graph", "Graphviz view of ports, layers, groups, route tables and next hops");
    cmd->add_option("file", options->file, "Policy file (.sl)")->required();
    cmd->add_option("--port", options->port, "Only this port and what it reaches");
    cmd->add_option("-o,--output", options->out, "Output .dot file (default: stdout)");
    cmd->add_flag("--compiled", options->compiled,
                  "Compile first; show each table's classifier kind, rows and memory");
    cmd->footer("Render with: dot -Tpng out.dot -o out.png. Exit codes: 0 written; 1 input "
                "errors (policy diagnostics, an unknown --port, an unwritable output); 2 usage.");
    cmd->callback([options, &exitCode] { exitCode = runGraph(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("graph", setupGraph);

}  // namespace sluice::cli
