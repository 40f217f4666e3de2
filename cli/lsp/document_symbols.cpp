// The outline of one document: its own declarations (not its imports'), nested as the
// language nests them (a layer's groups, a group's rules). LSP symbol kinds are chosen for the
// icons editors show: constants Constant, ports Interface, layers Namespace, groups Struct,
// rules Function, route tables Array, ECMP groups Enum, meters and credits Property,
// assertions Boolean.
#include <functional>

#include "lsp/features.h"
#include "lsp/text_positions.h"
#include "sluice/lang/symbols.h"

namespace sluice::cli::lsp {

using nlohmann::json;

namespace {

int lspSymbolKind(lang::SymbolKind k) {
    switch (k) {
        case lang::SymbolKind::Constant: return 14;
        case lang::SymbolKind::Port: return 11;
        case lang::SymbolKind::Layer: return 3;
        case lang::SymbolKind::Group: return 23;
        case lang::SymbolKind::Rule: return 12;
        case lang::SymbolKind::RouteTable: return 18;
        case lang::SymbolKind::EcmpGroup: return 10;
        case lang::SymbolKind::Meter:
        case lang::SymbolKind::Credit: return 7;
        case lang::SymbolKind::Assertion: return 17;
    }
    return 13;  // Variable
}

bool before(const json& a, const json& b) {  // a <= b
    return a["line"] < b["line"] || (a["line"] == b["line"] && a["character"] <= b["character"]);
}

// The declaration's range widened to hold its name: clients refuse an outline whose
// selectionRange lies outside its range (possible in a tree recovered from syntax errors).
json enclosing(json range, const json& selection) {
    if (!before(range["start"], selection["start"])) range["start"] = selection["start"];
    if (!before(selection["end"], range["end"])) range["end"] = selection["end"];
    return range;
}

}  // namespace

json documentSymbolsResult(const Document& doc) {
    json roots = json::array();
    if (doc.root == 0) return roots;
    const auto& sources = doc.frontend->sources();
    const auto& defs = doc.frontend->symbols().definitions();
    std::vector<std::vector<size_t>> children(defs.size());
    std::vector<size_t> top;
    for (size_t i = 0; i < defs.size(); ++i) {
        const lang::SymbolDefinition& d = defs[i];
        // After syntax errors a tree may hold a declaration without a name: nothing to show.
        if (d.selection.begin.file != doc.root || !d.range.valid() || !d.selection.valid() ||
            d.name.empty()) {
            continue;
        }
        (d.parent ? children[*d.parent] : top).push_back(i);
    }
    std::function<json(size_t)> symbol = [&](size_t i) {
        const lang::SymbolDefinition& d = defs[i];
        json selection = lspRange(sources, d.selection);
        json s = {{"name", d.name},
                  {"kind", lspSymbolKind(d.kind)},
                  {"range", enclosing(lspRange(sources, d.range), selection)},
                  {"selectionRange", selection},
                  {"children", json::array()}};
        s["detail"] = d.detail.empty() ? lang::symbolKindName(d.kind) : d.detail;
        for (size_t c : children[i]) s["children"].push_back(symbol(c));
        return s;
    };
    for (size_t i : top) roots.push_back(symbol(i));
    return roots;
}

}  // namespace sluice::cli::lsp
