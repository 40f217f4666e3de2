// Content hash of a lowered ir::Module: everything codegen reads (tables, rows, classifier
// structures, actions, rule infos, route hops, pipelines). A cached object records the hash of
// the IR it was generated and validated for; a different IR means a different object.
#pragma once

#include <cstdint>

#include "ir/ir.h"

namespace sluice::ir {

uint64_t moduleHash(const Module& m);

}  // namespace sluice::ir
