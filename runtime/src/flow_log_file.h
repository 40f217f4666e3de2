// The flow-log file: JSON lines appended to PATH, rotated by size (PATH -> PATH.1 -> ... ->
// PATH.keep, the oldest removed) before a line would take PATH past max_bytes. Written by the
// maintenance thread only. Errors are values; a write error after opening is counted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/support/expected.h"

namespace sluice::rt {

class FlowLogFile {
public:
    FlowLogFile() = default;
    ~FlowLogFile();
    FlowLogFile(const FlowLogFile&) = delete;
    FlowLogFile& operator=(const FlowLogFile&) = delete;

    // Opens (creates, appends to) `path`; a clear error naming the path when it cannot.
    Status open(const std::string& path, uint64_t maxBytes, uint32_t keep);
    bool isOpen() const { return fd_ >= 0; }

    // Appends `line` and a newline, rotating first when needed. False on a write error.
    bool write(std::string_view line);

    uint64_t bytes() const { return size_; }
    uint64_t rotations() const { return rotations_; }
    uint64_t writeErrors() const { return writeErrors_; }

private:
    bool rotate();
    std::string path_;
    uint64_t maxBytes_ = 0;
    uint32_t keep_ = 0;
    int fd_ = -1;
    uint64_t size_ = 0;
    uint64_t rotations_ = 0;
    uint64_t writeErrors_ = 0;
};

}  // namespace sluice::rt
