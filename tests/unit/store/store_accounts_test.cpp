// Backend-neutral tests of the Store's accounts and sessions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_test_fixture.h"

namespace fastchat::store::test {
namespace {

using ::testing::ElementsAre;

class StoreAccountsTest : public StoreTest {
 protected:
  std::vector<std::string> names(std::string_view pattern, std::size_t limit = 100,
                                 std::string_view after = {}) {
    auto users = store().list_users(pattern, limit, after);
    EXPECT_TRUE(users) << users.status().to_string();
    std::vector<std::string> out;
    if (users) {
      for (const auto& user : *users)
        out.push_back(user.username);
    }
    return out;
  }
};

TEST_P(StoreAccountsTest, CreatedUserIsFoundByNameAndId) {
  const UserId id = add_user("alice");
  ASSERT_NE(id, 0);
  const NewUser expected = new_user("alice");

  auto by_name = store().find_user("alice");
  ASSERT_TRUE(by_name) << by_name.status().to_string();
  EXPECT_EQ(by_name->id, id);
  EXPECT_EQ(by_name->username, "alice");
  EXPECT_EQ(by_name->auth_verifier, expected.auth_verifier);
  EXPECT_EQ(by_name->identity.sign_public_key, expected.identity.sign_public_key);
  EXPECT_EQ(by_name->identity.box_public_key, expected.identity.box_public_key);
  EXPECT_EQ(by_name->identity.signature, expected.identity.signature);
  EXPECT_EQ(by_name->acked_seq, 0u);
  EXPECT_EQ(by_name->last_seq, 0u);

  auto by_id = store().find_user_by_id(id);
  ASSERT_TRUE(by_id) << by_id.status().to_string();
  EXPECT_EQ(by_id->username, "alice");
  EXPECT_EQ(by_id->auth_verifier, expected.auth_verifier);
}

TEST_P(StoreAccountsTest, UsersGetDistinctIds) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  EXPECT_NE(alice, 0);
  EXPECT_NE(bob, 0);
  EXPECT_NE(alice, bob);
}

TEST_P(StoreAccountsTest, FindUserIgnoresCase) {
  const UserId id = add_user("alice");
  auto found = store().find_user("ALICE");
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->username, "alice");
}

TEST_P(StoreAccountsTest, DuplicateUsernameIsTakenWhateverTheCase) {
  add_user("alice");
  EXPECT_EQ(store().create_user(new_user("alice")).code(), Code::kUsernameTaken);
  EXPECT_EQ(store().create_user(new_user("Alice")).code(), Code::kUsernameTaken);
  EXPECT_EQ(names(""), std::vector<std::string>{"alice"});
}

TEST_P(StoreAccountsTest, UnknownUserIsReported) {
  add_user("alice");
  EXPECT_EQ(store().find_user("bob").code(), Code::kUnknownUser);
  EXPECT_EQ(store().find_user("").code(), Code::kUnknownUser);
  EXPECT_EQ(store().find_user_by_id(424242).code(), Code::kUnknownUser);
  EXPECT_EQ(store().find_user_by_id(0).code(), Code::kUnknownUser);
  EXPECT_EQ(store().find_user_by_id(-1).code(), Code::kUnknownUser);
}

TEST_P(StoreAccountsTest, ListUsersMatchesSubstringsInNameOrder) {
  for (const char* name : {"carol", "alice", "bob", "alina", "mallory"})
    add_user(name);
  EXPECT_THAT(names(""), ElementsAre("alice", "alina", "bob", "carol", "mallory"));
  EXPECT_THAT(names("li"), ElementsAre("alice", "alina"));
  EXPECT_THAT(names("LI"), ElementsAre("alice", "alina"));
  EXPECT_THAT(names("o"), ElementsAre("bob", "carol", "mallory"));
  EXPECT_THAT(names("zed"), ElementsAre());
}

TEST_P(StoreAccountsTest, ListUsersStopsAtLimit) {
  for (const char* name : {"dave", "carol", "bob", "alice"})
    add_user(name);
  EXPECT_THAT(names("", 2), ElementsAre("alice", "bob"));
  EXPECT_THAT(names("a", 1), ElementsAre("alice"));
  EXPECT_THAT(names("", 0), ElementsAre());
  EXPECT_EQ(names("", static_cast<std::size_t>(-1)).size(), 4u);
}

