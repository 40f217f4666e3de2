// The gateway's control loop: one UDP socket for RSP (the kernel's stack: RSP is a control
// protocol of a few hundred bytes a request, not the data path) and the store watch.
#include "sluice/gateway/process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "sluice/controller/store.h"
#include "sluice/gateway/relay.h"
#include "sluice/gateway/responder.h"

namespace sluice::gateway {
namespace {

socklen_t toSockaddr(const controller::Address& a, uint16_t port, sockaddr_storage& ss) {
    ss = {};
    if (a.family == 4) {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
        return sizeof *s4;
    }
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
    return sizeof *s6;
}

int openSocket(const std::string& listen, uint16_t listenPort, const char* what, std::ostream& log,
               std::string& bound) {
    auto a = controller::parseAddress(listen);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (a->family == 4) {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(listenPort);
        std::memcpy(&s4->sin_addr, a->bytes.data(), 4);
        len = sizeof *s4;
    } else {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(listenPort);
        std::memcpy(&s6->sin6_addr, a->bytes.data(), 16);
        len = sizeof *s6;
    }
    int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        log << "sluice gateway: error: cannot listen for " << what << " on " << listen << " port "
            << listenPort << ": " << std::strerror(errno) << "\n";
        if (fd >= 0) ::close(fd);
        return -1;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    uint16_t port =
        ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                      : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    bound = (a->family == 6 ? "[" + listen + "]" : listen) + ":" + std::to_string(port);
    return fd;
}

}  // namespace

int runGateway(const GatewayConfig& c, const std::atomic<bool>& stop, std::ostream& log,
               std::ostream& stats, std::atomic<bool>* dump) {
    rsp::Keyring keys;
    for (const auto& k : c.keys) {
        if (keys.add(k.id, k.bytes.data(), k.bytes.size()) != rsp::RspError::None) {
            log << "sluice gateway: error: RSP key " << k.id << " refused\n";
            return 1;
        }
    }
    auto store = controller::openFileStore(c.store);
    auto first = store->read();
    if (!first) {
        log << "sluice gateway: error: " << first.error().str() << "\n";
        return 1;
    }
    std::string bound;
    int fd = openSocket(c.listen, c.port, "RSP", log, bound);
    if (fd < 0) return 1;
    int relayFd = -1;
    std::string relayBound;
    if (c.relay) {
        relayFd = openSocket(c.relayListen, c.relayPort, "the VXLAN relay", log, relayBound);
        if (relayFd < 0) {
            ::close(fd);
            return 1;
        }
    }
    RelayCounters relay;
    uint64_t relaySendErrors = 0;
    RspResponder responder(keys, c.replyKey, c.sender, c.maxPeers);
    responder.setTable(std::make_shared<VmTable>(*first));
    uint64_t revision = first->revision, tableLoads = 1, storeErrors = 0, truncated = 0;
    // One write for the whole line (stderr is unbuffered; watchers read it as it comes).
    std::string start = "sluice gateway: RSP on " + bound + ", " + store->describe() +
                        " at revision " + std::to_string(revision) + " (" +
                        std::to_string(first->vms.size()) + " VMs)";
    if (c.relay) start += ", VXLAN relay on " + relayBound;
    log << start + "\n" << std::flush;

    auto printStats = [&] {
        nlohmann::json refused = nlohmann::json::object();
        const auto& rc = responder.rspCounters();
        for (size_t i = 1; i < rsp::kRspErrorCount; ++i)
            if (rc.byReason[i] != 0)
                refused[rsp::errorName(static_cast<rsp::RspError>(i))] = rc.byReason[i];
        const auto& g = responder.counters();
        nlohmann::json j = {{"revision", revision},
                            {"table_loads", tableLoads},
                            {"store_errors", storeErrors},
                            {"rsp",
                             {{"accepted", rc.accepted()},
                              {"refused", refused},
                              {"truncated", truncated},
                              {"learn_queries", g.learnQueries},
                              {"reconcile_queries", g.reconcileQueries},
                              {"replies", g.replies},
                              {"entries",
                               {{"changed", g.changed},
                                {"unchanged", g.unchanged},
                                {"deleted", g.deleted},
                                {"unknown", g.unknown}}}}}};
        if (c.relay) {
            nlohmann::json drops = nlohmann::json::object();
            for (size_t i = 0; i < kRelayDropCount; ++i)
                drops[relayDropName(static_cast<RelayDrop>(i))] = relay.drops[i];
            j["relay"] = {
                {"relayed", relay.relayed}, {"drops", drops}, {"send_errors", relaySendErrors}};
        }
        stats << j.dump() << std::endl;
    };
    using Clock = std::chrono::steady_clock;
    auto nextWatch = Clock::now() + std::chrono::milliseconds(c.watchIntervalMs);
    uint8_t in[rsp::kMaxMessageBytes + 1], out[rsp::kMaxMessageBytes];
    static uint8_t frame[9216];  // the largest jumbo frame
    bool storeFailing = false;
    while (!stop.load(std::memory_order_relaxed)) {
        if (dump != nullptr && dump->exchange(false)) printStats();
        auto now = Clock::now();
        if (now >= nextWatch) {
            nextWatch = now + std::chrono::milliseconds(c.watchIntervalMs);
            auto rev = store->revision();
            if (rev && *rev != revision) {
                auto t = store->read();
                if (t) {
                    responder.setTable(std::make_shared<VmTable>(*t));
                    revision = t->revision;
                    ++tableLoads;
                    storeFailing = false;
                } else {
                    rev = t.error();
                }
            }
            if (!rev) {
                // Static stability: keep answering from the last good table.
                ++storeErrors;
                if (!storeFailing)
                    log << "sluice gateway: warning: " + rev.error().str() +
                               " (answering from revision " + std::to_string(revision) + ")\n"
                        << std::flush;
                storeFailing = true;
            }
        }
        int wait = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(nextWatch - Clock::now())
                .count());
        pollfd p[2] = {{fd, POLLIN, 0}, {relayFd, POLLIN, 0}};
        if (::poll(p, relayFd >= 0 ? 2 : 1, wait < 0 ? 0 : wait) <= 0) continue;
        // Bursts per wake-up, bounded so the watch and the other socket still run.
        for (int burst = 0; burst < 64 && (p[0].revents & POLLIN); ++burst) {
            sockaddr_storage from{};
            socklen_t fromLen = sizeof from;
            ssize_t n = ::recvfrom(fd, in, sizeof in, MSG_TRUNC, reinterpret_cast<sockaddr*>(&from),
                                   &fromLen);
            if (n < 0) break;
            size_t len = static_cast<size_t>(n);
            if (len > sizeof in) {  // longer than any RSP message: refused as too long
                ++truncated;
                len = sizeof in;
            }
            size_t reply = responder.handle(in, len, out, sizeof out);
            if (reply > 0) ::sendto(fd, out, reply, 0, reinterpret_cast<sockaddr*>(&from), fromLen);
        }
        for (int burst = 0; relayFd >= 0 && burst < 64 && (p[1].revents & POLLIN); ++burst) {
            ssize_t n = ::recv(relayFd, frame, sizeof frame, MSG_TRUNC);
            if (n < 0) break;
            if (static_cast<size_t>(n) > sizeof frame) {  // larger than any underlay frame
                ++relaySendErrors;
                continue;
            }
            controller::Address host;
            RelayDrop d = relayVxlan(frame, static_cast<size_t>(n), responder.table(), host);
            if (d != RelayDrop::None) {
                ++relay.drops[static_cast<size_t>(d)];
                continue;
            }
            sockaddr_storage to{};
            socklen_t toLen = toSockaddr(host, c.hostPort, to);
            // The relay socket's family must match the host's (one socket, one family).
            if (::sendto(relayFd, frame, static_cast<size_t>(n), 0,
                         reinterpret_cast<sockaddr*>(&to), toLen) < 0)
                ++relaySendErrors;
            else
                ++relay.relayed;
        }
    }
    if (relayFd >= 0) ::close(relayFd);
    ::close(fd);

    printStats();
    return 0;
}

}  // namespace sluice::gateway
