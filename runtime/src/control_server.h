// The control socket server of `sluice run`: a Unix stream socket served by one thread of
// its own with poll(), non-blocking, so no client can hold up the data plane's maintenance
// (aging and RCU reclamation run on another thread) or the other clients. Each client gets a
// deadline, a request size limit and a reply size limit; the number of clients at once is
// bounded (one over the bound gets an error reply and is closed). Replies are sent with
// MSG_NOSIGNAL: a client that goes away never raises SIGPIPE.
//
// The socket is created only where nothing exists yet; a stale socket of a dead daemon is
// replaced. Ownership is an flock on the pid file beside the socket (`PATH.pid`), held for the
// server's lifetime: a second daemon with the same socket is refused with a clear error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "file_lock.h"
#include "sluice/support/expected.h"

namespace sluice::rt {

struct ControlLimits {
    size_t maxClients = 256;             // connections served at once
    int backlog = 512;                   // listen() backlog
    size_t maxRequestBytes = 64 * 1024;  // one request line
    size_t maxReplyBytes = 16u << 20;    // one reply
    size_t maxBufferedBytes = 64u << 20; // replies waiting to be read, all clients together
    uint64_t clientTimeoutMs = 5000;     // from accept to the last byte of the reply
    uint64_t deferredTimeoutMs = 600000; // a deferred request (reload): until its reply
};

struct ControlCounters {
    std::atomic<uint64_t> accepted{0}, served{0}, refusedBusy{0}, timedOut{0}, tooLarge{0},
        clientGone{0};
};

class ControlServer {
public:
    using Handler = std::function<std::string(const std::string& request)>;
    // Called with each request before `Handler`: returns true when it took the request and
    // will call `reply` exactly once, from any thread, later (a reload that takes seconds);
    // the other clients are served meanwhile. A reply after the server is gone is dropped.
    using Reply = std::function<void(std::string)>;
    using DeferredHandler = std::function<bool(const std::string& request, Reply reply)>;

    // Takes the instance lock, creates the socket (mode 0600) and starts serving.
    static Expected<std::unique_ptr<ControlServer>> start(const std::string& path,
                                                          Handler handler,
                                                          ControlLimits limits = {},
                                                          DeferredHandler deferred = {});
    ~ControlServer();  // stops the thread, removes the socket, releases the lock
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // The pid of the daemon that serves `path` now (it holds `PATH.pid`'s lock), 0 when none:
    // `sluice run --takeover` stops it once its own start-up is done.
    static int owner(const std::string& path);

    const ControlCounters& counters() const { return counters_; }
    const ControlLimits& limits() const { return limits_; }

private:
    ControlServer(std::string path, Handler handler, ControlLimits limits)
        : path_(std::move(path)), handler_(std::move(handler)), limits_(limits) {}
    void serve();
    struct Completions;

    std::string path_;
    Handler handler_;
    DeferredHandler deferred_;
    std::shared_ptr<Completions> completions_;
    ControlLimits limits_;
    FileLock lock_;
    int listenFd_ = -1;
    int wakeFd_[2] = {-1, -1};  // stop(): a byte on the pipe wakes poll()
    std::atomic<bool> running_{false};
    std::thread thread_;
    ControlCounters counters_;
};

}  // namespace sluice::rt
