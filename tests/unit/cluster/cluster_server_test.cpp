// Real fastchat servers joined by Redis: registry, Locate, the admin endpoint, and
// (with the shared PostgreSQL store) messages and presence across servers, including
// a Redis outage whose lost notifications come back from the inboxes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>

#include "../../integration/raw_client.h"
#include "../../integration/test_server.h"
#include "../../integration/test_user.h"
#include "balancer/balancer.h"
#include "client/client.h"
#include "cluster/redis_bus.h"
#include "cluster/redis_schema.h"
#include "cluster/server_registry.h"
#include "support/postgres_test_schema.h"
#include "support/redis_test_support.h"
#include "support/service_missing.h"
#include "support/test_passwords.h"

namespace fastchat {
namespace {

using namespace std::chrono_literals;
using cluster::testing::eventually;

std::string http_get(std::uint16_t port, const std::string& path) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer("GET " + path + " HTTP/1.0\r\n\r\n"));
  std::string response;
  asio::error_code ec;
  asio::read(socket, asio::dynamic_buffer(response), ec);
  return response;
}

// Users with names no other run has taken (the PostgreSQL store is shared).
const itest::TestUser& user(const std::string& base) {
  static std::map<std::string, std::unique_ptr<itest::TestUser>> users;
  auto& slot = users[base];
  if (!slot) {
    const std::string name = cluster::testing::unique_name(base).substr(0, 32);
    slot = std::make_unique<itest::TestUser>(
        itest::TestUser::create(name, test_support::test_password(name)));
  }
  return *slot;
}

class ClusterServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = cluster::testing::shared_redis_url();
    if (!url) FASTCHAT_SERVICE_MISSING(cluster::testing::kSkipMessage);
    redis_url_ = *url;
  }

  std::unique_ptr<itest::TestServer> start_server(const std::string& name,
                                                  const std::string& db_url = {},
                                                  const std::string& redis_url = {}) {
    auto server = std::make_unique<itest::TestServer>(dir_.path() + "/" + name);
    server->config().redis_url = redis_url.empty() ? redis_url_ : redis_url;
    server->config().server_id = cluster::testing::unique_name(name);
    server->config().admin_listen = "127.0.0.1:0";
    server->config().db_url = db_url;
    server->config().secret_file = dir_.file("cluster.key");  // shared, as in a cluster
    const auto identity = itest::tls_identity(dir_.path());   // shared too
    server->config().tls_cert_file = identity.cert_file;
    server->config().tls_key_file = identity.key_file;
    server->config().threads = 2;
    Status s = server->start();
    EXPECT_TRUE(s) << s.to_string();
    return s ? std::move(server) : nullptr;
  }

  Result<cluster::ServerList> registry(const std::string& url) {
    cluster::testing::IoThread thread;
    cluster::RedisConnection redis(thread.io(), *cluster::parse_redis_url(url), "probe");
    const cluster::testing::StopOnExit stop_thread(thread);
    thread.run([&] { redis.start(); });
    if (!eventually([&] { return thread.run([&] { return redis.connected(); }); })) {
      return Status(Code::kUnavailable, "no Redis");
    }
    std::promise<Result<cluster::ServerList>> result;
    thread.run([&] {
      cluster::list_servers(redis, [&](Result<cluster::ServerList> l) { result.set_value(l); });
    });
    auto list = result.get_future().get();
    thread.run([&] { redis.stop(); });
    return list;
  }

  static const cluster::ServerEntry* find(const cluster::ServerList& list, const std::string& id) {
    for (const auto& e : list.live) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }

  itest::TempDir dir_;
  std::string redis_url_;
};

