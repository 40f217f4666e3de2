// Conversions between the policy model's Headers and the C ABI's sl_meta / sl_result.
#pragma once

#include "sluice/abi/sl_abi.h"
#include "sluice/lang/packet.h"

namespace sluice::compiler {

sl_meta toMeta(const lang::Headers& h);
lang::Headers fromMeta(const sl_meta& m);

}  // namespace sluice::compiler
