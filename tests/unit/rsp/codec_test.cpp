// The RSP codec (docs/rsp.md): generated round trips, the boundaries of every field, every
// rejection reason (one test collects them and checks none is left out), a flipped byte
// anywhere refused, and the Receiver's replay window and counters.
#include "sluice/rsp/codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace {

using namespace sluice::rsp;
using Bytes = std::vector<uint8_t>;

constexpr uint32_t kKeyId = 0x01020304;

struct Fixture {
    Keyring keys;
    Fixture() {
        uint8_t key[32];
        for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
        EXPECT_EQ(keys.add(kKeyId, key, sizeof key), RspError::None);
    }
};

IpAddress randomIp(std::mt19937_64& rng) {
    IpAddress a;
    a.family = rng() % 2 ? 4 : 6;
    for (size_t i = 0; i < (a.family == 4 ? 4u : 16u); ++i)
        a.bytes[i] = static_cast<uint8_t>(rng());
    return a;
}

QueryBatch randomQueries(std::mt19937_64& rng, uint16_t count) {
    QueryBatch b;
    b.header = {kVersion, MessageType::Query,           static_cast<uint16_t>(rng() % 2),
                kKeyId,   static_cast<uint32_t>(rng()), 1 + rng() % (1ull << 62),
                count};
    for (size_t i = 0; i < count; ++i)
        b.entries[i] = {static_cast<uint32_t>(rng() & kMaxVni), randomIp(rng),
                        rng() % 3 ? rng() : 0};
    return b;
}

ReplyEntry randomReply(std::mt19937_64& rng) {
    ReplyEntry r;
    r.vni = static_cast<uint32_t>(rng() & kMaxVni);
    r.dst = randomIp(rng);
    r.status = static_cast<EntryStatus>(1 + rng() % 4);
    if (r.status == EntryStatus::Changed) {
        r.version = 1 + rng() % 1000000;
        r.underlay = randomIp(rng);
        for (auto& b : r.mac) b = static_cast<uint8_t>(rng());
        r.mac[0] = static_cast<uint8_t>((r.mac[0] & 0xfe) | 0x02);  // unicast, locally assigned
    } else if (r.status == EntryStatus::Unchanged) {
        r.version = rng();
    }
    return r;
}

ReplyBatch randomReplies(std::mt19937_64& rng, uint16_t count) {
    ReplyBatch b;
    b.header = {kVersion, MessageType::Reply,           0,
                kKeyId,   static_cast<uint32_t>(rng()), 1 + rng() % (1ull << 62),
                count};
    for (size_t i = 0; i < count; ++i) b.entries[i] = randomReply(rng);
    return b;
}

Bytes encode(const QueryBatch& b, const Keyring& k) {
    Bytes out(kMaxMessageBytes);
    size_t n = 0;
    EXPECT_EQ(encodeQueries(b, k, out.data(), out.size(), n), RspError::None);
    out.resize(n);
    return out;
}

Bytes encode(const ReplyBatch& b, const Keyring& k) {
    Bytes out(kMaxMessageBytes);
    size_t n = 0;
    EXPECT_EQ(encodeReplies(b, k, out.data(), out.size(), n), RspError::None);
    out.resize(n);
    return out;
}

// Recomputes the trailer after a test changed the body: an authentic but malformed message,
// as a peer holding the key (or a bug in it) could send.
void resign(Bytes& m, const Keyring& k, uint32_t keyId = kKeyId) {
    ASSERT_GE(m.size(), kMacBytes);
    ASSERT_EQ(k.sign(keyId, m.data(), m.size() - kMacBytes, m.data() + m.size() - kMacBytes),
              RspError::None);
}

RspError decodeQ(const Bytes& m, const Keyring& k) {
    QueryBatch out;
    return decodeQueries(m.data(), m.size(), k, out);
}
RspError decodeR(const Bytes& m, const Keyring& k) {
    ReplyBatch out;
    return decodeReplies(m.data(), m.size(), k, out);
}

void put32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

