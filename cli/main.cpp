// `sluice`: the command-line entry point. Commands register themselves (command.h).
#include <iostream>
#include <map>

#include "command.h"

namespace sluice::cli {
namespace {
std::map<std::string, CommandSetup>& registry() {
    static std::map<std::string, CommandSetup> commands;
    return commands;
}
}  // namespace

GlobalOptions& globalOptions() {
    static GlobalOptions options;
    return options;
}

bool registerCommand(const char* name, CommandSetup setup) {
    registry().emplace(name, std::move(setup));
    return true;
}

lang::FrontendOptions frontendOptions() {
    lang::FrontendOptions options;
    options.stdlibDirs = globalOptions().stdlibDirs;
    for (auto& dir : lang::defaultStdlibDirs()) options.stdlibDirs.push_back(dir);
    return options;
}

std::shared_ptr<const lang::Policy> loadPolicyOrReport(lang::Frontend& frontend,
                                                       const std::string& path, bool json) {
    auto policy = frontend.loadFile(path);
    if (!json) frontend.diags().printText(std::cerr, globalOptions().color);
    return policy;
}

}  // namespace sluice::cli

int main(int argc, char** argv) {
    using namespace sluice::cli;
    CLI::App app{"sluice: verified, compiled networking policy for host virtual switches"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "sluice 0.1.0");
    app.add_option("--stdlib", globalOptions().stdlibDirs, "Extra stdlib directory (repeatable)");
    app.add_flag("--color", globalOptions().color, "Colour diagnostics");
    int exitCode = kExitOk;
    for (auto& [name, setup] : registry()) setup(app, exitCode);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitUsage;
    }
    return exitCode;
}
