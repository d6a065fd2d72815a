// CommitPlan without a database: each rule of committing a batch, from the batch and the
// facts a backend would read. The store suites (store_messages_test.cpp, both backends)
// prove the backends read and write what the plan says.
#include "store/commit_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace fastchat::store {

// For gtest's messages (found by argument-dependent lookup, so beside the types).
void PrintTo(const InboxRow& row, std::ostream* out) {
  *out << "{user " << row.user << ", seq " << row.seq << ", message " << row.message << ", wrap "
       << row.key_wrap_index << "}";
}
void PrintTo(const NewMessageRow& row, std::ostream* out) {
  *out << "{index " << row.index << ", refs " << row.refs << "}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr UserId kAlice = 1, kBob = 2, kCarol = 3, kDave = 4, kNobody = 99;
constexpr GroupId kGroup = 10, kOtherGroup = 11;

OutgoingMessage direct(UserId from, UserId to, std::int64_t time_ms = 1000) {
  OutgoingMessage message;
  message.sender = from;
  message.message_id = MessageId::random();
  message.to_user = to;
  message.body = "body";
  message.server_time_ms = time_ms;
  return message;
}

OutgoingMessage to_group(UserId from, GroupId group, std::vector<UserId> wrapped_for) {
  OutgoingMessage message;
  message.sender = from;
  message.message_id = MessageId::random();
  message.group_id = group;
  message.body = "group body";
  message.server_time_ms = 2000;
  for (UserId user : wrapped_for)
    message.key_wraps.push_back({user, "wrap for " + std::to_string(user)});
  return message;
}

OutgoingMessage sender_keys(UserId from, GroupId group, std::uint64_t chain_length) {
  OutgoingMessage message = to_group(from, group, {});
  message.membership_seq = chain_length;
  return message;
}

// Alice, Bob, Carol and Dave exist (last_seq 10, 20, 30, 40); kGroup holds Alice, Bob and
// Carol with a chain of 3 records; kOtherGroup holds only Dave. Facts are given out of
// order on purpose: the plan does not rely on the backend's order.
class CommitPlanTest : public ::testing::Test {
 protected:
  void fill_facts() {
    CommitFacts& facts = plan_.facts();
    facts.users = {{kDave, 40}, {kBob, 20}, {kAlice, 10}, {kCarol, 30}};
    facts.groups = {static_cast<std::int64_t>(kOtherGroup), static_cast<std::int64_t>(kGroup)};
    facts.members = {{kOtherGroup, kDave}, {kGroup, kCarol}, {kGroup, kAlice}, {kGroup, kBob}};
    facts.chains = {{kGroup, 3}, {kOtherGroup, 1}};
  }

  // Plans `messages` with the facts above plus `stored`.
  std::vector<CommitOutcome> plan(const std::vector<OutgoingMessage>& messages,
                                  std::vector<StoredMessage> stored = {}) {
    plan_.start(messages);
    fill_facts();
    plan_.facts().stored = std::move(stored);
    std::vector<CommitOutcome> outcomes;
    const Status status = plan_.decide(outcomes);
    EXPECT_TRUE(status) << status.to_string();
    EXPECT_EQ(outcomes.size(), messages.size());
    return outcomes;
  }

  std::vector<InboxRow> rows() const {
    return {plan_.inbox_rows().begin(), plan_.inbox_rows().end()};
  }
  std::vector<NewMessageRow> new_messages() const {
    return {plan_.new_messages().begin(), plan_.new_messages().end()};
  }
  std::vector<std::pair<UserId, std::int64_t>> last_seqs() const {
    return {plan_.last_seqs().begin(), plan_.last_seqs().end()};
  }

  CommitPlan plan_;
};

TEST_F(CommitPlanTest, ReadsTheSendersRecipientsAndGroupsOfWellFormedMessages) {
  OutgoingMessage both = direct(kDave, kAlice);
  both.group_id = kOtherGroup;  // malformed: not looked up
  OutgoingMessage huge_group = to_group(kAlice, GroupId{1} << 63, {});
  const std::vector<OutgoingMessage> messages = {
      direct(kCarol, kBob),         to_group(kAlice, kGroup, {}),
      direct(kBob, kCarol),         both,
      to_group(kCarol, kGroup, {}), huge_group};
  const CommitReads& reads = plan_.start(messages);
  EXPECT_THAT(reads.users, ElementsAre(kAlice, kBob, kCarol));
  EXPECT_THAT(reads.groups, ElementsAre(static_cast<std::int64_t>(kGroup)));
}

TEST_F(CommitPlanTest, DirectMessageGetsTheRecipientsNextSeq) {
  const auto outcomes = plan({direct(kAlice, kBob, 1234)});
  ASSERT_TRUE(outcomes[0].status);
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_EQ(outcomes[0].server_time_ms, 1234);
  ASSERT_EQ(outcomes[0].deliveries.size(), 1u);
  EXPECT_EQ(outcomes[0].deliveries[0].recipient, kBob);
  EXPECT_EQ(outcomes[0].deliveries[0].seq, 21u);
  EXPECT_EQ(outcomes[0].deliveries[0].key_wrap_index, -1);
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{0, 1}));
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kBob, 21, 0, -1}));
  EXPECT_THAT(last_seqs(), ElementsAre(std::pair<UserId, std::int64_t>{kBob, 21}));
}

