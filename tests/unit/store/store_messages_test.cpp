// Backend-neutral tests of the Store's messages: the group commit, inboxes and acks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "store_test_fixture.h"

namespace fastchat::store::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StoreMessagesTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    alice_ = add_user("alice");
    bob_ = add_user("bob");
    carol_ = add_user("carol");
    dave_ = add_user("dave");
  }

  std::uint64_t acked_seq(UserId user) {
    auto record = store().find_user_by_id(user);
    EXPECT_TRUE(record) << record.status().to_string();
    return record ? record->acked_seq : 0;
  }

  UserId alice_ = 0, bob_ = 0, carol_ = 0, dave_ = 0;
};

TEST_P(StoreMessagesTest, DirectMessageIsDeliveredToItsRecipient) {
  OutgoingMessage message = direct(alice_, bob_, "hello bob");
  message.server_time_ms = kNow + 7;
  const CommitOutcome outcome = commit_one(message);
  ASSERT_TRUE(outcome.status) << outcome.status.to_string();
  EXPECT_FALSE(outcome.duplicate);
  EXPECT_EQ(outcome.server_time_ms, kNow + 7);
  ASSERT_EQ(outcome.deliveries.size(), 1u);
  EXPECT_EQ(outcome.deliveries[0].recipient, bob_);
  EXPECT_EQ(outcome.deliveries[0].seq, 1u);
  EXPECT_EQ(outcome.deliveries[0].key_wrap_index, -1);

  const auto items = inbox(bob_);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].seq, 1u);
  EXPECT_EQ(items[0].message_id, message.message_id);
  EXPECT_EQ(items[0].sender, "alice");
  EXPECT_EQ(items[0].group_id, 0u);
  EXPECT_EQ(items[0].body, "hello bob");
  EXPECT_EQ(items[0].sealed_key, "");
  EXPECT_EQ(items[0].server_time_ms, kNow + 7);
  EXPECT_THAT(inbox(alice_), IsEmpty());
  EXPECT_EQ(last_seq(bob_), 1u);
  EXPECT_EQ(last_seq(alice_), 0u);
}

TEST_P(StoreMessagesTest, BodiesAreBinarySafe) {
  const std::string binary("\0\x01\x80\xff\0", 5);
  commit({direct(alice_, bob_, binary), direct(alice_, bob_, "")});
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre(binary, ""));
}

TEST_P(StoreMessagesTest, DirectMessageToOneselfIsDeliveredOnce) {
  const CommitOutcome outcome = commit_one(direct(alice_, alice_, "note to self"));
  ASSERT_TRUE(outcome.status) << outcome.status.to_string();
  ASSERT_EQ(outcome.deliveries.size(), 1u);
  EXPECT_EQ(outcome.deliveries[0].recipient, alice_);
  EXPECT_THAT(bodies(inbox(alice_)), ElementsAre("note to self"));
}

TEST_P(StoreMessagesTest, GroupMessageFansOutWithEachMembersKeyWrap) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  // Wraps in any order; the sender's own wrap and a non-member's are ignored.
  const OutgoingMessage message =
      to_group(alice_, group, "hello group", {dave_, carol_, alice_, bob_});
  const CommitOutcome outcome = commit_one(message);
  ASSERT_TRUE(outcome.status) << outcome.status.to_string();
  ASSERT_EQ(outcome.deliveries.size(), 2u);
  std::map<UserId, Delivery> by_recipient;
  for (const Delivery& delivery : outcome.deliveries)
    by_recipient[delivery.recipient] = delivery;
  ASSERT_EQ(by_recipient.count(bob_), 1u);
  ASSERT_EQ(by_recipient.count(carol_), 1u);
  EXPECT_EQ(by_recipient[bob_].seq, 1u);
  EXPECT_EQ(by_recipient[bob_].key_wrap_index, 3);
  EXPECT_EQ(by_recipient[carol_].seq, 1u);
  EXPECT_EQ(by_recipient[carol_].key_wrap_index, 1);

  for (UserId member : {bob_, carol_}) {
    const auto items = inbox(member);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].message_id, message.message_id);
    EXPECT_EQ(items[0].sender, "alice");
    EXPECT_EQ(items[0].group_id, group);
    EXPECT_EQ(items[0].body, "hello group");
    EXPECT_EQ(items[0].sealed_key, wrap_for(member));
  }
  EXPECT_THAT(inbox(alice_), IsEmpty());  // the sender gets no copy
  EXPECT_THAT(inbox(dave_), IsEmpty());
}

