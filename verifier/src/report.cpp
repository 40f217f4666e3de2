// Rendering of findings: clang-style text, JSON (the project's contract) and SARIF 2.1.0.
#include <nlohmann/json.hpp>
#include <ostream>

#include "report_json.h"
#include "sluice/verify/finding.h"

namespace sluice::verify {

using nlohmann::json;

namespace {

const char* severityName(Severity s) {
    switch (s) {
        case Severity::Error: return "error";
        case Severity::Warning: return "warning";
        default: return "note";
    }
}

json headersJson(const lang::Headers& h) {
    json j;
    for (size_t i = 0; i < lang::kFieldCount; ++i) {
        auto f = static_cast<lang::Field>(i);
        const auto& info = lang::fieldInfo(f);
        std::string name(info.name);
        if (info.isIp) {
            lang::IpAddr a{h.family(f), h.get(f)};
            j[name] = a.family == lang::Family::None ? json(nullptr) : json(a.str());
        } else if (f == lang::Field::SrcMac || f == lang::Field::DstMac) {
            j[name] = lang::macToString(static_cast<uint64_t>(h.get(f)));
        } else {
            j[name] = static_cast<uint64_t>(h.get(f));
        }
    }
    return j;
}

json findingJson(const lang::Policy& policy, const Finding& f) {
    json j;
    j["id"] = findingId(f.kind);
    j["kind"] = findingName(f.kind);
    j["severity"] = severityName(f.severity);
    j["message"] = f.message;
    auto loc = location(policy, f.range);
    j["file"] = loc["file"];
    j["line"] = loc["line"];
    j["col"] = loc["col"];
    json rules = json::array(), locs = json::array();
    for (const auto& inv : f.involved) {
        rules.push_back(inv.name);
        json l = location(policy, inv.range);
        l["name"] = inv.name;
        locs.push_back(l);
    }
    j["rules"] = rules;
    j["locations"] = locs;
    if (f.witness) {
        j["witness"] = witnessText(f.witness->headers);
        j["witness_headers"] = headersJson(f.witness->headers);
        j["witness_where"] = f.witness->where;
        j["witness_port"] = f.witness->port ? json(*f.witness->port) : json(nullptr);
        j["witness_dir"] = f.witness->dir ? json(lang::directionName(*f.witness->dir))
                                          : json(nullptr);
        j["replay"] = f.witness->replay;
    } else {
        j["witness"] = nullptr;
    }
    return j;
}

// Which findings a renderer shows: the first `maxPerKind` of each kind (0: all).
struct Shown {
    std::vector<const Finding*> findings;
    std::vector<size_t> omitted;  // per FindingKind

