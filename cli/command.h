// Subcommand registry of the `sluice` CLI. Each command lives in its own cli/cmd_*.cpp and
// registers itself with SLUICE_REGISTER_COMMAND, so adding a command touches no other file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sluice/lang/frontend.h"
#include "sluice/support/input_file.h"

namespace sluice::cli {

// Exit codes of DESIGN.md section 5.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;  // `diff`: different
inline constexpr int kExitUsage = 2;       // `diff`: error
inline constexpr int kExitViolation = 3;

// Version of the JSON every command prints (`schema_version` in each top-level object). Keys
// are snake_case everywhere (SARIF logs keep the names the SARIF standard gives them). Bump the
// version when a key is renamed or removed; adding keys keeps it.
inline constexpr int kJsonSchemaVersion = 2;

// Options every command shares.
struct GlobalOptions {
    std::vector<std::string> stdlibDirs;  // --stdlib (repeatable)
    bool color = false;  // automatic on a terminal (not with NO_COLOR or TERM=dumb); --color, --no-color
};
GlobalOptions& globalOptions();

// Adds a subcommand to `app`. The setup function creates the subcommand and its options and
// sets a callback that stores the command's exit code in `exitCode`.
using CommandSetup = std::function<void(CLI::App& app, int& exitCode)>;
bool registerCommand(const char* name, CommandSetup setup);

#define SLUICE_REGISTER_COMMAND(name, fn) \
    static const bool sluiceRegistered_##fn = ::sluice::cli::registerCommand(name, fn)

// Adds `schema_version` to a top-level JSON object.
nlohmann::json withSchema(nlohmann::json j);
// Prints `j` with `schema_version` and a newline; indent as nlohmann::json::dump takes it.
void printJson(std::ostream& out, nlohmann::json j, int indent = 2);

// Loads a policy with the shared options; prints diagnostics (text to stderr, or, with
// json=true, nothing: the caller puts frontend.diags().toJson() into its own output).
// Returns null when the policy has errors.
std::shared_ptr<const lang::Policy> loadPolicyOrReport(lang::Frontend& frontend,
                                                       const std::string& path, bool json);
lang::FrontendOptions frontendOptions();

// Reads an input file (packets, gate files, rule sets) with the rules every input follows
// (sluice/support/input_file.h: regular files only, size and line bounds, text). On failure
// prints "PATH[:LINE]: error: REASON" to stderr and returns nullopt.
std::optional<std::string> readInputOrReport(const std::string& path, const InputLimits& limits);

// The lines of `text` that hold a packet (not blank, not a # comment), each with "PATH:LINE".
struct InputLine {
    std::string text;
    std::string where;
};
std::vector<InputLine> packetLines(const std::string& text, const std::string& path);

}  // namespace sluice::cli