TEST_P(StoreAccountsTest, ListUsersPagesAfterACursor) {
  for (const char* name : {"dave", "carol", "bob", "alice", "alina"})
    add_user(name);
  EXPECT_THAT(names("", 2, "alice"), ElementsAre("alina", "bob"));
  EXPECT_THAT(names("", 2, "bob"), ElementsAre("carol", "dave"));
  EXPECT_THAT(names("", 2, "dave"), ElementsAre());
  EXPECT_THAT(names("al", 5, "alice"), ElementsAre("alina"));
  EXPECT_THAT(names("", 5, "b"), ElementsAre("bob", "carol", "dave"));  // not a user: fine
}

TEST_P(StoreAccountsTest, ListUsersTakesWildcardsLiterally) {
  // Valid usernames only: a-z 0-9 _ . - (the caller validates; the store need not).
  for (const char* name : {"a_b", "axb", "a.b", "a-b", "ab"})
    add_user(name);
  EXPECT_THAT(names("_"), ElementsAre("a_b"));
  EXPECT_THAT(names("a_b"), ElementsAre("a_b"));
  EXPECT_THAT(names("%"), ElementsAre());
  EXPECT_THAT(names("a%b"), ElementsAre());
  EXPECT_THAT(names("\\"), ElementsAre());
  EXPECT_THAT(names("\\_"), ElementsAre());
  EXPECT_THAT(names("."), ElementsAre("a.b"));
  EXPECT_THAT(names("'"), ElementsAre());  // and no SQL injection either
  EXPECT_THAT(names("' OR 1=1 --"), ElementsAre());
}

TEST_P(StoreAccountsTest, SessionIsFoundUntilItExpires) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session({"token-hash-1", alice, kNow, kNow + 1000}));
  auto found = store().find_session("token-hash-1", kNow + 999);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, alice);  // the user's record comes with the session
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(found->auth_verifier, new_user("alice").auth_verifier);
  EXPECT_EQ(found->last_seq, 0u);
  EXPECT_EQ(store().find_session("token-hash-1", kNow + 1000).code(), Code::kAuthFailed);
  EXPECT_EQ(store().find_session("token-hash-1", kNow + 5000).code(), Code::kAuthFailed);
}

TEST_P(StoreAccountsTest, UnknownSessionFailsAuthentication) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session({"token-hash-1", alice, kNow, kNow + 1000}));
  EXPECT_EQ(store().find_session("token-hash-2", kNow).code(), Code::kAuthFailed);
  EXPECT_EQ(store().find_session("", kNow).code(), Code::kAuthFailed);
}

TEST_P(StoreAccountsTest, DeletedSessionIsGone) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session({"one", alice, kNow, kNow + 1000}));
  ASSERT_TRUE(store().create_session({"two", alice, kNow, kNow + 1000}));
  EXPECT_TRUE(store().delete_session("one"));
  EXPECT_EQ(store().find_session("one", kNow).code(), Code::kAuthFailed);
  EXPECT_TRUE(store().find_session("two", kNow));
  EXPECT_TRUE(store().delete_session("one"));  // deleting again is fine
  EXPECT_TRUE(store().delete_session("never-existed"));
}

TEST_P(StoreAccountsTest, SessionTokenIsUnique) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  ASSERT_TRUE(store().create_session({"token", alice, kNow, kNow + 1000}));
  EXPECT_FALSE(store().create_session({"token", bob, kNow, kNow + 1000}));
  auto found = store().find_session("token", kNow);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, alice);
}

TEST_P(StoreAccountsTest, SessionTokensAreBinary) {
  const UserId alice = add_user("alice");
  const std::string token("\0\x01\xfe\xff", 4);
  ASSERT_TRUE(store().create_session({token, alice, kNow, kNow + 1000}));
  EXPECT_EQ(store().find_session(std::string("\0\x01\xfe", 3), kNow).code(), Code::kAuthFailed);
  auto found = store().find_session(token, kNow);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, alice);
}

TEST_P(StoreAccountsTest, SessionForUnknownUserIsRefused) {
  EXPECT_EQ(store().create_session({"token", 4242, kNow, kNow + 1000}).code(), Code::kUnknownUser);
  EXPECT_EQ(store().find_session("token", kNow).code(), Code::kAuthFailed);
}

