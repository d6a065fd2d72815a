#include "common/status.h"

#include <gtest/gtest.h>

namespace fastchat {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.code(), Code::kOk);
}

TEST(StatusTest, ToStringNamesCodeAndMessage) {
  Status s(Code::kUnknownUser, "no such user: bob");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.to_string(), "unknown user: no such user: bob");
  EXPECT_EQ(Status(Code::kAuthFailed, "").to_string(), "authentication failed");
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good(42);
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 42);
  EXPECT_EQ(good.code(), Code::kOk);

  Result<int> bad(Code::kNotFound, "nothing");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.code(), Code::kNotFound);
  EXPECT_EQ(bad.status().message(), "nothing");
}

}  // namespace
}  // namespace fastchat
