// The slow path: the policy pipeline run on a session-cache miss, behind the sl_ C ABI
// (compiler/include/sluice/abi/sl_abi.h). Two implementations with one contract:
//  - compiled: the generated per-(port, direction) functions of a sl_policy_desc (default);
//  - interpreter: the reference interpreter, for policies or builds without the compiler.
// `run` is a pure function of its input (sessions are the runtime's job) and may be called
// from every worker at once; `worker` selects per-worker scratch state, and
// kControlContext selects a context of its own for control-plane callers (`ctl trace`), which
// is never shared with a worker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/abi/sl_abi.h"
#include "sluice/lang/model.h"
#include "sluice/support/expected.h"

namespace sluice::rt {

// The `worker` argument of SlowPath::run for control-plane callers (one at a time).
inline constexpr unsigned kControlContext = 0xffffffffu;

class SlowPath {
public:
    virtual ~SlowPath() = default;
    virtual const char* kind() const = 0;
    virtual void run(unsigned worker, uint32_t port, lang::Direction dir, const sl_meta& in,
                     sl_result& out) = 0;
    // Global rule ids used in sl_result.step_rule index this table.
    virtual const sl_policy_desc& descriptor() const = 0;
};

// `workers`: the number of distinct `worker` values run() will see (0..workers-1), besides
// kControlContext, which gets a context of its own.
std::unique_ptr<SlowPath> makeInterpreterSlowPath(std::shared_ptr<const lang::Policy> policy,
                                                  unsigned workers);
// Wraps generated code. `owner` keeps the code (JIT session or loaded object) alive.
std::unique_ptr<SlowPath> makeCompiledSlowPath(const sl_policy_desc* desc,
                                               std::shared_ptr<void> owner);
// Compiles and translation-validates `policy` (compiler::compileValidated) when the compiler
// module is part of the build; an error otherwise, or when validation rejects the lowering.
// `cacheDir`: object cache directory (RunConfig::compileCache); "" = no cache.
Expected<std::unique_ptr<SlowPath>> compilePolicySlowPath(
    std::shared_ptr<const lang::Policy> policy, const std::string& cacheDir = {});
// "auto", "compiled" or "interpreter" (RunConfig::slowPath). "auto" falls back to the
// interpreter, with a note in `note`, when compiling is not possible.
Expected<std::unique_ptr<SlowPath>> makeSlowPath(const std::string& choice,
                                                 std::shared_ptr<const lang::Policy> policy,
                                                 unsigned workers, std::string& note,
                                                 const std::string& cacheDir = {});

// Metadata conversions between the policy model and the ABI.
sl_meta headersToMeta(const lang::Headers& h);
lang::Headers metaToHeaders(const sl_meta& m);

}  // namespace sluice::rt
