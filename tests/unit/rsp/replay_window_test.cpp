// The replay window against a model (the set of accepted sequence numbers and the highest),
// across every shift that crosses a word of the bitmap; and the per-sender table's bounds.
#include "sluice/rsp/replay_window.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace {

using namespace sluice::rsp;
constexpr uint64_t W = ReplayWindow::kWindowBits;

// What the window must answer: refused if seen, or at least W below the highest accepted.
RspError model(const std::set<uint64_t>& seen, uint64_t seq) {
    if (seq == 0) return RspError::BadSequence;
    uint64_t top = seen.empty() ? 0 : *seen.rbegin();
    if (seq > top) return RspError::None;
    if (top - seq >= W) return RspError::TooOld;
    return seen.count(seq) ? RspError::Replayed : RspError::None;
}

TEST(RspReplayWindow, FirstThenReplayed) {
    ReplayWindow w;
    EXPECT_EQ(w.check(0), RspError::BadSequence);
    EXPECT_EQ(w.check(5), RspError::None);
    w.commit(5);
    EXPECT_EQ(w.check(5), RspError::Replayed);
    EXPECT_EQ(w.check(4), RspError::None);  // out of order inside the window is fine
    w.commit(4);
    EXPECT_EQ(w.check(4), RspError::Replayed);
    EXPECT_EQ(w.highest(), 5u);
}

TEST(RspReplayWindow, SlidesAndForgetsBelowTheEdge) {
    ReplayWindow w;
    w.commit(1000);
    EXPECT_EQ(w.check(1000 - W + 1), RspError::None);  // the oldest slot still inside
    EXPECT_EQ(w.check(1000 - W), RspError::TooOld);
    w.commit(1000 + W);  // slide by a whole window: everything before is too old
    EXPECT_EQ(w.check(1000), RspError::TooOld);
    EXPECT_EQ(w.check(1000 + W), RspError::Replayed);
    EXPECT_EQ(w.check(1001), RspError::None);
}

TEST(RspReplayWindow, EveryShiftKeepsTheRightBits) {
    // Seen bits must move with the edge by exactly the shift, for shifts across word
    // boundaries (1, 63, 64, 65, 127, 128, 129, W-1, W, W+1).
    for (uint64_t shift : std::initializer_list<uint64_t>{1, 2, 63, 64, 65, 127, 128, 129, 191, 192,
                                                          193, W - 1, W, W + 1}) {
        ReplayWindow w;
        std::set<uint64_t> seen;
        const uint64_t base = 10000;
        // Every third sequence of the window below base.
        for (uint64_t s = base - W + 1; s <= base; ++s) {
            if (s % 3 == 0 || s == base) {
                ASSERT_EQ(w.check(s), model(seen, s));
                w.commit(s);
                seen.insert(s);
            }
        }
        w.commit(base + shift);
        seen.insert(base + shift);
        for (uint64_t s = base + shift - W - 2; s <= base + shift + 2; ++s)
            ASSERT_EQ(w.check(s), model(seen, s)) << "shift " << shift << " seq " << s;
    }
}

TEST(RspReplayWindow, AgreesWithModelOnGeneratedSequences) {
    std::mt19937_64 rng(4303);
    for (int run = 0; run < 50; ++run) {
        ReplayWindow w;
        std::set<uint64_t> seen;
        uint64_t top = 1 + rng() % 1000;
        for (int step = 0; step < 2000; ++step) {
            uint64_t seq;
            switch (rng() % 4) {
                case 0:
                    seq = top + 1 + rng() % 3;
                    break;  // in order
                case 1:
                    seq = top + rng() % (2 * W);
                    break;  // jumps
                case 2:
                    seq = top > W ? top - rng() % (W + 8) : 1 + rng() % (top + 1);
                    break;
                default:
                    seq = seen.empty() ? 1 : *seen.begin() + rng() % 64;
                    break;  // old
            }
            RspError want = model(seen, seq);
            ASSERT_EQ(w.check(seq), want) << "run " << run << " step " << step << " seq " << seq;
            if (want == RspError::None) {
                w.commit(seq);
                seen.insert(seq);
                top = std::max(top, seq);
            }
        }
    }
}

TEST(RspReplayGuard, WindowsPerKeyAndSender) {
    ReplayGuard g(4);
    EXPECT_EQ(g.commit(1, 10, 100), RspError::None);
    EXPECT_EQ(g.commit(1, 10, 100), RspError::Replayed);
    EXPECT_EQ(g.commit(1, 11, 100), RspError::None);  // another sender: its own window
    EXPECT_EQ(g.commit(2, 10, 100), RspError::None);  // another key: its own window
    EXPECT_EQ(g.peers(), 3u);
    EXPECT_EQ(g.commit(1, 10, 100 + W), RspError::None);
    EXPECT_EQ(g.check(1, 10, 100), RspError::TooOld);
    EXPECT_EQ(g.check(1, 11, 101), RspError::None);  // the other sender did not slide
    EXPECT_EQ(g.commit(1, 12, 0), RspError::BadSequence);
    EXPECT_EQ(g.peers(), 3u);
}

TEST(RspReplayGuard, FullTableRefusesNewSendersOnly) {
    ReplayGuard g(3);
    for (uint32_t s = 1; s <= 3; ++s) ASSERT_EQ(g.commit(1, s, 1), RspError::None);
    EXPECT_EQ(g.check(1, 4, 1), RspError::PeerTableFull);
    EXPECT_EQ(g.commit(1, 4, 1), RspError::PeerTableFull);
    EXPECT_EQ(g.peers(), 3u);
    EXPECT_EQ(g.commit(1, 2, 2), RspError::None);  // known senders go on
    EXPECT_EQ(g.commit(1, 2, 2), RspError::Replayed);
}

TEST(RspReplayGuard, ManySendersFindTheirOwnWindow) {
    ReplayGuard g(1000);
    for (uint32_t s = 0; s < 1000; ++s) ASSERT_EQ(g.commit(s % 3, s, s + 1), RspError::None);
    for (uint32_t s = 0; s < 1000; ++s) {
        ASSERT_EQ(g.check(s % 3, s, s + 1), RspError::Replayed) << s;
        ASSERT_EQ(g.check(s % 3, s, s + 2), RspError::None) << s;
    }
    EXPECT_EQ(g.peers(), 1000u);
    EXPECT_EQ(g.commit(9, 9, 1), RspError::PeerTableFull);
}

}  // namespace
