// The canonical printer (`sluice fmt`): one ast::File back to text.
#pragma once

#include <string>

#include "ast.h"

namespace sluice::lang {

std::string printFile(const ast::File& file);

}  // namespace sluice::lang
