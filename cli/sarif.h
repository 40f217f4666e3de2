// SARIF 2.1.0 logs of front-end diagnostics (`check --sarif`, and `verify --sarif` when the
// policy has input errors), for CI code scanning. Key names are SARIF's own (camelCase by the
// standard); everything else the CLI prints uses snake_case.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "sluice/lang/diag.h"

namespace sluice::cli {

nlohmann::json diagnosticsToSarif(const std::vector<const lang::DiagnosticEngine*>& engines);

}  // namespace sluice::cli
