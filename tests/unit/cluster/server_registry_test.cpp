#include "cluster/server_registry.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <future>

#include "cluster/redis_connection.h"
#include "support/redis_test_support.h"
#include "support/service_missing.h"

namespace fastchat::cluster {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;

// A connection living on an IoThread, created and destroyed there.
class Connection {
 public:
  Connection(IoThread& thread, const std::string& url) : thread_(thread) {
    thread_.run([&] {
      redis_ = std::make_unique<RedisConnection>(thread_.io(), *parse_redis_url(url), "test",
                                                 RedisOptions{.reply_timeout = 1000ms});
      redis_->start([this] { ++ups_; }, [this] { ++downs_; });
    });
  }
  ~Connection() {
    thread_.run([&] { redis_.reset(); });
  }
  RedisConnection& redis() { return *redis_; }
  bool up() {
    return thread_.run([&] { return redis_->connected(); });
  }
  // Runs `args` and returns the reply rendered as text ("<null>" when the connection
  // dropped, "<refused>" when it was not sent).
  std::string command(std::vector<std::string> args) {
    std::promise<std::string> result;
    thread_.run([&] {
      std::vector<std::string_view> views(args.begin(), args.end());
      const bool sent = redis_->command(views, [&result](const redisReply* reply) {
        if (!reply) {
          result.set_value("<null>");
        } else if (reply->type == REDIS_REPLY_INTEGER) {
          result.set_value(std::to_string(reply->integer));
        } else {
          result.set_value(std::string(reply_string(reply)));
        }
      });
      if (!sent) result.set_value("<refused>");
    });
    return result.get_future().get();
  }
  Result<ServerList> list() {
    std::promise<Result<ServerList>> result;
    thread_.run([&] { list_servers(*redis_, [&](Result<ServerList> l) { result.set_value(l); }); });
    return result.get_future().get();
  }
  int ups() const { return ups_; }
  int downs() const { return downs_; }

 private:
  IoThread& thread_;
  std::unique_ptr<RedisConnection> redis_;
  std::atomic<int> ups_{0};
  std::atomic<int> downs_{0};
};

const ServerEntry* find(const ServerList& list, const std::string& id) {
  auto it = std::find_if(list.live.begin(), list.live.end(),
                         [&](const ServerEntry& e) { return e.id == id; });
  return it == list.live.end() ? nullptr : &*it;
}

bool is_dead(const ServerList& list, const std::string& id) {
  return std::find(list.dead.begin(), list.dead.end(), id) != list.dead.end();
}

TEST(RedisConnection, RunsBinarySafeCommands) {
  auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  IoThread thread;
  Connection c(thread, *url);
  ASSERT_TRUE(testing::eventually([&] { return c.up(); }));
  const std::string key = testing::unique_name("fc-test:key");
  const std::string value("a\0b\xff", 4);
  EXPECT_EQ(c.command({"SET", key, value, "PX", "10000"}), "OK");
  EXPECT_EQ(c.command({"GET", key}), value);
  EXPECT_EQ(c.command({"DEL", key}), "1");
  EXPECT_EQ(c.ups(), 1);
}

TEST(RedisConnection, RefusesCommandsWhileDownAndReconnects) {
  if (!testing::shared_redis_url()) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  if (!testing::PrivateRedis::available()) FASTCHAT_SERVICE_MISSING("redis-server not installed");
  testing::PrivateRedis redis;
  ASSERT_TRUE(redis.start()) << redis.error();
  IoThread thread;
  Connection c(thread, redis.url());
  ASSERT_TRUE(testing::eventually([&] { return c.up(); }));
  EXPECT_EQ(c.command({"PING"}), "PONG");

  redis.stop();
  ASSERT_TRUE(testing::eventually([&] { return c.downs() == 1; }));
  EXPECT_EQ(c.command({"PING"}), "<refused>");

  ASSERT_TRUE(redis.start()) << redis.error();
  ASSERT_TRUE(testing::eventually([&] { return c.up(); }));
  EXPECT_EQ(c.command({"PING"}), "PONG");
  EXPECT_EQ(c.ups(), 2);
}

TEST(RedisConnection, DropsAConnectionThatStopsAnswering) {
  if (!testing::shared_redis_url()) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  if (!testing::PrivateRedis::available()) FASTCHAT_SERVICE_MISSING("redis-server not installed");
  testing::PrivateRedis redis;
  ASSERT_TRUE(redis.start()) << redis.error();
  IoThread thread;
  Connection c(thread, redis.url());
  ASSERT_TRUE(testing::eventually([&] { return c.up(); }));
  // DEBUG SLEEP stalls the server past the 1 s reply timeout: the waiting command
  // gets a null reply and the connection is re-established.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.command({"DEBUG", "SLEEP", "1.6"}), "<null>");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  ASSERT_TRUE(testing::eventually([&] { return c.ups() == 2; }));
  EXPECT_EQ(c.command({"PING"}), "PONG");
}

TEST(ServerRegistry, HeartbeatKeepsAnEntryAliveUntilItStops) {
  auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  IoThread thread;
  Connection c(thread, *url);
  ASSERT_TRUE(testing::eventually([&] { return c.up(); }));
  const std::string id = testing::unique_name("reg");
  std::atomic<std::uint64_t> connections{7};
  std::atomic<int> beats{0};
  std::atomic<int> lapses{0};
  std::unique_ptr<Heartbeat> heartbeat;
  thread.run([&] {
    heartbeat = std::make_unique<Heartbeat>(
        thread.io(), c.redis(), ServerAdvert{id, "10.1.2.3", 7601},
        [&] { return connections.load(); }, RegistryTiming{.ttl = 400ms, .period = 100ms});
    heartbeat->start([&](bool lapsed) {
      ++beats;
      if (lapsed) ++lapses;
    });
  });
  ASSERT_TRUE(testing::eventually([&] { return beats >= 1; }));
  EXPECT_EQ(lapses, 1);  // the first beat creates the entry

  auto list = c.list();
  ASSERT_TRUE(list) << list.status().to_string();
  const ServerEntry* entry = find(*list, id);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->host, "10.1.2.3");
  EXPECT_EQ(entry->port, 7601);
  EXPECT_EQ(entry->connections, 7u);
  EXPECT_GT(entry->ttl_ms, 0);
  EXPECT_LE(entry->ttl_ms, 400);

