// Go to definition: the declaration a name at the cursor refers to, in this document or in a
// file it imports (a stdlib module, a file beside it), as one Location.
#include "lsp/features.h"
#include "lsp/text_positions.h"
#include "sluice/lang/symbols.h"

namespace sluice::cli::lsp {

using nlohmann::json;

json definitionResult(const Document& doc, uint64_t line, uint64_t character) {
    if (doc.root == 0) return nullptr;
    const auto& sources = doc.frontend->sources();
    auto loc = sourceLocation(sources, doc.root, line, character);
    if (!loc) return nullptr;
    auto def = doc.frontend->symbols().definitionAt(*loc);
    if (!def) return nullptr;
    const lang::SymbolDefinition& d = doc.frontend->symbols().definitions()[*def];
    return {{"uri", doc.uriOfFile(d.selection.begin.file)},
            {"range", lspRange(sources, d.selection)}};
}

}  // namespace sluice::cli::lsp
