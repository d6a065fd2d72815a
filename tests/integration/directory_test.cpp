// Directory and presence over real sockets: ListUsers, GetIdentities (keys that verify),
// WatchPresence with Presence pushes.
#include <gtest/gtest.h>

#include "chat_fixture.h"
#include "crypto/identity.h"

namespace fastchat::itest {
namespace {

class DirectoryTest : public ChatTest {
 protected:
  // The next Presence push on `client`.
  static std::optional<wire::Presence> presence(RawClient& client) {
    auto frame = client.next();
    while (frame && !(frame->request_id() == 0 && frame->has_presence()))
      frame = client.next();
    if (!frame) return std::nullopt;
    return frame->presence();
  }
};

TEST_F(DirectoryTest, ListUsersWithPatternLimitAndOnlineState) {
  auto alice = online("alice");
  register_offline("bob");
  register_offline("bobby");
  auto carol = online("carol");
  ASSERT_TRUE(alice && carol);
  wire::Frame list;
  list.mutable_list_users()->set_pattern("BOB");
  auto reply = alice->call(list);
  ASSERT_TRUE(reply.has_user_list()) << reply.ShortDebugString();
  ASSERT_EQ(reply.user_list().users_size(), 2);
  EXPECT_EQ(reply.user_list().users(0).username(), "bob");
  EXPECT_EQ(reply.user_list().users(1).username(), "bobby");
  EXPECT_FALSE(reply.user_list().users(0).online());

  list.mutable_list_users()->set_pattern("");
  list.mutable_list_users()->set_limit(2);
  reply = alice->call(list);
  ASSERT_TRUE(reply.has_user_list());
  EXPECT_EQ(reply.user_list().users_size(), 2);

  list.mutable_list_users()->set_pattern("carol");
  list.mutable_list_users()->set_limit(0);
  reply = alice->call(list);
  ASSERT_EQ(reply.user_list().users_size(), 1);
  EXPECT_TRUE(reply.user_list().users(0).online());
}

TEST_F(DirectoryTest, PublishedIdentitiesVerifyForTheirUser) {
  auto alice = online("alice");
  register_offline("bob");
  ASSERT_TRUE(alice);
  wire::Frame get;
  get.mutable_get_identities()->add_usernames("BOB");
  get.mutable_get_identities()->add_usernames("alice");
  const auto reply = alice->call(get);
  ASSERT_TRUE(reply.has_identities()) << reply.ShortDebugString();
  ASSERT_EQ(reply.identities().identities_size(), 2);
  for (const auto& entry : reply.identities().identities()) {
    const auto& id = entry.identity();
    crypto::PublicIdentity identity{id.sign_public_key(), id.box_public_key(), id.signature()};
    EXPECT_TRUE(crypto::verify_public_identity(identity, entry.username())) << entry.username();
    EXPECT_EQ(id.box_public_key(), user(entry.username()).identity().box_public_key());
  }
  get.mutable_get_identities()->add_usernames("nobody");
  EXPECT_EQ(error_of(alice->call(get)), wire::UNKNOWN_USER);
}

TEST_F(DirectoryTest, WatchersSeeUsersComeAndGo) {
  auto alice = online("alice");
  register_offline("bob");
  register_offline("carol");
  ASSERT_TRUE(alice);
  wire::Frame watch;
  watch.mutable_watch_presence()->add_usernames("bob");
  watch.mutable_watch_presence()->add_usernames("carol");
  watch.mutable_watch_presence()->add_usernames("nobody");  // unknown: not watched
  const auto reply = alice->call(watch);
  ASSERT_TRUE(reply.has_presence_list()) << reply.ShortDebugString();
  ASSERT_EQ(reply.presence_list().presence_size(), 2);
  EXPECT_EQ(reply.presence_list().presence(0).username(), "bob");
  EXPECT_FALSE(reply.presence_list().presence(0).online());

  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto change = presence(*alice);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->username(), "bob");
  EXPECT_TRUE(change->online());

  // A second connection of bob coming and going changes nothing...
  auto bob2 = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob2);
  bob2.reset();
  ASSERT_TRUE(eventually([&] { return online_sessions() == 2; }, seconds(10)));
  auto carol = logged_in(port(), user("carol"));  // a barrier
  ASSERT_TRUE(carol);
  change = presence(*alice);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->username(), "carol");
  EXPECT_TRUE(change->online());
  // ...the last one closing does.
  bob.reset();
  change = presence(*alice);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->username(), "bob");
  EXPECT_FALSE(change->online());
  EXPECT_EQ(alice->queued(), 0u);
}

}  // namespace
}  // namespace fastchat::itest
