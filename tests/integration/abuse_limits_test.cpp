// Abuse limits that do not lock out the owner (DESIGN §5): failed logins counted per
// (account, address) first, registrations throttled per address, and the client
// address taken from a PROXY protocol v2 header when the server sits behind a proxy
// (which is also how these tests present several client addresses from one machine);
// per-user send limits; logged-in connections that stay silent are closed.
#include <gtest/gtest.h>

#include <chrono>

#include "chat_fixture.h"
#include "protocol/proxy_header.h"

namespace fastchat::itest {
namespace {

class ProxiedTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.proxy_protocol = true;
    config.login_limits.registrations_per_address = 2;
  }

  // A client whose proxy says it comes from `address`, after Hello.
  std::unique_ptr<RawClient> from(const std::string& address, std::size_t server = 0) {
    auto header = protocol::encode_proxy_header(address, 40000, "10.0.0.1", 7600);
    EXPECT_TRUE(header) << header.status().to_string();
    auto client = std::make_unique<RawClient>(servers_->port_of(server), Transport::kTls,
                                              header ? *header : std::string());
    EXPECT_TRUE(client->connected()) << "through the proxy from " << address;
    Status s = client->hello();
    EXPECT_TRUE(s) << s.to_string();
    return client;
  }
};

TEST_F(ProxiedTest, FailedLoginsFromOneAddressDoNotLockTheOwnerOutElsewhere) {
  ASSERT_TRUE(from("198.51.100.2")->register_user(user("alice")));
  const auto guess = TestUser::quick("alice");  // a wrong password
  const int limit = server::LoginLimits{}.failures_per_account_address;
  // Spread over the cluster's servers when there are several: the counts are shared.
  for (int i = 0; i < limit; ++i) {
    auto attacker = from("203.0.113.7", i % servers_->size());
    ASSERT_EQ(attacker->login(guess).code(), Code::kAuthFailed) << "attempt " << i;
  }
  EXPECT_EQ(from("203.0.113.7")->login(guess).code(), Code::kRateLimited);
  EXPECT_EQ(from("203.0.113.7")->login(user("alice")).code(), Code::kRateLimited)
      << "the guesser's address is stopped, the right password included";
  auto owner = from("198.51.100.2", servers_->size() - 1)->login(user("alice"));
  EXPECT_TRUE(owner) << "the owner, elsewhere: " << owner.status().to_string();
}

TEST_F(ProxiedTest, RegistrationsAreThrottledPerClientAddress) {
  EXPECT_TRUE(from("203.0.113.9")->register_user(TestUser::quick("reg1")));
  EXPECT_TRUE(from("203.0.113.9", servers_->size() - 1)->register_user(TestUser::quick("reg2")));
  auto refused = from("203.0.113.9")->register_user(TestUser::quick("reg3"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.code(), Code::kRateLimited) << refused.status().to_string();
  EXPECT_TRUE(from("203.0.113.10")->register_user(TestUser::quick("reg3")));
}

TEST_F(ProxiedTest, AConnectionWithoutAProxyHeaderIsClosedAndOthersAreServed) {
  RawClient direct(port());  // a TLS ClientHello where the header should be
  EXPECT_FALSE(direct.connected());
  RawClient garbage(port(), Transport::kPlaintext, std::string(16, 'x'));
  EXPECT_TRUE(garbage.wait_closed()) << "the server keeps a connection with a bad header";
  EXPECT_TRUE(from("192.0.2.1")->register_user(user("bob")));
}

class LoopbackRegistrationTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.login_limits.registrations_per_address = 2;
  }
};

TEST_F(LoopbackRegistrationTest, RegistrationsFromTheServersOwnMachineAreNotThrottled) {
  for (const char* name : {"loop1", "loop2", "loop3"}) {
    RawClient client(port());
    ASSERT_TRUE(client.hello());
    EXPECT_TRUE(client.register_user(TestUser::quick(name))) << name;
  }
}

class SendLimitTest : public ChatTest {
 protected:
  static constexpr int kBurst = 5;
  void configure(server::ServerConfig& config) override {
    config.send_limits = {.messages_per_second = 1,
                          .message_burst = kBurst,
                          .bytes_per_second = 1000,
                          .byte_burst = 8000};
    servers_->set_clock(clock_);  // the window passes when the test says so
  }
  ManualClock clock_;
};

