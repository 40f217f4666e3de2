#include "sluice/verify/concrete.h"

#include "encoding.h"

namespace sluice::verify {

EncodedResult evaluateEncoding(const lang::Policy& policy, uint32_t port, lang::Direction dir,
                               const lang::Headers& packet, EncodingFault fault) {
    smt::Context ctx;
    ctx.fault = fault;
    auto h = ctx.freshHeaders("c_");
    auto p = enc::encodePipeline(ctx, policy, port, dir, h);
    z3::solver s(ctx.z3());
    s.add(ctx.equals(h, ctx.constant(packet)));
    if (s.check() != z3::sat) throw std::runtime_error("concrete packet is unsatisfiable");
    z3::model m = s.get_model();
    EncodedResult r;
    r.outputKind = static_cast<uint8_t>(ctx.modelValue(m, p.outKind));
    r.verdict = r.outputKind == enc::kDrop ? lang::Verdict::Deny : lang::Verdict::Allow;
    r.outputIndex = static_cast<uint32_t>(ctx.modelValue(m, p.outIndex));
    r.outputAddress = {smt::famFromCode(static_cast<unsigned>(ctx.modelValue(m, p.outFam))),
                       ctx.modelValue(m, p.outAddr)};
    r.headers = ctx.modelHeaders(m, p.out);
    for (size_t k = 0; k < p.layers.size(); ++k) {
        if (!ctx.modelBool(m, p.reached[k])) break;
        const auto& le = p.layers[k];
        EncodedLayerStep step;
        step.layer = le.layer;
        step.verdict = ctx.modelBool(m, le.allow) ? lang::Verdict::Allow : lang::Verdict::Deny;
        step.auditDeny = ctx.modelBool(m, le.auditDeny);
        for (size_t g = 0; g < le.sel.size() && !step.rule; ++g)
            for (size_t ri = 0; ri < le.sel[g].size(); ++ri)
                if (le.sel[g][ri] && ctx.modelBool(m, *le.sel[g][ri])) {
                    step.group = static_cast<uint32_t>(g);
                    step.rule = static_cast<uint32_t>(ri);
                    break;
                }
        r.layers.push_back(step);
    }
    return r;
}

std::optional<lang::Headers> universePacket(
    const std::vector<std::pair<lang::Field, lang::u128>>& wanted, EncodingFault fault) {
    smt::Context ctx;
    ctx.fault = fault;
    auto h = ctx.freshHeaders("u_");
    z3::solver s(ctx.z3());
    s.add(ctx.universe(h));
    for (const auto& [f, v] : wanted) {
        s.add(h.get(f) == ctx.fieldVal(f, v));
        if (smt::isIpField(f)) s.add(h.family(f) == ctx.famVal(lang::Family::V4));
    }
    if (ctx.checkCanonical(s, h) != z3::sat) return std::nullopt;
    return ctx.modelHeaders(s.get_model(), h);
}

}  // namespace sluice::verify
