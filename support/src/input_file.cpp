// readInputFile: open non-blocking, fstat, refuse what is not a regular file, read at most the
// bound, then check line lengths and text.
#include "sluice/support/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice {

namespace {

const char* fileTypeName(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

std::string sizeText(uint64_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

InputFile fail(InputProblem problem, std::string reason, uint64_t line = 0) {
    InputFile f;
    f.problem = problem;
    f.reason = std::move(reason);
    f.line = line;
    return f;
}

// Closes the descriptor on every path.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

uint64_t lineOf(const std::string& text, size_t offset) {
    uint64_t line = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n' ? 1 : 0;
    return line;
}

}  // namespace

size_t firstInvalidUtf8(const std::string& text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        uint32_t cp = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;  // continuation byte, overlong lead (0xc0, 0xc1) or > U+10FFFF lead
        }
        if (n - i < len) return i;
        for (size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return i;
        }
        i += len;
    }
    return n;
}

InputFile readInputFile(const std::string& path, const InputLimits& limits) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
    if (fd.fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR) return fail(InputProblem::NotFound, "no such file");
        return fail(InputProblem::CannotOpen, std::string("cannot be opened: ") + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) {
        return fail(InputProblem::CannotOpen, std::string("cannot be read: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        std::string what = fileTypeName(st.st_mode);
        return fail(InputProblem::NotRegular,
                    what == "not a regular file" ? what : "not a regular file (" + what + ")");
    }
    const std::string bound = "larger than the limit of " + sizeText(limits.maxBytes);
    if (static_cast<uint64_t>(st.st_size) > limits.maxBytes) {
        return fail(InputProblem::TooLarge, "is " + sizeText(static_cast<uint64_t>(st.st_size)) +
                                                ", " + bound);
    }
    InputFile out;
    out.text.resize(static_cast<size_t>(st.st_size) + 1);  // +1: notice growth past the bound
    size_t got = 0;
    for (;;) {
        if (got == out.text.size()) {
            if (got > limits.maxBytes) return fail(InputProblem::TooLarge, "grew while read, " + bound);
            out.text.resize(static_cast<size_t>(
                std::min<uint64_t>(limits.maxBytes + 1, std::max<uint64_t>(got * 2, 4096))));
        }
        ssize_t r = ::read(fd.fd, out.text.data() + got, out.text.size() - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return fail(InputProblem::CannotOpen, std::string("cannot be read: ") + std::strerror(errno));
        }
        if (r == 0) break;
        got += static_cast<size_t>(r);
    }
    out.text.resize(got);
    if (got > limits.maxBytes) return fail(InputProblem::TooLarge, "grew while read, " + bound);

    if (limits.text) {
        size_t nul = out.text.find('\0');
        if (nul != std::string::npos) {
            return fail(InputProblem::NotText, "is not a text file (a NUL byte)",
                        lineOf(out.text, nul));
        }
        size_t bad = firstInvalidUtf8(out.text);
        if (bad != out.text.size()) {
            return fail(InputProblem::NotText, "is not UTF-8 text", lineOf(out.text, bad));
        }
    }
    uint64_t line = 1;
    size_t start = 0;
    while (start <= out.text.size()) {
        size_t nl = out.text.find('\n', start);
        size_t end = nl == std::string::npos ? out.text.size() : nl;
        if (end - start > limits.maxLineBytes) {
            return fail(InputProblem::LineTooLong,
                        "has a line longer than the limit of " + sizeText(limits.maxLineBytes),
                        line);
        }
        if (nl == std::string::npos) break;
        start = nl + 1;
        ++line;
    }
    return out;
}

std::string describeInputProblem(const std::string& path, const InputFile& file) {
    std::string where = path;
    if (file.line != 0) where += ":" + std::to_string(file.line);
    return where + ": " + file.reason;
}

}  // namespace sluice
