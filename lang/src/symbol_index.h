// Building the SymbolIndex (sluice/lang/symbols.h) from the syntax trees of one run.
#pragma once

#include <vector>

#include "ast.h"
#include "sluice/lang/symbols.h"

namespace sluice::lang {

// `files` in load order (imports first). Trees may be partial (after syntax errors).
SymbolIndex buildSymbolIndex(const std::vector<const ast::File*>& files);

}  // namespace sluice::lang
