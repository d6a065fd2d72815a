// Rate limit of prekey bundle fetches (FetchPrekeyBundles), per requesting user: a token
// bucket, so that nobody can drain another user's one-time prekeys. Each server keeps its
// own buckets in memory (docs/e2ee-v2.md, "Prekeys on the server"). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/clock.h"
#include "common/message_id.h"

namespace fastchat::server {

struct BundleRateLimits {
  double burst = 30;       // fetches allowed at once (the bucket's size)
  double per_minute = 60;  // tokens added per minute
  // Above this many buckets, full (idle) ones are dropped when a new requester comes;
  // partly used ones stay, so forgetting never hands out tokens early.
  std::size_t max_tracked = 100'000;
};

class BundleRateLimiter {
 public:
  BundleRateLimiter(const Clock& clock, BundleRateLimits limits) : clock_(clock), limits_(limits) {}

  // Takes a token from `requester`'s bucket; false (nothing taken) when it is empty.
  bool try_acquire(UserId requester);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
  };
  void refill(Bucket& bucket, std::int64_t now) const;
  void drop_full_buckets(std::int64_t now);

  const Clock& clock_;
  const BundleRateLimits limits_;
  std::mutex mutex_;
  std::unordered_map<UserId, Bucket> buckets_;
};

}  // namespace fastchat::server
