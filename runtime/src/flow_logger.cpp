#include "flow_logger.h"

#include <algorithm>

namespace sluice::rt {

FlowLogger::FlowLogger(const FlowLogConfig& config, unsigned workers) : config_(config) {
    for (unsigned i = 0; i < std::max(1u, workers); ++i)
        rings_.push_back(std::make_unique<FlowLogRing>(config_.ringEntries));
}

Status FlowLogger::open() {
    if (config_.path.empty()) return {};
    return file_.open(config_.path, config_.maxBytes, config_.keep);
}

size_t FlowLogger::drain(const sl_policy_desc* desc) {
    size_t n = 0;
    FlowLogEvent e;
    for (auto& ring : rings_) {
        while (ring->pop(e)) {
            ++n;
            std::string json = flowLogJson(e, desc);
            if (file_.isOpen() && file_.write(json)) written_.fetch_add(1, std::memory_order_relaxed);
            std::lock_guard<std::mutex> lock(subMu_);
            for (Subscriber& s : subs_) {
                if (s.filter.port && *s.filter.port != e.port) continue;
                if (s.filter.verdict && *s.filter.verdict != e.verdict) continue;
                std::string line = s.filter.json ? json : flowLogText(e, desc);
                if (s.buffer.size() + line.size() + 1 > config_.monitorBufferBytes) {
                    ++s.lost;
                    ++monitorLost_;
                    continue;
                }
                s.buffer += line;
                s.buffer += '\n';
            }
        }
    }
    {
        std::lock_guard<std::mutex> lock(subMu_);
        auto now = std::chrono::steady_clock::now();
        subs_.erase(std::remove_if(subs_.begin(), subs_.end(),
                                   [&](const Subscriber& s) {
                                       return now - s.lastTake > kSubscriberIdle;
                                   }),
                    subs_.end());
    }
    rotations_.store(file_.rotations(), std::memory_order_relaxed);
    writeErrors_.store(file_.writeErrors(), std::memory_order_relaxed);
    return n;
}

std::optional<uint64_t> FlowLogger::subscribe(const Filter& filter) {
    std::lock_guard<std::mutex> lock(subMu_);
    if (subs_.size() >= config_.maxMonitors) return std::nullopt;
    Subscriber s;
    s.id = nextId_++;
    s.filter = filter;
    s.lastTake = std::chrono::steady_clock::now();
    subs_.push_back(std::move(s));
    return subs_.back().id;
}

void FlowLogger::unsubscribe(uint64_t id) {
    std::lock_guard<std::mutex> lock(subMu_);
    subs_.erase(std::remove_if(subs_.begin(), subs_.end(),
                               [&](const Subscriber& s) { return s.id == id; }),
                subs_.end());
}

bool FlowLogger::take(uint64_t id, std::string& lines, uint64_t& lost) {
    std::lock_guard<std::mutex> lock(subMu_);
    for (Subscriber& s : subs_) {
        if (s.id != id) continue;
        lines.swap(s.buffer);
        s.buffer.clear();
        lost = s.lost;
        s.lost = 0;
        s.lastTake = std::chrono::steady_clock::now();
        return true;
    }
    return false;
}

FlowLogger::Counters FlowLogger::counters() const {
    Counters c;
    for (const auto& ring : rings_) {
        c.events += ring->pushed();
        c.dropped += ring->dropped();
    }
    c.written = written_.load(std::memory_order_relaxed);
    c.rotations = rotations_.load(std::memory_order_relaxed);
    c.writeErrors = writeErrors_.load(std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(subMu_);
    c.monitorLost = monitorLost_;
    c.monitors = subs_.size();
    return c;
}

}  // namespace sluice::rt
