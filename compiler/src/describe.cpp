// compiler::describe: the policy model -> the artifact descriptor (describe.h).
#include "sluice/compiler/describe.h"

#include "sluice/compiler/compiler.h"

namespace sluice::compiler {

artifact::Descriptor describe(const lang::Policy& policy) {
    artifact::Descriptor d;
    d.policyHash = policyHash(policy);
    for (const lang::Port& p : policy.ports)
        d.ports.push_back({p.name, p.mac, p.vni, p.ips, p.layers});
    for (size_t l = 0; l < policy.layers.size(); ++l) {
        const lang::Layer& layer = policy.layers[l];
        d.layers.push_back(layer.name);
    }
    // The same walk as build-ir's global rule ids.
    for (size_t l = 0; l < policy.layers.size(); ++l) {
        for (int di = 0; di < 2; ++di) {
            const auto dir = static_cast<lang::Direction>(di);
            for (const lang::Group& g : policy.layers[l].groupsFor(dir)) {
                for (const lang::Rule& r : g.rules) {
                    artifact::RuleDesc x;
                    x.layer = static_cast<uint32_t>(l);
                    x.direction = dir;
                    x.group = g.name;
                    x.rule = r.name;
                    x.priority = r.priority;
                    x.idleTimeoutMs = r.idleTimeoutMs;
                    x.allow = r.action.verdict == lang::Verdict::Allow;
                    x.terminating = r.terminating;
                    x.stateful = r.stateful;
                    d.rules.push_back(std::move(x));
                }
            }
        }
    }
    for (const lang::EcmpGroup& g : policy.ecmpGroups) {
        artifact::EcmpGroup x{g.name, {}};
        for (const lang::EcmpMember& m : g.members) x.members.push_back({m.address, m.weight});
        d.ecmpGroups.push_back(std::move(x));
    }
    return d;
}

}  // namespace sluice::compiler