TEST_F(CommitPlanTest, DirectMessageToOneselfIsDelivered) {
  const auto outcomes = plan({direct(kAlice, kAlice)});
  ASSERT_TRUE(outcomes[0].status);
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kAlice, 11, 0, -1}));
}

TEST_F(CommitPlanTest, WithheldMessageIsStoredAsATombstoneForNoOne) {
  OutgoingMessage message = direct(kAlice, kBob);
  message.withheld = true;
  const auto outcomes = plan({message});
  ASSERT_TRUE(outcomes[0].status);
  EXPECT_THAT(outcomes[0].deliveries, IsEmpty());
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{0, 0}));
  EXPECT_THAT(rows(), IsEmpty());
  EXPECT_THAT(last_seqs(), IsEmpty());
}

TEST_F(CommitPlanTest, MessageWithBothOrNeitherRecipientAndGroupIsABadRequest) {
  OutgoingMessage both = direct(kAlice, kBob);
  both.group_id = kGroup;
  OutgoingMessage neither = direct(kAlice, 0);
  const auto outcomes = plan({both, neither});
  EXPECT_EQ(outcomes[0].status.code(), Code::kBadRequest);
  EXPECT_EQ(outcomes[1].status.code(), Code::kBadRequest);
  EXPECT_THAT(new_messages(), IsEmpty());
  EXPECT_THAT(rows(), IsEmpty());
}

TEST_F(CommitPlanTest, UnknownSenderOrRecipientIsRefused) {
  const auto outcomes = plan({direct(kNobody, kBob), direct(kAlice, kNobody)});
  EXPECT_EQ(outcomes[0].status.code(), Code::kUnknownUser);
  EXPECT_EQ(outcomes[1].status.code(), Code::kUnknownUser);
  EXPECT_THAT(new_messages(), IsEmpty());
}

TEST_F(CommitPlanTest, GroupMessageGoesToEveryOtherMemberWithItsWrap) {
  // Wraps out of order, one for a non-member (ignored), two for Carol (the first counts).
  OutgoingMessage message = to_group(kAlice, kGroup, {kCarol, kDave, kBob, kCarol});
  const auto outcomes = plan({message});
  ASSERT_TRUE(outcomes[0].status) << outcomes[0].status.to_string();
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{0, 2}));
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kBob, 21, 0, 2}, InboxRow{kCarol, 31, 0, 0}));
  ASSERT_EQ(outcomes[0].deliveries.size(), 2u);
  EXPECT_EQ(outcomes[0].deliveries[1].recipient, kCarol);
  EXPECT_EQ(outcomes[0].deliveries[1].key_wrap_index, 0);
}

