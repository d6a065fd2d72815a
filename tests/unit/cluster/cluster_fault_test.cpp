// Faults under traffic. Real servers on PostgreSQL and Redis, client-core users that
// keep sending direct and group messages to each other, and one fault at a time:
//   1. a server behind a balancer is killed with -9 (its users come back through the
//      balancer on the other servers and go on),
//   2. Redis is stopped and started again (sends still commit; cross-server pushes
//      are lost and come back from the inboxes when the bus returns),
//   3. PostgreSQL is stopped and started again (sends fail with UNAVAILABLE while it
//      is down; service returns by itself).
// Each test checks what the users see: every message whose send was acknowledged is
// shown to each of its recipients exactly once, by the running clients themselves (no
// extra sync), and nothing that was never sent is shown.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "../../integration/raw_client.h"
#include "../../integration/test_server.h"
#include "../../integration/test_user.h"
#include "balancer/balancer.h"
#include "client/client.h"
#include "support/postgres_test_schema.h"
#include "support/private_postgres.h"
#include "support/redis_test_support.h"
#include "support/service_missing.h"
#include "support/test_passwords.h"

namespace fastchat {
namespace {

using namespace std::chrono_literals;
using cluster::testing::eventually;

constexpr const char* kNoPostgres =
    "FASTCHAT_TEST_POSTGRES_URL is not set; run eval \"$(scripts/test-services.sh start)\"";

// A message whose send was acknowledged, and who should see it.
struct Acked {
  MessageId id;
  std::string text;
  std::vector<std::string> to;
};

// One user: a client-core Client and what it did and saw. Touched on the loop only.
struct User {
  std::string name;
  std::unique_ptr<client::Client> client;
  std::vector<client::ChatMessage> shown;  // on_message, in order
  std::set<std::string> attempted;         // the text of every send started
  std::vector<Acked> acked;
  std::vector<Status> failures;  // sends that returned an error
  int disconnects = 0;
  bool running = false;  // run() has not returned
  bool sending = false;  // the send loop has not returned
};

// Users on one single-threaded loop (the client core's requirement), sending to each
// other until told to stop.
class Traffic {
 public:
  explicit Traffic(std::string home) : home_(std::move(home)) {}
  ~Traffic() { shutdown(); }

  // Creates a user whose client connects to `server` (a balancer or a chat server).
  User& add(const std::string& name, std::uint16_t server) {
    auto user = std::make_unique<User>();
    user->name = name;
    client::ClientConfig config;
    config.server = {"127.0.0.1", server};
    config.home_dir = home_ + "/" + name;
    config.persist = false;
    User* raw = user.get();
    loop_.run([&] {
      raw->client = std::make_unique<client::Client>(loop_.io().get_executor(), config);
      client::ClientEvents events;
      events.on_message = [raw](const client::ChatMessage& m) { raw->shown.push_back(m); };
      events.on_connection = [raw](bool up) { raw->disconnects += up ? 0 : 1; };
      raw->client->set_events(std::move(events));
    });
    users_.push_back(std::move(user));
    return *raw;
  }

  Status register_user(User& user) {
    Status status(Code::kInternal, "not run");
    const std::string password = test_support::test_password(user.name);
    auto job = [&]() -> asio::awaitable<void> {
      status = co_await user.client->register_account(user.name, password);
    };
    asio::co_spawn(loop_.io(), job(), asio::use_future).get();
    return status;
  }

  // A group of every user, created by the first.
  Result<GroupId> create_group() {
    std::vector<std::string> members;
    for (std::size_t i = 1; i < users_.size(); ++i)
      members.push_back(users_[i]->name);
    Result<client::GroupInfo> info = Status(Code::kInternal, "not run");
    auto job = [&]() -> asio::awaitable<void> {
      info = co_await users_.front()->client->create_group("everyone", std::move(members));
    };
    asio::co_spawn(loop_.io(), job(), asio::use_future).get();
    if (!info) return info.status();
    group_ = info->id;
    return group_;
  }

  // Each user's run() (pushes, reconnects), then each user's send loop: direct
  // messages to the others in turn, and every fourth message to the group.
  void start() {
    loop_.run([&] {
      for (auto& user : users_) {
        user->running = true;
        asio::co_spawn(loop_.io(), keep_running(user.get()), asio::detached);
      }
      for (auto& user : users_) {
        user->sending = true;
        asio::co_spawn(loop_.io(), send_loop(user.get()), asio::detached);
      }
    });
  }

