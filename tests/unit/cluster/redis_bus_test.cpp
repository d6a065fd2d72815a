#include "cluster/redis_bus.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>

#include "cluster/redis_schema.h"
#include "support/redis_test_support.h"
#include "support/service_missing.h"

namespace fastchat::cluster {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::unique_user;

// What a bus handed to "its server".
class Recorder {
 public:
  BusHandlers handlers() {
    return {
        .on_delivery =
            [this](UserId user, std::uint64_t, std::shared_ptr<const std::string> frame) {
              std::lock_guard lock(mutex_);
              deliveries_.emplace_back(user, *frame);
              arrivals_[*frame] = std::chrono::steady_clock::now();
            },
        .on_presence =
            [this](const PresenceChange& change) {
              std::lock_guard lock(mutex_);
              presence_.push_back(change);
            },
        .on_reconnected = [this] { ++reconnected_; },
        .on_catch_up =
            [this](UserId user, std::uint64_t up_to) {
              std::lock_guard lock(mutex_);
              catch_ups_.emplace_back(user, up_to);
            },
    };
  }
  // Catch-up requests received, in order.
  std::vector<std::pair<UserId, std::uint64_t>> catch_ups() {
    std::lock_guard lock(mutex_);
    return catch_ups_;
  }
  std::size_t deliveries(UserId user, const std::string& frame) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(deliveries_.begin(), deliveries_.end(),
                                               std::pair<UserId, std::string>(user, frame)));
  }
  // Presence transitions seen for `user`, as "+name" / "-name".
  std::vector<std::string> presence(UserId user) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& p : presence_) {
      if (p.user == user) out.push_back((p.online ? "+" : "-") + p.username);
    }
    return out;
  }
  int reconnected() const { return reconnected_; }
  std::chrono::steady_clock::time_point arrival(const std::string& frame) {
    std::lock_guard lock(mutex_);
    return arrivals_[frame];
  }

 private:
  std::map<std::string, std::chrono::steady_clock::time_point> arrivals_;
  std::mutex mutex_;
  std::vector<std::pair<UserId, std::string>> deliveries_;
  std::vector<PresenceChange> presence_;
  std::vector<std::pair<UserId, std::uint64_t>> catch_ups_;
  std::atomic<int> reconnected_{0};
};

struct Node {
  Recorder recorder;  // outlives the bus, whose thread calls it until stop()
  std::unique_ptr<RedisBus> bus;
};

class RedisBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::shared_redis_url();
    if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
    url_ = *url;
  }

  std::unique_ptr<Node> make_node(const std::string& name, RegistryTiming timing = {},
                                  std::string url = {}) {
    RedisBusOptions options;
    options.redis_url = url.empty() ? url_ : url;
    options.advert = {testing::unique_name(name), "127.0.0.1", 7600};
    options.connection_count = [] { return 3; };
    options.registry = timing;
    options.maintenance_period = 100ms;
    options.redis.reply_timeout = 2000ms;
    options.redis.max_backoff = 200ms;
    auto bus = RedisBus::create(std::move(options));
    EXPECT_TRUE(bus) << bus.status().to_string();
    if (!bus) return nullptr;
    auto node = std::make_unique<Node>();
    node->bus = std::move(*bus);
    node->bus->start(node->recorder.handlers());
    EXPECT_TRUE(eventually([&] { return node->bus->stats().connected; }));
    return node;
  }

  static std::vector<bool> online(RedisBus& bus, std::vector<UserId> users) {
    std::promise<std::vector<bool>> result;
    bus.query_online(std::move(users), [&](std::vector<bool> v) { result.set_value(v); });
    return result.get_future().get();
  }

  static bool online(RedisBus& bus, UserId user) { return online(bus, std::vector{user})[0]; }

  static std::shared_ptr<const std::string> frame(const std::string& text) {
    return std::make_shared<const std::string>(text);
  }

  std::string url_;
};

