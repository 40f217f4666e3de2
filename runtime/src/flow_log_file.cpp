#include "flow_log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sluice::rt {

namespace {

int openForAppend(const std::string& path) {
    // O_NOFOLLOW: a symlink planted at the log path is refused, not followed; 0640.
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
}

bool writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

}  // namespace

FlowLogFile::~FlowLogFile() {
    if (fd_ >= 0) ::close(fd_);
}

Status FlowLogFile::open(const std::string& path, uint64_t maxBytes, uint32_t keep) {
    int fd = openForAppend(path);
    if (fd < 0) {
        return makeError("flow_log.path: cannot open '" + path + "' for writing: " +
                         std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return makeError("flow_log.path: '" + path + "' is not a regular file");
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    path_ = path;
    maxBytes_ = maxBytes;
    keep_ = keep;
    size_ = static_cast<uint64_t>(st.st_size);
    return {};
}

bool FlowLogFile::rotate() {
    ::close(fd_);
    fd_ = -1;
    if (keep_ == 0) {
        ::unlink(path_.c_str());
    } else {
        std::string oldest = path_ + "." + std::to_string(keep_);
        ::unlink(oldest.c_str());
        for (uint32_t i = keep_; i-- > 1;) {
            std::string from = path_ + "." + std::to_string(i);
            std::string to = path_ + "." + std::to_string(i + 1);
            ::rename(from.c_str(), to.c_str());  // a missing older file is fine
        }
        ::rename(path_.c_str(), (path_ + ".1").c_str());
    }
    fd_ = openForAppend(path_);
    size_ = 0;
    ++rotations_;
    return fd_ >= 0;
}

bool FlowLogFile::write(std::string_view line) {
    if (fd_ < 0) {
        // Reopen after a failed rotation; a path that stays unwritable is counted each time.
        fd_ = openForAppend(path_);
        if (fd_ < 0) {
            ++writeErrors_;
            return false;
        }
    }
    uint64_t need = line.size() + 1;
    if (size_ > 0 && size_ + need > maxBytes_ && !rotate()) {
        ++writeErrors_;
        return false;
    }
    std::string buf;
    buf.reserve(need);
    buf.append(line);
    buf.push_back('\n');
    if (!writeAll(fd_, buf.data(), buf.size())) {
        ++writeErrors_;
        return false;
    }
    size_ += need;
    return true;
}

}  // namespace sluice::rt
