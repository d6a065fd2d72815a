#include "schedule.h"

#include <gtest/gtest.h>

namespace fastchat::bench {
namespace {

using namespace std::chrono_literals;

TEST(OpenLoopSchedule, IntendedTimesAreEvenlySpacedFromTheStart) {
  const BenchClock::time_point start{1'000'000'000ns};
  OpenLoopSchedule s(start, 1000.0, 1s);  // one per millisecond
  EXPECT_EQ(s.total(), 1000u);
  EXPECT_EQ(s.at(0), start);
  EXPECT_EQ(s.at(1), start + 1ms);
  EXPECT_EQ(s.at(999), start + 999ms);
}

TEST(OpenLoopSchedule, NonIntegralIntervalsDoNotDrift) {
  const BenchClock::time_point start{};
  OpenLoopSchedule s(start, 3.0, 10s);  // 333.33 ms apart
  EXPECT_EQ(s.total(), 30u);
  EXPECT_EQ(s.at(3), start + 1s);
  EXPECT_EQ(s.at(29), start + 9'666'666'667ns);
}

TEST(OpenLoopSchedule, DueByCountsWhatIsLateWhateverHappenedBefore) {
  const BenchClock::time_point start{5s};
  OpenLoopSchedule s(start, 100.0, 1s);  // every 10 ms
  EXPECT_EQ(s.due_by(start - 1ns), 0u);
  EXPECT_EQ(s.due_by(start), 1u);
  EXPECT_EQ(s.due_by(start + 9ms), 1u);
  EXPECT_EQ(s.due_by(start + 10ms), 2u);
  // A generator that stalled for half a second owes 50 sends at once, at their
  // original intended times (no coordinated omission).
  EXPECT_EQ(s.due_by(start + 500ms), 51u);
  EXPECT_EQ(s.at(50), start + 500ms);
  EXPECT_EQ(s.due_by(start + 1h), s.total());
}

TEST(OpenLoopSchedule, PhaseInterleavesSchedulesOfSeveralLoops) {
  const BenchClock::time_point start{};
  OpenLoopSchedule a(start, 500.0, 1s, 0.0);
  OpenLoopSchedule b(start, 500.0, 1s, 0.5);
  EXPECT_EQ(a.at(0), start);
  EXPECT_EQ(b.at(0), start + 1ms);
  EXPECT_EQ(a.at(1), start + 2ms);
  EXPECT_EQ(a.total() + b.total(), 1000u);
}

TEST(OpenLoopSchedule, EveryIntendedTimeIsInsideTheWindow) {
  const BenchClock::time_point start{};
  for (double rate : {1.0, 7.0, 999.0, 12345.0}) {
    OpenLoopSchedule s(start, rate, 2s, 0.25);
    ASSERT_GT(s.total(), 0u);
    EXPECT_LT(s.at(s.total() - 1), s.end()) << rate;
    EXPECT_GE(s.at(s.total()), s.end()) << rate;
  }
}

}  // namespace
}  // namespace fastchat::bench
