// `sluice import classbench FILE [-o OUT]`: turn a ClassBench rule set into a policy.
// `sluice import iptables FILE... [-o OUT] [--port NAME] [--lossy]`: iptables-save output.
// `sluice import security-groups FILE [--interfaces FILE] [-o OUT] [--lossy] [--vni N]`: AWS
// or OpenStack security-group JSON.
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.h"
#include "sluice/lang/classbench.h"
#include "sluice/lang/frontend.h"
#include "sluice/lang/iptables.h"
#include "sluice/lang/security_groups.h"

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

struct SecurityGroupOptions {
    std::string file;
    std::string interfaces;
    std::string out;
    bool lossy = false;
    uint32_t vni = 1;
};

// The import must produce a policy that loads; if it does not, that is our bug, said so.
bool importedPolicyLoads(const std::string& text) {
    lang::Frontend frontend(frontendOptions());
    if (frontend.loadString("<imported policy>", text)) return true;
    std::cerr << "error: internal: the imported policy does not load; please report this with "
                 "the input file\n";
    frontend.diags().printText(std::cerr, globalOptions().color);
    return false;
}

int runImportSecurityGroups(const SecurityGroupOptions& options) {
    auto sources = std::make_shared<lang::SourceManager>();
    auto read = [&](const std::string& path) -> std::optional<lang::SecurityGroupInput> {
        auto text = readInputOrReport(path, kRuleSetLimits);
        if (!text) return std::nullopt;
        uint32_t id = sources->add(path, *text);
        return lang::SecurityGroupInput{path, std::move(*text), id};
    };
    auto groups = read(options.file);
    if (!groups) return kExitInputError;
    std::optional<lang::SecurityGroupInput> interfaces;
    if (!options.interfaces.empty()) {
        interfaces = read(options.interfaces);
        if (!interfaces) return kExitInputError;
    }
    lang::DiagnosticEngine diags(sources);
    lang::SecurityGroupImportOptions importOptions;
    importOptions.lossy = options.lossy;
    importOptions.vni = options.vni;
    auto text = lang::importSecurityGroups(*groups, interfaces, importOptions, diags);
    diags.printText(std::cerr, globalOptions().color);
    if (!text || !importedPolicyLoads(*text)) return kExitInputError;
    return writeOutput(options.out, *text);
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
    if (!text || !importedPolicyLoads(*text)) return kExitInputError;
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

    auto sg = std::make_shared<SecurityGroupOptions>();
    auto* groups = cmd->add_subcommand(
        "security-groups", "AWS describe-security-groups or OpenStack security-group JSON: a layer "
                           "per group, stateful allows, default deny (docs/import.md)");
    groups->add_option("file", sg->file, "Security groups (JSON)")->required();
    groups->add_option("--interfaces", sg->interfaces,
                       "The interfaces carrying them: AWS describe-network-interfaces or "
                       "OpenStack ports JSON (ports of the policy; resolves group references)");
    groups->add_option("-o,--output", sg->out, "Output policy file (default: stdout)");
    groups->add_option("--vni", sg->vni, "VNI of the generated ports")
        ->capture_default_str()
        ->check(CLI::Range(0u, (1u << 24) - 1));
    groups->add_flag("--lossy", sg->lossy,
                     "Leave out what cannot be imported (warnings) instead of failing");
    groups->callback([sg, &exitCode] { exitCode = runImportSecurityGroups(*sg); });
}

}  // namespace

SLUICE_REGISTER_COMMAND("import", setupImport);

}  // namespace sluice::cli
