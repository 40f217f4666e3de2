// The one reader of operator-supplied input files: policy files and their imports, `--packets`
// lists, `diff --expect` gate files, the `run` config, ClassBench rule sets. Every input is
// hostile, so the same rules hold everywhere (docs/language.md, "Limits"):
//  - only regular files: the file is opened with O_NONBLOCK and fstat'ed before any read, so a
//    FIFO, a device (/dev/zero), a socket or a directory is refused at once and never blocks;
//  - a size bound, checked against fstat before reading and enforced while reading (a file that
//    grows meanwhile is cut off and refused);
//  - a line-length bound, and (for text inputs) no NUL byte and valid UTF-8, so diagnostics
//    never echo binary data.
// No third-party types; usable from every module (lang, runtime, cli).
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

struct InputLimits {
    uint64_t maxBytes = 0;      // whole file
    uint64_t maxLineBytes = 0;  // one line, without its newline
    bool text = true;           // refuse NUL bytes and invalid UTF-8
};

// The limits of each kind of input (documented in docs/language.md, "Limits").
inline constexpr InputLimits kPolicyFileLimits{16u << 20, 64u << 10, true};
inline constexpr InputLimits kPacketListLimits{64u << 20, 4u << 10, true};
inline constexpr InputLimits kExpectationLimits{16u << 20, 64u << 10, true};
inline constexpr InputLimits kConfigFileLimits{1u << 20, 64u << 10, true};
inline constexpr InputLimits kRuleSetLimits{64u << 20, 4u << 10, true};

enum class InputProblem : uint8_t {
    None,
    NotFound,     // no such file
    CannotOpen,   // permission denied and other open(2) errors
    NotRegular,   // directory, FIFO, device, socket
    TooLarge,     // more than maxBytes
    LineTooLong,  // a line longer than maxLineBytes
    NotText,      // a NUL byte or invalid UTF-8
};

struct InputFile {
    InputProblem problem = InputProblem::None;
    std::string text;    // the contents when ok()
    std::string reason;  // e.g. "not a regular file (a FIFO)"; empty when ok()
    uint64_t line = 0;   // LineTooLong, NotText: the 1-based line of the first offence
    bool ok() const { return problem == InputProblem::None; }
};

// Reads `path` under `limits`. Never blocks on a non-regular file, never reads more than
// limits.maxBytes + 1 bytes, never throws.
InputFile readInputFile(const std::string& path, const InputLimits& limits);

// "PATH: reason" (with ":LINE" when the problem has a line), for commands that print one line.
std::string describeInputProblem(const std::string& path, const InputFile& file);

// The first byte offset at which `text` is not valid UTF-8 (overlongs, surrogates and code
// points above U+10FFFF are invalid), or text.size() when it is valid.
size_t firstInvalidUtf8(const std::string& text);

}  // namespace sluice
