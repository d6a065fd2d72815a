// Per-user send limits: two token buckets per user, one of messages and one of bytes
// (a Send's encoded size), so that one account cannot flood the store or its
// recipients. Each server keeps its own buckets in memory: a user whose devices sit on
// several servers of a cluster gets each server's allowance (docs/decisions.md,
// "Send limits"). Thread-safe: the buckets are sharded by user, each shard under its
// own small lock, so sends on different event loops rarely wait for each other.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/clock.h"
#include "common/message_id.h"
#include "common/status.h"

namespace fastchat::server {

struct SendRateLimits {
  // A rate of 0 turns that bucket off. The defaults leave a person (and fastchat-bench's
  // dm and group runs, docs/performance.md) far below them.
  double messages_per_second = 100;
  double message_burst = 1000;
  double bytes_per_second = 16 << 20;
  double byte_burst = 64 << 20;
  // Above this many tracked users (per shard, times kShards), full (idle) buckets are
  // dropped when a new sender comes; partly used ones stay.
  std::size_t max_tracked = 100'000;
};

class SendRateLimiter {
 public:
  SendRateLimiter(const Clock& clock, SendRateLimits limits) : clock_(clock), limits_(limits) {}

  // Takes one message and `bytes` from `sender`'s buckets, or nothing: kRateLimited
  // (saying which limit and what to do) when either bucket cannot pay.
  Status try_acquire(UserId sender, std::size_t bytes);

 private:
  static constexpr std::size_t kShards = 16;
  struct Bucket {
    double messages = 0;
    double bytes = 0;
    std::int64_t updated_ms = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, Bucket> buckets;
  };
  void refill(Bucket& bucket, std::int64_t now) const;
  bool full(const Bucket& bucket) const;
  void drop_full_buckets(Shard& shard, std::int64_t now);

  const Clock& clock_;
  const SendRateLimits limits_;
  std::array<Shard, kShards> shards_;
};

}  // namespace fastchat::server
