// The per-requester token bucket of prekey bundle fetches.
#include "server/bundle_rate_limiter.h"

#include <gtest/gtest.h>

namespace fastchat::server {
namespace {

TEST(BundleRateLimiterTest, ABurstThenOneTokenPerIntervalPerRequester) {
  ManualClock clock;
  BundleRateLimiter limiter(clock, {.burst = 3, .per_minute = 6});  // one per 10 s
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.try_acquire(1)) << i;
  EXPECT_FALSE(limiter.try_acquire(1));
  EXPECT_TRUE(limiter.try_acquire(2));  // another requester has its own bucket
  clock.advance_ms(9'000);
  EXPECT_FALSE(limiter.try_acquire(1));
  clock.advance_ms(1'000);
  EXPECT_TRUE(limiter.try_acquire(1));
  EXPECT_FALSE(limiter.try_acquire(1));
  // A long pause refills up to the burst, not beyond.
  clock.advance_ms(3'600'000);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.try_acquire(1)) << i;
  EXPECT_FALSE(limiter.try_acquire(1));
}

TEST(BundleRateLimiterTest, IdleBucketsAreDroppedButEmptyOnesAreKept) {
  ManualClock clock;
  BundleRateLimiter limiter(clock, {.burst = 2, .per_minute = 1, .max_tracked = 2});
  EXPECT_TRUE(limiter.try_acquire(1));
  EXPECT_TRUE(limiter.try_acquire(1));
  EXPECT_FALSE(limiter.try_acquire(1));
  // Many other requesters come and go: requester 1's empty bucket is never forgotten.
  for (UserId other = 2; other < 50; ++other)
    EXPECT_TRUE(limiter.try_acquire(other));
  EXPECT_FALSE(limiter.try_acquire(1));
}

}  // namespace
}  // namespace fastchat::server
