// `sluice proptest FILE [--cases N] [--seed S] [--port P] [--json]`: random packets biased to
// rule boundaries through the generated code and the reference interpreter, every port and
// direction. A mismatch prints the packet, both results and the interpreter's trace; exit 3.
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "progress_bar.h"
#include "sluice/compiler/compare.h"
#include "sluice/compiler/compiler.h"
#include "sluice/compiler/meta.h"
#include "sluice/compiler/sampler.h"

namespace sluice::cli {
namespace {

struct PropOptions {
    std::string file;
    uint64_t cases = 10000;
    uint64_t seed = 1;
    bool json = false;
    bool quiet = false;
};

int runProptest(const PropOptions& o) {
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, o.file, o.json);
    if (!policy) return kExitInputError;
    ProgressBar progress(std::cerr, "proptest", !o.quiet && ProgressBar::terminal());
    compiler::CompileOptions co;
    co.progress = &progress;
    auto compiled = compiler::compile(*policy, co);
    if (!compiled) {
        std::cerr << o.file << ": error: " << compiled.error().str() << "\n";
        return kExitInputError;
    }
    const sl_policy_desc& desc = *(*compiled)->descriptor();
    interp::Interpreter interp(policy);
    compiler::BoundarySampler sampler(*policy, o.seed);
    uint64_t checked = 0;
    progress.stage("cases", o.cases);
    for (uint64_t i = 0; i < o.cases; ++i) {
        progress.advance(i);
        lang::Headers h = sampler.next();
        sl_meta m = compiler::toMeta(h);
        for (uint32_t port = 0; port < policy->ports.size(); ++port) {
            for (auto dir : {lang::Direction::In, lang::Direction::Out}) {
                interp.clearSessions();
                interp::Result want = interp.evaluate(port, dir, h);
                sl_result got;
                (*compiled)->lookup(port, dir)(&m, &got);
                ++checked;
                auto diff = compiler::compareResults(*policy, desc, port, dir, got, want);
                if (!diff) continue;
                progress.finish();  // the line is cleared before the report
                std::string packet = lang::formatPacketText(h);
                if (o.json) {
                    nlohmann::json j = {{"ok", false}, {"case", i}, {"seed", o.seed},
                                        {"port", policy->ports[port].name},
                                        {"dir", lang::directionName(dir)}, {"packet", packet},
                                        {"difference", *diff},
                                        {"compiled", compiler::resultText(*policy, desc, got)},
                                        {"interpreter", nlohmann::json::parse(interp::resultToJson(*policy, port, dir, want))}};
                    printJson(std::cout, j, -1);
                } else {
                    std::cout << "MISMATCH (case " << i << ", seed " << o.seed << ") port "
                              << policy->ports[port].name << " " << lang::directionName(dir)
                              << "\n  packet: " << packet << "\n  difference: " << *diff
                              << "\n--- generated code:\n  " << compiler::resultText(*policy, desc, got)
                              << "--- interpreter (trace):\n"
                              << interp::resultToText(*policy, port, dir, want) << "\n";
                }
                return kExitViolation;
            }
        }
    }
    progress.advance(o.cases);
    progress.finish();
    if (o.json) {
        printJson(std::cout, {{"ok", true}, {"cases", o.cases}, {"checks", checked}, {"seed", o.seed}}, -1);
    } else {
        std::cout << "ok: " << o.cases << " packets, " << checked
                  << " (port, direction) checks agree with the interpreter (seed " << o.seed << ")\n";
    }
    return kExitOk;
}

void setupProptest(CLI::App& app, int& exitCode) {
    auto o = std::make_shared<PropOptions>();
    auto* cmd = app.add_subcommand("proptest", "Random boundary packets: generated code vs interpreter");
    cmd->add_option("file", o->file, "Policy file (.sl)")->required();
    cmd->add_option("--cases", o->cases, "Number of packets (default 10000)");
    cmd->add_option("--seed", o->seed, "Random seed (default 1)");
    cmd->add_flag("--json", o->json, "JSON output");
    cmd->add_flag("--quiet", o->quiet, "No progress bar (shown on a terminal's stderr otherwise)");
    cmd->callback([o, &exitCode] { exitCode = runProptest(*o); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("proptest", setupProptest);

}  // namespace sluice::cli
