// Resolver (resolver.h): warnings (unused declarations, contradictions, disjoint families).
#include "resolver.h"

namespace sluice::lang::resolver {

void Resolver::warnContradiction(const Rule& rule, const Group& group) {
    for (const Condition& rc : rule.conditions) {
        for (const Condition& gc : group.conditions) {
            if (rc.field != gc.field) continue;
            bool overlap = false;
            for (const MatchValue& a : rc.values) {
                for (const MatchValue& b : gc.values) {
                    overlap = overlap || (a.family == b.family && a.lo <= b.hi && b.lo <= a.hi);
                }
            }
            if (overlap) continue;
            std::string f(fieldInfo(rc.field).name);
            suppressedLast_ = false;
            diags_.report(DiagKind::ContradictoryMatch, rc.range,
                          "rule '" + rule.name + "' can never match: its " + f +
                              " values are disjoint from those of group '" + group.name + "'");
            note(gc.range, "the group's condition on " + f + " is here");
        }
    }
}

void Resolver::warnDisjointFamilies(const ast::Assert& a, const Assertion& out) {
    auto families = [](const std::vector<MatchValue>& values) {
        unsigned mask = 0;
        for (const MatchValue& v : values) mask |= v.family == Family::V4 ? 1u : 2u;
        return mask;
    };
    unsigned from = families(out.from), to = families(out.to);
    if (from == 0 || to == 0 || (from & to) != 0) return;
    suppressedLast_ = false;
    diags_.report(DiagKind::ContradictoryMatch, a.range,
                  "assertion '" + a.name.text + "' relates " +
                      (from == 1 ? "IPv4-only" : "IPv6-only") + " sources to " +
                      (to == 1 ? "IPv4-only" : "IPv6-only") +
                      " destinations; no packet can be both, so it " +
                      (out.kind == AssertKind::Isolated ? "holds vacuously" : "can never hold"));
}

void Resolver::warnUnused() {
    // A file without ports is a library module (stdlib and the like): its declarations
    // exist to be imported, so unused ones are expected there.
    bool deploysPorts = false;
    for (const Entry& e : entries_) {
        if (e.kind == DeclKind::Port && e.file == in_.rootFile) deploysPorts = true;
    }
    if (!deploysPorts) return;
    for (const Entry& e : entries_) {
        if (e.used || e.file != in_.rootFile || e.kind == DeclKind::Port) continue;
        std::string why;
        switch (e.kind) {
            case DeclKind::Layer:
                why = " (no port lists it)";
                break;
            case DeclKind::Routes:
                why = " (no rule routes to it)";
                break;
            case DeclKind::Ecmp:
                why = " (no route uses it)";
                break;
            case DeclKind::Meter:
                why = " (no rule meters to it)";
                break;
            case DeclKind::Credit:
                why = " (no port uses it)";
                break;
            default:
                break;
        }
        suppressedLast_ = false;
        diags_.report(DiagKind::UnusedDeclaration, e.nameRange,
                      std::string(kindName(e.kind)) + " '" + e.name + "' is never used" + why);
    }
}

}  // namespace sluice::lang::resolver
