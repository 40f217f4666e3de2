// The gateway's control loop: one UDP socket for RSP (the kernel's stack: RSP is a control
// protocol of a few hundred bytes a request, not the data path) and the store watch.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>

#include "sluice/controller/store.h"
#include "sluice/gateway/process.h"
#include "sluice/gateway/responder.h"

namespace sluice::gateway {
namespace {

int openSocket(const GatewayConfig& c, std::ostream& log, std::string& bound) {
    auto a = controller::parseAddress(c.listen);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (a->family == 4) {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(c.port);
        std::memcpy(&s4->sin_addr, a->bytes.data(), 4);
        len = sizeof *s4;
    } else {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(c.port);
        std::memcpy(&s6->sin6_addr, a->bytes.data(), 16);
        len = sizeof *s6;
    }
    int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        log << "sluice gateway: error: cannot listen for RSP on " << c.listen << " port " << c.port
            << ": " << std::strerror(errno) << "\n";
        if (fd >= 0) ::close(fd);
        return -1;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    uint16_t port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                                  : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    bound = (a->family == 6 ? "[" + c.listen + "]" : c.listen) + ":" + std::to_string(port);
    return fd;
}

}  // namespace

int runGateway(const GatewayConfig& c, const std::atomic<bool>& stop, std::ostream& log,
               std::ostream& stats) {
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
    int fd = openSocket(c, log, bound);
    if (fd < 0) return 1;
    RspResponder responder(keys, c.replyKey, c.sender, c.maxPeers);
    responder.setTable(std::make_shared<VmTable>(*first));
    uint64_t revision = first->revision, tableLoads = 1, storeErrors = 0, truncated = 0;
    log << "sluice gateway: RSP on " << bound << ", " << store->describe() << " at revision "
        << revision << " (" << first->vms.size() << " VMs)" << std::endl;

    using Clock = std::chrono::steady_clock;
    auto nextWatch = Clock::now() + std::chrono::milliseconds(c.watchIntervalMs);
    uint8_t in[rsp::kMaxMessageBytes + 1], out[rsp::kMaxMessageBytes];
    bool storeFailing = false;
    while (!stop.load(std::memory_order_relaxed)) {
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
                if (!storeFailing) log << "sluice gateway: warning: " << rev.error().str()
                                       << " (answering from revision " << revision << ")" << std::endl;
                storeFailing = true;
            }
        }
        int wait = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        nextWatch - Clock::now()).count());
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, wait < 0 ? 0 : wait) <= 0) continue;
        // A burst of datagrams per wake-up, bounded so the watch still runs.
        for (int burst = 0; burst < 64; ++burst) {
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
            if (reply > 0)
                ::sendto(fd, out, reply, 0, reinterpret_cast<sockaddr*>(&from), fromLen);
        }
    }
    ::close(fd);

    nlohmann::json refused = nlohmann::json::object();
    const auto& rc = responder.rspCounters();
    for (size_t i = 1; i < rsp::kRspErrorCount; ++i)
        if (rc.byReason[i] != 0) refused[rsp::errorName(static_cast<rsp::RspError>(i))] = rc.byReason[i];
    const auto& g = responder.counters();
    nlohmann::json j = {
        {"revision", revision}, {"table_loads", tableLoads}, {"store_errors", storeErrors},
        {"rsp", {{"accepted", rc.accepted()}, {"refused", refused}, {"truncated", truncated},
                 {"learn_queries", g.learnQueries}, {"reconcile_queries", g.reconcileQueries},
                 {"replies", g.replies},
                 {"entries", {{"changed", g.changed}, {"unchanged", g.unchanged},
                              {"deleted", g.deleted}, {"unknown", g.unknown}}}}}};
    stats << j.dump() << std::endl;
    return 0;
}

}  // namespace sluice::gateway
