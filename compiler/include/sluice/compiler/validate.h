// Translation validation of what ships, and the one-call "compile and validate this policy".
// Implemented by target sluice_tv (sources in verifier/validate/: Z3 lives in the verifier,
// which reads the compiler's IR; DESIGN.md 2). Link sluice_tv to use this header.
//
// The validator checks the very ir::Module that codegen lowers (the `validate` pass of the
// compiler's pass table): every classifier table (each group's rules and conditions of each
// layer direction, each route table) against the source first-match semantics of the policy
// model -- by exact box arithmetic over the classifier's own regions (tree leaves with the
// source boxes carried down the tree, interval segments, whole hash / linear tables), Z3 only
// for what is not an exact box -- and every action, route hop and pipeline binding. A failure
// names the table and gives a witness packet.
#pragma once

#include <memory>

#include "sluice/compiler/compiler.h"

namespace sluice::compiler {

using TvFailure = ValidationFailure;
using TvReport = ValidationReport;

struct TvOptions {
    bool boxes = true;  // false: every region goes to Z3 (tests of the solver path)
};

// The validator for CompileOptions::validator.
IrValidator translationValidator(TvOptions options = {});

// Compiles with translation validation (options.validator is replaced). A rejected module is
// an error; `report`, when given, receives the validation report either way.
Expected<std::unique_ptr<CompiledPolicy>> compileValidated(const lang::Policy& policy,
                                                           CompileOptions options = {},
                                                           ValidationReport* report = nullptr);

// Lowers `policy` (including any fault injection in `options`) through the compiler's IR passes
// and validates the result, without generating code.
Expected<TvReport> validateTranslation(const lang::Policy& policy,
                                       const CompileOptions& options = {},
                                       TvOptions tvOptions = {});

}  // namespace sluice::compiler
