#include "sluice/rsp/codec.h"

#include <cstring>
#include <ctime>

namespace sluice::rsp {
namespace {

// Header offsets (docs/rsp.md, "Header").
constexpr size_t kOffVersion = 4, kOffType = 5, kOffFlags = 6, kOffKeyId = 8, kOffSender = 12,
                 kOffSequence = 16, kOffCount = 24, kOffReserved = 26;

void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint64_t get64(const uint8_t* p) { return uint64_t{get32(p)} << 32 | get32(p + 4); }

bool allZero(const uint8_t* p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; ++i) acc |= p[i];
    return acc == 0;
}

uint16_t allowedFlags(MessageType t) { return t == MessageType::Query ? kQueryFlags : kReplyFlags; }
size_t entryBytes(MessageType t) {
    return t == MessageType::Query ? kQueryEntryBytes : kReplyEntryBytes;
}

// A destination or underlay address: family 4 or 6, IPv4 padded with zeros.
RspError checkAddress(const IpAddress& a) {
    if (a.family != 4 && a.family != 6) return RspError::BadFamily;
    if (a.family == 4 && !allZero(a.bytes.data() + 4, 12)) return RspError::BadAddress;
    return RspError::None;
}

RspError checkQuery(const QueryEntry& q) {
    if (q.vni > kMaxVni) return RspError::BadVni;
    return checkAddress(q.dst);
}

RspError checkReply(const ReplyEntry& r) {
    if (r.vni > kMaxVni) return RspError::BadVni;
    if (RspError e = checkAddress(r.dst); e != RspError::None) return e;
    auto s = static_cast<uint8_t>(r.status);
    if (s < 1 || s > 4) return RspError::BadStatus;
    if (r.status == EntryStatus::Changed) {
        if (r.underlay.family == 0 || r.version == 0) return RspError::BadNextHop;
        if (RspError e = checkAddress(r.underlay); e != RspError::None) return e;
        // A VM's MAC: unicast and not all zeros.
        if ((r.mac[0] & 1) != 0 || allZero(r.mac.data(), r.mac.size())) return RspError::BadNextHop;
        return RspError::None;
    }
    // No next hop outside Changed: a field there is a bug or a probe, never data.
    if (r.underlay.family != 0 || !allZero(r.underlay.bytes.data(), 16) ||
        !allZero(r.mac.data(), r.mac.size()))
        return RspError::BadNextHop;
    return RspError::None;
}

RspError checkHeaderForEncode(const Header& h, MessageType t) {
    if (h.count == 0 || h.count > kMaxEntries) return RspError::BadCount;
    if ((h.flags & ~allowedFlags(t)) != 0) return RspError::BadFlags;
    if (h.sequence == 0) return RspError::BadSequence;
    return RspError::None;
}

void writeHeader(const Header& h, MessageType t, uint8_t* p) {
    std::memcpy(p, kMagic.data(), kMagic.size());
    p[kOffVersion] = kVersion;
    p[kOffType] = static_cast<uint8_t>(t);
    put16(p + kOffFlags, h.flags);
    put32(p + kOffKeyId, h.keyId);
    put32(p + kOffSender, h.sender);
    put64(p + kOffSequence, h.sequence);
    put16(p + kOffCount, h.count);
    std::memset(p + kOffReserved, 0, kHeaderBytes - kOffReserved);
}

// Everything about the header that needs no key, in the order docs/rsp.md lists.
RspError parseHeader(const uint8_t* msg, size_t len, Header& h) {
    if (len < kHeaderBytes + kMacBytes) return RspError::TooShort;
    if (len > kMaxMessageBytes) return RspError::TooLong;
    if (std::memcmp(msg, kMagic.data(), kMagic.size()) != 0) return RspError::BadMagic;
    if (msg[kOffVersion] != kVersion) return RspError::BadVersion;
    uint8_t type = msg[kOffType];
    if (type != static_cast<uint8_t>(MessageType::Query) &&
        type != static_cast<uint8_t>(MessageType::Reply))
        return RspError::BadType;
    h.version = msg[kOffVersion];
    h.type = static_cast<MessageType>(type);
    h.flags = get16(msg + kOffFlags);
    h.keyId = get32(msg + kOffKeyId);
    h.sender = get32(msg + kOffSender);
    h.sequence = get64(msg + kOffSequence);
    h.count = get16(msg + kOffCount);
    return RspError::None;
}

RspError checkHeader(const uint8_t* msg, size_t len, MessageType want, const Keyring& keys,
                     Header& h) {
    if (RspError e = parseHeader(msg, len, h); e != RspError::None) return e;
    if (h.type != want) return RspError::UnexpectedType;
    if ((h.flags & ~allowedFlags(want)) != 0) return RspError::BadFlags;
    if (!allZero(msg + kOffReserved, kHeaderBytes - kOffReserved)) return RspError::BadReserved;
    if (h.count == 0 || h.count > kMaxEntries) return RspError::BadCount;
    if (len != messageBytes(want, h.count)) return RspError::LengthMismatch;
    if (!keys.has(h.keyId)) return RspError::UnknownKey;
    size_t body = len - kMacBytes;
    if (RspError e = keys.verify(h.keyId, msg, body, msg + body); e != RspError::None) return e;
    if (h.sequence == 0) return RspError::BadSequence;
    return RspError::None;
}

void readAddress(const uint8_t* family, const uint8_t* bytes, IpAddress& a) {
    a.family = *family;
    std::memcpy(a.bytes.data(), bytes, 16);
}

template <typename Batch, typename Check, typename Write>
RspError encode(const Batch& batch, MessageType t, const Keyring& keys, uint8_t* out, size_t cap,
                size_t& written, Check check, Write write) {
    written = 0;
    const Header& h = batch.header;
    if (RspError e = checkHeaderForEncode(h, t); e != RspError::None) return e;
    for (size_t i = 0; i < h.count; ++i)
        if (RspError e = check(batch.entries[i]); e != RspError::None) return e;
    if (!keys.has(h.keyId)) return RspError::UnknownKey;
    size_t len = messageBytes(t, h.count);
    if (out == nullptr || cap < len) return RspError::BufferTooSmall;
    writeHeader(h, t, out);
    for (size_t i = 0; i < h.count; ++i)
        write(batch.entries[i], out + kHeaderBytes + i * entryBytes(t));
    size_t body = len - kMacBytes;
    if (RspError e = keys.sign(h.keyId, out, body, out + body); e != RspError::None) return e;
    written = len;
    return RspError::None;
}

}  // namespace