TEST_F(RedisBusTest, DeliversToTheServerHoldingTheRecipient) {
  auto a = make_node("a");
  auto b = make_node("b");
  ASSERT_TRUE(a && b);
  const UserId bob = unique_user();
  b->bus->session_opened(bob, "bob");
  ASSERT_TRUE(eventually([&] { return online(*a->bus, bob); }));

  // Binary-safe: zero bytes and high bytes survive.
  const std::string payload("\0\x01push\xff\x00", 9);
  const auto start = std::chrono::steady_clock::now();
  a->bus->publish_delivery(bob, 1, frame(payload));
  ASSERT_TRUE(eventually([&] { return b->recorder.deliveries(bob, payload) == 1; }));
  const auto latency = std::chrono::steady_clock::now() - start;
  std::printf("first delivery across servers (with route lookup): %.3f ms\n",
              std::chrono::duration<double, std::milli>(latency).count());

  // With the route cached, one PUBLISH: well within a couple of milliseconds.
  double best_ms = 1e9;
  for (int i = 0; i < 20; ++i) {
    const std::string text = fmt::format("m{}", i);  // not "m" + ...: g++ 12 -O3 -Wrestrict
    const auto t0 = std::chrono::steady_clock::now();
    a->bus->publish_delivery(bob, 1, frame(text));
    ASSERT_TRUE(eventually([&] { return b->recorder.deliveries(bob, text) == 1; }, 2s));
    best_ms = std::min(
        best_ms, std::chrono::duration<double, std::milli>(b->recorder.arrival(text) - t0).count());
  }
  std::printf("cached route: best delivery %.3f ms\n", best_ms);
  EXPECT_LT(best_ms, 5.0);
  // Counted when Redis answers the PUBLISH, which may come after b already got it.
  EXPECT_TRUE(eventually([&] { return a->bus->stats().published >= 21u; }));
  EXPECT_GE(b->bus->stats().received, 21u);
}

TEST_F(RedisBusTest, LocalRecipientsNeverGoThroughRedis) {
  auto a = make_node("a");
  ASSERT_TRUE(a);
  const UserId alice = unique_user();
  a->bus->session_opened(alice, "alice");
  a->bus->publish_delivery(alice, 1, frame("hi"));
  EXPECT_EQ(a->recorder.deliveries(alice, "hi"), 1u);  // synchronously, on this thread
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(a->recorder.deliveries(alice, "hi"), 1u);  // and not twice via Redis
  EXPECT_EQ(a->bus->stats().published, 0u);
}

TEST_F(RedisBusTest, KeepsTheOrderOfOneRecipientsMessages) {
  auto a = make_node("a");
  auto b = make_node("b");
  ASSERT_TRUE(a && b);
  const UserId bob = unique_user();
  std::vector<std::string> seen;
  std::mutex mutex;
  // A second recorder on B's side keeps the order.
  b->bus->stop();
  b = nullptr;
  RedisBusOptions options;
  options.redis_url = url_;
  options.advert = {testing::unique_name("ordered"), "127.0.0.1", 7600};
  auto ordered = RedisBus::create(options);
  ASSERT_TRUE(ordered);
  (*ordered)->start(
      {.on_delivery = [&](UserId, std::uint64_t, std::shared_ptr<const std::string> f) {
        std::lock_guard lock(mutex);
        seen.push_back(*f);
      }});
  (*ordered)->session_opened(bob, "bob");
  ASSERT_TRUE(eventually([&] { return online(*a->bus, bob); }));
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i)
    a->bus->publish_delivery(bob, 1, frame(std::to_string(i)));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return seen.size() == kCount;
  }));
  for (int i = 0; i < kCount; ++i)
    ASSERT_EQ(seen[static_cast<std::size_t>(i)], std::to_string(i));
  (*ordered)->stop();
}

