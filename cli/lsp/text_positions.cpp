// Conversions of text_positions.h. Bytes that are not valid UTF-8 (never in an LSP document:
// JSON carries UTF-8) count as one unit each, so a conversion always terminates in range.
#include "lsp/text_positions.h"

#include <algorithm>

namespace sluice::cli::lsp {

namespace {

// Length of the UTF-8 sequence a lead byte starts (1 for a stray byte).
size_t sequenceLength(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xe0) == 0xc0) return 2;
    if ((lead & 0xf0) == 0xe0) return 3;
    if ((lead & 0xf8) == 0xf0) return 4;
    return 1;
}

}  // namespace

uint32_t utf16Length(std::string_view line, size_t byteOffset) {
    byteOffset = std::min(byteOffset, line.size());
    uint32_t units = 0;
    for (size_t i = 0; i < byteOffset;) {
        size_t n = std::min(sequenceLength(static_cast<unsigned char>(line[i])), line.size() - i);
        units += n == 4 ? 2 : 1;
        i += n;
    }
    return units;
}

size_t byteOffsetOfUtf16(std::string_view line, uint64_t units) {
    size_t i = 0;
    uint64_t seen = 0;
    while (i < line.size()) {
        size_t n = std::min(sequenceLength(static_cast<unsigned char>(line[i])), line.size() - i);
        uint64_t width = n == 4 ? 2 : 1;
        if (seen + width > units) break;  // `units` is at (or inside) this character
        seen += width;
        i += n;
    }
    return i;
}

nlohmann::json lspPosition(const lang::SourceManager& sources, uint32_t file, uint32_t line,
                           size_t byteOffset) {
    if (line == 0) return {{"line", 0}, {"character", 0}};
    std::string_view text = sources.line(file, line);
    return {{"line", line - 1}, {"character", utf16Length(text, byteOffset)}};
}

nlohmann::json lspRange(const lang::SourceManager& sources, const lang::SourceRange& range) {
    if (!range.valid()) {
        nlohmann::json start = {{"line", 0}, {"character", 0}};
        return {{"start", start}, {"end", start}};
    }
    uint32_t file = range.begin.file;
    size_t beginByte = range.begin.col > 0 ? range.begin.col - 1 : 0;
    lang::SourceLoc end = range.end;
    bool endValid = end.line > range.begin.line ||
                    (end.line == range.begin.line && end.col >= range.begin.col);
    if (!endValid) end = range.begin;
    // The inclusive last character ends after its whole UTF-8 sequence.
    std::string_view endLine = sources.line(file, end.line);
    size_t endByte = end.col > 0 ? end.col - 1 : 0;
    if (endByte < endLine.size()) {
        endByte += sequenceLength(static_cast<unsigned char>(endLine[endByte]));
    }
    endByte = std::min(endByte, endLine.size());
    if (end.line == range.begin.line) endByte = std::max(endByte, beginByte);
    return {{"start", lspPosition(sources, file, range.begin.line, beginByte)},
            {"end", lspPosition(sources, file, end.line, endByte)}};
}

uint32_t lineCount(std::string_view text) {
    uint32_t n = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n'));
    if (!text.empty() && text.back() != '\n') ++n;
    return n;
}

std::optional<lang::SourceLoc> sourceLocation(const lang::SourceManager& sources, uint32_t file,
                                              uint64_t line, uint64_t character) {
    // An empty last line (after the final '\n') is a valid position too.
    if (line > lineCount(sources.text(file))) return std::nullopt;
    auto oneBased = static_cast<uint32_t>(line + 1);
    std::string_view text = sources.line(file, oneBased);
    size_t byte = byteOffsetOfUtf16(text, character);
    return lang::SourceLoc{file, oneBased, static_cast<uint32_t>(byte + 1)};
}

}  // namespace sluice::cli::lsp
