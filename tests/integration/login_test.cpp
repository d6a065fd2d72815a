// Logins with nothing to replay (DESIGN §5): a Login is a signature over the server's
// per-connection nonce by a key derived from the password; the server stores only the
// public half. A recorded login, an auth_key alone and what a stolen database holds
// do not log in; an account from before login keys moves onto one exactly once.
#include <gtest/gtest.h>

#include "chat_fixture.h"
#include "crypto/server_auth.h"
#include "store/open_store.h"

namespace fastchat::itest {
namespace {

class LoginTest : public ChatTest {
 protected:
  std::unique_ptr<RawClient> connect_with_hello() {
    auto client = std::make_unique<RawClient>(port());
    EXPECT_TRUE(client->connected());
    Status s = client->hello();
    EXPECT_TRUE(s) << s.to_string();
    return client;
  }

  Result<std::unique_ptr<store::Store>> open_store() {
    return store::open_store(servers_->db_url(), servers_->server(0).data_dir());
  }
};

TEST_F(LoginTest, EachConnectionGetsItsOwnNonce) {
  auto a = connect_with_hello();
  auto b = connect_with_hello();
  EXPECT_EQ(a->login_nonce().size(), crypto::kLoginNonceBytes);
  EXPECT_NE(a->login_nonce(), b->login_nonce());
}

TEST_F(LoginTest, ALoginRecordedOnOneConnectionFailsOnAnother) {
  register_offline("alice");
  auto original = connect_with_hello();
  const auto recorded =
      login_frame(user("alice"), original->login_nonce(), original->channel_binding());
  auto replay = connect_with_hello();
  const auto replayed = replay->call(recorded);
  EXPECT_EQ(error_of(replayed), wire::AUTH_FAILED) << replayed.ShortDebugString();
  // A relay (a TLS-terminating proxy) can hand a client the server's nonce, but the
  // client's proof then binds the client's own TLS session, not the relay's.
  const auto relayed =
      login_frame(user("alice"), replay->login_nonce(), original->channel_binding());
  EXPECT_EQ(error_of(replay->call(relayed)), wire::AUTH_FAILED);
  EXPECT_FALSE(replay->channel_binding().empty());
  EXPECT_NE(replay->channel_binding(), original->channel_binding());
  // On the connection it was made for, the same proof works.
  EXPECT_TRUE(original->call(recorded).has_auth_ok());
}

TEST_F(LoginTest, WhatTheStoreHoldsCannotLogIn) {
  register_offline("alice");
  auto db = open_store();
  ASSERT_TRUE(db) << db.status().to_string();
  auto stored = (*db)->find_user("alice");
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->auth_verifier.empty());
  EXPECT_EQ(stored->login_public_key, user("alice").login_key().public_key);

