// The controller's tables and the store interface they live behind (docs/controller.md):
// VNI -> VM IP -> {host underlay address, MAC, version} and VNI -> prefix -> next hop. Every
// commit is one transaction that bumps the store's revision by one; each record written gets
// that revision as its version (as etcd's mod_revision), which is the entry version RSP
// carries. Writes are compare-and-swap on a record's version, so two operators (or a
// controller and a migration) cannot overwrite each other unseen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/controller/address.h"
#include "sluice/support/expected.h"

namespace sluice::controller {

struct VmKey {
    uint32_t vni = 0;
    Address ip;
    auto operator<=>(const VmKey&) const = default;
};

struct VmEntry {
    Address host;  // the underlay address of the host the VM runs on
    Mac mac;
    uint64_t version = 0;  // the revision of the commit that last wrote it
    bool operator==(const VmEntry&) const = default;
};

struct RouteKey {
    uint32_t vni = 0;
    Prefix prefix;
    auto operator<=>(const RouteKey&) const = default;
};

struct RouteEntry {
    Address nextHop;  // underlay address (a host or a gateway)
    uint64_t version = 0;
    bool operator==(const RouteEntry&) const = default;
};

struct Tables {
    uint64_t revision = 0;  // of the last commit; 0: nothing committed yet
    std::map<VmKey, VmEntry> vms;
    std::map<RouteKey, RouteEntry> routes;
};

// expectVersion of a write: the record's current version, or one of these.
inline constexpr uint64_t kAnyVersion = std::numeric_limits<uint64_t>::max();  // unconditional
inline constexpr uint64_t kMustBeAbsent = 0;                                   // create only

struct Write {
    enum class Op : uint8_t { PutVm, DeleteVm, PutRoute, DeleteRoute };
    Op op = Op::PutVm;
    VmKey vm;         // PutVm, DeleteVm
    VmEntry vmValue;  // PutVm (version is set by the commit)
    RouteKey route;   // PutRoute, DeleteRoute
    RouteEntry routeValue;
    uint64_t expectVersion = kAnyVersion;
};

struct StoreLimits {
    size_t maxVms = 4'000'000;
    size_t maxRoutes = 1'000'000;
    size_t maxWritesPerCommit = 1'000'000;
    uint64_t maxFileBytes = 1ull << 30;
};

struct CommitResult {
    enum class Outcome : uint8_t {
        Committed,  // revision is the new one
        Conflict,   // a compare-and-swap failed (nothing written); revision is the current one
        Refused,    // an invalid value or a limit (nothing written)
        Failed,     // the store could not be read or written (I/O, a corrupt file)
    };
    Outcome outcome = Outcome::Failed;
    uint64_t revision = 0;
    std::string message;     // why, for everything but Committed
    size_t failedWrite = 0;  // Conflict, Refused: the index of the write
    bool ok() const { return outcome == Outcome::Committed; }
};

class Store {
  public:
    virtual ~Store() = default;
    // A consistent snapshot of both tables.
    virtual Expected<Tables> read() = 0;
    // The current revision, cheaper than read(): watchers poll it and read() when it moves.
    virtual Expected<uint64_t> revision() = 0;
    // All writes or none, under one new revision.
    virtual CommitResult commit(const std::vector<Write>& writes) = 0;
    virtual std::string describe() const = 0;  // "file /var/lib/sluice/vpc.store"
};

// The rules of a commit, shared by every store: compare-and-swap, valid values, limits.
// Applies to `t` only when everything passes (t.revision is then one more).
CommitResult applyWrites(Tables& t, const std::vector<Write>& writes, const StoreLimits& limits);

// An in-process store (tests, benches, simulations).
std::unique_ptr<Store> makeMemoryStore(StoreLimits limits = {});

// The embedded default: a checksummed text file replaced by atomic rename, commits serialised
// by an advisory lock on PATH.lock. A missing file is an empty store at revision 0.
std::unique_ptr<Store> openFileStore(const std::string& path, StoreLimits limits = {});

}  // namespace sluice::controller
