// JSON pieces shared by the verifier's renderers (findings, diff, query).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sluice/lang/model.h"

namespace sluice::verify {

// The path of a range's file ("" when the range has none).
std::string fileOf(const lang::Policy& policy, const lang::SourceRange& r);
// {"file","line","col"} of a range's start.
nlohmann::json location(const lang::Policy& policy, const lang::SourceRange& r);

}  // namespace sluice::verify