    Shown(const Report& report, size_t maxPerKind)
        : omitted(static_cast<size_t>(FindingKind::Internal) + 1, 0) {
        std::vector<size_t> seen(omitted.size(), 0);
        for (const auto& f : report.findings) {
            auto k = static_cast<size_t>(f.kind);
            if (maxPerKind != 0 && seen[k] >= maxPerKind) {
                ++omitted[k];
                continue;
            }
            ++seen[k];
            findings.push_back(&f);
        }
    }
    json omittedJson() const {
        json j = json::object();
        for (size_t k = 0; k < omitted.size(); ++k)
            if (omitted[k] != 0) j[findingName(static_cast<FindingKind>(k))] = omitted[k];
        return j;
    }
};

}  // namespace

std::string fileOf(const lang::Policy& policy, const lang::SourceRange& r) {
    if (!policy.sources || !r.valid() || r.begin.file == 0 ||
        r.begin.file > policy.sources->fileCount())
        return "";
    return policy.sources->path(r.begin.file);
}

json location(const lang::Policy& policy, const lang::SourceRange& r) {
    json j;
    j["file"] = fileOf(policy, r);
    j["line"] = r.begin.line;
    j["col"] = r.begin.col;
    return j;
}


std::string witnessText(const lang::Headers& headers) { return lang::formatPacketText(headers); }

void printReport(std::ostream& out, const lang::Policy& policy, const Report& report,
                 bool color, size_t maxPerKind) {
    Shown shown(report, maxPerKind);
    for (const Finding* fp : shown.findings) {
        const Finding& f = *fp;
        if (policy.sources) {
            lang::printDiagnostic(out, *policy.sources, f.severity, f.range, f.message,
                                  findingId(f.kind), color);
            for (size_t i = 1; i < f.involved.size() && i <= 8; ++i)
                if (f.involved[i].range.valid())
                    lang::printDiagnostic(out, *policy.sources, Severity::Note,
                                          f.involved[i].range, "involved: " + f.involved[i].name,
                                          findingId(f.kind), color);
        } else {
            out << "<policy>: " << severityName(f.severity) << ": " << f.message << " ["
                << findingId(f.kind) << "]\n";
        }
        if (f.witness) {
            out << "    witness (" << f.witness->where << "): " << witnessText(f.witness->headers)
                << "\n";
            if (!f.witness->replay.empty()) out << "    replay: " << f.witness->replay << "\n";
        }
    }
    for (size_t k = 0; k < shown.omitted.size(); ++k)
        if (shown.omitted[k] != 0)
            out << "verify: " << shown.omitted[k] << " more "
                << findingName(static_cast<FindingKind>(k)) << " finding(s) ["
                << findingId(static_cast<FindingKind>(k)) << "] not shown (--max-findings "
                << maxPerKind << ")\n";
    size_t e = 0, w = 0, n = 0;
    for (const auto& f : report.findings) {
        if (f.severity == Severity::Error) ++e;
        else if (f.severity == Severity::Warning) ++w;
        else ++n;
    }
    out << "verify: " << e << " error(s), " << w << " warning(s), " << n << " note(s)\n";
    out << "verify: peak memory " << ((report.peakRssBytes + (1 << 19)) >> 20) << " MB (BDD nodes "
        << ((report.bddPeakBytes + (1 << 19)) >> 20) << " MB), budget "
        << (report.memoryBudgetBytes >> 20) << " MB\n";
}

std::string reportToJson(const lang::Policy& policy, const Report& report,
                         size_t maxPerKind) {
    json j;
    json fs = json::array();
    Shown shown(report, maxPerKind);
    for (const Finding* f : shown.findings) fs.push_back(findingJson(policy, *f));
    size_t errors = 0, warnings = 0, notes = 0;
    for (const auto& f : report.findings) {
        if (f.severity == Severity::Error) ++errors;
        else if (f.severity == Severity::Warning) ++warnings;
        else ++notes;
    }
    j["findings"] = fs;
    j["summary"] = {{"errors", errors},
                    {"warnings", warnings},
                    {"notes", notes},
                    {"rules_checked", report.rulesChecked},
                    {"solver_calls", report.solverCalls},
                    {"geometric_decided", report.geometricDecided},
                    {"bdd_decided", report.bddDecided},
                    {"seconds", report.seconds},
                    {"peak_rss_bytes", report.peakRssBytes},
                    {"bdd_peak_bytes", report.bddPeakBytes},
                    {"memory_budget_bytes", report.memoryBudgetBytes}};
    j["omitted"] = shown.omittedJson();
    j["ok"] = !report.hasErrors();
    return j.dump(2);
}

std::string reportToSarif(const lang::Policy& policy, const Report& report,
                          size_t maxPerKind) {
    Shown shown(report, maxPerKind);
    json rules = json::array();
    for (int k = 0; k <= static_cast<int>(FindingKind::Internal); ++k) {
        auto kind = static_cast<FindingKind>(k);
        rules.push_back({{"id", findingId(kind)},
                         {"name", findingName(kind)},
                         {"shortDescription", {{"text", findingName(kind)}}},
                         {"defaultConfiguration", {{"level", severityName(findingSeverity(kind))}}}});
    }
    auto physical = [&](const lang::SourceRange& r) {
        json region = {{"startLine", std::max<uint32_t>(r.begin.line, 1)},
                       {"startColumn", std::max<uint32_t>(r.begin.col, 1)}};
        if (r.end.line >= r.begin.line && r.end.line != 0) {
            region["endLine"] = r.end.line;
            region["endColumn"] = r.end.col + 1;
        }
        return json{{"physicalLocation",
                     {{"artifactLocation", {{"uri", fileOf(policy, r)}}}, {"region", region}}}};
    };
    json results = json::array();
    for (const Finding* fp : shown.findings) {
        const Finding& f = *fp;
        json r;
        r["ruleId"] = findingId(f.kind);
        r["ruleIndex"] = static_cast<int>(f.kind);
        r["level"] = severityName(f.severity);
        std::string msg = f.message;
        if (f.witness) msg += " (witness: " + witnessText(f.witness->headers) + ")";
        r["message"] = {{"text", msg}};
        r["locations"] = json::array({physical(f.range)});
        json related = json::array();
        int id = 0;
        for (size_t i = 1; i < f.involved.size(); ++i) {
            if (!f.involved[i].range.valid()) continue;
            json l = physical(f.involved[i].range);
            l["id"] = id++;
            l["message"] = {{"text", f.involved[i].name}};
            related.push_back(l);
        }
        if (!related.empty()) r["relatedLocations"] = related;
        json props;
        json names = json::array();
        for (const auto& inv : f.involved) names.push_back(inv.name);
        props["rules"] = names;
        props["kind"] = findingName(f.kind);
        if (f.witness) props["witness"] = witnessText(f.witness->headers);
        r["properties"] = props;
        results.push_back(r);
    }
    json log = {
        {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
        {"version", "2.1.0"},
        {"runs", json::array({{{"tool",
                                {{"driver",
                                  {{"name", "sluice-verify"},
                                   {"version", "0.1.0"},
                                   {"rules", rules}}}}},
                               {"results", results},
                               {"properties", {{"omitted", shown.omittedJson()}}}}})}};
    return log.dump(2);
}

}  // namespace sluice::verify