TEST_F(CommitPlanTest, GroupMessageMissingAMembersWrapIsMembershipChanged) {
  const auto outcomes = plan({to_group(kAlice, kGroup, {kBob})});
  EXPECT_EQ(outcomes[0].status.code(), Code::kMembershipChanged);
  EXPECT_THAT(new_messages(), IsEmpty());
  EXPECT_THAT(rows(), IsEmpty());
  EXPECT_THAT(last_seqs(), IsEmpty());
}

TEST_F(CommitPlanTest, GroupOfOneStoresATombstone) {
  const auto outcomes = plan({to_group(kDave, kOtherGroup, {})});
  ASSERT_TRUE(outcomes[0].status);
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{0, 0}));
  EXPECT_THAT(rows(), IsEmpty());
}

TEST_F(CommitPlanTest, UnknownOrUnstorableGroupIsRefused) {
  const auto outcomes =
      plan({to_group(kAlice, 12, {}), to_group(kAlice, GroupId{1} << 63, {kBob, kCarol})});
  EXPECT_EQ(outcomes[0].status.code(), Code::kUnknownGroup);
  EXPECT_EQ(outcomes[1].status.code(), Code::kUnknownGroup);
}

TEST_F(CommitPlanTest, SenderWhoIsNotAMemberIsForbidden) {
  const auto outcomes = plan({to_group(kDave, kGroup, {kAlice, kBob, kCarol})});
  EXPECT_EQ(outcomes[0].status.code(), Code::kForbidden);
  EXPECT_THAT(new_messages(), IsEmpty());
}

TEST_F(CommitPlanTest, SenderKeysMessageForTheCurrentChainGoesToEveryOtherMember) {
  const auto outcomes = plan({sender_keys(kBob, kGroup, 3)});
  ASSERT_TRUE(outcomes[0].status) << outcomes[0].status.to_string();
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kAlice, 11, 0, -1}, InboxRow{kCarol, 31, 0, -1}));
}

TEST_F(CommitPlanTest, SenderKeysMessageForAnotherChainLengthIsMembershipChanged) {
  OutgoingMessage with_wraps = sender_keys(kBob, kGroup, 3);
  with_wraps.key_wraps.push_back({kAlice, "wrap"});
  const auto outcomes =
      plan({sender_keys(kBob, kGroup, 2), sender_keys(kBob, kGroup, 4), with_wraps});
  for (const CommitOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.status.code(), Code::kMembershipChanged);
  }
  EXPECT_NE(outcomes[0].status.message().find("3 records long"), std::string::npos);
  EXPECT_THAT(rows(), IsEmpty());
}

TEST_F(CommitPlanTest, GroupWithoutAChainHasLengthZero) {
  std::vector<OutgoingMessage> messages = {sender_keys(kAlice, kGroup, 1)};
  plan_.start(messages);
  fill_facts();
  plan_.facts().chains.clear();
  std::vector<CommitOutcome> outcomes;
  ASSERT_TRUE(plan_.decide(outcomes));
  EXPECT_EQ(outcomes[0].status.code(), Code::kMembershipChanged);
  EXPECT_NE(outcomes[0].status.message().find("0 records long"), std::string::npos);
}

TEST_F(CommitPlanTest, StoredMessageIsADuplicateEvenWhenItCouldNotBeSentNow) {
  const OutgoingMessage resent = direct(kAlice, kBob, 5000);
  const OutgoingMessage no_longer_allowed = to_group(kDave, kGroup, {});
  const auto outcomes =
      plan({resent, no_longer_allowed},
           {{kAlice, resent.message_id, 1111}, {kDave, no_longer_allowed.message_id, 2222}});
  EXPECT_TRUE(outcomes[0].status);
  EXPECT_TRUE(outcomes[0].duplicate);
  EXPECT_EQ(outcomes[0].server_time_ms, 1111);
  EXPECT_THAT(outcomes[0].deliveries, IsEmpty());
  EXPECT_TRUE(outcomes[1].status);
  EXPECT_TRUE(outcomes[1].duplicate);
  EXPECT_EQ(outcomes[1].server_time_ms, 2222);
  EXPECT_THAT(new_messages(), IsEmpty());
  EXPECT_THAT(rows(), IsEmpty());
}

