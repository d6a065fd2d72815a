// Backend-neutral tests of the Store's groups.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_test_fixture.h"

namespace fastchat::store::test {
namespace {

using ::testing::ElementsAre;

class StoreGroupsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    alice_ = add_user("alice");
    bob_ = add_user("bob");
    carol_ = add_user("carol");
    dave_ = add_user("dave");
  }

  // "name" or "name*" for an admin, in the group's order.
  std::vector<std::string> members(GroupId id) {
    auto group = store().get_group(id);
    EXPECT_TRUE(group) << group.status().to_string();
    return group ? describe(*group) : std::vector<std::string>{};
  }

  static std::vector<std::string> describe(const GroupRecord& group) {
    std::vector<std::string> out;
    for (const auto& member : group.members)
      out.push_back(member.username + (member.admin ? "*" : ""));
    return out;
  }

  UserId alice_ = 0, bob_ = 0, carol_ = 0, dave_ = 0;
};

TEST_P(StoreGroupsTest, CreatorIsFirstMemberAndAdmin) {
  auto group = store().create_group("friends", alice_, std::vector<UserId>{carol_, bob_});
  ASSERT_TRUE(group) << group.status().to_string();
  EXPECT_NE(group->id, 0u);
  EXPECT_EQ(group->name, "friends");
  EXPECT_THAT(describe(*group), ElementsAre("alice*", "carol", "bob"));
  ASSERT_EQ(group->members.size(), 3u);
  EXPECT_EQ(group->members[0].user_id, alice_);
  EXPECT_EQ(group->members[1].user_id, carol_);

  auto loaded = store().get_group(group->id);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->id, group->id);
  EXPECT_EQ(loaded->name, "friends");
  EXPECT_THAT(describe(*loaded), ElementsAre("alice*", "carol", "bob"));
}

TEST_P(StoreGroupsTest, DuplicateMembersAndTheCreatorAreListedOnce) {
  auto group = store().create_group("g", alice_, std::vector<UserId>{bob_, alice_, bob_, carol_});
  ASSERT_TRUE(group) << group.status().to_string();
  EXPECT_THAT(describe(*group), ElementsAre("alice*", "bob", "carol"));
  EXPECT_THAT(members(group->id), ElementsAre("alice*", "bob", "carol"));
}

TEST_P(StoreGroupsTest, GroupWithUnknownMemberIsNotCreated) {
  EXPECT_EQ(store().create_group("g", alice_, std::vector<UserId>{bob_, 4242}).code(),
            Code::kUnknownUser);
  EXPECT_EQ(store().create_group("g", 4242, std::vector<UserId>{bob_}).code(), Code::kUnknownUser);
  auto groups = store().list_groups(bob_, 0, 100);
  ASSERT_TRUE(groups) << groups.status().to_string();
  EXPECT_TRUE(groups->empty());
}

TEST_P(StoreGroupsTest, GroupsGetDistinctIds) {
  const GroupId one = add_group(alice_, {});
  const GroupId two = add_group(alice_, {});
  EXPECT_NE(one, two);
  EXPECT_THAT(members(one), ElementsAre("alice*"));
}

TEST_P(StoreGroupsTest, UnknownGroupIsReported) {
  EXPECT_EQ(store().get_group(4242).code(), Code::kUnknownGroup);
  EXPECT_EQ(store().get_group(0).code(), Code::kUnknownGroup);
  EXPECT_EQ(store().get_group(~GroupId{0}).code(), Code::kUnknownGroup);
  EXPECT_EQ(store().add_member(4242, bob_).code(), Code::kUnknownGroup);
  EXPECT_EQ(store().add_member(~GroupId{0}, bob_).code(), Code::kUnknownGroup);
  EXPECT_EQ(store().remove_member(4242, bob_).code(), Code::kUnknownGroup);
}

TEST_P(StoreGroupsTest, AddedMemberJoinsLast) {
  const GroupId group = add_group(alice_, {bob_});
  ASSERT_TRUE(store().add_member(group, dave_));
  ASSERT_TRUE(store().add_member(group, carol_));
  EXPECT_THAT(members(group), ElementsAre("alice*", "bob", "dave", "carol"));
}

TEST_P(StoreGroupsTest, AddingAMemberTwiceIsANoOp) {
  const GroupId group = add_group(alice_, {bob_});
  ASSERT_TRUE(store().add_member(group, carol_));
  EXPECT_TRUE(store().add_member(group, carol_));
  EXPECT_TRUE(store().add_member(group, bob_));
  EXPECT_TRUE(store().add_member(group, alice_));
  EXPECT_THAT(members(group), ElementsAre("alice*", "bob", "carol"));
}

TEST_P(StoreGroupsTest, AddingUnknownUserFails) {
  const GroupId group = add_group(alice_, {});
  EXPECT_EQ(store().add_member(group, 4242).code(), Code::kUnknownUser);
  EXPECT_THAT(members(group), ElementsAre("alice*"));
}

