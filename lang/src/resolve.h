// Name resolution, type checking and lowering: the ASTs of a root file and its imports -> one
// Policy (model.h). Reports every static rule of docs/language.md with its id.
#pragma once

#include <memory>
#include <vector>

#include "ast.h"
#include "sluice/lang/diag.h"
#include "sluice/lang/model.h"
#include "stdlib_index.h"

namespace sluice::lang {

struct ResolveInput {
    std::vector<const ast::File*> files;  // imports first (in load order), the root last
    uint32_t rootFile = 0;                // W001 is reported for this file's declarations only
    bool warnings = true;
    StdlibIndex* stdlib = nullptr;  // hints `import std.X;` for an unknown name X declares
};

// Returns the policy; the caller discards it when `diags` has errors.
std::shared_ptr<Policy> resolvePolicy(const ResolveInput& input, DiagnosticEngine& diags);

}  // namespace sluice::lang
