// "Did you mean": the closest of some candidate names, for the resolver's unknown names, the
// parser's misspelt keywords and the CLI's mistyped commands and options.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice {

size_t editDistance(std::string_view a, std::string_view b);

// The closest candidate within a third of the name's length (at least 1 edit), or "".
std::string closest(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace sluice
