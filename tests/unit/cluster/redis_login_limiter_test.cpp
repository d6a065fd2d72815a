#include "cluster/redis_login_limiter.h"

#include <gtest/gtest.h>

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
using testing::redis_sync;
using testing::unique_name;

// The local fallback: plain counts (no windows), and which calls reached it.
class LocalCounts final : public LoginLimiter {
 public:
  explicit LocalCounts(LoginLimits limits) : limits_(limits) {}
  void allowed(std::string_view username, std::string_view address,
               std::function<void(bool)> done) override {
    bool ok = false;
    {
      std::lock_guard lock(mutex_);
      ++checks_;
      ok = pairs_[key(username, address)] < limits_.failures_per_account_address &&
           accounts_[std::string(username)] < limits_.failures_per_account &&
           addresses_[std::string(address)] < limits_.failures_per_address;
    }
    done(ok);
  }
  void record_failure(std::string_view username, std::string_view address,
                      std::function<void()> done) override {
    {
      std::lock_guard lock(mutex_);
      ++pairs_[key(username, address)];
      ++accounts_[std::string(username)];
      ++addresses_[std::string(address)];
    }
    done();
  }
  void record_success(std::string_view username, std::string_view address) override {
    std::lock_guard lock(mutex_);
    pairs_.erase(key(username, address));
  }
  void register_allowed(std::string_view address, std::function<void(bool)> done) override {
    bool ok = false;
    {
      std::lock_guard lock(mutex_);
      ok = ++registrations_[std::string(address)] <= limits_.registrations_per_address;
    }
    done(ok);
  }
  int checks() {
    std::lock_guard lock(mutex_);
    return checks_;
  }

 private:
  static std::string key(std::string_view username, std::string_view address) {
    return std::string(username) + '\0' + std::string(address);
  }
  const LoginLimits limits_;
  std::mutex mutex_;
  std::map<std::string, int> pairs_;
  std::map<std::string, int> registrations_;
  std::map<std::string, int> accounts_;
  std::map<std::string, int> addresses_;
  int checks_ = 0;
};

struct Limiter {
  std::unique_ptr<RedisLoginLimiter> redis;
  LocalCounts* local = nullptr;

