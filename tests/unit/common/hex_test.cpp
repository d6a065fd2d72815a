#include "common/hex.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

namespace fastchat {
namespace {

std::string all_bytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b)
    bytes.push_back(static_cast<char>(b));
  return bytes;
}

TEST(HexTest, WritesLowerCaseTwoDigitsAByte) {
  EXPECT_EQ(to_hex(std::string_view("\x00\x01\x7f\x80\xab\xff", 6)), "00017f80abff");
  EXPECT_EQ(to_hex(std::string_view()), "");
  const std::array<std::uint8_t, 3> bytes{0xde, 0xad, 0x0f};
  EXPECT_EQ(to_hex(bytes), "dead0f");
}

TEST(HexTest, EveryByteRoundTrips) {
  const std::string bytes = all_bytes();
  const std::string hex = to_hex(bytes);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  EXPECT_EQ(from_hex(hex), bytes);
}

TEST(HexTest, ReadsEitherCase) {
  EXPECT_EQ(from_hex("ABcdEf09"), std::string("\xab\xcd\xef\x09", 4));
  std::array<std::uint8_t, 2> out{};
  ASSERT_TRUE(from_hex("FfA0", out));
  EXPECT_EQ(out[0], 0xff);
  EXPECT_EQ(out[1], 0xa0);
}

TEST(HexTest, NoDigitsIsNoBytes) {
  EXPECT_EQ(from_hex(""), std::string());
  EXPECT_TRUE(from_hex("", std::span<std::uint8_t>()));
}

TEST(HexTest, RefusesAnOddCountAndNonDigits) {
  using namespace std::string_view_literals;
  for (const std::string_view bad : {"a"sv, "abc"sv, "zz"sv, "0g"sv, "g0"sv, " 00"sv, "00 "sv,
                                     "0x00"sv, "-1"sv, "0\n"sv, "\0\0"sv}) {
    EXPECT_FALSE(from_hex(bad)) << "'" << bad << "'";
  }
}

TEST(HexTest, TheFixedSizeFormWantsExactlyTwoDigitsAByte) {
  std::array<std::uint8_t, 4> out{};
  EXPECT_TRUE(from_hex("00112233", out));
  EXPECT_FALSE(from_hex("001122", out));
  EXPECT_FALSE(from_hex("0011223344", out));
  EXPECT_FALSE(from_hex("0011223g", out));
}

}  // namespace
}  // namespace fastchat
