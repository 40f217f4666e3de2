// "Did you mean" for the command line: when CLI11 rejects the arguments, walk them against the
// command tree and name the closest subcommand or option of the command being parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

// The closest candidate within a third of the name's length (at least one edit), or "".
std::string closestName(std::string_view name, const std::vector<std::string>& candidates);

// A message such as "unknown command 'chek'; did you mean 'check'?" for the first argument
// that names no subcommand or option of `app`'s tree, or nullopt when every argument is known
// (the error is then of another kind and CLI11's own message stands).
std::optional<std::string> diagnoseArguments(const CLI::App& app, int argc, const char* const* argv);

}  // namespace sluice::cli