  bool allowed(const std::string& user, const std::string& address) {
    auto answer = std::make_shared<std::promise<bool>>();
    auto future = answer->get_future();
    redis->allowed(user, address, [answer](bool ok) { answer->set_value(ok); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready) << "allowed() never answered";
    return future.get();
  }
  void fail(const std::string& user, const std::string& address) {
    auto counted = std::make_shared<std::promise<void>>();
    auto future = counted->get_future();
    redis->record_failure(user, address, [counted] { counted->set_value(); });
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready) << "record_failure() hung";
  }
  bool may_register(const std::string& address) {
    auto answer = std::make_shared<std::promise<bool>>();
    auto future = answer->get_future();
    redis->register_allowed(address, [answer](bool ok) { answer->set_value(ok); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready) << "register_allowed() hung";
    return future.get();
  }
};

Limiter make_limiter(const std::string& url, LoginLimits limits,
                     std::chrono::milliseconds startup_wait = 2s) {
  auto local = std::make_unique<LocalCounts>(limits);
  Limiter out;
  out.local = local.get();
  RedisLoginLimiterOptions options{.redis_url = url, .limits = limits};
  options.startup_wait = startup_wait;
  auto created = RedisLoginLimiter::create(std::move(options), std::move(local));
  EXPECT_TRUE(created) << created.status().to_string();
  if (created) out.redis = std::move(*created);
  return out;
}

constexpr LoginLimits kLimits{.failures_per_account_address = 3,
                              .failures_per_address = 5,
                              .failures_per_account = 4,
                              .registrations_per_address = 2,
                              .window_ms = 60'000};

TEST(RedisLoginLimiterTest, ServersShareTheCounts) {
  const auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  auto a = make_limiter(*url, kLimits);
  auto b = make_limiter(*url, kLimits);
  ASSERT_TRUE(a.redis && b.redis);
  ASSERT_TRUE(a.redis->stats().connected);
  const std::string alice = unique_name("alice");
  const std::string address = unique_name("10.0.0");
  for (int i = 0; i < kLimits.failures_per_account_address; ++i) {
    EXPECT_TRUE(i % 2 == 0 ? a.allowed(alice, address) : b.allowed(alice, address));
    i % 2 == 0 ? a.fail(alice, address) : b.fail(alice, address);
  }
  // Each server saw fewer than the limit itself; together they reached it.
  EXPECT_FALSE(a.allowed(alice, address));
  EXPECT_TRUE(b.allowed(alice, unique_name("10.0.1")));  // the owner elsewhere is not locked out
  EXPECT_TRUE(b.allowed(unique_name("bob"), unique_name("10.0.2")));
  EXPECT_EQ(redis_sync(*url, {"GET", schema::login_pair_key(alice, address)}), "3");
  EXPECT_EQ(redis_sync(*url, {"GET", schema::login_account_key(alice)}), "3");
  const std::string ttl = redis_sync(*url, {"PTTL", schema::login_pair_key(alice, address)});
  EXPECT_GT(std::stoll(ttl), 0);
  EXPECT_LE(std::stoll(ttl), kLimits.window_ms);

  // A success on any server clears the pair (not the account or the address).
  b.redis->record_success(alice, address);
  EXPECT_TRUE(eventually([&] { return a.allowed(alice, address); }));
  EXPECT_EQ(redis_sync(*url, {"GET", schema::login_address_key(address)}), "3");
  // Guesses from many addresses add up per account, on every server.
  a.fail(alice, unique_name("10.0.3"));
  EXPECT_FALSE(b.allowed(alice, unique_name("10.0.4")));
  EXPECT_EQ(a.redis->stats().local_decisions, 0u);
  EXPECT_EQ(b.redis->stats().unshared_failures, 0u);
}

TEST(RedisLoginLimiterTest, AddressLimitSpansAccountsAndServers) {
  const auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  auto a = make_limiter(*url, kLimits);
  auto b = make_limiter(*url, kLimits);
  ASSERT_TRUE(a.redis && b.redis);
  const std::string address = unique_name("192.0.2");
  for (int i = 0; i < kLimits.failures_per_address; ++i)
    (i % 2 == 0 ? a : b).fail(unique_name("user"), address);
  EXPECT_FALSE(a.allowed(unique_name("fresh"), address));
  EXPECT_FALSE(b.allowed(unique_name("fresh"), address));
  EXPECT_TRUE(b.allowed(unique_name("fresh"), unique_name("192.0.3")));
}

TEST(RedisLoginLimiterTest, RegistrationsAreCountedClusterWide) {
  const auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  auto a = make_limiter(*url, kLimits);
  auto b = make_limiter(*url, kLimits);
  ASSERT_TRUE(a.redis && b.redis);
  const std::string address = unique_name("192.0.2");
  EXPECT_TRUE(a.may_register(address));
  EXPECT_TRUE(b.may_register(address));
  EXPECT_FALSE(a.may_register(address));
  EXPECT_TRUE(a.may_register(unique_name("192.0.3")));
  EXPECT_EQ(a.redis->stats().local_decisions, 0u);
}

TEST(RedisLoginLimiterTest, WindowEnds) {
  const auto url = testing::shared_redis_url();
  if (!url) FASTCHAT_SERVICE_MISSING(testing::kSkipMessage);
  LoginLimits limits = kLimits;
  limits.window_ms = 300;
  auto a = make_limiter(*url, limits);
  ASSERT_TRUE(a.redis);
  const std::string carol = unique_name("carol");
  const std::string address = unique_name("198.51.100");
  for (int i = 0; i < limits.failures_per_account_address; ++i)
    a.fail(carol, address);
  // The local fallback never forgets in this test: look at Redis' counts alone.
  EXPECT_EQ(redis_sync(*url, {"GET", schema::login_account_key(carol)}), "3");
  EXPECT_TRUE(eventually([&] {
    return redis_sync(*url, {"EXISTS", schema::login_account_key(carol)}) == "0";
  }));
  EXPECT_EQ(redis_sync(*url, {"EXISTS", schema::login_address_key(address)}), "0");
}

TEST(RedisLoginLimiterTest, RedisDownFallsBackToLocalCounts) {
  if (!testing::PrivateRedis::available()) FASTCHAT_SERVICE_MISSING("no redis-server on the PATH");
  testing::PrivateRedis redis;
  ASSERT_TRUE(redis.start()) << redis.error();
  auto a = make_limiter(redis.url(), kLimits);
  ASSERT_TRUE(a.redis);
  ASSERT_TRUE(a.redis->stats().connected);
  const std::string dave = unique_name("dave");
  a.fail(dave, "203.0.113.1");
  a.fail(dave, "203.0.113.1");
  EXPECT_TRUE(a.allowed(dave, "203.0.113.1"));

  redis.stop(/*crash=*/true);
  ASSERT_TRUE(eventually([&] { return !a.redis->stats().connected; }));
  // Not locked out by the outage: the local counts (2 of 3) decide.
  EXPECT_TRUE(a.allowed(dave, "203.0.113.1"));
  EXPECT_TRUE(a.allowed(unique_name("erin"), "203.0.113.2"));
  EXPECT_GE(a.redis->stats().local_decisions, 2u);
  // Limiting goes on: failures still complete and count locally.
  a.fail(dave, "203.0.113.1");
  EXPECT_GE(a.redis->stats().unshared_failures, 1u);
  EXPECT_FALSE(a.allowed(dave, "203.0.113.1"));

  // Redis is back (empty): counted there again; the local counts still hold dave.
  ASSERT_TRUE(redis.start()) << redis.error();
  ASSERT_TRUE(eventually([&] { return a.redis->stats().connected; }, 10s));
  const std::string frank = unique_name("frank");
  a.fail(frank, "203.0.113.3");
  EXPECT_EQ(redis_sync(redis.url(), {"GET", schema::login_account_key(frank)}), "1");
  EXPECT_FALSE(a.allowed(dave, "203.0.113.1"));
}

TEST(RedisLoginLimiterTest, UnreachableAtStartStillLimits) {
  auto a = make_limiter("unix:///nonexistent/fastchat-redis.sock", kLimits, 200ms);
  ASSERT_TRUE(a.redis);
  EXPECT_FALSE(a.redis->stats().connected);
  const std::string grace = unique_name("grace");
  for (int i = 0; i < kLimits.failures_per_account_address; ++i) {
    EXPECT_TRUE(a.allowed(grace, "a"));
    a.fail(grace, "a");
  }
  EXPECT_FALSE(a.allowed(grace, "a"));
  EXPECT_TRUE(a.allowed(unique_name("heidi"), "a"));
  EXPECT_GT(a.local->checks(), 0);
}

TEST(RedisLoginLimiterTest, AnswersAfterStop) {
  auto a = make_limiter("unix:///nonexistent/fastchat-redis.sock", kLimits, 0ms);
  ASSERT_TRUE(a.redis);
  a.redis->stop();
  a.fail("ivan", "b");
  EXPECT_TRUE(a.allowed("ivan", "b"));
  a.redis->record_success("ivan", "b");
  EXPECT_TRUE(a.may_register("b"));
  a.redis->stop();  // idempotent
}

TEST(RedisLoginLimiterTest, BadUrlIsRefused) {
  auto created = RedisLoginLimiter::create({.redis_url = "http://x", .limits = kLimits},
                                           std::make_unique<LocalCounts>(kLimits));
  EXPECT_FALSE(created);
  EXPECT_EQ(created.code(), Code::kBadRequest);
}

}  // namespace
}  // namespace fastchat::cluster