TEST_P(StoreMessagesTest, FirstWrapForAMemberWins) {
  const GroupId group = add_group(alice_, {bob_});
  OutgoingMessage message = to_group(alice_, group, "x", {});
  message.key_wraps = {{carol_, "c"}, {bob_, "first"}, {bob_, "second"}};
  const CommitOutcome outcome = commit_one(message);
  ASSERT_TRUE(outcome.status) << outcome.status.to_string();
  ASSERT_EQ(outcome.deliveries.size(), 1u);
  EXPECT_EQ(outcome.deliveries[0].key_wrap_index, 1);
  const auto items = inbox(bob_);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].sealed_key, "first");
}

TEST_P(StoreMessagesTest, GroupOfOneAcceptsMessagesWithNoDeliveries) {
  const GroupId group = add_group(alice_, {});
  const CommitOutcome outcome = commit_one(to_group(alice_, group, "alone", {}));
  ASSERT_TRUE(outcome.status) << outcome.status.to_string();
  EXPECT_THAT(outcome.deliveries, IsEmpty());
  EXPECT_THAT(inbox(alice_), IsEmpty());
}

TEST_P(StoreMessagesTest, DuplicateAcrossBatchesKeepsTheOriginal) {
  OutgoingMessage message = direct(alice_, bob_, "once");
  ASSERT_TRUE(commit_one(message).status);
  message.server_time_ms = kNow + 5000;  // the retry arrives later
  message.body = "changed";
  const CommitOutcome retry = commit_one(message);
  ASSERT_TRUE(retry.status) << retry.status.to_string();
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.server_time_ms, kNow);
  EXPECT_THAT(retry.deliveries, IsEmpty());
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("once"));
  EXPECT_EQ(last_seq(bob_), 1u);
}

TEST_P(StoreMessagesTest, DuplicateWithinOneBatchIsStoredOnce) {
  OutgoingMessage first = direct(alice_, bob_, "once");
  OutgoingMessage again = first;
  again.server_time_ms = kNow + 1;
  const auto outcomes = commit({first, direct(alice_, bob_, "other"), again});
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_FALSE(outcomes[1].duplicate);
  EXPECT_TRUE(outcomes[2].status) << outcomes[2].status.to_string();
  EXPECT_TRUE(outcomes[2].duplicate);
  EXPECT_EQ(outcomes[2].server_time_ms, kNow);
  EXPECT_THAT(outcomes[2].deliveries, IsEmpty());
  EXPECT_THAT(seqs(inbox(bob_)), ElementsAre(1, 2));
}

TEST_P(StoreMessagesTest, SameMessageIdFromAnotherSenderIsNotADuplicate) {
  OutgoingMessage from_alice = direct(alice_, bob_, "a");
  OutgoingMessage from_carol = direct(carol_, bob_, "c");
  from_carol.message_id = from_alice.message_id;
  const auto outcomes = commit({from_alice, from_carol});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_FALSE(outcomes[1].duplicate);
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("a", "c"));
}

TEST_P(StoreMessagesTest, RetryAfterMembershipChangeIsStillADuplicate) {
  const GroupId group = add_group(alice_, {bob_});
  const OutgoingMessage message = to_group(alice_, group, "x", {bob_});
  ASSERT_TRUE(commit_one(message).status);
  ASSERT_TRUE(store().add_member(group, carol_));
  const CommitOutcome retry = commit_one(message);  // has no wrap for carol
  EXPECT_TRUE(retry.status) << retry.status.to_string();
  EXPECT_TRUE(retry.duplicate);
  EXPECT_THAT(inbox(carol_), IsEmpty());
}

TEST_P(StoreMessagesTest, SenderWhoIsNotAMemberIsForbidden) {
  const GroupId group = add_group(alice_, {bob_});
  const CommitOutcome outcome = commit_one(to_group(carol_, group, "let me in", {alice_, bob_}));
  EXPECT_EQ(outcome.status.code(), Code::kForbidden);
  EXPECT_FALSE(outcome.duplicate);
  EXPECT_THAT(outcome.deliveries, IsEmpty());
  EXPECT_THAT(inbox(alice_), IsEmpty());
  EXPECT_THAT(inbox(bob_), IsEmpty());
}

