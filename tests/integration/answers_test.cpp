// Every request is answered and nothing accepted is undeliverable: sends whose push
// could not fit a frame are refused, sync pages and group lists are cut by encoded
// size and paged, caps give clear errors, a half-closed client still gets its
// answers, and usernames cannot be paths or flags. Each case reproduces a bug that
// left a request without an answer or an inbox blocked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "chat_fixture.h"
#include "protocol/inbox_limits.h"
#include "store/open_store.h"

namespace fastchat::itest {
namespace {

class AnswersTest : public ChatTest {
 protected:
  // Registers a throwaway user (random auth key: no Argon2id) and stays connected.
  std::unique_ptr<RawClient> quick(const std::string& name) {
    users_.push_back(std::make_unique<TestUser>(TestUser::quick(name)));
    auto client = registered(port(), *users_.back());
    EXPECT_TRUE(client) << "cannot register " << name;
    return client;
  }

  GroupId create_group(RawClient& client, const std::vector<std::string>& members,
                       const std::string& name = "group") {
    wire::Frame frame;
    frame.mutable_create_group()->set_name(name);
    for (const auto& m : members)
      frame.mutable_create_group()->add_members(m);
    const auto reply = client.call(frame);
    EXPECT_TRUE(reply.has_group_info()) << reply.ShortDebugString();
    return reply.has_group_info() ? reply.group_info().group_id() : 0;
  }

  // A group Send from `sender` with one key wrap of `wrap_bytes` for `member`.
  static wire::Frame group_send_of(GroupId group, const std::string& member, std::size_t body_bytes,
                                   std::size_t wrap_bytes) {
    wire::Frame frame;
    auto* send = frame.mutable_send();
    send->set_message_id(MessageId::random().to_bytes());
    send->set_group_id(group);
    send->set_body(std::string(body_bytes, 'b'));
    auto* wrap = send->add_key_wraps();
    wrap->set_username(member);
    wrap->set_sealed_key(std::string(wrap_bytes, 'k'));
    return frame;
  }

  std::vector<std::unique_ptr<TestUser>> users_;
};

const std::string kLongSender(32, 's');

TEST_F(AnswersTest, AGroupSendWhosePushCouldNotFitAFrameIsRefused) {
  auto sender = quick(kLongSender);
  auto victim = quick("victim");
  ASSERT_TRUE(sender && victim);
  const GroupId group = create_group(*sender, {"victim"});
  ASSERT_NE(group, 0u);
  // The frame of the report: exactly 1 MiB, a 960 KiB body and one large wrap.
  auto frame = group_send_of(group, "victim", 983'040, 0);
  frame.set_request_id(1'000'000);
  const std::size_t room = protocol::kMaxFrameBytes - frame.ByteSizeLong();
  frame.mutable_send()->mutable_key_wraps(0)->mutable_sealed_key()->assign(room - 4, 'k');
  auto* sealed_key = frame.mutable_send()->mutable_key_wraps(0)->mutable_sealed_key();
  while (frame.ByteSizeLong() < protocol::kMaxFrameBytes)
    sealed_key->push_back('k');
  while (frame.ByteSizeLong() > protocol::kMaxFrameBytes)  // a length grew a byte
    sealed_key->pop_back();
  ASSERT_GE(frame.ByteSizeLong(), protocol::kMaxFrameBytes - 2);
  ASSERT_GT(sealed_key->size(), 65'000u);
  const auto reply = sender->call(frame);
  EXPECT_EQ(error_of(reply), wire::TOO_LARGE) << reply.ShortDebugString().substr(0, 200);

  // The victim's inbox is not blocked: a later message arrives through Sync.
  const auto later = sender->call(group_send_of(group, "victim", 100, 48));
  ASSERT_TRUE(later.has_send_ok()) << later.ShortDebugString();
  auto items = victim->sync_all();
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].body().size(), 100u);
}

TEST_F(AnswersTest, TheLargestDeliverableGroupSendIsAcceptedPushedAndSynced) {
  auto sender = quick(kLongSender);
  auto victim = quick("victim");
  ASSERT_TRUE(sender && victim);
  const GroupId group = create_group(*sender, {"victim"});
  const std::size_t body = 900 * 1024;
  std::size_t wrap = 0;
  while (protocol::inbox_message_bound(kLongSender.size(), body, wrap + 1) <=
         protocol::kMaxInboxMessageBytes) {
    ++wrap;
  }
  const auto too_big = sender->call(group_send_of(group, "victim", body, wrap + 1));
  EXPECT_EQ(error_of(too_big), wire::TOO_LARGE);
  const auto ok = sender->call(group_send_of(group, "victim", body, wrap));
  ASSERT_TRUE(ok.has_send_ok()) << ok.ShortDebugString().substr(0, 200);
  auto pushed = victim->push();
  ASSERT_TRUE(pushed);
  EXPECT_EQ(pushed->sealed_key().size(), wrap);
  auto items = victim->sync_all();
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].body().size(), body);
  EXPECT_FALSE((*items)[0].undeliverable());
}

