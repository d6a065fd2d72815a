#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace fastchat::bench {
namespace {

// The exact percentile of a sorted sample, by the same rank rule.
std::uint64_t exact(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_close(std::uint64_t got, std::uint64_t want) {
  // A bucket spans at most 1/64 of its values: within 1.6%, and exact below 128.
  const double tolerance = std::max(1.0, static_cast<double>(want) / 64.0);
  EXPECT_NEAR(static_cast<double>(got), static_cast<double>(want), tolerance) << "want " << want;
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100; ++v)
    h.record(v);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(90), 90u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, BucketsAreContiguousAndBounded) {
  for (std::size_t i = 1; i + 1 < LatencyHistogram::kBuckets; ++i) {
    EXPECT_EQ(LatencyHistogram::lowest_in(i), LatencyHistogram::highest_in(i - 1) + 1) << i;
    EXPECT_EQ(LatencyHistogram::index_of(LatencyHistogram::lowest_in(i)), i);
    EXPECT_EQ(LatencyHistogram::index_of(LatencyHistogram::highest_in(i)), i);
  }
  // Minutes at microsecond resolution, and far beyond, fit.
  EXPECT_LT(LatencyHistogram::index_of(10ull * 60 * 1000 * 1000), LatencyHistogram::kBuckets);
  EXPECT_EQ(LatencyHistogram::index_of(~0ull), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, UniformDistribution) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> dist(0, 1'000'000);
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 200'000; ++i) {
    values.push_back(dist(rng));
    h.record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9})
    expect_close(h.percentile(p), exact(values, p));
  EXPECT_EQ(h.max(), values.back());
  // Uniform on [0, 1e6]: the median is near 500 ms.
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 500'000, 10'000);
}

TEST(LatencyHistogram, ExponentialTail) {
  // Latency-like: a long tail. Percentiles of Exp(mean 2 ms): p99 = mean * ln(100).
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> dist(1.0 / 2000.0);
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 500'000; ++i) {
    values.push_back(static_cast<std::uint64_t>(dist(rng)));
    h.record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9})
    expect_close(h.percentile(p), exact(values, p));
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 2000.0 * std::log(100.0), 2000.0 * 0.1);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
  LatencyHistogram a, b, all;
  for (std::uint64_t v = 0; v < 10'000; ++v) {
    (v % 3 == 0 ? a : b).record(v * 37);
    all.record(v * 37);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  for (double p : {1.0, 50.0, 99.0, 99.99})
    EXPECT_EQ(a.percentile(p), all.percentile(p));
}

TEST(LatencyHistogram, PercentileNeverAboveMax) {
  LatencyHistogram h;
  h.record(1'000'001);
  EXPECT_EQ(h.percentile(50), 1'000'001u);
  EXPECT_EQ(h.percentile(100), 1'000'001u);
}

}  // namespace
}  // namespace fastchat::bench