TEST_P(StoreGroupsTest, RemovedMemberIsGoneAndRemovingANonMemberIsANoOp) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  ASSERT_TRUE(store().remove_member(group, bob_));
  EXPECT_THAT(members(group), ElementsAre("alice*", "carol"));
  EXPECT_TRUE(store().remove_member(group, bob_));
  EXPECT_TRUE(store().remove_member(group, dave_));
  EXPECT_TRUE(store().remove_member(group, 4242));
  EXPECT_THAT(members(group), ElementsAre("alice*", "carol"));
}

TEST_P(StoreGroupsTest, WhenTheLastAdminLeavesTheLongestStandingMemberBecomesAdmin) {
  const GroupId group = add_group(alice_, {bob_});
  ASSERT_TRUE(store().add_member(group, carol_));
  ASSERT_TRUE(store().remove_member(group, bob_));
  ASSERT_TRUE(store().add_member(group, bob_));  // rejoined: now the newest
  ASSERT_TRUE(store().remove_member(group, alice_));
  EXPECT_THAT(members(group), ElementsAre("carol*", "bob"));
  ASSERT_TRUE(store().remove_member(group, carol_));
  EXPECT_THAT(members(group), ElementsAre("bob*"));
}

TEST_P(StoreGroupsTest, NonAdminLeavingKeepsTheAdmin) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  ASSERT_TRUE(store().remove_member(group, bob_));
  EXPECT_THAT(members(group), ElementsAre("alice*", "carol"));
}

TEST_P(StoreGroupsTest, EmptiedGroupRemainsAndItsNextMemberIsAdmin) {
  const GroupId group = add_group(alice_, {});
  ASSERT_TRUE(store().remove_member(group, alice_));
  EXPECT_THAT(members(group), ElementsAre());
  ASSERT_TRUE(store().add_member(group, dave_));
  ASSERT_TRUE(store().add_member(group, bob_));
  EXPECT_THAT(members(group), ElementsAre("dave*", "bob"));
}

TEST_P(StoreGroupsTest, ListGroupsGivesAMembersGroupsWithTheirMembers) {
  const GroupId one = add_group(alice_, {bob_}, "one");
  const GroupId two = add_group(carol_, {alice_}, "two");
  add_group(carol_, {dave_}, "three");

  auto groups = store().list_groups(alice_, 0, 100);
  ASSERT_TRUE(groups) << groups.status().to_string();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].id, one);
  EXPECT_EQ((*groups)[0].name, "one");
  EXPECT_THAT(describe((*groups)[0]), ElementsAre("alice*", "bob"));
  EXPECT_EQ((*groups)[1].id, two);
  EXPECT_EQ((*groups)[1].name, "two");
  EXPECT_THAT(describe((*groups)[1]), ElementsAre("carol*", "alice"));

  ASSERT_TRUE(store().remove_member(one, alice_));
  groups = store().list_groups(alice_, 0, 100);
  ASSERT_TRUE(groups) << groups.status().to_string();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].id, two);

  auto none = store().list_groups(dave_, 0, 100);
  ASSERT_TRUE(none) << none.status().to_string();
  EXPECT_EQ(none->size(), 1u);
  EXPECT_EQ(store().list_groups(4242, 0, 100).code(), Code::kUnknownUser);
}

TEST_P(StoreGroupsTest, ListGroupsPagesByIdAfterACursor) {
  std::vector<GroupId> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(add_group(alice_, {bob_}, "g" + std::to_string(i)));
  add_group(carol_, {dave_}, "not alice's");
  auto first = store().list_groups(alice_, 0, 2);
  ASSERT_TRUE(first) << first.status().to_string();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, ids[0]);
  EXPECT_EQ((*first)[1].id, ids[1]);
  EXPECT_THAT(describe((*first)[1]), ElementsAre("alice*", "bob"));  // members whole
  auto rest = store().list_groups(alice_, ids[1], 10);
  ASSERT_TRUE(rest) << rest.status().to_string();
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].id, ids[2]);
  EXPECT_EQ((*rest)[2].id, ids[4]);
  auto past = store().list_groups(alice_, ids[4], 10);
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->empty());
}

TEST_P(StoreGroupsTest, CountGroupsCountsEachUsersMemberships) {
  add_group(alice_, {bob_}, "one");
  add_group(alice_, {bob_, carol_}, "two");
  const std::vector<UserId> users{alice_, bob_, carol_, dave_, 4242};
  auto counts = store().count_groups(users);
  ASSERT_TRUE(counts) << counts.status().to_string();
  EXPECT_THAT(*counts, ElementsAre(2u, 2u, 1u, 0u, 0u));
}

TEST_P(StoreGroupsTest, GroupsSurviveReopen) {
  const GroupId group = add_group(alice_, {bob_, carol_}, "kept");
  ASSERT_TRUE(store().remove_member(group, alice_));
  reopen();
  auto loaded = store().get_group(group);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->name, "kept");
  EXPECT_THAT(describe(*loaded), ElementsAre("bob*", "carol"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreGroupsTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace fastchat::store::test
