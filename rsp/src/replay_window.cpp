#include "sluice/rsp/replay_window.h"

namespace sluice::rsp {

RspError ReplayWindow::check(uint64_t seq) const {
    if (seq == 0) return RspError::BadSequence;
    if (seq > top_) return RspError::None;
    uint64_t back = top_ - seq;
    if (back >= kWindowBits) return RspError::TooOld;
    return (seen_[back / 64] >> (back % 64)) & 1 ? RspError::Replayed : RspError::None;
}

void ReplayWindow::commit(uint64_t seq) {
    if (seq == 0) return;
    if (seq > top_) {
        // Slide right by `shift`: bit i moves to bit i + shift, bits past the window fall off.
        uint64_t shift = seq - top_;
        if (top_ == 0 || shift >= kWindowBits) {
            seen_.fill(0);
        } else {
            size_t words = shift / 64, bits = shift % 64;
            for (size_t i = kWords; i-- > 0;) {
                uint64_t v = 0;
                if (i >= words) {
                    v = seen_[i - words] << bits;
                    if (bits != 0 && i >= words + 1) v |= seen_[i - words - 1] >> (64 - bits);
                }
                seen_[i] = v;
            }
        }
        top_ = seq;
        seen_[0] |= 1;
        return;
    }
    uint64_t back = top_ - seq;
    if (back < kWindowBits) seen_[back / 64] |= uint64_t{1} << (back % 64);
}

ReplayGuard::ReplayGuard(size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity), slots_(2 * capacity_) {}

size_t ReplayGuard::find(uint32_t keyId, uint32_t sender) const {
    uint64_t h = (uint64_t{keyId} << 32 | sender) * 0x9E3779B97F4A7C15ull;
    size_t i = static_cast<size_t>(h >> 32) % slots_.size();
    // The table is never more than half full, so a free slot ends every probe.
    while (slots_[i].used && (slots_[i].keyId != keyId || slots_[i].sender != sender))
        i = (i + 1) % slots_.size();
    return i;
}

RspError ReplayGuard::check(uint32_t keyId, uint32_t sender, uint64_t seq) const {
    const Slot& s = slots_[find(keyId, sender)];
    if (s.used) return s.window.check(seq);
    if (seq == 0) return RspError::BadSequence;
    return used_ < capacity_ ? RspError::None : RspError::PeerTableFull;
}

RspError ReplayGuard::commit(uint32_t keyId, uint32_t sender, uint64_t seq) {
    RspError e = check(keyId, sender, seq);
    if (e != RspError::None) return e;
    Slot& s = slots_[find(keyId, sender)];
    if (!s.used) {
        s.used = true;
        s.keyId = keyId;
        s.sender = sender;
        ++used_;
    }
    s.window.commit(seq);
    return RspError::None;
}

}  // namespace sluice::rsp
