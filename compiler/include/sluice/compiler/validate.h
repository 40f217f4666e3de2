// Translation validation (target sluice_tv, Z3 inside): for every classifier table of the
// lowered pipeline (each group of each layer direction, each route table), proves that the
// lowered structure (rows + tree / hash / interval / linear scan, on the 64-bit key projection)
// returns the same rule as the source first-match semantics of the policy model (priority or
// longest prefix) for every packet. A failure names the table and gives a packet.
#pragma once

#include <string>
#include <vector>

#include "sluice/compiler/compiler.h"

namespace sluice::compiler {

struct TvFailure {
    std::string table;   // "layer/out/group" or "routes/NAME"
    std::string packet;  // packet text of a witness
    std::string detail;  // source vs lowered answer
};

struct TvReport {
    size_t tables = 0;
    size_t solverQueries = 0;   // Z3 checks
    size_t decidedCheaply = 0;  // regions decided without Z3 (geometric or concrete checks)
    double ms = 0;
    std::vector<TvFailure> failures;
    bool ok() const { return failures.empty(); }
};

// Lowers `policy` with `options` (including any fault injection) and validates every table.
Expected<TvReport> validateTranslation(const lang::Policy& policy,
                                       const CompileOptions& options = {});

}  // namespace sluice::compiler
