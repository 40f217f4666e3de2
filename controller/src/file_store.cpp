// The embedded store: the whole tables in one checksummed file (store_file_format.h). A commit
// takes PATH.lock (flock), reads and checks the file, applies the writes (applyWrites), writes
// PATH.tmp.PID, fsyncs it, renames it over PATH and fsyncs the directory: readers see the old
// file or the new one, never a mix, and need no lock. A corrupt file is never overwritten.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sluice/controller/store.h"
#include "sluice/support/input_file.h"
#include "store_file_format.h"

namespace sluice::controller {
namespace {

std::string sysError(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

class FileLock {
  public:
    explicit FileLock(const std::string& path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~FileLock() {
        if (fd_ >= 0) ::close(fd_);  // closing releases the lock
    }
    bool held() const { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

bool writeAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

class FileStore final : public Store {
  public:
    FileStore(std::string path, StoreLimits limits) : path_(std::move(path)), limits_(limits) {}

    Expected<Tables> read() override {
        struct stat st {};
        if (::stat(path_.c_str(), &st) != 0 && errno == ENOENT) return Tables{};
        // The one reader of operator-supplied files: regular files only, bounded.
        InputLimits lim{limits_.maxFileBytes, 4096, true};
        InputFile f = readInputFile(path_, lim);
        if (!f.ok()) {
            if (f.problem == InputProblem::NotFound) return Tables{};
            return makeError(describeInputProblem(path_, f));
        }
        return parseTables(f.text, path_, limits_);
    }

    Expected<uint64_t> revision() override {
        int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) return uint64_t{0};
            return makeError(sysError("cannot open", path_));
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            return makeError(path_ + ": not a regular file");
        }
        char head[128];
        ssize_t n = ::read(fd, head, sizeof head);
        ::close(fd);
        if (n < 0) return makeError(sysError("cannot read", path_));
        return parseRevisionHead(std::string_view(head, static_cast<size_t>(n)), path_);
    }

    CommitResult commit(const std::vector<Write>& writes) override {
        using Outcome = CommitResult::Outcome;
        FileLock lock(path_ + ".lock");
        if (!lock.held()) return {Outcome::Failed, 0, sysError("cannot lock", path_ + ".lock"), 0};
        auto t = read();
        if (!t) return {Outcome::Failed, 0, t.error().str(), 0};
        CommitResult r = applyWrites(*t, writes, limits_);
        if (!r.ok()) return r;
        std::string data = serializeTables(*t);
        if (data.size() > limits_.maxFileBytes)
            return {Outcome::Refused, t->revision - 1, "the store file would exceed its size limit",
                    0};
        std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return {Outcome::Failed, t->revision - 1, sysError("cannot create", tmp), 0};
        bool ok = writeAll(fd, data) && ::fsync(fd) == 0;
        ok = ::close(fd) == 0 && ok;
        if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
            std::string msg = sysError("cannot write", tmp);
            ::unlink(tmp.c_str());
            return {Outcome::Failed, t->revision - 1, msg, 0};
        }
        // The rename itself must reach the disk before the commit is reported.
        std::string dir = std::filesystem::path(path_).parent_path().string();
        int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
        return r;
    }

    std::string describe() const override { return "file " + path_; }

  private:
    std::string path_;
    StoreLimits limits_;
};

}  // namespace

std::unique_ptr<Store> openFileStore(const std::string& path, StoreLimits limits) {
    return std::make_unique<FileStore>(path, limits);
}

}  // namespace sluice::controller
