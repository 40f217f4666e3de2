#include "sarif.h"

#include <algorithm>
#include <map>

namespace sluice::cli {
namespace {

using nlohmann::json;

const char* level(lang::Severity s) {
    switch (s) {
        case lang::Severity::Error: return "error";
        case lang::Severity::Warning: return "warning";
        case lang::Severity::Note: return "note";
    }
    return "none";
}

json location(const lang::SourceManager& sources, const lang::SourceRange& r) {
    json region = {{"startLine", std::max<uint32_t>(r.begin.line, 1)},
                   {"startColumn", std::max<uint32_t>(r.begin.col, 1)}};
    if (r.end.line >= r.begin.line && r.end.line != 0) {
        region["endLine"] = r.end.line;
        region["endColumn"] = r.end.col + 1;
    }
    std::string uri = r.begin.file ? sources.path(r.begin.file) : std::string();
    return json{{"physicalLocation", {{"artifactLocation", {{"uri", uri}}}, {"region", region}}}};
}

}  // namespace

json diagnosticsToSarif(const std::vector<const lang::DiagnosticEngine*>& engines) {
    std::map<std::string, size_t> ruleIndex;
    json rules = json::array();
    json results = json::array();
    for (const lang::DiagnosticEngine* engine : engines) {
        for (const lang::Diagnostic& d : engine->diagnostics()) {
            std::string id = lang::diagId(d.kind);
            auto [it, added] = ruleIndex.emplace(id, rules.size());
            if (added) {
                rules.push_back({{"id", id},
                                 {"shortDescription", {{"text", lang::diagSummary(d.kind)}}},
                                 {"defaultConfiguration",
                                  {{"level", level(lang::diagDefaultSeverity(d.kind))}}}});
            }
            json r = {{"ruleId", id},
                      {"ruleIndex", it->second},
                      {"level", level(d.severity)},
                      {"message", {{"text", d.message}}}};
            if (d.range.begin.file) r["locations"] = json::array({location(engine->sources(), d.range)});
            json related = json::array();
            int n = 0;
            for (const lang::DiagNote& note : d.notes) {
                if (!note.range.begin.file) continue;
                json l = location(engine->sources(), note.range);
                l["id"] = n++;
                l["message"] = {{"text", note.message}};
                related.push_back(std::move(l));
            }
            if (!related.empty()) r["relatedLocations"] = std::move(related);
            results.push_back(std::move(r));
        }
    }
    return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
            {"version", "2.1.0"},
            {"runs", json::array({{{"tool",
                                    {{"driver",
                                      {{"name", "sluice-check"},
                                       {"version", "0.1.0"},
                                       {"rules", rules}}}}},
                                   {"results", results}}})}};
}

}  // namespace sluice::cli
