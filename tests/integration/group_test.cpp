// Groups over real sockets: membership, authorization, and fan-out of one sealed
// body with a key wrap per member (online members pushed, offline ones via Sync).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "chat_fixture.h"
#include "crypto/membership.h"

namespace fastchat::itest {
namespace {

class GroupTest : public ChatTest {
 protected:
  // alice creates a group with `members`; its id.
  GroupId create_group(RawClient& creator, std::vector<std::string> members,
                       const std::string& name = "friends") {
    wire::Frame frame;
    frame.mutable_create_group()->set_name(name);
    for (const auto& m : members)
      frame.mutable_create_group()->add_members(m);
    const auto reply = creator.call(frame);
    EXPECT_TRUE(reply.has_group_info()) << reply.ShortDebugString();
    return reply.group_info().group_id();
  }

  static wire::Frame get_group(GroupId id) {
    wire::Frame frame;
    frame.mutable_get_group()->set_group_id(id);
    return frame;
  }
  static wire::Frame add_member(GroupId id, const std::string& name) {
    wire::Frame frame;
    frame.mutable_add_member()->set_group_id(id);
    frame.mutable_add_member()->set_username(name);
    return frame;
  }
  static wire::Frame remove_member(GroupId id, const std::string& name) {
    wire::Frame frame;
    frame.mutable_remove_member()->set_group_id(id);
    frame.mutable_remove_member()->set_username(name);
    return frame;
  }
  static wire::Frame leave(GroupId id) {
    wire::Frame frame;
    frame.mutable_leave_group()->set_group_id(id);
    return frame;
  }
  // A group message from `from` with a wrap for each of `to`.
  static wire::Frame group_message(const std::string& from, GroupId group,
                                   const std::vector<std::string>& to, const MessageId& id,
                                   const std::string& text) {
    std::vector<const TestUser*> recipients;
    for (const auto& name : to)
      recipients.push_back(&user(name));
    return group_send(user(from), group, recipients, id, text);
  }
  // A direct message after which nothing else may be pending for `to` (a barrier).
  static wire::Frame barrier(const std::string& from, const std::string& to, const MessageId& id) {
    return direct_send(user(from), user(to), id, "barrier");
  }
};

std::vector<std::pair<std::string, bool>> members_of(const wire::GroupInfo& group) {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& m : group.members())
    out.emplace_back(m.username(), m.admin());
  return out;
}

using Members = std::vector<std::pair<std::string, bool>>;

TEST_F(GroupTest, CreateGetAndList) {
  auto alice = online("alice");
  auto bob = online("bob");
  register_offline("carol");
  auto dave = online("dave");
  ASSERT_TRUE(alice && bob && dave);

  // The creator and repeated names are not added twice; names are case-insensitive.
  const GroupId id = create_group(*alice, {"bob", "carol", "BOB", "alice"});
  ASSERT_NE(id, 0u);
  const auto info = bob->call(get_group(id));
  ASSERT_TRUE(info.has_group_info()) << info.ShortDebugString();
  EXPECT_EQ(info.group_info().group_id(), id);
  EXPECT_EQ(info.group_info().name(), "friends");
  EXPECT_EQ(members_of(info.group_info()),
            (Members{{"alice", true}, {"bob", false}, {"carol", false}}));

  const GroupId second = create_group(*bob, {"alice"}, "pair");
  wire::Frame list;
  list.mutable_list_groups();
  const auto groups = alice->call(list);
  ASSERT_TRUE(groups.has_group_list());
  ASSERT_EQ(groups.group_list().groups_size(), 2);
  std::set<GroupId> ids;
  for (const auto& g : groups.group_list().groups())
    ids.insert(g.group_id());
  EXPECT_EQ(ids, (std::set<GroupId>{id, second}));
  const auto none = dave->call(list);
  ASSERT_TRUE(none.has_group_list());
  EXPECT_EQ(none.group_list().groups_size(), 0);
}

TEST_F(GroupTest, CreateWithBadInputIsRefused) {
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  wire::Frame frame;
  frame.mutable_create_group()->set_name("g");
  frame.mutable_create_group()->add_members("nobody");
  EXPECT_EQ(error_of(alice->call(frame)), wire::UNKNOWN_USER);
  frame.mutable_create_group()->clear_members();
  frame.mutable_create_group()->set_name("");
  EXPECT_EQ(error_of(alice->call(frame)), wire::BAD_REQUEST);
  frame.mutable_create_group()->set_name(std::string(65, 'n'));
  EXPECT_EQ(error_of(alice->call(frame)), wire::BAD_REQUEST);
  EXPECT_EQ(error_of(alice->call(get_group(424242))), wire::UNKNOWN_GROUP);
}

TEST_F(GroupTest, NonMembersAreForbidden) {
  auto alice = online("alice");
  register_offline("bob");
  auto dave = online("dave");
  ASSERT_TRUE(alice && dave);
  const GroupId id = create_group(*alice, {"bob"});

  EXPECT_EQ(error_of(dave->call(get_group(id))), wire::FORBIDDEN);
  EXPECT_EQ(error_of(dave->call(add_member(id, "dave"))), wire::FORBIDDEN);
  EXPECT_EQ(error_of(dave->call(remove_member(id, "bob"))), wire::FORBIDDEN);
  EXPECT_EQ(error_of(dave->call(leave(id))), wire::FORBIDDEN);
  const auto send = group_message("dave", id, {"alice", "bob"}, MessageId::random(), "hi");
  EXPECT_EQ(error_of(dave->call(send)), wire::FORBIDDEN);

  // Nothing changed and nothing was delivered.
  const auto info = alice->call(get_group(id));
  EXPECT_EQ(members_of(info.group_info()), (Members{{"alice", true}, {"bob", false}}));
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all();
  ASSERT_TRUE(items);
  EXPECT_TRUE(items->empty());
}

TEST_F(GroupTest, NonAdminsCannotAddOrRemoveOthers) {
  auto alice = online("alice");
  auto bob = online("bob");
  register_offline("carol");
  register_offline("dave");
  ASSERT_TRUE(alice && bob);
  const GroupId id = create_group(*alice, {"bob", "carol"});
  EXPECT_EQ(error_of(bob->call(add_member(id, "dave"))), wire::FORBIDDEN);
  EXPECT_EQ(error_of(bob->call(remove_member(id, "carol"))), wire::FORBIDDEN);
  EXPECT_EQ(error_of(bob->call(remove_member(id, "alice"))), wire::FORBIDDEN);
  const auto info = bob->call(get_group(id));
  EXPECT_EQ(members_of(info.group_info()),
            (Members{{"alice", true}, {"bob", false}, {"carol", false}}));
  // The admin can.
  const auto added = alice->call(add_member(id, "dave"));
  ASSERT_TRUE(added.has_group_info()) << added.ShortDebugString();
  EXPECT_EQ(added.group_info().members_size(), 4);
  const auto removed = alice->call(remove_member(id, "carol"));
  ASSERT_TRUE(removed.has_group_info()) << removed.ShortDebugString();
  EXPECT_EQ(members_of(removed.group_info()),
            (Members{{"alice", true}, {"bob", false}, {"dave", false}}));
  EXPECT_EQ(error_of(alice->call(remove_member(id, "carol"))), wire::UNKNOWN_USER);
}

TEST_F(GroupTest, GroupSendFansOutWithEachMembersOwnKeyWrap) {
  auto alice = online("alice");
  auto bob = online("bob");
  register_offline("carol");
  ASSERT_TRUE(alice && bob);
  const GroupId id = create_group(*alice, {"bob", "carol"});

  const auto message_id = MessageId::random();
  const auto frame = group_message("alice", id, {"bob", "carol"}, message_id, "hello group");
  const std::string body = frame.send().body();
  std::map<std::string, std::string> wraps;
  for (const auto& w : frame.send().key_wraps())
    wraps[w.username()] = w.sealed_key();
  ASSERT_TRUE(send_ok(*alice, alice->request(frame)));

  auto push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->seq(), 1u);
  EXPECT_EQ(push->group_id(), id);
  EXPECT_EQ(push->sender(), "alice");
  EXPECT_EQ(push->message_id(), message_id.to_bytes());
  EXPECT_EQ(push->body(), body);
  EXPECT_EQ(push->sealed_key(), wraps["bob"]);
  auto text = user("bob").open_text(user("alice"), *push);
  ASSERT_TRUE(text) << text.status().to_string();
  EXPECT_EQ(*text, "hello group");