TEST_F(AnswersTest, AStoredMessageTooLargeForAnyFrameComesAsANoticeAndTheInboxMovesOn) {
  auto sender = quick("sender");
  auto victim = quick("victim");
  ASSERT_TRUE(sender && victim);
  {
    // As an older server would have stored it: written to the store directly.
    auto& first = servers_->server(0);
    auto store = store::open_store(servers_->db_url(), first.data_dir());
    ASSERT_TRUE(store) << store.status().to_string();
    auto from = (*store)->find_user("sender");
    auto to = (*store)->find_user("victim");
    ASSERT_TRUE(from && to);
    store::OutgoingMessage message;
    message.sender = from->id;
    message.message_id = MessageId::random();
    message.to_user = to->id;
    message.body.assign(protocol::kMaxFrameBytes, 'x');
    message.server_time_ms = 1;
    const std::vector<store::OutgoingMessage> batch{message};
    auto outcome = (*store)->commit_messages(batch);
    ASSERT_TRUE(outcome && (*outcome)[0].status) << outcome.status().to_string();
  }
  const auto later = sender->call(direct_send(*users_[0], *users_[1], MessageId::random(), "hi"));
  ASSERT_TRUE(later.has_send_ok()) << later.ShortDebugString();

  auto items = victim->sync_all();
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_TRUE((*items)[0].undeliverable());
  EXPECT_TRUE((*items)[0].body().empty());
  EXPECT_FALSE((*items)[1].undeliverable());
  EXPECT_TRUE(users_[1]->open_text(*users_[0], (*items)[1])) << "the later message opens";
  EXPECT_TRUE(victim->ack((*items)[1].seq()));
}

TEST_F(AnswersTest, ManyLongNamedGroupsAreListedInPagesThatEachFitAFrame) {
  // The report: 300 groups with long names and 120 long-named members made a 1.3 MB
  // reply that was dropped, and `group list` never got an answer.
  auto owner = quick(std::string(32, 'o'));
  ASSERT_TRUE(owner);
  std::vector<std::string> members;
  for (int i = 0; i < 120; ++i) {
    char name[40];
    std::snprintf(name, sizeof name, "member-%025d", i);
    members.emplace_back(name);
    ASSERT_TRUE(quick(name));
  }
  std::set<GroupId> created;
  for (int i = 0; i < 300; ++i) {
    created.insert(create_group(*owner, members, std::string(60, 'g') + std::to_string(i)));
  }
  std::set<GroupId> listed;
  GroupId after = 0;
  int pages = 0;
  for (bool more = true; more; ++pages) {
    ASSERT_LT(pages, 20);
    wire::Frame list;
    list.mutable_list_groups()->set_after_group_id(after);
    const auto reply = owner->call(list);
    ASSERT_TRUE(reply.has_group_list()) << reply.ShortDebugString().substr(0, 200);
    for (const auto& group : reply.group_list().groups()) {
      EXPECT_GT(group.group_id(), after);
      EXPECT_EQ(group.members_size(), 121);
      EXPECT_EQ(group.member_count(), 121u);
      EXPECT_FALSE(group.more_members());
      listed.insert(group.group_id());
      after = group.group_id();
    }
    more = reply.group_list().has_more();
  }
  EXPECT_GE(pages, 2);
  EXPECT_EQ(listed, created);
}

class SmallRepliesTest : public AnswersTest {
 protected:
  void configure(server::ServerConfig& config) override { config.max_reply_bytes = 2048; }
};

TEST_F(SmallRepliesTest, AMemberListTooLongForOneReplyIsPagedByGetGroup) {
  auto owner = quick("owner");
  ASSERT_TRUE(owner);
  std::vector<std::string> members;
  for (int i = 0; i < 150; ++i) {
    members.push_back("user-" + std::to_string(1000 + i));
    ASSERT_TRUE(quick(members.back()));
  }
  const GroupId group = create_group(*owner, members);
  ASSERT_NE(group, 0u);
  std::vector<std::string> seen;
  std::string after;
  for (bool more = true; more;) {
    ASSERT_LT(seen.size(), 1000u);
    wire::Frame get;
    get.mutable_get_group()->set_group_id(group);
    get.mutable_get_group()->set_members_after(after);
    const auto reply = owner->call(get);
    ASSERT_TRUE(reply.has_group_info()) << reply.ShortDebugString();
    EXPECT_EQ(reply.group_info().member_count(), 151u);
    ASSERT_GT(reply.group_info().members_size(), 0);
    for (const auto& m : reply.group_info().members()) {
      EXPECT_GT(m.username(), after);
      seen.push_back(m.username());
      after = m.username();
    }
    more = reply.group_info().more_members();
  }
  members.push_back("owner");
  std::sort(members.begin(), members.end());
  EXPECT_EQ(seen, members);

  // ListGroups cuts the first group's members too, and says so.
  wire::Frame list;
  list.mutable_list_groups();
  const auto groups = owner->call(list);
  ASSERT_TRUE(groups.has_group_list());
  ASSERT_EQ(groups.group_list().groups_size(), 1);
  EXPECT_TRUE(groups.group_list().groups(0).more_members());
}

