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

INSTANTIATE_TEST_SUITE_P(Backends, StoreAccountsTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace fastchat::store::test
