#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace fastchat::bench {

namespace {
constexpr std::uint64_t kExact = std::uint64_t{1} << LatencyHistogram::kSubBits;
constexpr std::uint64_t kHalf = kExact / 2;
constexpr std::uint64_t kLargest = (std::uint64_t{1} << LatencyHistogram::kMaxBits) - 1;
}  // namespace

std::size_t LatencyHistogram::index_of(std::uint64_t micros) {
  micros = std::min(micros, kLargest);
  if (micros < kExact) return static_cast<std::size_t>(micros);
  const int msb = 63 - std::countl_zero(micros);
  const int shift = msb - kSubBits + 1;       // >= 1
  const std::uint64_t sub = micros >> shift;  // in [kHalf, kExact)
  return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * kHalf + sub);
}

std::uint64_t LatencyHistogram::lowest_in(std::size_t index) {
  if (index < kExact) return index;
  const std::uint64_t shift = index / kHalf - 1;
  const std::uint64_t sub = index - shift * kHalf;
  return sub << shift;
}

std::uint64_t LatencyHistogram::highest_in(std::size_t index) {
  if (index < kExact) return index;
  const std::uint64_t shift = index / kHalf - 1;
  return lowest_in(index) + (std::uint64_t{1} << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t micros, std::uint64_t times) {
  if (times == 0) return;
  buckets_[index_of(micros)] += times;
  count_ += times;
  sum_ += micros * times;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i)
    buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() {
  *this = LatencyHistogram();
}

std::uint64_t LatencyHistogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(highest_in(i), max_);
  }
  return max_;
}

}  // namespace fastchat::bench
