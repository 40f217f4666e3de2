// `sluice check FILE... [--json|--sarif]`: parse, resolve and type-check; report every
// diagnostic. Exit 1 when a file has errors (a missing or unreadable file is one).
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "sarif.h"

namespace sluice::cli {
namespace {

struct CheckOptions {
    std::vector<std::string> files;
    bool json = false;
    bool sarif = false;
};

int runCheck(const CheckOptions& options) {
    nlohmann::json report = {{"files", nlohmann::json::array()}};
    size_t errors = 0, warnings = 0;
    bool machine = options.json || options.sarif;
    std::vector<std::unique_ptr<lang::Frontend>> frontends;  // SARIF reads them all at the end
    for (const auto& file : options.files) {
        auto& frontend = *frontends.emplace_back(std::make_unique<lang::Frontend>(frontendOptions()));
        auto policy = loadPolicyOrReport(frontend, file, machine);
        errors += frontend.diags().errorCount();
        warnings += frontend.diags().warningCount();
        if (options.json) {
            report["files"].push_back({{"file", file},
                                       {"ok", policy != nullptr},
                                       {"diagnostics", nlohmann::json::parse(frontend.diags().toJson())}});
        }
        if (!options.sarif) frontends.clear();
    }
    if (options.sarif) {
        std::vector<const lang::DiagnosticEngine*> engines;
        for (const auto& f : frontends) engines.push_back(&f->diags());
        std::cout << diagnosticsToSarif(engines).dump(2) << "\n";
    } else if (options.json) {
        report["errors"] = errors;
        report["warnings"] = warnings;
        printJson(std::cout, report);
    } else if (errors || warnings) {
        std::cerr << errors << " error(s), " << warnings << " warning(s)\n";
    }
    return errors ? kExitInputError : kExitOk;
}

void setupCheck(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<CheckOptions>();
    auto* cmd = app.add_subcommand("check", "Parse, resolve and type-check policy files");
    cmd->add_option("files", options->files, "Policy files (.sl)")->required();
    auto* json = cmd->add_flag("--json", options->json, "Machine-readable report on stdout");
    cmd->add_flag("--sarif", options->sarif, "SARIF 2.1.0 log on stdout (CI code scanning)")
        ->excludes(json);
    cmd->callback([options, &exitCode] { exitCode = runCheck(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("check", setupCheck);

}  // namespace sluice::cli
