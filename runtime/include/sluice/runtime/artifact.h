// What the runtime runs and swaps: a compiled artifact, the functions (a SlowPath) and the plain
// data it needs besides them (artifact::Descriptor: ports, layers, rules, ECMP groups). The
// runtime reads nothing else about the policy (DESIGN.md 2: it never depends on lang); cli/
// makes artifacts from a .sl file or from an AOT object and its descriptor file
// (cli/pipelines). Runtime::create and every swap check the two halves agree
// (artifact::matches) and refuse an artifact that does not.
#pragma once

#include <memory>
#include <string>

#include "sluice/artifact/descriptor.h"
#include "sluice/runtime/slow_path.h"

namespace sluice::rt {

struct Artifact {
    std::shared_ptr<const artifact::Descriptor> descriptor;
    std::unique_ptr<SlowPath> slowPath;
    // Whatever its maker keeps with it, opaque to the runtime and handed back to the maker's
    // loader and checker (reload.h): cli keeps the policy model there, for the diff of the next
    // reload and the verification of a rollback. Null for an AOT object run without source.
    std::shared_ptr<const void> source;
};

// Both halves present, the descriptor consistent and in agreement with the code's
// sl_policy_desc; the error says what is wrong.
Status checkArtifact(const Artifact& a);

}  // namespace sluice::rt
