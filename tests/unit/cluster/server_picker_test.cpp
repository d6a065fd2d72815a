#include "balancer/server_picker.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace fastchat::balancer {
namespace {

using cluster::ServerEntry;

ServerEntry server(std::string id, std::uint64_t connections, std::uint64_t beat = 1,
                   std::int64_t ttl_ms = 3000) {
  return ServerEntry{id, "10.0.0." + id.substr(1), 7600, connections, beat, ttl_ms};
}

std::map<std::string, int> pick_many(ServerPicker& picker, int n, std::int64_t now = 0) {
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) {
    auto s = picker.pick(now);
    EXPECT_TRUE(s);
    if (s) ++counts[s->id];
  }
  return counts;
}

TEST(Strategy, Names) {
  for (auto s : {Strategy::kLeastConnections, Strategy::kRoundRobin, Strategy::kRandom}) {
    EXPECT_EQ(parse_strategy(strategy_name(s)), s);
  }
  EXPECT_FALSE(parse_strategy("fastest"));
}

TEST(ServerPicker, NothingLiveMeansNoServer) {
  ServerPicker picker(Strategy::kLeastConnections, 1);
  EXPECT_FALSE(picker.pick(0));
  picker.update({}, 0);
  EXPECT_FALSE(picker.pick(0));
}

TEST(ServerPicker, ABurstOf300SpreadsEvenlyUnderLeastConnections) {
  ServerPicker picker(Strategy::kLeastConnections, 42);
  picker.update({server("s1", 0), server("s2", 0), server("s3", 0)}, 0);
  // No heartbeat arrives during the burst: local accounting alone spreads it.
  auto counts = pick_many(picker, 300);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"s1", 100}, {"s2", 100}, {"s3", 100}}));
}

TEST(ServerPicker, LeastConnectionsFillsTheEmptiestFirst) {
  ServerPicker picker(Strategy::kLeastConnections, 7);
  picker.update({server("s1", 0), server("s2", 50), server("s3", 100)}, 0);
  auto counts = pick_many(picker, 300);
  // Everyone ends at 150.
  EXPECT_EQ(counts, (std::map<std::string, int>{{"s1", 150}, {"s2", 100}, {"s3", 50}}));
  EXPECT_EQ(picker.effective_load("s1"), 150u);
}

TEST(ServerPicker, TiesAreBrokenAtRandom) {
  // Single picks from fresh pickers with different seeds land on different servers.
  std::set<std::string> first_choices;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    ServerPicker picker(Strategy::kLeastConnections, seed);
    picker.update({server("s1", 5), server("s2", 5), server("s3", 5)}, 0);
    first_choices.insert(picker.pick(0)->id);
  }
  EXPECT_EQ(first_choices.size(), 3u);
}

TEST(ServerPicker, LocalAssignmentsAgeOutOnceHeartbeatsCountThem) {
  ServerPicker picker(Strategy::kLeastConnections, 3);
  picker.update({server("s1", 0, 10), server("s2", 0, 10)}, 0);
  pick_many(picker, 100);
  EXPECT_EQ(picker.effective_load("s1"), 50u);
  // The first read after the picks (beat 11) tags them; until beat 13 the clients
  // may not all be counted by the server yet: keep the local figure.
  picker.update({server("s1", 20, 11), server("s2", 20, 11)}, 1000);
  EXPECT_EQ(picker.effective_load("s1"), 70u);
  picker.update({server("s1", 50, 12), server("s2", 50, 12)}, 2000);
  EXPECT_EQ(picker.effective_load("s1"), 100u);
  // Two beats after the tag they surely are: only the reported count remains.
  picker.update({server("s1", 50, 13), server("s2", 50, 13)}, 3000);
  EXPECT_EQ(picker.effective_load("s1"), 50u);
  // A re-created entry (beat restarts) forgets old assignments.
  pick_many(picker, 2, 3000);
  picker.update({server("s1", 0, 1), server("s2", 50, 14)}, 4000);
  EXPECT_EQ(picker.effective_load("s1"), 0u);
}

TEST(ServerPicker, AServerWhoseHeartbeatExpiredIsSkipped) {
  for (auto strategy : {Strategy::kLeastConnections, Strategy::kRoundRobin, Strategy::kRandom}) {
    ServerPicker picker(strategy, 5);
    // s1 is idle but its entry expires 100 ms after this read.
    picker.update({server("s1", 0, 1, 100), server("s2", 40), server("s3", 40)}, 1000);
    EXPECT_EQ(picker.live_count(1000), 3u);
    EXPECT_EQ(picker.live_count(1100), 2u);
    auto counts = pick_many(picker, 60, 1200);
    EXPECT_EQ(counts.count("s1"), 0u) << strategy_name(strategy);
    EXPECT_EQ(counts["s2"] + counts["s3"], 60);
    // All expired: nobody.
    EXPECT_FALSE(picker.pick(1000 + 3000)) << strategy_name(strategy);
  }
}

TEST(ServerPicker, ServersMissingFromANewListAreGone) {
  ServerPicker picker(Strategy::kRoundRobin, 1);
  picker.update({server("s1", 0), server("s2", 0)}, 0);
  picker.update({server("s2", 0)}, 10);
  auto counts = pick_many(picker, 10, 20);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"s2", 10}}));
}

TEST(ServerPicker, RoundRobinCycles) {
  ServerPicker picker(Strategy::kRoundRobin, 1);
  picker.update({server("s2", 99), server("s1", 0), server("s3", 0)}, 0);
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i)
    order.push_back(picker.pick(0)->id);
  EXPECT_EQ(order, (std::vector<std::string>{"s1", "s2", "s3", "s1", "s2", "s3"}));
}

TEST(ServerPicker, RandomCoversEveryServer) {
  ServerPicker picker(Strategy::kRandom, 11);
  picker.update({server("s1", 0), server("s2", 1000), server("s3", 0)}, 0);
  auto counts = pick_many(picker, 3000);
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [id, n] : counts) {
    EXPECT_GT(n, 800) << id;
    EXPECT_LT(n, 1200) << id;
  }
}

}  // namespace
}  // namespace fastchat::balancer
