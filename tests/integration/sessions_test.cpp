// Sessions a user controls (DESIGN §5): tokens expire when idle (time injected), are
// bound to the device that logged in (a token alone or a recorded Resume resumes
// nothing), and their owner lists and revokes them; a revoked session's connection
// ends at once on whichever server of a cluster it is.
#include <gtest/gtest.h>

#include "chat_fixture.h"
#include "crypto/device_key.h"

namespace fastchat::itest {
namespace {

constexpr std::int64_t kIdleTimeoutS = 3600;

class SessionsTest : public ChatTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.session_idle_timeout_s = kIdleTimeoutS;
    servers_->set_clock(clock_);
  }

  std::unique_ptr<RawClient> connect_to(std::uint16_t port) {
    auto client = std::make_unique<RawClient>(port);
    EXPECT_TRUE(client->connected());
    Status s = client->hello();
    EXPECT_TRUE(s) << s.to_string();
    return client;
  }

  // Logs `user` in on `client` from the device `device` named `name`; the token.
  std::string login_from(RawClient& client, const TestUser& user, const crypto::LoginKey& device,
                         const std::string& name) {
    auto frame = login_frame(user, client.login_nonce(), client.channel_binding());
    frame.mutable_login()->set_device_public_key(device.public_key);
    frame.mutable_login()->set_device_name(name);
    auto reply = client.call(frame);
    EXPECT_TRUE(reply.has_auth_ok()) << reply.ShortDebugString();
    return reply.auth_ok().session_token();
  }

  // A Resume of `user`'s `token` signed by `device` for `client`'s connection.
  static wire::Frame signed_resume(RawClient& client, const std::string& user,
                                   const std::string& token, const crypto::LoginKey& device) {
    return resume_frame(
        user, token,
        crypto::sign_resume(device, user, client.login_nonce(), client.channel_binding()));
  }

  static wire::SessionList list(RawClient& client) {
    wire::Frame frame;
    frame.mutable_list_sessions();
    auto reply = client.call(frame);
    EXPECT_TRUE(reply.has_session_list()) << reply.ShortDebugString();
    return reply.session_list();
  }

  static wire::Frame revoke(std::uint32_t id, bool all_others = false) {
    wire::Frame frame;
    frame.mutable_revoke_session()->set_session_id(id);
    frame.mutable_revoke_session()->set_all_others(all_others);
    return frame;
  }

  // The id of the listed session named `device_name`.
  static std::uint32_t id_of(const wire::SessionList& sessions, const std::string& device_name) {
    for (const auto& s : sessions.sessions()) {
      if (s.device_name() == device_name) return s.session_id();
    }
    ADD_FAILURE() << "no session of device '" << device_name << "'";
    return 0;
  }

  ManualClock clock_;
  const TestUser alice_ = TestUser::quick("alice");
  const crypto::LoginKey laptop_ = crypto::new_device_key();
  const crypto::LoginKey phone_ = crypto::new_device_key();
};

TEST_F(SessionsTest, ATokenIdleLongerThanTheTimeoutMustLogInAgain) {
  auto first = connect_to(port());
  auto registered = first->register_user(alice_);
  ASSERT_TRUE(registered) << registered.status().to_string();
  const std::string token = registered->session_token();
  first.reset();

  // Each use moves the deadline on.
  clock_.advance_ms((kIdleTimeoutS - 10) * 1000);
  ASSERT_TRUE(connect_to(port())->resume("alice", token));
  clock_.advance_ms((kIdleTimeoutS - 10) * 1000);
  ASSERT_TRUE(connect_to(port())->resume("alice", token));
  // Then idle for the whole timeout: refused, with the code the client turns into
  // "log in again"; the password still logs in.
  clock_.advance_ms(kIdleTimeoutS * 1000);
  auto late = connect_to(port());
  auto expired = late->resume("alice", token);
  EXPECT_EQ(expired.code(), Code::kSessionExpired) << expired.status().to_string();
  EXPECT_TRUE(late->login(alice_));
}

