// Documents generated from the CLI definitions themselves, so they cannot drift from what the
// binary accepts: man pages (roff, one per command and subcommand) and a bash completion
// script. `sluice completion bash` prints the script; the build runs the hidden
// `sluice man-pages DIR` to write the pages that `cmake --install` installs.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

namespace sluice::cli {

// File name ("sluice-import-iptables.1") -> roff text, for the app and every visible
// subcommand, recursively.
std::map<std::string, std::string> manPages(const CLI::App& app, const std::string& version);

// A bash completion script: subcommands at each level, then the options of the command
// being typed; file names for positional arguments and options that take a value.
std::string bashCompletion(const CLI::App& app);

// Adds `completion` and the hidden `man-pages` to `app` (after every command registered).
void addDocCommands(CLI::App& app, int& exitCode, const std::string& version);

}  // namespace sluice::cli
