// The names a policy declares and where each is used, for editors (`sluice lsp`: hover, go to
// definition, document outline). Built from the syntax trees of the root file and its imports,
// so it also answers for a document with errors: whatever parsed is indexed (partial results),
// and a use of a name nothing declares is simply not a reference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/source.h"

namespace sluice::lang {

enum class SymbolKind {
    Constant,
    Port,
    Layer,
    Group,  // inside a layer direction
    Rule,   // inside a group
    RouteTable,
    EcmpGroup,
    Meter,
    Credit,
    Assertion,
};

// "constant", "port", "layer", "group", "rule", "route table", "ECMP group", ...
const char* symbolKindName(SymbolKind kind);

struct SymbolDefinition {
    SymbolKind kind = SymbolKind::Constant;
    std::string name;
    SourceRange range;      // the whole declaration
    SourceRange selection;  // its name
    std::string detail;     // "in, priority 10" for a group; "priority 5" for a rule; else empty
    std::optional<size_t> parent;  // a group's layer, a rule's group (index into definitions())
};

struct SymbolReference {
    SourceRange range;  // the name as written at its use
    size_t definition;  // index into definitions()
};

class SymbolIndex {
public:
    // Definitions in source order per file, files in load order (imports first, root last);
    // a parent precedes its children.
    const std::vector<SymbolDefinition>& definitions() const { return definitions_; }
    const std::vector<SymbolReference>& references() const { return references_; }

    // The definition named at `loc`: the name of a declaration, or a use of a declared name.
    std::optional<size_t> definitionAt(SourceLoc loc) const;

    // Used while building (symbol_index.cpp).
    size_t addDefinition(SymbolDefinition def);
    void addReference(SymbolReference ref) { references_.push_back(ref); }

private:
    std::vector<SymbolDefinition> definitions_;
    std::vector<SymbolReference> references_;
};

}  // namespace sluice::lang
