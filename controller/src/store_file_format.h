// The embedded store's file format (docs/controller.md, "File format"): text, one record a
// line, a trailer with the record count and the SHA-256 of everything before it.
#pragma once

#include <string>
#include <string_view>

#include "sluice/controller/store.h"

namespace sluice::controller {

std::string serializeTables(const Tables& t);

// Parses and checks (format line, checksum, fields, duplicates, versions, limits); errors as
// "PATH:LINE:COL: error: ...".
Expected<Tables> parseTables(std::string_view text, const std::string& path,
                             const StoreLimits& limits);

// The revision line of a file's head (the first lines), without checking the rest.
Expected<uint64_t> parseRevisionHead(std::string_view head, const std::string& path);

}  // namespace sluice::controller