TEST_F(SendLimitTest, ABurstAboveTheLimitIsRefusedAndNothingOfItIsStored) {
  register_offline("bob");
  auto alice = online("alice");
  auto carol = online("carol");
  ASSERT_TRUE(alice && carol);
  std::vector<wire::Frame> burst;
  std::vector<MessageId> ids;
  for (int i = 0; i < kBurst + 3; ++i) {
    ids.push_back(MessageId::random());
    burst.push_back(direct_send(user("alice"), user("bob"), ids.back(), "m" + std::to_string(i)));
  }
  const auto requests = alice->request_all(std::move(burst));
  for (int i = 0; i < kBurst; ++i)
    ASSERT_TRUE(send_ok(*alice, requests[i])) << i;
  for (int i = kBurst; i < kBurst + 3; ++i) {
    auto reply = alice->response(requests[i]);
    ASSERT_TRUE(reply && reply->has_error()) << (reply ? reply->ShortDebugString() : "timeout");
    EXPECT_EQ(reply->error().code(), wire::RATE_LIMITED) << reply->ShortDebugString();
    EXPECT_NE(reply->error().message().find("send again"), std::string::npos)
        << "no retry guidance: " << reply->error().message();
  }
  EXPECT_EQ(counter(&server::ServerCounters::sends_rate_limited), 3u);
  // Another user is unaffected.
  ASSERT_TRUE(send_ok(*carol, carol->request(direct_send(user("carol"), user("bob"),
                                                         MessageId::random(), "from carol"))));
  // After the window alice may send again (one per second).
  clock_.advance_ms(1'000);
  const auto later = MessageId::random();
  ASSERT_TRUE(
      send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), later, "later"))));
  EXPECT_EQ(
      alice->call(direct_send(user("alice"), user("bob"), MessageId::random(), "x")).error().code(),
      wire::RATE_LIMITED);

  // Bob's inbox holds the accepted five, carol's and the later one: no refused message.
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all(0, 100);
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), static_cast<std::size_t>(kBurst + 2));
  for (int i = 0; i < kBurst; ++i)
    EXPECT_EQ((*items)[i].message_id(), ids[i].to_bytes()) << i;
  EXPECT_EQ(items->back().message_id(), later.to_bytes());
}

TEST_F(SendLimitTest, BytesAreLimitedToo) {
  register_offline("bob");
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  const std::string big(3000, 'b');
  ASSERT_TRUE(send_ok(
      *alice, alice->request(direct_send(user("alice"), user("bob"), MessageId::random(), big))));
  ASSERT_TRUE(send_ok(
      *alice, alice->request(direct_send(user("alice"), user("bob"), MessageId::random(), big))));
  auto refused = alice->call(direct_send(user("alice"), user("bob"), MessageId::random(), big));
  ASSERT_TRUE(refused.has_error()) << refused.ShortDebugString();
  EXPECT_EQ(refused.error().code(), wire::RATE_LIMITED);
  EXPECT_NE(refused.error().message().find("bytes"), std::string::npos)
      << refused.error().message();
  // A short message still fits what is left of the byte allowance.
  EXPECT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"),
                                                         MessageId::random(), "short"))));
  clock_.advance_ms(4'000);
  EXPECT_TRUE(send_ok(
      *alice, alice->request(direct_send(user("alice"), user("bob"), MessageId::random(), big))));
}

class IdleTimeoutTest : public ChatTest {
 protected:
  static constexpr std::chrono::milliseconds kIdle{1000};
  void configure(server::ServerConfig& config) override { config.idle_timeout_ms = kIdle.count(); }
  static wire::Frame ping() {
    wire::Frame frame;
    frame.mutable_ping();
    return frame;
  }
};

TEST_F(IdleTimeoutTest, ASilentLoggedInConnectionIsClosedAndAPingingOneStays) {
  const auto start = std::chrono::steady_clock::now();  // before alice's last byte
  auto silent = online("alice");
  auto pinging = online("bob");
  ASSERT_TRUE(silent && pinging);
  // Bob pings at a quarter of the timeout; waiting for alice's close is the pause.
  while (!silent->wait_closed(kIdle / 4)) {
    auto pong = pinging->call(ping());
    ASSERT_TRUE(pong.has_ok()) << pong.ShortDebugString();
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20))
        << "the silent connection was never closed";
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, kIdle) << "closed before the timeout";
  EXPECT_GE(counter(&server::ServerCounters::idle_closed), 1u);
  // Bob, still pinging, outlives several timeouts.
  const auto until = std::chrono::steady_clock::now() + 4 * kIdle;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_FALSE(pinging->wait_closed(kIdle / 4)) << "a pinging connection was closed";
    auto pong = pinging->call(ping());
    ASSERT_TRUE(pong.has_ok()) << pong.ShortDebugString();
  }
  EXPECT_EQ(counter(&server::ServerCounters::idle_closed), 1u);
}

}  // namespace
}  // namespace fastchat::itest
