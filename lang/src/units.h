// Quantities written with a unit (docs/language.md, "Literals and types"): rates, sizes,
// durations and percentages. Decimal SI prefixes; fractional numbers such as 1.5Gbps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::lang {

enum class QuantityKind { Bps, Pps, Bytes, Duration, Percent };

struct Quantity {
    QuantityKind kind = QuantityKind::Bps;
    // Bps/Pps/Bytes: in the base unit; Duration: microseconds; Percent: hundredths of a
    // percent (12.5% = 1250). `whole` is false when the text had more precision than that.
    uint64_t amount = 0;
    bool whole = true;
    double asDouble() const { return static_cast<double>(amount); }
};

// Parses e.g. "10Gbps", "1.5Mpps", "64KB", "250us", "30s", "12.5%". On failure returns false
// and sets `error` to a message naming the accepted units.
bool parseQuantity(std::string_view text, Quantity& out, std::string& error);

// "a rate", "a size", ... for messages.
const char* quantityKindName(QuantityKind kind);

}  // namespace sluice::lang
