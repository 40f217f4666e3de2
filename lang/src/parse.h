// Parsing one file: text -> ast::File. The only place that sees ANTLR types (parse.cpp).
#pragma once

#include <string>

#include "ast.h"
#include "sluice/lang/diag.h"

namespace sluice::lang {

// Parses `text` (the contents of file `fileId`). Syntax errors are reported as E001, all of
// them (ANTLR recovers and continues); the returned tree is then partial. Never throws.
// Returns true when no syntax error was found.
bool parseFile(uint32_t fileId, const std::string& text, DiagnosticEngine& diags,
               ast::File& out);

}  // namespace sluice::lang