TEST_P(StoreMessagesTest, MissingKeyWrapForAMemberIsMembershipChanged) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  const CommitOutcome outcome = commit_one(to_group(alice_, group, "x", {bob_, dave_}));
  EXPECT_EQ(outcome.status.code(), Code::kMembershipChanged);
  EXPECT_THAT(outcome.deliveries, IsEmpty());
  EXPECT_THAT(inbox(bob_), IsEmpty());
  EXPECT_EQ(last_seq(bob_), 0u);
  // Once the client learns the membership, the same message id goes through.
  OutgoingMessage fixed = to_group(alice_, group, "x", {bob_, carol_});
  const CommitOutcome retry = commit_one(fixed);
  EXPECT_TRUE(retry.status) << retry.status.to_string();
  EXPECT_FALSE(retry.duplicate);
}

TEST_P(StoreMessagesTest, UnknownTargetsAndMalformedMessagesAreRejected) {
  const GroupId group = add_group(alice_, {bob_});
  OutgoingMessage both = direct(alice_, bob_, "x");
  both.group_id = group;
  OutgoingMessage neither = direct(alice_, bob_, "x");
  neither.to_user = 0;
  const auto outcomes = commit({
      to_group(alice_, 4242, "x", {bob_}),
      to_group(alice_, ~GroupId{0}, "x", {bob_}),
      direct(alice_, 4242, "x"),
      direct(4242, bob_, "x"),
      direct(0, bob_, "x"),
      both,
      neither,
  });
  ASSERT_EQ(outcomes.size(), 7u);
  EXPECT_EQ(outcomes[0].status.code(), Code::kUnknownGroup);
  EXPECT_EQ(outcomes[1].status.code(), Code::kUnknownGroup);
  EXPECT_EQ(outcomes[2].status.code(), Code::kUnknownUser);
  EXPECT_EQ(outcomes[3].status.code(), Code::kUnknownUser);
  EXPECT_EQ(outcomes[4].status.code(), Code::kUnknownUser);
  EXPECT_EQ(outcomes[5].status.code(), Code::kBadRequest);
  EXPECT_EQ(outcomes[6].status.code(), Code::kBadRequest);
  for (const auto& outcome : outcomes) {
    EXPECT_FALSE(outcome.duplicate);
    EXPECT_THAT(outcome.deliveries, IsEmpty());
  }
  EXPECT_THAT(inbox(bob_), IsEmpty());
}

TEST_P(StoreMessagesTest, FailedMessagesDoNotBreakTheirBatch) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  const auto outcomes = commit({
      direct(alice_, bob_, "one"),
      to_group(dave_, group, "forbidden", {alice_, bob_, carol_}),
      direct(alice_, 4242, "unknown"),
      direct(carol_, bob_, "two"),
      to_group(alice_, group, "missing wrap", {bob_}),
      to_group(carol_, group, "three", {alice_, bob_}),
  });
  ASSERT_EQ(outcomes.size(), 6u);
  EXPECT_TRUE(outcomes[0].status);
  EXPECT_EQ(outcomes[1].status.code(), Code::kForbidden);
  EXPECT_EQ(outcomes[2].status.code(), Code::kUnknownUser);
  EXPECT_TRUE(outcomes[3].status);
  EXPECT_EQ(outcomes[4].status.code(), Code::kMembershipChanged);
  EXPECT_TRUE(outcomes[5].status);
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("one", "two", "three"));
  EXPECT_THAT(seqs(inbox(bob_)), ElementsAre(1, 2, 3));
  EXPECT_THAT(bodies(inbox(alice_)), ElementsAre("three"));
  EXPECT_THAT(seqs(inbox(alice_)), ElementsAre(1));
}

