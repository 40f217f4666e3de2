// A canonical text dump of a Policy: every field of the model, indices resolved to names,
// source ranges left out. Two policies are the same model iff their dumps are equal; the
// formatter round-trip tests and debugging output use it.
#pragma once

#include <string>

#include "sluice/lang/model.h"

namespace sluice::lang {

std::string dumpPolicy(const Policy& policy);

}  // namespace sluice::lang
