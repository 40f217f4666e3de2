// publishDiagnostics for one document: every diagnostic of its front-end run with range,
// severity, code (the stable id, E001...), and its notes as relatedInformation. A diagnostic
// in an imported file (or with no location) is shown at the start of the document, with the
// place it belongs to in its message, so the user still sees why the policy does not load.
#include "lsp/features.h"
#include "lsp/text_positions.h"

namespace sluice::cli::lsp {

using nlohmann::json;

namespace {

int lspSeverity(lang::Severity s) {
    switch (s) {
        case lang::Severity::Error: return 1;
        case lang::Severity::Warning: return 2;
        default: return 3;  // Information
    }
}

json location(const Document& doc, const lang::SourceRange& range) {
    const auto& sources = doc.frontend->sources();
    uint32_t file = range.valid() ? range.begin.file : doc.root;
    return {{"uri", doc.uriOfFile(file)}, {"range", lspRange(sources, range)}};
}

}  // namespace

json diagnosticsParams(const Document& doc) {
    json list = json::array();
    const json origin = lspRange(doc.frontend->sources(), {});
    if (!doc.refusal.empty()) {
        list.push_back({{"range", origin},
                        {"severity", 1},
                        {"source", "sluice"},
                        {"message", doc.refusal}});
    }
    const auto& sources = doc.frontend->sources();
    for (const lang::Diagnostic& d : doc.frontend->diags().diagnostics()) {
        json item = {{"severity", lspSeverity(d.severity)},
                     {"code", lang::diagId(d.kind)},
                     {"source", "sluice"}};
        bool here = d.range.valid() && d.range.begin.file == doc.root;
        if (here) {
            item["range"] = lspRange(sources, d.range);
            item["message"] = d.message;
        } else {
            item["range"] = origin;
            item["message"] =
                d.range.valid() ? sources.describe(d.range.begin) + ": " + d.message : d.message;
        }
        json related = json::array();
        if (!here && d.range.valid()) {
            related.push_back({{"location", location(doc, d.range)}, {"message", d.message}});
        }
        for (const lang::DiagNote& n : d.notes) {
            if (!n.range.valid()) {
                item["message"] = item["message"].get<std::string>() + "\nnote: " + n.message;
                continue;
            }
            related.push_back({{"location", location(doc, n.range)}, {"message", n.message}});
        }
        if (!related.empty()) item["relatedInformation"] = std::move(related);
        list.push_back(std::move(item));
    }
    return {{"uri", doc.uri}, {"version", doc.version}, {"diagnostics", std::move(list)}};
}

}  // namespace sluice::cli::lsp