TEST_P(StoreMessagesTest, SequenceNumbersArePerRecipientAndGapless) {
  const GroupId group = add_group(alice_, {bob_, carol_, dave_});
  std::map<UserId, std::vector<std::uint64_t>> delivered;
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<OutgoingMessage> messages;
    for (int i = 0; i < 7; ++i) {
      messages.push_back(direct(alice_, i % 2 == 0 ? bob_ : carol_, "d"));
      if (i % 3 == 0) messages.push_back(to_group(dave_, group, "g", {alice_, bob_, carol_}));
      if (i == 4) messages.push_back(direct(alice_, 4242, "fails"));  // takes no number
    }
    for (const auto& outcome : commit(messages)) {
      for (const auto& delivery : outcome.deliveries) {
        delivered[delivery.recipient].push_back(delivery.seq);
      }
    }
  }
  for (UserId user : {alice_, bob_, carol_, dave_}) {
    const auto got = seqs(inbox(user));
    std::vector<std::uint64_t> expected;
    for (std::uint64_t seq = 1; seq <= got.size(); ++seq)
      expected.push_back(seq);
    EXPECT_EQ(got, expected) << "user " << user;
    EXPECT_EQ(delivered[user], expected) << "user " << user;
    EXPECT_EQ(last_seq(user), got.size()) << "user " << user;
  }
  EXPECT_EQ(last_seq(bob_), 5u * (4 + 3));
  EXPECT_EQ(last_seq(dave_), 0u);
}

TEST_P(StoreMessagesTest, MemberAddedLaterGetsNoEarlierMessages) {
  const GroupId group = add_group(alice_, {bob_});
  ASSERT_TRUE(commit_one(to_group(alice_, group, "before", {bob_})).status);
  ASSERT_TRUE(store().add_member(group, carol_));
  ASSERT_TRUE(commit_one(to_group(alice_, group, "after", {bob_, carol_})).status);
  EXPECT_THAT(bodies(inbox(carol_)), ElementsAre("after"));
  EXPECT_THAT(seqs(inbox(carol_)), ElementsAre(1));
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("before", "after"));
}

TEST_P(StoreMessagesTest, RemovedMemberGetsNoLaterMessagesAndCannotSend) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  ASSERT_TRUE(store().remove_member(group, carol_));
  // A client with a stale member list still wraps for carol: the extra wrap is ignored.
  ASSERT_TRUE(commit_one(to_group(alice_, group, "after", {bob_, carol_})).status);
  EXPECT_THAT(inbox(carol_), IsEmpty());
  EXPECT_EQ(commit_one(to_group(carol_, group, "me too", {alice_, bob_})).status.code(),
            Code::kForbidden);
}

// Sender Keys (docs/e2ee-v2.md): one ciphertext, no wraps, checked against the length
// of the group's membership chain in the commit.
TEST_P(StoreMessagesTest, SenderKeyGroupMessageIsStoredOnceForTheChainItWasSealedFor) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  ASSERT_TRUE(store().append_membership({group, 1, "create", MembershipAppend::Change::kNone, 0}));
  OutgoingMessage message = to_group(alice_, group, "one ciphertext", {});
  message.membership_seq = 1;
  const CommitOutcome outcome = commit_one(message);
  ASSERT_TRUE(outcome.status) << outcome.status.to_string();
  ASSERT_EQ(outcome.deliveries.size(), 2u);
  for (const Delivery& delivery : outcome.deliveries)
    EXPECT_EQ(delivery.key_wrap_index, -1);
  for (UserId member : {bob_, carol_}) {
    const auto items = inbox(member);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].body, "one ciphertext");
    EXPECT_EQ(items[0].group_id, group);
    EXPECT_EQ(items[0].sealed_key, "");
  }
  EXPECT_THAT(inbox(alice_), IsEmpty());
  EXPECT_THAT(inbox(dave_), IsEmpty());
  // Acked by both members, the body goes (the tombstone keeps recognizing a retry).
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 1}, {carol_, 1}}));
  EXPECT_THAT(inbox(bob_), IsEmpty());
  const CommitOutcome retry = commit_one(message);
  EXPECT_TRUE(retry.duplicate);
}

