// `sluice import classbench FILE [-o OUT]`: turn a ClassBench rule set into a policy.
// `sluice import iptables FILE... [-o OUT] [--port NAME] [--lossy]`: iptables-save output.
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.h"
#include "sluice/lang/classbench.h"
#include "sluice/lang/frontend.h"
#include "sluice/lang/iptables.h"

namespace sluice::cli {
namespace {

struct ImportOptions {
    std::string file;
    std::string out;
};

struct IptablesOptions {
    std::vector<std::string> files;
    std::string out;
    std::string port = "host";
    bool lossy = false;
};

// Writes `text` to `path` ("" or "-": stdout).
int writeOutput(const std::string& path, const std::string& text) {
    if (path.empty() || path == "-") {
        std::cout << text;
        return kExitOk;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        std::cerr << path << ": error: cannot write file\n";
        return kExitInputError;
    }
    return kExitOk;
}

int runImportIptables(const IptablesOptions& options) {
    auto sources = std::make_shared<lang::SourceManager>();
    std::vector<lang::IptablesInput> inputs;
    std::vector<uint32_t> ids;
    for (const std::string& file : options.files) {
        auto text = readInputOrReport(file, kRuleSetLimits);
        if (!text) return kExitInputError;
        ids.push_back(sources->add(file, *text));
        inputs.push_back({file, std::move(*text)});
    }
    lang::DiagnosticEngine diags(sources);
    lang::IptablesImportOptions importOptions;
    importOptions.portName = options.port;
    importOptions.lossy = options.lossy;
    auto text = lang::importIptables(inputs, ids, importOptions, diags);
    diags.printText(std::cerr, globalOptions().color);
    if (!text) return kExitInputError;
    // The import must produce a policy that loads; if it does not, that is our bug, said so.
    lang::Frontend frontend(frontendOptions());
    if (!frontend.loadString("<imported policy>", *text)) {
        std::cerr << "error: internal: the imported policy does not load; please report this with "
                     "the input file\n";
        frontend.diags().printText(std::cerr, globalOptions().color);
        return kExitInputError;
    }
    return writeOutput(options.out, *text);
}

int runImportClassBench(const ImportOptions& options) {
    auto input = readInputOrReport(options.file, kRuleSetLimits);
    if (!input) return kExitInputError;
    std::istringstream in(std::move(*input));
    auto text = lang::importClassBench(in, options.file);
    if (!text) {
        std::cerr << text.error().str() << "\n";
        return kExitInputError;
    }
    return writeOutput(options.out, *text);
}

void setupImport(CLI::App& app, int& exitCode) {
    auto* cmd = app.add_subcommand("import", "Convert rule sets from other formats into Sluice");
    cmd->require_subcommand(1);
    auto options = std::make_shared<ImportOptions>();
    auto* classbench = cmd->add_subcommand("classbench", "ClassBench filter set (one port p0, layer acl)");
    classbench->add_option("file", options->file, "ClassBench rule file")->required();
    classbench->add_option("-o,--output", options->out, "Output policy file (default: stdout)");
    classbench->callback([options, &exitCode] { exitCode = runImportClassBench(*options); });

    auto ipt = std::make_shared<IptablesOptions>();
    auto* iptables = cmd->add_subcommand(
        "iptables", "iptables-save / ip6tables-save output, filter table (INPUT: a port's inbound "
                    "side, OUTPUT: its outbound side; docs/import.md)");
    iptables->add_option("file", ipt->files, "iptables-save file(s); an ip6tables-save file may follow")
        ->required();
    iptables->add_option("-o,--output", ipt->out, "Output policy file (default: stdout)");
    iptables->add_option("--port", ipt->port, "Port for interfaces no rule names")->capture_default_str();
    iptables->add_flag("--lossy", ipt->lossy,
                       "Leave out what cannot be imported (warnings) instead of failing");
    iptables->callback([ipt, &exitCode] { exitCode = runImportIptables(*ipt); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("import", setupImport);

}  // namespace sluice::cli
