// RSP costs on one core: encoding a learner's query, the gateway's whole answer (authenticate,
// replay window, look up every destination, sign the reply) and the learner's decoding of the
// reply, for batches of 1, 8 and 24 destinations and VM tables of 10^3 and 10^5 entries; and
// the message sizes. Medians of 7 runs, all variants in the same process run.
//   rsp_bench                 the table (bench/rsp/RESULTS.md)
//   rsp_bench --handle N B    only N gateway answers of B-destination queries (for callgrind)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sluice/gateway/responder.h"

namespace {

using namespace sluice;
using Clock = std::chrono::steady_clock;

controller::Tables makeTables(size_t vms) {
    controller::Tables t;
    t.revision = vms + 1;
    for (size_t i = 0; i < vms; ++i) {
        controller::Address ip;
        ip.family = 4;
        ip.bytes = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
        controller::Address host;
        host.family = 4;
        host.bytes = {192, 168, uint8_t(i >> 8), uint8_t(i)};
        controller::Mac mac{{2, 0, 0, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)}};
        t.vms[{100, ip}] = {host, mac, i + 1};
    }
    return t;
}

struct Setup {
    rsp::Keyring keys;
    explicit Setup() {
        uint8_t key[32];
        for (int i = 0; i < 32; ++i) key[i] = uint8_t(i);
        keys.add(1, key, 32);
    }
};

rsp::QueryBatch makeQuery(size_t batch, size_t vms, uint64_t seq) {
    rsp::QueryBatch q;
    q.header = {rsp::kVersion, rsp::MessageType::Query, 0, 1, 7, seq, uint16_t(batch)};
    for (size_t i = 0; i < batch; ++i) {
        size_t v = (i * 7919 + seq * 104729) % vms;
        q.entries[i] = {100, rsp::IpAddress::v4(10, uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)),
                        (seq + i) % 2 ? v + 1 : 0};  // half reconciles of current entries
    }
    return q;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct Row {
    double encodeNs, answerNs, decodeNs;
    size_t queryBytes, replyBytes;
};

Row measure(Setup& s, size_t batch, size_t vms, int iters) {
    auto table = std::make_shared<gateway::VmTable>(makeTables(vms));
    std::vector<double> enc, ans, dec;
    size_t qn = 0, rn = 0;
    uint64_t seq = 1;
    for (int run = 0; run < 7; ++run) {
        gateway::RspResponder gw(s.keys, 1, 2, 16, 1);
        rsp::Receiver learner(s.keys, 4);
        std::vector<std::vector<uint8_t>> queries(iters,
                                                  std::vector<uint8_t>(rsp::kMaxMessageBytes));
        std::vector<std::vector<uint8_t>> replies(iters,
                                                  std::vector<uint8_t>(rsp::kMaxMessageBytes));
        std::vector<size_t> qlen(iters), rlen(iters);
        std::vector<rsp::QueryBatch> batches;
        for (int i = 0; i < iters; ++i) batches.push_back(makeQuery(batch, vms, seq++));
        auto t0 = Clock::now();
        for (int i = 0; i < iters; ++i)
            rsp::encodeQueries(batches[i], s.keys, queries[i].data(), queries[i].size(), qlen[i]);
        auto t1 = Clock::now();
        for (int i = 0; i < iters; ++i) {
            gw.setTable(table);
            rlen[i] = gw.handle(queries[i].data(), qlen[i], replies[i].data(), replies[i].size());
        }
        auto t2 = Clock::now();
        rsp::ReplyBatch r;
        size_t ok = 0;
        for (int i = 0; i < iters; ++i)
            ok += learner.receiveReplies(replies[i].data(), rlen[i], r) == rsp::RspError::None;
        auto t3 = Clock::now();
        if (ok != size_t(iters)) {
            std::fprintf(stderr, "rsp_bench: %zu of %d replies refused\n", iters - ok, iters);
            std::exit(1);
        }
        auto ns = [&](auto a, auto b) {
            return std::chrono::duration<double, std::nano>(b - a).count() / iters;
        };
        enc.push_back(ns(t0, t1));
        ans.push_back(ns(t1, t2));
        dec.push_back(ns(t2, t3));
        qn = qlen[0];
        rn = rlen[0];
    }
    return {median(enc), median(ans), median(dec), qn, rn};
}

}  // namespace

int main(int argc, char** argv) {
    Setup s;
    if (argc == 4 && std::strcmp(argv[1], "--handle") == 0) {
        int n = std::atoi(argv[2]);
        size_t batch = std::strtoul(argv[3], nullptr, 10);
        if (n <= 0 || batch < 1 || batch > rsp::kMaxEntries) return 2;
        auto table = std::make_shared<gateway::VmTable>(makeTables(1000));
        gateway::RspResponder gw(s.keys, 1, 2, 16, 1);
        gw.setTable(table);
        std::vector<uint8_t> q(rsp::kMaxMessageBytes), r(rsp::kMaxMessageBytes);
        size_t sent = 0;
        for (int i = 0; i < n; ++i) {
            size_t qlen = 0;
            rsp::encodeQueries(makeQuery(batch, 1000, uint64_t(i) + 1), s.keys, q.data(), q.size(),
                               qlen);
            sent += gw.handle(q.data(), qlen, r.data(), r.size()) > 0;
        }
        return sent == size_t(n) ? 0 : 1;
    }
    if (argc != 1) {
        std::fprintf(stderr, "usage: rsp_bench [--handle N BATCH]\n");
        return 2;
    }
    std::printf(
        "| VMs in table | destinations per query | query bytes | reply bytes | learner encode ns | "
        "gateway answer ns | learner decode ns | gateway answer ns per destination |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (size_t vms : {size_t(1000), size_t(100000)}) {
        for (size_t batch : {size_t(1), size_t(8), size_t(24)}) {
            Row r = measure(s, batch, vms, 20000);
            std::printf("| %zu | %zu | %zu | %zu | %.0f | %.0f | %.0f | %.0f |\n", vms, batch,
                        r.queryBytes, r.replyBytes, r.encodeNs, r.answerNs, r.decodeNs,
                        r.answerNs / batch);
        }
    }
    return 0;
}