  auto client = connect_with_hello();
  // The stored public key with a proof by any other key, or no proof at all.
  auto forged =
      login_frame(TestUser::quick("alice"), client->login_nonce(), client->channel_binding());
  forged.mutable_login()->set_login_public_key(stored->login_public_key);
  EXPECT_EQ(error_of(client->call(forged)), wire::AUTH_FAILED);
  wire::Frame bare;
  bare.mutable_login()->set_username("alice");
  bare.mutable_login()->set_auth_key(user("alice").auth_key());  // the old password equivalent
  EXPECT_EQ(error_of(client->call(bare)), wire::AUTH_FAILED);
  EXPECT_TRUE(client->login(user("alice")));
}

TEST_F(LoginTest, RegisterTakesALoginKeyAndNoAuthKey) {
  auto client = connect_with_hello();
  auto frame = register_frame(user("alice"));
  frame.mutable_register_()->clear_login_public_key();
  EXPECT_EQ(error_of(client->call(frame)), wire::BAD_REQUEST);
  frame = register_frame(user("alice"));
  frame.mutable_register_()->set_auth_key(user("alice").auth_key());
  EXPECT_EQ(error_of(client->call(frame)), wire::BAD_REQUEST);
  EXPECT_TRUE(client->register_user(user("alice")));
}

TEST_F(LoginTest, AnAccountFromBeforeLoginKeysMovesOntoOneOnce) {
  const TestUser& alice = user("alice");
  {
    // As an older server registered it: only the keyed hash of the auth_key.
    auto secret = crypto::ServerAuth::load_or_create_secret(
        servers_->cluster() ? servers_->secret_file()
                            : servers_->server(0).data_dir() + "/server.key");
    ASSERT_TRUE(secret) << secret.status().to_string();
    const crypto::ServerAuth auth(std::move(*secret));
    auto db = open_store();
    ASSERT_TRUE(db) << db.status().to_string();
    store::NewUser legacy;
    legacy.username = "alice";
    legacy.auth_verifier = auth.auth_verifier("alice", alice.auth_key());
    const auto identity = alice.public_identity();
    legacy.identity = {identity.sign_public_key(), identity.box_public_key(), identity.signature()};
    ASSERT_TRUE((*db)->create_user(legacy));
  }
  auto client = connect_with_hello();
  EXPECT_EQ(client->login(alice).code(), Code::kLoginUpgradeRequired);
  auto upgrade = login_frame(alice, client->login_nonce(), client->channel_binding());
  upgrade.mutable_login()->set_auth_key(alice.auth_key());
  const auto moved = client->call(upgrade);
  ASSERT_TRUE(moved.has_auth_ok()) << moved.ShortDebugString();

  auto db = open_store();
  ASSERT_TRUE(db);
  auto stored = (*db)->find_user("alice");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->login_public_key, alice.login_key().public_key);
  EXPECT_TRUE(stored->auth_verifier.empty());
  // The upgrade, replayed elsewhere, is worth nothing; the login key now logs in.
  auto other = connect_with_hello();
  EXPECT_EQ(error_of(other->call(upgrade)), wire::AUTH_FAILED);
  EXPECT_TRUE(other->login(alice));
}

wire::Frame change_login_key(const TestUser& from, const TestUser& to, const RawClient& on) {
  const auto next = to.login_key();
  wire::Frame frame;
  frame.mutable_change_login_key()->set_new_login_public_key(next.public_key);
  frame.mutable_change_login_key()->set_proof(crypto::sign_key_change(
      from.login_key(), from.name(), on.login_nonce(), on.channel_binding(), next.public_key));
  return frame;
}

TEST_F(LoginTest, APasswordChangeNeedsTheCurrentKeyAndEndsTheOtherSessions) {
  const TestUser& alice = user("alice");
  // Both on one server: a cluster's other servers end their sessions at the next
  // reconnect (the token is revoked), not at once.
  auto first = registered(servers_->port_of(0), alice);
  ASSERT_TRUE(first);
  auto other = std::make_unique<RawClient>(servers_->port_of(0));
  ASSERT_TRUE(other->hello());
  auto other_auth = other->login(alice);
  ASSERT_TRUE(other_auth);
  const std::string other_token = other_auth->session_token();

  const auto renewed = TestUser::quick("alice");  // the "new password"'s login key
  // A proof by another key (a stolen session without the password) is refused.
  auto forged = change_login_key(TestUser::quick("alice"), renewed, *first);
  EXPECT_EQ(error_of(first->call(forged)), wire::AUTH_FAILED);
  // A proof made for another connection's nonce too.
  EXPECT_EQ(error_of(first->call(change_login_key(alice, renewed, *other))), wire::AUTH_FAILED);

  const auto changed = first->call(change_login_key(alice, renewed, *first));
  ASSERT_TRUE(changed.has_ok()) << changed.ShortDebugString();
  EXPECT_TRUE(other->wait_closed()) << "the other session's connection stays open";
  wire::Frame list;
  list.mutable_list_users();
  EXPECT_TRUE(first->call(list).has_user_list()) << "this one goes on";

  auto later = connect_with_hello();
  EXPECT_EQ(later->resume("alice", other_token).code(), Code::kSessionExpired);
  EXPECT_EQ(later->login(alice).code(), Code::kAuthFailed);  // the old key
  EXPECT_TRUE(later->login(renewed));
}

}  // namespace
}  // namespace fastchat::itest
