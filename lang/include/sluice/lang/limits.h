// The front end's limits on hostile input (docs/language.md, "Limits"). Each one is checked
// before the work it bounds is done and has its own diagnostic in diag_kinds.def. File size and
// line length are those of sluice::kPolicyFileLimits (sluice/support/input_file.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::lang {

// Files of one run: the root and every import (E012).
inline constexpr size_t kMaxSourceFiles = 1024;
// Bytes of all files of one run together (E007).
inline constexpr uint64_t kMaxTotalSourceBytes = 64u << 20;
// Syntax errors reported per run before the parser stops (E010): a file of 100,000 broken
// declarations gets its first errors quickly instead of all of them slowly.
inline constexpr size_t kMaxSyntaxErrors = 100;
// Tokens (names, numbers, punctuation, comments) of all files of one run together (E013).
// ANTLR's tokens and parse tree take 100-650 bytes per token (docs/language.md, "Limits").
inline constexpr size_t kMaxTokens = 2'000'000;
// Errors of all kinds reported per run before the front end stops reporting (E010).
inline constexpr size_t kMaxErrors = 1000;
// Constants defined through constants: the longest chain `A = B; B = C; ...` (E106).
inline constexpr uint32_t kMaxConstantDepth = 256;
// Values one constant or one written list may expand to (E311).
inline constexpr size_t kMaxListValues = 65536;
// Values all constant expansions of a policy may produce together (E311).
inline constexpr size_t kMaxExpandedValues = 262144;

// Ranges of numbers that become sizes, sums, divisors or timers in the runtime (E203, E308).
inline constexpr uint64_t kMaxIdleTimeoutMs = 7ull * 24 * 3600 * 1000;  // 7 days
inline constexpr uint64_t kMaxProbeMs = 3600ull * 1000;                 // 1 hour
inline constexpr uint64_t kMaxCreditCapMs = 3600ull * 1000;             // 1 hour
inline constexpr uint64_t kMaxEcmpTotalWeight = 0xffffffffull;          // sum of member weights
inline constexpr uint32_t kMaxProbeCount = 1000;                        // down_after, up_after
inline constexpr uint64_t kMaxRateBps = 10'000'000'000'000ull;          // 10 Tbps
inline constexpr uint64_t kMaxRatePps = 10'000'000'000ull;              // 10 Gpps
inline constexpr uint64_t kMaxCpuPercent = 100000 * 100;                // 100000% (1000 cores), in 1/100 %
inline constexpr uint64_t kMaxBurstBytes = 1'000'000'000'000ull;         // 1TB

}  // namespace sluice::lang
