// DiagnosticEngine: collects diagnostics and renders them as clang does (location, severity,
// message and id; the source line; a caret under the range) or as JSON.
#include "sluice/lang/diag.h"

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string_view>
#include <vector>

#include "sluice/lang/limits.h"

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

// How one source line is shown. Bytes that could drive the terminal are escaped as clang does:
// C0 and C1 controls, DEL and bidirectional overrides as <U+XXXX>, bytes that are not UTF-8 as
// <XX>. `width[i]` is how many characters byte i takes on screen (0 for the tail of a
// multi-byte character), so the caret stays under the right column.
struct ShownLine {
    std::string text;
    std::vector<size_t> width;
};

bool escapedCodePoint(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

// Length of the valid UTF-8 sequence at s[i] and its code point, or 0.
size_t utf8At(std::string_view s, size_t i, uint32_t& cp) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                                : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || s.size() - i < len) return 0;
    cp = len == 1 ? c : len == 2 ? c & 0x1fu : len == 3 ? c & 0x0fu : c & 0x07u;
    for (size_t k = 1; k < len; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

ShownLine showLine(std::string_view line) {
    static const char* hex = "0123456789ABCDEF";
    ShownLine out;
    out.width.assign(line.size(), 0);
    for (size_t i = 0; i < line.size();) {
        uint32_t cp = 0;
        size_t len = line[i] == '\t' ? 1 : utf8At(line, i, cp);
        size_t before = out.text.size();
        if (len == 0) {
            unsigned char c = static_cast<unsigned char>(line[i]);
            out.text += {'<', hex[c >> 4], hex[c & 15], '>'};
            len = 1;
        } else if (line[i] != '\t' && escapedCodePoint(cp)) {
            out.text += "<U+";
            for (int shift = 12; shift >= 0; shift -= 4) out.text += hex[(cp >> shift) & 15];
            out.text += '>';
        } else {
            out.text.append(line.substr(i, len));
        }
        out.width[i] = len == 1 || out.text.size() - before != len ? out.text.size() - before : 1;
        i += len;
    }
    return out;
}

// Lines longer than this are shown as a window around the caret.
constexpr size_t kSnippetBytes = 240;

// The source line and a caret line under `range` (tabs copied so columns line up).
void printSnippet(std::ostream& out, const SourceManager& sources, SourceRange range,
                  bool color) {
    if (!range.valid() || range.begin.file == 0) return;
    std::string_view text = sources.line(range.begin.file, range.begin.line);
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
    // A window of kSnippetBytes around the caret, cut at character boundaries.
    size_t from = 0;
    size_t to = text.size();
    if (text.size() > kSnippetBytes) {
        from = begin > kSnippetBytes / 3 ? begin - kSnippetBytes / 3 : 0;
        while (from > 0 && (static_cast<unsigned char>(text[from]) & 0xc0) == 0x80) --from;
        to = std::min(text.size(), from + kSnippetBytes);
        while (to < text.size() && (static_cast<unsigned char>(text[to]) & 0xc0) == 0x80) ++to;
        end = std::min(end, to > 0 ? to - 1 : 0);
    }
    ShownLine shown = showLine(text.substr(from, to - from));
    const char* ellipsis = "...";
    if (from > 0) out << ellipsis;
    out << shown.text << (to < text.size() ? ellipsis : "") << '\n';
    std::string caret(from > 0 ? 3 : 0, ' ');
    for (size_t i = from; i < begin; ++i) {
        if (text[i] == '\t') caret += '\t';
        else caret.append(shown.width[i - from], ' ');
    }
    caret += '^';
    size_t tildes = begin < to ? std::max<size_t>(shown.width[begin - from], 1) - 1 : 0;
    for (size_t i = begin + 1; i <= end && i < to; ++i) tildes += shown.width[i - from];
    caret.append(tildes, '~');
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
        out << showLine(sources.describe(range.begin)).text << ": ";
    } else {
        out << "sluice: ";
    }
    if (color) out << severityColor(severity);
    out << severityName(severity) << ": ";
    if (color) out << "\033[0m\033[1m";
    out << showLine(message).text;  // names and paths in messages come from the input
    if (!id.empty()) out << " [" << id << "]";
    if (color) out << "\033[0m";
    out << '\n';
}

// A JSON string; bytes that are not UTF-8 become U+FFFD so that the output stays valid JSON.
void jsonString(std::ostream& out, std::string_view s) {
    out << '"';
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            uint32_t cp = 0;
            size_t len = utf8At(s, i, cp);
            if (len == 0) {
                out << "\\ufffd";
            } else {
                out << s.substr(i, len);
                i += len - 1;
            }
            continue;
        }
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
        << ",\"end_line\":" << range.end.line << ",\"end_col\":" << range.end.col;
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
    droppedLast_ = sev == Severity::Error && errorCount_ >= kMaxErrors;
    if (droppedLast_) {
        if (errorCount_++ == kMaxErrors) {
            diags_.push_back(Diagnostic{DiagKind::TooManyErrors, Severity::Error, range,
                                        "too many errors (" + std::to_string(kMaxErrors) +
                                            "); the rest are not reported",
                                        {}});
        }
        dropped_ = Diagnostic{kind, sev, range, std::move(message), {}};
        return dropped_;
    }
    if (sev == Severity::Error) ++errorCount_;
    if (sev == Severity::Warning) ++warningCount_;
    diags_.push_back(Diagnostic{kind, sev, range, std::move(message), {}});
    return diags_.back();
}

void DiagnosticEngine::note(SourceRange range, std::string message) {
    if (diags_.empty() || droppedLast_) return;
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
