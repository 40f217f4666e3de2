// Generated code behind the SlowPath interface (slow_path.h), and the check of an artifact's
// two halves (artifact.h).
#include "sluice/runtime/slow_path.h"

#include "sluice/runtime/artifact.h"

namespace sluice::rt {
namespace {

class CompiledSlowPath final : public SlowPath {
public:
    CompiledSlowPath(const sl_policy_desc* desc, std::shared_ptr<void> owner)
        : desc_(desc), owner_(std::move(owner)) {}
    const char* kind() const override { return "compiled"; }
    const sl_policy_desc& descriptor() const override { return *desc_; }
    void run(unsigned, uint32_t port, lang::Direction dir, const sl_meta& in,
             sl_result& out) override {
        const sl_entry* e = sl_policy_entry(desc_, port, static_cast<uint32_t>(dir));
        if (e == nullptr || e->one == nullptr) {
            out = sl_result{};
            out.verdict = SL_VERDICT_DENY;
            out.out_kind = SL_OUT_DROP;
            return;
        }
        e->one(&in, &out);
    }

private:
    const sl_policy_desc* desc_;
    std::shared_ptr<void> owner_;
};

}  // namespace

std::unique_ptr<SlowPath> makeCompiledSlowPath(const sl_policy_desc* desc,
                                               std::shared_ptr<void> owner) {
    return std::make_unique<CompiledSlowPath>(desc, std::move(owner));
}

Status checkArtifact(const Artifact& a) {
    if (!a.descriptor) return makeError("the artifact has no descriptor");
    if (!a.slowPath) return makeError("the artifact has no code (slow path)");
    if (Status s = artifact::check(*a.descriptor); !s)
        return makeError("the artifact's descriptor is inconsistent: " + s.error().message);
    if (Status s = artifact::matches(*a.descriptor, a.slowPath->descriptor()); !s)
        return makeError("the artifact's code and descriptor disagree: " + s.error().message);
    return {};
}

}  // namespace sluice::rt
