// The artifact descriptor's checks (descriptor.h): its own consistency, and its agreement with
// the sl_policy_desc of the code it travels with.
#include "sluice/artifact/descriptor.h"

#include <cstring>
#include <set>

namespace sluice::artifact {
namespace {

Status nameOk(const std::string& s, const char* what) {
    if (s.empty()) return makeError(std::string("empty ") + what + " name");
    if (s.size() > kMaxNameBytes) return makeError(std::string(what) + " name longer than 4096 bytes");
    return {};
}

bool sameName(const char* c, const std::string& s) { return c != nullptr && s == c; }

}  // namespace

int Descriptor::findPort(std::string_view name) const {
    for (size_t i = 0; i < ports.size(); ++i) {
        if (ports[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

Status check(const Descriptor& d) {
    if (d.ports.size() > kMaxPorts || d.layers.size() > kMaxLayers || d.rules.size() > kMaxRules ||
        d.ecmpGroups.size() > kMaxEcmpGroups)
        return makeError("more ports, layers, rules or ECMP groups than the limits allow");
    std::set<std::string_view> names;
    for (const PortDesc& p : d.ports) {
        if (Status s = nameOk(p.name, "port"); !s) return s;
        if (!names.insert(p.name).second) return makeError("port '" + p.name + "' twice");
        if (p.vni > 0xffffff) return makeError("port '" + p.name + "': VNI above 24 bits");
        if (p.mac > 0xffffffffffffULL) return makeError("port '" + p.name + "': MAC above 48 bits");
        if (p.ips.size() > kMaxListEntries || p.layers.size() > kMaxListEntries)
            return makeError("port '" + p.name + "': too many addresses or layers");
        if (p.layers.size() > SL_MAX_STEPS)
            return makeError("port '" + p.name + "': more than 32 layers");
        for (const lang::IpAddr& a : p.ips) {
            if (a.family != lang::Family::V4 && a.family != lang::Family::V6)
                return makeError("port '" + p.name + "': an address without a family");
        }
        for (uint32_t l : p.layers) {
            if (l >= d.layers.size())
                return makeError("port '" + p.name + "': layer index " + std::to_string(l) +
                                 " out of range");
        }
    }
    for (const std::string& l : d.layers) {
        if (Status s = nameOk(l, "layer"); !s) return s;
    }
    for (size_t i = 0; i < d.rules.size(); ++i) {
        const RuleDesc& r = d.rules[i];
        if (r.layer >= d.layers.size())
            return makeError("rule " + std::to_string(i) + ": layer index out of range");
        if (r.direction != lang::Direction::In && r.direction != lang::Direction::Out)
            return makeError("rule " + std::to_string(i) + ": bad direction");
        if (Status s = nameOk(r.group, "group"); !s) return s;
        if (Status s = nameOk(r.rule, "rule"); !s) return s;
    }
    for (const EcmpGroup& g : d.ecmpGroups) {
        if (Status s = nameOk(g.name, "ECMP group"); !s) return s;
        if (g.members.size() > kMaxListEntries)
            return makeError("ECMP group '" + g.name + "': too many members");
        for (const EcmpMember& m : g.members) {
            if (m.address.family != lang::Family::V4 && m.address.family != lang::Family::V6)
                return makeError("ECMP group '" + g.name + "': a member without an address");
        }
    }
    return {};
}

Status matches(const Descriptor& d, const sl_policy_desc& code) {
    if (code.abi_version != SL_ABI_VERSION)
        return makeError("the code has sl_ ABI version " + std::to_string(code.abi_version) +
                         ", this build " + std::to_string(SL_ABI_VERSION));
    if (code.policy_hash != d.policyHash)
        return makeError("the code and the descriptor are of different policies (hash)");
    if (code.n_entries != d.ports.size() * 2)
        return makeError("the code has " + std::to_string(code.n_entries / 2) +
                         " ports, the descriptor " + std::to_string(d.ports.size()));
    if (code.n_rules != d.rules.size())
        return makeError("the code has " + std::to_string(code.n_rules) +
                         " rules, the descriptor " + std::to_string(d.rules.size()));
    if (code.n_layers != d.layers.size())
        return makeError("the code has " + std::to_string(code.n_layers) +
                         " layers, the descriptor " + std::to_string(d.layers.size()));
    if (code.n_entries > 0 && code.entries == nullptr) return makeError("the code has no entries");
    if (code.n_rules > 0 && code.rules == nullptr) return makeError("the code has no rule table");
    if (code.n_layers > 0 && code.layer_names == nullptr) return makeError("the code has no layers");
    for (size_t l = 0; l < d.layers.size(); ++l) {
        if (!sameName(code.layer_names[l], d.layers[l]))
            return makeError("layer " + std::to_string(l) + " is '" + d.layers[l] +
                             "' in the descriptor, not in the code");
    }
    for (size_t p = 0; p < d.ports.size(); ++p) {
        const PortDesc& port = d.ports[p];
        for (uint32_t dir = 0; dir < 2; ++dir) {
            const sl_entry& e = code.entries[p * 2 + dir];
            if (e.port != p || e.direction != dir || !sameName(e.port_name, port.name))
                return makeError("port '" + port.name + "' is not entry " +
                                 std::to_string(p * 2 + dir) + " of the code");
            if (e.n_layers != port.layers.size() || (e.n_layers > 0 && e.layers == nullptr))
                return makeError("port '" + port.name + "' walks other layers in the code");
            for (uint32_t i = 0; i < e.n_layers; ++i) {
                // inbound walks the port's layers wire side first
                uint32_t want = dir == SL_DIR_OUT ? port.layers[i] : port.layers[e.n_layers - 1 - i];
                if (e.layers[i] != want)
                    return makeError("port '" + port.name + "' walks other layers in the code");
            }
        }
    }
    for (size_t i = 0; i < d.rules.size(); ++i) {
        const RuleDesc& r = d.rules[i];
        const sl_rule_info& c = code.rules[i];
        const uint8_t dir = r.direction == lang::Direction::Out ? SL_DIR_OUT : SL_DIR_IN;
        if (c.layer_index != r.layer || c.direction != dir || !sameName(c.group, r.group) ||
            !sameName(c.rule, r.rule) || (c.stateful != 0) != r.stateful ||
            (c.terminating != 0) != r.terminating ||
            (c.verdict == SL_VERDICT_ALLOW) != r.allow || c.priority != r.priority ||
            c.idle_timeout_ms != r.idleTimeoutMs)
            return makeError("rule " + std::to_string(i) + " ('" + r.rule +
                             "') differs between the code and the descriptor");
    }
    return {};
}

}  // namespace sluice::artifact
