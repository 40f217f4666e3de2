// An AOT object (`sluice compile --emit obj`, default symbol prefix "sl") linked into the
// process-wide JIT without its policy: its code and its `sl_policy` descriptor (`sluice run`
// with a config's "artifact"). Destroying the LinkedObject removes the code, as for a
// CompiledPolicy. The bytes should be checked first (the artifact descriptor's objectCrc):
// LLVM's object reader is not meant for hostile input. No LLVM type appears here.
#pragma once

#include <memory>
#include <string>

#include "sluice/abi/sl_abi.h"
#include "sluice/support/expected.h"

namespace sluice::compiler {

class LinkedObject {
public:
    virtual ~LinkedObject() = default;
    virtual const sl_policy_desc* descriptor() const = 0;
};

Expected<std::unique_ptr<LinkedObject>> linkObject(const std::string& object);

}  // namespace sluice::compiler
