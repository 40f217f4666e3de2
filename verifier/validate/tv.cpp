// The validator's entry points (sluice/compiler/validate.h): per module, every table through
// tv_tables.cpp and every binding through tv_actions.cpp.
#include <chrono>

#include "lower/lower.h"
#include "sluice/compiler/validate.h"
#include "tv_internal.h"

namespace sluice::compiler {

namespace {

ValidationReport validateModule(const lang::Policy& policy, const ir::Module& m, TvOptions opts) {
    auto t0 = std::chrono::steady_clock::now();
    ValidationReport report;
    tv::Smt smt;
    for (const ir::LayerIR& L : m.layers) {
        if (L.layer >= policy.layers.size()) continue;  // reported by the bindings
        const auto& groups = policy.layers[L.layer].groupsFor(L.dir);
        for (const ir::GroupIR& G : L.groups) {
            if (G.groupIndex >= groups.size()) continue;
            const lang::Group& g = groups[G.groupIndex];
            tv::validateTable(tv::sourceOfConditions(g, G.conditions), smt, opts.boxes, report);
            tv::validateTable(tv::sourceOfGroup(g, G.table), smt, opts.boxes, report);
        }
    }
    for (size_t r = 0; r < m.routes.size() && r < policy.routeTables.size(); ++r)
        tv::validateTable(tv::sourceOfRoutes(policy.routeTables[r], m.routes[r].table), smt, opts.boxes, report);
    tv::validateBindings(policy, m, report);
    report.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

}  // namespace

IrValidator translationValidator(TvOptions options) {
    return [options](const lang::Policy& policy, const ir::Module& m) -> Expected<ValidationReport> {
        return validateModule(policy, m, options);
    };
}

Expected<std::unique_ptr<CompiledPolicy>> compileValidated(const lang::Policy& policy,
                                                           CompileOptions options,
                                                           ValidationReport* report) {
    options.validator = translationValidator();
    options.validationReport = report;
    return compile(policy, options);
}

Expected<TvReport> validateTranslation(const lang::Policy& policy, const CompileOptions& options,
                                       TvOptions tvOptions) {
    ir::Module m;
    if (Status s = ir::runLowering(policy, options, m, nullptr); !s) return s.error();
    return validateModule(policy, m, tvOptions);
}

}  // namespace sluice::compiler
