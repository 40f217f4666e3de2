// A static spatial index over boxes: which boxes intersect a box, which contain a point. It
// replaces the all-pairs overlap scan of a group's rules (O(n^2) box tests: 2.7 s on a
// 10K-rule ClassBench set whose rules split into 9 protocol boxes each) by a query per box
// whose cost follows the number of boxes it meets.
//
// Structure: a kd-tree over the 5-tuple dimensions (source and destination address, ports,
// protocol) whose nodes keep the boxes straddling their split (an interval kd-tree): a box is
// stored once, at the first node whose split it crosses, so wildcard rules cost no copies.
// Each node splits the dimension, at the median of the box centres, that leaves the fewest
// boxes straddling; when many straddle, they get a subtree of their own (split on the other
// dimensions) instead of a flat list. A query descends into the children its own interval
// reaches (and every straddle subtree on the way) and tests every box kept there (compact
// 5-tuple key first; anyIntersecting adds the full Box test), so answers are exact.
#pragma once

#include <cstdint>
#include <vector>

#include "box.h"

namespace sluice::verify::geo {

class BoxIndex {
public:
    BoxIndex() = default;
    // Box ids are positions in `boxes`; the boxes must outlive the index.
    explicit BoxIndex(std::vector<const Box*> boxes);

    size_t size() const { return byId_.size(); }

    // Calls visit(id) for each box whose 5-tuple (addresses, ports, protocol) meets q's, in no
    // particular order, until visit returns true (then stops and returns true). The caller
    // makes the exact test it needs (intersects, contains) only for the ids it keeps.
    template <class Visit>
    bool anyMeeting(const Box& q, Visit&& visit) const {
        if (nodes_.empty()) return false;  // root is node 0
        Key k = keyOf(q);
        uint32_t stack[128];
        size_t top = 0;
        stack[top++] = 0;
        while (top) {
            const Node& n = nodes_[stack[--top]];
            for (uint32_t i = n.begin; i < n.end; ++i)
                if (keys_[i].meets(k) && visit(ids_[i])) return true;
            if (n.right >= 0 && k.hi[n.dim] > n.split)
                stack[top++] = static_cast<uint32_t>(n.right);
            if (n.left >= 0 && k.lo[n.dim] <= n.split) stack[top++] = static_cast<uint32_t>(n.left);
            // Popped first: the straddling (wide) boxes, the likely containers.
            if (n.mid >= 0) stack[top++] = static_cast<uint32_t>(n.mid);
        }
        return false;
    }

    // The same for the boxes that intersect q in every dimension.
    template <class Visit>
    bool anyIntersecting(const Box& q, Visit&& visit) const {
        return anyMeeting(q, [&](uint32_t id) { return byId_[id]->intersects(q) && visit(id); });
    }

private:
    static constexpr size_t kKeyDims = 5;  // src ip, dst ip, dst port, src port, proto
    struct Key {
        u128 lo[kKeyDims], hi[kKeyDims];
        bool meets(const Key& o) const {
            for (size_t d = 0; d < kKeyDims; ++d)
                if (lo[d] > o.hi[d] || o.lo[d] > hi[d]) return false;
            return true;
        }
    };
    struct Node {
        u128 split = 0;
        uint32_t begin = 0, end = 0;  // the boxes kept here (positions in keys_/ids_)
        int32_t left = -1, right = -1;
        int32_t mid = -1;  // a tree over the boxes straddling the split, when there are many
        uint8_t dim = 0;
    };
    static Key keyOf(const Box& b);
    int32_t build(std::vector<uint32_t>& ids, size_t begin, size_t end, int depth);

    std::vector<Node> nodes_;
    std::vector<Key> keys_;             // in tree order
    std::vector<uint32_t> ids_;         // in tree order: the caller's id
    std::vector<const Box*> byId_;      // the caller's boxes by id
    std::vector<Key> input_;            // keys by caller id while building
    std::vector<double> volume_;        // log2 volumes by caller id while building
};

}  // namespace sluice::verify::geo
