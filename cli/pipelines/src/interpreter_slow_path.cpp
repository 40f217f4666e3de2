// The interpreter adapted to the sl_result contract (interpreter_slow_path.h): rule ids are
// the compiler's (the descriptor's order), so the runtime cannot tell it from generated code.
#include "interpreter_slow_path.h"

#include <algorithm>
#include <array>
#include <deque>
#include <vector>

#include "sluice/interp/interpreter.h"
#include "sluice/compiler/meta.h"

namespace sluice::pipelines {
namespace {

using lang::Direction;

sl_ip toSl(const lang::IpAddr& a) {
    return sl_ip{static_cast<uint64_t>(a.value), static_cast<uint64_t>(a.value >> 64)};
}

// One Interpreter per worker and one for the control context (the last): evaluate() has
// scratch state and records session pairs (which the runtime does itself, so they are cleared
// after every call), so no two threads may share one.
class InterpreterSlowPath final : public rt::SlowPath {
public:
    InterpreterSlowPath(std::shared_ptr<const lang::Policy> policy,
                        const artifact::Descriptor& d, unsigned workers)
        : policy_(std::move(policy)), workers_(workers) {
        for (unsigned i = 0; i < workers + 1; ++i) interps_.emplace_back(policy_);
        buildDescriptor(d);
    }
    const char* kind() const override { return "interpreter"; }
    const sl_policy_desc& descriptor() const override { return desc_; }

    void run(unsigned worker, uint32_t port, Direction dir, const sl_meta& in,
             sl_result& out) override {
        auto& interp = interps_[worker == rt::kControlContext ? workers_ : worker % workers_];
        interp::Result r = interp.evaluate(port, dir, compiler::fromMeta(in));
        if (interp.sessionCount() > 0) interp.clearSessions();
        out = sl_result{};
        out.out = compiler::toMeta(r.headers);
        out.verdict = r.verdict == lang::Verdict::Allow ? SL_VERDICT_ALLOW : SL_VERDICT_DENY;
        out.route_table = 0xffff;
        switch (r.output.kind) {
            case interp::OutputKind::Drop: out.out_kind = SL_OUT_DROP; break;
            case interp::OutputKind::Vm: out.out_kind = SL_OUT_VM; break;
            case interp::OutputKind::Uplink: out.out_kind = SL_OUT_UPLINK; break;
            case interp::OutputKind::Port: out.out_kind = SL_OUT_PORT; break;
            case interp::OutputKind::Host: out.out_kind = SL_OUT_HOST; break;
            case interp::OutputKind::Gateway: out.out_kind = SL_OUT_GATEWAY; break;
            case interp::OutputKind::Ecmp: out.out_kind = SL_OUT_ECMP; break;
        }
        out.out_index = r.output.index;
        out.out_addr = toSl(r.output.address);
        out.out_family = static_cast<uint8_t>(r.output.address.family);
        size_t n = std::min<size_t>(r.layers.size(), SL_MAX_STEPS);
        out.n_steps = static_cast<uint16_t>(n);
        int d = static_cast<int>(dir);
        for (size_t i = 0; i < n; ++i) {
            const auto& s = r.layers[i];
            uint32_t id = SL_NO_RULE;
            if (s.group && s.rule) id = groupBase_[s.layer][d][*s.group] + *s.rule;
            out.step_rule[i] = id;
            if (id != SL_NO_RULE && rules_[id].stateful) out.stateful_mask |= 1u << i;
            if (s.logged) out.log_mask |= 1u << i;
            if (s.auditDeny) out.audit_mask |= 1u << i;
            if (id != SL_NO_RULE && rules_[id].route_table != SL_NONE)
                out.route_table = static_cast<uint16_t>(rules_[id].route_table);
        }
    }

private:
    // Names point into the descriptor; route tables and meters come from the policy (the
    // descriptor does not carry them: the runtime never reads them).
    void buildDescriptor(const artifact::Descriptor& d) {
        const lang::Policy& p = *policy_;
        groupBase_.resize(p.layers.size());
        for (size_t l = 0; l < p.layers.size(); ++l) {
            layerNames_.push_back(d.layers[l].c_str());
            for (int dir = 0; dir < 2; ++dir) {
                const auto& groups = p.layers[l].groups[dir];
                for (size_t g = 0; g < groups.size(); ++g) {
                    groupBase_[l][dir].push_back(static_cast<uint32_t>(rules_.size()));
                    for (size_t r = 0; r < groups[g].rules.size(); ++r) {
                        const lang::Rule& rule = groups[g].rules[r];
                        const artifact::RuleDesc& rd = d.rules[rules_.size()];
                        sl_rule_info info{};
                        info.layer = d.layers[l].c_str();
                        info.group = rd.group.c_str();
                        info.rule = rd.rule.c_str();
                        info.layer_index = static_cast<uint32_t>(l);
                        info.group_index = static_cast<uint32_t>(g);
                        info.rule_index = static_cast<uint32_t>(r);
                        info.priority = rd.priority;
                        info.route_table = rule.action.routeTable.value_or(SL_NONE);
                        info.meter = rule.action.meter.value_or(SL_NONE);
                        info.idle_timeout_ms = rd.idleTimeoutMs;
                        info.direction = static_cast<uint8_t>(dir == 0 ? SL_DIR_IN : SL_DIR_OUT);
                        info.verdict = rd.allow ? SL_VERDICT_ALLOW : SL_VERDICT_DENY;
                        info.terminating = rd.terminating;
                        info.stateful = rd.stateful;
                        info.log = rule.log;
                        rules_.push_back(info);
                    }
                }
            }
        }
        for (size_t port = 0; port < d.ports.size(); ++port) {
            for (int dir = 0; dir < 2; ++dir) {
                std::vector<uint32_t> order(d.ports[port].layers.begin(), d.ports[port].layers.end());
                if (dir == 0) std::reverse(order.begin(), order.end());
                layerOrders_.push_back(std::move(order));
                sl_entry e{};
                e.port = static_cast<uint32_t>(port);
                e.direction = static_cast<uint8_t>(dir);
                e.port_name = d.ports[port].name.c_str();
                e.n_layers = static_cast<uint32_t>(layerOrders_.back().size());
                e.layers = layerOrders_.back().data();
                entries_.push_back(e);
            }
        }
        desc_.abi_version = SL_ABI_VERSION;
        desc_.policy_hash = d.policyHash;
        desc_.n_entries = static_cast<uint32_t>(entries_.size());
        desc_.entries = entries_.data();
        desc_.n_rules = static_cast<uint32_t>(rules_.size());
        desc_.rules = rules_.data();
        desc_.n_layers = static_cast<uint32_t>(layerNames_.size());
        desc_.layer_names = layerNames_.data();
    }

    std::shared_ptr<const lang::Policy> policy_;
    unsigned workers_;
    std::deque<interp::Interpreter> interps_;
    std::vector<std::array<std::vector<uint32_t>, 2>> groupBase_;
    std::vector<sl_rule_info> rules_;
    std::vector<const char*> layerNames_;
    std::deque<std::vector<uint32_t>> layerOrders_;
    std::vector<sl_entry> entries_;
    sl_policy_desc desc_{};
};

}  // namespace

std::unique_ptr<rt::SlowPath> makeInterpreterSlowPath(std::shared_ptr<const lang::Policy> policy,
                                                      const artifact::Descriptor& descriptor,
                                                      unsigned workers) {
    return std::make_unique<InterpreterSlowPath>(std::move(policy), descriptor,
                                                 std::max(1u, workers));
}

}  // namespace sluice::pipelines
