// The compiler driver: the pass list (read it top to bottom), the JIT and AOT entry points.
#include "sluice/compiler/compiler.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/codegen.h"
#include "lower/lower.h"

namespace sluice::compiler {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

bool wantsDump(const CompileOptions& o, const std::string& pass) {
    for (const std::string& d : o.dumpAfter) {
        if (d == pass || d == "all") return true;
    }
    return false;
}

std::ostream& logOf(const CompileOptions& o) { return o.log ? *o.log : std::cerr; }

// Runs one step, timing it and dumping afterwards when asked.
template <typename F, typename D>
Status step(const CompileOptions& o, std::vector<PassTiming>* timings, const std::string& name,
            F&& run, D&& dump) {
    auto t0 = Clock::now();
    Status s = run();
    if (timings) timings->push_back({name, msSince(t0)});
    if (s && wantsDump(o, name)) logOf(o) << "*** IR dump after " << name << " ***\n" << dump();
    return s;
}

}  // namespace

// The pass list. LLVM steps follow in generateObject().
std::vector<std::string> passNames() {
    return {"build-ir",    "lpm-order",  "prune-rows", "select-classifier", "verify-ir",
            "llvm-irgen",  "llvm-opt",   "llvm-codegen", "jit-link"};
}

uint64_t policyHash(const lang::Policy& policy) { return ir::policyHash(policy); }

}  // namespace sluice::compiler

namespace sluice::ir {

Status runLowering(const lang::Policy& policy, const compiler::CompileOptions& o, Module& m,
                   std::vector<compiler::PassTiming>* timings) {
    using compiler::step;
    auto dump = [&] { return printModule(m); };
    struct Pass {
        const char* name;
        std::function<Status()> run;
    };
    const std::vector<Pass> passes = {
        {"build-ir", [&] { return buildModule(policy, m); }},
        {"lpm-order", [&] { return orderLpmRows(m); }},
        {"prune-rows", [&] { return pruneRows(m); }},
        {"select-classifier", [&] {
             Status s = selectClassifiers(m, o);
             if (s && o.fault != compiler::FaultInjection::None) injectFault(m, o.fault);
             return s;
         }},
        {"verify-ir", [&] { return verifyIr(m); }},
    };
    for (const Pass& p : passes) {
        if (Status s = step(o, timings, p.name, p.run, dump); !s) return s;
    }
    return {};
}

}  // namespace sluice::ir

namespace sluice::compiler {

namespace {

struct Generated {
    std::string object;  // or IR / assembly text
    std::vector<TableStats> tables;
};

void collectStats(const ir::Module& m, std::vector<TableStats>& out) {
    auto add = [&](const ir::Table& t) {
        out.push_back({t.name, ir::classifierName(t.cls.kind), t.rows.size(), t.cls.memoryBytes(),
                       t.cls.cost});
    };
    for (const ir::LayerIR& L : m.layers) {
        for (const ir::GroupIR& G : L.groups) add(G.table);
    }
    for (const ir::RouteTableIR& R : m.routes) add(R.table);
}

Expected<Generated> generateCode(const lang::Policy& policy, const CompileOptions& o,
                                 EmitKind kind, const std::string& prefix,
                                 std::vector<PassTiming>* timings) {
    ir::Module m;
    if (Status s = ir::runLowering(policy, o, m, timings); !s) return s.error();
    Generated g;
    collectStats(m, g.tables);
    llvm::LLVMContext ctx;
    std::unique_ptr<llvm::Module> mod;
    auto llvmDump = [&] { return codegen::printIr(*mod); };
    Status s = step(o, timings, "llvm-irgen", [&]() -> Status {
        mod = codegen::generate(m, prefix, ctx);
        std::string err;
        llvm::raw_string_ostream es(err);
        if (llvm::verifyModule(*mod, &es)) return makeError("internal: invalid LLVM IR: " + es.str());
        return {};
    }, llvmDump);
    if (!s) return s.error();
    auto tm = codegen::hostTargetMachine(o.optLevel);
    if (!tm) return tm.error();
    s = step(o, timings, "llvm-opt", [&]() -> Status {
        codegen::optimize(*mod, **tm, o.optLevel);
        return {};
    }, llvmDump);
    if (!s) return s.error();
    if (kind == EmitKind::Ir) {
        g.object = codegen::printIr(*mod);
        return g;
    }
    s = step(o, timings, "llvm-codegen", [&]() -> Status {
        auto code = codegen::emitMachineCode(*mod, **tm, kind == EmitKind::Asm);
        if (!code) return code.error();
        g.object = std::move(*code);
        return {};
    }, [] { return std::string("(machine code)\n"); });
    if (!s) return s.error();
    return g;
}

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

// The process-wide JIT. Each generation gets its own JITDylib and ResourceTracker, so the
// same symbol names can live in several generations and one can be removed alone.
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

class JitPolicy final : public CompiledPolicy {
public:
    ~JitPolicy() override {
        if (!engine_) return;
        std::lock_guard<std::mutex> lock(engine_->mutex());
        if (tracker_) llvm::consumeError(tracker_->remove());
        if (dylib_) llvm::consumeError(engine_->jit().getExecutionSession().removeJITDylib(*dylib_));
    }
    const sl_policy_desc* descriptor() const override { return desc_; }
    sl_pipeline_fn lookup(uint32_t port, lang::Direction dir) const override {
        const sl_entry* e = sl_policy_entry(desc_, port, static_cast<uint32_t>(dir));
        return e ? e->one : nullptr;
    }
    sl_pipeline_burst_fn lookupBurst(uint32_t port, lang::Direction dir) const override {
        const sl_entry* e = sl_policy_entry(desc_, port, static_cast<uint32_t>(dir));
        return e ? e->burst : nullptr;
    }
    uint64_t policyHash() const override { return hash_; }
    bool fromCache() const override { return fromCache_; }
    const std::vector<PassTiming>& timings() const override { return timings_; }
    const std::vector<TableStats>& tables() const override { return tables_; }
    size_t codeBytes() const override { return codeBytes_; }