TEST_F(RedisBusTest, PresenceIsClusterWide) {
  auto a = make_node("a");
  auto b = make_node("b");
  ASSERT_TRUE(a && b);
  const UserId carol = unique_user();

  a->bus->session_opened(carol, "carol");
  ASSERT_TRUE(eventually([&] { return b->recorder.presence(carol).size() == 1; }));
  ASSERT_TRUE(eventually([&] { return a->recorder.presence(carol).size() == 1; }));
  EXPECT_EQ(b->recorder.presence(carol), std::vector<std::string>{"+carol"});

  // A second session elsewhere, or on the same server, changes nothing visible.
  b->bus->session_opened(carol, "carol");
  // (Servers write presence on their own connections: wait for b's before a leaves.)
  ASSERT_TRUE(eventually([&] {
    return testing::redis_sync(
               url_, {"SISMEMBER", schema::presence_key(carol), b->bus->server_id()}) == "1";
  }));
  a->bus->session_opened(carol, "carol");
  a->bus->session_closed(carol, "carol");
  a->bus->session_closed(carol, "carol");  // carol is still on b
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(a->recorder.presence(carol), std::vector<std::string>{"+carol"});
  EXPECT_TRUE(online(*a->bus, carol));

  b->bus->session_closed(carol, "carol");  // the last session anywhere
  ASSERT_TRUE(eventually([&] { return a->recorder.presence(carol).size() == 2; }));
  EXPECT_EQ(a->recorder.presence(carol), (std::vector<std::string>{"+carol", "-carol"}));
  ASSERT_TRUE(eventually([&] { return b->recorder.presence(carol).size() == 2; }));
  EXPECT_FALSE(online(*a->bus, carol));
  EXPECT_FALSE(online(*b->bus, carol));
}

TEST_F(RedisBusTest, QueryOnlineAnswersInOrder) {
  auto a = make_node("a");
  auto b = make_node("b");
  ASSERT_TRUE(a && b);
  std::vector<UserId> users;
  for (int i = 0; i < 6; ++i)
    users.push_back(unique_user());
  a->bus->session_opened(users[0], "u0");
  b->bus->session_opened(users[2], "u2");
  b->bus->session_opened(users[5], "u5");
  const std::vector<bool> expected{true, false, true, false, false, true};
  ASSERT_TRUE(eventually([&] { return online(*a->bus, users) == expected; }));
  EXPECT_EQ(online(*b->bus, users), expected);
  EXPECT_TRUE(online(*a->bus, std::vector<UserId>{}).empty());

  // More users than one script call takes.
  std::vector<UserId> many(2500);
  for (auto& u : many)
    u = unique_user();
  many[1234] = users[2];
  auto answer = online(*a->bus, many);
  ASSERT_EQ(answer.size(), many.size());
  EXPECT_EQ(std::count(answer.begin(), answer.end(), true), 1);
  EXPECT_TRUE(answer[1234]);
}

