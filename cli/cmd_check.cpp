// `sluice check FILE...`: parse, resolve and type-check; report every diagnostic.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"

namespace sluice::cli {
namespace {

struct CheckOptions {
    std::vector<std::string> files;
    bool json = false;
};

int runCheck(const CheckOptions& options) {
    nlohmann::json report = {{"files", nlohmann::json::array()}};
    size_t errors = 0, warnings = 0;
    for (const auto& file : options.files) {
        lang::Frontend frontend(frontendOptions());
        auto policy = loadPolicyOrReport(frontend, file, options.json);
        errors += frontend.diags().errorCount();
        warnings += frontend.diags().warningCount();
        if (options.json) {
            report["files"].push_back({{"file", file},
                                       {"ok", policy != nullptr},
                                       {"diagnostics", nlohmann::json::parse(frontend.diags().toJson())}});
        }
    }
    if (options.json) {
        report["errors"] = errors;
        report["warnings"] = warnings;
        std::cout << report.dump(2) << "\n";
    } else if (errors || warnings) {
        std::cerr << errors << " error(s), " << warnings << " warning(s)\n";
    }
    return errors ? kExitInputError : kExitOk;
}

void setupCheck(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<CheckOptions>();
    auto* cmd = app.add_subcommand("check", "Parse, resolve and type-check policy files");
    cmd->add_option("files", options->files, "Policy files (.sl)")->required()->check(CLI::ExistingFile);
    cmd->add_flag("--json", options->json, "Machine-readable report on stdout");
    cmd->callback([options, &exitCode] { exitCode = runCheck(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("check", setupCheck);

}  // namespace sluice::cli
