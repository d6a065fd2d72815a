#include "crypto/password.h"

#include <gtest/gtest.h>

namespace fastchat::crypto {
namespace {

TEST(PasswordTest, DeterministicPerUserAndPasswordWithIndependentKeys) {
  const PasswordKeys a1 = derive_password_keys("alice", "pw");
  const PasswordKeys a2 = derive_password_keys("alice", "pw");
  const PasswordKeys b = derive_password_keys("bob", "pw");
  const PasswordKeys a_other = derive_password_keys("alice", "pw2");
  EXPECT_EQ(a1.auth_key.size(), 32u);
  EXPECT_EQ(a1.storage_key.size(), 32u);
  EXPECT_TRUE(a1.auth_key.equals(a2.auth_key.view()));
  EXPECT_TRUE(a1.storage_key.equals(a2.storage_key.view()));
  EXPECT_FALSE(a1.auth_key.equals(a1.storage_key.view()));
  EXPECT_FALSE(a1.auth_key.equals(b.auth_key.view()));
  EXPECT_FALSE(a1.auth_key.equals(a_other.auth_key.view()));
  EXPECT_FALSE(a1.storage_key.equals(a_other.storage_key.view()));
}

TEST(SecretBytesTest, WipeEmptiesAndMoveLeavesSourceEmpty) {
  SecretBytes s(std::string_view("secret"));
  SecretBytes moved = std::move(s);
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(moved.equals("secret"));
  EXPECT_FALSE(moved.equals("secreT"));
  moved.wipe();
  EXPECT_TRUE(moved.empty());
}

}  // namespace
}  // namespace fastchat::crypto