TEST_F(RedisBusTest, RoutesFollowNewSessionsOnOtherServers) {
  auto a = make_node("a");
  auto b = make_node("b");
  auto c = make_node("c");
  ASSERT_TRUE(a && b && c);
  const UserId dave = unique_user();
  b->bus->session_opened(dave, "dave");
  ASSERT_TRUE(eventually([&] { return online(*a->bus, dave); }));
  a->bus->publish_delivery(dave, 1, frame("one"));
  ASSERT_TRUE(eventually([&] { return b->recorder.deliveries(dave, "one") == 1; }));

  // dave also logs in on c: a's cached route must learn it at once.
  c->bus->session_opened(dave, "dave");
  ASSERT_TRUE(eventually([&] {
    a->bus->publish_delivery(dave, 1, frame("probe"));
    return c->recorder.deliveries(dave, "probe") > 0;
  }));
  a->bus->publish_delivery(dave, 1, frame("two"));
  ASSERT_TRUE(eventually([&] { return c->recorder.deliveries(dave, "two") == 1; }));
  ASSERT_TRUE(eventually([&] { return b->recorder.deliveries(dave, "two") == 1; }));

  // And when he leaves b, b gets nothing more.
  b->bus->session_closed(dave, "dave");
  std::this_thread::sleep_for(100ms);
  a->bus->publish_delivery(dave, 1, frame("three"));
  ASSERT_TRUE(eventually([&] { return c->recorder.deliveries(dave, "three") == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(b->recorder.deliveries(dave, "three"), 0u);
}

TEST_F(RedisBusTest, ASessionOpeningAfterPushesWereRoutedGetsACatchUpRequest) {
  auto a = make_node("a");
  auto b = make_node("b");
  ASSERT_TRUE(a && b);
  const UserId gina = unique_user();
  const UserId frank = unique_user();
  // a never routed anything to gina: her login on b asks nothing of b.
  b->bus->session_opened(gina, "gina");
  // a routed pushes of frank's inbox up to seq 7 while he was offline (nowhere)...
  a->bus->publish_delivery(frank, 6, frame("six"));
  a->bus->publish_delivery(frank, 7, frame("seven"));
  // ...so when he logs in on b, a asks b to catch up to seq 7 (the pushes may have
  // been routed before a learned of the session).
  b->bus->session_opened(frank, "frank");
  ASSERT_TRUE(eventually([&] { return !b->recorder.catch_ups().empty(); }));
  // a handles presence events in order and publishes on one connection: had gina's
  // login produced a request, it would have arrived first.
  const auto requests = b->recorder.catch_ups();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0], std::make_pair(frank, std::uint64_t{7}));
  EXPECT_EQ(a->bus->stats().catch_ups_sent, 1u);
  EXPECT_EQ(b->bus->stats().catch_ups_received, 1u);
}

TEST_F(RedisBusTest, ACrashedServersUsersGoOfflineWhenItsHeartbeatExpires) {
  auto a = make_node("a");
  ASSERT_TRUE(a);
  const int replays_before = a->recorder.reconnected();
  // A "server" that writes its presence and then stops beating, as after kill -9.
  const std::string dead = testing::unique_name("crashed");
  const UserId erin = unique_user();
  ASSERT_EQ(testing::redis_sync(url_, {"EVAL", std::string(schema::heartbeat_script().source), "0",
                                       dead, "127.0.0.1", "1", "0", "300", "0"}),
            "2");
  ASSERT_EQ(testing::redis_sync(url_, {"EVAL", std::string(schema::open_script().source), "0", dead,
                                       std::to_string(erin), "erin"}),
            "1");
  ASSERT_TRUE(online(*a->bus, erin));
  // Once its entry expires, a live server sweeps it: erin goes offline everywhere.
  ASSERT_TRUE(eventually([&] { return a->recorder.presence(erin).size() == 2; }, 3s));
  EXPECT_EQ(a->recorder.presence(erin), (std::vector<std::string>{"+erin", "-erin"}));
  EXPECT_FALSE(online(*a->bus, erin));
  EXPECT_EQ(testing::redis_sync(url_, {"SCARD", "fc:users:" + dead}), "0");
  EXPECT_EQ(testing::redis_sync(url_, {"ZSCORE", "fc:servers", dead}), "NIL");
  // It may have died between a commit and its PUBLISH: the servers re-read inboxes.
  EXPECT_TRUE(eventually([&] { return a->recorder.reconnected() > replays_before; }, 3s));
}

TEST_F(RedisBusTest, GracefulStopTakesItsUsersOffline) {
  auto a = make_node("a");
  auto b = make_node("b");
  ASSERT_TRUE(a && b);
  const UserId frank = unique_user();
  b->bus->session_opened(frank, "frank");
  ASSERT_TRUE(eventually([&] { return online(*a->bus, frank); }));
  const std::string b_id = b->bus->server_id();
  b->bus->stop();
  ASSERT_TRUE(eventually([&] { return a->recorder.presence(frank).size() == 2; }));
  EXPECT_EQ(a->recorder.presence(frank), (std::vector<std::string>{"+frank", "-frank"}));
  EXPECT_FALSE(online(*a->bus, frank));
  EXPECT_EQ(testing::redis_sync(url_, {"EXISTS", schema::server_key(b_id)}), "0");
}

TEST_F(RedisBusTest, ARestartedServerClearsWhatItsPreviousLifeLeft) {
  // A server id that crashed with users online, restarted before its entry expired.
  const std::string id = testing::unique_name("phoenix");
  const UserId gina = unique_user();
  ASSERT_EQ(testing::redis_sync(url_, {"EVAL", std::string(schema::heartbeat_script().source), "0",
                                       id, "127.0.0.1", "1", "0", "60000", "0"}),
            "2");
  ASSERT_EQ(testing::redis_sync(url_, {"EVAL", std::string(schema::open_script().source), "0", id,
                                       std::to_string(gina), "gina"}),
            "1");
  auto watcher = make_node("watcher");
  ASSERT_TRUE(watcher);
  ASSERT_TRUE(online(*watcher->bus, gina));

  RedisBusOptions options;
  options.redis_url = url_;
  options.advert = {id, "127.0.0.1", 7600};
  auto bus = RedisBus::create(options);
  ASSERT_TRUE(bus);
  Recorder recorder;
  (*bus)->start(recorder.handlers());
  ASSERT_TRUE(eventually([&] { return !online(*watcher->bus, gina); }));
  // The event may trail the state it announces by a moment.
  ASSERT_TRUE(eventually([&] { return !watcher->recorder.presence(gina).empty(); }));
  EXPECT_EQ(watcher->recorder.presence(gina), std::vector<std::string>{"-gina"});
  (*bus)->stop();
}

TEST_F(RedisBusTest, SurvivesARedisRestart) {
  if (!testing::PrivateRedis::available()) FASTCHAT_SERVICE_MISSING("redis-server not installed");
  testing::PrivateRedis redis;
  ASSERT_TRUE(redis.start()) << redis.error();
  auto a = make_node("a", {}, redis.url());
  auto b = make_node("b", {}, redis.url());
  ASSERT_TRUE(a && b);
  const UserId hank = unique_user();
  b->bus->session_opened(hank, "hank");
  ASSERT_TRUE(eventually([&] { return online(*a->bus, hank); }));
  a->bus->publish_delivery(hank, 1, frame("before"));
  ASSERT_TRUE(eventually([&] { return b->recorder.deliveries(hank, "before") == 1; }));
  EXPECT_EQ(a->recorder.reconnected(), 0);
  EXPECT_EQ(b->recorder.reconnected(), 0);

  // Redis dies with everything it held (no persistence) and comes back empty.
  redis.stop(/*crash=*/true);
  ASSERT_TRUE(eventually([&] { return !a->bus->stats().connected; }));
  a->bus->publish_delivery(hank, 1, frame("lost"));  // nowhere to send it: counted
  ASSERT_TRUE(eventually([&] { return a->bus->stats().publish_dropped >= 1; }));
  ASSERT_TRUE(redis.start()) << redis.error();

  // Both servers notice: their sessions are told to re-read their inboxes...
  ASSERT_TRUE(eventually([&] { return b->recorder.reconnected() >= 1; }, 10s));
  ASSERT_TRUE(eventually([&] { return a->recorder.reconnected() >= 1; }, 10s));
  ASSERT_TRUE(eventually([&] { return a->bus->stats().connected && b->bus->stats().connected; }));
  // ...presence is written again...
  ASSERT_TRUE(eventually([&] { return online(*a->bus, hank); }, 5s));
  // ...and deliveries flow again.
  ASSERT_TRUE(eventually(
      [&] {
        a->bus->publish_delivery(hank, 1, frame("after"));
        return b->recorder.deliveries(hank, "after") > 0;
      },
      5s));
  EXPECT_EQ(b->recorder.deliveries(hank, "lost"), 0u);
}

TEST(RedisBusCreate, RefusesBadOptions) {
  RedisBusOptions options;
  options.redis_url = "http://nope";
  options.advert = {"s1", "127.0.0.1", 1};
  auto bus = RedisBus::create(options);
  ASSERT_FALSE(bus);
  EXPECT_EQ(bus.status().code(), Code::kBadRequest);

  options.redis_url = "redis://127.0.0.1:1";
  options.advert.id = "bad id";
  EXPECT_EQ(RedisBus::create(options).status().code(), Code::kBadRequest);

  options.advert.id = "s1";
  options.redis.connect_timeout = 300ms;
  bus = RedisBus::create(options);
  ASSERT_FALSE(bus);
  EXPECT_EQ(bus.status().code(), Code::kUnavailable);
}

// A server that cannot tell whether deliveries were committed (a failed store commit)
// asks every other server's sessions to re-read their inboxes.
TEST_F(RedisBusTest, ARequestedResyncMakesTheOtherServersReReadInboxes) {
  auto a = make_node("asks");
  auto b = make_node("told");
  ASSERT_TRUE(a && b);
  const int a_before = a->recorder.reconnected();
  const int b_before = b->recorder.reconnected();
  a->bus->request_resync();
  EXPECT_TRUE(eventually([&] { return b->recorder.reconnected() == b_before + 1; }));
  // The one that asked replays its own sessions itself (the server does): not told.
  a->bus->stop();
  b->bus->stop();
  EXPECT_EQ(a->recorder.reconnected(), a_before);
}

}  // namespace
}  // namespace fastchat::cluster