  auto carol = logged_in(port(), user("carol"));
  ASSERT_TRUE(carol);
  auto items = carol->sync_all();
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 1u);
  const auto& item = (*items)[0];
  EXPECT_EQ(item.seq(), 1u);
  EXPECT_EQ(item.group_id(), id);
  EXPECT_EQ(item.body(), body);
  EXPECT_EQ(item.sealed_key(), wraps["carol"]);
  EXPECT_NE(item.sealed_key(), wraps["bob"]);
  text = user("carol").open_text(user("alice"), item);
  ASSERT_TRUE(text) << text.status().to_string();
  EXPECT_EQ(*text, "hello group");
  // Bob's wrap does not open for carol.
  auto swapped = item;
  swapped.set_sealed_key(wraps["bob"]);
  EXPECT_FALSE(user("carol").open_text(user("alice"), swapped));
  // The sender gets no copy.
  EXPECT_EQ(alice->queued(), 0u);
}

TEST_F(GroupTest, AMissingKeyWrapIsMembershipChanged) {
  auto alice = online("alice");
  auto bob = online("bob");
  register_offline("carol");
  ASSERT_TRUE(alice && bob);
  const GroupId id = create_group(*alice, {"bob", "carol"});
  const auto reply =
      alice->call(group_message("alice", id, {"bob"}, MessageId::random(), "only bob"));
  EXPECT_EQ(error_of(reply), wire::MEMBERSHIP_CHANGED) << reply.ShortDebugString();
  // Nothing was delivered: the next push for bob is the barrier.
  const auto next = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(barrier("alice", "bob", next))));
  auto push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), next.to_bytes());
  EXPECT_EQ(push->seq(), 1u);
}

