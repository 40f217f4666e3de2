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

std::optional<std::string> readInputOrReport(const std::string& path, const InputLimits& limits) {
    InputFile file = readInputFile(path, limits);
    if (file.ok()) return std::move(file.text);
    std::cerr << path << (file.line != 0 ? ":" + std::to_string(file.line) : std::string())
              << ": error: " << file.reason << "\n";
    return std::nullopt;
}

std::vector<InputLine> packetLines(const std::string& text, const std::string& path) {
    std::vector<InputLine> lines;
    size_t start = 0;
    for (size_t n = 1; start < text.size(); ++n) {
        size_t nl = text.find('\n', start);
        size_t end = nl == std::string::npos ? text.size() : nl;
        std::string line = text.substr(start, end - start);
        start = end + 1;
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        lines.push_back({std::move(line), path + ":" + std::to_string(n)});
    }
    return lines;
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