TEST(RspCodec, RoundTripsGeneratedQueries) {
    Fixture f;
    std::mt19937_64 rng(1);
    for (int round = 0; round < 500; ++round) {
        auto in = randomQueries(rng, static_cast<uint16_t>(1 + rng() % kMaxEntries));
        Bytes m = encode(in, f.keys);
        ASSERT_EQ(m.size(), messageBytes(MessageType::Query, in.header.count));
        QueryBatch out;
        ASSERT_EQ(decodeQueries(m.data(), m.size(), f.keys, out), RspError::None);
        ASSERT_EQ(out.header, in.header);
        for (size_t i = 0; i < in.header.count; ++i) ASSERT_EQ(out.entries[i], in.entries[i]);
        ASSERT_EQ(encode(out, f.keys), m);  // decoded re-encodes to the same bytes
    }
}

TEST(RspCodec, RoundTripsGeneratedReplies) {
    Fixture f;
    std::mt19937_64 rng(2);
    for (int round = 0; round < 500; ++round) {
        auto in = randomReplies(rng, static_cast<uint16_t>(1 + rng() % kMaxEntries));
        Bytes m = encode(in, f.keys);
        ASSERT_EQ(m.size(), messageBytes(MessageType::Reply, in.header.count));
        ASSERT_LE(m.size(), kMaxMessageBytes);
        ReplyBatch out;
        ASSERT_EQ(decodeReplies(m.data(), m.size(), f.keys, out), RspError::None);
        ASSERT_EQ(out.header, in.header);
        for (size_t i = 0; i < in.header.count; ++i) ASSERT_EQ(out.entries[i], in.entries[i]);
        ASSERT_EQ(encode(out, f.keys), m);
    }
}