TEST_P(StoreAccountsTest, SessionWritesOfABatchAnswerOneByOneInOrder) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  ASSERT_TRUE(store().create_session({"bobs-old", bob, kNow, kNow + 1000}));
  using Kind = SessionWrite::Kind;
  const std::vector<SessionWrite> writes = {
      {Kind::kCreate, {"alices", alice, kNow, kNow + 1000}},
      {Kind::kCreate, {"nobodys", 4242, kNow, kNow + 1000}},  // refused alone
      {Kind::kRevoke, {"bobs-old", 0, 0, 0}},
      {Kind::kCreate, {"bobs-new", bob, kNow, kNow + 1000}},
      {Kind::kCreate, {"short-lived", bob, kNow, kNow + 1000}},
      {Kind::kRevoke, {"short-lived", 0, 0, 0}},  // after its creation: gone
  };
  auto results = store().write_sessions(writes);
  ASSERT_TRUE(results) << results.status().to_string();
  ASSERT_EQ(results->size(), writes.size());
  EXPECT_TRUE((*results)[0]) << (*results)[0].to_string();
  EXPECT_EQ((*results)[1].code(), Code::kUnknownUser);
  for (std::size_t i = 2; i < writes.size(); ++i)
    EXPECT_TRUE((*results)[i]) << i << ": " << (*results)[i].to_string();

  auto found = store().find_session("alices", kNow);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, alice);
  EXPECT_EQ(store().find_session("nobodys", kNow).code(), Code::kAuthFailed);
  EXPECT_EQ(store().find_session("bobs-old", kNow).code(), Code::kAuthFailed);
  EXPECT_TRUE(store().find_session("bobs-new", kNow));
  EXPECT_EQ(store().find_session("short-lived", kNow).code(), Code::kAuthFailed);
  EXPECT_TRUE(store().write_sessions({}));
}

TEST_P(StoreAccountsTest, ExpiredSessionsDoNotBlockNewOnes) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session({"old", alice, kNow, kNow + 10}));
  ASSERT_TRUE(store().create_session({"new", alice, kNow + 100, kNow + 1000}));
  EXPECT_EQ(store().find_session("old", kNow + 100).code(), Code::kAuthFailed);
  EXPECT_TRUE(store().find_session("new", kNow + 100));
}

TEST_P(StoreAccountsTest, AccountsSurviveReopen) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session({"token", alice, kNow, kNow + 1000}));
  reopen();
  auto found = store().find_user("alice");
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, alice);
  EXPECT_EQ(found->auth_verifier, new_user("alice").auth_verifier);
  auto session = store().find_session("token", kNow);
  ASSERT_TRUE(session) << session.status().to_string();
  EXPECT_EQ(session->id, alice);
  EXPECT_EQ(store().create_user(new_user("alice")).code(), Code::kUsernameTaken);
}

TEST_P(StoreAccountsTest, TheFirstServerKeyClaimedStaysTheDatabasesKey) {
  const std::string first(32, '\x01');
  const std::string second(32, '\x02');
  auto claimed = store().claim_server_key(first);
  ASSERT_TRUE(claimed) << claimed.status().to_string();
  EXPECT_EQ(*claimed, first);

  auto other = store().claim_server_key(second);
  ASSERT_TRUE(other) << other.status().to_string();
  EXPECT_EQ(*other, first) << "a second key must not replace the recorded one";

  reopen();
  auto after_restart = store().claim_server_key(second);
  ASSERT_TRUE(after_restart) << after_restart.status().to_string();
  EXPECT_EQ(*after_restart, first);
}

SessionRecord device_session(std::string token_hash, UserId user, std::uint32_t id,
                             std::int64_t last_used_ms, std::int64_t expires_ms) {
  SessionRecord session;
  session.token_hash = std::move(token_hash);
  session.user_id = user;
  session.created_ms = last_used_ms - 10;
  session.expires_ms = expires_ms;
  session.session_id = id;
  session.device_id = id * 7;
  session.device_public_key = std::string(31, 'k') + static_cast<char>(id);
  session.device_name = "fastchat on host-" + std::to_string(id);
  session.last_used_ms = last_used_ms;
  return session;
}

TEST_P(StoreAccountsTest, ALookedUpSessionComesWithItsDeviceAndUser) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session(device_session("tok", alice, 42, kNow, kNow + 1000)));
  auto found = store().lookup_session("tok", kNow + 999);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->user.id, alice);
  EXPECT_EQ(found->user.username, "alice");
  EXPECT_EQ(found->session.token_hash, "tok");
  EXPECT_EQ(found->session.user_id, alice);
  EXPECT_EQ(found->session.session_id, 42u);
  EXPECT_EQ(found->session.device_id, 42u * 7);
  EXPECT_EQ(found->session.device_public_key, std::string(31, 'k') + '*');
  EXPECT_EQ(found->session.device_name, "fastchat on host-42");
  EXPECT_EQ(found->session.created_ms, kNow - 10);
  EXPECT_EQ(found->session.last_used_ms, kNow);
  EXPECT_EQ(store().lookup_session("tok", kNow + 1000).code(), Code::kAuthFailed);
  EXPECT_EQ(store().lookup_session("other", kNow).code(), Code::kAuthFailed);
}