TEST_F(ClusterServerTest, AServerRegistersAnswersLocateAndExposesMetrics) {
  auto server = start_server("solo");
  ASSERT_TRUE(server);
  const std::string id = server->config().server_id;

  // The server registers as soon as its bus has connected (asynchronously).
  Result<cluster::ServerList> list = Status(Code::kUnavailable, "not read");
  ASSERT_TRUE(eventually([&] {
    list = registry(redis_url_);
    return list && find(*list, id);
  }));
  const auto* entry = find(*list, id);
  EXPECT_EQ(entry->host, "127.0.0.1");
  EXPECT_EQ(entry->port, server->port());

  itest::RawClient client(server->port());
  ASSERT_TRUE(client.hello());
  wire::Frame locate;
  locate.mutable_locate();
  auto reply = client.call(locate);
  ASSERT_TRUE(reply.has_server_address()) << reply.ShortDebugString();
  EXPECT_EQ(reply.server_address().server_id(), id);
  EXPECT_EQ(reply.server_address().port(), server->port());

  const std::uint16_t admin = server->server().admin_port();
  ASSERT_NE(admin, 0);
  ASSERT_TRUE(
      eventually([&] { return http_get(admin, "/healthz").find(" 200 ") != std::string::npos; }));
  const std::string metrics = http_get(admin, "/metrics");
  EXPECT_NE(metrics.find("fastchat_connections 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("fastchat_bus_connected 1"), std::string::npos);
  EXPECT_NE(metrics.find("# TYPE fastchat_commit_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.find("# TYPE fastchat_bus_publish_seconds histogram"), std::string::npos);

  // A graceful stop leaves the registry at once.
  server->stop();
  list = registry(redis_url_);
  ASSERT_TRUE(list);
  EXPECT_EQ(find(*list, id), nullptr);
}

TEST(ServerAdmin, ASingleNodeServesMetricsAndHealthToo) {
  itest::TempDir dir;
  itest::TestServer server(dir.path() + "/single");
  server.config().admin_listen = "127.0.0.1:0";
  ASSERT_TRUE(server.start());
  const std::uint16_t admin = server.server().admin_port();
  ASSERT_NE(admin, 0);
  {
    itest::RawClient client(server.port());
    ASSERT_TRUE(client.hello());
    const std::string metrics = http_get(admin, "/metrics");
    EXPECT_NE(metrics.find("fastchat_connections 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("fastchat_errors_total{kind=\"protocol\"} 0"), std::string::npos);
    EXPECT_EQ(metrics.find("fastchat_bus_connected"), std::string::npos);  // no Redis bus here
  }
  EXPECT_NE(http_get(admin, "/healthz").find(" 200 "), std::string::npos);
  EXPECT_NE(http_get(admin, "/nope").find(" 404 "), std::string::npos);
  server.stop();
}

// Each loop counts its own frames; /metrics shows their sum (the test server runs two
// loops, and the kernel spreads the connections over both).
TEST(ServerAdmin, MetricsSumEveryLoopsCounters) {
  itest::TempDir dir;
  itest::TestServer server(dir.path() + "/loops");
  server.config().admin_listen = "127.0.0.1:0";
  ASSERT_TRUE(server.start());
  ASSERT_EQ(server.config().threads, 2u);
  constexpr int kClients = 8;
  std::vector<std::unique_ptr<itest::RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<itest::RawClient>(server.port()));
    ASSERT_TRUE(clients.back()->hello());  // answered: counted before the reply left
  }
  EXPECT_EQ(server.server().loop_totals().frames_in, static_cast<std::uint64_t>(kClients));
  const std::string metrics = http_get(server.server().admin_port(), "/metrics");
  EXPECT_NE(metrics.find("fastchat_frames_in_total " + std::to_string(kClients)), std::string::npos)
      << metrics;
  server.stop();
}

TEST_F(ClusterServerTest, RefusesToStartWithoutRedis) {
  itest::TestServer server(dir_.path() + "/nored");
  server.config().redis_url = "redis://127.0.0.1:1";
  Status s = server.start();
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.to_string();
}

TEST_F(ClusterServerTest, ARedisPasswordOnTheCommandLineIsRefused) {
  std::filesystem::create_directories(dir_.path() + "/p");
  itest::ServerProcess server(dir_.path() + "/p",
                              {"--redis", "redis://fastchat:hunter2@127.0.0.1:1"});
  Status started = server.start();
  ASSERT_FALSE(started);
  EXPECT_NE(server.output().find("--redis-file"), std::string::npos) << server.output();
}

TEST(ServerKey, ASingleNodeWhoseKeyFileWasReplacedRefusesToStart) {
  itest::TempDir dir;
  itest::TestServer server(dir.path());
  ASSERT_TRUE(server.start());
  server.stop();
  std::filesystem::remove(server.data_dir() + "/server.key");  // a new one is made at start

  Status restarted = server.start();
  EXPECT_EQ(restarted.code(), Code::kForbidden) << restarted.to_string();
  EXPECT_NE(restarted.message().find("--secret-file"), std::string::npos);
}

class ClusterMessagingTest : public ClusterServerTest {
 protected:
  void SetUp() override {
    ClusterServerTest::SetUp();
    if (IsSkipped()) return;
    if (store::test::PostgresTestSchema::base_url().empty())
      FASTCHAT_SERVICE_MISSING("FASTCHAT_TEST_POSTGRES_URL is not set (scripts/test-services.sh)");
    // A database of the test's own: a database belongs to one cluster key.
    schema_ = std::make_unique<store::test::PostgresTestSchema>();
    pg_url_ = schema_->url();
  }
  std::unique_ptr<store::test::PostgresTestSchema> schema_;
  std::string pg_url_;
};

TEST_F(ClusterMessagingTest, AServerWhoseKeyIsNotTheClustersRefusesToStart) {
  auto a = start_server("a", pg_url_);
  ASSERT_TRUE(a);
  itest::TestServer stray(dir_.path() + "/stray");
  stray.config().redis_url = redis_url_;
  stray.config().db_url = pg_url_;
  stray.config().secret_file = dir_.file("another.key");  // made at start: not the cluster's
  Status started = stray.start();
  EXPECT_EQ(started.code(), Code::kForbidden) << started.to_string();
  EXPECT_NE(started.message().find("--secret-file"), std::string::npos);
}

TEST_F(ClusterMessagingTest, MessagesAndPresenceCrossServers) {
  auto a = start_server("a", pg_url_);
  auto b = start_server("b", pg_url_);
  ASSERT_TRUE(a && b);
  const auto& alice = user("alice");
  const auto& bob = user("bob");
  auto on_a = itest::registered(a->port(), alice);
  auto on_b = itest::registered(b->port(), bob);
  ASSERT_TRUE(on_a && on_a->connected() && on_b && on_b->connected());

  // alice watches bob (on the other server): online now...
  wire::Frame watch;
  watch.mutable_watch_presence()->add_usernames(bob.name());
  auto watched = on_a->call(watch);
  ASSERT_TRUE(watched.has_presence_list()) << watched.ShortDebugString();
  ASSERT_EQ(watched.presence_list().presence_size(), 1);
  EXPECT_TRUE(watched.presence_list().presence(0).online());

  // ...a message committed on a reaches bob's session on b through Redis...
  for (int i = 1; i <= 3; ++i) {
    const auto id = MessageId::random();
    const std::string hello = fmt::format("hello {}", i);  // not "..." + ...: g++ 12 -Wrestrict
    auto reply = on_a->call(itest::direct_send(alice, bob, id, hello));
    ASSERT_TRUE(reply.has_send_ok()) << reply.ShortDebugString();
    auto push = on_b->push();
    ASSERT_TRUE(push) << "no push across servers for message " << i;
    EXPECT_EQ(push->message_id(), id.to_bytes());
    auto text = bob.open_text(alice, *push);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, hello);
  }

  // ...and when bob leaves b, alice on a sees him go offline.
  on_b.reset();
  std::optional<wire::Frame> presence;
  ASSERT_TRUE(eventually(
      [&] {
        auto f = on_a->next(50ms);
        // (An "online" push may come first: the login's presence event can reach a's
        // bus just after the WatchPresence answer already said online.)
        if (f && f->has_presence() && !f->presence().online()) presence = f;
        return presence.has_value();
      },
      5s));
  EXPECT_EQ(presence->presence().username(), bob.name());
  EXPECT_FALSE(presence->presence().online());
}

TEST_F(ClusterMessagingTest, UsersOfAKilledServerGoOfflineWhenItsHeartbeatExpires) {
  auto a = start_server("a", pg_url_);
  ASSERT_TRUE(a);
  // b is the real binary, so it can be killed with -9.
  std::filesystem::create_directories(dir_.path() + "/b");
  itest::ServerProcess b(
      dir_.path() + "/b",
      {"--redis-file", itest::write_private_file(dir_.file("redis.url"), redis_url_), "--db",
       pg_url_, "--secret-file", dir_.file("cluster.key"), "--server-id",
       cluster::testing::unique_name("doomed"), "--tls-cert",
       itest::tls_identity(dir_.path()).cert_file, "--tls-key",
       itest::tls_identity(dir_.path()).key_file});
  Status started = b.start();
  ASSERT_TRUE(started) << started.to_string() << b.output();
  const auto& erin = user("erin");
  const auto& frank = user("frank");
  auto on_a = itest::registered(a->port(), erin);
  auto on_b = itest::registered(b.port(), frank);
  ASSERT_TRUE(on_a && on_a->connected() && on_b && on_b->connected());
  wire::Frame watch;
  watch.mutable_watch_presence()->add_usernames(frank.name());
  auto watched = on_a->call(watch);
  ASSERT_TRUE(watched.has_presence_list());
  ASSERT_TRUE(watched.presence_list().presence(0).online());

  b.kill9();  // no farewell: only the expiring heartbeat tells
  const auto killed = std::chrono::steady_clock::now();
  std::optional<wire::Frame> presence;
  ASSERT_TRUE(eventually(
      [&] {
        auto f = on_a->next(50ms);
        // (An "online" push may come first: the login's presence event can reach a's
        // bus just after the WatchPresence answer already said online.)
        if (f && f->has_presence() && !f->presence().online()) presence = f;
        return presence.has_value();
      },
      10s));
  EXPECT_EQ(presence->presence().username(), frank.name());
  EXPECT_FALSE(presence->presence().online());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  std::printf("offline %.2f s after kill -9 (heartbeat TTL 3 s)\n", seconds);
  EXPECT_LT(seconds, 6.0);
}

TEST_F(ClusterMessagingTest, ABalancerSpreadsClientsOverTheServers) {
  if (!cluster::testing::PrivateRedis::available())
    FASTCHAT_SERVICE_MISSING("redis-server not installed");
  cluster::testing::PrivateRedis redis;  // a registry holding just these servers
  ASSERT_TRUE(redis.start()) << redis.error();
  auto a = start_server("a", pg_url_, redis.url());
  auto b = start_server("b", pg_url_, redis.url());
  ASSERT_TRUE(a && b);
  balancer::BalancerConfig config;
  config.listen_port = 0;
  config.redis_url = redis.url();
  config.refresh_period = 50ms;
  config.tls_cert_file = itest::tls_identity(dir_.path()).cert_file;
  config.tls_key_file = itest::tls_identity(dir_.path()).key_file;
  balancer::Balancer balancer(config);
  ASSERT_TRUE(balancer.start());
  ASSERT_TRUE(eventually([&] { return balancer.stats().live_servers == 2; }));
  std::map<std::uint32_t, int> ports;
  for (int i = 0; i < 20; ++i) {
    itest::RawClient client(balancer.port());
    ASSERT_TRUE(client.hello());
    wire::Frame locate;
    locate.mutable_locate();
    auto reply = client.call(locate);
    ASSERT_TRUE(reply.has_server_address()) << reply.ShortDebugString();
    ++ports[reply.server_address().port()];
  }
  EXPECT_EQ(ports, (std::map<std::uint32_t, int>{{a->port(), 10}, {b->port(), 10}}));
  balancer.stop();
}

// The client core, pointed at a balancer, follows its Locate answer to a chat server;
// two users on whichever servers they land on talk to each other.
TEST_F(ClusterMessagingTest, ClientsFollowTheBalancerAndTalkAcrossServers) {
  if (!cluster::testing::PrivateRedis::available())
    FASTCHAT_SERVICE_MISSING("redis-server not installed");
  cluster::testing::PrivateRedis redis;
  ASSERT_TRUE(redis.start()) << redis.error();
  auto a = start_server("a", pg_url_, redis.url());
  auto b = start_server("b", pg_url_, redis.url());
  ASSERT_TRUE(a && b);
  balancer::BalancerConfig config;
  config.listen_port = 0;
  config.redis_url = redis.url();
  config.refresh_period = 50ms;
  config.tls_cert_file = itest::tls_identity(dir_.path()).cert_file;
  config.tls_key_file = itest::tls_identity(dir_.path()).key_file;
  balancer::Balancer balancer(config);
  ASSERT_TRUE(balancer.start());
  ASSERT_TRUE(eventually([&] { return balancer.stats().live_servers == 2; }));

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  // Stops and joins on every way out, a failed ASSERT included (after the clients go).
  struct Loop {
    asio::io_context& io;
    std::thread thread{[this] { io.run(); }};
    ~Loop() {
      io.stop();
      thread.join();
    }
  } loop{io};
  auto make = [&](const std::string& name) {
    client::ClientConfig cc;
    cc.server = {"127.0.0.1", balancer.port()};
    cc.home_dir = dir_.path() + "/home-" + name;
    return std::make_unique<client::Client>(io.get_executor(), cc);
  };
  // Names of this run only: the PostgreSQL database is shared between runs.
  const std::string carol_name = cluster::testing::unique_name("carol").substr(0, 32);
  const std::string dave_name = cluster::testing::unique_name("dave").substr(0, 32);
  auto carol = make("carol");
  auto dave = make("dave");
  auto run = [&](auto make_awaitable) {
    return asio::co_spawn(io, make_awaitable(), asio::use_future).get();
  };
  auto reg_carol = [&]() {
    return carol->register_account(carol_name, test_support::test_password(carol_name));
  };
  auto reg_dave = [&]() {
    return dave->register_account(dave_name, test_support::test_password(dave_name));
  };
  EXPECT_TRUE(run(reg_carol));
  EXPECT_TRUE(run(reg_dave));
  // Least-connections put the two on different servers.
  EXPECT_TRUE(eventually(
      [&] { return a->server().online_sessions() == 1 && b->server().online_sessions() == 1; }));

  // co_spawn's futures need default-constructible results: report through locals.
  Status sent(Code::kInternal, "not run");
  auto send = [&]() -> asio::awaitable<void> {
    auto r = co_await carol->send_text(dave_name, "via the balancer");
    sent = r.status();
  };
  asio::co_spawn(io, send(), asio::use_future).get();
  ASSERT_TRUE(sent) << sent.to_string();
  std::size_t received = 0;
  ASSERT_TRUE(eventually([&] {
    auto sync = [&]() -> asio::awaitable<void> {
      auto got = co_await dave->sync();
      if (got) received += *got;
    };
    asio::co_spawn(io, sync(), asio::use_future).get();
    return received >= 1;
  }));
  // A Client is used and destroyed on its loop only (TSan: docs/testing.md).
  auto on_loop = [&](const std::function<void()>& fn) {
    std::promise<void> done;
    asio::post(io, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  };
  std::vector<std::string> texts;
  on_loop([&] {
    auto history = dave->history(carol_name, 0, 10);
    if (!history) return;
    for (const auto& m : *history)
      texts.push_back(m.text);
  });
  EXPECT_EQ(texts, (std::vector<std::string>{"via the balancer"}));

  on_loop([&] {
    carol.reset();
    dave.reset();
  });
  balancer.stop();
}

TEST_F(ClusterMessagingTest, NotificationsLostInARedisOutageComeBackFromTheInbox) {
  if (!cluster::testing::PrivateRedis::available())
    FASTCHAT_SERVICE_MISSING("redis-server not installed");
  cluster::testing::PrivateRedis redis;
  ASSERT_TRUE(redis.start()) << redis.error();
  auto a = start_server("a", pg_url_, redis.url());
  auto b = start_server("b", pg_url_, redis.url());
  ASSERT_TRUE(a && b);
  const auto& carol = user("carol");
  const auto& dave = user("dave");
  auto on_a = itest::registered(a->port(), carol);
  auto on_b = itest::registered(b->port(), dave);
  ASSERT_TRUE(on_a && on_a->connected() && on_b && on_b->connected());
  const auto first = MessageId::random();
  ASSERT_TRUE(on_a->call(itest::direct_send(carol, dave, first, "before")).has_send_ok());
  ASSERT_TRUE(on_b->push());

  redis.stop(/*crash=*/true);
  // Committed and acknowledged while the bus is down: no push can cross.
  const auto lost = MessageId::random();
  auto reply = on_a->call(itest::direct_send(carol, dave, lost, "during the outage"));
  ASSERT_TRUE(reply.has_send_ok()) << reply.ShortDebugString();
  EXPECT_FALSE(on_b->push(300ms));

  // Redis comes back (empty): b notices and pushes dave's inbox again.
  ASSERT_TRUE(redis.start()) << redis.error();
  std::optional<wire::InboxMessage> push;
  ASSERT_TRUE(eventually(
      [&] {
        auto p = on_b->push(100ms);
        if (p && p->message_id() == lost.to_bytes()) push = p;
        return push.has_value();
      },
      10s));
  auto text = dave.open_text(carol, *push);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "during the outage");
}

// The login/delivery race (docs/cluster.md, "A login racing a delivery"): erin logs in
// on b while a still routes pushes of her inbox by a route cached before the login. The
// race is provoked deterministically: a holds back the presence event of the login (as
// a busy bus thread would), and a's cached route points at a stand-in server this test
// subscribes for, so the test sees each push routed by the stale route. When a handles
// the event it asks b to catch up, and b pushes erin the one message she missed, once.
TEST_F(ClusterMessagingTest, ALoginRacingADeliveryGetsTheMissedPushOnce) {
  struct Held {
    std::mutex mutex;
    std::string username;
    std::atomic<UserId> user{0};
    std::atomic<int> events{0};  // erin's presence events seen by a
    bool hold = false;
    std::vector<std::function<void()>> handles;
    void release() {
      std::vector<std::function<void()>> now;
      {
        std::lock_guard lock(mutex);
        hold = false;
        now.swap(handles);
      }
      for (auto& handle : now)
        handle();
    }
    std::size_t held() {
      std::lock_guard lock(mutex);
      return handles.size();
    }
  };
  const auto& carol = user("carol");
  const auto& erin = user("erin");
  auto held = std::make_shared<Held>();
  held->username = erin.name();

  auto b = start_server("b", pg_url_);
  ASSERT_TRUE(b);
  auto a_server = std::make_unique<itest::TestServer>(dir_.path() + "/a");
  a_server->config().redis_url = redis_url_;
  a_server->config().server_id = cluster::testing::unique_name("a");
  a_server->config().db_url = pg_url_;
  a_server->config().secret_file = dir_.file("cluster.key");
  a_server->config().threads = 2;
  a_server->config().tune_redis_bus = [held](cluster::RedisBusOptions& options) {
    options.intercept_control = [held](std::string_view payload, std::function<void()> handle) {
      auto message = cluster::schema::decode_control(payload);
      if (message.presence && message.presence->username == held->username) {
        held->user = message.presence->user;
        ++held->events;
        std::lock_guard lock(held->mutex);
        if (held->hold) {
          held->handles.push_back(std::move(handle));
          return;
        }
      }
      handle();
    };
  };
  ASSERT_TRUE(a_server->start());
  // Whatever happens, a handles what it holds before it stops.
  struct Release {
    std::shared_ptr<Held> held;
    ~Release() { held->release(); }
  } release_at_exit{held};

  auto on_a = itest::registered(a_server->port(), carol);
  ASSERT_TRUE(on_a && on_a->connected());
  // erin exists and is offline again (her close script ran before a saw its event).
  {
    auto first = itest::registered(b->port(), erin);
    ASSERT_TRUE(first && first->connected());
  }
  ASSERT_TRUE(eventually([&] { return held->events.load() >= 2; }, 5s));
  const UserId erin_id = held->user;
  ASSERT_NE(erin_id, 0);

  // A stand-in server in erin's presence, subscribed by this test: a's route to erin
  // is cached as "the stand-in only", and every push a routes by it shows up here.
  const std::string stand_in = cluster::testing::unique_name("stand-in");
  cluster::testing::IoThread io;
  cluster::RedisConnection subscriber(io.io(), *cluster::parse_redis_url(redis_url_), "stand-in");
  const cluster::testing::StopOnExit stop_io(io);
  std::mutex routed_mutex;
  std::vector<std::uint64_t> routed;  // seqs a routed to the stand-in
  std::atomic<bool> subscribed{false};
  io.run([&] {
    subscriber.subscribe(
        cluster::schema::server_channel(stand_in),
        [&](std::string_view payload) {
          auto delivery = cluster::schema::decode_delivery(payload);
          if (!delivery || delivery->recipient != erin_id || delivery->catch_up()) return;
          std::lock_guard lock(routed_mutex);
          routed.push_back(delivery->seq);
        },
        [&] { subscribed = true; });
    subscriber.start();
  });
  ASSERT_TRUE(eventually([&] { return subscribed.load(); }, 5s));
  const std::string presence_key = cluster::schema::presence_key(erin_id);
  ASSERT_EQ(cluster::testing::redis_sync(redis_url_, {"SADD", presence_key, stand_in}), "1");
  auto routed_count = [&] {
    std::lock_guard lock(routed_mutex);
    return routed.size();
  };

  // 1. While erin is offline: a looks her route up and caches it.
  const auto m1 = MessageId::random();
  ASSERT_TRUE(on_a->call(itest::direct_send(carol, erin, m1, "while offline")).has_send_ok());
  ASSERT_TRUE(eventually([&] { return routed_count() == 1; }, 5s));

  // 2. erin logs in on b; a does not handle the presence event yet.
  {
    std::lock_guard lock(held->mutex);
    held->hold = true;
  }
  auto on_b = itest::logged_in(b->port(), erin);
  ASSERT_TRUE(on_b && on_b->connected());
  ASSERT_TRUE(eventually([&] { return held->held() == 1; }, 5s));

  // 3. A message committed now is routed by the stale route: not to b.
  const auto m2 = MessageId::random();
  ASSERT_TRUE(on_a->call(itest::direct_send(carol, erin, m2, "racing the login")).has_send_ok());
  ASSERT_TRUE(eventually([&] { return routed_count() == 2; }, 5s));

  // 4. a handles the event: b catches erin up with the push she missed (m1 is left to
  // her client's login Sync, as it was committed before the login).
  held->release();
  auto push = on_b->push(5s);
  ASSERT_TRUE(push) << "the push routed before a learned of the login never came";
  EXPECT_EQ(push->message_id(), m2.to_bytes());
  auto text = erin.open_text(carol, *push);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "racing the login");

  // 5. The route is right again, and m2 is not pushed a second time.
  const auto m3 = MessageId::random();
  ASSERT_TRUE(on_a->call(itest::direct_send(carol, erin, m3, "after")).has_send_ok());
  auto next = on_b->push(5s);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message_id(), m3.to_bytes());
  EXPECT_FALSE(on_b->push(200ms)) << "a duplicate push";

  cluster::testing::redis_sync(redis_url_, {"SREM", presence_key, stand_in});
  io.run([&] { subscriber.stop(); });
}

}  // namespace
}  // namespace fastchat