TEST(RspCodec, WireLayoutIsTheDocumentedOne) {
    // docs/rsp.md, byte by byte: a one-entry query.
    Fixture f;
    QueryBatch q;
    q.header = {
        kVersion, MessageType::Query, kFlagReconcile, kKeyId, 0xA1B2C3D4, 0x0102030405060708ull, 1};
    q.entries[0] = {0x123456, IpAddress::v4(10, 1, 2, 3), 0x1112131415161718ull};
    Bytes m = encode(q, f.keys);
    const Bytes head = {'S', 'R', 'S', 'P', 1, 1, 0, 1, 1, 2, 3, 4, 0xA1, 0xB2, 0xC3, 0xD4,
                        1,   2,   3,   4,   5, 6, 7, 8, 0, 1, 0, 0, 0,    0,    0,    0};
    EXPECT_EQ(Bytes(m.begin(), m.begin() + 32), head);
    const Bytes entry = {0, 0x12, 0x34, 0x56, 4,    0,    0,    0,    10,   1,   2,
                         3, 0,    0,    0,    0,    0,    0,    0,    0,    0,   0,
                         0, 0,    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
    EXPECT_EQ(Bytes(m.begin() + 32, m.begin() + 64), entry);
    uint8_t mac[kMacBytes];
    ASSERT_EQ(f.keys.sign(kKeyId, m.data(), 64, mac), RspError::None);
    EXPECT_EQ(Bytes(m.begin() + 64, m.end()), Bytes(mac, mac + kMacBytes));

    ReplyBatch r;
    r.header = {kVersion, MessageType::Reply, 0, kKeyId, 9, 10, 1};
    r.entries[0] = {0x000102, IpAddress::v4(10, 1, 2, 3),    EntryStatus::Changed,
                    0x0A,     IpAddress::v4(192, 168, 0, 7), {0x02, 0, 0, 0, 0, 0x63}};
    Bytes rm = encode(r, f.keys);
    ASSERT_EQ(rm.size(), 32u + 56 + 32);
    EXPECT_EQ(rm[5], 2);  // type reply
    EXPECT_EQ(Bytes(rm.begin() + 32, rm.begin() + 40), (Bytes{0, 0, 1, 2, 4, 1, 4, 0}));
    EXPECT_EQ(rm[32 + 31], 0x0A);  // version, last byte
    EXPECT_EQ(Bytes(rm.begin() + 64, rm.begin() + 68), (Bytes{192, 168, 0, 7}));
    EXPECT_EQ(Bytes(rm.begin() + 80, rm.begin() + 86), (Bytes{2, 0, 0, 0, 0, 0x63}));
}

TEST(RspCodec, FieldBoundariesAccepted) {
    Fixture f;
    QueryBatch q;
    q.header = {kVersion, MessageType::Query, 0, kKeyId, 0, 1, 1};
    q.entries[0] = {0, IpAddress::v4(0, 0, 0, 0), 0};
    EXPECT_EQ(decodeQ(encode(q, f.keys), f.keys), RspError::None);  // all minimums
    Keyring maxKey;
    uint8_t key[64] = {};
    ASSERT_EQ(maxKey.add(std::numeric_limits<uint32_t>::max(), key, 64), RspError::None);
    q.header = {kVersion,
                MessageType::Query,
                kFlagReconcile,
                std::numeric_limits<uint32_t>::max(),
                std::numeric_limits<uint32_t>::max(),
                std::numeric_limits<uint64_t>::max(),
                static_cast<uint16_t>(kMaxEntries)};
    for (size_t i = 0; i < kMaxEntries; ++i) {
        q.entries[i].vni = kMaxVni;
        q.entries[i].dst.family = 6;
        q.entries[i].dst.bytes.fill(0xff);
        q.entries[i].knownVersion = std::numeric_limits<uint64_t>::max();
    }
    Bytes m = encode(q, maxKey);
    EXPECT_EQ(m.size(), messageBytes(MessageType::Query, kMaxEntries));
    QueryBatch out;
    ASSERT_EQ(decodeQueries(m.data(), m.size(), maxKey, out), RspError::None);
    EXPECT_EQ(out.header, q.header);
    EXPECT_EQ(out.entries[kMaxEntries - 1], q.entries[kMaxEntries - 1]);

    ReplyBatch r;
    r.header = {kVersion, MessageType::Reply, 0, kKeyId, 1, 1, static_cast<uint16_t>(kMaxEntries)};
    for (size_t i = 0; i < kMaxEntries; ++i) {
        r.entries[i] = {kMaxVni,
                        IpAddress::v4(255, 255, 255, 255),
                        EntryStatus::Changed,
                        std::numeric_limits<uint64_t>::max(),
                        IpAddress::v4(1, 1, 1, 1),
                        {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
    }
    r.entries[1].version = 1;  // the smallest version of a change
    r.entries[2].status = EntryStatus::Deleted;
    r.entries[2].version = 0;
    r.entries[2].underlay = {};
    r.entries[2].mac = {};
    Bytes rm = encode(r, f.keys);
    EXPECT_EQ(rm.size(), kMaxMessageBytes);  // the largest message there is
    EXPECT_EQ(decodeR(rm, f.keys), RspError::None);
}

// One way to break a message and the reason it must be refused with.
struct Break {
    const char* what;
    RspError expect;
    std::function<RspError(const Keyring&)> run;
};

TEST(RspCodec, EveryRejectionReasonAndNoneLeftOut) {
    Fixture f;
    std::mt19937_64 rng(3);
    const QueryBatch q = randomQueries(rng, 2);
    ReplyBatch r = randomReplies(rng, 2);
    r.entries[0] = randomReply(rng);
    r.entries[0].status = EntryStatus::Changed;
    r.entries[0].version = 5;
    r.entries[0].underlay = IpAddress::v4(10, 0, 0, 1);
    r.entries[0].mac = {2, 0, 0, 0, 0, 1};
    r.entries[1].status = EntryStatus::Unknown;
    r.entries[1].version = 0;
    r.entries[1].underlay = {};
    r.entries[1].mac = {};
    const Bytes qm = encode(q, f.keys);
    const Bytes rm = encode(r, f.keys);
    ASSERT_EQ(decodeQ(qm, f.keys), RspError::None);
    ASSERT_EQ(decodeR(rm, f.keys), RspError::None);

    // Mutate a copy of the query (or reply), optionally re-sign, decode as a query (reply).
    auto onQuery = [&](std::function<void(Bytes&)> mut, bool sign) {
        return [=](const Keyring& k) {
            Bytes m = qm;
            mut(m);
            if (sign) resign(m, k);
            return decodeQ(m, k);
        };
    };
    auto onReply = [&](std::function<void(Bytes&)> mut, bool sign) {
        return [=](const Keyring& k) {
            Bytes m = rm;
            mut(m);
            if (sign) resign(m, k);
            return decodeR(m, k);
        };
    };
    const size_t e0 = kHeaderBytes;  // the first entry
    std::vector<Break> breaks = {
        {"63 bytes", RspError::TooShort, onQuery([](Bytes& m) { m.resize(63); }, false)},
        {"empty", RspError::TooShort, onQuery([](Bytes& m) { m.clear(); }, false)},
        {"one byte over the largest", RspError::TooLong,
         onReply([](Bytes& m) { m.resize(kMaxMessageBytes + 1); }, false)},
        {"magic", RspError::BadMagic, onQuery([](Bytes& m) { m[3] = 'Q'; }, true)},
        {"version 2", RspError::BadVersion, onQuery([](Bytes& m) { m[4] = 2; }, true)},
        {"version 0", RspError::BadVersion, onReply([](Bytes& m) { m[4] = 0; }, true)},
        {"type 0", RspError::BadType, onQuery([](Bytes& m) { m[5] = 0; }, true)},
        {"type 3", RspError::BadType, onReply([](Bytes& m) { m[5] = 3; }, true)},
        {"reply read as query", RspError::UnexpectedType,
         [&](const Keyring& k) { return decodeQ(rm, k); }},
        {"query read as reply", RspError::UnexpectedType,
         [&](const Keyring& k) { return decodeR(qm, k); }},
        {"query flag 0x0002", RspError::BadFlags, onQuery([](Bytes& m) { m[7] |= 2; }, true)},
        {"query flag 0x8000", RspError::BadFlags, onQuery([](Bytes& m) { m[6] |= 0x80; }, true)},
        {"reconcile flag on a reply", RspError::BadFlags,
         onReply([](Bytes& m) { m[7] = 1; }, true)},
        {"header reserved byte 26", RspError::BadReserved,
         onQuery([](Bytes& m) { m[26] = 1; }, true)},
        {"header reserved byte 31", RspError::BadReserved,
         onReply([](Bytes& m) { m[31] = 0x80; }, true)},
        {"query entry reserved byte 5", RspError::BadReserved,
         onQuery([=](Bytes& m) { m[e0 + 5] = 1; }, true)},
        {"query entry reserved byte 7", RspError::BadReserved,
         onQuery([=](Bytes& m) { m[e0 + 32 + 7] = 1; }, true)},
        {"reply entry reserved byte 7", RspError::BadReserved,
         onReply([=](Bytes& m) { m[e0 + 7] = 1; }, true)},
        {"reply entry reserved byte 55", RspError::BadReserved,
         onReply([=](Bytes& m) { m[e0 + 56 + 55] = 1; }, true)},
        {"count 0", RspError::BadCount,
         onQuery(
             [](Bytes& m) {
                 m[24] = 0;
                 m[25] = 0;
             },
             true)},
        {"count 25 (with 25 entries)", RspError::BadCount,
         onQuery(
             [](Bytes& m) {
                 m.resize(messageBytes(MessageType::Query, kMaxEntries + 1));
                 m[25] = kMaxEntries + 1;
             },
             true)},
        {"count 65535", RspError::BadCount,
         onReply(
             [](Bytes& m) {
                 m[24] = 0xff;
                 m[25] = 0xff;
             },
             true)},
        {"count 3, two entries", RspError::LengthMismatch,
         onQuery([](Bytes& m) { m[25] = 3; }, true)},
        {"count 1, two entries", RspError::LengthMismatch,
         onReply([](Bytes& m) { m[25] = 1; }, true)},
        {"one byte cut", RspError::LengthMismatch, onQuery([](Bytes& m) { m.pop_back(); }, false)},
        {"one byte added", RspError::LengthMismatch,
         onReply([](Bytes& m) { m.push_back(0); }, false)},
        {"key id unknown", RspError::UnknownKey, onQuery([](Bytes& m) { m[11] ^= 1; }, false)},
        {"trailer flipped", RspError::BadMac, onQuery([](Bytes& m) { m.back() ^= 1; }, false)},
        {"entry changed, not re-signed", RspError::BadMac,
         onReply([=](Bytes& m) { m[e0 + 35] ^= 1; }, false)},
        {"sequence changed, not re-signed", RspError::BadMac,
         onQuery([](Bytes& m) { m[23] ^= 1; }, false)},
        {"signed with another key", RspError::BadMac,
         [&](const Keyring&) {
             Keyring other;
             uint8_t key[32] = {9};
             EXPECT_EQ(other.add(kKeyId, key, 32), RspError::None);
             return decodeQ(qm, other);
         }},
        {"sequence 0", RspError::BadSequence,
         onQuery([](Bytes& m) { std::memset(m.data() + 16, 0, 8); }, true)},
        {"vni 2^24", RspError::BadVni, onQuery([=](Bytes& m) { m[e0] = 1; }, true)},
        {"reply vni 0xffffffff", RspError::BadVni,
         onReply([=](Bytes& m) { put32(m.data() + e0 + 56, 0xffffffff); }, true)},
        {"query family 5", RspError::BadFamily, onQuery([=](Bytes& m) { m[e0 + 4] = 5; }, true)},
        {"query family 0", RspError::BadFamily,
         onQuery([=](Bytes& m) { m[e0 + 32 + 4] = 0; }, true)},
        {"reply dst family 7", RspError::BadFamily,
         onReply([=](Bytes& m) { m[e0 + 4] = 7; }, true)},
        {"underlay family 5", RspError::BadFamily, onReply([=](Bytes& m) { m[e0 + 6] = 5; }, true)},
        {"IPv4 query with padding", RspError::BadAddress,
         onQuery(
             [=](Bytes& m) {
                 m[e0 + 4] = 4;
                 m[e0 + 8 + 15] = 1;
             },
             true)},
        {"IPv4 underlay with padding", RspError::BadAddress,
         onReply([=](Bytes& m) { m[e0 + 32 + 4] = 1; }, true)},
        {"status 0", RspError::BadStatus, onReply([=](Bytes& m) { m[e0 + 5] = 0; }, true)},
        {"status 5", RspError::BadStatus, onReply([=](Bytes& m) { m[e0 + 56 + 5] = 5; }, true)},
        {"changed without underlay", RspError::BadNextHop,
         onReply([=](Bytes& m) { m[e0 + 6] = 0; }, true)},
        {"changed with version 0", RspError::BadNextHop,
         onReply([=](Bytes& m) { std::memset(m.data() + e0 + 24, 0, 8); }, true)},
        {"changed with a multicast MAC", RspError::BadNextHop,
         onReply([=](Bytes& m) { m[e0 + 48] |= 1; }, true)},
        {"changed with a zero MAC", RspError::BadNextHop,
         onReply([=](Bytes& m) { std::memset(m.data() + e0 + 48, 0, 6); }, true)},
        {"unknown with a MAC", RspError::BadNextHop,
         onReply([=](Bytes& m) { m[e0 + 56 + 53] = 1; }, true)},
        {"unknown with an underlay family", RspError::BadNextHop,
         onReply([=](Bytes& m) { m[e0 + 56 + 6] = 4; }, true)},
        {"unknown with underlay bytes", RspError::BadNextHop,
         onReply([=](Bytes& m) { m[e0 + 56 + 40] = 1; }, true)},
        {"encode into a small buffer", RspError::BufferTooSmall,
         [&](const Keyring& k) {
             Bytes out(qm.size() - 1);
             size_t n = 99;
             RspError e = encodeQueries(q, k, out.data(), out.size(), n);
             EXPECT_EQ(n, 0u);
             return e;
         }},
        {"key too short", RspError::BadKey,
         [&](const Keyring&) {
             Keyring k;
             uint8_t key[8] = {};
             return k.add(1, key, sizeof key);
         }},
    };
    std::set<RspError> covered;
    for (const auto& b : breaks) {
        EXPECT_EQ(b.run(f.keys), b.expect) << b.what << ": got " << errorName(b.run(f.keys));
        covered.insert(b.expect);
    }
    // The replay reasons, through a Receiver.
    Receiver rx(f.keys, 1);
    QueryBatch out;
    ASSERT_EQ(rx.receiveQueries(qm.data(), qm.size(), out), RspError::None);
    EXPECT_EQ(rx.receiveQueries(qm.data(), qm.size(), out), RspError::Replayed);
    covered.insert(RspError::Replayed);
    QueryBatch later = q;
    later.header.sequence += ReplayWindow::kWindowBits;
    Bytes lm = encode(later, f.keys);
    ASSERT_EQ(rx.receiveQueries(lm.data(), lm.size(), out), RspError::None);
    QueryBatch old = q;
    old.header.sequence -= 1;
    Bytes om = encode(old, f.keys);
    EXPECT_EQ(rx.receiveQueries(om.data(), om.size(), out), RspError::TooOld);
    covered.insert(RspError::TooOld);
    QueryBatch stranger = q;
    stranger.header.sender += 1;  // a second sender: the table holds one
    Bytes sm = encode(stranger, f.keys);
    EXPECT_EQ(rx.receiveQueries(sm.data(), sm.size(), out), RspError::PeerTableFull);
    covered.insert(RspError::PeerTableFull);

    // Every reason but None and CryptoFailure (libcrypto failing: not provokable) is tested.
    for (size_t i = 1; i < kRspErrorCount; ++i) {
        auto e = static_cast<RspError>(i);
        if (e == RspError::CryptoFailure) continue;
        EXPECT_TRUE(covered.count(e)) << "no test for " << errorName(e);
    }
}

TEST(RspCodec, EncoderRefusesWhatDecodersRefuse) {
    Fixture f;
    std::mt19937_64 rng(4);
    Bytes out(kMaxMessageBytes);
    size_t n = 0;
    auto q = randomQueries(rng, 1);
    q.entries[0].vni = kMaxVni + 1;
    EXPECT_EQ(encodeQueries(q, f.keys, out.data(), out.size(), n), RspError::BadVni);
    q = randomQueries(rng, 1);
    q.header.count = 0;
    EXPECT_EQ(encodeQueries(q, f.keys, out.data(), out.size(), n), RspError::BadCount);
    q.header.count = kMaxEntries + 1;
    EXPECT_EQ(encodeQueries(q, f.keys, out.data(), out.size(), n), RspError::BadCount);
    q = randomQueries(rng, 1);
    q.header.sequence = 0;
    EXPECT_EQ(encodeQueries(q, f.keys, out.data(), out.size(), n), RspError::BadSequence);
    q = randomQueries(rng, 1);
    q.header.keyId = 99;
    EXPECT_EQ(encodeQueries(q, f.keys, out.data(), out.size(), n), RspError::UnknownKey);
    q = randomQueries(rng, 1);
    q.header.flags = 4;
    EXPECT_EQ(encodeQueries(q, f.keys, out.data(), out.size(), n), RspError::BadFlags);
    auto r = randomReplies(rng, 1);
    r.entries[0].status = EntryStatus::Deleted;
    r.entries[0].mac = {2, 0, 0, 0, 0, 1};
    EXPECT_EQ(encodeReplies(r, f.keys, out.data(), out.size(), n), RspError::BadNextHop);
    r.header.flags = kFlagReconcile;
    r.entries[0].mac = {};
    EXPECT_EQ(encodeReplies(r, f.keys, out.data(), out.size(), n), RspError::BadFlags);
    EXPECT_EQ(n, 0u);
}

TEST(RspCodec, AnyFlippedByteIsRefused) {
    Fixture f;
    std::mt19937_64 rng(5);
    for (uint16_t count : {uint16_t{1}, uint16_t{7}, static_cast<uint16_t>(kMaxEntries)}) {
        Bytes qm = encode(randomQueries(rng, count), f.keys);
        Bytes rm = encode(randomReplies(rng, count), f.keys);
        for (const Bytes* msg : {&qm, &rm}) {
            bool isQuery = msg == &qm;
            for (size_t i = 0; i < msg->size(); ++i) {
                for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
                    Bytes m = *msg;
                    m[i] ^= x;
                    RspError e = isQuery ? decodeQ(m, f.keys) : decodeR(m, f.keys);
                    ASSERT_NE(e, RspError::None) << "byte " << i << " ^ " << int(x);
                    // Past the header, nothing is read before the MAC: only BadMac.
                    if (i >= kHeaderBytes) {
                        ASSERT_EQ(e, RspError::BadMac) << "byte " << i;
                    }
                }
            }
        }
    }
}

TEST(RspCodec, PeekTypeReadsOnlyTheHeader) {
    Fixture f;
    std::mt19937_64 rng(6);
    Bytes qm = encode(randomQueries(rng, 1), f.keys);
    Bytes rm = encode(randomReplies(rng, 1), f.keys);
    MessageType t{};
    ASSERT_EQ(peekType(qm.data(), qm.size(), t), RspError::None);
    EXPECT_EQ(t, MessageType::Query);
    ASSERT_EQ(peekType(rm.data(), rm.size(), t), RspError::None);
    EXPECT_EQ(t, MessageType::Reply);
    qm[0] = 'X';
    EXPECT_EQ(peekType(qm.data(), qm.size(), t), RspError::BadMagic);
    EXPECT_EQ(peekType(rm.data(), 10, t), RspError::TooShort);
    EXPECT_EQ(peekType(nullptr, 0, t), RspError::TooShort);
}

TEST(RspReceiver, CountsByReasonAndRefusesReplays) {
    Fixture f;
    std::mt19937_64 rng(7);
    Receiver rx(f.keys, 16);
    auto q = randomQueries(rng, 3);
    Bytes m = encode(q, f.keys);
    QueryBatch out;
    EXPECT_EQ(rx.receiveQueries(m.data(), m.size(), out), RspError::None);
    EXPECT_EQ(out.header.sequence, q.header.sequence);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(rx.receiveQueries(m.data(), m.size(), out), RspError::Replayed);
    Bytes forged = m;
    forged[40] ^= 1;
    EXPECT_EQ(rx.receiveQueries(forged.data(), forged.size(), out), RspError::BadMac);
    EXPECT_EQ(rx.receiveQueries(m.data(), 10, out), RspError::TooShort);
    EXPECT_EQ(rx.counters().accepted(), 1u);
    EXPECT_EQ(rx.counters()[RspError::Replayed], 3u);
    EXPECT_EQ(rx.counters()[RspError::BadMac], 1u);
    EXPECT_EQ(rx.counters()[RspError::TooShort], 1u);
    EXPECT_EQ(rx.counters().rejected(), 5u);
}

TEST(RspReceiver, RefusedMessagesDoNotMoveTheWindow) {
    Fixture f;
    std::mt19937_64 rng(8);
    Receiver rx(f.keys, 16);
    auto q = randomQueries(rng, 1);
    q.header.sequence = 1000;
    // A forgery far ahead must not slide the window past the genuine messages.
    auto ahead = q;
    ahead.header.sequence = 1000 + 10 * ReplayWindow::kWindowBits;
    Bytes fm = encode(ahead, f.keys);
    fm.back() ^= 1;
    QueryBatch out;
    EXPECT_EQ(rx.receiveQueries(fm.data(), fm.size(), out), RspError::BadMac);
    // An authentic but malformed message does not use up its sequence number.
    Bytes bad = encode(q, f.keys);
    bad[kHeaderBytes] = 0xff;  // vni over 24 bits
    resign(bad, f.keys);
    EXPECT_EQ(rx.receiveQueries(bad.data(), bad.size(), out), RspError::BadVni);
    Bytes good = encode(q, f.keys);
    EXPECT_EQ(rx.receiveQueries(good.data(), good.size(), out), RspError::None);
    EXPECT_EQ(rx.guard().peers(), 1u);
    // The window slides with genuine messages: one a window ahead makes 1000 too old.
    Bytes next = encode(ahead, f.keys);
    EXPECT_EQ(rx.receiveQueries(next.data(), next.size(), out), RspError::None);
    EXPECT_EQ(rx.receiveQueries(good.data(), good.size(), out), RspError::TooOld);
}

TEST(RspReceiver, KeyRollover) {
    // Two keys in the receiver's ring: senders on either are accepted, each by its own window.
    Fixture f;
    uint8_t key2[48];
    for (int i = 0; i < 48; ++i) key2[i] = static_cast<uint8_t>(200 - i);
    Keyring both;
    uint8_t key1[32];
    for (int i = 0; i < 32; ++i) key1[i] = static_cast<uint8_t>(i * 7 + 1);
    ASSERT_EQ(both.add(kKeyId, key1, 32), RspError::None);
    ASSERT_EQ(both.add(2, key2, 48), RspError::None);
    Keyring only2;
    ASSERT_EQ(only2.add(2, key2, 48), RspError::None);
    std::mt19937_64 rng(9);
    auto q = randomQueries(rng, 2);
    Bytes old = encode(q, f.keys);
    q.header.keyId = 2;
    Bytes fresh = encode(q, only2);
    Receiver rx(both, 4);
    QueryBatch out;
    EXPECT_EQ(rx.receiveQueries(old.data(), old.size(), out), RspError::None);
    EXPECT_EQ(rx.receiveQueries(fresh.data(), fresh.size(), out), RspError::None);
    Receiver rx2(only2, 4);
    EXPECT_EQ(rx2.receiveQueries(old.data(), old.size(), out), RspError::UnknownKey);
}

TEST(RspSequence, StartsFromTheClockAndIncreases) {
    SequenceCounter a;
    uint64_t first = a.next();
    EXPECT_GT(first, 1600000000ull * 1000000000ull);  // after 2020 in nanoseconds
    EXPECT_EQ(a.next(), first + 1);
    SequenceCounter b;  // a restarted sender starts above the old one's numbers
    EXPECT_GT(b.next(), first);
    SequenceCounter zero(0);
    EXPECT_EQ(zero.next(), 1u);
}

TEST(RspCodec, SeedsOfTheIndependentPythonEncoder) {
    // tests/fuzz/make_rsp_seeds.py encodes from docs/rsp.md on its own: the codec must agree.
    Keyring k;
    uint8_t key[32];
    for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
    ASSERT_EQ(k.add(1, key, 32), RspError::None);
    const std::map<std::string, RspError> expect = {
        {"valid_query_one.bin", RspError::None},
        {"valid_query_reconcile.bin", RspError::None},
        {"valid_query_full.bin", RspError::None},
        {"valid_reply_statuses.bin", RspError::None},
        {"valid_reply_full.bin", RspError::None},
        {"bad_mac.bin", RspError::BadMac},
        {"other_key.bin", RspError::BadMac},
        {"unknown_key.bin", RspError::UnknownKey},
        {"bad_vni_signed.bin", RspError::BadVni},
        {"bad_next_hop_signed.bin", RspError::BadNextHop},
        {"count_mismatch.bin", RspError::LengthMismatch},
        {"sequence_zero.bin", RspError::BadSequence},
        {"version_2.bin", RspError::BadVersion},
        {"truncated_header.bin", RspError::TooShort},
        {"empty.bin", RspError::TooShort},
    };
    for (const auto& [name, want] : expect) {
        std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fuzz/corpus/rsp/" + name,
                         std::ios::binary);
        ASSERT_TRUE(in) << name;
        Bytes m((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        bool reply = name.find("reply") != std::string::npos || name == "bad_next_hop_signed.bin";
        RspError got = reply ? decodeR(m, k) : decodeQ(m, k);
        EXPECT_EQ(got, want) << name << ": " << errorName(got);
        if (want == RspError::None && reply) {
            ReplyBatch out;
            ASSERT_EQ(decodeReplies(m.data(), m.size(), k, out), RspError::None);
            EXPECT_EQ(encode(out, k), m) << name;
        } else if (want == RspError::None) {
            QueryBatch out;
            ASSERT_EQ(decodeQueries(m.data(), m.size(), k, out), RspError::None);
            EXPECT_EQ(encode(out, k), m) << name;
        }
    }
    // One decoded reply in full: the first entry of valid_reply_statuses.bin.
    std::ifstream in(
        std::string(SLUICE_SOURCE_DIR) + "/tests/fuzz/corpus/rsp/valid_reply_statuses.bin",
        std::ios::binary);
    Bytes m((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ReplyBatch out;
    ASSERT_EQ(decodeReplies(m.data(), m.size(), k, out), RspError::None);
    EXPECT_EQ(out.header.count, 5);
    EXPECT_EQ(out.header.sender, 7u);
    EXPECT_EQ(out.header.sequence, 4u);
    EXPECT_EQ(out.entries[0].vni, 100u);
    EXPECT_EQ(out.entries[0].dst, IpAddress::v4(10, 1, 0, 5));
    EXPECT_EQ(out.entries[0].status, EntryStatus::Changed);
    EXPECT_EQ(out.entries[0].version, 4u);
    EXPECT_EQ(out.entries[0].underlay, IpAddress::v4(192, 168, 0, 2));
    EXPECT_EQ(out.entries[0].mac, (MacAddress{2, 0, 0, 0, 0, 5}));
    EXPECT_EQ(out.entries[3].dst.family, 6);
    EXPECT_EQ(out.entries[3].status, EntryStatus::Unknown);
}

TEST(RspErrors, EveryReasonHasADistinctName) {
    std::set<std::string> names;
    for (size_t i = 0; i < kRspErrorCount; ++i)
        EXPECT_TRUE(names.insert(errorName(static_cast<RspError>(i))).second) << i;
    EXPECT_STREQ(errorName(static_cast<RspError>(200)), "invalid");
    EXPECT_STREQ(errorName(RspError::BadMac), "bad_mac");
}

}  // namespace
