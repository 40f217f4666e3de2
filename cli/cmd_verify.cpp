// `sluice verify FILE [--json|--sarif]`: the verifier's checks and the policy's assertions.
// Exit 0 when no finding has error severity, 3 when one does (a violation), 1 when the policy
// has input errors, 2 on usage errors.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "progress_bar.h"
#include "sarif.h"
#include "sluice/verify/verifier.h"

namespace sluice::cli {
namespace {

struct VerifyCliOptions {
    std::string file;
    bool json = false;
    bool sarif = false;
    bool noConflicts = false;
    bool naive = false;
    bool quiet = false;
    size_t maxFindings = verify::kDefaultMaxFindingsPerKind;
    size_t memoryBudget = verify::VerifyOptions{}.memoryBudgetMB;
};

int runVerify(const VerifyCliOptions& o) {
    if (o.json && o.sarif) {
        std::cerr << "sluice verify: --json and --sarif are exclusive\n";
        return kExitUsage;
    }
    bool machine = o.json || o.sarif;
    lang::Frontend frontend(frontendOptions());
    auto policy = loadPolicyOrReport(frontend, o.file, machine);
    if (!policy) {
        if (o.json) {
            nlohmann::json j{{"file", o.file},
                             {"ok", false},
                             {"findings", nlohmann::json::array()},
                             {"diagnostics", nlohmann::json::parse(frontend.diags().toJson())}};
            printJson(std::cout, j);
        } else if (o.sarif) {
            std::cout << diagnosticsToSarif({&frontend.diags()}).dump(2) << "\n";
        }
        return kExitInputError;
    }
    verify::VerifyOptions vo;
    vo.conflicts = !o.noConflicts;
    vo.useGeometry = !o.naive;
    vo.memoryBudgetMB = o.memoryBudget;
    ProgressBar progress(std::cerr, "verify", !o.quiet && ProgressBar::terminal());
    vo.progress = &progress;
    verify::Report report = verify::verifyPolicy(policy, vo);
    progress.finish();
    if (o.json) {
        auto j = nlohmann::json::parse(verify::reportToJson(*policy, report, o.maxFindings));
        j["file"] = o.file;
        j["diagnostics"] = nlohmann::json::parse(frontend.diags().toJson());
        printJson(std::cout, j);
    } else if (o.sarif) {
        std::cout << verify::reportToSarif(*policy, report, o.maxFindings) << "\n";
    } else {
        verify::printReport(std::cerr, *policy, report, globalOptions().color, o.maxFindings);
    }
    return report.hasErrors() ? kExitViolation : kExitOk;
}

void setupVerify(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<VerifyCliOptions>();
    auto* cmd = app.add_subcommand(
        "verify", "Prove properties of a policy with Z3: shadowed/redundant/conflicting rules, "
                  "routes, ECMP, credits and the policy's assertions");
    cmd->add_option("file", options->file, "Policy file (.sl)")->required();
    cmd->add_flag("--json", options->json, "JSON report on stdout");
    cmd->add_flag("--sarif", options->sarif, "SARIF 2.1.0 log on stdout (CI code scanning)");
    cmd->add_flag("--no-conflicts", options->noConflicts, "Skip the conflict warnings");
    cmd->add_option("--max-findings", options->maxFindings,
                    "Show at most N findings of each kind, count the rest (0: all)")
        ->capture_default_str();
    cmd->add_option("--memory-budget", options->memoryBudget,
                    "Memory budget in MB; a check exceeding it stops with V014 naming it (0: none)")
        ->capture_default_str();
    cmd->add_flag("--quiet", options->quiet, "No progress bar (shown on a terminal's stderr otherwise)");
    cmd->add_flag("--naive", options->naive,
                  "Ask Z3 every rule question (no geometric index); for comparison");
    cmd->callback([options, &exitCode] { exitCode = runVerify(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("verify", setupVerify);

}  // namespace sluice::cli
