// Unit parsing with exact integer arithmetic (1.5Gbps is exactly 1500000000 bps).
#include "units.h"

#include <array>

namespace sluice::lang {

namespace {

struct Unit {
    std::string_view name;
    QuantityKind kind;
    uint64_t scale;  // base units per 1 of this unit
};

constexpr std::array kUnits = {
    Unit{"bps", QuantityKind::Bps, 1},
    Unit{"Kbps", QuantityKind::Bps, 1'000},
    Unit{"Mbps", QuantityKind::Bps, 1'000'000},
    Unit{"Gbps", QuantityKind::Bps, 1'000'000'000},
    Unit{"Tbps", QuantityKind::Bps, 1'000'000'000'000},
    Unit{"pps", QuantityKind::Pps, 1},
    Unit{"Kpps", QuantityKind::Pps, 1'000},
    Unit{"Mpps", QuantityKind::Pps, 1'000'000},
    Unit{"Gpps", QuantityKind::Pps, 1'000'000'000},
    Unit{"B", QuantityKind::Bytes, 1},
    Unit{"KB", QuantityKind::Bytes, 1'000},
    Unit{"MB", QuantityKind::Bytes, 1'000'000},
    Unit{"GB", QuantityKind::Bytes, 1'000'000'000},
    Unit{"TB", QuantityKind::Bytes, 1'000'000'000'000},
    Unit{"us", QuantityKind::Duration, 1},
    Unit{"ms", QuantityKind::Duration, 1'000},
    Unit{"s", QuantityKind::Duration, 1'000'000},
    Unit{"m", QuantityKind::Duration, 60'000'000},
    Unit{"h", QuantityKind::Duration, 3'600'000'000},
    Unit{"%", QuantityKind::Percent, 100},  // base unit: 1/100 of a percent
};

}  // namespace

const char* quantityKindName(QuantityKind kind) {
    switch (kind) {
        case QuantityKind::Bps: return "a bit rate";
        case QuantityKind::Pps: return "a packet rate";
        case QuantityKind::Bytes: return "a size";
        case QuantityKind::Duration: return "a duration";
        case QuantityKind::Percent: return "a percentage";
    }
    return "a quantity";
}

bool parseQuantity(std::string_view text, Quantity& out, std::string& error) {
    size_t i = 0;
    unsigned __int128 mantissa = 0;
    unsigned __int128 divisor = 1;
    bool digits = false;
    bool overflow = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
        digits = true;
        if (mantissa > (static_cast<unsigned __int128>(1) << 80)) overflow = true;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (divisor < static_cast<unsigned __int128>(1'000'000'000'000'000'000ULL)) {
                mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
                divisor *= 10;
            }
            if (mantissa > (static_cast<unsigned __int128>(1) << 80)) overflow = true;
        }
    }
    std::string_view unit = text.substr(i);
    if (!digits) {
        error = "'" + std::string(text) + "' is not a number with a unit";
        return false;
    }
    for (const Unit& u : kUnits) {
        if (u.name != unit) continue;
        unsigned __int128 scaled = mantissa * u.scale;
        unsigned __int128 value = scaled / divisor;
        if (overflow || value > UINT64_MAX) {
            error = "'" + std::string(text) + "' is too large";
            return false;
        }
        out.kind = u.kind;
        out.amount = static_cast<uint64_t>(value);
        out.whole = scaled % divisor == 0;
        return true;
    }
    error = "unknown unit '" + std::string(unit) + "' in '" + std::string(text) +
            "'; expected one of bps, Kbps, Mbps, Gbps, Tbps, pps, Kpps, Mpps, Gpps, B, KB, MB, "
            "GB, TB, us, ms, s, m, h, %";
    return false;
}

}  // namespace sluice::lang
