#include "sluice/compiler/compare.h"

#include <sstream>

#include "sluice/compiler/meta.h"

namespace sluice::compiler {

namespace {

uint32_t globalRuleId(const sl_policy_desc& d, uint32_t layer, lang::Direction dir,
                      uint32_t group, uint32_t rule) {
    // Rules are numbered layer, direction, group, rule: binary search on that order.
    auto key = [](uint32_t l, uint32_t di, uint32_t g, uint32_t r) {
        return std::make_tuple(l, di, g, r);
    };
    auto want = key(layer, static_cast<uint32_t>(dir), group, rule);
    uint32_t lo = 0, hi = d.n_rules;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        const sl_rule_info& ri = d.rules[mid];
        auto k = key(ri.layer_index, ri.direction, ri.group_index, ri.rule_index);
        if (k < want) lo = mid + 1; else hi = mid;
    }
    return lo < d.n_rules ? lo : SL_NO_RULE;
}

const char* kindName(uint8_t k) {
    static const char* names[] = {"drop", "vm", "uplink", "port", "host", "gateway", "ecmp"};
    return k < 7 ? names[k] : "?";
}

}  // namespace

std::string resultText(const lang::Policy& policy, const sl_policy_desc& desc,
                       const sl_result& r) {
    std::ostringstream os;
    os << "verdict " << (r.verdict == SL_VERDICT_ALLOW ? "allow" : "deny") << ", output "
       << kindName(r.out_kind);
    if (r.out_kind == SL_OUT_PORT || r.out_kind == SL_OUT_VM) {
        os << ":" << (r.out_index < policy.ports.size() ? policy.ports[r.out_index].name : "?");
    } else if (r.out_kind == SL_OUT_ECMP) {
        os << ":" << (r.out_index < policy.ecmpGroups.size() ? policy.ecmpGroups[r.out_index].name : "?");
    } else if (r.out_kind == SL_OUT_HOST || r.out_kind == SL_OUT_GATEWAY) {
        os << ":" << lang::IpAddr{static_cast<lang::Family>(r.out_family),
                                  (lang::u128(r.out_addr.hi) << 64) | r.out_addr.lo}.str();
    }
    os << "\n  headers " << lang::formatPacketText(fromMeta(r.out)) << "\n";
    for (uint32_t i = 0; i < r.n_steps && i < SL_MAX_STEPS; ++i) {
        uint32_t id = r.step_rule[i];
        os << "  step " << i << ": ";
        if (id == SL_NO_RULE) {
            os << "default";
        } else if (id < desc.n_rules) {
            const sl_rule_info& ri = desc.rules[id];
            os << ri.layer << "/" << ri.group << "/" << ri.rule;
        } else {
            os << "rule #" << id << " (out of range)";
        }
        if (r.stateful_mask & (1u << i)) os << " stateful";
        if (r.log_mask & (1u << i)) os << " log";
        if (r.audit_mask & (1u << i)) os << " audit-would-deny";
        os << "\n";
    }
    return os.str();
}

std::optional<std::string> compareResults(const lang::Policy& policy, const sl_policy_desc& desc,
                                          uint32_t port, lang::Direction dir,
                                          const sl_result& got, const interp::Result& want) {
    std::ostringstream os;
    uint8_t wantVerdict = want.verdict == lang::Verdict::Allow ? SL_VERDICT_ALLOW : SL_VERDICT_DENY;
    if (got.verdict != wantVerdict) os << "verdict differs; ";
    if (!(fromMeta(got.out) == want.headers)) os << "final headers differ; ";
    uint8_t wantKind = static_cast<uint8_t>(want.output.kind);
    if (got.out_kind != wantKind) {
        os << "output kind differs; ";
    } else if (wantKind == SL_OUT_PORT || wantKind == SL_OUT_ECMP || wantKind == SL_OUT_VM) {
        if (got.out_index != want.output.index) os << "output index differs; ";
    } else if (wantKind == SL_OUT_HOST || wantKind == SL_OUT_GATEWAY) {
        lang::IpAddr a{static_cast<lang::Family>(got.out_family),
                       (lang::u128(got.out_addr.hi) << 64) | got.out_addr.lo};
        if (!(a == want.output.address)) os << "output address differs; ";
    }
    if (got.n_steps != want.layers.size()) {
        os << "layers walked differ (" << got.n_steps << " vs " << want.layers.size() << "); ";
    } else {
        for (size_t i = 0; i < want.layers.size(); ++i) {
            const interp::LayerStep& s = want.layers[i];
            uint32_t id = SL_NO_RULE;
            bool stateful = false;
            if (s.group && s.rule) {
                id = globalRuleId(desc, s.layer, dir, *s.group, *s.rule);
                stateful = policy.layers[s.layer].groupsFor(dir)[*s.group].rules[*s.rule].stateful;
            }
            if (got.step_rule[i] != id) os << "rule of layer step " << i << " differs; ";
            bool gotStateful = (got.stateful_mask >> i) & 1u;
            if (gotStateful != stateful) os << "stateful flag of step " << i << " differs; ";
            if ((((got.log_mask >> i) & 1u) != 0) != s.logged)
                os << "log bit of step " << i << " differs; ";
            if ((((got.audit_mask >> i) & 1u) != 0) != s.auditDeny)
                os << "audit bit of step " << i << " differs; ";
            bool infoLog = id != SL_NO_RULE && id < desc.n_rules && desc.rules[id].log != 0;
            if (id != SL_NO_RULE && infoLog != s.logged)
                os << "descriptor log flag of step " << i << "'s rule differs; ";
        }
    }
    (void)port;
    std::string s = os.str();
    if (s.empty()) return std::nullopt;
    return s;
}

}  // namespace sluice::compiler
