// Artifacts for the runtime (sluice/runtime/artifact.h), made where the policy model, the
// interpreter and the compiler may be seen: cli/ (DESIGN.md 2: the CLI wires the modules).
//  - compiled: compiler::compileValidated (JIT, translation-validated) + compiler::describe;
//  - interpreter: the reference interpreter behind the SlowPath interface;
//  - an AOT object and its descriptor file (`sluice compile --emit obj -o X.o` writes X.o and
//    X.o.desc): linked into the JIT, checked against the descriptor, no policy needed.
// Policy-made artifacts keep the policy as Artifact::source (the reload loader's diff and the
// rollback checker read it back with policyOf).
#pragma once

#include <memory>
#include <string>

#include "sluice/lang/model.h"
#include "sluice/runtime/artifact.h"
#include "sluice/support/expected.h"

namespace sluice::pipelines {

// `workers`: the number of distinct `worker` values run() will see (0..workers-1), besides
// rt::kControlContext, which gets a context of its own.
rt::Artifact interpreterArtifact(std::shared_ptr<const lang::Policy> policy, unsigned workers);
// Compiles and translation-validates `policy`; an error when validation rejects the lowering.
// `cacheDir`: object cache directory (RunConfig::compileCache); "" = no cache.
Expected<rt::Artifact> compiledArtifact(std::shared_ptr<const lang::Policy> policy,
                                        const std::string& cacheDir = {});
// "auto", "compiled" or "interpreter" (RunConfig::slowPath). "auto" falls back to the
// interpreter, with a note in `note`, when compiling is not possible.
Expected<rt::Artifact> makeArtifact(const std::string& choice,
                                    std::shared_ptr<const lang::Policy> policy, unsigned workers,
                                    std::string& note, const std::string& cacheDir = {});
// OBJECT and OBJECT.desc: the descriptor is read (bounded, checksummed), the object's bytes
// checked against its objectCrc before LLVM sees them, then linked and matched against the
// descriptor. Every failure is an error naming the file.
Expected<rt::Artifact> objectArtifact(const std::string& objectPath);

// The policy an artifact made here keeps (Artifact::source), or null (an AOT object).
std::shared_ptr<const lang::Policy> policyOf(const std::shared_ptr<const void>& source);

}  // namespace sluice::pipelines
