// The gateway's RSP responder (docs/gateway.md): authenticates a learner's query, answers every
// destination from the controller's VM table, and signs one reply (a query holds at most
// kMaxEntries destinations, a reply as many). Per destination: the learner's known version is
// current -> unchanged; the gateway has another version -> changed with the host and MAC;
// no entry -> deleted if the learner knew one, else unknown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "sluice/controller/store.h"
#include "sluice/rsp/codec.h"

namespace sluice::gateway {

struct ResponderCounters {
    uint64_t learnQueries = 0, reconcileQueries = 0, replies = 0;
    uint64_t changed = 0, unchanged = 0, deleted = 0, unknown = 0;
    uint64_t encodeFailures = 0;
};

// The VM table as the responder reads it: a hash of (VNI, IP) built once per store revision.
class VmTable {
  public:
    explicit VmTable(const controller::Tables& t);
    const controller::VmEntry* find(uint32_t vni, const rsp::IpAddress& ip) const;
    uint64_t revision() const { return revision_; }
    size_t size() const { return vms_.size(); }

  private:
    struct Key {
        uint32_t vni;
        rsp::IpAddress ip;
        bool operator==(const Key&) const = default;
    };
    struct Hash {
        size_t operator()(const Key& k) const;
    };
    uint64_t revision_ = 0;
    std::unordered_map<Key, controller::VmEntry, Hash> vms_;
};

class RspResponder {
  public:
    // Replies are signed with keyId and carry `sender`; queries are taken under any key of keys.
    RspResponder(const rsp::Keyring& keys, uint32_t keyId, uint32_t sender, size_t maxPeers,
                 uint64_t firstSequence = 0);

    void setTable(std::shared_ptr<const VmTable> table) { table_ = std::move(table); }
    const VmTable* table() const { return table_.get(); }

    // One datagram in; the reply's length in out (0: nothing to send, the refusal counted).
    size_t handle(const uint8_t* msg, size_t len, uint8_t* out, size_t cap);

    const rsp::RspCounters& rspCounters() const { return rx_.counters(); }
    const ResponderCounters& counters() const { return counters_; }

  private:
    const rsp::Keyring& keys_;
    uint32_t keyId_, sender_;
    rsp::Receiver rx_;
    rsp::SequenceCounter seq_;
    std::shared_ptr<const VmTable> table_;
    ResponderCounters counters_;
    rsp::QueryBatch query_;
    rsp::ReplyBatch reply_;
};

rsp::IpAddress toRsp(const controller::Address& a);
controller::Address fromRsp(const rsp::IpAddress& a);

}  // namespace sluice::gateway
