// LSP positions are 0-based lines and UTF-16 code units within the line, ranges end-exclusive;
// the front end's are 1-based lines and byte columns, ranges end-inclusive. These convert
// between the two on the text of the line itself (so non-ASCII comments and strings before a
// name move its column correctly). Positions past the end of a line clamp to its end.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "sluice/lang/source.h"

namespace sluice::cli::lsp {

// UTF-16 code units in the first `byteOffset` bytes of `line` (a 4-byte UTF-8 sequence is two).
uint32_t utf16Length(std::string_view line, size_t byteOffset);
// The byte offset of UTF-16 unit `units` in `line` (clamped to the line's length; never in
// the middle of a UTF-8 sequence).
size_t byteOffsetOfUtf16(std::string_view line, uint64_t units);

// {"line","character"} from a 1-based line and 0-based byte offset of file `file`.
nlohmann::json lspPosition(const lang::SourceManager& sources, uint32_t file, uint32_t line,
                           size_t byteOffset);
// The LSP range of a front-end range (an invalid one is the start of the file).
nlohmann::json lspRange(const lang::SourceManager& sources, const lang::SourceRange& range);

// The front-end location of an LSP position in `file`; nullopt when the line is past the end
// of the document.
std::optional<lang::SourceLoc> sourceLocation(const lang::SourceManager& sources, uint32_t file,
                                              uint64_t line, uint64_t character);

// Line count of `text` as the front end counts lines (a final line without '\n' counts).
uint32_t lineCount(std::string_view text);

}  // namespace sluice::cli::lsp