TEST_P(StoreMessagesTest, SenderKeyGroupMessageForAnotherChainLengthIsMembershipChanged) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  ASSERT_TRUE(store().append_membership({group, 1, "create", MembershipAppend::Change::kNone, 0}));
  ASSERT_TRUE(store().append_membership(
      {group, 2, "remove carol", MembershipAppend::Change::kRemove, carol_}));
  // Sealed before the removal: carol could read it, so nothing is stored.
  OutgoingMessage stale = to_group(alice_, group, "stale", {});
  stale.membership_seq = 1;
  EXPECT_EQ(commit_one(stale).status.code(), Code::kMembershipChanged);
  OutgoingMessage ahead = to_group(alice_, group, "ahead", {});
  ahead.membership_seq = 3;
  EXPECT_EQ(commit_one(ahead).status.code(), Code::kMembershipChanged);
  // Wraps and a chain length together are not a message either format makes.
  OutgoingMessage both = to_group(alice_, group, "both", {bob_});
  both.membership_seq = 2;
  EXPECT_EQ(commit_one(both).status.code(), Code::kMembershipChanged);
  EXPECT_THAT(inbox(bob_), IsEmpty());
  OutgoingMessage fresh = to_group(alice_, group, "fresh", {});
  fresh.membership_seq = 2;
  ASSERT_TRUE(commit_one(fresh).status);
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("fresh"));
  EXPECT_THAT(inbox(carol_), IsEmpty());
}

TEST_P(StoreMessagesTest, SenderKeyGroupMessageToAGroupWithoutChainIsMembershipChanged) {
  const GroupId group = add_group(alice_, {bob_});
  OutgoingMessage message = to_group(alice_, group, "x", {});
  message.membership_seq = 1;
  EXPECT_EQ(commit_one(message).status.code(), Code::kMembershipChanged);
  EXPECT_THAT(inbox(bob_), IsEmpty());
}

TEST_P(StoreMessagesTest, ReadInboxPagesFromAfterSeq) {
  std::vector<OutgoingMessage> messages;
  for (int i = 1; i <= 10; ++i)
    messages.push_back(direct(alice_, bob_, std::to_string(i)));
  commit(messages);
  EXPECT_THAT(seqs(inbox(bob_, 0, 4)), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(bodies(inbox(bob_, 0, 4)), ElementsAre("1", "2", "3", "4"));
  EXPECT_THAT(seqs(inbox(bob_, 4, 4)), ElementsAre(5, 6, 7, 8));
  EXPECT_THAT(seqs(inbox(bob_, 8, 4)), ElementsAre(9, 10));
  EXPECT_THAT(seqs(inbox(bob_, 10, 4)), IsEmpty());
  EXPECT_THAT(seqs(inbox(bob_, 3, 1)), ElementsAre(4));
  EXPECT_THAT(seqs(inbox(bob_, 0, 0)), IsEmpty());
  EXPECT_EQ(inbox(bob_, 0, static_cast<std::size_t>(-1)).size(), 10u);
  EXPECT_THAT(seqs(inbox(bob_, ~std::uint64_t{0}, 4)), IsEmpty());
}

TEST_P(StoreMessagesTest, ReadInboxOfUnknownUserFails) {
  EXPECT_THAT(inbox(bob_), IsEmpty());
  EXPECT_EQ(store().read_inbox(4242, 0, 10).code(), Code::kUnknownUser);
}

TEST_P(StoreMessagesTest, AckOnlyGrowsAndDeletesAcknowledgedItems) {
  std::vector<OutgoingMessage> messages;
  for (int i = 1; i <= 5; ++i)
    messages.push_back(direct(alice_, bob_, std::to_string(i)));
  commit(messages);

  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 3}}));
  EXPECT_EQ(acked_seq(bob_), 3u);
  EXPECT_THAT(seqs(inbox(bob_)), ElementsAre(4, 5));

  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 1}}));  // stale: ignored
  EXPECT_EQ(acked_seq(bob_), 3u);
  EXPECT_THAT(seqs(inbox(bob_)), ElementsAre(4, 5));

  // Beyond what was assigned: counts up to last_seq only, so later messages are kept.
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 100}}));
  EXPECT_EQ(acked_seq(bob_), 5u);
  EXPECT_THAT(inbox(bob_), IsEmpty());
  const CommitOutcome next = commit_one(direct(alice_, bob_, "6"));
  ASSERT_EQ(next.deliveries.size(), 1u);
  EXPECT_EQ(next.deliveries[0].seq, 6u);
  EXPECT_THAT(bodies(inbox(bob_, 5)), ElementsAre("6"));
}

