// Abuse limits that do not lock out the owner (DESIGN §5): failed logins counted per
// (account, address) first, registrations throttled per address, and the client
// address taken from a PROXY protocol v2 header when the server sits behind a proxy
// (which is also how these tests present several client addresses from one machine).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fastchat::itest