RspError encodeQueries(const QueryBatch& batch, const Keyring& keys, uint8_t* out, size_t cap,
                       size_t& written) {
    return encode(batch, MessageType::Query, keys, out, cap, written, checkQuery,
                  [](const QueryEntry& q, uint8_t* p) {
                      put32(p, q.vni);
                      p[4] = q.dst.family;
                      p[5] = p[6] = p[7] = 0;
                      std::memcpy(p + 8, q.dst.bytes.data(), 16);
                      put64(p + 24, q.knownVersion);
                  });
}

RspError encodeReplies(const ReplyBatch& batch, const Keyring& keys, uint8_t* out, size_t cap,
                       size_t& written) {
    return encode(batch, MessageType::Reply, keys, out, cap, written, checkReply,
                  [](const ReplyEntry& r, uint8_t* p) {
                      put32(p, r.vni);
                      p[4] = r.dst.family;
                      p[5] = static_cast<uint8_t>(r.status);
                      p[6] = r.underlay.family;
                      p[7] = 0;
                      std::memcpy(p + 8, r.dst.bytes.data(), 16);
                      put64(p + 24, r.version);
                      std::memcpy(p + 32, r.underlay.bytes.data(), 16);
                      std::memcpy(p + 48, r.mac.data(), 6);
                      p[54] = p[55] = 0;
                  });
}

RspError decodeQueries(const uint8_t* msg, size_t len, const Keyring& keys, QueryBatch& out) {
    if (msg == nullptr) return RspError::TooShort;
    if (RspError e = checkHeader(msg, len, MessageType::Query, keys, out.header);
        e != RspError::None)
        return e;
    for (size_t i = 0; i < out.header.count; ++i) {
        const uint8_t* p = msg + kHeaderBytes + i * kQueryEntryBytes;
        QueryEntry& q = out.entries[i];
        if (!allZero(p + 5, 3)) return RspError::BadReserved;
        q.vni = get32(p);
        readAddress(p + 4, p + 8, q.dst);
        q.knownVersion = get64(p + 24);
        if (RspError e = checkQuery(q); e != RspError::None) return e;
    }
    return RspError::None;
}

RspError decodeReplies(const uint8_t* msg, size_t len, const Keyring& keys, ReplyBatch& out) {
    if (msg == nullptr) return RspError::TooShort;
    if (RspError e = checkHeader(msg, len, MessageType::Reply, keys, out.header);
        e != RspError::None)
        return e;
    for (size_t i = 0; i < out.header.count; ++i) {
        const uint8_t* p = msg + kHeaderBytes + i * kReplyEntryBytes;
        ReplyEntry& r = out.entries[i];
        if (p[7] != 0 || p[54] != 0 || p[55] != 0) return RspError::BadReserved;
        r.vni = get32(p);
        readAddress(p + 4, p + 8, r.dst);
        r.status = static_cast<EntryStatus>(p[5]);
        r.version = get64(p + 24);
        readAddress(p + 6, p + 32, r.underlay);
        std::memcpy(r.mac.data(), p + 48, 6);
        if (RspError e = checkReply(r); e != RspError::None) return e;
    }
    return RspError::None;
}

RspError peekType(const uint8_t* msg, size_t len, MessageType& type) {
    if (msg == nullptr) return RspError::TooShort;
    Header h;
    if (RspError e = parseHeader(msg, len, h); e != RspError::None) return e;
    type = h.type;
    return RspError::None;
}

RspError Receiver::finish(RspError e, const Header& h) {
    if (e == RspError::None) e = guard_.commit(h.keyId, h.sender, h.sequence);
    counters_.count(e);
    return e;
}

RspError Receiver::receiveQueries(const uint8_t* msg, size_t len, QueryBatch& out) {
    return finish(decodeQueries(msg, len, keys_, out), out.header);
}

RspError Receiver::receiveReplies(const uint8_t* msg, size_t len, ReplyBatch& out) {
    return finish(decodeReplies(msg, len, keys_, out), out.header);
}

SequenceCounter::SequenceCounter() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    next_ = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
    if (next_ == 0) next_ = 1;
}

}  // namespace sluice::rsp
