// Backend-neutral tests of the Store's signed-membership chains and blocks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_test_fixture.h"

namespace fastchat::store::test {
namespace {

using ::testing::ElementsAre;

class StoreMembershipTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    alice_ = add_user("alice");
    bob_ = add_user("bob");
    carol_ = add_user("carol");
  }

  std::vector<std::string> members(GroupId id) {
    auto group = store().get_group(id);
    EXPECT_TRUE(group) << group.status().to_string();
    std::vector<std::string> out;
    if (!group) return out;
    for (const auto& m : group->members)
      out.push_back(m.username + (m.admin ? "*" : ""));
    return out;
  }

  std::vector<std::string> records(GroupId id, std::uint64_t after = 0, std::size_t limit = 100) {
    auto read = store().read_membership(id, after, limit);
    EXPECT_TRUE(read) << read.status().to_string();
    std::vector<std::string> out;
    if (!read) return out;
    for (const auto& e : *read)
      out.push_back(std::to_string(e.seq) + ":" + e.record);
    return out;
  }

  UserId alice_ = 0, bob_ = 0, carol_ = 0;
};

TEST_P(StoreMembershipTest, RecordsAreAppendedInOrderWithTheirChange) {
  const GroupId group = add_group(alice_, {bob_}, "g");
  EXPECT_EQ(store().last_membership(group)->seq, 0u);
  ASSERT_TRUE(store().append_membership({group, 1, "create", MembershipAppend::Change::kNone, 0}));
  ASSERT_TRUE(
      store().append_membership({group, 2, "add carol", MembershipAppend::Change::kAdd, carol_}));
  EXPECT_THAT(members(group), ElementsAre("alice*", "bob", "carol"));
  ASSERT_TRUE(store().append_membership(
      {group, 3, "remove alice", MembershipAppend::Change::kRemove, alice_}));
  // The last admin went: the longest-standing member took over, as remove_member does.
  EXPECT_THAT(members(group), ElementsAre("bob*", "carol"));
  EXPECT_THAT(records(group), ElementsAre("1:create", "2:add carol", "3:remove alice"));
  EXPECT_THAT(records(group, 1, 1), ElementsAre("2:add carol"));
  auto last = store().last_membership(group);
  ASSERT_TRUE(last) << last.status().to_string();
  EXPECT_EQ(last->seq, 3u);
  EXPECT_EQ(last->record, "remove alice");
  reopen();
  EXPECT_THAT(records(group), ElementsAre("1:create", "2:add carol", "3:remove alice"));
}

TEST_P(StoreMembershipTest, AnAppendNotRightAfterTheLastRecordChangesNothing) {
  const GroupId group = add_group(alice_, {bob_}, "g");
  Status gap = store().append_membership({group, 2, "x", MembershipAppend::Change::kNone, 0});
  EXPECT_EQ(gap.code(), Code::kMembershipChanged);
  ASSERT_TRUE(store().append_membership({group, 1, "create", MembershipAppend::Change::kNone, 0}));
  // A second record 1 (two admins raced): refused, and its change is not applied.
  Status again =
      store().append_membership({group, 1, "add carol", MembershipAppend::Change::kAdd, carol_});
  EXPECT_EQ(again.code(), Code::kMembershipChanged);
  EXPECT_THAT(members(group), ElementsAre("alice*", "bob"));
  EXPECT_THAT(records(group), ElementsAre("1:create"));
}

TEST_P(StoreMembershipTest, UnknownGroupsAndUsersAreReported) {
  EXPECT_EQ(store().append_membership({999, 1, "x", MembershipAppend::Change::kNone, 0}).code(),
            Code::kUnknownGroup);
  const GroupId group = add_group(alice_, {}, "g");
  ASSERT_TRUE(store().append_membership({group, 1, "create", MembershipAppend::Change::kNone, 0}));
  EXPECT_EQ(
      store().append_membership({group, 2, "add", MembershipAppend::Change::kAdd, 9999}).code(),
      Code::kUnknownUser);
  EXPECT_THAT(records(group), ElementsAre("1:create"));
  EXPECT_TRUE(records(999).empty());
}

TEST_P(StoreMembershipTest, BlocksAreSetListedAndLifted) {
  ASSERT_TRUE(store().set_blocked(alice_, carol_, true, 1));
  ASSERT_TRUE(store().set_blocked(alice_, bob_, true, 2));
  ASSERT_TRUE(store().set_blocked(alice_, bob_, true, 3));  // again: a no-op
  auto listed = store().list_blocked(alice_, 10);
  ASSERT_TRUE(listed) << listed.status().to_string();
  EXPECT_THAT(*listed, ElementsAre("bob", "carol"));
  auto of_bob = store().which_block(std::vector<UserId>{carol_, alice_, bob_, alice_}, bob_);
  ASSERT_TRUE(of_bob) << of_bob.status().to_string();
  EXPECT_THAT(*of_bob, ElementsAre(false, true, false, true));
  auto of_alice = store().which_block(std::vector<UserId>{bob_}, alice_);
  ASSERT_TRUE(of_alice);
  EXPECT_THAT(*of_alice, ElementsAre(false));
  ASSERT_TRUE(store().set_blocked(alice_, bob_, false, 4));
  EXPECT_THAT(*store().list_blocked(alice_, 10), ElementsAre("carol"));
  EXPECT_EQ(store().set_blocked(alice_, 9999, true, 5).code(), Code::kUnknownUser);
}

// A direct message from a user the recipient blocks: committed like any other (a retry
// is a duplicate with the original's time), delivered to no one.
TEST_P(StoreMembershipTest, AWithheldMessageIsCommittedAndDeliveredToNoOne) {
  auto message = direct(alice_, bob_, "from a blocked sender");
  message.withheld = true;
  const CommitOutcome first = commit_one(message);
  ASSERT_TRUE(first.status) << first.status.to_string();
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.server_time_ms, kNow);
  EXPECT_TRUE(first.deliveries.empty());
  EXPECT_TRUE(inbox(bob_).empty());
  EXPECT_EQ(last_seq(bob_), 0u);

  auto retry = message;
  retry.server_time_ms = kNow + 1000;
  const CommitOutcome again = commit_one(retry);
  ASSERT_TRUE(again.status) << again.status.to_string();
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.server_time_ms, kNow);
  EXPECT_TRUE(again.deliveries.empty());

  // Not withheld: delivered as seq 1 (the withheld one took no seq).
  const CommitOutcome normal = commit_one(direct(alice_, bob_, "after the unblock"));
  ASSERT_TRUE(normal.status) << normal.status.to_string();
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("after the unblock"));
  EXPECT_THAT(seqs(inbox(bob_)), ElementsAre(1u));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreMembershipTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace fastchat::store::test
