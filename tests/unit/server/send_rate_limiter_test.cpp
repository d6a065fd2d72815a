// The per-user send limits: a bucket of messages and one of bytes per sender.
#include "server/send_rate_limiter.h"

#include <gtest/gtest.h>

namespace fastchat::server {
namespace {

TEST(SendRateLimiterTest, ABurstOfMessagesThenTheRatePerSender) {
  ManualClock clock;
  SendRateLimiter limiter(clock, {.messages_per_second = 2, .message_burst = 3});
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.try_acquire(1, 100)) << i;
  const Status refused = limiter.try_acquire(1, 100);
  EXPECT_EQ(refused.code(), Code::kRateLimited);
  EXPECT_NE(refused.message().find("at most 2 per second"), std::string::npos) << refused.message();
  EXPECT_TRUE(limiter.try_acquire(2, 100)) << "another sender has its own buckets";
  clock.advance_ms(499);
  EXPECT_FALSE(limiter.try_acquire(1, 100));
  clock.advance_ms(1);
  EXPECT_TRUE(limiter.try_acquire(1, 100));
  EXPECT_FALSE(limiter.try_acquire(1, 100));
  clock.advance_ms(3'600'000);  // refills up to the burst, not beyond
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.try_acquire(1, 100)) << i;
  EXPECT_FALSE(limiter.try_acquire(1, 100));
}

TEST(SendRateLimiterTest, BytesAreLimitedAndARefusalTakesNothing) {
  ManualClock clock;
  SendRateLimiter limiter(clock, {.messages_per_second = 10,
                                  .message_burst = 10,
                                  .bytes_per_second = 1000,
                                  .byte_burst = 4000});
  EXPECT_TRUE(limiter.try_acquire(1, 3000));
  const Status refused = limiter.try_acquire(1, 3000);
  EXPECT_EQ(refused.code(), Code::kRateLimited);
  EXPECT_NE(refused.message().find("bytes"), std::string::npos) << refused.message();
  // The refusal took no message: the 9 left and the 1000 bytes left still pay.
  for (int i = 0; i < 9; ++i)
    EXPECT_TRUE(limiter.try_acquire(1, 100)) << i;
  EXPECT_EQ(limiter.try_acquire(1, 1).code(), Code::kRateLimited) << "out of messages";
  // A message larger than the byte burst waits for a full bucket, then passes.
  clock.advance_ms(60'000);
  EXPECT_TRUE(limiter.try_acquire(1, 10'000));
  EXPECT_FALSE(limiter.try_acquire(1, 1'000));
}

TEST(SendRateLimiterTest, ARateOfZeroTurnsThatLimitOff) {
  ManualClock clock;
  SendRateLimiter limiter(
      clock,
      {.messages_per_second = 0, .message_burst = 1, .bytes_per_second = 0, .byte_burst = 1});
  for (int i = 0; i < 10'000; ++i)
    ASSERT_TRUE(limiter.try_acquire(1, 1 << 20)) << i;
}

TEST(SendRateLimiterTest, IdleSendersAreForgottenButLimitedOnesAreKept) {
  ManualClock clock;
  SendRateLimiter limiter(clock, {.messages_per_second = 1, .message_burst = 1, .max_tracked = 0});
  EXPECT_TRUE(limiter.try_acquire(1, 1));
  // Many other senders come and go; sender 1's empty bucket must survive them.
  for (UserId other = 2; other < 200; ++other)
    EXPECT_TRUE(limiter.try_acquire(other, 1)) << other;
  EXPECT_FALSE(limiter.try_acquire(1, 1)) << "forgetting handed out a token early";
}

}  // namespace
}  // namespace fastchat::server
