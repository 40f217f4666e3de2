// Comparing generated code with the reference interpreter (target sluice_compiler_check: it
// links the interpreter, which the compiler proper does not need).
#pragma once

#include <optional>
#include <string>

#include "sluice/abi/sl_abi.h"
#include "sluice/interp/interpreter.h"

namespace sluice::compiler {

// Null when `got` (generated code) agrees with `want` (interpreter, sessions cleared) on the
// verdict, the final headers, the output and, per layer, the rule that decided (and whether it
// is stateful); otherwise what differs.
std::optional<std::string> compareResults(const lang::Policy& policy, const sl_policy_desc& desc,
                                          uint32_t port, lang::Direction dir,
                                          const sl_result& got, const interp::Result& want);

// Human-readable text of a generated-code result, in the interpreter's vocabulary.
std::string resultText(const lang::Policy& policy, const sl_policy_desc& desc,
                       const sl_result& r);

}  // namespace sluice::compiler
