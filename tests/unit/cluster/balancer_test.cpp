// fastchat-balancer end to end: a private Redis, heartbeats of pretend chat servers,
// the balancer, and a raw framed client.
#include "balancer/balancer.h"

#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "protocol/frame_codec.h"
#include "support/redis_test_support.h"
#include "support/service_missing.h"
#include "tls/channel.h"
#include "tls/identity.h"

namespace fastchat::balancer {
namespace {

using namespace std::chrono_literals;
using cluster::testing::eventually;

// The balancer's TLS identity for this test process (a self-signed one).
const tls::IdentityFiles& identity() {
  static const tls::IdentityFiles files = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "fastchat-balancer-XXXXXX");
    if (::mkdtemp(dir.data()) == nullptr) std::abort();
    auto made = tls::ensure_identity({}, {}, dir, {});
    if (!made) std::abort();
    return *made;
  }();
  return files;
}

// One short conversation with a balancer (or any fastchat endpoint), over TLS on a
// blocking socket (OpenSSL then blocks too).
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    static const auto ctx = *tls::ClientTls::create();
    channel_ = std::move(*tls::Channel::connect(*ctx, socket_.native_handle(), "127.0.0.1"));
    EXPECT_FALSE(channel_->handshake()) << channel_->error_text();
  }
  void send(const wire::Frame& frame) { send_raw(protocol::encode_frame(frame)); }
  void send_raw(const std::string& bytes) {
    std::size_t done = 0;
    asio::error_code ec;
    while (done < bytes.size() && !ec)
      done += channel_->write(bytes.data() + done, bytes.size() - done, ec);
  }
  // The next frame, or nullopt once the peer closed.
  std::optional<wire::Frame> receive() {
    for (;;) {
      wire::Frame frame;
      if (decoder_.next(frame) == protocol::FrameDecoder::Next::kFrame) return frame;
      auto space = decoder_.prepare(4096);
      asio::error_code ec;
      const std::size_t n = channel_->read(space.data(), space.size(), ec);
      if (ec) return std::nullopt;
      decoder_.commit(n);
    }
  }
  wire::Frame hello() {
    wire::Frame frame;
    frame.set_request_id(1);
    frame.mutable_hello()->set_protocol_version(protocol::kProtocolVersion);
    frame.mutable_hello()->set_client_name("test");
    send(frame);
    return receive().value_or(wire::Frame{});
  }
  wire::Frame locate() {
    wire::Frame frame;
    frame.set_request_id(2);
    frame.mutable_locate();
    send(frame);
    return receive().value_or(wire::Frame{});
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<tls::Channel> channel_;
  protocol::FrameDecoder decoder_;
};

std::string http_get(std::uint16_t port, const std::string& path) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n"));
  std::string response;
  asio::error_code ec;
  asio::read(socket, asio::dynamic_buffer(response), ec);
  return response;
}

// Pretend chat servers: registry heartbeats only.
class FakeServers {
 public:
  explicit FakeServers(const std::string& url)
      : redis_(thread_.io(), *cluster::parse_redis_url(url), "fake-servers") {
    thread_.run([&] { redis_.start(); });
    EXPECT_TRUE(eventually([&] { return thread_.run([&] { return redis_.connected(); }); }));
  }
  ~FakeServers() {
    thread_.run([&] {
      beats_.clear();
      redis_.stop();
    });
  }
  void add(const std::string& id, std::uint16_t port, std::uint64_t connections,
           std::chrono::milliseconds ttl = 1000ms) {
    auto& count = connections_[id];
    count = std::make_shared<std::atomic<std::uint64_t>>(connections);
    thread_.run([&] {
      auto beat = std::make_unique<cluster::Heartbeat>(
          thread_.io(), redis_, cluster::ServerAdvert{id, "127.0.0.1", port},
          [count] { return count->load(); },
          cluster::RegistryTiming{.ttl = ttl, .period = ttl / 3});
      beat->start();
      beats_[id] = std::move(beat);
    });
  }
  // A client the balancer sent to `id` connected there (the next beat reports it).
  void connected(const std::string& id) { ++*connections_.at(id); }
  // As if killed: the entry is left to expire.
  void kill(const std::string& id) {
    thread_.run([&] { beats_.erase(id); });
  }

 private:
  cluster::testing::IoThread thread_;
  cluster::RedisConnection redis_;
  std::map<std::string, std::unique_ptr<cluster::Heartbeat>> beats_;
  std::map<std::string, std::shared_ptr<std::atomic<std::uint64_t>>> connections_;
};

class BalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cluster::testing::shared_redis_url())
      FASTCHAT_SERVICE_MISSING(cluster::testing::kSkipMessage);
    if (!cluster::testing::PrivateRedis::available())
      FASTCHAT_SERVICE_MISSING("redis-server not installed");
    // A registry of our own: the shared Redis may list other tests' servers.
    ASSERT_TRUE(redis_.start()) << redis_.error();
  }

  std::unique_ptr<Balancer> start_balancer(Strategy strategy = Strategy::kLeastConnections,
                                           std::chrono::milliseconds client_timeout = 3000ms,
                                           const Clock& clock = SystemClock::instance()) {
    BalancerConfig config;
    config.listen_port = 0;
    config.redis_url = redis_.url();
    config.strategy = strategy;
    config.admin_listen = "127.0.0.1:0";
    config.refresh_period = 50ms;
    config.client_timeout = client_timeout;
    config.seed = 99;
    config.tls_cert_file = identity().cert_file;
    config.tls_key_file = identity().key_file;
    auto balancer = std::make_unique<Balancer>(config, clock);
    Status s = balancer->start();
    EXPECT_TRUE(s) << s.to_string();
    return balancer;
  }

  cluster::testing::PrivateRedis redis_;
};

TEST_F(BalancerTest, HandsOutALiveServerThenCloses) {
  FakeServers servers(redis_.url());
  servers.add("chat-1", 7601, 10);
  auto balancer = start_balancer();
  ASSERT_TRUE(eventually([&] { return balancer->stats().live_servers == 1; }));

  RawClient client(balancer->port());
  auto hello = client.hello();
  ASSERT_TRUE(hello.has_hello_ok()) << hello.DebugString();
  EXPECT_EQ(hello.request_id(), 1u);
  EXPECT_EQ(hello.hello_ok().server_name(), "fastchat-balancer");
  auto located = client.locate();
  ASSERT_TRUE(located.has_server_address()) << located.DebugString();
  EXPECT_EQ(located.request_id(), 2u);
  EXPECT_EQ(located.server_address().host(), "127.0.0.1");
  EXPECT_EQ(located.server_address().port(), 7601u);
  EXPECT_EQ(located.server_address().server_id(), "chat-1");
  EXPECT_FALSE(client.receive());  // one answer, then the balancer hangs up
  EXPECT_EQ(balancer->stats().located, 1u);
}

TEST_F(BalancerTest, NoLiveServerIsAnError) {
  auto balancer = start_balancer();
  RawClient client(balancer->port());
  ASSERT_TRUE(client.hello().has_hello_ok());
  auto reply = client.locate();
  ASSERT_TRUE(reply.has_error());
  EXPECT_EQ(reply.error().code(), wire::NO_SERVER);
  EXPECT_EQ(balancer->stats().no_server, 1u);
}

TEST_F(BalancerTest, SpreadsABurstAndSkipsDeadServers) {
  FakeServers servers(redis_.url());
  servers.add("chat-1", 7601, 0);
  servers.add("chat-2", 7602, 0);
  servers.add("chat-3", 7603, 0);
  auto balancer = start_balancer();
  ASSERT_TRUE(eventually([&] { return balancer->stats().live_servers == 3; }));
  std::map<std::string, int> counts;
  for (int i = 0; i < 300; ++i) {
    RawClient client(balancer->port());
    client.hello();
    const std::string id = client.locate().server_address().server_id();
    ++counts[id];
    servers.connected(id);
  }
  // Exactly even when the burst is quicker than a heartbeat (the picker's unit test
  // pins that). In a slow run (sanitizers on a loaded CI machine) heartbeats land
  // mid-burst, and a connection a heartbeat already counts is also still counted as a
  // local assignment for up to two beats, which skews a burst by a few percent.
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [id, n] : counts) {
    EXPECT_NEAR(n, 100, 10) << id;
  }

  // chat-3 is killed: once its heartbeat expires, nobody is sent there.
  servers.kill("chat-3");
  ASSERT_TRUE(eventually([&] { return balancer->stats().live_servers == 2; }, 2s));
  for (int i = 0; i < 30; ++i) {
    RawClient client(balancer->port());
    client.hello();
    EXPECT_NE(client.locate().server_address().server_id(), "chat-3");
  }
}

TEST_F(BalancerTest, RefusesAnythingButHelloThenLocate) {
  auto balancer = start_balancer();
  {
    RawClient client(balancer->port());
    auto reply = client.locate();  // no Hello first
    ASSERT_TRUE(reply.has_error());
    EXPECT_EQ(reply.error().code(), wire::BAD_REQUEST);
    EXPECT_FALSE(client.receive());
  }
  {
    RawClient client(balancer->port());
    ASSERT_TRUE(client.hello().has_hello_ok());
    wire::Frame login;
    login.set_request_id(5);
    login.mutable_login()->set_username("alice");
    client.send(login);
    auto reply = client.receive();
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), wire::BAD_REQUEST);
    EXPECT_EQ(reply->request_id(), 5u);
  }
  {
    RawClient client(balancer->port());
    client.send_raw(std::string("\x00\x10\x00\x00", 4));  // announces 1 MiB
    auto reply = client.receive();
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), wire::FRAME_TOO_LARGE);
  }
  {
    RawClient client(balancer->port());
    wire::Frame hello;
    hello.mutable_hello()->set_protocol_version(999);
    client.send(hello);
    auto reply = client.receive();
    ASSERT_TRUE(reply && reply->has_error());
    EXPECT_EQ(reply->error().code(), wire::UNSUPPORTED_VERSION);
  }
  {
    // Silence: dropped after the client timeout.
    RawClient client(balancer->port());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(client.receive());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  }
  // (The balancer counts the timeout once its read fails, just after the close.)
  EXPECT_TRUE(eventually([&] { return balancer->stats().bad_requests >= 4; }));
}