TEST_F(GroupTest, AMemberAddedLaterDoesNotGetEarlierMessages) {
  auto alice = online("alice");
  register_offline("bob");
  register_offline("dave");
  ASSERT_TRUE(alice);
  const GroupId id = create_group(*alice, {"bob"});
  ASSERT_TRUE(send_ok(
      *alice, alice->request(group_message("alice", id, {"bob"}, MessageId::random(), "before"))));
  ASSERT_TRUE(alice->call(add_member(id, "dave")).has_group_info());
  // The sender's old view of the members is refused now.
  EXPECT_EQ(
      error_of(alice->call(group_message("alice", id, {"bob"}, MessageId::random(), "stale view"))),
      wire::MEMBERSHIP_CHANGED);
  const auto after = MessageId::random();
  ASSERT_TRUE(
      send_ok(*alice, alice->request(group_message("alice", id, {"bob", "dave"}, after, "after"))));

  auto dave = logged_in(port(), user("dave"));
  ASSERT_TRUE(dave);
  auto items = dave->sync_all();
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].message_id(), after.to_bytes());
  auto text = user("dave").open_text(user("alice"), (*items)[0]);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "after");
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  items = bob->sync_all();
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 2u);
}

TEST_F(GroupTest, RemovedAndLeftMembersReceiveNothingAfterwards) {
  auto alice = online("alice");
  auto bob = online("bob");
  auto carol = online("carol");
  auto dave = online("dave");
  ASSERT_TRUE(alice && bob && carol && dave);
  const GroupId id = create_group(*alice, {"bob", "carol", "dave"});

  const auto removed = alice->call(remove_member(id, "carol"));
  ASSERT_TRUE(removed.has_group_info()) << removed.ShortDebugString();
  const auto left = bob->call(leave(id));
  ASSERT_TRUE(left.has_ok()) << left.ShortDebugString();
  const auto info = alice->call(get_group(id));
  EXPECT_EQ(members_of(info.group_info()), (Members{{"alice", true}, {"dave", false}}));

  // Even with wraps for them (a sender's stale view), former members get nothing.
  const auto first = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(group_message("alice", id, {"bob", "carol", "dave"},
                                                           first, "after they went"))));
  const auto second = MessageId::random();
  ASSERT_TRUE(
      send_ok(*alice, alice->request(group_message("alice", id, {"dave"}, second, "second"))));
  auto push = dave->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), first.to_bytes());
  push = dave->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), second.to_bytes());

  const std::vector<std::pair<RawClient*, std::string>> former = {{bob.get(), "bob"},
                                                                  {carol.get(), "carol"}};
  for (const auto& [client, name] : former) {
    const auto next = MessageId::random();
    ASSERT_TRUE(send_ok(*alice, alice->request(barrier("alice", name, next))));
    push = client->push();
    ASSERT_TRUE(push) << name;
    EXPECT_EQ(push->message_id(), next.to_bytes()) << name << " got a group message";
    EXPECT_EQ(push->seq(), 1u) << name;
    // And they may no longer read or write the group.
    EXPECT_EQ(error_of(client->call(get_group(id))), wire::FORBIDDEN) << name;
    EXPECT_EQ(error_of(client->call(
                  group_message(name, id, {"alice", "dave"}, MessageId::random(), "let me in"))),
              wire::FORBIDDEN)
        << name;
  }
}