TEST_F(CommitPlanTest, SameIdFromAnotherSenderIsNotADuplicate) {
  const OutgoingMessage message = direct(kAlice, kBob);
  const auto outcomes = plan({message}, {{kCarol, message.message_id, 1111}});
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{0, 1}));
}

TEST_F(CommitPlanTest, RepeatWithinTheBatchIsADuplicateOfTheFirstStoredCopy) {
  OutgoingMessage first = direct(kAlice, kBob, 100);
  OutgoingMessage refused = first;  // an earlier copy that fails is no original
  refused.to_user = kNobody;
  refused.server_time_ms = 50;
  OutgoingMessage again = first;
  again.server_time_ms = 200;
  const auto outcomes = plan({refused, first, again});
  EXPECT_EQ(outcomes[0].status.code(), Code::kUnknownUser);
  EXPECT_FALSE(outcomes[1].duplicate);
  EXPECT_TRUE(outcomes[2].duplicate);
  EXPECT_EQ(outcomes[2].server_time_ms, 100);
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{1, 1}));
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kBob, 21, 1, -1}));
}

TEST_F(CommitPlanTest, SeqsStayGaplessAcrossTheBatchAndSkipRefusedMessages) {
  const auto outcomes =
      plan({direct(kAlice, kBob), direct(kNobody, kBob), to_group(kAlice, kGroup, {kBob}),
            sender_keys(kCarol, kGroup, 3), direct(kCarol, kBob)});
  EXPECT_TRUE(outcomes[0].status);
  EXPECT_FALSE(outcomes[1].status);
  EXPECT_FALSE(outcomes[2].status);
  EXPECT_TRUE(outcomes[3].status);
  EXPECT_TRUE(outcomes[4].status);
  EXPECT_THAT(new_messages(),
              ElementsAre(NewMessageRow{0, 1}, NewMessageRow{3, 2}, NewMessageRow{4, 1}));
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kBob, 21, 0, -1}, InboxRow{kAlice, 11, 3, -1},
                                  InboxRow{kBob, 22, 3, -1}, InboxRow{kBob, 23, 4, -1}));
  EXPECT_THAT(last_seqs(), ElementsAre(std::pair<UserId, std::int64_t>{kAlice, 11},
                                       std::pair<UserId, std::int64_t>{kBob, 23}));
}

TEST_F(CommitPlanTest, MemberWithoutAnAccountFailsTheBatch) {
  std::vector<OutgoingMessage> messages = {sender_keys(kAlice, kGroup, 3)};
  plan_.start(messages);
  fill_facts();
  std::erase_if(plan_.facts().users, [](const auto& user) { return user.first == kCarol; });
  std::vector<CommitOutcome> outcomes;
  EXPECT_EQ(plan_.decide(outcomes).code(), Code::kInternal);
}

TEST_F(CommitPlanTest, StartForgetsTheLastBatch) {
  plan({direct(kAlice, kBob), direct(kCarol, kDave)});
  ASSERT_EQ(rows().size(), 2u);
  const auto outcomes = plan({direct(kDave, kAlice)});
  ASSERT_TRUE(outcomes[0].status);
  EXPECT_THAT(new_messages(), ElementsAre(NewMessageRow{0, 1}));
  EXPECT_THAT(rows(), ElementsAre(InboxRow{kAlice, 11, 0, -1}));
  EXPECT_THAT(last_seqs(), ElementsAre(std::pair<UserId, std::int64_t>{kAlice, 11}));
}

}  // namespace
}  // namespace fastchat::store