// The system clock, except that once armed, the next reading (on the balancer's loop)
// holds that loop until a given time: a loop busy for longer than a client's deadline.
class StallingClock final : public Clock {
 public:
  std::int64_t now_ms() const override {
    std::unique_lock lock(mutex_);
    if (stall_until_) {
      const auto until = *stall_until_;
      stall_until_.reset();
      stalled_ = true;
      changed_.notify_all();
      lock.unlock();
      std::this_thread::sleep_until(until);
    }
    return SystemClock::instance().now_ms();
  }
  void stall_next_reading_until(std::chrono::steady_clock::time_point until) {
    std::lock_guard lock(mutex_);
    stall_until_ = until;
  }
  void wait_until_stalled() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stalled_; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable std::optional<std::chrono::steady_clock::time_point> stall_until_;
  mutable bool stalled_ = false;
};

// A client's request and its deadline both become ready while the loop is busy: the
// request completes first and ends the conversation, then the deadline's handler runs.
// It must not touch the finished conversation (a use-after-free under ASan before).
TEST_F(BalancerTest, ADeadlineThatFiresAsTheConversationEndsTouchesNothingFreed) {
  StallingClock clock;
  constexpr auto kTimeout = 1500ms;
  auto balancer = start_balancer(Strategy::kLeastConnections, kTimeout, clock);
  const auto connected = std::chrono::steady_clock::now();
  RawClient client(balancer->port());
  ASSERT_TRUE(client.hello().has_hello_ok());

  // The balancer's next registry refresh holds its loop past this client's deadline.
  clock.stall_next_reading_until(connected + kTimeout + 100ms);
  clock.wait_until_stalled();
  wire::Frame locate;
  locate.set_request_id(2);
  locate.mutable_locate();
  client.send(locate);
  client.receive();  // an answer or a close, whichever the balancer did first

  RawClient next(balancer->port());
  EXPECT_TRUE(next.hello().has_hello_ok());
  EXPECT_TRUE(eventually([&] { return balancer->stats().connections_open == 1; }));
}

TEST_F(BalancerTest, ExposesMetricsAndHealth) {
  auto balancer = start_balancer();
  ASSERT_NE(balancer->admin_port(), 0);
  // No server yet: not healthy.
  ASSERT_TRUE(eventually([&] { return balancer->stats().registry_fresh; }));
  auto health = http_get(balancer->admin_port(), "/healthz");
  EXPECT_NE(health.find(" 503 "), std::string::npos) << health;
  EXPECT_NE(health.find("no live chat server"), std::string::npos);

  FakeServers servers(redis_.url());
  servers.add("chat-1", 7601, 0);
  ASSERT_TRUE(eventually([&] { return balancer->stats().live_servers == 1; }));
  health = http_get(balancer->admin_port(), "/healthz");
  EXPECT_NE(health.find(" 200 "), std::string::npos) << health;
  RawClient client(balancer->port());
  client.hello();
  client.locate();

  auto metrics = http_get(balancer->admin_port(), "/metrics");
  EXPECT_NE(metrics.find(" 200 "), std::string::npos);
  EXPECT_NE(metrics.find("fastchat_balancer_locates_total{result=\"ok\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("fastchat_balancer_live_servers 1"), std::string::npos);
  EXPECT_NE(metrics.find("# TYPE fastchat_balancer_locates_total counter"), std::string::npos);
}

TEST_F(BalancerTest, StartFailsCleanly) {
  BalancerConfig config;
  config.listen_port = 0;
  config.redis_url = "redis://127.0.0.1:1";
  EXPECT_EQ(Balancer(config).start().code(), Code::kUnavailable);
  config.redis_url = "nope";
  EXPECT_EQ(Balancer(config).start().code(), Code::kBadRequest);
  config.redis_url = redis_.url();
  // No TLS identity and no --insecure-plaintext: refused.
  EXPECT_EQ(Balancer(config).start().code(), Code::kBadRequest);
  config.tls_cert_file = identity().cert_file;
  config.tls_key_file = identity().cert_file;  // not a key
  EXPECT_EQ(Balancer(config).start().code(), Code::kBadRequest);
  config.tls_key_file = identity().key_file;
  config.listen_host = "not-an-address";
  EXPECT_EQ(Balancer(config).start().code(), Code::kBadRequest);
}

}  // namespace
}  // namespace fastchat::balancer
