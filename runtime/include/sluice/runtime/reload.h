// Hot reload (`sluice ctl reload`, SIGHUP): the daemon is handed a loader by the CLI that turns a
// policy file into a checked, verified, diffed, compiled and validated artifact; the runtime
// only swaps artifacts (RCU), bumps the generations of the ports whose behaviour changed, and
// records every attempt. The runtime never includes the verifier or the compiler's C++ API.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/runtime/artifact.h"

namespace sluice::rt {

struct ReloadOptions {
    bool force = false;      // a verification refusal is overridden (and recorded)
    std::string expectFile;  // `sluice diff --expect` gate file; "" = no gate
    bool dryRun = false;     // everything but the swap
};

// Exit codes of the contract (DESIGN.md 5): 0 swapped, 3 refused, 1 input errors.
enum class LoadStatus { Ready, Refused, InputError };

// What a loader made of a file.
struct LoadedPipeline {
    LoadStatus status = LoadStatus::InputError;
    std::string message;      // diagnostics / findings / gate failures (clang-style text)
    std::string policyHash;   // hex
    bool forced = false;      // verification failed and --force overrode it
    // The diff against the running policy: summary line, and the ports whose behaviour
    // changed (their generations are bumped); allChanged when the diff is not complete.
    std::string diffSummary;
    std::vector<std::string> changedPorts;
    bool allChanged = true;
    // Phase timings (ms): check, verify, diff, compile (incl. validation).
    double checkMs = 0, verifyMs = 0, diffMs = 0, compileMs = 0;
    Artifact artifact;  // Ready only (a loader); a checker leaves it empty
};

// `running` is the Artifact::source of the pipeline being forwarded with (the diff's old
// side; null when it has none). Called off the workers (a thread of the control path); may
// take seconds.
using PipelineLoader = std::function<LoadedPipeline(
    const std::string& file, const ReloadOptions& options,
    std::shared_ptr<const void> running)>;

// The gate of a rollback: the target pipeline is compiled and validated already (it ran
// before), but it must pass what a reload passes: verification (errors refuse unless forced;
// the pipeline the daemon started with was never verified) and the diff against the running
// policy (`--expect` gates; its ports are the ones bumped). Returns Ready with no artifact,
// or Refused / InputError with the message. `name` names the target in messages; `target` and
// `running` are the two pipelines' Artifact::source.
using PipelineChecker = std::function<LoadedPipeline(
    const std::string& name, std::shared_ptr<const void> target,
    const ReloadOptions& options, std::shared_ptr<const void> running)>;

}  // namespace sluice::rt
