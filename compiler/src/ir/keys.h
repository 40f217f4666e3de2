// The 64-bit key projection used by every classifier structure (tree splits, hash keys,
// interval bounds). The generated code (codegen), the lowering and translation validation
// all use exactly this definition.
//
//   non-IP field:        key = value (at most 48 bits)
//   IP field, IPv4:      key = 1 << 62 | value          (value < 2^32)
//   IP field, IPv6:      key = 2 << 62 | value >> 66    (top 62 bits of the address)
//   IP field, no family: key = 0
//
// The projection is monotone within a family, so a value interval [lo, hi] of family F maps
// into the key interval [key(lo, F), key(hi, F)]: a packet that matches a row always has its key
// inside the row's projected box (classifiers built on the projection never lose a match).
// It is exact (injective) for non-IP fields and IPv4; IPv6 dimensions are "wide" and rows on
// them are re-checked exactly on 128 bits.
#pragma once

#include <cstdint>
#include <utility>

#include "ir/ir.h"

namespace sluice::ir {

inline constexpr uint64_t kTagV4 = uint64_t{1} << 62;
inline constexpr uint64_t kTagV6 = uint64_t{2} << 62;

inline uint64_t projectKey(bool isIp, u128 value, Family family) {
    if (!isIp) return static_cast<uint64_t>(value);
    if (family == Family::V4) return kTagV4 | static_cast<uint64_t>(value & 0xffffffffu);
    if (family == Family::V6) return kTagV6 | static_cast<uint64_t>(value >> 66);
    return 0;
}

inline uint64_t packetKey(const lang::Headers& h, Field f) {
    return projectKey(lang::fieldInfo(f).isIp, h.get(f), h.family(f));
}

// Projected key interval of one dimension of a row.
inline std::pair<uint64_t, uint64_t> projectDim(Field f, const DimMatch& d) {
    if (d.any) return {0, ~uint64_t{0}};
    bool ip = lang::fieldInfo(f).isIp;
    return {projectKey(ip, d.lo, d.family), projectKey(ip, d.hi, d.family)};
}

// The hash of a key tuple used by Hash classifiers (mirrored in codegen).
inline uint64_t hashMix(uint64_t h, uint64_t k) {
    h ^= k + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

}  // namespace sluice::ir
