// Encoding and decoding of RSP messages (docs/rsp.md). Pure functions over caller buffers: no
// exceptions, no allocation, no sockets. Decoding authenticates the whole message before any
// entry is read; the Receiver adds the replay window and counts every outcome by reason.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sluice/rsp/error.h"
#include "sluice/rsp/hmac.h"
#include "sluice/rsp/replay_window.h"
#include "sluice/rsp/wire.h"

namespace sluice::rsp {

inline constexpr size_t messageBytes(MessageType t, size_t count) {
    return kHeaderBytes + count * (t == MessageType::Query ? kQueryEntryBytes : kReplyEntryBytes) +
           kMacBytes;
}

// Writes the batch (header.type is set from the function; count, key id, sender, sequence and
// flags are the caller's) and its HMAC into out[0..cap). Refuses what a decoder would refuse:
// the same reasons (BadCount, BadVni, BadNextHop, UnknownKey, ...), or BufferTooSmall.
RspError encodeQueries(const QueryBatch& batch, const Keyring& keys, uint8_t* out, size_t cap,
                       size_t& written);
RspError encodeReplies(const ReplyBatch& batch, const Keyring& keys, uint8_t* out, size_t cap,
                       size_t& written);

// Checks, authenticates and parses one message of the given type. No replay check: that needs
// the receiver's state (Receiver below). out is only meaningful when None is returned.
RspError decodeQueries(const uint8_t* msg, size_t len, const Keyring& keys, QueryBatch& out);
RspError decodeReplies(const uint8_t* msg, size_t len, const Keyring& keys, ReplyBatch& out);

// The message type if the header is structurally an RSP header, without authenticating it:
// for dispatch only, never for trusting content. None, or the header error.
RspError peekType(const uint8_t* msg, size_t len, MessageType& type);

// One endpoint's receiving side: decode, then the sender's replay window, then count.
class Receiver {
  public:
    Receiver(const Keyring& keys, size_t maxPeers) : keys_(keys), guard_(maxPeers) {}

    RspError receiveQueries(const uint8_t* msg, size_t len, QueryBatch& out);
    RspError receiveReplies(const uint8_t* msg, size_t len, ReplyBatch& out);

    const RspCounters& counters() const { return counters_; }
    const ReplayGuard& guard() const { return guard_; }

  private:
    RspError finish(RspError e, const Header& h);

    const Keyring& keys_;
    ReplayGuard guard_;
    RspCounters counters_;
};

// A sender's sequence numbers: strictly increasing, starting from the wall clock in
// nanoseconds so that a restarted sender (same id, fresh counter) is not taken for a replay.
class SequenceCounter {
  public:
    SequenceCounter();
    explicit SequenceCounter(uint64_t start) : next_(start == 0 ? 1 : start) {}
    uint64_t next() { return next_++; }

  private:
    uint64_t next_;
};

}  // namespace sluice::rsp
