// Source files and locations. Every AST and model node carries a SourceRange so that any
// module (checker, verifier, compiler) can point an operator at the policy line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::lang {

struct SourceLoc {
    uint32_t file = 0;  // index into SourceManager; 0 = no file
    uint32_t line = 0;  // 1-based; 0 = unknown
    uint32_t col = 0;   // 1-based
};

struct SourceRange {
    SourceLoc begin;
    SourceLoc end;  // inclusive last character
    bool valid() const { return begin.line != 0; }
};

// Owns the text of every file read in one run (the root file and its imports).
class SourceManager {
public:
    SourceManager();
    // Returns the file id (>= 1).
    uint32_t add(std::string path, std::string text);
    const std::string& path(uint32_t file) const;
    const std::string& text(uint32_t file) const;
    // The text of a 1-based line without its newline; empty when out of range.
    std::string_view line(uint32_t file, uint32_t line) const;
    size_t fileCount() const { return files_.size() - 1; }
    // "path:line:col" (or "<unknown>").
    std::string describe(SourceLoc loc) const;

private:
    struct File {
        std::string path;
        std::string text;
        std::vector<uint32_t> lineStarts;
    };
    std::vector<File> files_;
};

}  // namespace sluice::lang