  // Each user's number of acknowledged sends.
  std::vector<std::size_t> acked_counts() {
    return loop_.run([&] {
      std::vector<std::size_t> counts;
      for (auto& user : users_)
        counts.push_back(user->acked.size());
      return counts;
    });
  }

  // Waits until every user has had `more` sends acknowledged beyond `since`.
  ::testing::AssertionResult each_acks(std::size_t more, const std::vector<std::size_t>& since,
                                       std::chrono::milliseconds timeout) {
    std::vector<std::size_t> now;
    const bool ok = eventually(
        [&] {
          now = acked_counts();
          for (std::size_t i = 0; i < now.size(); ++i) {
            if (now[i] < since[i] + more) return false;
          }
          return true;
        },
        timeout);
    if (ok) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure()
                   << "not every user got " << more << " more sends acknowledged:";
    for (std::size_t i = 0; i < now.size(); ++i)
      failure << " " << users_[i]->name << " " << since[i] << "->" << now[i];
    return failure;
  }

  // Stops the send loops and waits for the sends in flight to finish.
  ::testing::AssertionResult stop_sending() {
    loop_.run([&] { stop_sending_ = true; });
    if (eventually(
            [&] {
              return loop_.run([&] {
                for (auto& user : users_) {
                  if (user->sending) return false;
                }
                return true;
              });
            },
            40s)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "a send did not finish";
  }

  // A message acknowledged to `from` but not (yet) shown to `to`.
  struct Missing {
    std::string from;
    std::string to;
    std::string text;
  };
  std::vector<Missing> undelivered() {
    return loop_.run([&] {
      std::vector<Missing> missing;
      std::map<std::string, std::set<std::string>> shown;  // recipient -> ids
      for (auto& user : users_) {
        for (const auto& m : user->shown)
          shown[user->name].insert(m.id.to_hex());
      }
      for (auto& sender : users_) {
        for (const auto& a : sender->acked) {
          for (const auto& to : a.to) {
            if (!shown[to].count(a.id.to_hex())) missing.push_back({sender->name, to, a.text});
          }
        }
      }
      return missing;
    });
  }

  // Waits until every acknowledged message is shown to each of its recipients.
  ::testing::AssertionResult all_delivered(std::chrono::milliseconds timeout) {
    std::vector<Missing> missing;
    if (eventually(
            [&] {
              missing = undelivered();
              return missing.empty();
            },
            timeout)) {
      return ::testing::AssertionSuccess();
    }
    auto failure = ::testing::AssertionFailure() << missing.size() << " deliveries missing:";
    for (std::size_t i = 0; i < missing.size() && i < 20; ++i)
      failure << "\n  " << missing[i].to << " lacks '" << missing[i].text << "'";
    return failure;
  }

  // Exactly once on screen and in the local history; nothing shown that was not sent.
  void expect_exactly_once() {
    loop_.run([&] {
      std::map<std::string, User*> by_name;
      for (auto& user : users_)
        by_name[user->name] = user.get();
      for (auto& user : users_) {
        std::map<std::string, int> times;  // id -> on_message calls
        for (const auto& m : user->shown) {
          ++times[m.id.to_hex()];
          auto sender = by_name.find(m.sender);
          ASSERT_NE(sender, by_name.end()) << user->name << " shown a message from " << m.sender;
          EXPECT_TRUE(sender->second->attempted.count(m.text))
              << user->name << " shown '" << m.text << "', which " << m.sender << " never sent";
        }
        for (const auto& [id, n] : times)
          EXPECT_EQ(n, 1) << user->name << " shown message " << id << " " << n << " times";
        // The history holds each incoming message once too.
        std::map<std::string, int> stored;
        for (auto& peer : users_) {
          if (peer.get() == user.get()) continue;
          auto direct = user->client->history(peer->name, 0, 1'000'000);
          ASSERT_TRUE(direct) << direct.status().to_string();
          for (const auto& m : *direct) {
            if (!m.outgoing) ++stored[m.id.to_hex()];
          }
        }
        if (group_ != 0) {
          auto group = user->client->history("", group_, 1'000'000);
          ASSERT_TRUE(group) << group.status().to_string();
          for (const auto& m : *group) {
            if (!m.outgoing) ++stored[m.id.to_hex()];
          }
        }
        EXPECT_EQ(stored, times) << user->name << ": history and what was shown differ";
      }
    });
  }

  // Every send that failed, failed with `code` (none when `code` is kOk).
  void expect_failures_only(Code code) {
    loop_.run([&] {
      for (auto& user : users_) {
        for (const auto& s : user->failures)
          EXPECT_EQ(s.code(), code) << user->name << "'s send failed: " << s.to_string();
      }
    });
  }

  std::size_t acked_total() {
    std::size_t total = 0;
    for (auto n : acked_counts())
      total += n;
    return total;
  }
  std::size_t failure_total() {
    return loop_.run([&] {
      std::size_t total = 0;
      for (auto& user : users_)
        total += user->failures.size();
      return total;
    });
  }
  int disconnects() {
    return loop_.run([&] {
      int total = 0;
      for (auto& user : users_)
        total += user->disconnects;
      return total;
    });
  }
  User& user(std::size_t i) { return *users_[i]; }
  std::size_t size() const { return users_.size(); }
  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    return loop_.run(std::move(f));
  }

