// The control socket server (see control_server.h): one poll() loop over the listening socket
// and every client, all non-blocking, each client with a deadline and size limits.
#include "control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

namespace sluice::rt {
namespace {

uint64_t nowMs() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

std::string errorReply(const std::string& text) {
    return nlohmann::json({{"ok", false}, {"error", text}}).dump() + "\n";
}

struct Client {
    int fd = -1;
    uint64_t id = 0;
    bool waiting = false;  // a deferred request is being answered elsewhere
    uint64_t deadline = 0;
    std::string in;
    std::string out;
    size_t sent = 0;
    bool writing = false;
};

}  // namespace

// Replies of deferred requests, handed from other threads to the serving loop.
struct ControlServer::Completions {
    std::mutex mu;
    bool closed = false;
    int wakeFd = -1;
    std::vector<std::pair<uint64_t, std::string>> done;
};

Expected<std::unique_ptr<ControlServer>> ControlServer::start(const std::string& path,
                                                              Handler handler,
                                                              ControlLimits limits,
                                                              DeferredHandler deferred) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return makeError("control socket path must be 1.." +
                         std::to_string(sizeof addr.sun_path - 1) + " bytes: " + path);
    std::unique_ptr<ControlServer> s(new ControlServer(path, std::move(handler), limits));
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    auto lock = FileLock::acquire(path + ".pid", "control socket " + path);
    if (!lock) return lock.error();
    s->lock_ = std::move(lock.value());
    // Created only where nothing exists; a socket left by a dead daemon (we hold its lock
    // now) is replaced, anything else is left alone.
    struct stat st{};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return makeError("control socket " + path +
                             " exists and is not a socket; not replacing it");
        if (unlink(path.c_str()) != 0)
            return makeError("cannot remove the stale control socket " + path + ": " +
                             std::strerror(errno));
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return makeError(std::string("socket: ") + std::strerror(errno));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    mode_t old = umask(0077);  // the socket is created 0600
    int r = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    umask(old);
    if (r != 0 || listen(fd, limits.backlog) != 0) {
        std::string e = std::strerror(errno);
        close(fd);
        return makeError("cannot listen on control socket " + path + ": " + e);
    }
    s->listenFd_ = fd;
    if (pipe2(s->wakeFd_, O_CLOEXEC | O_NONBLOCK) != 0) {
        return makeError(std::string("pipe: ") + std::strerror(errno));
    }
    s->deferred_ = std::move(deferred);
    s->completions_ = std::make_shared<Completions>();
    s->completions_->wakeFd = s->wakeFd_[1];
    s->running_ = true;
    s->thread_ = std::thread([p = s.get()] { p->serve(); });
    return s;
}

int ControlServer::owner(const std::string& path) {
    int fd = open((path + ".pid").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return 0;
    struct stat st{};
    int pid = 0;
    // A lock we can take is nobody's: the pid in the file is stale.
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_SH | LOCK_NB) != 0 &&
        errno == EWOULDBLOCK) {
        char buf[16] = {};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && pid < 100000000; ++i)
            pid = pid * 10 + (buf[i] - '0');
    }
    close(fd);
    return pid > 1 ? pid : 0;
}

ControlServer::~ControlServer() {
    if (running_.exchange(false)) {
        char b = 1;
        if (write(wakeFd_[1], &b, 1) < 0) {
            // The loop also wakes every 100 ms.
        }
    }
    if (thread_.joinable()) thread_.join();
    if (completions_) {
        std::lock_guard<std::mutex> lock(completions_->mu);
        completions_->closed = true;  // later replies are dropped, the pipe is not touched
    }
    if (listenFd_ >= 0) {
        close(listenFd_);
        unlink(path_.c_str());  // ours: we hold the lock
    }
    for (int f : wakeFd_) {
        if (f >= 0) close(f);
    }
}

