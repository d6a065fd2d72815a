// Direct messages over real sockets with real sealed envelopes: pushes, offline
// delivery in pages, acks, idempotent resends, ordering of a pipelined burst.
#include <gtest/gtest.h>

#include "chat_fixture.h"

namespace fastchat::itest {
namespace {

class MessagingTest : public ChatTest {};

std::string text_of(int i) {
  return "message number " + std::to_string(i);
}

TEST_F(MessagingTest, DirectMessageToAnOnlineUserIsPushedAndAcknowledged) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);

  for (int i = 1; i <= 3; ++i) {
    const auto id = MessageId::random();
    const auto request = alice->request(direct_send(user("alice"), user("bob"), id, text_of(i)));
    auto reply = alice->response(request);
    ASSERT_TRUE(reply && reply->has_send_ok()) << (reply ? reply->ShortDebugString() : "timeout");
    EXPECT_EQ(reply->send_ok().message_id(), id.to_bytes());
    EXPECT_FALSE(reply->send_ok().duplicate());
    EXPECT_GT(reply->send_ok().server_time_ms(), 0u);

    auto push = bob->push();
    ASSERT_TRUE(push) << "no push for message " << i;
    EXPECT_EQ(push->seq(), static_cast<std::uint64_t>(i));
    EXPECT_EQ(push->message_id(), id.to_bytes());
    EXPECT_EQ(push->sender(), "alice");
    EXPECT_EQ(push->group_id(), 0u);
    EXPECT_TRUE(push->sealed_key().empty());
    EXPECT_EQ(push->server_time_ms(), reply->send_ok().server_time_ms());
    auto text = user("bob").open_text(user("alice"), *push);
    ASSERT_TRUE(text) << text.status().to_string();
    EXPECT_EQ(*text, text_of(i));
  }
  // The sender gets no copy of its own message.
  EXPECT_EQ(alice->queued(), 0u);
}

// Pushes are handed to every event loop, each finding its own sessions of the
// recipient: a recipient logged in six times (spread over both loops of a server, or
// over the servers of a cluster) gets each message once on every connection, and
// the loops' delivery counters add up to exactly that.
TEST_F(MessagingTest, APushReachesEverySessionOfTheRecipientOnEveryLoop) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  register_offline("bob");
  constexpr int kSessions = 6;
  constexpr int kMessages = 3;
  std::vector<std::unique_ptr<RawClient>> bobs;
  for (int i = 0; i < kSessions; ++i) {
    bobs.push_back(logged_in(port(), user("bob")));
    ASSERT_TRUE(bobs.back()) << "session " << i;
  }
  const std::uint64_t before = counter(&server::LoopTotals::deliveries_out);
  for (int i = 1; i <= kMessages; ++i) {
    const auto id = MessageId::random();
    ASSERT_TRUE(
        send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, text_of(i)))));
    for (int s = 0; s < kSessions; ++s) {
      auto push = bobs[s]->push();
      ASSERT_TRUE(push) << "session " << s << ", message " << i;
      EXPECT_EQ(push->message_id(), id.to_bytes());
      EXPECT_EQ(push->seq(), static_cast<std::uint64_t>(i));
    }
  }
  for (const auto& bob : bobs)
    EXPECT_EQ(bob->queued(), 0u);
  EXPECT_TRUE(eventually(
      [&] {
        return counter(&server::LoopTotals::deliveries_out) - before == kSessions * kMessages;
      },
      std::chrono::seconds(10)))
      << counter(&server::LoopTotals::deliveries_out) - before;
}

TEST_F(MessagingTest, OfflineUserGetsEverythingInPagesOldestFirstAfterLogin) {
  register_offline("bob");
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  constexpr int kCount = 600;
  std::vector<wire::Frame> frames;
  std::vector<MessageId> ids;
  for (int i = 0; i < kCount; ++i) {
    ids.push_back(MessageId::random());
    frames.push_back(direct_send(user("alice"), user("bob"), ids.back(), text_of(i)));
  }
  for (const auto request : alice->request_all(std::move(frames))) {
    ASSERT_TRUE(send_ok(*alice, request));
  }

  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  std::uint64_t after = 0;
  const std::vector<std::pair<int, bool>> pages = {{256, true}, {256, true}, {88, false}};
  for (const auto& [size, has_more] : pages) {
    wire::Frame sync;
    sync.mutable_sync()->set_after_seq(after);
    sync.mutable_sync()->set_limit(256);
    const auto reply = bob->call(sync);
    ASSERT_TRUE(reply.has_sync_page()) << reply.ShortDebugString();
    const auto& page = reply.sync_page();
    ASSERT_EQ(page.messages_size(), size) << "page after " << after;
    EXPECT_EQ(page.has_more(), has_more) << "page after " << after;
    for (const auto& item : page.messages()) {
      ++after;
      ASSERT_EQ(item.seq(), after);
      ASSERT_EQ(item.message_id(), ids[after - 1].to_bytes());
      auto text = user("bob").open_text(user("alice"), item);
      ASSERT_TRUE(text) << text.status().to_string();
      ASSERT_EQ(*text, text_of(static_cast<int>(after - 1)));
    }
  }
  EXPECT_EQ(after, static_cast<std::uint64_t>(kCount));

  // Acked items are gone; the ack survives a new login.
  ASSERT_TRUE(bob->ack(kCount));
  auto rest = bob->sync_all(0);
  ASSERT_TRUE(rest);
  EXPECT_TRUE(rest->empty());
  auto again = std::make_unique<RawClient>(port());
  ASSERT_TRUE(again->hello());
  auto auth = again->login(user("bob"));
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->acked_seq(), static_cast<std::uint64_t>(kCount));
}

