// FrameReader: see framing.h. Header names are case-insensitive (as HTTP's); Content-Type is
// accepted and ignored (the body is always UTF-8 JSON in LSP 3.17).
#include "lsp/framing.h"

#include <algorithm>
#include <cctype>
#include <istream>

namespace sluice::cli::lsp {

namespace {

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Strict decimal: digits only, no sign, at most 19 digits (fits in 64 bits).
bool parseLength(const std::string& text, unsigned long long& out) {
    if (text.empty() || text.size() > 19) return false;
    unsigned long long v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    out = v;
    return true;
}

}  // namespace

bool FrameReader::readLine(std::string& line, bool& tooLong) {
    line.clear();
    tooLong = false;
    int c;
    bool any = false;
    while ((c = in_.get()) != std::char_traits<char>::eof()) {
        any = true;
        if (c == '\n') break;
        if (line.size() < kMaxHeaderLine) {
            line.push_back(static_cast<char>(c));
        } else {
            tooLong = true;
        }
    }
    if (!any) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

FrameRead FrameReader::next() {
    FrameRead r;
    std::string line;
    bool tooLong = false;
    bool haveLength = false, headerSeen = false;
    unsigned long long tooLarge = 0;  // an announced length over the limit
    size_t length = 0;
    std::string problem;
    // Header block: lines up to an empty one. Blank lines before any header are skipped, so
    // stray line ends between frames are harmless.
    while (true) {
        if (!readLine(line, tooLong)) {
            r.status = FrameRead::Status::End;
            if (headerSeen) r.problem = "input ended inside a message header";
            return r;
        }
        if (line.empty() && !tooLong) {
            if (headerSeen) break;
            continue;
        }
        headerSeen = true;
        if (tooLong) {
            problem = "header line longer than " + std::to_string(kMaxHeaderLine) + " bytes";
            continue;
        }
        size_t colon = line.find(':');
        if (colon == std::string::npos) {
            problem = "header line without ':'";
            continue;
        }
        std::string name = lower(trim(line.substr(0, colon)));
        std::string value = trim(line.substr(colon + 1));
        if (name == "content-length") {
            unsigned long long n = 0;
            if (!parseLength(value, n)) {
                problem = "invalid Content-Length '" + value.substr(0, 32) + "'";
            } else if (n > maxContentLength_) {
                tooLarge = n;
                problem = "Content-Length " + value + " exceeds the limit of " +
                          std::to_string(maxContentLength_) + " bytes";
            } else {
                haveLength = true;
                length = static_cast<size_t>(n);
            }
        }
    }
    if (tooLarge != 0) {
        // Skip the announced body without keeping it (bounded memory), so the next frame
        // is found where the client put it.
        unsigned long long left = tooLarge;
        while (left > 0 && in_) {
            auto chunk = static_cast<std::streamsize>(std::min<unsigned long long>(left, 1u << 20));
            in_.ignore(chunk);
            left -= static_cast<unsigned long long>(in_.gcount());
            if (in_.gcount() < chunk) break;
        }
        r.status = left == 0 ? FrameRead::Status::Dropped : FrameRead::Status::End;
        r.problem = problem;
        return r;
    }
    if (!haveLength) {
        r.status = FrameRead::Status::Dropped;
        r.problem = problem.empty() ? "message header without Content-Length" : problem;
        return r;
    }
    r.body.resize(length);
    in_.read(r.body.data(), static_cast<std::streamsize>(length));
    if (static_cast<size_t>(in_.gcount()) != length) {
        r.status = FrameRead::Status::End;
        r.body.clear();
        r.problem = "input ended inside a message body";
        return r;
    }
    r.status = FrameRead::Status::Message;
    if (!problem.empty()) r.problem = problem;  // e.g. a garbage line beside a good length
    return r;
}

std::string frameMessage(const std::string& body) {
    return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace sluice::cli::lsp
