// `sluice fmt FILE...`: the canonical printer. Prints to stdout, rewrites with --in-place, or
// with --check lists the files that are not formatted (exit 1).
#include <fstream>
#include <iostream>

#include "command.h"

namespace sluice::cli {
namespace {

struct FmtOptions {
    std::vector<std::string> files;
    bool inPlace = false;
    bool check = false;
};

std::string readAll(const std::string& path) {
    return readInputFile(path, kPolicyFileLimits).text;  // formatFile has just read it
}

int runFmt(const FmtOptions& options) {
    int exitCode = kExitOk;
    for (const auto& file : options.files) {
        lang::Frontend frontend(frontendOptions());
        std::string formatted;
        if (!frontend.formatFile(file, formatted)) {
            frontend.diags().printText(std::cerr, globalOptions().color);
            exitCode = kExitInputError;
            continue;
        }
        if (options.check) {
            if (formatted != readAll(file)) {
                std::cout << file << "\n";
                exitCode = kExitInputError;
            }
        } else if (options.inPlace) {
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out << formatted;
            if (!out) {
                std::cerr << file << ": error: cannot write file\n";
                exitCode = kExitInputError;
            }
        } else {
            std::cout << formatted;
        }
    }
    return exitCode;
}

void setupFmt(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<FmtOptions>();
    auto* cmd = app.add_subcommand("fmt", "Print policy files in canonical form");
    cmd->add_option("files", options->files, "Policy files (.sl)")->required();
    auto* inPlace = cmd->add_flag("-i,--in-place", options->inPlace, "Rewrite the files");
    cmd->add_flag("--check", options->check, "List unformatted files; exit 1 if any")->excludes(inPlace);
    cmd->callback([options, &exitCode] { exitCode = runFmt(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("fmt", setupFmt);

}  // namespace sluice::cli
