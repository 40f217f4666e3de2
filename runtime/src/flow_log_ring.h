// A bounded single-producer single-consumer ring of FlowLogEvents: the worker pushes (never
// blocks, never allocates: a full ring is a counted drop), the maintenance thread pops.
// Capacity is a power of two fixed at construction (control path).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sluice/runtime/flow_log.h"

namespace sluice::rt {

class FlowLogRing {
public:
    explicit FlowLogRing(uint32_t capacity)
        : mask_(capacity - 1), slots_(std::make_unique<FlowLogEvent[]>(capacity)) {}

    // Producer only. False when full (the caller counts it).
    bool push(const FlowLogEvent& e) {
        uint64_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) > mask_) {
            dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return false;
        }
        slots_[head & mask_] = e;
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

    // Consumer only.
    bool pop(FlowLogEvent& out) {
        uint64_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire)) return false;
        out = slots_[tail & mask_];
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    uint64_t pushed() const { return head_.load(std::memory_order_relaxed); }
    uint32_t capacity() const { return mask_ + 1; }

private:
    const uint32_t mask_;
    std::unique_ptr<FlowLogEvent[]> slots_;
    alignas(64) std::atomic<uint64_t> head_{0};
    alignas(64) std::atomic<uint64_t> tail_{0};
    alignas(64) std::atomic<uint64_t> dropped_{0};  // written by the producer only
};

}  // namespace sluice::rt