void ControlServer::serve() {
    std::vector<Client> clients;
    std::vector<pollfd> fds;
    size_t buffered = 0;  // reply bytes not yet sent, all clients
    uint64_t acceptPausedUntil = 0;
    uint64_t nextId = 1;
    // Hands `req` to the deferred handler with a reply function bound to this client.
    auto takeDeferred = [&](const Client& c, const std::string& req) {
        std::weak_ptr<Completions> weak = completions_;
        uint64_t id = c.id;
        Reply reply = [weak, id](std::string text) {
            auto q = weak.lock();
            if (!q) return;
            std::lock_guard<std::mutex> lock(q->mu);
            if (q->closed) return;
            q->done.emplace_back(id, std::move(text));
            char b = 1;
            if (write(q->wakeFd, &b, 1) < 0) {
                // The pipe is full: the loop is awake anyway (it also wakes every 100 ms).
            }
        };
        try {
            return deferred_(req, std::move(reply));
        } catch (const std::exception&) {
            return false;  // the plain handler answers
        }
    };
    auto closeClient = [&](size_t i) {
        buffered -= clients[i].out.size() - clients[i].sent;
        close(clients[i].fd);
        clients[i] = std::move(clients.back());
        clients.pop_back();
    };
    // Sends what it can; true when the client is finished (all sent, or gone).
    auto flush = [&](Client& c) {
        while (c.sent < c.out.size()) {
            ssize_t w = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                c.sent += static_cast<size_t>(w);
                buffered -= static_cast<size_t>(w);
                continue;
            }
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
            ++counters_.clientGone;  // EPIPE, ECONNRESET: the client left
            return true;
        }
        ++counters_.served;
        return true;
    };
    auto respond = [&](Client& c, std::string reply) {
        c.writing = true;
        c.out = std::move(reply);
        c.sent = 0;
        buffered += c.out.size();
    };
    while (running_.load()) {
        uint64_t now = nowMs();
        fds.clear();
        fds.push_back({wakeFd_[0], POLLIN, 0});
        bool listening = now >= acceptPausedUntil;
        fds.push_back({listening ? listenFd_ : -1, POLLIN, 0});
        int timeout = 100;
        for (const Client& c : clients) {
            short events = c.waiting ? 0 : c.writing ? POLLOUT : POLLIN;  // waiting: HUP only
            fds.push_back({c.fd, events, 0});
            timeout = static_cast<int>(std::min<uint64_t>(
                static_cast<uint64_t>(timeout), c.deadline > now ? c.deadline - now : 0));
        }
        int n = poll(fds.data(), fds.size(), timeout);
        if (n < 0 && errno != EINTR) break;
        now = nowMs();
        // Clients first (indices are stable until one is closed: walk backwards).
        for (size_t i = clients.size(); i-- > 0;) {
            Client& c = clients[i];
            short ev = fds[2 + i].revents;
            bool done = false;
            if (c.waiting) {
                if (ev & (POLLERR | POLLHUP)) {  // gone before its reply: dropped when it comes
                    ++counters_.clientGone;
                    done = true;
                }
            } else if (c.writing) {
                if (ev & (POLLOUT | POLLERR | POLLHUP)) done = flush(c);
            } else if (ev & (POLLIN | POLLERR | POLLHUP)) {
                char buf[4096];
                ssize_t r;
                while ((r = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
                    c.in.append(buf, static_cast<size_t>(r));
                    if (c.in.find('\n') != std::string::npos ||
                        c.in.size() > limits_.maxRequestBytes)
                        break;
                }
                size_t nl = c.in.find('\n');
                bool eof = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                                      errno != EINTR);
                if (nl != std::string::npos || (eof && !c.in.empty())) {
                    std::string req = c.in.substr(0, nl == std::string::npos ? c.in.size() : nl);
                    if (req.size() > limits_.maxRequestBytes) {
                        ++counters_.tooLarge;
                        respond(c, errorReply("request too large (max " +
                                              std::to_string(limits_.maxRequestBytes) + " bytes)"));
                    } else if (buffered > limits_.maxBufferedBytes) {
                        ++counters_.refusedBusy;
                        respond(c, errorReply("busy: too many unread replies; retry later"));
                    } else if (deferred_ && takeDeferred(c, req)) {
                        c.waiting = true;
                        c.deadline = now + limits_.deferredTimeoutMs;
                    } else {
                        std::string reply;
                        try {
                            reply = handler_(req);
                        } catch (const std::exception& e) {
                            reply = errorReply(std::string("internal error: ") + e.what());
                        }
                        if (reply.size() > limits_.maxReplyBytes) {
                            ++counters_.tooLarge;
                            reply = errorReply("reply too large (" + std::to_string(reply.size()) +
                                               " bytes, max " +
                                               std::to_string(limits_.maxReplyBytes) +
                                               "): ask for less (e.g. sessions --limit)");
                        }
                        respond(c, std::move(reply));
                    }
                    if (!c.waiting) done = flush(c);
                } else if (c.in.size() > limits_.maxRequestBytes) {
                    ++counters_.tooLarge;
                    respond(c, errorReply("request too large (max " +
                                          std::to_string(limits_.maxRequestBytes) + " bytes)"));
                    done = flush(c);
                } else if (eof) {
                    ++counters_.clientGone;
                    done = true;
                }
            }
            if (!done && now >= c.deadline) {
                ++counters_.timedOut;
                if (!c.writing) {  // tell it why, if it still listens
                    std::string e = errorReply(
                        c.waiting ? "timed out waiting for the reply of a deferred request"
                                  : "timed out: a request is one JSON line, sent at once");
                    ssize_t w = send(c.fd, e.data(), e.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                    (void)w;
                }
                done = true;
            }
            if (done) closeClient(i);
        }
        if (listening && (fds[1].revents & POLLIN)) {
            for (;;) {
                int fd = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        acceptPausedUntil = now + 100;  // out of descriptors: back off
                    break;
                }
                ++counters_.accepted;
                if (clients.size() >= limits_.maxClients) {
                    ++counters_.refusedBusy;
                    std::string e = errorReply("busy: " + std::to_string(limits_.maxClients) +
                                               " control clients are connected; retry later");
                    ssize_t w = send(fd, e.data(), e.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                    (void)w;
                    close(fd);
                    continue;
                }
                Client c;
                c.fd = fd;
                c.id = nextId++;
                c.deadline = now + limits_.clientTimeoutMs;
                clients.push_back(std::move(c));
            }
        }
        if (fds[0].revents & POLLIN) {
            char b[16];
            while (read(wakeFd_[0], b, sizeof b) > 0) {
            }
        }
        // Replies of deferred requests (a client that left meanwhile is no longer listed).
        std::vector<std::pair<uint64_t, std::string>> ready;
        {
            std::lock_guard<std::mutex> lock(completions_->mu);
            ready.swap(completions_->done);
        }
        for (auto& [id, reply] : ready) {
            for (size_t i = clients.size(); i-- > 0;) {
                if (clients[i].id != id || !clients[i].waiting) continue;
                clients[i].waiting = false;
                if (reply.size() > limits_.maxReplyBytes) reply = errorReply("reply too large");
                respond(clients[i], std::move(reply));
                if (flush(clients[i])) closeClient(i);
                break;
            }
        }
    }
    for (size_t i = clients.size(); i-- > 0;) closeClient(i);
}

}  // namespace sluice::rt
