// Names of the imported world (interfaces, security groups) as Sluice identifiers.
#pragma once

#include <string>

namespace sluice::lang {

// Letters, digits and '_' kept, everything else '_'; `prefix` is put in front of a name that
// would start with a digit, be empty or be a word of the language.
std::string identifierFrom(const std::string& name, const std::string& prefix);

}  // namespace sluice::lang
