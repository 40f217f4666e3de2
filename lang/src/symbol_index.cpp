// SymbolIndex: declarations first (every file, so a use may precede its declaration or sit in
// another file), then every place the grammar takes a name of the shared namespace: value
// atoms (conditions, constants, settings, route addresses, assertions, action arguments),
// `route TABLE`, `meter METER` and the targets of `-> port P` / `-> ecmp E`. A name nothing
// declares (a keyword value such as `tcp`, or a mistake the resolver reports) is no reference.
#include "symbol_index.h"

#include <map>
#include <string>

namespace sluice::lang {

namespace {

bool contains(const SourceRange& r, SourceLoc loc) {
    if (!r.valid() || r.begin.file != loc.file) return false;
    auto before = [](SourceLoc a, SourceLoc b) {  // a <= b
        return a.line < b.line || (a.line == b.line && a.col <= b.col);
    };
    return before(r.begin, loc) && before(loc, r.end);
}

const char* dirName(ast::Dir d) {
    switch (d) {
        case ast::Dir::In: return "in";
        case ast::Dir::Out: return "out";
        default: return "both";
    }
}

SymbolKind settingsKind(ast::BlockKind k) {
    switch (k) {
        case ast::BlockKind::Port: return SymbolKind::Port;
        case ast::BlockKind::Ecmp: return SymbolKind::EcmpGroup;
        case ast::BlockKind::Credit: return SymbolKind::Credit;
        default: return SymbolKind::Meter;
    }
}

class Builder {
public:
    explicit Builder(SymbolIndex& index) : index_(index) {}

    void declare(const ast::File& file) {
        for (const ast::Decl& d : file.decls) std::visit([&](const auto& x) { declare(x); }, d);
    }

    void reference(const ast::File& file) {
        for (const ast::Decl& d : file.decls) std::visit([&](const auto& x) { use(x); }, d);
    }

private:
    size_t add(SymbolKind kind, const ast::Ident& name, SourceRange range, std::string detail = {},
               std::optional<size_t> parent = std::nullopt) {
        size_t i = index_.addDefinition({kind, name.text, range, name.range, std::move(detail), parent});
        // Groups, rules and assertions are not names of the shared namespace (nothing refers
        // to them by name); the first declaration wins (a redeclaration is the resolver's error).
        if (kind != SymbolKind::Group && kind != SymbolKind::Rule &&
            kind != SymbolKind::Assertion && !name.text.empty()) {
            globals_.emplace(name.text, i);
        }
        return i;
    }

    void declare(const ast::Const& c) { add(SymbolKind::Constant, c.name, c.range); }
    void declare(const ast::SettingsDecl& s) { add(settingsKind(s.kind), s.name, s.range); }
    void declare(const ast::Routes& r) { add(SymbolKind::RouteTable, r.name, r.range); }
    void declare(const ast::Assert& a) { add(SymbolKind::Assertion, a.name, a.range); }
    void declare(const ast::Layer& l) {
        size_t layer = add(SymbolKind::Layer, l.name, l.range);
        for (const ast::LayerItem& item : l.items) {
            const auto* dir = std::get_if<ast::LayerDirection>(&item);
            if (dir == nullptr) continue;
            for (const ast::Group& g : dir->groups) {
                size_t group = add(SymbolKind::Group, g.name, g.range,
                                   std::string(dirName(dir->dir)) + ", priority " + g.priority.text,
                                   layer);
                for (const ast::Rule& r : g.rules) {
                    add(SymbolKind::Rule, r.name, r.range, "priority " + r.priority.text, group);
                }
            }
        }
    }

    void useName(const std::string& name, SourceRange range) {
        auto it = globals_.find(name);
        if (it != globals_.end() && range.valid()) index_.addReference({range, it->second});
    }
    void use(const ast::Atom& a) {
        if (a.kind == ast::AtomKind::Name) useName(a.text, a.range);
    }
    void use(const ast::Value& v) {
        use(v.lo);
        if (v.hi) use(*v.hi);
    }
    void use(const std::vector<ast::Value>& values) {
        for (const ast::Value& v : values) use(v);
    }
    void use(const std::vector<ast::Condition>& conditions) {
        for (const ast::Condition& c : conditions) use(c.values);
    }

    void use(const ast::Const& c) { use(c.values); }
    void use(const ast::SettingsDecl& s) {
        for (const ast::Setting& setting : s.settings) {
            for (const ast::SettingArg& arg : setting.args) {
                if (!arg.comma) use(arg.value);
            }
        }
    }
    void use(const ast::Routes& r) {
        for (const ast::RouteEntry& e : r.entries) {
            use(e.prefix);
            if (e.hop == ast::HopKind::Port || e.hop == ast::HopKind::Ecmp) {
                useName(e.target.text, e.target.range);
            }
            if (e.address) use(*e.address);
        }
    }
    void use(const ast::Assert& a) {
        use(a.from);
        use(a.to);
        use(a.conditions);
    }
    void use(const ast::Layer& l) {
        for (const ast::LayerItem& item : l.items) {
            const auto* dir = std::get_if<ast::LayerDirection>(&item);
            if (dir == nullptr) continue;
            for (const ast::Group& g : dir->groups) {
                use(g.conditions);
                for (const ast::Rule& r : g.rules) use(r);
            }
        }
    }
    void use(const ast::Rule& r) {
        use(r.conditions);
        for (const ast::ActionItem& a : r.actions) {
            if (a.kind == ast::ActionKind::Route || a.kind == ast::ActionKind::Meter) {
                useName(a.name.text, a.name.range);
            }
            if (a.value) use(*a.value);
            for (const ast::ActionArg& arg : a.args) use(arg.value);
        }
        for (const ast::Rule::Flag& f : r.flags) {
            if (f.idle) use(*f.idle);
        }
    }

    SymbolIndex& index_;
    std::map<std::string, size_t> globals_;
};

}  // namespace

const char* symbolKindName(SymbolKind kind) {
    switch (kind) {
        case SymbolKind::Constant: return "constant";
        case SymbolKind::Port: return "port";
        case SymbolKind::Layer: return "layer";
        case SymbolKind::Group: return "group";
        case SymbolKind::Rule: return "rule";
        case SymbolKind::RouteTable: return "route table";
        case SymbolKind::EcmpGroup: return "ECMP group";
        case SymbolKind::Meter: return "meter";
        case SymbolKind::Credit: return "credit";
        case SymbolKind::Assertion: return "assertion";
    }
    return "name";
}

size_t SymbolIndex::addDefinition(SymbolDefinition def) {
    definitions_.push_back(std::move(def));
    return definitions_.size() - 1;
}

std::optional<size_t> SymbolIndex::definitionAt(SourceLoc loc) const {
    for (const SymbolReference& r : references_) {
        if (contains(r.range, loc)) return r.definition;
    }
    for (size_t i = 0; i < definitions_.size(); ++i) {
        if (contains(definitions_[i].selection, loc)) return i;
    }
    return std::nullopt;
}

SymbolIndex buildSymbolIndex(const std::vector<const ast::File*>& files) {
    SymbolIndex index;
    Builder builder(index);
    for (const ast::File* f : files) builder.declare(*f);
    for (const ast::File* f : files) builder.reference(*f);
    return index;
}

}  // namespace sluice::lang
