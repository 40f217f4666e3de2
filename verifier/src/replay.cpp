#include "replay.h"

namespace sluice::verify::replay {

namespace {

std::shared_ptr<lang::Policy> skeleton(const lang::Policy& policy) {
    auto p = std::make_shared<lang::Policy>();
    p->sources = policy.sources;
    p->routeTables = policy.routeTables;
    p->ecmpGroups = policy.ecmpGroups;
    p->meters = policy.meters;
    p->credits = policy.credits;
    p->ports = policy.ports;
    for (auto& port : p->ports) port.layers.clear();
    return p;
}

uint32_t addProbePort(lang::Policy& p) {
    lang::Port port;
    port.name = "__verify__";
    port.layers = {static_cast<uint32_t>(p.layers.size() - 1)};
    p.ports.push_back(port);
    return static_cast<uint32_t>(p.ports.size() - 1);
}

}  // namespace

PrintedPacket printedPacket(const lang::Headers& witness) {
    PrintedPacket p;
    p.text = lang::formatPacketText(witness);
    auto parsed = lang::parsePacketText(p.text);
    if (!parsed) {
        p.headers = witness;
        p.error = "the witness text '" + p.text + "' does not parse: " + parsed.error().str();
        return p;
    }
    p.headers = parsed->headers;
    if (!(p.headers == witness))
        p.error = "the witness text '" + p.text + "' does not carry the solver's packet (a "
                  "field its protocol does not have, or a family or tunnel mismatch)";
    return p;
}

MiniLayer miniLayer(const lang::Policy& policy, uint32_t layer, lang::Direction dir,
                    uint32_t group, const std::vector<uint32_t>& rules) {
    MiniLayer m;
    m.policy = skeleton(policy);
    const auto& src = policy.layers[layer];
    lang::Layer l;
    l.name = src.name;
    l.range = src.range;
    l.defaultAction[0] = src.defaultAction[0];
    l.defaultAction[1] = src.defaultAction[1];
    const auto& g = src.groupsFor(dir)[group];
    lang::Group ng;
    ng.name = g.name;
    ng.priority = g.priority;
    ng.conditions = g.conditions;
    ng.mode = g.mode;
    ng.lpmField = g.lpmField;
    ng.range = g.range;
    for (uint32_t r : rules) {
        ng.rules.push_back(g.rules[r]);
        m.ruleMap.push_back(r);
    }
    l.groups[static_cast<int>(dir)].push_back(std::move(ng));
    m.policy->layers.push_back(std::move(l));
    m.port = addProbePort(*m.policy);
    return m;
}

LayerOutcome runLayer(const MiniLayer& mini, lang::Direction dir, const lang::Headers& packet) {
    interp::Interpreter in(mini.policy);
    interp::Result r = in.evaluate(mini.port, dir, packet);
    LayerOutcome o;
    if (!r.layers.empty()) {
        const auto& step = r.layers.front();
        if (step.rule && *step.rule < mini.ruleMap.size()) o.rule = mini.ruleMap[*step.rule];
        o.verdict = step.verdict;
        o.after = step.after;
        const auto& group = mini.policy->layers[0].groupsFor(dir);
        o.text = "interpreter: " + std::string(lang::verdictName(step.verdict)) + " by " +
                 (step.rule && !group.empty() && *step.rule < group[0].rules.size()
                      ? mini.policy->layers[0].name + "." + group[0].rules[*step.rule].name
                      : mini.policy->layers[0].name + ".default");
    } else {
        o.text = "interpreter: no layer step";
    }
    return o;
}

MiniLayer routeProbe(const lang::Policy& policy, uint32_t table) {
    MiniLayer m;
    m.policy = skeleton(policy);
    lang::Layer l;
    l.name = "__route_probe__";
    lang::Group g;
    g.name = "probe";
    lang::Rule r;
    r.name = "route";
    r.action.verdict = lang::Verdict::Allow;
    r.action.routeTable = table;
    g.rules.push_back(r);
    l.groups[static_cast<int>(lang::Direction::Out)].push_back(g);
    m.policy->layers.push_back(std::move(l));
    m.port = addProbePort(*m.policy);
    return m;
}

interp::Result runPort(std::shared_ptr<const lang::Policy> policy, uint32_t port,
                       lang::Direction dir, const lang::Headers& packet) {
    interp::Interpreter in(std::move(policy));
    return in.evaluate(port, dir, packet);
}

PortConnection runConnection(std::shared_ptr<const lang::Policy> policy, uint32_t port,
                             lang::Direction dir, const lang::Headers& syn) {
    interp::Interpreter in(std::move(policy));
    PortConnection c;
    c.syn = in.evaluate(port, dir, syn);
    if (c.syn.verdict != lang::Verdict::Allow) return c;
    lang::Headers reply = lang::replyHeaders(c.syn.headers);
    reply.tcpFlags = 0x12;  // SYN-ACK
    c.reply = in.evaluate(port, dir == lang::Direction::In ? lang::Direction::Out
                                                           : lang::Direction::In,
                          reply);
    return c;
}

}  // namespace sluice::verify::replay
