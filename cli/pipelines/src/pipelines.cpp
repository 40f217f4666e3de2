// Artifacts for the runtime (pipelines.h).
#include "pipelines/pipelines.h"

#include "interpreter_slow_path.h"
#include "sluice/artifact/descriptor_file.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/describe.h"
#include "sluice/compiler/link_object.h"
#include "sluice/compiler/validate.h"
#include "sluice/support/input_file.h"

namespace sluice::pipelines {
namespace {

// An object file is read whole before its checksum is checked; far above any policy's code.
constexpr InputLimits kObjectLimits{512u << 20, 512u << 20, false};

std::shared_ptr<const artifact::Descriptor> describeShared(const lang::Policy& policy) {
    return std::make_shared<const artifact::Descriptor>(compiler::describe(policy));
}

}  // namespace

rt::Artifact interpreterArtifact(std::shared_ptr<const lang::Policy> policy, unsigned workers) {
    rt::Artifact a;
    a.descriptor = describeShared(*policy);
    a.slowPath = makeInterpreterSlowPath(policy, *a.descriptor, workers);
    a.source = std::move(policy);
    return a;
}

Expected<rt::Artifact> compiledArtifact(std::shared_ptr<const lang::Policy> policy,
                                        const std::string& cacheDir) {
    compiler::CompileOptions options;
    options.cacheDir = cacheDir;
    // Validated before it carries traffic: a rejected lowering is an error, never a pipeline.
    auto compiled = compiler::compileValidated(*policy, options);
    if (!compiled) return makeError("compile failed: " + compiled.error().str());
    if (!(*compiled)->validated()) return makeError("compile failed: the pipeline was not validated");
    std::shared_ptr<compiler::CompiledPolicy> owner(std::move(compiled.value()));
    const sl_policy_desc* desc = owner->descriptor();
    if (desc == nullptr || desc->abi_version != SL_ABI_VERSION)
        return makeError("compiled policy has an incompatible sl_ ABI version");
    rt::Artifact a;
    a.descriptor = describeShared(*policy);
    a.slowPath = rt::makeCompiledSlowPath(desc, std::shared_ptr<void>(owner, owner.get()));
    a.source = std::move(policy);
    return a;
}

Expected<rt::Artifact> makeArtifact(const std::string& choice,
                                    std::shared_ptr<const lang::Policy> policy, unsigned workers,
                                    std::string& note, const std::string& cacheDir) {
    if (choice == "interpreter") return interpreterArtifact(std::move(policy), workers);
    auto compiled = compiledArtifact(policy, cacheDir);
    if (compiled) return std::move(compiled.value());
    if (choice == "compiled") return compiled.error();
    note = "slow path: interpreter (" + compiled.error().message + ")";
    return interpreterArtifact(std::move(policy), workers);
}

Expected<rt::Artifact> objectArtifact(const std::string& objectPath) {
    const std::string descPath = artifact::descriptorPathFor(objectPath);
    auto desc = artifact::readFile(descPath);
    if (!desc) return desc.error();
    InputFile obj = readInputFile(objectPath, kObjectLimits);
    if (!obj.ok()) return makeError(describeInputProblem(objectPath, obj));
    if (desc->objectCrc == 0 || artifact::crc32c(obj.text) != desc->objectCrc)
        return makeError("the object is not the one " + descPath +
                         " was written with (checksum); recompile the policy", objectPath);
    auto linked = compiler::linkObject(obj.text);
    if (!linked) return makeError("cannot link the object: " + linked.error().str(), objectPath);
    std::shared_ptr<compiler::LinkedObject> owner(std::move(linked.value()));
    rt::Artifact a;
    a.descriptor = std::make_shared<const artifact::Descriptor>(std::move(desc.value()));
    a.slowPath = rt::makeCompiledSlowPath(owner->descriptor(),
                                          std::shared_ptr<void>(owner, owner.get()));
    if (Status s = rt::checkArtifact(a); !s) return makeError(s.error().message, objectPath);
    return a;
}

std::shared_ptr<const lang::Policy> policyOf(const std::shared_ptr<const void>& source) {
    return std::static_pointer_cast<const lang::Policy>(source);
}

}  // namespace sluice::pipelines
