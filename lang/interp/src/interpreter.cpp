// The reference interpreter: DESIGN.md section 3 written out as plainly as possible.
//
// Per packet: walk the port's layers (reversed inbound); in each layer first look for a session
// pair recorded by an earlier packet of the other direction (skip the rules, allow, restore the
// fields the layer had rewritten); otherwise walk the groups and take the layer's result, apply
// its transposition to the metadata, remember route and meter. At the end, route lookup.
#include "sluice/interp/interpreter.h"

#include <algorithm>
#include <utility>

namespace sluice::interp {

using lang::Action;
using lang::Condition;
using lang::Family;
using lang::Field;
using lang::Group;
using lang::GroupMode;
using lang::IpAddr;
using lang::Layer;
using lang::MatchValue;
using lang::Policy;
using lang::Rule;
using lang::u128;

namespace {

// Fields that a layer's transposition can change, and so that a session pair restores.
// DSCP marking is not undone on replies.
constexpr Field kRestorableFields[] = {Field::SrcMac,  Field::DstMac,     Field::Vni,
                                       Field::OuterSrcIp, Field::OuterDstIp, Field::SrcIp,
                                       Field::DstIp,   Field::SrcPort,    Field::DstPort};

uint32_t fieldBit(Field f) { return 1u << static_cast<unsigned>(f); }

// Copies one field from `from` into `to`; IP fields keep the source's family (including
// Family::None, so restoring "not tunnelled" clears the outer addresses).
void copyField(Headers& to, const Headers& from, Field f) {
    switch (f) {
        case Field::OuterSrcIp: to.outerSrc = from.outerSrc; break;
        case Field::OuterDstIp: to.outerDst = from.outerDst; break;
        case Field::SrcIp: to.srcIp = from.srcIp; break;
        case Field::DstIp: to.dstIp = from.dstIp; break;
        default: to.set(f, from.get(f)); break;
    }
}

bool sameField(const Headers& a, const Headers& b, Field f) {
    return a.get(f) == b.get(f) && a.family(f) == b.family(f);
}


Direction reverseDir(Direction d) { return d == Direction::In ? Direction::Out : Direction::In; }

std::string hex128(u128 v) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s(32, '0');
    for (int i = 31; i >= 0; --i) {
        s[static_cast<size_t>(i)] = kDigits[static_cast<unsigned>(v & 0xf)];
        v >>= 4;
    }
    return s;
}

// Session key: port, layer, the direction the packet travels, and its flow tuple at the layer
// (family, addresses, protocol, ports, ICMP type/code).
std::string sessionKey(uint32_t port, uint32_t layer, Direction dir, const Headers& h) {
    std::string key = std::to_string(port) + "/" + std::to_string(layer) + "/" +
                      directionName(dir) + "/" +
                      std::to_string(static_cast<int>(h.srcIp.family)) + "/" +
                      hex128(h.srcIp.value) + "/" + hex128(h.dstIp.value) + "/" +
                      std::to_string(h.proto) + "/" + std::to_string(h.srcPort) + "/" +
                      std::to_string(h.dstPort) + "/" + std::to_string(h.icmpType) + "/" +
                      std::to_string(h.icmpCode);
    return key;
}

bool conditionHolds(const Condition& c, const Headers& h) {
    u128 v = h.get(c.field);
    Family f = h.family(c.field);
    return std::any_of(c.values.begin(), c.values.end(),
                       [&](const MatchValue& m) { return m.contains(v, f); });
}

bool allHold(const std::vector<Condition>& conds, const Headers& h) {
    return std::all_of(conds.begin(), conds.end(),
                       [&](const Condition& c) { return conditionHolds(c, h); });
}

// Length of the longest value of the rule's condition on `field` that contains the packet's
// field: a prefix counts its prefix length, a single address its full width, any other range -1.
// -1 also when the rule has no condition on the field (it then matches every value).
int matchedPrefixLen(const Rule& rule, Field field, const Headers& h) {
    int best = -1;
    u128 v = h.get(field);
    Family fam = h.family(field);
    for (const Condition& c : rule.conditions) {
        if (c.field != field) continue;
        for (const MatchValue& m : c.values) {
            if (!m.contains(v, fam)) continue;
            int len = m.prefixLen;
            if (len < 0 && m.lo == m.hi) {
                len = lang::fieldInfo(field).isIp ? (fam == Family::V4 ? 32 : 128)
                                                   : static_cast<int>(lang::fieldInfo(field).width);
            }
            best = std::max(best, len);
        }
    }
    return best;
}

// The group's winning rule index, if any.
std::optional<uint32_t> groupWinner(const Group& g, const Headers& h) {
    if (g.mode == GroupMode::Priority) {
        for (uint32_t i = 0; i < g.rules.size(); ++i) {
            if (allHold(g.rules[i].conditions, h)) return i;
        }
        return std::nullopt;
    }
    std::optional<uint32_t> best;
    int bestLen = -2;
    for (uint32_t i = 0; i < g.rules.size(); ++i) {
        const Rule& r = g.rules[i];
        if (!allHold(r.conditions, h)) continue;
        int len = matchedPrefixLen(r, g.lpmField, h);
        // Rules are sorted by priority, so a strictly longer prefix is needed to take over.
        if (len > bestLen) {
            best = i;
            bestLen = len;
        }
    }
    return best;
}

bool prefixContains(const IpAddr& prefix, int len, const IpAddr& addr) {
    if (prefix.family != addr.family || prefix.family == Family::None) return false;
    int width = static_cast<int>(prefix.width());
    if (len <= 0) return true;
    if (len > width) return false;
    int shift = width - len;
    return (prefix.value >> shift) == (addr.value >> shift);
}

void applyTransposition(const Action& a, Headers& h) {
    if (a.decap) {
        h.vni = 0;
        h.outerSrc = IpAddr{};
        h.outerDst = IpAddr{};
    }
    for (const lang::Rewrite& rw : a.rewrites) h.set(rw.field, rw.value, rw.family);
    if (a.encap) {
        h.vni = a.encap->vni;
        h.outerSrc = a.encap->outerSrc;
        h.outerDst = a.encap->outerDst;
    }
}

}  // namespace

