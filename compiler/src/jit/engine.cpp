// The process-wide LLJIT and its generations (engine.h).
#include "jit/engine.h"

#include <mutex>

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>

#include "codegen/codegen.h"

namespace sluice::compiler::jit {

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

class Engine {
public:
    static Expected<Engine*> get() {
        static std::once_flag once;
        static std::unique_ptr<Engine> engine;
        static std::string error;
        std::call_once(once, [] {
            auto tm = codegen::hostTargetMachine(2);  // initialises the native target
            if (!tm) { error = tm.error().message; return; }
            auto jit = llvm::orc::LLJITBuilder().create();
            if (!jit) { error = errorText(jit.takeError()); return; }
            engine.reset(new Engine(std::move(*jit)));
        });
        if (!engine) return makeError("cannot start the JIT: " + error);
        return engine.get();
    }
    llvm::orc::LLJIT& jit() { return *jit_; }
    std::mutex& mutex() { return mutex_; }
    uint64_t nextGeneration() { return ++generation_; }

private:
    explicit Engine(std::unique_ptr<llvm::orc::LLJIT> jit) : jit_(std::move(jit)) {}
    std::unique_ptr<llvm::orc::LLJIT> jit_;
    std::mutex mutex_;
    uint64_t generation_ = 0;
};

}  // namespace

struct Generation::State {
    Engine* engine = nullptr;
    llvm::orc::JITDylib* dylib = nullptr;
    llvm::orc::ResourceTrackerSP tracker;
    const sl_policy_desc* desc = nullptr;
    ~State() {
        if (!engine) return;
        std::lock_guard<std::mutex> lock(engine->mutex());
        if (tracker) llvm::consumeError(tracker->remove());
        if (dylib) llvm::consumeError(engine->jit().getExecutionSession().removeJITDylib(*dylib));
    }
};

Generation::Generation(std::unique_ptr<State> s) : state_(std::move(s)), desc_(state_->desc) {}
Generation::~Generation() = default;

Expected<std::unique_ptr<Generation>> link(const std::string& object) {
    auto engine = Engine::get();
    if (!engine) return engine.error();
    Engine& e = **engine;
    // `st` is declared before `lock`: on an early return the lock is released first, then
    // State's destructor takes it again to remove the half-made generation.
    auto st = std::make_unique<Generation::State>();
    std::lock_guard<std::mutex> lock(e.mutex());
    auto& es = e.jit().getExecutionSession();
    auto jd = es.createJITDylib("sluice.gen" + std::to_string(e.nextGeneration()));
    if (!jd) return makeError("JIT: " + errorText(jd.takeError()));
    st->engine = &e;
    st->dylib = &*jd;
    auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        e.jit().getDataLayout().getGlobalPrefix());
    if (!gen) return makeError("JIT: " + errorText(gen.takeError()));
    jd->addGenerator(std::move(*gen));
    st->tracker = jd->createResourceTracker();
    auto buf = llvm::MemoryBuffer::getMemBufferCopy(object, "sluice-policy.o");
    if (auto err = e.jit().addObjectFile(st->tracker, std::move(buf)))
        return makeError("JIT: " + errorText(std::move(err)));
    auto sym = e.jit().lookup(*jd, "sl_policy");
    if (!sym) return makeError("JIT: " + errorText(sym.takeError()));
    st->desc = sym->toPtr<const sl_policy_desc*>();
    return std::make_unique<Generation>(std::move(st));
}

}  // namespace sluice::compiler::jit