TEST_F(SessionsTest, ATokenWithoutItsDevicesSignatureDoesNotResume) {
  auto first = connect_to(port());
  auto registered = first->register_user(alice_);
  ASSERT_TRUE(registered);
  const std::string token = registered->session_token();

  auto thief = connect_to(port());
  // The token alone (a stolen session file without the device key).
  EXPECT_EQ(error_of(thief->call(resume_frame("alice", token))), wire::AUTH_FAILED);
  // Signed by another device.
  EXPECT_EQ(error_of(thief->call(signed_resume(*thief, "alice", token, laptop_))),
            wire::AUTH_FAILED);
  // A Resume recorded on one connection, replayed on another.
  auto original = connect_to(port());
  const auto recorded = signed_resume(*original, "alice", token, test_device_key());
  EXPECT_EQ(error_of(thief->call(recorded)), wire::AUTH_FAILED);
  // On the connection it was made for, by the device, it resumes.
  EXPECT_TRUE(original->call(recorded).has_auth_ok());
}

TEST_F(SessionsTest, ListingShowsEachDeviceAndWhichSessionIsThisOne) {
  auto desk = connect_to(servers_->port_of(0));
  ASSERT_TRUE(desk->register_user(alice_));
  auto laptop = connect_to(servers_->port_of(0));
  login_from(*laptop, alice_, laptop_, "fastchat on laptop");
  clock_.advance_ms(5000);
  auto phone = connect_to(servers_->port_of(servers_->size() - 1));
  login_from(*phone, alice_, phone_, "phone");
  phone.reset();

  const auto listed = list(*laptop);
  ASSERT_EQ(listed.sessions_size(), 3);
  EXPECT_FALSE(listed.has_more());
  EXPECT_EQ(listed.sessions(0).device_name(), "phone");  // most recently used first
  EXPECT_FALSE(listed.sessions(0).current());
  for (const auto& s : listed.sessions()) {
    EXPECT_NE(s.session_id(), 0u);
    EXPECT_EQ(s.created_ms(), s.last_used_ms());
    if (s.device_name() == "fastchat on laptop") {
      EXPECT_TRUE(s.current());
      EXPECT_TRUE(s.connected());
      EXPECT_EQ(s.device_id(), crypto::device_id_of(laptop_.public_key));
    } else if (s.device_name() == kTestDeviceName) {
      EXPECT_FALSE(s.current());
      EXPECT_TRUE(s.connected());  // desk, on the same server
      EXPECT_EQ(s.device_id(), crypto::device_id_of(test_device_key().public_key));
    } else {
      EXPECT_EQ(s.device_name(), "phone");
      EXPECT_EQ(s.last_used_ms(), listed.sessions(1).last_used_ms() + 5000);
    }
  }
  // Bob sees only his own.
  auto bob = connect_to(port());
  ASSERT_TRUE(bob->register_user(TestUser::quick("bob")));
  const auto bobs = list(*bob);
  ASSERT_EQ(bobs.sessions_size(), 1);
  EXPECT_TRUE(bobs.sessions(0).current());
}

TEST_F(SessionsTest, RevokingASessionEndsItsConnectionOnAnyServer) {
  auto desk = connect_to(servers_->port_of(0));
  auto registered = desk->register_user(alice_);
  ASSERT_TRUE(registered);
  auto laptop = connect_to(servers_->port_of(servers_->size() - 1));
  login_from(*laptop, alice_, laptop_, "laptop");

  const std::uint32_t desk_id = id_of(list(*laptop), std::string(kTestDeviceName));
  const auto revoked = laptop->call(revoke(desk_id));
  ASSERT_TRUE(revoked.has_sessions_revoked()) << revoked.ShortDebugString();
  EXPECT_EQ(revoked.sessions_revoked().revoked(), 1u);
  EXPECT_TRUE(desk->wait_closed()) << "the revoked session's connection stays open";
  EXPECT_EQ(connect_to(port())->resume("alice", registered->session_token()).code(),
            Code::kSessionExpired);
  // The revoker goes on; the revoked session is no longer listed.
  const auto left = list(*laptop);
  ASSERT_EQ(left.sessions_size(), 1);
  EXPECT_TRUE(left.sessions(0).current());
}

