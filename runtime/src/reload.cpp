// Hot reload (runtime/include/sluice/runtime/reload.h): one attempt at a time (socket, SIGHUP,
// in-process); the loader (from cli/) does check, verify, diff, compile and validate off the
// workers; the swap itself is a pointer store under RCU (pipeline_swap.h), the generations of
// the ports whose behaviour changed are bumped, and every attempt is recorded.
#include <rte_cycles.h>

#include <cstdio>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "control_protocol.h"
#include "datapath.h"

namespace sluice::rt {
namespace {

using nlohmann::json;

constexpr size_t kHistoryEntries = 256;      // attempts kept (oldest dropped)
constexpr size_t kHistoryMessageBytes = 4096;  // of each attempt's message

std::string isoNow() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string ruleKey(const sl_rule_info& r) {
    std::string k = r.layer ? r.layer : "";
    k += '\x1f';
    k += r.group ? r.group : "";
    k += '\x1f';
    k += r.rule ? r.rule : "";
    k += r.direction == SL_DIR_OUT ? "\x1fout" : "\x1fin";
    return k;
}

json attemptResult(const char* result, int exitCode, const std::string& message) {
    return json{{"result", result}, {"exit", exitCode}, {"message", message}};
}

}  // namespace

void Datapath::fillStableIds(Pipeline& p) {
    const sl_policy_desc& desc = p.slowPath->descriptor();
    p.stableRule.assign(desc.n_rules, SL_NO_RULE);
    for (uint32_t r = 0; r < desc.n_rules; ++r) {
        auto [it, fresh] = stableRuleIds_.emplace(ruleKey(desc.rules[r]),
                                                  static_cast<uint32_t>(stableRuleIds_.size()));
        p.stableRule[r] = it->second;
    }
    p.stableLayer.assign(p.descriptor->layers.size(), 0xffff);
    for (size_t l = 0; l < p.descriptor->layers.size(); ++l) {
        auto [it, fresh] = stableLayerIds_.emplace(p.descriptor->layers[l],
                                                   static_cast<uint32_t>(stableLayerIds_.size()));
        p.stableLayer[l] = static_cast<uint16_t>(std::min<uint32_t>(it->second, 0xfffe));
    }
    retiredRulePackets_.resize(stableRuleIds_.size(), 0);
    retiredLayerPackets_.resize(stableLayerIds_.size(), 0);
}

// The maintenance thread's side of the step queues (under controlMu_).
void Datapath::drainStepQueues() {
    for (auto& qp : stepQueues_) {
        StepQueue& q = *qp;
        uint32_t tail = q.tail.load(std::memory_order_relaxed);
        const uint32_t head = q.head.load(std::memory_order_acquire);
        for (; tail != head; ++tail) {
            const StepRecord& r = q.records[tail % StepQueue::kSize];
            for (unsigned i = 0; i < r.nSteps && i < kMaxSteps; ++i) {
                if (r.steps[i].rule < retiredRulePackets_.size())
                    retiredRulePackets_[r.steps[i].rule] += r.packets;
                if (r.steps[i].layer < retiredLayerPackets_.size())
                    retiredLayerPackets_[r.steps[i].layer] += r.packets;
            }
        }
        q.tail.store(tail, std::memory_order_release);
    }
}

// A reload keeps the ports' identity: the devices, budgets and the lookup tables of the
// slow path are bound to them. Changing them takes a restart.
std::unique_ptr<Pipeline> Datapath::pipelineOf(Artifact a) {
    auto p = std::make_unique<Pipeline>();
    char hash[24];
    std::snprintf(hash, sizeof hash, "%016llx",
                  static_cast<unsigned long long>(a.descriptor->policyHash));
    p->policyHash = hash;
    p->descriptor = std::move(a.descriptor);
    p->slowPath = std::move(a.slowPath);
    p->origin = std::move(a.source);
    return p;
}

Status Datapath::compatible(const artifact::Descriptor& next) const {
    const artifact::Descriptor& cur = *pipes_->current()->descriptor;
    for (const auto& p : next.ports) {
        if (cur.findPort(p.name) < 0)
            return makeError("port '" + p.name + "' is not a port of the running policy: a "
                             "reload keeps the ports (restart with the new config to add one)");
    }
    for (size_t i = 0; i < cur.ports.size(); ++i) {
        const artifact::PortDesc& a = cur.ports[i];
        if (next.findPort(a.name) < 0)
            return makeError("port '" + a.name + "' of the running policy is missing: a reload "
                             "keeps the ports (restart to remove one)");
        if (i >= next.ports.size() || next.ports[i].name != a.name)
            return makeError("the ports are in another order (port '" + a.name +
                             "' moved): a reload keeps the ports' order");
        const artifact::PortDesc& b = next.ports[i];
        if (a.mac != b.mac || a.vni != b.vni || !(a.ips == b.ips))
            return makeError("port '" + a.name + "' changed its MAC, VNI or addresses: a reload "
                             "keeps the ports' identity (restart to change it)");
    }
    return {};
}

void Datapath::bumpGenerations(const Pipeline& next) {
    if (next.allChanged) {
        for (uint32_t i = 0; i < nGens_; ++i) gens_[i].fetch_add(1, std::memory_order_acq_rel);
        return;
    }
    for (const auto& name : next.changedPorts) {
        int p = next.descriptor->findPort(name);
        if (p >= 0 && static_cast<uint32_t>(p) < nGens_)
            gens_[p].fetch_add(1, std::memory_order_acq_rel);
    }
}

// Under controlMu_. The pointer is published before the generations move: a worker that sees
// a new generation re-simulates with the new pipeline (or a newer one).
void Datapath::swapIn(std::unique_ptr<Pipeline> next) {
    fillStableIds(*next);
    const Pipeline& n = *next;
    lastTransitionAll_ = n.allChanged;
    lastTransitionPorts_ = n.changedPorts;
    pipes_->install(std::move(next));
    bumpGenerations(n);
    pipes_->reclaim();
}

Status Datapath::reload(Artifact artifact) {
    if (Status s = checkArtifact(artifact); !s) return makeError("reload: " + s.error().message);
    std::lock_guard<std::mutex> lock(controlMu_);
    if (Status s = compatible(*artifact.descriptor); !s)
        return makeError("reload: " + s.error().message);
    auto p = pipelineOf(std::move(artifact));
    p->number = nextPipeline_++;
    p->source = "(in-process)";
    swapIn(std::move(p));
    return {};
}

void Datapath::setLoader(PipelineLoader loader, std::string policyFile) {
    loader_ = std::move(loader);
    if (!policyFile.empty()) policyFile_ = std::move(policyFile);
}

void Datapath::record(json entry) {
    if (entry.contains("message")) {
        std::string m = entry["message"];
        if (m.size() > kHistoryMessageBytes) entry["message"] = m.substr(0, kHistoryMessageBytes) + "...";
    }
    std::lock_guard<std::mutex> lock(historyMu_);
    history_.push_back(entry.dump());
    while (history_.size() > kHistoryEntries) history_.pop_front();
}

// One attempt; the caller holds reloadBusy_.
std::string Datapath::attempt(const std::string& file, const ReloadOptions& o, const char* trigger) {
    const auto t0 = std::chrono::steady_clock::now();
    json r;
    std::shared_ptr<const void> running;
    uint64_t runningNumber;
    {
        std::lock_guard<std::mutex> lock(controlMu_);
        running = pipes_->current()->origin;
        runningNumber = pipes_->current()->number;
    }
    if (!loader_) {
        r = attemptResult("error", 1, "this daemon was started without a policy loader");
    } else {
        LoadedPipeline lp = loader_(file, o, running);
        r = attemptResult("error", 1, lp.message);
        r["policy_hash"] = lp.policyHash;
        r["forced"] = lp.forced;
        r["diff"] = {{"summary", lp.diffSummary},
                     {"changed_ports", lp.changedPorts},
                     {"all_ports", lp.allChanged}};
        r["ms"] = {{"check", lp.checkMs}, {"verify", lp.verifyMs}, {"diff", lp.diffMs},
                   {"compile", lp.compileMs}};
        if (lp.status == LoadStatus::Refused) {
            r["result"] = "refused";
            r["exit"] = 3;
        } else if (Status bad = checkArtifact(lp.artifact);
                   lp.status == LoadStatus::Ready && !bad) {
            r["message"] = lp.message + file + ": error: " + bad.error().message + "\n";
        } else if (lp.status == LoadStatus::Ready) {
            std::lock_guard<std::mutex> lock(controlMu_);
            Status ok = compatible(*lp.artifact.descriptor);
            if (!ok) {
                r["message"] = lp.message + (lp.message.empty() ? "" : "\n") + file +
                               ": error: " + ok.error().message;
            } else if (stopping_.load()) {
                r["message"] = lp.message + file + ": error: the daemon is stopping; not swapped\n";
            } else if (pipes_->stalled()) {
                r["result"] = "busy";
                r["message"] = lp.message + file + ": error: " +
                               std::to_string(pipes_->waiting()) +
                               " replaced pipelines still wait for every worker's quiescent "
                               "state (a worker stuck?); not swapped\n";
            } else if (o.dryRun) {
                r["result"] = "dry-run";
                r["exit"] = 0;
            } else {
                auto p = pipelineOf(std::move(lp.artifact));
                p->number = nextPipeline_++;
                p->source = file;
                p->changedPorts = lp.changedPorts;
                p->allChanged = lp.allChanged;
                const uint64_t number = p->number;
                const uint64_t s0 = rte_rdtsc();
                swapIn(std::move(p));
                r["swap_us"] = static_cast<double>(rte_rdtsc() - s0) * 1e6 /
                               static_cast<double>(tscHz_);
                r["result"] = "swapped";
                r["exit"] = 0;
                r["pipeline"] = number;
            }
        }
    }
    r["previous_pipeline"] = runningNumber;
    r["file"] = file;
    r["trigger"] = trigger;
    r["time"] = isoNow();
    r["request_to_swap_ms"] = msSince(t0);
    std::string out = r.dump(2);
    record(std::move(r));
    return out;
}

std::string Datapath::reloadNow(const std::string& file, const ReloadOptions& o,
                                const char* trigger) {
    if (reloadBusy_.exchange(true)) {
        json r = attemptResult("busy", 1, "another reload is in progress; this one was not started");
        r["file"] = file;
        r["trigger"] = trigger;
        r["time"] = isoNow();
        record(r);
        return r.dump(2);
    }
    std::string out = attempt(file.empty() ? policyFile_ : file, o, trigger);
    reloadBusy_.store(false);
    return out;
}

// The control server's deferred handler: reloads run on a thread of their own and answer
// when done, so the socket keeps serving (stats, a second reload that is told it lost).
// A rollback is deferred the same way: its gate verifies and diffs.
bool Datapath::deferControl(const std::string& request, std::function<void(std::string)> reply) {
    auto req = parseControlRequest(request);
    if (!req || (req->cmd != ControlCommand::Reload && req->cmd != ControlCommand::Rollback))
        return false;
    const bool isRollback = req->cmd == ControlCommand::Rollback;
    ReloadOptions o;
    o.force = req->force;
    o.dryRun = req->dryRun;
    o.expectFile = req->expect;
    if (reloadBusy_.exchange(true)) {
        json r = attemptResult("busy", 1,
                               isRollback ? "a reload is in progress; roll back after it"
                                          : "another reload is in progress; this one was not started");
        if (!isRollback) r["file"] = req->file;
        r["trigger"] = "ctl";
        r["time"] = isoNow();
        record(r);
        reply(controlReply(true, r.dump(2)));
        return true;
    }
    if (reloadThread_.joinable()) reloadThread_.join();  // finished: busy was clear
    reloadThread_ = std::thread([this, isRollback, file = req->file, o, reply = std::move(reply)] {
        std::string out = isRollback ? rollbackAttempt(o) : attempt(file, o, "ctl");
        reloadBusy_.store(false);
        reply(controlReply(true, out));
    });
    return true;
}

std::string Datapath::rollback(const ReloadOptions& o) {
    if (reloadBusy_.exchange(true)) {
        return attemptResult("busy", 1, "a reload is in progress; roll back after it").dump(2);
    }
    std::string out = rollbackAttempt(o);
    reloadBusy_.store(false);
    return out;
}

// One rollback; the caller holds reloadBusy_, so no swap can happen meanwhile and the
// pipelines read here stay current and previous.
std::string Datapath::rollbackAttempt(const ReloadOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    json r;
    std::shared_ptr<const void> running, target;
    const Pipeline* prev = nullptr;  // compared, never followed, once the lock is released
    uint64_t curNumber = 0, prevNumber = 0;
    std::string prevSource, prevHash;
    {
        std::lock_guard<std::mutex> lock(controlMu_);
        const Pipeline* cur = pipes_->current();
        prev = pipes_->previous();
        curNumber = cur->number;
        running = cur->origin;
        if (prev != nullptr) {
            target = prev->origin;
            prevNumber = prev->number;
            prevSource = prev->source;
            prevHash = prev->policyHash;
        }
    }
    if (prev == nullptr) {
        r = attemptResult("error", 1, "no previous pipeline to roll back to");
    } else {
        // Without a checker (in-process tests), the way back touches the ports the swap did.
        LoadedPipeline lp;
        lp.status = LoadStatus::Ready;
        lp.allChanged = lastTransitionAll_;
        lp.changedPorts = lastTransitionPorts_;
        lp.diffSummary = "undoes the last swap";
        if (checker_) lp = checker_(prevSource, target, o, running);
        r = attemptResult("error", 1, lp.message);
        r["previous_pipeline"] = curNumber;
        r["policy_hash"] = prevHash;
        r["file"] = prevSource;
        r["forced"] = lp.forced;
        r["diff"] = {{"summary", lp.diffSummary},
                     {"changed_ports", lp.changedPorts},
                     {"all_ports", lp.allChanged}};
        r["ms"] = {{"verify", lp.verifyMs}, {"diff", lp.diffMs}};
        if (lp.status == LoadStatus::Refused) {
            r["result"] = "refused";
            r["exit"] = 3;
        } else if (lp.status == LoadStatus::Ready && o.dryRun) {
            r["result"] = "dry-run";
            r["exit"] = 0;
        } else if (lp.status == LoadStatus::Ready) {
            std::lock_guard<std::mutex> lock(controlMu_);
            const Pipeline* now = pipes_->previous();
            if (stopping_.load()) {
                r["message"] = "the daemon is stopping; not rolled back";
            } else if (now != prev || now->number != prevNumber) {  // Runtime::reload() ran
                r["message"] = "the pipelines changed meanwhile; not rolled back";
            } else {
                const uint64_t number = prevNumber;
                pipes_->rollback();
                Pipeline marker;  // the ports the gate's diff names
                marker.descriptor = prev->descriptor;  // under controlMu_: prev is alive
                marker.allChanged = lp.allChanged;
                marker.changedPorts = lp.changedPorts;
                bumpGenerations(marker);
                lastTransitionAll_ = lp.allChanged;  // undoing this touches the same ports
                lastTransitionPorts_ = lp.changedPorts;
                r["result"] = "rolled-back";
                r["exit"] = 0;
                r["pipeline"] = number;
            }
        }
    }
    r["trigger"] = "ctl";
    r["time"] = isoNow();
    r["request_to_swap_ms"] = msSince(t0);
    std::string out = r.dump(2);
    record(std::move(r));
    return out;
}

std::string Datapath::historyJson() {
    json arr = json::array();
    std::lock_guard<std::mutex> lock(historyMu_);
    for (const auto& e : history_) arr.push_back(json::parse(e));
    return json{{"attempts", arr}}.dump(2);
}

}  // namespace sluice::rt