std::string Output::str(const Policy& policy) const {
    auto portName = [&](uint32_t i) {
        return i < policy.ports.size() ? policy.ports[i].name : "#" + std::to_string(i);
    };
    switch (kind) {
        case OutputKind::Drop: return "drop";
        case OutputKind::Vm: return "vm:" + portName(index);
        case OutputKind::Uplink: return "uplink";
        case OutputKind::Port: return "port:" + portName(index);
        case OutputKind::Host: return "host:" + address.str();
        case OutputKind::Gateway: return "gateway:" + address.str();
        case OutputKind::Ecmp:
            return "ecmp:" + (index < policy.ecmpGroups.size() ? policy.ecmpGroups[index].name
                                                                : "#" + std::to_string(index));
    }
    return "drop";
}

bool Result::logged() const {
    return std::any_of(layers.begin(), layers.end(), [](const LayerStep& s) { return s.logged; });
}

bool Result::auditDenied() const {
    return std::any_of(layers.begin(), layers.end(),
                       [](const LayerStep& s) { return s.auditDeny; });
}

Interpreter::Interpreter(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {}

void Interpreter::clearSessions() {
    sessions_.clear();
    sessionFields_.clear();
}

size_t Interpreter::sessionCount() const { return sessions_.size(); }

bool Interpreter::hasSessionFor(uint32_t port, Direction dir, const Headers& packet) const {
    if (!policy_ || port >= policy_->ports.size()) return false;
    for (uint32_t layer : policy_->ports[port].layers) {
        if (sessions_.count(sessionKey(port, layer, dir, packet))) return true;
    }
    return false;
}

Result Interpreter::evaluate(uint32_t portIndex, Direction dir, const Headers& packet) {
    std::vector<PendingSession> pending;
    Result result = evaluateHop(portIndex, dir, packet, pending);
    if (result.verdict == Verdict::Allow) commit(pending);
    return result;
}

void Interpreter::commit(std::vector<PendingSession>& pending) {
    for (PendingSession& p : pending) {
        sessionFields_[p.key] = p.fields;
        sessions_[p.key] = std::move(p.restore);
    }
    pending.clear();
}

Result Interpreter::evaluateHop(uint32_t portIndex, Direction dir, const Headers& packet,
                                std::vector<PendingSession>& sessionsOut) {
    Result result;
    result.headers = packet;
    auto drop = [&](std::string reason) {
        result.verdict = Verdict::Deny;
        result.output = Output{};
        result.dropReason = std::move(reason);
        return result;
    };
    if (!policy_) return drop("no policy");
    const Policy& policy = *policy_;
    if (portIndex >= policy.ports.size()) return drop("no such port");
    const lang::Port& port = policy.ports[portIndex];

    std::vector<uint32_t> order = port.layers;
    if (dir == Direction::In) std::reverse(order.begin(), order.end());

    std::vector<PendingSession> pending;
    std::optional<uint32_t> routeTable;
    Headers& h = result.headers;

    for (uint32_t layerIndex : order) {
        if (layerIndex >= policy.layers.size()) {
            return drop("layer #" + std::to_string(layerIndex) + " does not exist");
        }
        const Layer& layer = policy.layers[layerIndex];
        LayerStep step;
        step.layer = layerIndex;

        auto session = sessions_.find(sessionKey(portIndex, layerIndex, dir, h));
        if (session != sessions_.end()) {
            uint32_t fields = sessionFields_[session->first];
            for (Field f : kRestorableFields) {
                if (fields & fieldBit(f)) copyField(h, session->second, f);
            }
            step.viaSession = true;
            step.verdict = Verdict::Allow;
            step.after = h;
            result.layers.push_back(step);
            continue;
        }

        const std::vector<Group>& groups = layer.groupsFor(dir);
        const Rule* winner = nullptr;
        for (uint32_t gi = 0; gi < groups.size(); ++gi) {
            const Group& g = groups[gi];
            if (!allHold(g.conditions, h)) continue;
            auto ri = groupWinner(g, h);
            if (!ri) continue;
            step.group = gi;
            step.rule = *ri;
            winner = &g.rules[*ri];
            if (winner->terminating) break;
        }
        const Action& action = winner ? winner->action : layer.defaultFor(dir);
        step.verdict = action.verdict;
        step.logged = winner != nullptr && winner->log;
        if (action.verdict == Verdict::Deny && layer.audit) {
            // Audit: record the would-deny; the layer passes the packet on unchanged. A deny
            // carries no transposition, route or meter, and cannot be stateful (E304).
            step.auditDeny = true;
            step.verdict = Verdict::Allow;
            step.after = h;
            result.layers.push_back(step);
            continue;
        }
        if (action.verdict == Verdict::Deny) {
            step.after = h;
            result.layers.push_back(step);
            return drop("layer " + layer.name);
        }
        Headers before = h;
        applyTransposition(action, h);
        if (action.routeTable) routeTable = action.routeTable;
        step.meter = action.meter;
        step.after = h;
        result.layers.push_back(step);

        if (winner && winner->stateful) {
            Headers replyBefore = lang::replyHeaders(before);  // what the reply must look like leaving
            Headers replyAfter = lang::replyHeaders(h);        // what the reply looks like arriving
            uint32_t fields = 0;
            for (Field f : kRestorableFields) {
                if (!sameField(replyBefore, replyAfter, f)) fields |= fieldBit(f);
            }
            pending.push_back(
                {sessionKey(portIndex, layerIndex, reverseDir(dir), replyAfter), replyBefore,
                 fields});
        }
    }

    // Output.
    if (!routeTable) {
        result.output.kind = dir == Direction::Out ? OutputKind::Uplink : OutputKind::Vm;
        result.output.index = dir == Direction::Out ? 0 : portIndex;
    } else {
        if (*routeTable >= policy.routeTables.size()) return drop("no route");
        const lang::RouteTable& table = policy.routeTables[*routeTable];
        const lang::RouteEntry* best = nullptr;
        for (const lang::RouteEntry& e : table.routes) {
            if (!prefixContains(e.prefix, e.prefixLen, h.dstIp)) continue;
            if (!best || e.prefixLen > best->prefixLen) best = &e;
        }
        if (!best) return drop("no route");
        switch (best->kind) {
            case lang::NextHopKind::Drop:
                return drop("route " + table.name + " " + best->prefix.str() + "/" +
                            std::to_string(best->prefixLen) + " drops");
            case lang::NextHopKind::Port:
                result.output.kind = OutputKind::Port;
                result.output.index = best->port;
                break;
            case lang::NextHopKind::Host:
                result.output.kind = OutputKind::Host;
                result.output.address = best->address;
                break;
            case lang::NextHopKind::Gateway:
                result.output.kind = OutputKind::Gateway;
                result.output.address = best->address;
                break;
            case lang::NextHopKind::Ecmp:
                result.output.kind = OutputKind::Ecmp;
                result.output.index = best->ecmp;
                break;
        }
    }
    result.verdict = Verdict::Allow;

    // The packet is delivered: its stateful layers pair the reverse direction (recorded by
    // the caller, once the rest of its path delivers it too).
    for (PendingSession& p : pending) sessionsOut.push_back(std::move(p));
    return result;
}

}  // namespace sluice::interp
