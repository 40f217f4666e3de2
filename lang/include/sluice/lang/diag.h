// Diagnostics in clang's format: "FILE:LINE:COL: error: MESSAGE [E0xx]", the source line and a
// caret, then notes. Every kind has a stable id listed once in diag_kinds.def.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "sluice/lang/source.h"

namespace sluice::lang {

enum class Severity { Error, Warning, Note };

enum class DiagKind {
#define SLUICE_DIAG(Name, Id, Sev, Summary) Name,
#include "sluice/lang/diag_kinds.def"
#undef SLUICE_DIAG
};

// Stable id such as "E012"; used in JSON output and the golden tests.
const char* diagId(DiagKind kind);
const char* diagSummary(DiagKind kind);
Severity diagDefaultSeverity(DiagKind kind);

struct DiagNote {
    SourceRange range;
    std::string message;
};

struct Diagnostic {
    DiagKind kind;
    Severity severity;
    SourceRange range;
    std::string message;
    std::vector<DiagNote> notes;
};

// Collects every diagnostic of a run; callers keep going after errors so that one run
// reports all of them, up to kMaxErrors errors (limits.h): then one E010, and later errors
// (and their notes) are counted but not kept.
class DiagnosticEngine {
public:
    explicit DiagnosticEngine(std::shared_ptr<const SourceManager> sources);

    Diagnostic& report(DiagKind kind, SourceRange range, std::string message);
    // Adds a note to the most recent diagnostic.
    void note(SourceRange range, std::string message);

    bool hasErrors() const { return errorCount_ > 0; }
    size_t errorCount() const { return errorCount_; }
    size_t warningCount() const { return warningCount_; }
    const std::vector<Diagnostic>& diagnostics() const { return diags_; }
    const SourceManager& sources() const { return *sources_; }
    std::shared_ptr<const SourceManager> sharedSources() const { return sources_; }

    // Stable sort of the diagnostics reported since index `from` by file id, line and column
    // (the front end reports per pass, then sorts so each file reads top to bottom).
    void sortBySource(size_t from = 0);

    // clang-style text, optionally with ANSI colour.
    void printText(std::ostream& out, bool color = false) const;
    // One JSON array of {"id","severity","file","line","col","end_line","end_col","message",
    // "notes":[...]} (snake_case, as all JSON the project prints).
    std::string toJson() const;

private:
    std::shared_ptr<const SourceManager> sources_;
    std::vector<Diagnostic> diags_;
    Diagnostic dropped_{};      // what report() returns for an error past the limit
    bool droppedLast_ = false;  // note() then belongs to a dropped error
    size_t errorCount_ = 0;
    size_t warningCount_ = 0;
};

// Renders one diagnostic (used by the verifier for its findings too).
void printDiagnostic(std::ostream& out, const SourceManager& sources, Severity severity,
                     SourceRange range, const std::string& message, const std::string& id,
                     bool color = false);

}  // namespace sluice::lang
