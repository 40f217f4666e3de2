// Slow-path implementations: generated code behind sl_policy_desc, and the reference
// interpreter adapted to the same sl_result contract (rule ids from a descriptor built here).
#include "sluice/runtime/slow_path.h"

#include <algorithm>
#include <array>
#include <deque>

#include "sluice/interp/interpreter.h"

#include "sluice/compiler/meta.h"
#if defined(SLUICE_HAVE_COMPILER)
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/validate.h"
#define SLUICE_RT_COMPILER 1
#endif

namespace sluice::rt {
namespace {

using lang::Direction;
using lang::Family;

sl_ip toSl(const lang::IpAddr& a) {
    return sl_ip{static_cast<uint64_t>(a.value), static_cast<uint64_t>(a.value >> 64)};
}

// The interpreter behind the sl_ contract. One Interpreter per worker and one for the control
// context (the last): evaluate() has scratch state and records session pairs (which the
// runtime does itself, so they are cleared after every call), so no two threads may share one.
class InterpreterSlowPath final : public SlowPath {
public:
    InterpreterSlowPath(std::shared_ptr<const lang::Policy> policy, unsigned workers)
        : policy_(std::move(policy)), workers_(workers) {
        for (unsigned i = 0; i < workers + 1; ++i) interps_.emplace_back(policy_);
        buildDescriptor();
    }
    const char* kind() const override { return "interpreter"; }
    const sl_policy_desc& descriptor() const override { return desc_; }

