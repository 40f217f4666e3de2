// Replay protection (docs/rsp.md, "Replay"): a sliding window over sequence numbers per sender,
// as IPsec's anti-replay window (RFC 4303 3.4.3, appendix A). The highest sequence accepted
// is the right edge; kWindowBits below it are remembered one bit each; older ones are refused.
// Windows live in a table of fixed capacity keyed by the authenticated (key id, sender), so a
// spoofed UDP source neither escapes a window nor creates one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sluice/rsp/error.h"

namespace sluice::rsp {

class ReplayWindow {
  public:
    static constexpr uint64_t kWindowBits = 256;

    // None if seq may be accepted (not seen, not too old); Replayed, TooOld or BadSequence.
    RspError check(uint64_t seq) const;
    // Records seq as seen and slides the window when it is the new right edge. Call only
    // after check(seq) said None and the message was accepted.
    void commit(uint64_t seq);
    uint64_t highest() const { return top_; }

  private:
    static constexpr size_t kWords = kWindowBits / 64;
    uint64_t top_ = 0;                     // highest sequence accepted; 0: none yet
    std::array<uint64_t, kWords> seen_{};  // bit i of the window: top_ - i was seen
};

// The windows of up to `capacity` senders; allocated once, never grows.
class ReplayGuard {
  public:
    explicit ReplayGuard(size_t capacity);

    // check + commit through the sender's window; PeerTableFull for a new sender when the
    // table is full (nothing recorded).
    RspError check(uint32_t keyId, uint32_t sender, uint64_t seq) const;
    RspError commit(uint32_t keyId, uint32_t sender, uint64_t seq);
    size_t peers() const { return used_; }
    size_t capacity() const { return capacity_; }

  private:
    struct Slot {
        bool used = false;
        uint32_t keyId = 0;
        uint32_t sender = 0;
        ReplayWindow window;
    };
    size_t find(uint32_t keyId, uint32_t sender) const;  // slot index, used or the free one

    size_t capacity_;
    size_t used_ = 0;
    std::vector<Slot> slots_;  // open addressing, twice the capacity, linear probing
};

}  // namespace sluice::rsp
