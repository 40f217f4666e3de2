// The Sluice compiler's public interface: policy -> native per-(port, direction) functions
// behind the C ABI of sluice/abi/sl_abi.h. No LLVM type appears here (DESIGN.md 2).
//
//   auto compiled = sluice::compiler::compile(policy, {});
//   sl_pipeline_fn f = (*compiled)->lookup(port, lang::Direction::Out);
//   sl_result r; f(&meta, &r);
//
// Each CompiledPolicy is one generation in the process-wide JIT: its code is removed (ORC
// ResourceTracker) when the object is destroyed, so the runtime keeps the old generation alive
// until its RCU grace period ends and then drops it.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "sluice/abi/sl_abi.h"
#include "sluice/lang/model.h"
#include "sluice/support/expected.h"
#include "sluice/support/progress.h"

namespace sluice::ir {
struct Module;  // the pipeline IR (internal; validators read it through sluice_compiler_internal)
}

namespace sluice::compiler {

// Test-only corruption of the lowering, to prove translation validation catches it.
enum class FaultInjection : uint8_t {
    None,
    DropLeafRow,   // a tree leaf / linear table loses a row; a hash slot / interval is cleared
    ShiftBound,    // one row's interval bound moves by one
    WrongAction,   // a rule's action index points at another action (or the default's)
    IgnoreAudit,   // audit layers lowered as ordinary layers (their would-denies drop)
    DropLog,       // `log` flags lost in the lowering (log_mask and sl_rule_info.log stay 0)
};

// Translation validation of one lowered module (see validate.h for the Z3/box validator).
struct ValidationFailure {
    std::string table;   // "layer/out/group", "routes/NAME", "actions/..." or "pipelines/..."
    std::string packet;  // packet text of a witness ("-" when the failure is not about packets)
    std::string detail;  // source vs lowered answer
};

struct ValidationReport {
    size_t tables = 0;          // classifier tables checked
    size_t actions = 0;         // rule / default / route-hop bindings checked
    size_t regions = 0;         // regions (tree leaves, segments, whole tables) decided
    size_t decidedByBoxes = 0;  // ... by exact box arithmetic or concrete checks
    size_t solverQueries = 0;   // ... by Z3
    double ms = 0;
    uint64_t irHash = 0;        // the IR module that was validated (ir::moduleHash)
    std::vector<ValidationFailure> failures;
    bool ok() const { return failures.empty(); }
};

// A validator of the very ir::Module that codegen lowers, run by compile()/emit() as the
// `validate` pass (after verify-ir, before llvm-irgen). Returns the report (failures inside);
// an Error only when it could not run.
using IrValidator =
    std::function<Expected<ValidationReport>(const lang::Policy&, const ir::Module&)>;

struct CompileOptions {
    unsigned optLevel = 2;          // LLVM optimisation level 0..3
    std::string cacheDir;           // object cache directory keyed by policy hash; empty: off
    std::vector<std::string> dumpAfter;  // pass names (or "all") whose IR is printed to `log`
    bool timePasses = false;        // per-pass wall time into the timings
    std::ostream* log = nullptr;    // dumps go here (std::cerr when null)
    std::string symbolPrefix = "sl";  // AOT: symbols are PREFIX_p<port>_<in|out>[_burst]
    unsigned treeLeafSize = 8;      // HyperSplit binth
    unsigned linearMax = 6;         // tables up to this many rows may stay linear
    FaultInjection fault = FaultInjection::None;
    // Translation validation (empty: none). When set, nothing is emitted or linked unless the
    // validator accepts the module; a cached object is used only if it records the hash of
    // the IR being compiled and that this IR was validated.
    IrValidator validator;
    ValidationReport* validationReport = nullptr;  // filled when the validator ran (even on failure)
    Progress* progress = nullptr;  // told each pass as it starts (stage "compile")
};

struct PassTiming {
    std::string pass;
    double ms = 0;
};

// Statistics of the lowering, per table (for dumps, the bench and the README).
struct TableStats {
    std::string table;
    std::string classifier;
    size_t rows = 0;
    size_t memoryBytes = 0;
    double cost = 0;
};

class CompiledPolicy {
public:
    virtual ~CompiledPolicy() = default;
    virtual const sl_policy_desc* descriptor() const = 0;
    virtual sl_pipeline_fn lookup(uint32_t port, lang::Direction dir) const = 0;
    virtual sl_pipeline_burst_fn lookupBurst(uint32_t port, lang::Direction dir) const = 0;
    virtual uint64_t policyHash() const = 0;
    virtual bool fromCache() const = 0;  // loaded from the object cache (no LLVM codegen)
    virtual const std::vector<PassTiming>& timings() const = 0;
    virtual const std::vector<TableStats>& tables() const = 0;
    virtual size_t codeBytes() const = 0;  // object size of the generation
    virtual uint64_t irHash() const = 0;   // hash of the IR module the code was generated from
    virtual bool validated() const = 0;    // that IR passed the validator (now or when cached)
};

// Compiles into the process-wide JIT. The policy is only read during the call. With
// options.validator set, a rejected module is an error naming the first failing table.
Expected<std::unique_ptr<CompiledPolicy>> compile(const lang::Policy& policy,
                                                  const CompileOptions& options = {});

enum class EmitKind : uint8_t { Ir, Asm, Obj };
// Ahead-of-time: LLVM IR text, assembly or an ELF object for the host, exporting the
// functions and the descriptor `PREFIX_policy` (sl_policy_desc).
Expected<std::string> emit(const lang::Policy& policy, EmitKind kind,
                           const CompileOptions& options = {},
                           std::vector<PassTiming>* timings = nullptr);
// The C header declaring what `emit` exports.
std::string emitHeader(const lang::Policy& policy, const CompileOptions& options = {});

// Names of the passes in order (for --dump-after and --time-passes help): the driver's pass
// table (compiler.cpp), LLVM steps included.
std::vector<std::string> passNames();

// Content hash of a policy (part of the object cache key).
uint64_t policyHash(const lang::Policy& policy);

// The object cache key: the policy hash, the compiler/IR version, every option that changes
// code (opt level, leaf size, linear limit, symbol prefix) and the host CPU and features.
uint64_t cacheKey(const lang::Policy& policy, const CompileOptions& options);

}  // namespace sluice::compiler