class CapsTest : public AnswersTest {
 protected:
  void configure(server::ServerConfig& config) override {
    config.max_group_members = 3;
    config.max_groups_per_user = 2;
  }
};

TEST_F(CapsTest, GroupsPerUserAndMembersPerGroupAreCappedWithClearErrors) {
  auto a = quick("a1");
  auto b = quick("b1");
  auto c = quick("c1");
  auto d = quick("d1");
  ASSERT_TRUE(a && b && c && d);
  wire::Frame too_many;
  too_many.mutable_create_group()->set_name("big");
  for (const char* m : {"b1", "c1", "d1"})
    too_many.mutable_create_group()->add_members(m);
  EXPECT_EQ(error_of(a->call(too_many)), wire::LIMIT_REACHED);

  const GroupId full = create_group(*a, {"b1", "c1"});
  wire::Frame add;
  add.mutable_add_member()->set_group_id(full);
  add.mutable_add_member()->set_username("d1");
  const auto refused = a->call(add);
  EXPECT_EQ(error_of(refused), wire::LIMIT_REACHED);
  EXPECT_NE(refused.error().message().find("3 members"), std::string::npos);
  add.mutable_add_member()->set_username("b1");  // already in: a no-op, not a new member
  EXPECT_TRUE(a->call(add).has_group_info());

  ASSERT_NE(create_group(*d, {"b1"}), 0u);  // b1 is now in two groups
  const GroupId third = create_group(*c, {});
  add.mutable_add_member()->set_group_id(third);
  const auto busy = c->call(add);
  EXPECT_EQ(error_of(busy), wire::LIMIT_REACHED);
  EXPECT_NE(busy.error().message().find("b1"), std::string::npos) << busy.ShortDebugString();
}

TEST_F(AnswersTest, AHalfClosedClientStillGetsEveryAnswer) {
  auto bob = quick("bob");
  ASSERT_TRUE(bob);
  auto client = quick("alice");
  ASSERT_TRUE(client);
  const TestUser& alice = *users_.back();
  std::vector<wire::Frame> frames;
  for (int i = 0; i < 3; ++i) {
    frames.push_back(direct_send(alice, *users_[0], MessageId::random(), "m" + std::to_string(i)));
  }
  frames.emplace_back().mutable_list_users();
  frames.emplace_back().mutable_list_groups();
  frames.emplace_back().mutable_sync();
  const auto ids = client->request_all(std::move(frames));
  ASSERT_EQ(ids.size(), 6u);
  client->shutdown_send();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto reply = client->response(ids[i]);
    ASSERT_TRUE(reply) << "no answer to request " << i;
    EXPECT_FALSE(reply->has_error()) << i << ": " << reply->ShortDebugString();
  }
  EXPECT_TRUE(client->wait_closed());
  auto items = bob->sync_all();
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 3u);
}

TEST_F(AnswersTest, UsernamesThatArePathsOrFlagsAreRefused) {
  for (const char* name : {".", "..", "-", "--help", "-x"}) {
    RawClient client(port());
    ASSERT_TRUE(client.hello());
    const auto reply = client.call(register_frame(TestUser::quick(name)));
    EXPECT_EQ(error_of(reply), wire::INVALID_USERNAME) << name;
  }
  for (const char* name : {"a.b", "x-", "..a", "a..", "_"}) {
    EXPECT_TRUE(quick(name)) << name;
  }
}

TEST_F(AnswersTest, ListUsersPagesWithACursor) {
  for (const char* name : {"pa", "pb", "pc", "pd", "pe"})
    ASSERT_TRUE(quick(name));
  auto client = quick("viewer");
  std::vector<std::string> seen;
  std::string after;
  for (bool more = true; more;) {
    ASSERT_LT(seen.size(), 10u);
    wire::Frame list;
    list.mutable_list_users()->set_pattern("p");
    list.mutable_list_users()->set_limit(2);
    list.mutable_list_users()->set_after(after);
    const auto reply = client->call(list);
    ASSERT_TRUE(reply.has_user_list());
    for (const auto& u : reply.user_list().users()) {
      seen.push_back(u.username());
      after = u.username();
    }
    more = reply.user_list().has_more();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"pa", "pb", "pc", "pd", "pe"}));
}

}  // namespace
}  // namespace fastchat::itest
