// The front end: read a policy file and its imports, parse, resolve names, type-check, and
// build the immutable Policy model. Every problem becomes a Diagnostic; one run reports all.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/lang/diag.h"
#include "sluice/lang/model.h"
#include "sluice/lang/source.h"

namespace sluice::lang {

class SymbolIndex;  // sluice/lang/symbols.h

struct FrontendOptions {
    // Directories searched for `import std.NAME;` (as NAME.sl). Default: the build's stdlib/,
    // then $SLUICE_STDLIB when set.
    std::vector<std::string> stdlibDirs;
    // Report warnings (unused declarations, ...).
    bool warnings = true;
};

class Frontend {
public:
    explicit Frontend(FrontendOptions options = {});
    ~Frontend();

    // Returns the policy, or null when any error was reported (see diags()).
    std::shared_ptr<const Policy> loadFile(const std::string& path);
    // Same, for text held in memory; `name` is used in diagnostics and for relative imports.
    std::shared_ptr<const Policy> loadString(const std::string& name, std::string text);

    // Canonical formatting of one file (not its imports): comments are kept on their own
    // lines, everything else is re-printed. Re-parsing the output gives the same model.
    // Returns false (with diagnostics) on syntax errors.
    bool formatFile(const std::string& path, std::string& out);
    bool formatString(const std::string& name, std::string text, std::string& out);

    DiagnosticEngine& diags() { return *diags_; }
    const SourceManager& sources() const { return *sources_; }
    // Declarations and name uses of the files the last loadFile/loadString read, also when
    // they had errors (what parsed is indexed); editors use it (`sluice lsp`).
    const SymbolIndex& symbols() const { return *symbols_; }

private:
    FrontendOptions options_;
    std::shared_ptr<SourceManager> sources_;
    std::unique_ptr<DiagnosticEngine> diags_;
    std::unique_ptr<SymbolIndex> symbols_;
};

// Default stdlib search path (compiled-in directory plus $SLUICE_STDLIB).
std::vector<std::string> defaultStdlibDirs();

}  // namespace sluice::lang
