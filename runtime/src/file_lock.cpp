// Instance and device locks (flock), and private temporary directories (see file_lock.h).
#include "file_lock.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

namespace sluice::rt {
namespace {

// Bytes of a name that may appear in a file name as they are; others as %XX.
std::string fileNamePart(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

// A directory `dir` (created 0700 when missing) that is a real directory owned by us.
Status privateDir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    struct stat st{};
    if (lstat(dir.c_str(), &st) != 0)
        return makeError("cannot create directory " + dir + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) return makeError(dir + " is not a directory");
    if (st.st_uid != geteuid()) return makeError(dir + " is owned by another user");
    chmod(dir.c_str(), 0700);
    return {};
}

}  // namespace

FileLock::~FileLock() {
    if (fd_ >= 0) close(fd_);
}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) close(fd_);
        fd_ = o.fd_;
        path_ = std::move(o.path_);
        o.fd_ = -1;
    }
    return *this;
}

Expected<FileLock> FileLock::acquire(const std::string& path, const std::string& what) {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0)
        return makeError("cannot open lock file " + path + " for " + what + ": " +
                         std::strerror(errno));
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return makeError("lock file " + path + " for " + what + " is not a regular file");
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buf[32] = {};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        if (err != EWOULDBLOCK)
            return makeError("cannot lock " + path + " for " + what + ": " + std::strerror(err));
        std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        bool digits = !pid.empty() && pid.size() < 12;
        for (char c : pid) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
        return makeError("another sluice run" + (digits ? " (pid " + pid + ")" : std::string()) +
                         " already owns " + what + " (lock " + path + ")");
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // The lock is what matters; the pid is only for the message of a second instance.
    }
    FileLock l;
    l.fd_ = fd;
    l.path_ = path;
    return l;
}

std::string deviceLockPath(const DeviceSpec& d, const std::string& dir) {
    switch (d.kind) {
        case DeviceSpec::Kind::AfPacket:
        case DeviceSpec::Kind::AfXdp:
        case DeviceSpec::Kind::Tap: {
            // Interface names are per network namespace: the namespace's inode is part of the
            // device's identity (two namespaces may each have a "veth0").
            struct stat st{};
            unsigned long long ns = stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
            return dir + "/netns" + std::to_string(ns) + "-if-" + fileNamePart(d.name) + ".lock";
        }
        case DeviceSpec::Kind::Pcap: {
            if (d.txPcap.empty()) return "";
            std::error_code ec;
            auto p = std::filesystem::weakly_canonical(d.txPcap, ec);
            std::string canon = ec ? d.txPcap : p.string();
            if (canon == "/dev/null") return "";
            return dir + "/pcap-" + std::to_string(std::hash<std::string>{}(canon)) + ".lock";
        }
        case DeviceSpec::Kind::Pci: return dir + "/pci-" + fileNamePart(d.name) + ".lock";
        case DeviceSpec::Kind::Ring:
        case DeviceSpec::Kind::Null: return "";
    }
    return "";
}

Expected<std::string> deviceLockDir() {
    if (geteuid() == 0) {
        std::string dir = "/run/sluice/locks";
        if (privateDir(dir)) return dir;
    }
    std::error_code ec;
    std::string dir = (std::filesystem::temp_directory_path(ec) /
                       ("sluice-" + std::to_string(geteuid())) / "locks")
                          .string();
    if (ec) dir = "/tmp/sluice-" + std::to_string(geteuid()) + "/locks";
    if (Status s = privateDir(std::filesystem::path(dir).parent_path().string()); !s)
        return s.error();
    if (Status s = privateDir(dir); !s) return s.error();
    return dir;
}

PrivateTempDir::~PrivateTempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

Status PrivateTempDir::create() {
    std::error_code ec;
    std::string base = std::filesystem::temp_directory_path(ec).string();
    if (ec) base = "/tmp";
    std::string tmpl = base + "/sluice-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr)
        return makeError("cannot create a private temporary directory under " + base + ": " +
                         std::strerror(errno));
    path_ = tmpl;
    return {};
}

Expected<std::string> PrivateTempDir::writeFile(const std::string& name,
                                                const std::string& bytes) {
    std::string p = path_ + "/" + name;
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return makeError("cannot create " + p + ": " + std::strerror(errno));
    bool ok = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    close(fd);
    if (!ok) return makeError("cannot write " + p);
    return p;
}

}  // namespace sluice::rt