  // Stops the sends and the clients, and destroys them on their loop.
  void shutdown() {
    if (users_.empty()) return;
    (void)stop_sending();
    loop_.run([&] {
      for (auto& user : users_)
        user->client->stop();
    });
    eventually(
        [&] {
          return loop_.run([&] {
            for (auto& user : users_) {
              if (user->running) return false;
            }
            return true;
          });
        },
        20s);
    loop_.run([&] { users_.clear(); });
    loop_.stop();
  }

 private:
  static asio::awaitable<void> keep_running(User* user) {
    co_await user->client->run();
    user->running = false;
  }

  asio::awaitable<void> send_loop(User* user) {
    std::vector<std::string> peers;
    std::vector<std::string> members;
    for (auto& other : users_) {
      if (other.get() != user) peers.push_back(other->name);
    }
    asio::steady_timer pace(co_await asio::this_coro::executor);
    for (std::size_t n = 0; !stop_sending_; ++n) {
      const bool to_group = group_ != 0 && n % 4 == 3;
      std::string text = fmt::format("{} #{}", user->name, n);
      user->attempted.insert(text);
      if (to_group) {
        auto sent = co_await user->client->send_group_text(group_, text);
        if (sent) {
          user->acked.push_back({sent->id, text, peers});
        } else {
          user->failures.push_back(sent.status());
        }
      } else {
        const std::string& peer = peers[n % peers.size()];
        auto sent = co_await user->client->send_text(peer, text);
        if (sent) {
          user->acked.push_back({sent->id, text, {peer}});
        } else {
          user->failures.push_back(sent.status());
        }
      }
      pace.expires_after(20ms);  // a steady stream, not a flood
      co_await pace.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
    user->sending = false;
  }

  std::string home_;
  cluster::testing::IoThread loop_;
  std::vector<std::unique_ptr<User>> users_;
  GroupId group_ = 0;
  bool stop_sending_ = false;  // on the loop
};

class ClusterFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (store::test::PostgresTestSchema::base_url().empty()) FASTCHAT_SERVICE_MISSING(kNoPostgres);
    if (!cluster::testing::PrivateRedis::available()) {
      FASTCHAT_SERVICE_MISSING("redis-server is not installed (scripts/install-deps.sh)");
    }
    ASSERT_TRUE(redis_.start()) << redis_.error();
  }

  // Two in-process servers of the cluster, a and b, on `db_url` and the private Redis.
  // Both are constructed before either starts: each TestServer installs spdlog's
  // default logger, which a running server's threads must not see replaced.
  std::pair<std::unique_ptr<itest::TestServer>, std::unique_ptr<itest::TestServer>> start_servers(
      const std::string& db_url) {
    std::unique_ptr<itest::TestServer> servers[2];
    for (int i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "a" : "b";
      servers[i] = std::make_unique<itest::TestServer>(dir_.path() + "/" + name);
      servers[i]->config().redis_url = redis_.url();
      servers[i]->config().server_id = name;  // the Redis is ours alone
      servers[i]->config().db_url = db_url;
      servers[i]->config().secret_file = dir_.file("cluster.key");  // shared, as in a cluster
      const auto identity = itest::tls_identity(dir_.path());       // shared too
      servers[i]->config().tls_cert_file = identity.cert_file;
      servers[i]->config().tls_key_file = identity.key_file;
      servers[i]->config().threads = 2;
    }
    for (auto& server : servers) {
      Status s = server->start();
      EXPECT_TRUE(s) << s.to_string();
      if (!s) return {};
    }
    return {std::move(servers[0]), std::move(servers[1])};
  }

