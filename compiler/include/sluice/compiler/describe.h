// The artifact descriptor of a policy (sluice/artifact/descriptor.h): what the runtime reads
// besides the compiled functions. Rule ids follow the compiler's numbering (build-ir: layer,
// direction in then out, group, rule), so Descriptor::rules[i] is sl_policy_desc.rules[i].
#pragma once

#include "sluice/artifact/descriptor.h"
#include "sluice/lang/model.h"

namespace sluice::compiler {

artifact::Descriptor describe(const lang::Policy& policy);

}  // namespace sluice::compiler
