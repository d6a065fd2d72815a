// LatencyHistogram: a log-linear histogram of durations in microseconds, in the
// manner of HdrHistogram: values below 128 µs are exact, above that each power of
// two is split into 64 buckets (relative error below 1.6%), up to 2^40 µs (~12
// days). Fixed size (~19 KiB), no allocation after construction, mergeable.
// Thread safety: none; keep one per thread and merge.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace fastchat::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;  // 2^7 = 128 exact values, then 64 buckets per octave
  static constexpr int kMaxBits = 40;
  static constexpr std::size_t kBuckets =
      static_cast<std::size_t>((kMaxBits - kSubBits + 2) << (kSubBits - 1));

  void record(std::uint64_t micros, std::uint64_t times = 1);
  void merge(const LatencyHistogram& other);
  void clear();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The value at or below which `percent` of the recorded values lie (0 when empty),
  // reported as the highest value of its bucket (never above max()).
  std::uint64_t percentile(double percent) const;

  // Bucket index of a value and the range of values a bucket holds (for tests).
  static std::size_t index_of(std::uint64_t micros);
  static std::uint64_t lowest_in(std::size_t index);
  static std::uint64_t highest_in(std::size_t index);

 private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace fastchat::bench
