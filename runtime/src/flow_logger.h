// The flow logger of a running daemon: one FlowLogRing per worker (the worker pushes, never
// blocks), drained by the maintenance thread into the flow-log file (FlowLogFile) and into
// the bounded buffers of `ctl monitor` subscribers (the control server takes from them). A
// subscriber that does not keep up loses lines, counted and reported to it; it never holds up
// the drain or the workers. docs/operations.md "Flow logs".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "flow_log_file.h"
#include "flow_log_ring.h"
#include "sluice/runtime/flow_log.h"

namespace sluice::rt {

class FlowLogger {
public:
    // A subscriber that has not taken its lines for this long is gone (its client was killed
    // without `stop`): drain() removes it, so dead clients cannot use up max_monitors.
    static constexpr std::chrono::milliseconds kSubscriberIdle{10000};

    FlowLogger(const FlowLogConfig& config, unsigned workers);

    // Opens the file when a path is configured: a clear error before any traffic.
    Status open();

    // Worker `worker` only (its own ring): a full ring is counted, never waited on.
    void push(unsigned worker, const FlowLogEvent& e) {
        if (worker < rings_.size()) rings_[worker]->push(e);
    }
    bool allDrops() const { return config_.allDrops; }

    // Maintenance thread: moves every queued event to the file and the subscribers. `desc`
    // names ports, layers and rules (the current pipeline's descriptor).
    size_t drain(const sl_policy_desc* desc);

    // Control thread: a subscriber with filters; nullopt when max_monitors are subscribed.
    struct Filter {
        std::optional<uint32_t> port;     // policy port index
        std::optional<uint8_t> verdict;   // SL_VERDICT_*
        bool json = false;
    };
    std::optional<uint64_t> subscribe(const Filter& filter);
    void unsubscribe(uint64_t id);
    // The lines queued for subscriber `id` since the last take, and how many it lost to a
    // full buffer meanwhile. False when `id` is not subscribed.
    bool take(uint64_t id, std::string& lines, uint64_t& lost);

    struct Counters {
        uint64_t events = 0;       // pushed into the rings
        uint64_t dropped = 0;      // flow_log_dropped: a full ring
        uint64_t written = 0;      // lines in the file
        uint64_t rotations = 0;
        uint64_t writeErrors = 0;
        uint64_t monitorLost = 0;  // lines a slow subscriber lost
        uint64_t monitors = 0;     // subscribed now
    };
    Counters counters() const;

private:
    struct Subscriber {
        uint64_t id = 0;
        Filter filter;
        std::string buffer;
        uint64_t lost = 0;
        std::chrono::steady_clock::time_point lastTake;
    };
    FlowLogConfig config_;
    std::vector<std::unique_ptr<FlowLogRing>> rings_;
    FlowLogFile file_;
    // Written by the maintenance thread (drain), read by the control thread (counters).
    std::atomic<uint64_t> written_{0}, rotations_{0}, writeErrors_{0};
    mutable std::mutex subMu_;  // control and maintenance threads, never a worker
    std::vector<Subscriber> subs_;
    uint64_t nextId_ = 1;
    uint64_t monitorLost_ = 0;
};

}  // namespace sluice::rt
