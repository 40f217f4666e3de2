#include "sluice/gateway/responder.h"

#include <cstring>

namespace sluice::gateway {

rsp::IpAddress toRsp(const controller::Address& a) {
    rsp::IpAddress r;
    r.family = a.family;
    r.bytes = a.bytes;
    return r;
}

controller::Address fromRsp(const rsp::IpAddress& a) {
    controller::Address r;
    r.family = a.family;
    r.bytes = a.bytes;
    return r;
}

size_t VmTable::Hash::operator()(const Key& k) const {
    uint64_t h = 1469598103934665603ull ^ k.vni ^ (uint64_t{k.ip.family} << 32);
    for (uint8_t b : k.ip.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<size_t>(h);
}

VmTable::VmTable(const controller::Tables& t) : revision_(t.revision) {
    vms_.reserve(t.vms.size());
    for (const auto& [k, e] : t.vms) vms_.emplace(Key{k.vni, toRsp(k.ip)}, e);
}

const controller::VmEntry* VmTable::find(uint32_t vni, const rsp::IpAddress& ip) const {
    auto it = vms_.find(Key{vni, ip});
    return it == vms_.end() ? nullptr : &it->second;
}

RspResponder::RspResponder(const rsp::Keyring& keys, uint32_t keyId, uint32_t sender,
                           size_t maxPeers, uint64_t firstSequence)
    : keys_(keys),
      keyId_(keyId),
      sender_(sender),
      rx_(keys, maxPeers),
      seq_(firstSequence == 0 ? rsp::SequenceCounter() : rsp::SequenceCounter(firstSequence)) {}

size_t RspResponder::handle(const uint8_t* msg, size_t len, uint8_t* out, size_t cap) {
    if (rx_.receiveQueries(msg, len, query_) != rsp::RspError::None) return 0;
    if (query_.header.flags & rsp::kFlagReconcile)
        ++counters_.reconcileQueries;
    else
        ++counters_.learnQueries;
    reply_.header = {rsp::kVersion, rsp::MessageType::Reply, 0, keyId_, sender_,
                     seq_.next(),   query_.header.count};
    for (size_t i = 0; i < query_.header.count; ++i) {
        const rsp::QueryEntry& q = query_.entries[i];
        rsp::ReplyEntry& r = reply_.entries[i];
        r = rsp::ReplyEntry{};
        r.vni = q.vni;
        r.dst = q.dst;
        const controller::VmEntry* e = table_ ? table_->find(q.vni, q.dst) : nullptr;
        if (e == nullptr) {
            r.status = q.knownVersion != 0 ? rsp::EntryStatus::Deleted : rsp::EntryStatus::Unknown;
            ++(q.knownVersion != 0 ? counters_.deleted : counters_.unknown);
        } else if (e->version == q.knownVersion) {
            r.status = rsp::EntryStatus::Unchanged;
            r.version = e->version;
            ++counters_.unchanged;
        } else {
            r.status = rsp::EntryStatus::Changed;
            r.version = e->version;
            r.underlay = toRsp(e->host);
            std::memcpy(r.mac.data(), e->mac.bytes.data(), 6);
            ++counters_.changed;
        }
    }
    size_t n = 0;
    if (rsp::encodeReplies(reply_, keys_, out, cap, n) != rsp::RspError::None) {
        ++counters_.encodeFailures;
        return 0;
    }
    ++counters_.replies;
    return n;
}

}  // namespace sluice::gateway
