// The minimum strength of new passwords (zxcvbn), and its messages.
#include "client/password_strength.h"

#include <gtest/gtest.h>

#include "support/test_passwords.h"

namespace fastchat::client {
namespace {

std::string why(std::string_view password, std::string_view username) {
  const Status s = check_password_strength(password, username);
  EXPECT_EQ(s.code(), Code::kWeakPassword) << "'" << password << "' was accepted";
  return s.message();
}

TEST(PasswordStrengthTest, WeakPasswordsAreRefusedSayingWhy) {
  EXPECT_NE(why("pw", "alice").find("fewer than 10 characters"), std::string::npos);
  EXPECT_NE(why("secret", "alice").find("fewer than 10 characters"), std::string::npos);
  EXPECT_NE(why("alice-password", "alice").find("your user name"), std::string::npos);
  EXPECT_NE(why("password123", "alice").find("common password"), std::string::npos);
  EXPECT_NE(why("asdfghjkl;", "alice").find("keyboard pattern"), std::string::npos);
  EXPECT_NE(why("1234567890", "alice").find("sequence"), std::string::npos);
  EXPECT_NE(why("aaaaaaaaaaaa", "alice").find("repeats"), std::string::npos);
  // Every refusal says what to do instead.
  EXPECT_NE(why("password123", "alice").find("four or more random words"), std::string::npos);
}

TEST(PasswordStrengthTest, TheUserNameItselfIsRefusedInAnyCase) {
  EXPECT_NE(why("Alice", "alice").find("it is your user name"), std::string::npos);
  EXPECT_NE(why("longusername", "longusername").find("it is your user name"), std::string::npos);
  EXPECT_NE(why("LongUserName", "longusername").find("it is your user name"), std::string::npos);
  // Long enough, but only the user name and a year.
  EXPECT_EQ(check_password_strength("longusername2024", "longusername").code(),
            Code::kWeakPassword);
}

TEST(PasswordStrengthTest, StrongPasswordsPass) {
  for (const char* password : {"correct horse battery staple", "xk3!pq9zLm#T",
                               "Tr0ub4dor&3 is not enough?", "żółw jedzie powoli przez łąkę"}) {
    EXPECT_TRUE(check_password_strength(password, "alice")) << password;
  }
  EXPECT_TRUE(check_password_strength(test_support::test_password("alice"), "alice"))
      << "the tests' own passwords must pass";
}

TEST(PasswordStrengthTest, LengthCountsCharactersNotBytes) {
  // Nine characters of two bytes each: eighteen bytes, still too short.
  EXPECT_NE(why("ąćęłńóśźż", "alice").find("fewer than 10 characters"), std::string::npos);
}

}  // namespace
}  // namespace fastchat::client
