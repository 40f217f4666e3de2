// LSP base protocol framing: "Content-Length: N\r\n\r\n" then N bytes of JSON. The reader
// takes hostile bytes: bounded header lines, a bounded body (kMaxContentLength; a larger one
// is skipped in small chunks, never held), and it resynchronises on the next header block
// after garbage. It never throws.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

namespace sluice::cli::lsp {

inline constexpr size_t kMaxContentLength = 16u << 20;  // 16 MiB
inline constexpr size_t kMaxHeaderLine = 8192;

struct FrameRead {
    enum class Status {
        Message,  // `body` holds one message
        Dropped,  // a malformed or oversized frame was consumed; `problem` says why
        End,      // the input ended (`problem` is set when it ended inside a frame)
    };
    Status status = Status::End;
    std::string body;
    std::string problem;
};

class FrameReader {
public:
    explicit FrameReader(std::istream& in, size_t maxContentLength = kMaxContentLength)
        : in_(in), maxContentLength_(maxContentLength) {}

    FrameRead next();

private:
    // One header line without its line end; false at end of input. `tooLong` when the line
    // exceeded kMaxHeaderLine (the rest of it is consumed, not kept).
    bool readLine(std::string& line, bool& tooLong);

    std::istream& in_;
    size_t maxContentLength_;
};

// The frame of one outgoing message.
std::string frameMessage(const std::string& body);

}  // namespace sluice::cli::lsp
