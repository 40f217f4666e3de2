// A learner's queries through the gateway's responder and its replies back through the
// learner's own Receiver: every status, a VM move, replays and forgeries refused and counted.
#include "sluice/gateway/responder.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace sluice;
using namespace sluice::gateway;

controller::Address ip(const char* s) { return *controller::parseAddress(s); }

struct Net {
    rsp::Keyring keys;
    controller::Tables tables;
    Net() {
        uint8_t key[32];
        for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i + 100);
        EXPECT_EQ(keys.add(3, key, 32), rsp::RspError::None);
        tables.revision = 5;
        tables.vms[{100, ip("10.1.0.5")}] = {ip("192.168.0.2"),
                                             *controller::parseMac("02:00:00:00:00:05"), 4};
        tables.vms[{100, ip("fd00::6")}] = {ip("fd00:1::3"),
                                            *controller::parseMac("02:00:00:00:00:06"), 5};
    }
};

std::vector<uint8_t> query(const rsp::Keyring& keys, uint64_t seq,
                           std::vector<rsp::QueryEntry> entries, uint16_t flags = 0) {
    rsp::QueryBatch q;
    q.header = {rsp::kVersion,
                rsp::MessageType::Query,
                flags,
                3,
                77,
                seq,
                static_cast<uint16_t>(entries.size())};
    for (size_t i = 0; i < entries.size(); ++i) q.entries[i] = entries[i];
    std::vector<uint8_t> out(rsp::kMaxMessageBytes);
    size_t n = 0;
    EXPECT_EQ(rsp::encodeQueries(q, keys, out.data(), out.size(), n), rsp::RspError::None);
    out.resize(n);
    return out;
}

TEST(GatewayResponder, AnswersEveryStatus) {
    Net net;
    RspResponder gw(net.keys, 3, 1, 16, 1000);
    gw.setTable(std::make_shared<VmTable>(net.tables));
    rsp::Receiver learner(net.keys, 4);
    auto m = query(net.keys, 1,
                   {{100, toRsp(ip("10.1.0.5")), 0},    // learn: changed
                    {100, toRsp(ip("fd00::6")), 5},     // current: unchanged
                    {100, toRsp(ip("10.1.0.5")), 2},    // stale: changed
                    {100, toRsp(ip("10.1.0.9")), 3},    // gone: deleted
                    {100, toRsp(ip("10.1.0.10")), 0},   // never: unknown
                    {101, toRsp(ip("10.1.0.5")), 0}});  // another VNI: unknown
    uint8_t out[rsp::kMaxMessageBytes];
    size_t n = gw.handle(m.data(), m.size(), out, sizeof out);
    ASSERT_GT(n, 0u);
    rsp::ReplyBatch r;
    ASSERT_EQ(learner.receiveReplies(out, n, r), rsp::RspError::None);
    ASSERT_EQ(r.header.count, 6);
    EXPECT_EQ(r.header.sender, 1u);
    EXPECT_EQ(r.header.sequence, 1000u);
    EXPECT_EQ(r.entries[0].status, rsp::EntryStatus::Changed);
    EXPECT_EQ(r.entries[0].version, 4u);
    EXPECT_EQ(fromRsp(r.entries[0].underlay), ip("192.168.0.2"));
    EXPECT_EQ(r.entries[0].mac, (rsp::MacAddress{2, 0, 0, 0, 0, 5}));
    EXPECT_EQ(r.entries[1].status, rsp::EntryStatus::Unchanged);
    EXPECT_EQ(r.entries[1].version, 5u);
    EXPECT_EQ(r.entries[2].status, rsp::EntryStatus::Changed);
    EXPECT_EQ(r.entries[3].status, rsp::EntryStatus::Deleted);
    EXPECT_EQ(r.entries[4].status, rsp::EntryStatus::Unknown);
    EXPECT_EQ(r.entries[5].status, rsp::EntryStatus::Unknown);
    EXPECT_EQ(r.entries[5].vni, 101u);
    EXPECT_EQ(gw.counters().changed, 2u);
    EXPECT_EQ(gw.counters().unchanged, 1u);
    EXPECT_EQ(gw.counters().deleted, 1u);
    EXPECT_EQ(gw.counters().unknown, 2u);
    EXPECT_EQ(gw.counters().learnQueries, 1u);
    // The learner refuses the same reply twice.
    EXPECT_EQ(learner.receiveReplies(out, n, r), rsp::RspError::Replayed);
}