    void run(unsigned worker, uint32_t port, Direction dir, const sl_meta& in,
             sl_result& out) override {
        auto& interp = interps_[worker == kControlContext ? workers_ : worker % workers_];
        interp::Result r = interp.evaluate(port, dir, metaToHeaders(in));
        if (interp.sessionCount() > 0) interp.clearSessions();
        out = sl_result{};
        out.out = headersToMeta(r.headers);
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
    void buildDescriptor() {
        const lang::Policy& p = *policy_;
        groupBase_.resize(p.layers.size());
        for (size_t l = 0; l < p.layers.size(); ++l) {
            const lang::Layer& layer = p.layers[l];
            layerNames_.push_back(layer.name.c_str());
            for (int d = 0; d < 2; ++d) {
                const auto& groups = layer.groups[d];
                for (size_t g = 0; g < groups.size(); ++g) {
                    groupBase_[l][d].push_back(static_cast<uint32_t>(rules_.size()));
                    for (size_t r = 0; r < groups[g].rules.size(); ++r) {
                        const lang::Rule& rule = groups[g].rules[r];
                        sl_rule_info info{};
                        info.layer = layer.name.c_str();
                        info.group = groups[g].name.c_str();
                        info.rule = rule.name.c_str();
                        info.layer_index = static_cast<uint32_t>(l);
                        info.group_index = static_cast<uint32_t>(g);
                        info.rule_index = static_cast<uint32_t>(r);
                        info.priority = rule.priority;
                        info.route_table = rule.action.routeTable.value_or(SL_NONE);
                        info.meter = rule.action.meter.value_or(SL_NONE);
                        info.idle_timeout_ms = rule.idleTimeoutMs;
                        info.direction = static_cast<uint8_t>(d == 0 ? SL_DIR_IN : SL_DIR_OUT);
                        info.verdict = rule.action.verdict == lang::Verdict::Allow
                                           ? SL_VERDICT_ALLOW
                                           : SL_VERDICT_DENY;
                        info.terminating = rule.terminating;
                        info.stateful = rule.stateful;
                        info.log = rule.log;
                        rules_.push_back(info);
                    }
                }
            }
        }
        for (size_t port = 0; port < p.ports.size(); ++port) {
            for (int d = 0; d < 2; ++d) {
                std::vector<uint32_t> order(p.ports[port].layers.begin(),
                                            p.ports[port].layers.end());
                if (d == 0) std::reverse(order.begin(), order.end());
                layerOrders_.push_back(std::move(order));
                sl_entry e{};
                e.port = static_cast<uint32_t>(port);
                e.direction = static_cast<uint8_t>(d);
                e.port_name = p.ports[port].name.c_str();
                e.n_layers = static_cast<uint32_t>(layerOrders_.back().size());
                e.layers = layerOrders_.back().data();
                entries_.push_back(e);
            }
        }
        desc_.abi_version = SL_ABI_VERSION;
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

class CompiledSlowPath final : public SlowPath {
public:
    CompiledSlowPath(const sl_policy_desc* desc, std::shared_ptr<void> owner)
        : desc_(desc), owner_(std::move(owner)) {}
    const char* kind() const override { return "compiled"; }
    const sl_policy_desc& descriptor() const override { return *desc_; }
    void run(unsigned, uint32_t port, Direction dir, const sl_meta& in,
             sl_result& out) override {
        const sl_entry* e = sl_policy_entry(desc_, port, static_cast<uint32_t>(dir));
        if (e == nullptr || e->one == nullptr) {
            out = sl_result{};
            out.verdict = SL_VERDICT_DENY;
            out.out_kind = SL_OUT_DROP;
            return;
        }
        e->one(&in, &out);
    }

private:
    const sl_policy_desc* desc_;
    std::shared_ptr<void> owner_;
};

}  // namespace

// The ABI belongs to the compiler; its conversions are the one definition.
sl_meta headersToMeta(const lang::Headers& h) { return compiler::toMeta(h); }

lang::Headers metaToHeaders(const sl_meta& m) { return compiler::fromMeta(m); }

std::unique_ptr<SlowPath> makeInterpreterSlowPath(std::shared_ptr<const lang::Policy> policy,
                                                  unsigned workers) {
    return std::make_unique<InterpreterSlowPath>(std::move(policy), std::max(1u, workers));
}

std::unique_ptr<SlowPath> makeCompiledSlowPath(const sl_policy_desc* desc,
                                               std::shared_ptr<void> owner) {
    return std::make_unique<CompiledSlowPath>(desc, std::move(owner));
}

Expected<std::unique_ptr<SlowPath>> compilePolicySlowPath(
    std::shared_ptr<const lang::Policy> policy, const std::string& cacheDir) {
#ifdef SLUICE_RT_COMPILER
    compiler::CompileOptions options;
    options.cacheDir = cacheDir;
    // Validated before it carries traffic: a rejected lowering is an error, never a pipeline.
    auto compiled = compiler::compileValidated(*policy, options);
    if (!compiled) return makeError("compile failed: " + compiled.error().str());
    if (!(*compiled)->validated()) return makeError("compile failed: the pipeline was not validated");
    std::shared_ptr<compiler::CompiledPolicy> owner(std::move(compiled.value()));
    const sl_policy_desc* desc = owner->descriptor();
    if (desc == nullptr || desc->abi_version != SL_ABI_VERSION)
        return makeError("compiled policy has an incompatible sl_ ABI version");
    return makeCompiledSlowPath(desc, std::shared_ptr<void>(owner, owner.get()));
#else
    (void)policy;
    (void)cacheDir;
    return makeError("this build has no compiler module (sluice_compiler); use slow_path "
                     "\"interpreter\"");
#endif
}

Expected<std::unique_ptr<SlowPath>> makeSlowPath(const std::string& choice,
                                                 std::shared_ptr<const lang::Policy> policy,
                                                 unsigned workers, std::string& note,
                                                 const std::string& cacheDir) {
    if (choice == "interpreter") return makeInterpreterSlowPath(std::move(policy), workers);
    auto compiled = compilePolicySlowPath(policy, cacheDir);
    if (compiled) return std::move(compiled.value());
    if (choice == "compiled") return compiled.error();
    note = "slow path: interpreter (" + compiled.error().message + ")";
    return makeInterpreterSlowPath(std::move(policy), workers);
}

}  // namespace sluice::rt