TEST_P(StoreMessagesTest, AckBatchCoversSeveralUsersAndIgnoresUnknownOnes) {
  commit({direct(alice_, bob_, "b1"), direct(alice_, carol_, "c1"), direct(alice_, bob_, "b2"),
          direct(alice_, carol_, "c2")});
  const std::vector<AckRecord> acks = {{bob_, 2}, {4242, 9}, {carol_, 2}, {bob_, 1}};
  ASSERT_TRUE(store().ack_inbox(acks));
  EXPECT_EQ(acked_seq(bob_), 2u);
  EXPECT_EQ(acked_seq(carol_), 2u);
  EXPECT_THAT(inbox(bob_), IsEmpty());
  EXPECT_THAT(inbox(carol_), IsEmpty());
  EXPECT_TRUE(store().ack_inbox({}));
  EXPECT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, ~std::uint64_t{0}}}));
  EXPECT_EQ(acked_seq(bob_), 2u);
}

TEST_P(StoreMessagesTest, BatchOfMessagesAndAcksCommitsBoth) {
  commit({direct(alice_, bob_, "b1"), direct(alice_, bob_, "b2")});
  // Acks of earlier messages and new messages, as the group committer hands them over.
  const std::vector<OutgoingMessage> messages = {direct(alice_, bob_, "b3"),
                                                 direct(bob_, carol_, "c1")};
  const std::vector<AckRecord> acks = {{bob_, 2}, {carol_, 1}};
  BatchResult result = store().commit_batch(messages, acks);
  ASSERT_TRUE(result.outcomes) << result.outcomes.status().to_string();
  EXPECT_TRUE(result.acks) << result.acks.to_string();
  ASSERT_EQ(result.outcomes->size(), 2u);
  ASSERT_EQ((*result.outcomes)[0].deliveries.size(), 1u);
  EXPECT_EQ((*result.outcomes)[0].deliveries[0].seq, 3u);
  EXPECT_EQ(acked_seq(bob_), 2u);
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("b3"));
  // carol's ack of seq 1 counts: that message was committed in the same batch, before.
  EXPECT_EQ(acked_seq(carol_), 1u);
  EXPECT_THAT(inbox(carol_), IsEmpty());

  BatchResult empty = store().commit_batch({}, {});
  ASSERT_TRUE(empty.outcomes);
  EXPECT_TRUE(empty.outcomes->empty());
  EXPECT_TRUE(empty.acks);
}

TEST_P(StoreMessagesTest, GroupMessageStaysForMembersWhoHaveNotAcked) {
  const GroupId group = add_group(alice_, {bob_, carol_});
  commit({to_group(alice_, group, "shared", {bob_, carol_})});
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 1}}));
  EXPECT_THAT(inbox(bob_), IsEmpty());
  const auto items = inbox(carol_);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].body, "shared");
  EXPECT_EQ(items[0].sealed_key, wrap_for(carol_));
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{carol_, 1}}));
  EXPECT_THAT(inbox(carol_), IsEmpty());
}

TEST_P(StoreMessagesTest, RetryAfterEveryRecipientAckedIsStillADuplicate) {
  const OutgoingMessage first = direct(alice_, bob_, "once");
  const GroupId group = add_group(alice_, {bob_, carol_});
  const OutgoingMessage shared = to_group(alice_, group, "shared", {bob_, carol_});
  commit({first, shared});
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 2}, {carol_, 1}}));
  OutgoingMessage again = first;
  again.server_time_ms = kNow + 5;
  const auto outcomes = commit({again, shared});
  for (const CommitOutcome& outcome : outcomes) {
    EXPECT_TRUE(outcome.status);
    EXPECT_TRUE(outcome.duplicate);
    EXPECT_EQ(outcome.server_time_ms, kNow);
    EXPECT_THAT(outcome.deliveries, IsEmpty());
  }
  EXPECT_THAT(inbox(bob_), IsEmpty());
  EXPECT_THAT(inbox(carol_), IsEmpty());
}