TEST_F(GroupTest, WhenTheLastAdminLeavesTheLongestStandingMemberBecomesAdmin) {
  auto alice = online("alice");
  auto bob = online("bob");
  register_offline("carol");
  register_offline("dave");
  ASSERT_TRUE(alice && bob);
  const GroupId id = create_group(*alice, {"bob", "carol"});
  ASSERT_TRUE(alice->call(leave(id)).has_ok());
  const auto info = bob->call(get_group(id));
  EXPECT_EQ(members_of(info.group_info()), (Members{{"bob", true}, {"carol", false}}));
  EXPECT_TRUE(bob->call(add_member(id, "dave")).has_group_info());
}

// Signed membership: what the server checks before it stores a record (clients check
// everything again themselves; see client_e2e_test).
wire::Frame change(const crypto::MembershipRecord& record) {
  wire::Frame frame;
  frame.mutable_change_membership()->set_record(crypto::encode_record(record));
  return frame;
}

crypto::MembershipRecord signed_by(const std::string& name, crypto::MembershipRecord record) {
  crypto::sign_record(record, user(name).identity());
  return record;
}

TEST_F(GroupTest, TheServerStoresOnlyRecordsItCanCheck) {
  auto alice = online("alice");
  auto bob = online("bob");
  register_offline("carol");
  ASSERT_TRUE(alice && bob);
  const GroupId id = create_group(*alice, {"bob"});
  crypto::MembershipChain empty(id, 0, {}, {});
  // The creation record must list the group as it is.
  auto wrong = empty.next("alice", crypto::MembershipAction::kCreate, {},
                          {{"alice", true}, {"bob", false}, {"carol", false}}, 1);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(alice->call(change(signed_by("alice", *wrong))).error().code(), wire::BAD_REQUEST);
  auto genesis = empty.next("alice", crypto::MembershipAction::kCreate, {},
                            {{"alice", true}, {"bob", false}}, 1);
  ASSERT_TRUE(genesis);
  // Signed by someone else than its actor, or sent by someone else than its actor.
  EXPECT_EQ(alice->call(change(signed_by("bob", *genesis))).error().code(), wire::BAD_REQUEST);
  EXPECT_EQ(bob->call(change(signed_by("alice", *genesis))).error().code(), wire::FORBIDDEN);
  const auto first = signed_by("alice", *genesis);
  ASSERT_TRUE(alice->call(change(first)).has_group_info());

  // Once signed, unsigned changes are refused; bob (no admin) cannot sign an add.
  EXPECT_EQ(alice->call(add_member(id, "carol")).error().code(), wire::FORBIDDEN);
  crypto::MembershipChain chain;
  ASSERT_TRUE(chain.append(first, user("alice").identity().sign_public_key()));
  auto by_bob = chain.next("bob", crypto::MembershipAction::kAdd, "carol", {}, 2);
  EXPECT_FALSE(by_bob);  // the chain says no: the server says no as well
  crypto::MembershipRecord forced =
      *chain.next("alice", crypto::MembershipAction::kAdd, "carol", {}, 2);
  forced.actor = "bob";
  EXPECT_EQ(bob->call(change(signed_by("bob", forced))).error().code(), wire::FORBIDDEN);
  // A record that does not follow the last one is stale: MEMBERSHIP_CHANGED.
  auto add = chain.next("alice", crypto::MembershipAction::kAdd, "carol", {}, 2);
  ASSERT_TRUE(add);
  auto stale = *add;
  stale.prev_hash = std::string(32, '\x01');
  EXPECT_EQ(alice->call(change(signed_by("alice", stale))).error().code(),
            wire::MEMBERSHIP_CHANGED);
  const auto added = alice->call(change(signed_by("alice", *add)));
  ASSERT_TRUE(added.has_group_info()) << added.ShortDebugString();
  EXPECT_EQ(members_of(added.group_info()),
            (Members{{"alice", true}, {"bob", false}, {"carol", false}}));
  // The same record again: the chain moved on.
  EXPECT_EQ(alice->call(change(signed_by("alice", *add))).error().code(), wire::MEMBERSHIP_CHANGED);

  wire::Frame get;
  get.mutable_get_membership()->set_group_id(id);
  const auto page = bob->call(get);
  ASSERT_TRUE(page.has_membership_page()) << page.ShortDebugString();
  ASSERT_EQ(page.membership_page().records_size(), 2);
  EXPECT_EQ(page.membership_page().records(0), crypto::encode_record(first));
  get.mutable_get_membership()->set_after_seq(1);
  EXPECT_EQ(bob->call(get).membership_page().records_size(), 1);
}

