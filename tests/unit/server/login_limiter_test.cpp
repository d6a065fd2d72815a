#include "server/login_limiter.h"

#include <gtest/gtest.h>

namespace fastchat::server {
namespace {

TEST(LoginLimiterTest, BlocksAccountAfterLimitUntilWindowPasses) {
  ManualClock clock;
  MemoryLoginLimiter limiter(
      clock, {.failures_per_account = 3, .failures_per_address = 100, .window_ms = 60'000});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1"));
    limiter.record_failure("alice", "10.0.0.1");
  }
  EXPECT_FALSE(limiter.allowed("alice", "10.0.0.2"));  // per account, from any address
  EXPECT_TRUE(limiter.allowed("bob", "10.0.0.1"));
  clock.advance_ms(60'000);
  EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1"));
}

TEST(LoginLimiterTest, BlocksAddressAcrossAccounts) {
  ManualClock clock;
  MemoryLoginLimiter limiter(
      clock, {.failures_per_account = 100, .failures_per_address = 5, .window_ms = 1'000});
  for (int i = 0; i < 5; ++i)
    limiter.record_failure("user" + std::to_string(i), "10.0.0.9");
  EXPECT_FALSE(limiter.allowed("fresh", "10.0.0.9"));
  EXPECT_TRUE(limiter.allowed("fresh", "10.0.0.8"));
}

TEST(LoginLimiterTest, SuccessClearsTheAccountCount) {
  ManualClock clock;
  MemoryLoginLimiter limiter(
      clock, {.failures_per_account = 2, .failures_per_address = 100, .window_ms = 60'000});
  limiter.record_failure("carol", "a");
  limiter.record_success("carol");
  limiter.record_failure("carol", "a");
  EXPECT_TRUE(limiter.allowed("carol", "a"));
}

}  // namespace
}  // namespace fastchat::server
