// `sluice import classbench FILE [-o OUT]`: turn a ClassBench rule set into a policy.
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.h"
#include "sluice/lang/classbench.h"

namespace sluice::cli {
namespace {

struct ImportOptions {
    std::string file;
    std::string out;
};

int runImportClassBench(const ImportOptions& options) {
    auto input = readInputOrReport(options.file, kRuleSetLimits);
    if (!input) return kExitInputError;
    std::istringstream in(std::move(*input));
    auto text = lang::importClassBench(in, options.file);
    if (!text) {
        std::cerr << text.error().str() << "\n";
        return kExitInputError;
    }
    if (options.out.empty() || options.out == "-") {
        std::cout << *text;
        return kExitOk;
    }
    std::ofstream out(options.out, std::ios::binary | std::ios::trunc);
    out << *text;
    if (!out) {
        std::cerr << options.out << ": error: cannot write file\n";
        return kExitInputError;
    }
    return kExitOk;
}

void setupImport(CLI::App& app, int& exitCode) {
    auto* cmd = app.add_subcommand("import", "Convert rule sets from other formats into Sluice");
    cmd->require_subcommand(1);
    auto options = std::make_shared<ImportOptions>();
    auto* classbench = cmd->add_subcommand("classbench", "ClassBench filter set (one port p0, layer acl)");
    classbench->add_option("file", options->file, "ClassBench rule file")->required();
    classbench->add_option("-o,--output", options->out, "Output policy file (default: stdout)");
    classbench->callback([options, &exitCode] { exitCode = runImportClassBench(*options); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("import", setupImport);

}  // namespace sluice::cli
