#include "common/username.h"

#include <gtest/gtest.h>

namespace fastchat {
namespace {

TEST(UsernameTest, LowerCasesValidNames) {
  EXPECT_EQ(normalize_username("Alice"), "alice");
  EXPECT_EQ(normalize_username("a.b-c_9"), "a.b-c_9");
  EXPECT_EQ(normalize_username("x"), "x");
  EXPECT_EQ(normalize_username(std::string(32, 'z')), std::string(32, 'z'));
}

TEST(UsernameTest, RejectsInvalidNames) {
  EXPECT_FALSE(normalize_username(""));
  EXPECT_FALSE(normalize_username(std::string(33, 'z')));
  EXPECT_FALSE(normalize_username("has space"));
  EXPECT_FALSE(normalize_username("emoji\xF0\x9F\x98\x80"));
  EXPECT_FALSE(normalize_username("semi;colon"));
  EXPECT_FALSE(normalize_username(std::string("nul\0x", 5)));
}

}  // namespace
}  // namespace fastchat
