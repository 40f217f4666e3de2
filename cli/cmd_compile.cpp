// `sluice compile FILE [--emit ir|asm|obj] [-o OUT] [--header H] [--no-validate]
//                      [--dump-after PASS]... [--time-passes] [--prefix P] [--json]`
// Lowers once, translation-validates that very IR (the `validate` pass; on by default: exit 3
// naming the table and a packet when the lowering differs from the source semantics) and
// compiles it; an object file (--emit obj -o X.o) gets its artifact descriptor X.o.desc
// (what `sluice run` needs to run it without the policy). Without --emit the policy
// is JIT-compiled (a check that native code can be produced) and a summary is printed.
#include <fstream>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "progress_bar.h"
#include "sluice/artifact/descriptor_file.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/describe.h"
#include "sluice/compiler/validate.h"

namespace sluice::cli {
namespace {

struct CompileCliOptions {
    std::string file, emit, out, header, prefix = "sl", fault;
    std::vector<std::string> dumpAfter;
    bool noValidate = false, timePasses = false, json = false, quiet = false;
    unsigned opt = 2;
};

void printTimings(const std::vector<compiler::PassTiming>& ts) {
    double total = 0;
    std::cerr << "=== pass timings ===\n";
    for (const auto& t : ts) {
        std::cerr << "  " << std::left << std::setw(20) << t.pass << std::right << std::fixed
                  << std::setprecision(2) << std::setw(10) << t.ms << " ms\n";
        total += t.ms;
    }
    std::cerr << "  " << std::left << std::setw(20) << "total" << std::right << std::setw(10) << total << " ms\n";
}

int runCompile(const CompileCliOptions& o) {
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, o.file, o.json);
    if (!policy) return kExitInputError;
    compiler::CompileOptions co;
    co.optLevel = o.opt;
    co.dumpAfter = o.dumpAfter;
    co.timePasses = o.timePasses;
    co.symbolPrefix = o.prefix;
    ProgressBar progress(std::cerr, "compile", !o.quiet && ProgressBar::terminal());
    co.progress = &progress;
    if (o.fault == "drop-leaf-row") co.fault = compiler::FaultInjection::DropLeafRow;
    if (o.fault == "shift-bound") co.fault = compiler::FaultInjection::ShiftBound;
    if (o.fault == "wrong-action") co.fault = compiler::FaultInjection::WrongAction;
    if (o.fault == "ignore-audit") co.fault = compiler::FaultInjection::IgnoreAudit;
    if (o.fault == "drop-log") co.fault = compiler::FaultInjection::DropLog;
    nlohmann::json js;
    js["file"] = o.file;
    // Validation is the `validate` pass of the one lowering that codegen uses.
    compiler::ValidationReport report;
    bool validatorRan = false;
    if (!o.noValidate) {
        co.validator = [&validatorRan, inner = compiler::translationValidator()](
                           const lang::Policy& p, const ir::Module& m) {
            validatorRan = true;
            return inner(p, m);
        };
        co.validationReport = &report;
    }
    // Reports the validation; false when it rejected the module (exit 3).
    auto reportValidation = [&]() {
        if (!validatorRan) return true;
        js["validation"] = {{"tables", report.tables}, {"actions", report.actions},
                            {"regions", report.regions}, {"decided_by_boxes", report.decidedByBoxes},
                            {"solver_queries", report.solverQueries}, {"ms", report.ms},
                            {"ok", report.ok()}};
        if (!report.ok()) {
            for (const auto& f : report.failures) {
                std::cerr << o.file << ": error: translation validation failed for table '"
                          << f.table << "': " << f.detail << "\n  packet: " << f.packet << "\n";
                js["validation"]["failures"].push_back({{"table", f.table}, {"packet", f.packet}, {"detail", f.detail}});
            }
            if (o.json) printJson(std::cout, js, -1);
            return false;
        }
        if (!o.json) {
            std::cerr << "validated " << report.tables << " tables and " << report.actions
                      << " bindings: " << report.regions << " regions, " << report.decidedByBoxes
                      << " by box arithmetic, " << report.solverQueries << " by Z3, in " << std::fixed
                      << std::setprecision(1) << report.ms << " ms\n";
        }
        return true;
    };
    std::vector<compiler::PassTiming> timings;
    if (!o.emit.empty()) {
        compiler::EmitKind kind = o.emit == "ir" ? compiler::EmitKind::Ir
                                  : o.emit == "asm" ? compiler::EmitKind::Asm : compiler::EmitKind::Obj;
        auto code = compiler::emit(*policy, kind, co, &timings);
        progress.finish();
        if (!reportValidation()) return kExitViolation;
        if (!code) {
            std::cerr << o.file << ": error: " << code.error().str() << "\n";
            return kExitInputError;
        }
        std::string out = o.out.empty() ? (o.emit == "obj" ? "out.o" : "-") : o.out;
        if (out == "-") {
            std::cout << *code;
        } else {
            std::ofstream f(out, std::ios::binary);
            f.write(code->data(), static_cast<std::streamsize>(code->size()));
            if (!f) {
                std::cerr << "sluice compile: error: cannot write " << out << "\n";
                return kExitUsage;
            }
        }
        // An object file gets its artifact descriptor beside it (OUT.desc): with it,
        // `sluice run` runs the object without the policy (docs/operations.md).
        if (kind == compiler::EmitKind::Obj && out != "-") {
            artifact::Descriptor desc = compiler::describe(*policy);
            desc.objectCrc = artifact::crc32c(*code);
            const std::string descPath = artifact::descriptorPathFor(out);
            if (Status s = artifact::writeFile(descPath, desc); !s) {
                std::cerr << "sluice compile: error: " << s.error().str() << "\n";
                return kExitUsage;
            }
            js["descriptor"] = descPath;
        }
        std::string header = o.header;
        if (header.empty() && out != "-") header = out.substr(0, out.rfind('.')) + ".h";
        if (!header.empty()) {
            std::ofstream h(header);
            h << compiler::emitHeader(*policy, co);
        }
        js["output"] = out;
        js["header"] = header;
    } else {
        auto compiled = compiler::compile(*policy, co);
        progress.finish();
        if (!reportValidation()) return kExitViolation;
        if (!compiled) {
            std::cerr << o.file << ": error: " << compiled.error().str() << "\n";
            return kExitInputError;
        }
        timings = (*compiled)->timings();
        js["from_cache"] = (*compiled)->fromCache();
        js["code_bytes"] = (*compiled)->codeBytes();
        for (const auto& t : (*compiled)->tables()) {
            js["tables"].push_back({{"table", t.table}, {"classifier", t.classifier}, {"rows", t.rows},
                                    {"memory_bytes", t.memoryBytes}});
        }
        if (!o.json) {
            std::cout << "compiled " << policy->ports.size() << " ports, "
                      << (*compiled)->tables().size() << " tables, " << (*compiled)->codeBytes()
                      << " bytes of object code\n";
            for (const auto& t : (*compiled)->tables()) {
                std::cout << "  " << t.table << ": " << t.classifier << ", " << t.rows << " rows, "
                          << t.memoryBytes << " bytes\n";
            }
        }
    }
    double total = 0;
    for (const auto& t : timings) {
        js["timings"].push_back({{"pass", t.pass}, {"ms", t.ms}});  // pass names are data, not keys
        total += t.ms;
    }
    js["compile_ms"] = total;
    if (o.timePasses) printTimings(timings);
    if (o.json) printJson(std::cout, js, -1);
    return kExitOk;
}

void setupCompile(CLI::App& app, int& exitCode) {
    auto o = std::make_shared<CompileCliOptions>();
    auto* cmd = app.add_subcommand("compile", "Compile a policy to native code (translation-validated)");
    cmd->add_option("file", o->file, "Policy file (.sl)")->required();
    cmd->add_option("--emit", o->emit, "Ahead of time: ir, asm or obj")->check(CLI::IsMember({"ir", "asm", "obj"}));
    cmd->add_option("-o,--output", o->out, "Output file ('-' for stdout)");
    cmd->add_option("--header", o->header, "C header to write (default: OUT with .h)");
    cmd->add_option("--prefix", o->prefix, "Symbol prefix of the AOT object (default sl)");
    cmd->add_option("-O", o->opt, "LLVM optimisation level 0-3 (default 2)")->check(CLI::Range(0, 3));
    cmd->add_option("--dump-after", o->dumpAfter, "Print the IR after PASS (repeatable; 'all')");
    cmd->add_flag("--time-passes", o->timePasses, "Print the time of every pass");
    cmd->add_flag("--no-validate", o->noValidate, "Skip translation validation");
    cmd->add_option("--inject-fault", o->fault, "Testing only: break the lowering (drop-leaf-row, shift-bound, wrong-action, ignore-audit, drop-log)")
        ->check(CLI::IsMember({"drop-leaf-row", "shift-bound", "wrong-action"}))->group("");
    cmd->add_flag("--json", o->json, "JSON summary");
    cmd->add_flag("--quiet", o->quiet, "No progress bar (shown on a terminal's stderr otherwise)");
    cmd->callback([o, &exitCode] {
        for (const auto& p : o->dumpAfter) {
            auto names = compiler::passNames();
            if (p != "all" && std::find(names.begin(), names.end(), p) == names.end()) {
                std::cerr << "sluice compile: error: unknown pass '" << p << "'; passes:";
                for (const auto& n : names) std::cerr << " " << n;
                std::cerr << "\n";
                exitCode = kExitUsage;
                return;
            }
        }
        exitCode = runCompile(*o);
    });
}

}  // namespace

SLUICE_REGISTER_COMMAND("compile", setupCompile);

}  // namespace sluice::cli