TEST_F(SessionsTest, RevokingAllOthersEndsEveryOtherConnection) {
  std::vector<std::unique_ptr<RawClient>> others;
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < 2; ++i) {
    others.push_back(connect_to(servers_->port_of(i % servers_->size())));
    tokens.push_back(i == 0 ? others.back()->register_user(alice_)->session_token()
                            : login_from(*others.back(), alice_, phone_, "phone"));
  }
  auto keeper = connect_to(servers_->port_of(2 % servers_->size()));
  login_from(*keeper, alice_, laptop_, "laptop");
  const auto revoked = keeper->call(revoke(0, /*all_others=*/true));
  ASSERT_TRUE(revoked.has_sessions_revoked()) << revoked.ShortDebugString();
  EXPECT_EQ(revoked.sessions_revoked().revoked(), 2u);
  for (auto& other : others)
    EXPECT_TRUE(other->wait_closed());
  EXPECT_EQ(connect_to(port())->resume("alice", tokens[0]).code(), Code::kSessionExpired);
  const auto left = list(*keeper);
  ASSERT_EQ(left.sessions_size(), 1);
  EXPECT_EQ(left.sessions(0).device_name(), "laptop");
}

TEST_F(SessionsTest, OnlyTheOwnersOtherSessionsCanBeRevoked) {
  auto alice = connect_to(port());
  ASSERT_TRUE(alice->register_user(alice_));
  auto bob = connect_to(port());
  ASSERT_TRUE(bob->register_user(TestUser::quick("bob")));
  const std::uint32_t bobs_id = list(*bob).sessions(0).session_id();
  const std::uint32_t own_id = list(*alice).sessions(0).session_id();

  // Bob's session is not alice's to name: nothing happens to it.
  const auto foreign = alice->call(revoke(bobs_id));
  ASSERT_TRUE(foreign.has_sessions_revoked()) << foreign.ShortDebugString();
  EXPECT_EQ(foreign.sessions_revoked().revoked(), 0u);
  EXPECT_EQ(list(*bob).sessions_size(), 1);
  // The current session is ended by Logout; 0 names nothing.
  EXPECT_EQ(error_of(alice->call(revoke(own_id))), wire::BAD_REQUEST);
  EXPECT_EQ(error_of(alice->call(revoke(0))), wire::BAD_REQUEST);
  // Before login there is nothing to list.
  auto stranger = connect_to(port());
  wire::Frame frame;
  frame.mutable_list_sessions();
  EXPECT_EQ(error_of(stranger->call(frame)), wire::NOT_AUTHENTICATED);
}

TEST_F(SessionsTest, APasswordChangeEndsTheOtherSessionsOnEveryServer) {
  auto other = connect_to(servers_->port_of(0));
  auto registered = other->register_user(alice_);
  ASSERT_TRUE(registered);
  auto changer = connect_to(servers_->port_of(servers_->size() - 1));
  login_from(*changer, alice_, laptop_, "laptop");
  const auto renewed = TestUser::quick("alice");
  wire::Frame change;
  change.mutable_change_login_key()->set_new_login_public_key(renewed.login_key().public_key);
  change.mutable_change_login_key()->set_proof(
      crypto::sign_key_change(alice_.login_key(), "alice", changer->login_nonce(),
                              changer->channel_binding(), renewed.login_key().public_key));
  const auto changed = changer->call(change);
  ASSERT_TRUE(changed.has_ok()) << changed.ShortDebugString();
  EXPECT_TRUE(other->wait_closed()) << "the other session's connection stays open";
  EXPECT_EQ(list(*changer).sessions_size(), 1);
}

}  // namespace
}  // namespace fastchat::itest
