// OpenLoopSchedule: when each operation of an open-loop load is meant to start.
// Operation i of a schedule at `rate` per second is due at start + i / rate, whatever
// happened to the operations before it; latency is measured from that intended
// time, so a stalled system cannot hide its stall by slowing the load down
// (no coordinated omission). A value type; no shared state.
#pragma once

#include <chrono>
#include <cstdint>

namespace fastchat::bench {

using BenchClock = std::chrono::steady_clock;

class OpenLoopSchedule {
 public:
  // `rate` operations per second (> 0) over [start, start + length). `phase` in
  // [0, 1) shifts every time by that fraction of the interval, so several schedules
  // of the same rate (one per event loop) interleave instead of firing together.
  OpenLoopSchedule(BenchClock::time_point start, double rate, std::chrono::nanoseconds length,
                   double phase = 0.0);

  // The intended start time of operation `i`.
  BenchClock::time_point at(std::uint64_t i) const;
  // How many operations the schedule holds.
  std::uint64_t total() const { return total_; }
  // How many operations are due by `now` (those with at(i) <= now), capped at total().
  std::uint64_t due_by(BenchClock::time_point now) const;
  BenchClock::time_point start() const { return start_; }
  BenchClock::time_point end() const { return start_ + length_; }

 private:
  BenchClock::time_point start_;
  double interval_ns_;
  double phase_ns_;
  std::chrono::nanoseconds length_;
  std::uint64_t total_;
};

}  // namespace fastchat::bench
