// Hover on a declared name (its declaration or any use of it): the kind, the declaring text
// (a constant's whole declaration with its value; the first line of a longer block) and where
// it is declared, as Markdown.
#include <algorithm>

#include "lsp/features.h"
#include "lsp/text_positions.h"
#include "sluice/lang/symbols.h"

namespace sluice::cli::lsp {

using nlohmann::json;

namespace {

constexpr uint32_t kMaxShownLines = 8;

// The text of `range`: all of it when it spans at most kMaxShownLines lines, else its first line.
std::string declaringText(const lang::SourceManager& sources, const lang::SourceRange& range) {
    uint32_t file = range.begin.file;
    uint32_t last = std::max(range.end.line, range.begin.line);
    bool whole = last - range.begin.line < kMaxShownLines;
    if (!whole) last = range.begin.line;
    std::string out;
    for (uint32_t l = range.begin.line; l <= last; ++l) {
        std::string_view text = sources.line(file, l);
        size_t from = l == range.begin.line ? std::min<size_t>(range.begin.col - 1, text.size()) : 0;
        size_t to = text.size();
        if (whole && l == range.end.line) to = std::min<size_t>(range.end.col, text.size());
        if (to > from) out.append(text.substr(from, to - from));
        if (l != last) out.push_back('\n');
    }
    if (!whole) out += " ...";
    return out;
}

}  // namespace

json hoverResult(const Document& doc, uint64_t line, uint64_t character) {
    if (doc.root == 0) return nullptr;
    const auto& sources = doc.frontend->sources();
    auto loc = sourceLocation(sources, doc.root, line, character);
    if (!loc) return nullptr;
    const lang::SymbolIndex& symbols = doc.frontend->symbols();
    auto def = symbols.definitionAt(*loc);
    if (!def) return nullptr;
    const lang::SymbolDefinition& d = symbols.definitions()[*def];
    std::string text = std::string("**") + lang::symbolKindName(d.kind) + "** `" + d.name + "`";
    if (!d.detail.empty()) text += " (" + d.detail + ")";
    text += "\n\n```sluice\n" + declaringText(sources, d.range) + "\n```\n\ndeclared at " +
            sources.describe(d.selection.begin);
    // The range of the hovered word: the use under the cursor, or the declaration's name.
    lang::SourceRange word = d.selection;
    for (const lang::SymbolReference& r : symbols.references()) {
        if (r.definition == *def && r.range.begin.file == loc->file &&
            r.range.begin.line == loc->line && r.range.begin.col <= loc->col &&
            loc->col <= r.range.end.col) {
            word = r.range;
        }
    }
    return {{"contents", {{"kind", "markdown"}, {"value", text}}}, {"range", lspRange(sources, word)}};
}

}  // namespace sluice::cli::lsp