TEST_F(MessagingTest, AckRemovesOnlyWhatItCovers) {
  register_offline("bob");
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"),
                                                           MessageId::random(), text_of(i)))));
  }
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(bob->ack(3));
  auto items = bob->sync_all(0);
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].seq(), 4u);
  EXPECT_EQ((*items)[1].seq(), 5u);
  // An ack never goes backwards, and one past the end is clamped.
  ASSERT_TRUE(bob->ack(1));
  ASSERT_TRUE(bob->ack(1000));
  items = bob->sync_all(0);
  ASSERT_TRUE(items);
  EXPECT_TRUE(items->empty());
  // New messages continue the sequence.
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"),
                                                         MessageId::random(), "later"))));
  auto push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->seq(), 6u);
}

TEST_F(MessagingTest, UnackedPushesAreDeliveredAgainAfterReconnect) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  std::vector<MessageId> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(MessageId::random());
    ASSERT_TRUE(
        send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), ids.back(), "x"))));
    ASSERT_TRUE(bob->push());
  }
  bob->abort();  // gone without an ack
  auto again = logged_in(port(), user("bob"));
  ASSERT_TRUE(again);
  auto items = again->sync_all(0);
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ((*items)[i].message_id(), ids[i].to_bytes());
}

TEST_F(MessagingTest, TheSameMessageIdTwiceIsStoredAndDeliveredOnce) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  const auto id = MessageId::random();
  const auto frame = direct_send(user("alice"), user("bob"), id, "once");
  auto first = alice->call(frame);
  ASSERT_TRUE(first.has_send_ok()) << first.ShortDebugString();
  EXPECT_FALSE(first.send_ok().duplicate());
  auto second = alice->call(frame);
  ASSERT_TRUE(second.has_send_ok()) << second.ShortDebugString();
  EXPECT_TRUE(second.send_ok().duplicate());
  EXPECT_EQ(second.send_ok().server_time_ms(), first.send_ok().server_time_ms());
  // A resend with a new body (a retry re-seals with a fresh nonce) is still the same message.
  auto third = alice->call(direct_send(user("alice"), user("bob"), id, "once"));
  ASSERT_TRUE(third.has_send_ok());
  EXPECT_TRUE(third.send_ok().duplicate());

  // A barrier: the next push after the first must be the next message.
  const auto next = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), next, "n"))));
  auto push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), id.to_bytes());
  EXPECT_EQ(push->seq(), 1u);
  push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), next.to_bytes());
  EXPECT_EQ(push->seq(), 2u);
  auto items = bob->sync_all(0);
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 2u);
}

TEST_F(MessagingTest, TheSameMessageIdFromAnotherSenderIsAnotherMessage) {
  auto alice = online("alice");
  auto carol = online("carol");
  register_offline("bob");
  ASSERT_TRUE(alice && carol);
  const auto id = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, "a"))));
  ASSERT_TRUE(send_ok(*carol, carol->request(direct_send(user("carol"), user("bob"), id, "c"))));
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all(0);
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].sender(), "alice");
  EXPECT_EQ((*items)[1].sender(), "carol");
}

// The store keeps a delivered message's id (a tombstone) for the de-duplication window,
// so a retry after every recipient acked is still answered as a duplicate.
TEST_F(MessagingTest, AResendAfterTheRecipientAckedIsStillADuplicate) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  const auto id = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, "x"))));
  auto push = bob->push();
  ASSERT_TRUE(push);
  ASSERT_TRUE(bob->ack(push->seq()));
  // The sender lost the SendOk (say) and retries after reconnecting.
  auto retry = alice->call(direct_send(user("alice"), user("bob"), id, "x"));
  ASSERT_TRUE(retry.has_send_ok()) << retry.ShortDebugString();
  EXPECT_TRUE(retry.send_ok().duplicate());
  const auto next = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), next, "n"))));
  push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), next.to_bytes()) << "the retried message was delivered again";
}

