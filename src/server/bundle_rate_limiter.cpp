#include "server/bundle_rate_limiter.h"

#include <algorithm>
#include <iterator>

namespace fastchat::server {

void BundleRateLimiter::refill(Bucket& bucket, std::int64_t now) const {
  if (now > bucket.updated_ms) {
    const double minutes = static_cast<double>(now - bucket.updated_ms) / 60'000.0;
    bucket.tokens = std::min(limits_.burst, bucket.tokens + minutes * limits_.per_minute);
  }
  bucket.updated_ms = now;
}

void BundleRateLimiter::drop_full_buckets(std::int64_t now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= limits_.burst ? buckets_.erase(it) : std::next(it);
  }
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
  // Refills add fractions: 0.9 + 0.1 may come out a hair below 1.
  constexpr double kRounding = 1e-9;
  if (bucket.tokens < 1.0 - kRounding) return false;
  bucket.tokens = std::max(0.0, bucket.tokens - 1.0);
  return true;
}

}  // namespace fastchat::server