TEST_P(StoreMessagesTest, PurgedTombstonesEndDeduplicationAndSpareYoungerOnes) {
  OutgoingMessage old_one = direct(alice_, bob_, "old");
  OutgoingMessage young = direct(alice_, bob_, "young");
  young.server_time_ms = kNow + 1000;
  OutgoingMessage also_old = direct(alice_, carol_, "also old");
  OutgoingMessage pending = direct(alice_, carol_, "pending");  // never acked
  commit({old_one, young, also_old, pending});
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 2}, {carol_, 1}}));

  auto purged = store().purge_tombstones(kNow + 1, 1);  // at most `limit` per call
  ASSERT_TRUE(purged) << purged.status().to_string();
  EXPECT_EQ(*purged, 1u);
  purged = store().purge_tombstones(kNow + 1, 100);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);  // not the young tombstone, not the unacknowledged message
  purged = store().purge_tombstones(kNow + 1, 100);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 0u);
  EXPECT_THAT(bodies(inbox(carol_)), ElementsAre("pending"));

  // The purged ids are new again; the young one is still a duplicate.
  const auto outcomes = commit({old_one, young, also_old});
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_EQ(outcomes[0].deliveries.size(), 1u);
  EXPECT_TRUE(outcomes[1].duplicate);
  EXPECT_FALSE(outcomes[2].duplicate);
}

TEST_P(StoreMessagesTest, EmptyBatchCommitsNothing) {
  auto outcomes = store().commit_messages({});
  ASSERT_TRUE(outcomes) << outcomes.status().to_string();
  EXPECT_THAT(*outcomes, IsEmpty());
}

TEST_P(StoreMessagesTest, MessagesSurviveReopen) {
  const GroupId group = add_group(alice_, {bob_});
  const OutgoingMessage message = direct(alice_, bob_, "kept");
  commit({message, to_group(alice_, group, "kept too", {bob_}), direct(alice_, bob_, "acked")});
  ASSERT_TRUE(store().ack_inbox(std::vector<AckRecord>{{bob_, 1}}));
  reopen();
  EXPECT_THAT(bodies(inbox(bob_)), ElementsAre("kept too", "acked"));
  EXPECT_EQ(acked_seq(bob_), 1u);
  EXPECT_EQ(last_seq(bob_), 3u);
  const CommitOutcome next = commit_one(direct(carol_, bob_, "next"));
  ASSERT_EQ(next.deliveries.size(), 1u);
  EXPECT_EQ(next.deliveries[0].seq, 4u);
}

TEST_P(StoreMessagesTest, ConcurrentCommitsReadsAndAcksKeepSequencesGapless) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  constexpr int kBatchSize = 10;
  const GroupId group = add_group(alice_, {bob_, carol_, dave_});
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const UserId senders[] = {alice_, bob_, carol_, dave_};
      const UserId sender = senders[t];
      for (int b = 0; b < kBatches; ++b) {
        std::vector<OutgoingMessage> messages;
        for (int i = 0; i < kBatchSize; ++i) {
          messages.push_back(direct(sender, bob_, "d"));
          if (i == 0)
            messages.push_back(to_group(sender, group, "g", {alice_, bob_, carol_, dave_}));
        }
        if (!store().commit_messages(messages)) failed = true;
        if (!store().read_inbox(bob_, 0, 50)) failed = true;
        if (!store().list_groups(sender, 0, 100)) failed = true;
      }
    });
  }
  threads.emplace_back([&] {  // carol acks as she goes
    for (int i = 0; i < 50; ++i) {
      auto record = store().find_user_by_id(carol_);
      if (!record) failed = true;
      if (record && !store().ack_inbox(std::vector<AckRecord>{{carol_, record->last_seq}})) {
        failed = true;
      }
    }
  });
  for (auto& thread : threads)
    thread.join();
  EXPECT_FALSE(failed);

  // Every sender (bob too, to himself) sends bob kBatchSize direct messages per batch, and
  // each sender but bob one group message per batch.
  const std::uint64_t expected_bob = kThreads * kBatches * kBatchSize + 3 * kBatches;
  const auto items = inbox(bob_, 0, 100000);
  ASSERT_EQ(items.size(), expected_bob);
  for (std::size_t i = 0; i < items.size(); ++i)
    ASSERT_EQ(items[i].seq, i + 1);
  EXPECT_EQ(last_seq(bob_), expected_bob);
  EXPECT_EQ(last_seq(carol_), static_cast<std::uint64_t>(3 * kBatches));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreMessagesTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace fastchat::store::test
