// The loader `sluice run` hands its runtime for hot reloads (runtime/include/sluice/runtime/
// reload.h): check, verify (errors refuse unless forced), diff against the running policy
// (--expect gates as in `sluice diff`), compile and translation-validate. The runtime swaps
// what it returns and never sees the verifier or the compiler.
#pragma once

#include <string>

#include "sluice/lang/model.h"
#include "sluice/runtime/reload.h"

namespace sluice::cli {

struct LoaderSettings {
    std::string slowPath = "auto";  // RunConfig::slowPath
    unsigned workers = 1;
    std::string compileCache;
};

rt::PipelineLoader makePipelineLoader(const LoaderSettings& settings);
// The gate of `ctl rollback`: verify and diff the target as a reload would (no compile: the
// target ran before).
rt::PipelineChecker makePipelineChecker();

// Hex content hash of a policy (history, `ctl stats` pipeline.policy_hash).
std::string policyHashHex(const lang::Policy& policy);

}  // namespace sluice::cli
