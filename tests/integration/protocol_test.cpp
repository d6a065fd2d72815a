// Connection set-up and accounts over real sockets: Hello, Register, Login, Resume,
// Logout, rate limiting.
#include <gtest/gtest.h>

#include "raw_client.h"
#include "test_cluster.h"
#include "test_user.h"

namespace fastchat::itest {
namespace {

class ProtocolTest : public ServerTest {
 protected:
  // One Argon2id derivation per user for the whole suite.
  static void SetUpTestSuite() {
    alice_ = new TestUser(TestUser::create("alice", "correct horse battery staple"));
  }
  static void TearDownTestSuite() {
    delete alice_;
    alice_ = nullptr;
  }
  static const TestUser& alice() { return *alice_; }

  std::unique_ptr<RawClient> connect_with_hello() {
    auto client = std::make_unique<RawClient>(port());
    EXPECT_TRUE(client->connected());
    Status s = client->hello();
    EXPECT_TRUE(s) << s.to_string();
    return client;
  }

  static TestUser* alice_;
};
TestUser* ProtocolTest::alice_ = nullptr;

wire::Frame list_users_frame() {
  wire::Frame frame;
  frame.mutable_list_users();
  return frame;
}

TEST_F(ProtocolTest, HelloReturnsServerLimits) {
  RawClient client(port());
  wire::Frame hello;
  hello.mutable_hello()->set_protocol_version(protocol::kProtocolVersion);
  const auto reply = client.call(hello);
  ASSERT_TRUE(reply.has_hello_ok()) << reply.DebugString();
  EXPECT_EQ(reply.hello_ok().protocol_version(), protocol::kProtocolVersion);
  EXPECT_EQ(reply.hello_ok().max_frame_bytes(), protocol::kMaxFrameBytes);
}

TEST_F(ProtocolTest, HelloIsRequiredFirst) {
  RawClient client(port());
  const auto reply = client.call(register_frame(alice()));
  EXPECT_EQ(error_of(reply), wire::BAD_REQUEST) << reply.DebugString();
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(ProtocolTest, WrongProtocolVersionIsRefusedAndClosed) {
  RawClient client(port());
  wire::Frame hello;
  hello.mutable_hello()->set_protocol_version(protocol::kProtocolVersion + 41);
  const auto reply = client.call(hello);
  EXPECT_EQ(error_of(reply), wire::UNSUPPORTED_VERSION) << reply.DebugString();
  EXPECT_FALSE(reply.error().message().empty());
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(ProtocolTest, SecondHelloIsABadRequest) {
  auto client = connect_with_hello();
  wire::Frame hello;
  hello.mutable_hello()->set_protocol_version(protocol::kProtocolVersion);
  EXPECT_EQ(error_of(client->call(hello)), wire::BAD_REQUEST);
  EXPECT_TRUE(client->register_user(alice()));
}

TEST_F(ProtocolTest, RequestsBeforeLoginAreRefusedButTheConnectionStaysUsable) {
  auto client = connect_with_hello();
  EXPECT_EQ(error_of(client->call(list_users_frame())), wire::NOT_AUTHENTICATED);
  wire::Frame sync;
  sync.mutable_sync();
  EXPECT_EQ(error_of(client->call(sync)), wire::NOT_AUTHENTICATED);
  wire::Frame send = direct_send(alice(), alice(), MessageId::random(), "hi");
  EXPECT_EQ(error_of(client->call(send)), wire::NOT_AUTHENTICATED);
  wire::Frame groups;
  groups.mutable_list_groups();
  EXPECT_EQ(error_of(client->call(groups)), wire::NOT_AUTHENTICATED);

  auto auth = client->register_user(alice());
  ASSERT_TRUE(auth) << auth.status().to_string();
  const auto users = client->call(list_users_frame());
  ASSERT_TRUE(users.has_user_list()) << users.DebugString();
  ASSERT_EQ(users.user_list().users_size(), 1);
  EXPECT_EQ(users.user_list().users(0).username(), "alice");
}

TEST_F(ProtocolTest, RegisterReturnsAuthOkWithAToken) {
  auto client = connect_with_hello();
  auto auth = client->register_user(alice());
  ASSERT_TRUE(auth) << auth.status().to_string();
  EXPECT_EQ(auth->username(), "alice");
  EXPECT_EQ(auth->session_token().size(), 32u);
  EXPECT_EQ(auth->acked_seq(), 0u);
  // A second login on the same connection is refused.
  EXPECT_EQ(client->login(alice()).code(), Code::kBadRequest);
}

TEST_F(ProtocolTest, DuplicateUsernameInAnyCaseIsTaken) {
  ASSERT_TRUE(registered(port(), alice()));
  for (const std::string name : {"alice", "ALICE", "Alice", "aLiCe"}) {
    auto client = connect_with_hello();
    auto frame = register_frame(alice());
    frame.mutable_register_()->set_username(name);
    const auto reply = client->call(frame);
    EXPECT_EQ(error_of(reply), wire::USERNAME_TAKEN) << name << ": " << reply.DebugString();
  }
}

TEST_F(ProtocolTest, InvalidUsernamesAreRefused) {
  auto client = connect_with_hello();
  const std::vector<std::string> names = {
      "",        "has space",          "semi;colon", "slash/",
      "ünïcödé", std::string(33, 'a'), "tab\tname",  std::string("nul\0x", 5)};
  for (const auto& name : names) {
    auto frame = register_frame(alice());
    frame.mutable_register_()->set_username(name);
    const auto reply = client->call(frame);
    EXPECT_EQ(error_of(reply), wire::INVALID_USERNAME)
        << "'" << name << "': " << reply.DebugString();
  }
  // The connection is still usable.
  EXPECT_TRUE(client->register_user(alice()));
}

TEST_F(ProtocolTest, RegisterWithIdentityNotSignedForTheNameIsRefused) {
  auto client = connect_with_hello();
  auto frame = register_frame(alice());
  frame.mutable_register_()->set_username("mallory");  // keys signed for "alice"
  EXPECT_EQ(error_of(client->call(frame)), wire::BAD_REQUEST);
  frame = register_frame(alice());
  frame.mutable_register_()->set_auth_key("short");
  EXPECT_EQ(error_of(client->call(frame)), wire::BAD_REQUEST);
}

TEST_F(ProtocolTest, LoginWithTheRightPasswordWorksInAnyCase) {
  ASSERT_TRUE(registered(port(), alice()));
  auto client = connect_with_hello();
  auto frame = login_frame(alice(), client->login_nonce(), client->channel_binding());
  frame.mutable_login()->set_username("ALICE");
  const auto reply = client->call(frame);
  ASSERT_TRUE(reply.has_auth_ok()) << reply.DebugString();
  EXPECT_EQ(reply.auth_ok().username(), "alice");
  EXPECT_EQ(reply.auth_ok().session_token().size(), 32u);
}

TEST_F(ProtocolTest, LoginWithAWrongPasswordFails) {
  ASSERT_TRUE(registered(port(), alice()));
  const auto impostor = TestUser::create("alice", "wrong password");
  auto client = connect_with_hello();
  EXPECT_EQ(client->login(impostor).code(), Code::kAuthFailed);
  // The connection stays usable: the right password still works.
  EXPECT_TRUE(client->login(alice()));
}

TEST_F(ProtocolTest, LoginOfAnUnknownUserFails) {
  auto client = connect_with_hello();
  EXPECT_EQ(client->login(TestUser::quick("nobody")).code(), Code::kUnknownUser);
}

TEST_F(ProtocolTest, RepeatedFailedLoginsAreRateLimited) {
  ASSERT_TRUE(registered(port(), alice()));
  const auto wrong = TestUser::quick("alice");  // a random auth key: a wrong password
  auto client = connect_with_hello();
  const int limit = server::LoginLimits{}.failures_per_account_address;
  for (int i = 0; i < limit; ++i) {
    ASSERT_EQ(client->login(wrong).code(), Code::kAuthFailed) << "attempt " << i;
  }
  EXPECT_EQ(client->login(wrong).code(), Code::kRateLimited);
  // Locked for everyone, the right password included, from a fresh connection too.
  EXPECT_EQ(client->login(alice()).code(), Code::kRateLimited);
  auto other = connect_with_hello();
  EXPECT_EQ(other->login(alice()).code(), Code::kRateLimited);
  EXPECT_EQ(other->resume("alice", std::string(32, 'x')).code(), Code::kRateLimited);
}

TEST_F(ProtocolTest, FailedLoginsInSomeonesNameNeverRefuseTheirValidToken) {
  auto owner = registered(port(), alice());
  ASSERT_TRUE(owner);
  auto token = connect_with_hello()->login(alice());
  ASSERT_TRUE(token);
  const auto attacker = TestUser::quick("alice");
  auto client = connect_with_hello();
  const int limit = server::LoginLimits{}.failures_per_account_address;
  for (int i = 0; i <= limit; ++i)
    (void)client->login(attacker);
  EXPECT_EQ(client->login(attacker).code(), Code::kRateLimited);
  auto resumed = connect_with_hello()->resume("alice", token->session_token());
  EXPECT_TRUE(resumed) << resumed.status().to_string();
}

TEST_F(ProtocolTest, ResumeWithTheTokenWorks) {
  auto first = registered(port(), alice());
  ASSERT_TRUE(first);
  // Keep the token from a fresh login.
  auto login = connect_with_hello();
  auto auth = login->login(alice());
  ASSERT_TRUE(auth);
  const std::string token = auth->session_token();

  auto client = connect_with_hello();
  auto resumed = client->resume("alice", token);
  ASSERT_TRUE(resumed) << resumed.status().to_string();
  EXPECT_EQ(resumed->username(), "alice");
  EXPECT_TRUE(resumed->session_token().empty());
  EXPECT_TRUE(client->call(list_users_frame()).has_user_list());
}

TEST_F(ProtocolTest, ResumeWithABadTokenFails) {
  auto first = registered(port(), alice());
  ASSERT_TRUE(first);
  auto client = connect_with_hello();
  EXPECT_EQ(client->resume("alice", std::string(32, '\x01')).code(), Code::kSessionExpired);
  EXPECT_EQ(client->resume("alice", "").code(), Code::kSessionExpired);
  // Another user's valid token does not log in as alice.
  const auto bob = TestUser::quick("bob");
  auto bob_client = connect_with_hello();
  auto bob_auth = bob_client->register_user(bob);
  ASSERT_TRUE(bob_auth);
  EXPECT_EQ(client->resume("alice", bob_auth->session_token()).code(), Code::kSessionExpired);
  // Still usable after the failures.
  EXPECT_TRUE(client->resume("bob", bob_auth->session_token()));
}

TEST_F(ProtocolTest, LogoutRevokesTheToken) {
  auto client = connect_with_hello();
  auto auth = client->register_user(alice());
  ASSERT_TRUE(auth);
  const std::string token = auth->session_token();
  {
    auto other = connect_with_hello();
    ASSERT_TRUE(other->resume("alice", token));  // valid before the logout
  }
  wire::Frame logout;
  logout.mutable_logout();
  const auto reply = client->call(logout);
  EXPECT_TRUE(reply.has_ok()) << reply.DebugString();
  EXPECT_TRUE(client->wait_closed());

  auto again = connect_with_hello();
  EXPECT_EQ(again->resume("alice", token).code(), Code::kSessionExpired);
  EXPECT_TRUE(again->login(alice()));
}

TEST_F(ProtocolTest, LocateAnswersWithTheServerItself) {
  // Each server of a cluster names itself.
  for (std::size_t i = 0; i < servers_->size(); ++i) {
    RawClient client(servers_->port_of(i));
    ASSERT_TRUE(client.hello());
    wire::Frame locate;
    locate.mutable_locate();
    const auto reply = client.call(locate);
    ASSERT_TRUE(reply.has_server_address()) << reply.DebugString();
    EXPECT_EQ(reply.server_address().port(), servers_->port_of(i));
  }
}

}  // namespace
}  // namespace fastchat::itest
