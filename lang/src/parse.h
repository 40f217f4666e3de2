// Parsing one file: text -> ast::File. The only place that sees ANTLR types (parse.cpp).
#pragma once

#include <string>

#include "ast.h"
#include "sluice/lang/diag.h"
#include "sluice/lang/limits.h"

namespace sluice::lang {

// Tokens the files of one run may still produce (kMaxTokens at the start): ANTLR's tokens and
// parse tree take a few hundred bytes per token, so this bounds the parser's memory.
struct TokenBudget {
    size_t left = kMaxTokens;
};

// Parses `text` (the contents of file `fileId`). Syntax errors are reported as E001, up to
// kMaxSyntaxErrors (ANTLR recovers and continues; then E010 ends the parse); the returned tree
// is then partial. E013 when the file would exceed `budget`. Never throws.
// Returns true when no syntax error was found.
bool parseFile(uint32_t fileId, const std::string& text, DiagnosticEngine& diags, ast::File& out,
               TokenBudget& budget);

}  // namespace sluice::lang
