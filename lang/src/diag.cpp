// DiagnosticEngine: collects diagnostics and renders them as clang does (location, severity,
// message and id; the source line; a caret under the range) or as JSON.
#include "sluice/lang/diag.h"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace sluice::lang {

namespace {

struct KindInfo {
    const char* id;
    Severity severity;
    const char* summary;
};

constexpr KindInfo kKinds[] = {
#define SLUICE_DIAG(Name, Id, Sev, Summary) {Id, Severity::Sev, Summary},
#include "sluice/lang/diag_kinds.def"
#undef SLUICE_DIAG
};

const char* severityName(Severity s) {
    switch (s) {
        case Severity::Error: return "error";
        case Severity::Warning: return "warning";
        case Severity::Note: return "note";
    }
    return "error";
}

const char* severityColor(Severity s) {
    switch (s) {
        case Severity::Error: return "\033[1;31m";
        case Severity::Warning: return "\033[1;35m";
        case Severity::Note: return "\033[1;36m";
    }
    return "";
}

// The source line and a caret line under `range` (tabs copied so columns line up).
void printSnippet(std::ostream& out, const SourceManager& sources, SourceRange range,
                  bool color) {
    if (!range.valid() || range.begin.file == 0) return;
    std::string_view text = sources.line(range.begin.file, range.begin.line);
    out << text << '\n';
    size_t begin = range.begin.col == 0 ? 0 : range.begin.col - 1;
    begin = std::min(begin, text.size());
    size_t end = begin;  // inclusive
    if (range.end.line == range.begin.line && range.end.col >= range.begin.col &&
        range.end.file == range.begin.file) {
        end = std::max<size_t>(begin, range.end.col - 1);
    } else if (range.end.line > range.begin.line && !text.empty()) {
        end = std::max(begin, text.size() - 1);
    }
    end = std::min(end, text.empty() ? begin : std::max(begin, text.size() - 1));
    std::string caret;
    for (size_t i = 0; i < begin; ++i) caret += (i < text.size() && text[i] == '\t') ? '\t' : ' ';
    caret += '^';
    for (size_t i = begin + 1; i <= end; ++i) caret += '~';
    if (color) out << "\033[1;32m";
    out << caret;
    if (color) out << "\033[0m";
    out << '\n';
}

void printHeader(std::ostream& out, const SourceManager& sources, Severity severity,
                 SourceRange range, const std::string& message, const std::string& id,
                 bool color) {
    if (color) out << "\033[1m";
    if (range.begin.file != 0) {
        out << sources.describe(range.begin) << ": ";
    } else {
        out << "sluice: ";
    }
    if (color) out << severityColor(severity);
    out << severityName(severity) << ": ";
    if (color) out << "\033[0m\033[1m";
    out << message;
    if (!id.empty()) out << " [" << id << "]";
    if (color) out << "\033[0m";
    out << '\n';
}

void jsonString(std::ostream& out, std::string_view s) {
    out << '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out << "\\\""; break;
            case '\\': out << "\\\\"; break;
            case '\n': out << "\\n"; break;
            case '\r': out << "\\r"; break;
            case '\t': out << "\\t"; break;
            default:
                if (c < 0x20) {
                    static const char* hex = "0123456789abcdef";
                    out << "\\u00" << hex[c >> 4] << hex[c & 15];
                } else {
                    out << c;
                }
        }
    }
    out << '"';
}

void jsonLocation(std::ostream& out, const SourceManager& sources, SourceRange range) {
    out << "\"file\":";
    jsonString(out, range.begin.file ? sources.path(range.begin.file) : "");
    out << ",\"line\":" << range.begin.line << ",\"col\":" << range.begin.col
        << ",\"endLine\":" << range.end.line << ",\"endCol\":" << range.end.col;
}

}  // namespace

const char* diagId(DiagKind kind) { return kKinds[static_cast<size_t>(kind)].id; }
const char* diagSummary(DiagKind kind) { return kKinds[static_cast<size_t>(kind)].summary; }
Severity diagDefaultSeverity(DiagKind kind) {
    return kKinds[static_cast<size_t>(kind)].severity;
}

DiagnosticEngine::DiagnosticEngine(std::shared_ptr<const SourceManager> sources)
    : sources_(std::move(sources)) {}

Diagnostic& DiagnosticEngine::report(DiagKind kind, SourceRange range, std::string message) {
    Severity sev = diagDefaultSeverity(kind);
    if (sev == Severity::Error) ++errorCount_;
    if (sev == Severity::Warning) ++warningCount_;
    diags_.push_back(Diagnostic{kind, sev, range, std::move(message), {}});
    return diags_.back();
}

void DiagnosticEngine::note(SourceRange range, std::string message) {
    if (diags_.empty()) return;
    diags_.back().notes.push_back(DiagNote{range, std::move(message)});
}

void DiagnosticEngine::sortBySource(size_t from) {
    if (from >= diags_.size()) return;
    std::stable_sort(diags_.begin() + static_cast<std::ptrdiff_t>(from), diags_.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         const SourceLoc& x = a.range.begin;
                         const SourceLoc& y = b.range.begin;
                         if (x.file != y.file) return x.file < y.file;
                         if (x.line != y.line) return x.line < y.line;
                         return x.col < y.col;
                     });
}

void printDiagnostic(std::ostream& out, const SourceManager& sources, Severity severity,
                     SourceRange range, const std::string& message, const std::string& id,
                     bool color) {
    printHeader(out, sources, severity, range, message, id, color);
    printSnippet(out, sources, range, color);
}

void DiagnosticEngine::printText(std::ostream& out, bool color) const {
    for (const Diagnostic& d : diags_) {
        printDiagnostic(out, *sources_, d.severity, d.range, d.message, diagId(d.kind), color);
        for (const DiagNote& n : d.notes) {
            printDiagnostic(out, *sources_, Severity::Note, n.range, n.message, "", color);
        }
    }
}

std::string DiagnosticEngine::toJson() const {
    std::ostringstream out;
    out << '[';
    bool first = true;
    for (const Diagnostic& d : diags_) {
        if (!first) out << ',';
        first = false;
        out << "{\"id\":\"" << diagId(d.kind) << "\",\"severity\":\"" << severityName(d.severity)
            << "\",";
        jsonLocation(out, *sources_, d.range);
        out << ",\"message\":";
        jsonString(out, d.message);
        out << ",\"notes\":[";
        bool firstNote = true;
        for (const DiagNote& n : d.notes) {
            if (!firstNote) out << ',';
            firstNote = false;
            out << '{';
            jsonLocation(out, *sources_, n.range);
            out << ",\"message\":";
            jsonString(out, n.message);
            out << '}';
        }
        out << "]}";
    }
    out << ']';
    return out.str();
}

}  // namespace sluice::lang