// Sender Keys (docs/e2ee-v2.md): one body for every member, no wraps, accepted only for
// the chain length the group has when it commits.
TEST_F(GroupTest, ASenderKeyGroupSendIsStoredOnceForTheChainLengthItNames) {
  auto alice = online("alice");
  auto bob = online("bob");
  auto carol = online("carol");
  ASSERT_TRUE(alice && bob && carol);
  const GroupId id = create_group(*alice, {"bob", "carol"});
  crypto::MembershipChain chain(id, 0, {}, {});
  auto genesis = chain.next("alice", crypto::MembershipAction::kCreate, {},
                            {{"alice", true}, {"bob", false}, {"carol", false}}, 1);
  ASSERT_TRUE(genesis);
  const auto first = signed_by("alice", *genesis);
  ASSERT_TRUE(alice->call(change(first)).has_group_info());
  ASSERT_TRUE(chain.append(first, user("alice").identity().sign_public_key()));

  auto sender_key_send = [&](const MessageId& id_, std::uint64_t seq, const std::string& body) {
    wire::Frame frame;
    frame.mutable_send()->set_message_id(id_.to_bytes());
    frame.mutable_send()->set_group_id(id);
    frame.mutable_send()->set_body(body);
    frame.mutable_send()->set_membership_seq(seq);
    return frame;
  };
  const std::string body = std::string(1, '\x13') + "one ciphertext for all";
  const auto one = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(sender_key_send(one, 1, body))));
  for (RawClient* member : {bob.get(), carol.get()}) {
    auto push = member->push();
    ASSERT_TRUE(push);
    EXPECT_EQ(push->message_id(), one.to_bytes());
    EXPECT_EQ(push->body(), body);
    EXPECT_TRUE(push->sealed_key().empty());
  }
  // Wraps with a chain length: neither format.
  auto both = sender_key_send(MessageId::random(), 1, body);
  auto* wrap = both.mutable_send()->add_key_wraps();
  wrap->set_username("bob");
  wrap->set_sealed_key("wrap");
  EXPECT_EQ(error_of(alice->call(both)), wire::BAD_REQUEST);

  // carol removed: a send sealed for the chain before it is refused, nothing delivered.
  auto removal = chain.next("alice", crypto::MembershipAction::kRemove, "carol", {}, 2);
  ASSERT_TRUE(removal);
  ASSERT_TRUE(alice->call(change(signed_by("alice", *removal))).has_group_info());
  EXPECT_EQ(error_of(alice->call(sender_key_send(MessageId::random(), 1, body))),
            wire::MEMBERSHIP_CHANGED);
  const auto two = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(sender_key_send(two, 2, body))));
  auto push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->message_id(), two.to_bytes());
  const auto next = MessageId::random();
  ASSERT_TRUE(send_ok(*alice, alice->request(barrier("alice", "carol", next))));
  auto carols = carol->push();
  ASSERT_TRUE(carols);
  EXPECT_EQ(carols->message_id(), next.to_bytes());  // nothing of the group since
}
}  // namespace
}  // namespace fastchat::itest
