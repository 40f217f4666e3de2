// The compiler driver: one pass table, read top to bottom (Halide's Lower.cpp is the model).
// Every step of every entry point is a row of kPasses, the LLVM ones included; the table is also
// the source of passNames() and of --dump-after / --time-passes. A pass runs when its `when`
// predicate holds for the current mode (JIT, or AOT IR / assembly / object) and state (cache
// hit, validator present). The JIT engine lives in jit/engine.cpp, the object cache in
// cache/object_cache.cpp.
#include "sluice/compiler/compiler.h"

#include <chrono>
#include <iostream>
#include <optional>
#include <sstream>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include "cache/object_cache.h"
#include "codegen/codegen.h"
#include "ir/ir_hash.h"
#include "ir/keys.h"
#include "jit/engine.h"
#include "lower/lower.h"

namespace sluice::compiler {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

enum class Mode : uint8_t { Jit, Ir, Asm, Obj };

// Everything the passes read and write for one compile.
struct State {
    State(const lang::Policy& p, const CompileOptions& opts, Mode md, std::string pre)
        : policy(p), o(opts), mode(md), prefix(std::move(pre)) {}
    const lang::Policy& policy;
    const CompileOptions& o;
    Mode mode;
    std::string prefix;        // symbol prefix ("sl" in the JIT)
    bool useCache = false;     // JIT with a cache directory and no fault injection
    uint64_t key = 0;          // cache key
    ir::Module m;
    uint64_t irHash = 0;
    std::optional<cache::Entry> cached;  // an entry for exactly this IR
    bool validated = false;    // this IR passed the validator (now or when it was cached)
    ValidationReport report;
    llvm::LLVMContext ctx;
    std::unique_ptr<llvm::Module> mod;
    std::unique_ptr<llvm::TargetMachine> tm;
    std::string object;        // object file, assembly or LLVM IR text
    std::unique_ptr<jit::Generation> generation;
    std::vector<PassTiming> timings;
};

struct Pass {
    const char* name;
    bool (*when)(const State&);
    Status (*run)(State&);
    std::string (*dump)(const State&);
};

bool always(const State&) { return true; }
bool caching(const State& s) { return s.useCache; }
bool validating(const State& s) { return static_cast<bool>(s.o.validator) && !s.validated; }
bool generating(const State& s) { return !s.cached; }
bool emittingCode(const State& s) { return !s.cached && s.mode != Mode::Ir; }
bool storing(const State& s) { return s.useCache && (!s.cached || s.validated != s.cached->validated); }
bool jitting(const State& s) { return s.mode == Mode::Jit; }

std::string dumpIr(const State& s) { return ir::printModule(s.m); }
std::string dumpLlvm(const State& s) { return s.mod ? codegen::printIr(*s.mod) : std::string{}; }
std::string dumpNote(const State& s) {
    std::ostringstream os;
    os << "ir hash " << std::hex << s.irHash << std::dec << ", cache "
       << (s.cached ? (s.cached->validated ? "hit (validated)" : "hit") : "miss")
       << ", object " << (s.cached ? s.cached->object.size() : s.object.size()) << " bytes\n";
    return os.str();
}
std::string dumpReport(const State& s) {
    std::ostringstream os;
    os << s.report.tables << " tables, " << s.report.actions << " action bindings, "
       << s.report.regions << " regions (" << s.report.decidedByBoxes << " by boxes, "
       << s.report.solverQueries << " by Z3), " << s.report.failures.size() << " failures\n";
    return os.str();
}
std::string dumpMachineCode(const State&) { return "(machine code)\n"; }

Status runValidate(State& s) {
    auto r = s.o.validator(s.policy, s.m);
    if (!r) return r.error();
    s.report = std::move(*r);
    s.report.irHash = s.irHash;
    if (s.o.validationReport) *s.o.validationReport = s.report;
    if (!s.report.ok()) {
        const ValidationFailure& f = s.report.failures.front();
        return makeError("translation validation failed for table '" + f.table + "': " + f.detail +
                         " (packet: " + f.packet + ")");
    }
    s.validated = true;
    return {};
}

Status runIrgen(State& s) {
    s.mod = codegen::generate(s.m, s.prefix, s.ctx);
    std::string err;
    llvm::raw_string_ostream es(err);
    if (llvm::verifyModule(*s.mod, &es)) return makeError("internal: invalid LLVM IR: " + es.str());
    return {};
}

Status runOpt(State& s) {
    auto tm = codegen::hostTargetMachine(s.o.optLevel);
    if (!tm) return tm.error();
    s.tm = std::move(*tm);
    codegen::optimize(*s.mod, *s.tm, s.o.optLevel);
    if (s.mode == Mode::Ir) s.object = codegen::printIr(*s.mod);
    return {};
}

Status runCodegen(State& s) {
    auto code = codegen::emitMachineCode(*s.mod, *s.tm, s.mode == Mode::Asm);
    if (!code) return code.error();
    s.object = std::move(*code);
    return {};
}

Status runCacheLookup(State& s) {
    s.cached = cache::read(s.o.cacheDir, s.key);
    // An entry generated from another IR (a changed lowering, a hash collision of the key) is
    // stale: rebuild and overwrite it.
    if (s.cached && s.cached->irHash != s.irHash) s.cached.reset();
    if (s.cached) {
        s.validated = s.cached->validated;
        s.object = s.cached->object;
    }
    return {};
}

Status runCacheStore(State& s) {
    cache::write(s.o.cacheDir, s.key, {s.irHash, s.validated, s.object});
    return {};
}

Status runLink(State& s) {
    auto g = jit::link(s.object);
    if (!g) return g.error();
    s.generation = std::move(*g);
    return {};
}

// The pass table. Ordering constraints:
//  - lpm-order before prune-rows: "after a catch-all" is meant in final first-match order.
//  - prune-rows before select-classifier: classifiers are built over the kept rows only.
//  - select-classifier injects the test-only fault (CompileOptions::fault) last, so that
//    everything after it, validation included, sees the broken lowering.
//  - verify-ir before hash-ir and validate: both assume the structural invariants.
//  - hash-ir before cache-lookup: an entry is used only for the IR it was generated from.
//  - validate before llvm-irgen: no code is generated, stored or linked from a rejected IR;
//    a cache hit recorded as validated for this very IR skips it.
//  - cache-store after validate and llvm-codegen: it records whether this IR was validated.
//  - jit-link last: the generation is the result.
const Pass kPasses[] = {
    {"build-ir", always, [](State& s) { return ir::buildModule(s.policy, s.m); }, dumpIr},
    {"lpm-order", always, [](State& s) { return ir::orderLpmRows(s.m); }, dumpIr},
    {"prune-rows", always, [](State& s) { return ir::pruneRows(s.m); }, dumpIr},
    {"select-classifier", always, [](State& s) {
         Status st = ir::selectClassifiers(s.m, s.o);
         if (st && s.o.fault != FaultInjection::None) ir::injectFault(s.m, s.o.fault);
         return st;
     }, dumpIr},
    {"verify-ir", always, [](State& s) { return ir::verifyIr(s.m); }, dumpIr},
    {"hash-ir", always, [](State& s) { s.irHash = ir::moduleHash(s.m); return Status{}; }, dumpNote},
    {"cache-lookup", caching, runCacheLookup, dumpNote},
    {"validate", validating, runValidate, dumpReport},
    {"llvm-irgen", generating, runIrgen, dumpLlvm},
    {"llvm-opt", generating, runOpt, dumpLlvm},
    {"llvm-codegen", emittingCode, runCodegen, dumpMachineCode},
    {"cache-store", storing, runCacheStore, dumpNote},
    {"jit-link", jitting, runLink, dumpNote},
};

bool wantsDump(const CompileOptions& o, const std::string& pass) {
    for (const std::string& d : o.dumpAfter) {
        if (d == pass || d == "all") return true;
    }
    return false;
}

Status runPasses(State& s) {
    std::ostream& log = s.o.log ? *s.o.log : std::cerr;
    if (s.o.progress) s.o.progress->stage("compile", std::size(kPasses));
    size_t index = 0;
    for (const Pass& p : kPasses) {
        if (s.o.progress) s.o.progress->advance(index++);
        if (!p.when(s)) continue;
        auto t0 = Clock::now();
        Status st = p.run(s);
        s.timings.push_back({p.name, msSince(t0)});
        if (!st) return st;
        if (wantsDump(s.o, p.name)) log << "*** IR dump after " << p.name << " ***\n" << p.dump(s);
    }
    if (s.o.progress) s.o.progress->advance(index);
    return {};
}

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

class JitPolicy final : public CompiledPolicy {
public:
    const sl_policy_desc* descriptor() const override { return generation_->descriptor(); }
    sl_pipeline_fn lookup(uint32_t port, lang::Direction dir) const override {
        const sl_entry* e = sl_policy_entry(descriptor(), port, static_cast<uint32_t>(dir));
        return e ? e->one : nullptr;
    }
    sl_pipeline_burst_fn lookupBurst(uint32_t port, lang::Direction dir) const override {
        const sl_entry* e = sl_policy_entry(descriptor(), port, static_cast<uint32_t>(dir));
        return e ? e->burst : nullptr;
    }
    uint64_t policyHash() const override { return hash_; }
    bool fromCache() const override { return fromCache_; }
    const std::vector<PassTiming>& timings() const override { return timings_; }
    const std::vector<TableStats>& tables() const override { return tables_; }
    size_t codeBytes() const override { return codeBytes_; }
    uint64_t irHash() const override { return irHash_; }
    bool validated() const override { return validated_; }

