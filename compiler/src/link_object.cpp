// linkObject (link_object.h): an ELF object into a fresh JIT generation (jit/engine.h).
#include "sluice/compiler/link_object.h"

#include "jit/engine.h"

namespace sluice::compiler {
namespace {

class LinkedAot final : public LinkedObject {
public:
    explicit LinkedAot(std::unique_ptr<jit::Generation> g) : generation_(std::move(g)) {}
    const sl_policy_desc* descriptor() const override { return generation_->descriptor(); }

private:
    std::unique_ptr<jit::Generation> generation_;
};

}  // namespace

Expected<std::unique_ptr<LinkedObject>> linkObject(const std::string& object) {
    if (object.size() < 4 || object.compare(0, 4, "\x7f" "ELF") != 0)
        return makeError("not an ELF object file");
    auto gen = jit::link(object);
    if (!gen) return gen.error();
    if ((*gen)->descriptor() == nullptr) return makeError("the object exports no sl_policy");
    return std::unique_ptr<LinkedObject>(std::make_unique<LinkedAot>(std::move(gen.value())));
}

}  // namespace sluice::compiler
