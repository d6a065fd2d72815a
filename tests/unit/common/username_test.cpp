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

TEST(UsernameTest, CanonicalNamesAreThoseNormalizationKeeps) {
  for (std::string_view name : {"alice", "a.b-c_9", "x"}) {
    EXPECT_TRUE(is_canonical_username(name)) << name;
    EXPECT_EQ(normalize_username(name), name);
  }
  EXPECT_TRUE(is_canonical_username(std::string(32, 'z')));
  for (std::string_view name : {"Alice", "", "has space", "semi;colon"}) {
    EXPECT_FALSE(is_canonical_username(name)) << name;
  }
  EXPECT_FALSE(is_canonical_username(std::string(33, 'z')));
}

}  // namespace
}  // namespace fastchat

namespace fastchat {
namespace {

TEST(UsernameTest, NewAccountsCannotBePathsOrFlags) {
  for (const char* name : {".", "..", "-", "--help", "-x"}) {
    EXPECT_TRUE(is_canonical_username(name)) << name;  // existing accounts keep working
    EXPECT_FALSE(is_registrable_username(name)) << name;
  }
  for (const char* name : {"a.b", "x-", "..a", "a..", "_", "a-b"})
    EXPECT_TRUE(is_registrable_username(name)) << name;
  EXPECT_FALSE(is_registrable_username("Alice"));  // not canonical
}

}  // namespace
}  // namespace fastchat
