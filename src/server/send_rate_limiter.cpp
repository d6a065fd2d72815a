#include "server/send_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

namespace fastchat::server {

namespace {

// Refills add fractions: 0.9 + 0.1 may come out a hair below 1.
constexpr double kRounding = 1e-9;

std::string per_second(double rate) {
  return std::to_string(static_cast<long long>(std::llround(rate)));
}

}  // namespace

void SendRateLimiter::refill(Bucket& bucket, std::int64_t now) const {
  if (now > bucket.updated_ms) {
    const double seconds = static_cast<double>(now - bucket.updated_ms) / 1000.0;
    bucket.messages =
        std::min(limits_.message_burst, bucket.messages + seconds * limits_.messages_per_second);
    bucket.bytes = std::min(limits_.byte_burst, bucket.bytes + seconds * limits_.bytes_per_second);
  }
  bucket.updated_ms = now;
}

bool SendRateLimiter::full(const Bucket& bucket) const {
  return bucket.messages >= limits_.message_burst && bucket.bytes >= limits_.byte_burst;
}

void SendRateLimiter::drop_full_buckets(Shard& shard, std::int64_t now) {
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    refill(it->second, now);
    it = full(it->second) ? shard.buckets.erase(it) : std::next(it);
  }
}

Status SendRateLimiter::try_acquire(UserId sender, std::size_t bytes) {
  const bool count_messages = limits_.messages_per_second > 0;
  const bool count_bytes = limits_.bytes_per_second > 0;
  if (!count_messages && !count_bytes) return Status::ok();
  const std::int64_t now = clock_.now_ms();
  Shard& shard = shards_[std::hash<UserId>{}(sender) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(sender);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= limits_.max_tracked / kShards + 1) drop_full_buckets(shard, now);
    it =
        shard.buckets.emplace(sender, Bucket{limits_.message_burst, limits_.byte_burst, now}).first;
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  const auto size = static_cast<double>(bytes);
  if (count_messages && bucket.messages < 1.0 - kRounding) {
    return Status(Code::kRateLimited,
                  "too many messages: at most " + per_second(limits_.messages_per_second) +
                      " per second (bursts of " + per_second(limits_.message_burst) +
                      "); wait a second and send again");
  }
  // A message larger than the whole bucket could never pass; it waits for a full one.
  if (count_bytes && bucket.bytes < std::min(size, limits_.byte_burst) - kRounding) {
    return Status(Code::kRateLimited,
                  "too many bytes sent: at most " + per_second(limits_.bytes_per_second) +
                      " bytes per second (bursts of " + per_second(limits_.byte_burst) +
                      "); wait a few seconds and send again");
  }
  if (count_messages) bucket.messages = std::max(0.0, bucket.messages - 1.0);
  if (count_bytes) bucket.bytes = std::max(0.0, bucket.bytes - size);
  return Status::ok();
}

}  // namespace fastchat::server
