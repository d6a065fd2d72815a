#include "server/login_limiter.h"

#include <gtest/gtest.h>

namespace fastchat::server {
namespace {

constexpr LoginLimits kLimits{.failures_per_account_address = 3,
                              .failures_per_address = 10,
                              .failures_per_account = 6,
                              .registrations_per_address = 2,
                              .window_ms = 60'000};

TEST(LoginLimiterTest, APairIsStoppedFirstAndOnlyThatPair) {
  ManualClock clock;
  MemoryLoginLimiter limiter(clock, kLimits);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1"));
    limiter.record_failure("alice", "10.0.0.1");
  }
  EXPECT_FALSE(limiter.allowed("alice", "10.0.0.1"));
  EXPECT_TRUE(limiter.allowed("alice", "10.0.0.2")) << "the owner elsewhere is not locked out";
  EXPECT_TRUE(limiter.allowed("bob", "10.0.0.1"));
  clock.advance_ms(60'000);
  EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1"));
}

TEST(LoginLimiterTest, ManyAddressesGuessingOneAccountStopItEverywhere) {
  ManualClock clock;
  MemoryLoginLimiter limiter(clock, kLimits);
  for (int i = 0; i < 6; ++i)
    limiter.record_failure("alice", "10.0.1." + std::to_string(i));
  EXPECT_FALSE(limiter.allowed("alice", "10.0.2.1"));
  EXPECT_TRUE(limiter.allowed("bob", "10.0.2.1"));
}

TEST(LoginLimiterTest, BlocksAddressAcrossAccounts) {
  ManualClock clock;
  MemoryLoginLimiter limiter(clock, kLimits);
  for (int i = 0; i < 10; ++i)
    limiter.record_failure("user" + std::to_string(i), "10.0.0.9");
  EXPECT_FALSE(limiter.allowed("fresh", "10.0.0.9"));
  EXPECT_TRUE(limiter.allowed("fresh", "10.0.0.8"));
}

TEST(LoginLimiterTest, SuccessClearsThePairButNotTheAccountCount) {
  ManualClock clock;
  MemoryLoginLimiter limiter(clock, kLimits);
  for (int i = 0; i < 2; ++i)
    limiter.record_failure("carol", "a");
  limiter.record_success("carol", "a");
  for (int i = 0; i < 2; ++i)
    limiter.record_failure("carol", "a");
  EXPECT_TRUE(limiter.allowed("carol", "a")) << "the pair counts 2 since the success";
  for (int i = 0; i < 2; ++i)
    limiter.record_failure("carol", "b");
  EXPECT_FALSE(limiter.allowed("carol", "c")) << "6 failures of the account in the window";
}

TEST(LoginLimiterTest, RegistrationsAreThrottledPerAddress) {
  ManualClock clock;
  MemoryLoginLimiter limiter(clock, kLimits);
  EXPECT_TRUE(limiter.register_allowed("10.0.0.1"));
  EXPECT_TRUE(limiter.register_allowed("10.0.0.1"));
  EXPECT_FALSE(limiter.register_allowed("10.0.0.1"));
  EXPECT_TRUE(limiter.register_allowed("10.0.0.2"));
  clock.advance_ms(60'000);
  EXPECT_TRUE(limiter.register_allowed("10.0.0.1"));
}

}  // namespace
}  // namespace fastchat::server
