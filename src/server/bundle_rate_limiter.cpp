#include "server/bundle_rate_limiter.h"

#include <algorithm>

namespace fastchat::server {

void BundleRateLimiter::refill(Bucket& bucket, std::int64_t now) const {
  if (now > bucket.updated_ms) {
    const double minutes = static_cast<double>(now - bucket.updated_ms) / 60'000.0;
    bucket.tokens = std::min(limits_.burst, bucket.tokens + minutes * limits_.per_minute);
  }
  bucket.updated_ms = now;
}

void BundleRateLimiter::drop_full_buckets(std::int64_t now) {
  std::erase_if(buckets_, [&](auto& entry) {
    refill(entry.second, now);
    return entry.second.tokens >= limits_.burst;
  });
}

bool BundleRateLimiter::try_acquire(UserId requester) {
  const std::int64_t now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(requester);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_tracked) drop_full_buckets(now);
    it = buckets_.emplace(requester, Bucket{limits_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace fastchat::server