    std::unique_ptr<jit::Generation> generation_;
    uint64_t hash_ = 0, irHash_ = 0;
    bool fromCache_ = false, validated_ = false;
    std::vector<PassTiming> timings_;
    std::vector<TableStats> tables_;
    size_t codeBytes_ = 0;
};

}  // namespace

std::vector<std::string> passNames() {
    std::vector<std::string> names;
    for (const Pass& p : kPasses) names.emplace_back(p.name);
    return names;
}

uint64_t policyHash(const lang::Policy& policy) { return ir::policyHash(policy); }

uint64_t cacheKey(const lang::Policy& policy, const CompileOptions& o) {
    uint64_t h = ir::policyHash(policy);
    for (uint64_t v : {uint64_t{o.optLevel}, uint64_t{o.treeLeafSize}, uint64_t{o.linearMax},
                       static_cast<uint64_t>(o.fault)}) {
        h = ir::hashMix(h, v);
    }
    for (const std::string* s : {&o.symbolPrefix, static_cast<const std::string*>(nullptr)}) {
        std::string text = s ? *s : codegen::hostTargetDescription();
        h = ir::hashMix(h, text.size());
        for (unsigned char c : text) h = ir::hashMix(h, c);
    }
    return h;
}

Expected<std::unique_ptr<CompiledPolicy>> compile(const lang::Policy& policy,
                                                  const CompileOptions& o) {
    // The JIT always uses the prefix "sl"; the cache key is computed for that prefix.
    CompileOptions jo = o;
    jo.symbolPrefix = "sl";
    for (int attempt = 0;; ++attempt) {
        State s{policy, jo, Mode::Jit, "sl"};
        s.useCache = !o.cacheDir.empty() && o.fault == FaultInjection::None && attempt == 0;
        if (s.useCache) s.key = cacheKey(policy, jo);
        Status st = runPasses(s);
        if (!st && s.cached && s.timings.back().pass == "jit-link") {
            // The cached object passed its checksum but does not link: treat it as corrupt,
            // rebuild without the cache (the rebuilt object then overwrites it below).
            continue;
        }
        if (!st) return st.error();
        auto result = std::make_unique<JitPolicy>();
        result->hash_ = ir::policyHash(policy);
        result->irHash_ = s.irHash;
        result->fromCache_ = s.cached.has_value();
        result->validated_ = s.validated;
        result->codeBytes_ = s.object.size();
        result->timings_ = std::move(s.timings);
        collectStats(s.m, result->tables_);
        result->generation_ = std::move(s.generation);
        if (attempt > 0 && !o.cacheDir.empty() && o.fault == FaultInjection::None)
            cache::write(o.cacheDir, cacheKey(policy, jo), {s.irHash, s.validated, s.object});
        return std::unique_ptr<CompiledPolicy>(std::move(result));
    }
}