  // Beats refresh the TTL and the connection count; the entry outlives its TTL.
  connections = 9;
  std::this_thread::sleep_for(600ms);
  list = c.list();
  ASSERT_TRUE(list);
  entry = find(*list, id);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->connections, 9u);
  EXPECT_GE(entry->beat, 4u);
  EXPECT_EQ(lapses, 1);

  // A server that stops beating (kill -9) drops out once the TTL runs out.
  thread.run([&] { heartbeat->stop(); });
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto l = c.list();
        return l && !find(*l, id) && is_dead(*l, id);
      },
      2s));
  EXPECT_EQ(c.command({"ZREM", "fc:servers", id}), "1");
  thread.run([&] { heartbeat.reset(); });
}

TEST(ServerRegistry, DeregisterRemovesTheEntryAtOnce) {
  auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  IoThread thread;
  Connection c(thread, *url);
  ASSERT_TRUE(testing::eventually([&] { return c.up(); }));
  const std::string id = testing::unique_name("reg");
  std::unique_ptr<Heartbeat> heartbeat;
  std::atomic<int> beats{0};
  thread.run([&] {
    heartbeat = std::make_unique<Heartbeat>(thread.io(), c.redis(), ServerAdvert{id, "h", 1},
                                            nullptr, RegistryTiming{.ttl = 5s, .period = 1s});
    heartbeat->start([&](bool) { ++beats; });
  });
  ASSERT_TRUE(testing::eventually([&] { return beats >= 1; }));
  std::promise<void> done;
  thread.run([&] { heartbeat->stop(true, [&] { done.set_value(); }); });
  done.get_future().get();
  auto list = c.list();
  ASSERT_TRUE(list);
  EXPECT_EQ(find(*list, id), nullptr);
  EXPECT_FALSE(is_dead(*list, id));  // no users left to sweep: not even indexed
  thread.run([&] { heartbeat.reset(); });
}

TEST(ServerRegistry, ListFailsCleanlyWithoutRedis) {
  IoThread thread;
  Connection c(thread, "redis://127.0.0.1:1");
  auto list = c.list();
  ASSERT_FALSE(list);
  EXPECT_EQ(list.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace fastchat::cluster
