// A small builder of lang::Policy objects for interpreter tests: the model as the front end
// would produce it (values as intervals, rules and groups sorted by priority, indices resolved).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "sluice/interp/interpreter.h"
#include "sluice/lang/model.h"
#include "sluice/lang/packet.h"

namespace sluice::testing {

using lang::Action;
using lang::Condition;
using lang::Direction;
using lang::Family;
using lang::Field;
using lang::Group;
using lang::Headers;
using lang::IpAddr;
using lang::Layer;
using lang::MatchValue;
using lang::Policy;
using lang::Rule;
using lang::u128;
using lang::Verdict;

inline IpAddr ip(const std::string& text) {
    auto a = lang::parseIp(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a.value_or(IpAddr{});
}

// "10.0.0.0/8", "fd00::/16", or a single address (full-length prefix).
inline MatchValue prefix(const std::string& text) {
    size_t slash = text.find('/');
    IpAddr a = ip(text.substr(0, slash));
    int width = static_cast<int>(a.width());
    int len = slash == std::string::npos ? width : std::stoi(text.substr(slash + 1));
    u128 host = len >= width ? u128(0) : len == 0 && width == 128 ? ~u128(0)
                                                                : ((u128(1) << (width - len)) - 1);
    MatchValue m;
    m.family = a.family;
    m.lo = a.value & ~host;
    m.hi = m.lo | host;
    m.prefixLen = len;
    return m;
}

inline MatchValue value(u128 v) { return MatchValue{v, v, Family::None, -1, {}}; }
inline MatchValue range(u128 lo, u128 hi) { return MatchValue{lo, hi, Family::None, -1, {}}; }

inline Condition cond(Field f, std::vector<MatchValue> values) {
    Condition c;
    c.field = f;
    c.values = std::move(values);
    return c;
}
inline Condition cond(Field f, const std::string& prefixText) {
    return cond(f, std::vector<MatchValue>{prefix(prefixText)});
}
inline Condition cond(Field f, u128 v) { return cond(f, std::vector<MatchValue>{value(v)}); }

// Actions.
inline Action allow() {
    Action a;
    a.verdict = Verdict::Allow;
    return a;
}
inline Action deny() { return Action{}; }
inline Action setField(Action a, Field f, u128 v) {
    a.rewrites.push_back({f, v, Family::None, {}});
    return a;
}
inline Action setIp(Action a, Field f, const std::string& addr) {
    IpAddr x = ip(addr);
    a.rewrites.push_back({f, x.value, x.family, {}});
    return a;
}
inline Action encap(Action a, uint32_t vni, const std::string& src, const std::string& dst) {
    a.encap = lang::Encap{vni, ip(src), ip(dst), {}};
    return a;
}
inline Action decap(Action a) {
    a.decap = true;
    return a;
}
inline Action route(Action a, uint32_t table) {
    a.routeTable = table;
    return a;
}
inline Action meter(Action a, uint32_t m) {
    a.meter = m;
    return a;
}

struct RuleOpts {
    bool terminating = false;
    bool stateful = false;
};

inline Rule rule(std::string name, uint32_t priority, std::vector<Condition> conds, Action action,
                 RuleOpts opts = {}) {
    Rule r;
    r.name = std::move(name);
    r.priority = priority;
    r.conditions = std::move(conds);
    r.action = std::move(action);
    r.terminating = opts.terminating;
    r.stateful = opts.stateful;
    return r;
}

inline Group group(std::string name, uint32_t priority, std::vector<Rule> rules,
                   std::vector<Condition> conds = {}) {
    Group g;
    g.name = std::move(name);
    g.priority = priority;
    g.rules = std::move(rules);
    std::sort(g.rules.begin(), g.rules.end(),
              [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
    g.conditions = std::move(conds);
    return g;
}

inline Group lpmGroup(std::string name, uint32_t priority, Field field, std::vector<Rule> rules) {
    Group g = group(std::move(name), priority, std::move(rules));
    g.mode = lang::GroupMode::Lpm;
    g.lpmField = field;
    return g;
}

class PolicyBuilder {
public:
    // Adds a layer; returns its index. Groups are sorted by priority as the front end does.
    uint32_t layer(std::string name, std::vector<Group> out, std::vector<Group> in = {},
                   Verdict defaultOut = Verdict::Deny, Verdict defaultIn = Verdict::Deny) {
        Layer l;
        l.name = std::move(name);
        auto byPriority = [](const Group& a, const Group& b) { return a.priority < b.priority; };
        std::sort(out.begin(), out.end(), byPriority);
        std::sort(in.begin(), in.end(), byPriority);
        l.groups[static_cast<int>(Direction::Out)] = std::move(out);
        l.groups[static_cast<int>(Direction::In)] = std::move(in);
        l.defaultAction[static_cast<int>(Direction::Out)].verdict = defaultOut;
        l.defaultAction[static_cast<int>(Direction::In)].verdict = defaultIn;
        policy_->layers.push_back(std::move(l));
        return static_cast<uint32_t>(policy_->layers.size() - 1);
    }

    uint32_t port(std::string name, std::vector<uint32_t> layers, const std::string& addr = "10.0.0.1") {
        lang::Port p;
        p.name = std::move(name);
        p.mac = 0x020000000001ull;
        p.ips.push_back(ip(addr));
        p.vni = 1;
        p.layers = std::move(layers);
        policy_->ports.push_back(std::move(p));
        return static_cast<uint32_t>(policy_->ports.size() - 1);
    }

    uint32_t routes(std::string name, std::vector<lang::RouteEntry> entries) {
        lang::RouteTable t;
        t.name = std::move(name);
        t.routes = std::move(entries);
        policy_->routeTables.push_back(std::move(t));
        return static_cast<uint32_t>(policy_->routeTables.size() - 1);
    }

    uint32_t ecmp(std::string name, std::vector<std::string> members) {
        lang::EcmpGroup g;
        g.name = std::move(name);
        for (size_t i = 0; i < members.size(); ++i) {
            g.members.push_back({"m" + std::to_string(i), ip(members[i]), 1, {}});
        }
        policy_->ecmpGroups.push_back(std::move(g));
        return static_cast<uint32_t>(policy_->ecmpGroups.size() - 1);
    }

    uint32_t meter(std::string name, uint64_t rateBps) {
        lang::Meter m;
        m.name = std::move(name);
        m.rateBps = rateBps;
        policy_->meters.push_back(std::move(m));
        return static_cast<uint32_t>(policy_->meters.size() - 1);
    }

    std::shared_ptr<const Policy> build() { return policy_; }

private:
    std::shared_ptr<Policy> policy_ = std::make_shared<Policy>();
};

inline lang::RouteEntry routeTo(const std::string& prefixText, lang::NextHopKind kind,
                                uint32_t index = 0, const std::string& addr = "") {
    MatchValue m = prefix(prefixText);
    lang::RouteEntry e;
    e.prefix = IpAddr{m.family, m.lo};
    e.prefixLen = m.prefixLen;
    e.kind = kind;
    e.port = index;
    e.ecmp = index;
    if (!addr.empty()) e.address = ip(addr);
    return e;
}

inline Headers packet(const std::string& text) {
    auto p = lang::parsePacketText(text);
    EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().str());
    return p.ok() ? p->headers : Headers{};
}

// "layer/group/rule" of a step, "layer/-/-" for a default, "layer/session" for a session pair.
inline std::string stepName(const Policy& policy, Direction dir, const interp::LayerStep& s) {
    const Layer& l = policy.layers.at(s.layer);
    if (s.viaSession) return l.name + "/session";
    if (!s.group) return l.name + "/-/-";
    const Group& g = l.groupsFor(dir).at(*s.group);
    return l.name + "/" + g.name + "/" + g.rules.at(*s.rule).name;
}

inline std::vector<std::string> trace(const Policy& policy, Direction dir,
                                      const interp::Result& r) {
    std::vector<std::string> out;
    for (const auto& s : r.layers) out.push_back(stepName(policy, dir, s));
    return out;
}

}  // namespace sluice::testing
