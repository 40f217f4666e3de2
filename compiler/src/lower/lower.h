// Lowering: Policy -> pipeline IR, and the passes that shape it. The pass list itself lives in
// compiler.cpp (one readable PassManager); each pass is declared here with what it does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "sluice/compiler/compiler.h"
#include "sluice/support/expected.h"

namespace sluice::ir {

// build-ir: one LayerIR per (layer, direction), rows = rules with OR-conditions expanded into
// boxes, actions deduplicated into transposition programs, route tables as LPM-ordered tables.
//   rule r1 match proto tcp dst_port 80, 443  ==>  row(r1: proto=6 dst_port=80)
//                                                  row(r1: proto=6 dst_port=443)
Status buildModule(const lang::Policy& policy, Module& out);

// lpm-order: rows of `lpm FIELD` groups sorted by (prefix length desc, rule priority asc), so
// plain first match over rows == the interpreter's longest-prefix winner.
Status orderLpmRows(Module& m);

// prune-rows: drops rows that can never win: exact duplicates of an earlier row, and every row
// after a row that matches everything (a catch-all).
Status pruneRows(Module& m);

// select-classifier: the cost model. Per table, estimates the per-lookup cost of a linear scan,
// an exact-match hash, a one-dimensional interval search and a HyperSplit decision tree (built
// and measured), and keeps the cheapest.
Status selectClassifiers(Module& m, const compiler::CompileOptions& options);

// verify-ir: structural invariants (ir.h).
Status verifyIr(Module& m);

// Test-only: corrupts the lowering of the first table whose classifier can be corrupted so
// translation validation must catch it. Returns the table's name (empty if none).
std::string injectFault(Module& m, compiler::FaultInjection fault);

uint64_t policyHash(const lang::Policy& policy);

// Builds the classifier of one table (exposed for unit tests).
void buildClassifier(Table& t, const compiler::CompileOptions& options);

}  // namespace sluice::ir

namespace sluice::ir {
// Runs the IR pass list (build-ir .. verify-ir) with dumps and timings per the options.
Status runLowering(const lang::Policy& policy, const compiler::CompileOptions& options,
                   Module& out, std::vector<compiler::PassTiming>* timings);
}  // namespace sluice::ir
