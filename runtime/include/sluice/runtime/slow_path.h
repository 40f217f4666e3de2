// The slow path: the policy pipeline run on a session-cache miss, behind the sl_ C ABI
// (compiler/abi/include/sluice/abi/sl_abi.h). The runtime wraps generated code itself
// (makeCompiledSlowPath: the per-(port, direction) functions of a sl_policy_desc, JIT or a
// linked AOT object); other implementations (the reference interpreter) are built outside the
// runtime (cli/pipelines) and handed in through this interface.
// `run` is a pure function of its input (sessions are the runtime's job) and may be called
// from every worker at once; `worker` selects per-worker scratch state, and
// kControlContext selects a context of its own for control-plane callers (`ctl trace`), which
// is never shared with a worker.
#pragma once

#include <memory>

#include "sluice/abi/sl_abi.h"
#include "sluice/lang/packet.h"

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

// Wraps generated code. `owner` keeps the code (JIT session or linked object) alive.
std::unique_ptr<SlowPath> makeCompiledSlowPath(const sl_policy_desc* desc,
                                               std::shared_ptr<void> owner);

}  // namespace sluice::rt