  // user0 and user1 on the server at `a`, user2 and user3 on the one at `b`.
  static ::testing::AssertionResult register_pairs(Traffic& traffic, std::uint16_t a,
                                                   std::uint16_t b) {
    for (int i = 0; i < 4; ++i) {
      auto& user = traffic.add(fmt::format("user{}", i), i < 2 ? a : b);
      if (Status s = traffic.register_user(user); !s) {
        return ::testing::AssertionFailure() << user.name << ": " << s.to_string();
      }
    }
    return ::testing::AssertionSuccess();
  }

  itest::TempDir dir_;
  cluster::testing::PrivateRedis redis_;
};

// --- 1. kill -9 of one server behind a balancer

TEST_F(ClusterFaultTest, KilledServersUsersComeBackThroughTheBalancerAndLoseNothing) {
  store::test::PostgresTestSchema schema;
  auto [a, b] = start_servers(schema.url());
  ASSERT_TRUE(a && b);
  std::filesystem::create_directories(dir_.path() + "/victim");
  itest::ServerProcess victim(
      dir_.path() + "/victim",
      {"--redis", redis_.url(), "--db", schema.url(), "--secret-file", dir_.file("cluster.key"),
       "--server-id", "victim", "--tls-cert", itest::tls_identity(dir_.path()).cert_file,
       "--tls-key", itest::tls_identity(dir_.path()).key_file});
  Status started = victim.start();
  ASSERT_TRUE(started) << started.to_string();

  balancer::BalancerConfig config;
  config.listen_port = 0;
  config.redis_url = redis_.url();
  config.refresh_period = 50ms;
  config.tls_cert_file = itest::tls_identity(dir_.path()).cert_file;
  config.tls_key_file = itest::tls_identity(dir_.path()).key_file;
  balancer::Balancer balancer(config);
  ASSERT_TRUE(balancer.start());
  ASSERT_TRUE(eventually([&] { return balancer.stats().live_servers == 3; }, 10s));

  Traffic traffic(dir_.path() + "/homes");
  for (int i = 0; i < 6; ++i) {
    auto& user = traffic.add(fmt::format("user{}", i), balancer.port());
    Status s = traffic.register_user(user);
    ASSERT_TRUE(s) << user.name << ": " << s.to_string();
  }
  // Least-connections spreads the six (registered one after the other, so not always
  // exactly evenly): whoever is not on a or b is on the victim.
  const std::size_t on_victim =
      traffic.size() - a->server().online_sessions() - b->server().online_sessions();
  ASSERT_GE(on_victim, 1u) << "the balancer put nobody on the victim";
  auto group = traffic.create_group();
  ASSERT_TRUE(group) << group.status().to_string();
  traffic.start();
  const std::vector<std::size_t> none(traffic.size(), 0);
  ASSERT_TRUE(traffic.each_acks(4, none, 30s));

  victim.kill9();
  const auto killed = std::chrono::steady_clock::now();
  const auto at_kill = traffic.acked_counts();
  // Everybody, the victim's users included, goes on sending: they came back elsewhere.
  ASSERT_TRUE(traffic.each_acks(4, at_kill, 40s));
  std::printf("every user sent again %.2f s after kill -9\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count());
  EXPECT_GE(traffic.disconnects(), static_cast<int>(on_victim))
      << "the victim's users did not notice it die";
  EXPECT_TRUE(eventually(
      [&] { return a->server().online_sessions() + b->server().online_sessions() == 6; }, 10s));

  ASSERT_TRUE(traffic.stop_sending());
  EXPECT_TRUE(traffic.all_delivered(20s));
  traffic.expect_exactly_once();
  // A send cut off by the kill is resent with its id after the reconnect: none fails.
  traffic.expect_failures_only(Code::kOk);
  EXPECT_EQ(traffic.failure_total(), 0u);
  std::printf("%zu messages acknowledged\n", traffic.acked_total());
  traffic.shutdown();
  balancer.stop();
}

// --- 2. Redis stopped and started again

TEST_F(ClusterFaultTest, RedisStoppedAndStartedUnderTrafficLosesNoMessage) {
  store::test::PostgresTestSchema schema;
  auto [a, b] = start_servers(schema.url());
  ASSERT_TRUE(a && b);

  Traffic traffic(dir_.path() + "/homes");
  ASSERT_TRUE(register_pairs(traffic, a->port(), b->port()));
  auto group = traffic.create_group();
  ASSERT_TRUE(group) << group.status().to_string();
  traffic.start();
  const std::vector<std::size_t> none(traffic.size(), 0);
  ASSERT_TRUE(traffic.each_acks(4, none, 30s));

  redis_.stop(/*crash=*/true);
  const auto at_stop = traffic.acked_counts();
  // Sends still commit: PostgreSQL is the source of truth.
  ASSERT_TRUE(traffic.each_acks(6, at_stop, 30s));
  // The outage cuts the servers apart, but not the users of one server: what is left
  // undelivered is what crossed servers (and it is something).
  const auto on_a = [](const std::string& name) { return name == "user0" || name == "user1"; };
  std::vector<Traffic::Missing> stranded;
  EXPECT_TRUE(eventually(
      [&] {
        stranded = traffic.undelivered();
        for (const auto& m : stranded) {
          if (on_a(m.from) == on_a(m.to)) return false;
        }
        return true;
      },
      10s))
      << "a message between users of one server was not delivered during the outage";
  EXPECT_FALSE(stranded.empty());

  ASSERT_TRUE(redis_.start()) << redis_.error();
  const auto at_start = traffic.acked_counts();
  ASSERT_TRUE(traffic.each_acks(4, at_start, 30s));
  ASSERT_TRUE(traffic.stop_sending());
  EXPECT_TRUE(traffic.all_delivered(20s));
  traffic.expect_exactly_once();
  traffic.expect_failures_only(Code::kOk);
  EXPECT_EQ(traffic.failure_total(), 0u);
  std::printf("%zu messages acknowledged, %zu deliveries stranded by the outage\n",
              traffic.acked_total(), stranded.size());
  traffic.shutdown();
}

// --- 3. PostgreSQL stopped and started again

TEST_F(ClusterFaultTest, PostgresStoppedAndStartedUnderTrafficFailsCleanlyAndRecovers) {
  test_support::PrivatePostgres postgres;
  ASSERT_TRUE(postgres.start()) << "could not start a private PostgreSQL: " << postgres.log();
  auto [a, b] = start_servers(postgres.url());
  ASSERT_TRUE(a && b);

  Traffic traffic(dir_.path() + "/homes");
  ASSERT_TRUE(register_pairs(traffic, a->port(), b->port()));
  // A raw client shows the exact answer on the wire.
  const auto probe = itest::TestUser::quick("probe");
  const auto peer = itest::TestUser::quick("probepeer");
  ASSERT_TRUE(itest::registered(a->port(), peer));
  auto raw = itest::registered(a->port(), probe);
  ASSERT_TRUE(raw && raw->connected());

  auto group = traffic.create_group();
  ASSERT_TRUE(group) << group.status().to_string();
  traffic.start();
  const std::vector<std::size_t> none(traffic.size(), 0);
  ASSERT_TRUE(traffic.each_acks(4, none, 30s));

  ASSERT_TRUE(postgres.stop()) << postgres.log();
  const auto down = MessageId::random();
  auto refused = raw->call(itest::direct_send(probe, peer, down, "while the store is down"));
  ASSERT_TRUE(refused.has_error()) << refused.ShortDebugString();
  EXPECT_EQ(refused.error().code(), wire::UNAVAILABLE) << refused.ShortDebugString();
  const auto at_stop = traffic.acked_counts();

  ASSERT_TRUE(postgres.start()) << postgres.log();
  const auto restarted = std::chrono::steady_clock::now();
  // The same message, resent as a client would, is taken once the store is back.
  wire::Frame accepted;
  ASSERT_TRUE(eventually(
      [&] {
        accepted = raw->call(itest::direct_send(probe, peer, down, "while the store is down"));
        return accepted.has_send_ok();
      },
      15s))
      << accepted.ShortDebugString();
  std::printf("sends accepted again %.2f s after PostgreSQL started\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count());
  // The users' sends go on by themselves: the servers and clients were not restarted.
  ASSERT_TRUE(traffic.each_acks(4, at_stop, 30s));
  ASSERT_TRUE(traffic.stop_sending());
  EXPECT_TRUE(traffic.all_delivered(20s));
  traffic.expect_exactly_once();
  // A send that gave up while the store was down says why.
  traffic.expect_failures_only(Code::kUnavailable);
  std::printf("%zu messages acknowledged, %zu sends failed while PostgreSQL was down\n",
              traffic.acked_total(), traffic.failure_total());
  traffic.shutdown();
}

}  // namespace
}  // namespace fastchat
