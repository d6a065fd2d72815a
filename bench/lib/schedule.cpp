#include "schedule.h"

#include <cassert>
#include <cmath>

namespace fastchat::bench {

OpenLoopSchedule::OpenLoopSchedule(BenchClock::time_point start, double rate,
                                   std::chrono::nanoseconds length, double phase)
    : start_(start), interval_ns_(1e9 / rate), length_(length) {
  assert(rate > 0 && phase >= 0 && phase < 1);
  phase_ns_ = phase * interval_ns_;
  const double span = static_cast<double>(length.count()) - phase_ns_;
  total_ = span <= 0 ? 0 : static_cast<std::uint64_t>(std::ceil(span / interval_ns_));
  // Settle floating-point rounding: exactly the operations with at(i) < end.
  while (total_ > 0 && at(total_ - 1) >= end())
    --total_;
  while (span > 0 && at(total_) < end())
    ++total_;
}

BenchClock::time_point OpenLoopSchedule::at(std::uint64_t i) const {
  const double offset = phase_ns_ + static_cast<double>(i) * interval_ns_;
  return start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(offset)));
}

std::uint64_t OpenLoopSchedule::due_by(BenchClock::time_point now) const {
  if (now < start_) return 0;
  const double elapsed = static_cast<double>((now - start_).count()) - phase_ns_;
  if (elapsed < 0) return 0;
  auto n = static_cast<std::uint64_t>(std::floor(elapsed / interval_ns_)) + 1;
  // Rounding of at() may disagree with the division by a nanosecond; settle it.
  while (n > 0 && at(n - 1) > now)
    --n;
  while (n < total_ && at(n) <= now)
    ++n;
  return n < total_ ? n : total_;
}

}  // namespace fastchat::bench
