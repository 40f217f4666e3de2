// libFuzzer target for the RSP codec (rsp/, docs/rsp.md). Contract besides no crash:
//  - the input as sent: a query or reply decodes or is refused with a named reason; one that
//    decodes re-encodes to exactly the input's bytes, and the Receiver takes it once and
//    refuses it as Replayed the second time;
//  - the input re-signed with the target's key (so the fuzzer gets past the MAC into the
//    entries): the same contract, and a refusal is never BadMac.
// Inputs are capped a little above kMaxMessageBytes; anything longer is only TooLong.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_fail.h"
#include "sluice/rsp/codec.h"

namespace {

using namespace sluice::rsp;

constexpr uint32_t kKeyId = 1;

const Keyring& keys() {
    static Keyring* k = [] {
        auto* ring = new Keyring;
        uint8_t key[32];
        for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
        ring->add(kKeyId, key, sizeof key);
        return ring;
    }();
    return *k;
}

[[noreturn]] void fail(const char* what, const uint8_t* data, size_t size) {
    std::string hex;
    for (size_t i = 0; i < size && i < 64; ++i) {
        static const char* d = "0123456789abcdef";
        hex += d[data[i] >> 4];
        hex += d[data[i] & 15];
    }
    sluice::fuzz::fail("fuzz_rsp", what, hex);
}

void checkName(RspError e, const uint8_t* data, size_t size) {
    if (std::string(errorName(e)) == "invalid") fail("refusal without a name", data, size);
}

template <typename Batch, typename Decode, typename Encode, typename Receive>
void checkOne(const uint8_t* data, size_t size, bool resigned, Decode decode, Encode encode,
              Receive receive) {
    Batch out;
    RspError e = decode(data, size, keys(), out);
    checkName(e, data, size);
    if (e != RspError::None) {
        if (resigned && e == RspError::BadMac)
            fail("re-signed message refused as forged", data, size);
        return;
    }
    uint8_t again[kMaxMessageBytes];
    size_t n = 0;
    if (encode(out, keys(), again, sizeof again, n) != RspError::None)
        fail("accepted message does not re-encode", data, size);
    if (n != size || std::memcmp(again, data, size) != 0)
        fail("accepted message re-encodes to other bytes", data, size);
    Receiver rx(keys(), 4);
    if (receive(rx, data, size, out) != RspError::None) fail("receiver refuses it", data, size);
    if (receive(rx, data, size, out) != RspError::Replayed) fail("replay accepted", data, size);
}

void checkBoth(const uint8_t* data, size_t size, bool resigned) {
    checkOne<QueryBatch>(data, size, resigned, decodeQueries, encodeQueries,
                         [](Receiver& r, const uint8_t* d, size_t n, QueryBatch& o) {
                             return r.receiveQueries(d, n, o);
                         });
    checkOne<ReplyBatch>(data, size, resigned, decodeReplies, encodeReplies,
                         [](Receiver& r, const uint8_t* d, size_t n, ReplyBatch& o) {
                             return r.receiveReplies(d, n, o);
                         });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > kMaxMessageBytes + 64) size = kMaxMessageBytes + 64;
    checkBoth(data, size, false);
    // Re-signed: only when the header names the target's key and the size is one the
    // decoder would get to the MAC with; otherwise the first pass covered it.
    if (size >= kHeaderBytes + kMacBytes && size <= kMaxMessageBytes) {
        std::vector<uint8_t> m(data, data + size);
        uint32_t keyId = uint32_t{m[8]} << 24 | uint32_t{m[9]} << 16 | uint32_t{m[10]} << 8 | m[11];
        if (keyId == kKeyId) {
            keys().sign(kKeyId, m.data(), size - kMacBytes, m.data() + size - kMacBytes);
            checkBoth(m.data(), size, true);
        }
    }
    return 0;
}