TEST_F(MessagingTest, APipelinedBurstArrivesInOrder) {
  auto alice = online("alice");
  auto bob = online("bob");
  ASSERT_TRUE(alice && bob);
  constexpr int kCount = 1000;
  std::vector<wire::Frame> frames;
  std::vector<MessageId> ids;
  for (int i = 0; i < kCount; ++i) {
    ids.push_back(MessageId::random());
    frames.push_back(direct_send(user("alice"), user("bob"), ids.back(), text_of(i)));
  }
  const auto requests = alice->request_all(std::move(frames));
  for (int i = 0; i < kCount; ++i) {
    auto push = bob->push();
    ASSERT_TRUE(push) << "push " << i << " missing";
    ASSERT_EQ(push->seq(), static_cast<std::uint64_t>(i + 1));
    ASSERT_EQ(push->message_id(), ids[i].to_bytes()) << "out of order at " << i;
  }
  for (const auto request : requests)
    ASSERT_TRUE(send_ok(*alice, request));
  EXPECT_EQ(bob->queued(), 0u);
}

TEST_F(MessagingTest, SendsFromTwoConnectionsOfOneUserEachKeepTheirOrder) {
  register_offline("bob");
  auto alice1 = online("alice");
  auto alice2 = logged_in(port(), user("alice"));
  ASSERT_TRUE(alice1 && alice2);
  constexpr int kCount = 200;
  std::vector<wire::Frame> first, second;
  for (int i = 0; i < kCount; ++i) {
    first.push_back(
        direct_send(user("alice"), user("bob"), MessageId::random(), "a" + std::to_string(i)));
    second.push_back(
        direct_send(user("alice"), user("bob"), MessageId::random(), "b" + std::to_string(i)));
  }
  const auto r1 = alice1->request_all(std::move(first));
  const auto r2 = alice2->request_all(std::move(second));
  for (const auto r : r1)
    ASSERT_TRUE(send_ok(*alice1, r));
  for (const auto r : r2)
    ASSERT_TRUE(send_ok(*alice2, r));
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all(0, 1000);
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 2u * kCount);
  int next_a = 0, next_b = 0;
  for (std::size_t i = 0; i < items->size(); ++i) {
    ASSERT_EQ((*items)[i].seq(), i + 1);
    auto text = user("bob").open_text(user("alice"), (*items)[i]);
    ASSERT_TRUE(text);
    if ((*text)[0] == 'a') {
      ASSERT_EQ(*text, "a" + std::to_string(next_a++));
    } else {
      ASSERT_EQ(*text, "b" + std::to_string(next_b++));
    }
  }
}

TEST_F(MessagingTest, InvalidSendsAreRefused) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  auto to_nobody = direct_send(user("alice"), user("bob"), MessageId::random(), "x");
  EXPECT_EQ(error_of(alice->call(to_nobody)), wire::UNKNOWN_USER);  // bob never registered

  auto bad_name = to_nobody;
  bad_name.mutable_send()->set_user("Not A Name!");
  EXPECT_EQ(error_of(alice->call(bad_name)), wire::INVALID_USERNAME);

  register_offline("bob");
  auto short_id = direct_send(user("alice"), user("bob"), MessageId::random(), "x");
  short_id.mutable_send()->set_message_id("12345678");
  EXPECT_EQ(error_of(alice->call(short_id)), wire::BAD_REQUEST);
  auto zero_id = short_id;
  zero_id.mutable_send()->set_message_id(std::string(16, '\0'));
  EXPECT_EQ(error_of(alice->call(zero_id)), wire::BAD_REQUEST);
  auto empty_body = direct_send(user("alice"), user("bob"), MessageId::random(), "x");
  empty_body.mutable_send()->clear_body();
  EXPECT_EQ(error_of(alice->call(empty_body)), wire::BAD_REQUEST);
  auto no_recipient = direct_send(user("alice"), user("bob"), MessageId::random(), "x");
  no_recipient.mutable_send()->clear_to();
  EXPECT_EQ(error_of(alice->call(no_recipient)), wire::BAD_REQUEST);
  auto no_group = direct_send(user("alice"), user("bob"), MessageId::random(), "x");
  no_group.mutable_send()->set_group_id(987654);
  EXPECT_EQ(error_of(alice->call(no_group)), wire::UNKNOWN_GROUP);

  // None of them reached bob; the connection still works.
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"),
                                                         MessageId::random(), "fine"))));
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all(0);
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 1u);
}

}  // namespace
}  // namespace fastchat::itest
