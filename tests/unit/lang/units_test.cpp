// Quantity literals: exact decimal arithmetic, the unit table, errors.
#include <gtest/gtest.h>

#include "units.h"

namespace sluice::lang {
namespace {

Quantity parse(const char* text) {
    Quantity q;
    std::string err;
    EXPECT_TRUE(parseQuantity(text, q, err)) << text << ": " << err;
    return q;
}

TEST(Units, RatesSizesDurationsPercentages) {
    EXPECT_EQ(parse("10Gbps").amount, 10'000'000'000u);
    EXPECT_EQ(parse("1.5Gbps").amount, 1'500'000'000u);
    EXPECT_EQ(parse("100bps").amount, 100u);
    EXPECT_EQ(parse("20Kpps").kind, QuantityKind::Pps);
    EXPECT_EQ(parse("1Mpps").amount, 1'000'000u);
    EXPECT_EQ(parse("64KB").amount, 64'000u);
    EXPECT_EQ(parse("1500B").kind, QuantityKind::Bytes);
    EXPECT_EQ(parse("250us").amount, 250u);
    EXPECT_EQ(parse("100ms").amount, 100'000u);
    EXPECT_EQ(parse("5m").amount, 300'000'000u);
    EXPECT_EQ(parse("1h").amount, 3'600'000'000u);
    EXPECT_EQ(parse("12.5%").amount, 1250u);
    EXPECT_EQ(parse("800%").amount, 80000u);
    EXPECT_TRUE(parse("1ms").whole);
    EXPECT_FALSE(parse("1.0001us").whole);
}

TEST(Units, Errors) {
    Quantity q;
    std::string err;
    EXPECT_FALSE(parseQuantity("10Gbit", q, err));
    EXPECT_NE(err.find("unknown unit 'Gbit'"), std::string::npos);
    EXPECT_FALSE(parseQuantity("99999999999999999999Tbps", q, err));
    EXPECT_NE(err.find("too large"), std::string::npos);
    EXPECT_FALSE(parseQuantity("Gbps", q, err));
}

}  // namespace
}  // namespace sluice::lang