TEST_P(StoreAccountsTest, TouchingASessionMovesItsIdleDeadline) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session(device_session("tok", alice, 1, kNow, kNow + 1000)));
  ASSERT_TRUE(store().touch_session("tok", kNow + 900, kNow + 1900));
  auto found = store().lookup_session("tok", kNow + 1500);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->session.last_used_ms, kNow + 900);
  EXPECT_EQ(found->session.expires_ms, kNow + 1900);
  EXPECT_EQ(store().lookup_session("tok", kNow + 1900).code(), Code::kAuthFailed);
  EXPECT_TRUE(store().touch_session("gone", kNow, kNow + 1));  // nothing to touch is fine
}

TEST_P(StoreAccountsTest, ListSessionsGivesTheUsersLiveSessionsMostRecentlyUsedFirst) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  ASSERT_TRUE(store().create_session(device_session("a1", alice, 1, kNow, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("a2", alice, 2, kNow + 5, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("a3", alice, 3, kNow + 1, kNow + 20)));
  ASSERT_TRUE(store().create_session(device_session("b1", bob, 4, kNow + 9, kNow + 1000)));
  auto listed = store().list_sessions(alice, kNow + 10, 100);
  ASSERT_TRUE(listed) << listed.status().to_string();
  std::vector<std::uint32_t> ids;
  for (const auto& session : *listed)
    ids.push_back(session.session_id);
  EXPECT_THAT(ids, ElementsAre(2u, 3u, 1u));
  EXPECT_EQ((*listed)[0].device_name, "fastchat on host-2");
  EXPECT_EQ((*listed)[0].token_hash, "a2");

  listed = store().list_sessions(alice, kNow + 20, 1);  // a3 expired; limit 1
  ASSERT_TRUE(listed) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].session_id, 2u);
  EXPECT_TRUE(store().list_sessions(alice, kNow, 0)->empty());
  EXPECT_TRUE(store().list_sessions(4242, kNow, 10)->empty());
}

TEST_P(StoreAccountsTest, RevokingASessionByIdTouchesOnlyThatUsersSession) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  ASSERT_TRUE(store().create_session(device_session("a1", alice, 1, kNow, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("a2", alice, 2, kNow, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("b2", bob, 2, kNow, kNow + 1000)));
  auto revoked = store().revoke_session(alice, 2);
  ASSERT_TRUE(revoked) << revoked.status().to_string();
  EXPECT_EQ(*revoked, 1u);
  EXPECT_EQ(store().lookup_session("a2", kNow).code(), Code::kAuthFailed);
  EXPECT_TRUE(store().lookup_session("a1", kNow));
  EXPECT_TRUE(store().lookup_session("b2", kNow));  // bob's session 2 is bob's
  EXPECT_EQ(*store().revoke_session(alice, 2), 0u);
  EXPECT_EQ(*store().revoke_session(alice, 99), 0u);
}

TEST_P(StoreAccountsTest, RevokingAllOtherSessionsKeepsTheCurrentOne) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  ASSERT_TRUE(store().create_session(device_session("a1", alice, 1, kNow, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("a2", alice, 2, kNow, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("a3", alice, 3, kNow, kNow + 1000)));
  ASSERT_TRUE(store().create_session(device_session("b1", bob, 4, kNow, kNow + 1000)));
  auto revoked = store().revoke_sessions_except(alice, "a2");
  ASSERT_TRUE(revoked) << revoked.status().to_string();
  EXPECT_EQ(*revoked, 2u);
  auto listed = store().list_sessions(alice, kNow, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].session_id, 2u);
  EXPECT_TRUE(store().lookup_session("b1", kNow));
}

TEST_P(StoreAccountsTest, DeviceSessionsSurviveReopen) {
  const UserId alice = add_user("alice");
  ASSERT_TRUE(store().create_session(device_session("tok", alice, 5, kNow, kNow + 1000)));
  reopen();
  auto found = store().lookup_session("tok", kNow);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->session.session_id, 5u);
  EXPECT_EQ(found->session.device_name, "fastchat on host-5");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreAccountsTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace fastchat::store::test
