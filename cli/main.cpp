// `sluice`: the command-line entry point. Commands register themselves (command.h).
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include "cli_docs.h"
#include "command.h"
#include "suggest.h"

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

nlohmann::json withSchema(nlohmann::json j) {
    if (j.is_object()) j["schema_version"] = kJsonSchemaVersion;
    return j;
}

void printJson(std::ostream& out, nlohmann::json j, int indent) {
    out << withSchema(std::move(j)).dump(indent) << "\n";
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

namespace {
bool colorByDefault() {
    const char* term = std::getenv("TERM");
    return ::isatty(STDERR_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr &&
           (term == nullptr || std::strcmp(term, "dumb") != 0);
}

constexpr const char* kContract =
    "Exit codes (every command): 0 ok; 1 input errors (diagnostics printed; a missing or\n"
    "unreadable input file is one); 2 usage errors; 3 verification found a violation.\n"
    "`sluice diff`: 0 same, 1 different, 2 error. Diagnostics on stderr as\n"
    "FILE:LINE:COL: error|warning|note: MESSAGE [ID]. Reporting commands take --json\n"
    "(snake_case keys, with \"schema_version\"); check and verify also take --sarif.\n"
    "Colour is automatic on a terminal (--color / --no-color; NO_COLOR is honoured).";
}  // namespace

}  // namespace sluice::cli

int main(int argc, char** argv) {
    using namespace sluice::cli;
    CLI::App app{"sluice: verified, compiled networking policy for host virtual switches"};
    app.require_subcommand(1);
    app.fallthrough();  // the global options may follow the command: `sluice check F --no-color`
    const std::string version = "sluice 0.1.0";
    app.set_version_flag("--version", version);
    app.add_option("--stdlib", globalOptions().stdlibDirs, "Extra stdlib directory (repeatable)");
    app.footer(kContract);
    globalOptions().color = colorByDefault();
    auto* colorOn = app.add_flag_callback("--color", [] { globalOptions().color = true; },
                                          "Colour diagnostics (default: when stderr is a terminal)");
    app.add_flag_callback("--no-color", [] { globalOptions().color = false; }, "No colour")
        ->excludes(colorOn);
    int exitCode = kExitOk;
    for (auto& [name, setup] : registry()) setup(app, exitCode);
    addDocCommands(app, exitCode, version);  // last: they describe every command above
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (auto message = diagnoseArguments(app, argc, argv)) {
            std::cerr << "sluice: error: " << *message << "\nRun with --help for more information.\n";
        } else {
            app.exit(e);
        }
        return kExitUsage;
    }
    return exitCode;
}
