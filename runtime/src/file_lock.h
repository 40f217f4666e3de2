// Exclusive flock()s that make `sluice run` one daemon per control socket and per device:
// the lock is held as long as the FileLock lives and the kernel drops it when the process
// dies, so a crashed daemon never leaves a lock behind (its pid file may stay, stale).
#pragma once

#include <string>

#include "sluice/runtime/config.h"
#include "sluice/support/expected.h"

namespace sluice::rt {

class FileLock {
public:
    FileLock() = default;
    ~FileLock();
    FileLock(FileLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
    FileLock& operator=(FileLock&& o) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

    // Opens (creating, 0600, never following a symlink) the regular file `path`, takes an
    // exclusive non-blocking flock and writes this process's pid into it. When another
    // process holds it, the error names `what` and that process's pid.
    static Expected<FileLock> acquire(const std::string& path, const std::string& what);
    bool held() const { return fd_ >= 0; }
    const std::string& path() const { return path_; }

private:
    int fd_ = -1;
    std::string path_;
};

// The lock file that stands for `device` (af_packet and tap interfaces of this network
// namespace, pcap output files, PCI addresses), under `dir`; "" when the device is private to
// the process (ring, null, pcap without output).
std::string deviceLockPath(const DeviceSpec& device, const std::string& dir);
// The directory for device locks: /run/sluice/locks when it can be created (root), else a
// private directory of this user under $TMPDIR. Created 0700; it must be a directory owned by
// this user, not a symlink.
Expected<std::string> deviceLockDir();

// A private directory for temporary files (mkdtemp under $TMPDIR, mode 0700), removed with
// its contents by the destructor.
class PrivateTempDir {
public:
    PrivateTempDir() = default;
    ~PrivateTempDir();
    PrivateTempDir(const PrivateTempDir&) = delete;
    PrivateTempDir& operator=(const PrivateTempDir&) = delete;
    Status create();
    // Creates `name` in the directory with O_EXCL|O_NOFOLLOW (mode 0600) holding `bytes`.
    Expected<std::string> writeFile(const std::string& name, const std::string& bytes);
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace sluice::rt
