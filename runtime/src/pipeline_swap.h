// PipelineSwap: the running pipeline (policy + slow path) behind one atomic pointer, swapped
// with RCU (rte_rcu_qsbr, the session table's: every worker reports quiescence once per loop).
// A swap publishes the new pipeline at once; the one it replaces stays as the rollback target;
// the one before that is retired and freed (with its JIT code, through the compiler's
// ResourceTracker) once every worker has passed a quiescent state. Workers read current()
// once per decision and never keep the pointer past their loop iteration.
#pragma once

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/runtime/artifact.h"

namespace sluice::rt {

// A pipeline in use: an artifact and what the runtime keeps with it. `stableRule`/`stableLayer`
// map the descriptor's rule ids and layer indexes to ids that keep their meaning across reloads (same layer/group/rule/dir
// names), so session steps and rule counters survive a swap (VFP 6.3 re-attribution).
struct Pipeline {
    std::shared_ptr<const artifact::Descriptor> descriptor;  // ports, layers, rules, ECMP
    std::unique_ptr<SlowPath> slowPath;
    std::shared_ptr<const void> origin;  // Artifact::source, handed back to the loader/checker
    uint64_t number = 1;          // 1 = the pipeline the daemon started with
    std::string policyHash;       // hex content hash (history, state files)
    std::string source;           // policy file
    std::vector<uint32_t> stableRule;   // descriptor rule id -> stable rule id
    std::vector<uint16_t> stableLayer;  // descriptor layer index -> stable layer id
    std::vector<std::string> changedPorts;  // ports whose behaviour changed on the way in
    bool allChanged = true;
};

class PipelineSwap {
public:
    explicit PipelineSwap(std::unique_ptr<Pipeline> first);
    ~PipelineSwap();
    PipelineSwap(const PipelineSwap&) = delete;
    PipelineSwap& operator=(const PipelineSwap&) = delete;

    void setRcu(rte_rcu_qsbr* rcu) { rcu_ = rcu; }
    const Pipeline* current() const { return cur_.load(std::memory_order_acquire); }
    // The rollback target (the pipeline replaced by the last swap), or null.
    const Pipeline* previous() const;

    // Publishes `next`; the running pipeline becomes previous(); the former previous() is
    // retired (freed by reclaim() after a grace period).
    void install(std::unique_ptr<Pipeline> next);
    // Publishes previous() again; the running one becomes previous(). False when none.
    bool rollback();
    // Frees retired pipelines whose grace period has ended; returns how many.
    size_t reclaim();

    size_t live() const;  // pipelines allocated: current, previous, retired
    uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }
    // Retired pipelines still waiting for their grace period, and how many of them have
    // waited longer than kGraceDeadline (each counted once): a worker that stopped reporting
    // quiescence. Reloads are refused while one is overdue or kMaxWaiting wait (reload.cpp),
    // so a stuck worker bounds the memory instead of growing it with every reload.
    static constexpr std::chrono::milliseconds kGraceDeadline{10000};
    static constexpr size_t kMaxWaiting = 64;
    size_t waiting() const;
    bool stalled() const;  // the oldest waits longer than kGraceDeadline, or kMaxWaiting wait
    uint64_t overdue() const { return overdue_.load(std::memory_order_relaxed); }

private:
    struct Retired {
        std::unique_ptr<Pipeline> pipeline;
        uint64_t token;
        std::chrono::steady_clock::time_point since;
        bool reported = false;
    };
    void retire(std::unique_ptr<Pipeline> p);

    mutable std::mutex mu_;
    std::atomic<Pipeline*> cur_{nullptr};
    std::unique_ptr<Pipeline> owned_;     // == cur_
    std::unique_ptr<Pipeline> previous_;
    std::deque<Retired> retired_;
    rte_rcu_qsbr* rcu_ = nullptr;
    std::atomic<uint64_t> freed_{0};
    std::atomic<uint64_t> overdue_{0};
};

}  // namespace sluice::rt
