// The reference interpreter behind the runtime's SlowPath interface (pipelines.h).
#pragma once

#include <memory>

#include "sluice/artifact/descriptor.h"
#include "sluice/lang/model.h"
#include "sluice/runtime/slow_path.h"

namespace sluice::pipelines {

// Its sl_policy_desc (rule ids, names, layer orders; no functions) is built from `descriptor`,
// which must be compiler::describe(*policy) and outlive it.
std::unique_ptr<rt::SlowPath> makeInterpreterSlowPath(std::shared_ptr<const lang::Policy> policy,
                                                      const artifact::Descriptor& descriptor,
                                                      unsigned workers);

}  // namespace sluice::pipelines