Expected<std::string> emit(const lang::Policy& policy, EmitKind kind, const CompileOptions& o,
                           std::vector<PassTiming>* timings) {
    Mode mode = kind == EmitKind::Ir ? Mode::Ir : kind == EmitKind::Asm ? Mode::Asm : Mode::Obj;
    State s{policy, o, mode, o.symbolPrefix};
    Status st = runPasses(s);
    if (timings) *timings = s.timings;
    if (!st) return st.error();
    return std::move(s.object);
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

namespace sluice::ir {

// The IR passes of the table alone (build-ir .. verify-ir), for white-box tests and tools that
// need the lowered module without code.
Status runLowering(const lang::Policy& policy, const compiler::CompileOptions& o, Module& out,
                   std::vector<compiler::PassTiming>* timings) {
    compiler::CompileOptions lo = o;
    lo.validator = nullptr;
    compiler::State s{policy, lo, compiler::Mode::Ir, lo.symbolPrefix};
    std::ostream& log = lo.log ? *lo.log : std::cerr;
    for (const compiler::Pass& p : compiler::kPasses) {
        if (std::string(p.name) == "hash-ir") break;
        auto t0 = compiler::Clock::now();
        Status st = p.run(s);
        if (timings) timings->push_back({p.name, compiler::msSince(t0)});
        if (!st) return st;
        if (compiler::wantsDump(lo, p.name)) log << "*** IR dump after " << p.name << " ***\n" << p.dump(s);
    }
    out = std::move(s.m);
    return {};
}

}  // namespace sluice::ir