TEST(GatewayResponder, AMoveIsSeenByTheNextReconcile) {
    Net net;
    RspResponder gw(net.keys, 3, 1, 16);
    gw.setTable(std::make_shared<VmTable>(net.tables));
    uint8_t out[rsp::kMaxMessageBytes];
    rsp::ReplyBatch r;
    rsp::Receiver learner(net.keys, 4);
    auto m = query(net.keys, 10, {{100, toRsp(ip("10.1.0.5")), 4}}, rsp::kFlagReconcile);
    size_t n = gw.handle(m.data(), m.size(), out, sizeof out);
    ASSERT_EQ(learner.receiveReplies(out, n, r), rsp::RspError::None);
    EXPECT_EQ(r.entries[0].status, rsp::EntryStatus::Unchanged);
    // The controller moves the VM: a new revision, a new table.
    auto moved = net.tables;
    moved.revision = 6;
    moved.vms[{100, ip("10.1.0.5")}] = {ip("192.168.0.7"),
                                        *controller::parseMac("02:00:00:00:00:05"), 6};
    gw.setTable(std::make_shared<VmTable>(moved));
    m = query(net.keys, 11, {{100, toRsp(ip("10.1.0.5")), 4}}, rsp::kFlagReconcile);
    n = gw.handle(m.data(), m.size(), out, sizeof out);
    ASSERT_EQ(learner.receiveReplies(out, n, r), rsp::RspError::None);
    EXPECT_EQ(r.entries[0].status, rsp::EntryStatus::Changed);
    EXPECT_EQ(r.entries[0].version, 6u);
    EXPECT_EQ(fromRsp(r.entries[0].underlay), ip("192.168.0.7"));
    EXPECT_EQ(gw.counters().reconcileQueries, 2u);
}

TEST(GatewayResponder, RefusesReplaysForgeriesAndReplies) {
    Net net;
    RspResponder gw(net.keys, 3, 1, 16);
    gw.setTable(std::make_shared<VmTable>(net.tables));
    uint8_t out[rsp::kMaxMessageBytes];
    auto m = query(net.keys, 1, {{100, toRsp(ip("10.1.0.5")), 0}});
    size_t n = gw.handle(m.data(), m.size(), out, sizeof out);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(gw.handle(m.data(), m.size(), out, sizeof out), 0u);  // replayed
    auto forged = query(net.keys, 2, {{100, toRsp(ip("10.1.0.5")), 0}});
    forged[rsp::kHeaderBytes + 10] ^= 1;
    EXPECT_EQ(gw.handle(forged.data(), forged.size(), out, sizeof out), 0u);
    // Its own reply sent back to it is not a query.
    std::vector<uint8_t> reply(out, out + n);
    EXPECT_EQ(gw.handle(reply.data(), reply.size(), out, sizeof out), 0u);
    rsp::Keyring other;
    uint8_t key[32] = {};
    ASSERT_EQ(other.add(3, key, 32), rsp::RspError::None);
    auto wrongKey = query(other, 3, {{100, toRsp(ip("10.1.0.5")), 0}});
    EXPECT_EQ(gw.handle(wrongKey.data(), wrongKey.size(), out, sizeof out), 0u);
    EXPECT_EQ(gw.rspCounters()[rsp::RspError::Replayed], 1u);
    EXPECT_EQ(gw.rspCounters()[rsp::RspError::BadMac], 2u);
    EXPECT_EQ(gw.rspCounters()[rsp::RspError::UnexpectedType], 1u);
    EXPECT_EQ(gw.counters().replies, 1u);
    // Without a table yet every destination is unknown (never a stale answer).
    RspResponder fresh(net.keys, 3, 1, 16);
    auto q = query(net.keys, 1, {{100, toRsp(ip("10.1.0.5")), 0}});
    n = fresh.handle(q.data(), q.size(), out, sizeof out);
    rsp::ReplyBatch r;
    ASSERT_EQ(rsp::decodeReplies(out, n, net.keys, r), rsp::RspError::None);
    EXPECT_EQ(r.entries[0].status, rsp::EntryStatus::Unknown);
}

}  // namespace
