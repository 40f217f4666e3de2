// Resolver and type checker. One pass over the merged declarations:
//   1. register names (one namespace for constants, ports, layers, route tables, ECMP groups,
//      meters and credits; one for assertions) -> E101 with a note at the first one;
//   2. lower each declaration into the model, expanding constants at their use (E105 cycles)
//      and typing each value by where it is used (E2xx), resolving references to indices;
//   3. sort groups and rules by priority; warn about unused declarations of the root file.
// Errors never stop the pass: a bad value or reference is skipped and checking goes on.
//
// This file: the pass, diagnostics, names and imports (resolver.h lists the others).
#include "resolver.h"

namespace sluice::lang::resolver {

std::shared_ptr<Policy> Resolver::run() {
    policy_ = std::make_shared<Policy>();
    policy_->sources = diags_.sharedSources();
    registerAll();
    // Expand every constant once, used or not, so that a cycle or a bad value in an unused
    // constant is still reported (E105).
    expandConstants();
    policy_->ports.resize(ports_.size());
    policy_->layers.resize(layers_.size());
    policy_->routeTables.resize(routes_.size());
    policy_->ecmpGroups.resize(ecmps_.size());
    policy_->meters.resize(meters_.size());
    policy_->credits.resize(credits_.size());
    for (size_t i = 0; i < credits_.size(); ++i) lowerCredit(*credits_[i], policy_->credits[i]);
    for (size_t i = 0; i < meters_.size(); ++i) lowerMeter(*meters_[i], policy_->meters[i]);
    for (size_t i = 0; i < ecmps_.size(); ++i) lowerEcmp(*ecmps_[i], policy_->ecmpGroups[i]);
    for (size_t i = 0; i < routes_.size(); ++i) lowerRoutes(*routes_[i], policy_->routeTables[i]);
    for (size_t i = 0; i < layers_.size(); ++i) lowerLayer(*layers_[i], policy_->layers[i]);
    for (size_t i = 0; i < ports_.size(); ++i) lowerPort(*ports_[i], policy_->ports[i]);
    for (const ast::Assert* a : asserts_) {
        Assertion out;
        if (lowerAssert(*a, out)) policy_->assertions.push_back(std::move(out));
    }
    if (in_.warnings) warnUnused();
    return policy_;
}

void Resolver::error(DiagKind k, SourceRange r, std::string msg) {
    suppressedLast_ = false;
    diags_.report(k, r, std::move(msg));
}

void Resolver::note(SourceRange r, std::string msg) {
    if (!suppressedLast_) diags_.note(r, std::move(msg));
}

void Resolver::valueError(DiagKind k, const RVal& v, const std::string& msg) {
    if (v.viaConst.empty()) {
        error(k, v.at, msg);
        return;
    }
    const SourceLoc& o = v.origin.begin;
    std::string key = std::to_string(o.file) + ":" + std::to_string(o.line) + ":" +
                      std::to_string(o.col) + ":" + msg;
    if (!reportedConstErrors_.insert(std::move(key)).second) {
        suppressedLast_ = true;
        return;
    }
    error(k, v.at, msg + " (from constant '" + v.viaConst + "')");
    note(v.origin, "value of constant '" + v.viaConst + "' is here");
}

void Resolver::add(DeclKind kind, const ast::Ident& name, uint32_t file, uint32_t index) {
    if (name.text.empty()) return;
    auto it = byName_.find(name.text);
    if (it != byName_.end()) {
        const Entry& prev = entries_[it->second];
        error(DiagKind::DuplicateName, name.range,
              std::string("redefinition of '") + name.text + "'" +
                  (prev.kind != kind ? std::string(" (already ") + article(prev.kind) + " " +
                                           kindName(prev.kind) + ")"
                                     : ""));
        note(prev.nameRange, "previous definition is here");
        return;
    }
    byName_[name.text] = entries_.size();
    entries_.push_back({kind, name.text, name.range, file, index, false});
}

void Resolver::registerAll() {
    std::unordered_map<std::string, SourceRange> assertNames;
    for (const ast::File* f : in_.files) {
        for (const ast::Decl& d : f->decls) {
            if (auto* c = std::get_if<ast::Const>(&d)) {
                push(consts_, DeclKind::Const, *c, f->fileId);
            } else if (auto* s = std::get_if<ast::SettingsDecl>(&d)) {
                switch (s->kind) {
                    case ast::BlockKind::Port:
                        push(ports_, DeclKind::Port, *s, f->fileId);
                        break;
                    case ast::BlockKind::Ecmp:
                        push(ecmps_, DeclKind::Ecmp, *s, f->fileId);
                        break;
                    case ast::BlockKind::Meter:
                        push(meters_, DeclKind::Meter, *s, f->fileId);
                        break;
                    case ast::BlockKind::Credit:
                        push(credits_, DeclKind::Credit, *s, f->fileId);
                        break;
                }
            } else if (auto* l = std::get_if<ast::Layer>(&d)) {
                push(layers_, DeclKind::Layer, *l, f->fileId);
            } else if (auto* r = std::get_if<ast::Routes>(&d)) {
                push(routes_, DeclKind::Routes, *r, f->fileId);
            } else if (auto* a = std::get_if<ast::Assert>(&d)) {
                auto [it, fresh] = assertNames.emplace(a->name.text, a->name.range);
                if (!fresh) {
                    error(DiagKind::DuplicateName, a->name.range,
                          "redefinition of assertion '" + a->name.text + "'");
                    note(it->second, "previous definition is here");
                    continue;
                }
                asserts_.push_back(a);
            }
        }
    }
    constState_.assign(consts_.size(), 0);
    constValues_.resize(consts_.size());
    constDepth_.assign(consts_.size(), 0);
    constFailed_.assign(consts_.size(), false);
}

const Entry* Resolver::findEntry(const std::string& name) const {
    auto it = byName_.find(name);
    return it == byName_.end() ? nullptr : &entries_[it->second];
}

void Resolver::suggest(const std::string& name, std::optional<DeclKind> kind) {
    if (++suggestions_ > 1000) return;  // enough help for one run
    std::vector<std::string> candidates;
    for (const Entry& e : entries_) {
        if (!kind || e.kind == *kind) candidates.push_back(e.name);
    }
    std::string best = closest(name, candidates);
    if (!best.empty()) {
        note(findEntry(best)->nameRange, "did you mean '" + best + "'?");
    }
}

void Resolver::hintImport(const std::string& name, SourceRange at) {
    if (in_.stdlib == nullptr || ++importHints_ > 100) return;
    if (auto module = in_.stdlib->moduleDeclaring(name))
        note(at, "'" + name + "' is declared in " + *module + "; add 'import " + *module + ";'");
}

std::optional<uint32_t> Resolver::lookup(const ast::Ident& id, DeclKind kind) {
    if (id.text.empty()) return std::nullopt;
    const Entry* e = findEntry(id.text);
    if (e == nullptr) {
        error(DiagKind::UnknownName, id.range,
              std::string("unknown ") + kindName(kind) + " '" + id.text + "'");
        suggest(id.text, kind);
        hintImport(id.text, id.range);
        return std::nullopt;
    }
    if (e->kind != kind) {
        error(DiagKind::WrongKindOfName, id.range,
              "'" + id.text + "' is " + article(e->kind) + " " + kindName(e->kind) + ", not " +
                  article(kind) + " " + kindName(kind));
        note(e->nameRange, "'" + id.text + "' is declared here");
        return std::nullopt;
    }
    const_cast<Entry*>(e)->used = true;
    return e->index;
}

}  // namespace sluice::lang::resolver

namespace sluice::lang {

std::shared_ptr<Policy> resolvePolicy(const ResolveInput& input, DiagnosticEngine& diags) {
    return resolver::Resolver(input, diags).run();
}

}  // namespace sluice::lang
