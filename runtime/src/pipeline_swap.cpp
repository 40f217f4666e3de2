// PipelineSwap (pipeline_swap.h): atomic publication, one rollback target, RCU-deferred free.
#include "pipeline_swap.h"

namespace sluice::rt {

PipelineSwap::PipelineSwap(std::unique_ptr<Pipeline> first) : owned_(std::move(first)) {
    cur_.store(owned_.get(), std::memory_order_release);
}

PipelineSwap::~PipelineSwap() = default;  // workers are stopped by then

const Pipeline* PipelineSwap::previous() const {
    std::lock_guard<std::mutex> lock(mu_);
    return previous_.get();
}

void PipelineSwap::retire(std::unique_ptr<Pipeline> p) {
    if (!p) return;
    // The token is taken after the pointer that could lead a worker to `p` was replaced:
    // once every worker has reported quiescence past it, none can still use `p`.
    uint64_t token = rcu_ != nullptr ? rte_rcu_qsbr_start(rcu_) : 0;
    retired_.push_back({std::move(p), token, std::chrono::steady_clock::now()});
}

void PipelineSwap::install(std::unique_ptr<Pipeline> next) {
    std::lock_guard<std::mutex> lock(mu_);
    cur_.store(next.get(), std::memory_order_release);
    std::unique_ptr<Pipeline> old = std::move(previous_);
    previous_ = std::move(owned_);
    owned_ = std::move(next);
    retire(std::move(old));
}

bool PipelineSwap::rollback() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!previous_) return false;
    cur_.store(previous_.get(), std::memory_order_release);
    std::swap(owned_, previous_);
    return true;
}

size_t PipelineSwap::reclaim() {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    // Never a blocking check: the maintenance thread calls this every few ms.
    while (!retired_.empty()) {
        const Retired& r = retired_.front();
        if (rcu_ != nullptr && rte_rcu_qsbr_check(rcu_, r.token, false) != 1) break;
        retired_.pop_front();  // the slow path and its JIT code go here
        ++n;
    }
    freed_.fetch_add(n, std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    for (Retired& r : retired_) {
        if (!r.reported && now - r.since > kGraceDeadline) {
            r.reported = true;
            overdue_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    return n;
}

bool PipelineSwap::stalled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return retired_.size() >= kMaxWaiting ||
           (!retired_.empty() && std::chrono::steady_clock::now() - retired_.front().since > kGraceDeadline);
}

size_t PipelineSwap::waiting() const {
    std::lock_guard<std::mutex> lock(mu_);
    return retired_.size();
}

size_t PipelineSwap::live() const {
    std::lock_guard<std::mutex> lock(mu_);
    return (owned_ ? 1 : 0) + (previous_ ? 1 : 0) + retired_.size();
}

}  // namespace sluice::rt