    Engine* engine_ = nullptr;
    llvm::orc::JITDylib* dylib_ = nullptr;
    llvm::orc::ResourceTrackerSP tracker_;
    const sl_policy_desc* desc_ = nullptr;
    uint64_t hash_ = 0;
    bool fromCache_ = false;
    std::vector<PassTiming> timings_;
    std::vector<TableStats> tables_;
    size_t codeBytes_ = 0;
};

std::string cachePath(const CompileOptions& o, uint64_t hash) {
    std::ostringstream os;
    os << o.cacheDir << "/sluice-" << std::hex << hash << std::dec << "-O" << o.optLevel << ".o";
    return os.str();
}

}  // namespace

Expected<std::unique_ptr<CompiledPolicy>> compile(const lang::Policy& policy,
                                                  const CompileOptions& o) {
    auto engine = Engine::get();
    if (!engine) return engine.error();
    auto result = std::make_unique<JitPolicy>();
    result->hash_ = ir::policyHash(policy);
    std::string object;
    bool cacheable = !o.cacheDir.empty() && o.fault == FaultInjection::None;
    if (cacheable) {
        std::ifstream in(cachePath(o, result->hash_), std::ios::binary);
        if (in) {
            std::ostringstream ss;
            ss << in.rdbuf();
            object = ss.str();
            result->fromCache_ = !object.empty();
        }
    }
    if (object.empty()) {
        auto g = generateCode(policy, o, EmitKind::Obj, "sl", &result->timings_);
        if (!g) return g.error();
        object = std::move(g->object);
        result->tables_ = std::move(g->tables);
        if (cacheable) {
            std::error_code ec;
            std::filesystem::create_directories(o.cacheDir, ec);
            std::string path = cachePath(o, result->hash_);
            std::string tmp = path + ".tmp" + std::to_string(::getpid());
            std::ofstream out(tmp, std::ios::binary);
            out.write(object.data(), static_cast<std::streamsize>(object.size()));
            out.close();
            if (out) std::filesystem::rename(tmp, path, ec);  // atomic publish
        }
    }
    result->codeBytes_ = object.size();
    auto t0 = Clock::now();
    Engine& e = **engine;
    {
        std::lock_guard<std::mutex> lock(e.mutex());
        auto& es = e.jit().getExecutionSession();
        auto jd = es.createJITDylib("sluice.gen" + std::to_string(e.nextGeneration()));
        if (!jd) return makeError("JIT: " + errorText(jd.takeError()));
        result->engine_ = &e;
        result->dylib_ = &*jd;
        auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
            e.jit().getDataLayout().getGlobalPrefix());
        if (!gen) return makeError("JIT: " + errorText(gen.takeError()));
        jd->addGenerator(std::move(*gen));
        result->tracker_ = jd->createResourceTracker();
        auto buf = llvm::MemoryBuffer::getMemBufferCopy(object, "sluice-policy.o");
        if (auto err = e.jit().addObjectFile(result->tracker_, std::move(buf))) {
            return makeError("JIT: " + errorText(std::move(err)));
        }
        auto sym = e.jit().lookup(*jd, "sl_policy");
        if (!sym) return makeError("JIT: " + errorText(sym.takeError()));
        result->desc_ = sym->toPtr<const sl_policy_desc*>();
    }
    result->timings_.push_back({"jit-link", msSince(t0)});
    if (wantsDump(o, "jit-link")) logOf(o) << "*** linked generation, " << object.size() << " bytes\n";
    return std::unique_ptr<CompiledPolicy>(std::move(result));
}

Expected<std::string> emit(const lang::Policy& policy, EmitKind kind, const CompileOptions& o,
                           std::vector<PassTiming>* timings) {
    auto g = generateCode(policy, o, kind, o.symbolPrefix, timings);
    if (!g) return g.error();
    return std::move(g->object);
}

std::string emitHeader(const lang::Policy& policy, const CompileOptions& o) {
    std::ostringstream os;
    std::string guard = "SLUICE_GENERATED_" + o.symbolPrefix + "_H";
    for (char& c : guard) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    os << "/* Generated by `sluice compile`: entry points of one compiled policy.\n"
       << " * Policy hash " << std::hex << ir::policyHash(policy) << std::dec
       << ". ABI: sluice/abi/sl_abi.h (SL_ABI_VERSION " << SL_ABI_VERSION << "). */\n"
       << "#ifndef " << guard << "\n#define " << guard << "\n\n#include \"sluice/abi/sl_abi.h\"\n\n"
       << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
       << "extern const sl_policy_desc " << o.symbolPrefix << "_policy;\n\n";
    for (uint32_t p = 0; p < policy.ports.size(); ++p) {
        os << "/* port " << policy.ports[p].name << " */\n";
        for (const char* d : {"in", "out"}) {
            std::string n = o.symbolPrefix + "_p" + std::to_string(p) + "_" + d;
            os << "void " << n << "(const sl_meta *in, sl_result *out);\n";
            os << "void " << n << "_burst(const sl_meta *const *in, sl_result *out, uint32_t n);\n";
        }
    }
    os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
    return os.str();
}

}  // namespace sluice::compiler
