// The vSwitch runtime (`sluice run`): DPDK devices for the policy's vNICs and the uplink,
// worker lcores running the session-cache fast path, the slow path on misses, a maintenance
// thread for aging, RCU reclamation and the control socket. DPDK stays behind this header.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "sluice/runtime/artifact.h"
#include "sluice/runtime/config.h"
#include "sluice/runtime/reload.h"
#include "sluice/support/expected.h"

namespace sluice::rt {

class Datapath;

// EAL arguments for `config`: `--no-huge -m 512` unless hugepages are requested or present,
// `--no-pci` unless a PCI device is named, `--no-shconf`, a unique --file-prefix, one lcore
// for the main thread plus one per worker.
std::vector<std::string> ealArguments(const RunConfig& config);
// Initialises DPDK once per process (later calls with any arguments are no-ops that succeed).
Status initEal(const std::vector<std::string>& args);
bool ealInitialised();

// The pid of the `sluice run` that serves control socket `path` now, 0 when none
// (`sluice run --takeover`).
int controlSocketOwner(const std::string& path);

class Runtime {
public:
    // Binds the artifact's ports to the configured devices (every configured port must exist
    // in it; ports without a device belong to other hosts). EAL must be up. An artifact whose
    // halves disagree (checkArtifact) is refused.
    // With `deferDevices` everything but the devices is made (mempool, session table) and
    // bindDevices() opens them later: `sluice run --takeover` does the slow part while the
    // daemon it replaces still owns the devices.
    static Expected<std::unique_ptr<Runtime>> create(const RunConfig& config,
                                                     Artifact artifact,
                                                     bool deferDevices = false);
    // `lockDevices` false: a takeover, whose predecessor holds the locks until it exits;
    // acquireDeviceLocks() takes them later (all or none; an error while one is held).
    Status bindDevices(bool lockDevices = true);
    Status acquireDeviceLocks();
    // Before start(): drops what the devices have received so far (a takeover's copies of
    // packets its predecessor forwarded); the number dropped.
    size_t drainReceive();
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Launches the workers and the maintenance thread (and the control socket unless
    // `controlSocket` is empty). stop() joins them and stops the devices (pcap output is
    // flushed then). Its waits have deadlines (a reload in progress 30 s, the workers 5 s):
    // past one it returns an error naming what is stuck, counted in `ctl stats`
    // (`stop_timeouts`), and frees nothing that thread may use.
    Status start(bool controlSocket = true);
    // `keepControlSocket`: the socket (and its pid lock) stays until closeControl(), so a
    // `--takeover` successor, which waits for that lock, knows the state file is written.
    Status stop(bool keepControlSocket = false);
    Status closeControl();

    // Runs one iteration of worker `worker`'s loop (receive bursts, process, transmit) on the
    // calling thread, for a runtime that was not started: deterministic single-thread
    // benchmarks (bench/runtime --single-core) and tests. Returns whether any packet arrived.
    bool pollOnce(unsigned worker = 0);

    // One control request (the JSON the control socket accepts; docs/operations.md) and its
    // reply. Safe to call while running.
    std::string control(const std::string& requestJson);

    // A new artifact for the same ports, swapped in with RCU (no verification: tests and
    // benches); every port's generation is bumped so cached sessions are re-simulated on their
    // next packet (VFP 6.3). The old pipeline is freed after its grace period.
    Status reload(Artifact artifact);
    uint32_t generation(uint32_t port) const;

    // Verify-gated reload (reload.h): `sluice ctl reload` and SIGHUP go through `loader`.
    // `policyFile` is what SIGHUP reloads. Call before start().
    void setLoader(PipelineLoader loader, std::string policyFile);
    // One reload attempt, synchronously (SIGHUP, tests): the reply JSON of `ctl reload`
    // (docs/operations.md), recorded in the history. `trigger`: "sighup", "ctl", "test".
    std::string reloadFile(const std::string& file, const ReloadOptions& options,
                           const char* trigger = "sighup");
    // The gate a rollback passes (reload.h); without one a rollback is not checked.
    void setChecker(PipelineChecker checker);
    // Back to the pipeline the last swap replaced, through the checker (`force`, `expectFile`
    // and `dryRun` as for a reload): the reply JSON of `ctl rollback`.
    std::string rollback(const ReloadOptions& options = {});

    // Session state across restarts (state_file.cpp; docs/operations.md): written to a
    // temporary file and renamed. restoreState() runs before start(): it re-simulates every
    // saved session against the current policy and returns a one-line summary; a damaged file
    // is refused as a whole (message, counted in stats) and the table starts empty.
    Status saveState(const std::string& path);
    void setStateFile(std::string path);  // what `ctl save` writes when given no file
    std::string restoreState(const std::string& path);

    // In-process ring devices ("ring:NAME"): frames into the device's receive side, and the
    // frames it transmitted. Return false / nothing for other devices.
    bool injectFrames(const std::string& ring, const std::vector<std::vector<uint8_t>>& frames);
    std::vector<std::vector<uint8_t>> collectFrames(const std::string& ring, size_t max = 4096);
    // Names of the DPDK rings behind "ring:NAME" (receive side, transmit side), for in-process
    // generators such as bench/runtime; empty when there is no such device.
    std::pair<std::string, std::string> ringNames(const std::string& ring) const;

    // Counter snapshot as JSON (same as control({"cmd":"stats"}) with format json).
    std::string statsJson();
    const char* slowPathKind() const;

private:
    explicit Runtime(std::unique_ptr<Datapath> dp);
    std::unique_ptr<Datapath> dp_;
};

}  // namespace sluice::rt
