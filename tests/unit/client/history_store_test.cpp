#include "client/history_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"

namespace fastchat::client {
namespace {

ChatMessage incoming(std::string sender, std::string text, std::uint64_t seq, GroupId group = 0) {
  ChatMessage m;
  m.id = MessageId::random();
  m.seq = seq;
  m.sender = sender;
  m.peer = group == 0 ? sender : "";
  m.group_id = group;
  m.text = std::move(text);
  m.sent_at_ms = 1000 + static_cast<std::int64_t>(seq);
  m.server_time_ms = 2000 + static_cast<std::int64_t>(seq);
  return m;
}

crypto::PublicIdentity identity(char fill) {
  return {std::string(32, fill), std::string(32, static_cast<char>(fill + 1)),
          std::string(64, 's')};
}

// The identity whose key seals the histories of these tests (the same for every open).
const crypto::Identity& test_identity() {
  static const crypto::Identity identity = crypto::Identity::generate();
  return identity;
}

crypto::HistoryBox test_box() {
  return crypto::HistoryBox(test_identity());
}

std::unique_ptr<HistoryStore> open_memory() {
  auto store = HistoryStore::open(":memory:", test_box());
  EXPECT_TRUE(store) << store.status().to_string();
  return std::move(*store);
}

TEST(HistoryStoreTest, StoresEachMessageIdOnce) {
  auto store = open_memory();
  auto m = incoming("alice", "hi", 1);
  EXPECT_FALSE(store->seen(m.id));
  auto first = store->add_message(m);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  EXPECT_TRUE(store->seen(m.id));
  m.text = "a replay with another text";
  auto second = store->add_message(m);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  auto all = store->conversation("alice", 0, 0);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].text, "hi");
}

TEST(HistoryStoreTest, SeenIdsWithoutAMessageAlsoDeduplicate) {
  auto store = open_memory();
  const auto id = MessageId::random();
  auto marked = store->mark_seen(id);
  ASSERT_TRUE(marked);
  EXPECT_TRUE(*marked);
  EXPECT_FALSE(*store->mark_seen(id));
  ChatMessage m = incoming("alice", "x", 3);
  m.id = id;
  EXPECT_FALSE(*store->add_message(m));
  EXPECT_TRUE(store->conversation("alice", 0, 0)->empty());
}

TEST(HistoryStoreTest, ConversationsAreSeparateAndOldestFirst) {
  auto store = open_memory();
  std::vector<ChatMessage> with_alice;
  for (int i = 1; i <= 5; ++i) {
    with_alice.push_back(incoming("alice", "a" + std::to_string(i), static_cast<std::uint64_t>(i)));
    ASSERT_TRUE(*store->add_message(with_alice.back()));
    ASSERT_TRUE(*store->add_message(incoming("bob", "b", 100 + static_cast<std::uint64_t>(i))));
    ASSERT_TRUE(
        *store->add_message(incoming("alice", "g", 200 + static_cast<std::uint64_t>(i), 7)));
  }
  ChatMessage mine;
  mine.id = MessageId::random();
  mine.sender = "me";
  mine.peer = "alice";
  mine.text = "reply";
  mine.outgoing = true;
  ASSERT_TRUE(*store->add_message(mine));

  auto all = store->conversation("alice", 0, 0);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*all)[static_cast<std::size_t>(i)].id, with_alice[static_cast<std::size_t>(i)].id);
    EXPECT_EQ((*all)[static_cast<std::size_t>(i)].seq, static_cast<std::uint64_t>(i + 1));
  }
  EXPECT_TRUE(all->back().outgoing);
  EXPECT_EQ(all->back().text, "reply");

  // A limit keeps the latest messages, still oldest first.
  auto last_two = store->conversation("alice", 0, 2);
  ASSERT_EQ(last_two->size(), 2u);
  EXPECT_EQ((*last_two)[0].text, "a5");
  EXPECT_EQ((*last_two)[1].text, "reply");

  auto group = store->conversation("", 7, 0);
  ASSERT_EQ(group->size(), 5u);
  EXPECT_EQ((*group)[0].group_id, 7u);
  EXPECT_EQ((*group)[0].sender, "alice");
  EXPECT_TRUE((*group)[0].peer.empty());
  EXPECT_EQ(store->conversation("bob", 0, 0)->size(), 5u);
  EXPECT_TRUE(store->conversation("carol", 0, 0)->empty());
}

TEST(HistoryStoreTest, PagesBackwardsBySkippingTheNewest) {
  auto store = open_memory();
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(*store->add_message(
        incoming("alice", "a" + std::to_string(i), static_cast<std::uint64_t>(i))));
  }
  auto newest = store->conversation("alice", 0, 4);
  ASSERT_EQ(newest->size(), 4u);
  EXPECT_EQ(newest->front().text, "a7");
  auto before = store->conversation("alice", 0, 4, 4);
  ASSERT_EQ(before->size(), 4u);
  EXPECT_EQ(before->front().text, "a3");
  EXPECT_EQ(before->back().text, "a6");
  auto oldest = store->conversation("alice", 0, 4, 8);
  ASSERT_EQ(oldest->size(), 2u);
  EXPECT_EQ(oldest->front().text, "a1");
  EXPECT_TRUE(store->conversation("alice", 0, 4, 10)->empty());
}

// Delivery receipts count only for a message this user sent and, for a direct one,
// only from its recipient; each recipient once.
TEST(HistoryStoreTest, RecordsDeliveriesOnlyFromTheRecipients) {
  auto store = open_memory();
  ChatMessage to_bob = incoming("me", "hi bob", 0);
  to_bob.peer = "bob";
  to_bob.outgoing = true;
  ChatMessage to_group = incoming("me", "hi all", 0, 7);
  to_group.outgoing = true;
  const ChatMessage from_bob = incoming("bob", "hi me", 1);
  ASSERT_TRUE(*store->add_message(to_bob));
  ASSERT_TRUE(*store->add_message(to_group));
  ASSERT_TRUE(*store->add_message(from_bob));

  EXPECT_FALSE(*store->mark_delivered(to_bob.id, "carol"));          // not the recipient
  EXPECT_FALSE(*store->mark_delivered(from_bob.id, "bob"));          // not sent by this user
  EXPECT_FALSE(*store->mark_delivered(MessageId::random(), "bob"));  // unknown id
  EXPECT_TRUE(*store->mark_delivered(to_bob.id, "bob"));
  EXPECT_FALSE(*store->mark_delivered(to_bob.id, "bob"));  // once
  EXPECT_TRUE(*store->mark_delivered(to_group.id, "bob"));
  EXPECT_TRUE(*store->mark_delivered(to_group.id, "carol"));

  auto direct = store->conversation("bob", 0, 0);
  ASSERT_TRUE(direct);
  ASSERT_EQ(direct->size(), 2u);
  EXPECT_EQ((*direct)[0].delivered_to, 1u);
  EXPECT_EQ((*direct)[1].delivered_to, 0u);
  auto group = store->conversation("", 7, 0);
  ASSERT_TRUE(group);
  ASSERT_EQ(group->size(), 1u);
  EXPECT_EQ((*group)[0].delivered_to, 2u);
}

TEST(HistoryStoreTest, LatestPerConversationIsNewestFirst) {
  auto store = open_memory();
  ASSERT_TRUE(*store->add_message(incoming("alice", "a1", 1)));
  ASSERT_TRUE(*store->add_message(incoming("bob", "b1", 2)));
  ASSERT_TRUE(*store->add_message(incoming("carol", "g1", 3, 9)));
  ASSERT_TRUE(*store->add_message(incoming("alice", "a2", 4)));
  auto latest = store->latest_per_conversation(0);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 3u);
  EXPECT_EQ((*latest)[0].text, "a2");
  EXPECT_EQ((*latest)[1].text, "g1");
  EXPECT_EQ((*latest)[1].group_id, 9u);
  EXPECT_EQ((*latest)[2].text, "b1");
  EXPECT_EQ(store->latest_per_conversation(1)->size(), 1u);
}

TEST(HistoryStoreTest, KeepsEveryField) {
  auto store = open_memory();
  ChatMessage m = incoming("alice", "", 42);
  m.file_name = "cat.png";
  m.file_path = "/home/me/downloads/cat.png";
  m.file_size = 123456;
  ASSERT_TRUE(*store->add_message(m));
  auto got = store->conversation("alice", 0, 0);
  ASSERT_EQ(got->size(), 1u);
  const auto& g = got->front();
  EXPECT_EQ(g.id, m.id);
  EXPECT_EQ(g.seq, 42u);
  EXPECT_EQ(g.sent_at_ms, m.sent_at_ms);
  EXPECT_EQ(g.server_time_ms, m.server_time_ms);
  EXPECT_FALSE(g.outgoing);
  EXPECT_EQ(g.file_name, "cat.png");
  EXPECT_EQ(g.file_path, m.file_path);
  EXPECT_EQ(g.file_size, 123456u);
}

TEST(HistoryStoreTest, LastSeqIsUnsetUntilSavedAndSurvivesReopening) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  MessageId id = MessageId::random();
  {
    auto store = HistoryStore::open(path, test_box());
    ASSERT_TRUE(store) << store.status().to_string();
    EXPECT_FALSE((*store)->last_seq().has_value());
    ASSERT_TRUE((*store)->set_last_seq(0));
    EXPECT_EQ((*store)->last_seq(), 0u);
    ASSERT_TRUE((*store)->set_last_seq(77));
    ASSERT_TRUE(*(*store)->mark_seen(id));
  }
  auto reopened = HistoryStore::open(path, test_box());
  ASSERT_TRUE(reopened);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the user's only (metadata is not sealed)
  EXPECT_EQ((*reopened)->last_seq(), 77u);
  EXPECT_TRUE((*reopened)->seen(id));
}

TEST(HistoryStoreTest, PinsIdentitiesOnFirstUseAndNeverReplacesThemSilently) {
  auto store = open_memory();
  EXPECT_FALSE(store->pinned_identity("alice").has_value());
  auto first = store->pin_identity("alice", identity('a'), 1);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, HistoryStore::Pin::kNew);
  EXPECT_EQ(*store->pin_identity("alice", identity('a'), 2), HistoryStore::Pin::kSame);
  EXPECT_EQ(*store->pin_identity("bob", identity('b'), 3), HistoryStore::Pin::kNew);
  EXPECT_FALSE(store->contact("alice")->verified);
  EXPECT_FALSE(store->contact("alice")->pending);

  auto changed = store->pin_identity("alice", identity('x'), 4);
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, HistoryStore::Pin::kChanged);
  // The pin stays; the new keys wait, and keep being reported as a change.
  auto record = store->contact("alice");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->pinned.box_public_key, identity('a').box_public_key);
  ASSERT_TRUE(record->pending);
  EXPECT_EQ(record->pending->box_public_key, identity('x').box_public_key);
  EXPECT_EQ(record->pending->signature, identity('x').signature);
  EXPECT_EQ(*store->pin_identity("alice", identity('x'), 5), HistoryStore::Pin::kChanged);
  EXPECT_EQ(store->pinned_identity("alice")->box_public_key, identity('a').box_public_key);
  // Served the pinned key again: nothing is pending any more.
  EXPECT_EQ(*store->pin_identity("alice", identity('a'), 6), HistoryStore::Pin::kSame);
  EXPECT_FALSE(store->contact("alice")->pending);
  EXPECT_EQ(store->pinned_identity("bob")->box_public_key, identity('b').box_public_key);
}

TEST(HistoryStoreTest, VerifyingAndAcceptingAChangedKey) {
  auto store = open_memory();
  EXPECT_EQ(store->set_verified("alice", true).code(), Code::kNotFound);
  ASSERT_TRUE(store->pin_identity("alice", identity('a'), 1));
  ASSERT_TRUE(store->set_verified("alice", true));
  EXPECT_TRUE(store->contact("alice")->verified);
  EXPECT_EQ(store->accept_pending("alice", false, 2).code(), Code::kNotFound);

  ASSERT_TRUE(store->pin_identity("alice", identity('x'), 3));
  EXPECT_TRUE(store->contact("alice")->verified);  // still about the pinned key
  ASSERT_TRUE(store->accept_pending("alice", false, 4));
  auto record = store->contact("alice");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->pinned.sign_public_key, identity('x').sign_public_key);
  EXPECT_EQ(record->pinned.box_public_key, identity('x').box_public_key);
  EXPECT_FALSE(record->verified);  // a new key starts unverified
  EXPECT_FALSE(record->pending);

  ASSERT_TRUE(store->pin_identity("alice", identity('y'), 5));
  ASSERT_TRUE(store->accept_pending("alice", true, 6));
  EXPECT_TRUE(store->contact("alice")->verified);
  EXPECT_EQ(store->contact("alice")->pinned.box_public_key, identity('y').box_public_key);
}

TEST(HistoryStoreTest, RemembersWhichMessagesUsedAChangedKey) {
  auto store = open_memory();
  auto plain = incoming("alice", "pinned key", 1);
  auto marked = incoming("alice", "changed key", 2);
  marked.key_changed = true;
  ASSERT_TRUE(store->add_message(plain));
  ASSERT_TRUE(store->add_message(marked));
  auto messages = store->conversation("alice", 0, 0);
  ASSERT_TRUE(messages);
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_FALSE((*messages)[0].key_changed);
  EXPECT_TRUE((*messages)[1].key_changed);
}

TEST(HistoryStoreTest, MigratesAVersionOneHistoryKeepingItsPins) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    // A history.db as version 1 wrote it: identities without trust columns.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE identities(username TEXT PRIMARY KEY, sign_public_key BLOB NOT NULL,"
        " box_public_key BLOB NOT NULL, signature BLOB NOT NULL, pinned_ms INTEGER NOT NULL);"
        "INSERT INTO identities VALUES('alice', zeroblob(32), x'"
        "0101010101010101010101010101010101010101010101010101010101010101', zeroblob(64), 7);"
        "PRAGMA user_version = 1;";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  for (int open = 0; open < 2; ++open) {  // and opening it again changes nothing
    auto store = HistoryStore::open(path, test_box());
    ASSERT_TRUE(store) << store.status().to_string();
    auto record = (*store)->contact("alice");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->pinned.box_public_key, std::string(32, '\x01'));
    EXPECT_FALSE(record->verified);
    EXPECT_FALSE(record->pending);
    ASSERT_TRUE((*store)->add_message(incoming("alice", "after the migration", 1 + open)));
    // Version 3: the E2EE v2 state tables.
    EXPECT_TRUE((*store)->save_peer_session("alice", 1, "key", "sealed " + std::to_string(open)));
    // Version 4: Sender Keys.
    EXPECT_TRUE((*store)->save_received_sender_key(7, "alice", 1, 2, "sealed"));
  }
}

TEST(HistoryStoreTest, SenderKeyStateIsKeptPerGroupSenderAndDevice) {
  auto store = open_memory();
  EXPECT_FALSE(store->own_sender_key(7, 1));
  ASSERT_TRUE(store->save_own_sender_key(7, 1, {"own", 3}));
  auto own = store->own_sender_key(7, 1);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->state, "own");
  EXPECT_EQ(own->created_seq, 3u);
  EXPECT_FALSE(store->own_sender_key(8, 1));

  ASSERT_TRUE(store->add_sender_key_recipient(7, 42, "carol", "c1"));
  ASSERT_TRUE(store->add_sender_key_recipient(7, 42, "bob", "b1"));
  ASSERT_TRUE(store->add_sender_key_recipient(7, 42, "bob", "b1"));
  ASSERT_TRUE(store->add_sender_key_recipient(7, 42, "bob", "b2"));  // a changed key
  ASSERT_TRUE(store->add_sender_key_recipient(7, 43, "dave", "d1"));
  EXPECT_EQ(*store->sender_key_recipients(7, 42), (std::vector<std::string>{"bob", "carol"}));
  EXPECT_TRUE(store->has_sender_key_recipient(7, 42, "bob", "b2"));
  EXPECT_FALSE(store->has_sender_key_recipient(7, 42, "carol", "c2"));
  EXPECT_FALSE(store->has_sender_key_recipient(7, 43, "bob", "b1"));

  ASSERT_TRUE(store->save_received_sender_key(7, "bob", 1, 3, "bob's"));
  ASSERT_TRUE(store->save_received_sender_key(7, "bob", 2, 3, "bob's other device"));
  auto received = store->received_sender_key(7, "bob", 1);
  ASSERT_TRUE(received);
  EXPECT_EQ(received->state, "bob's");
  EXPECT_EQ(received->membership_seq, 3u);
  EXPECT_FALSE(store->received_sender_key(8, "bob", 1));
  ASSERT_TRUE(store->delete_received_sender_key(7, "bob", 1));
  EXPECT_FALSE(store->received_sender_key(7, "bob", 1));
  EXPECT_TRUE(store->received_sender_key(7, "bob", 2));

  // Rotation reads the verified events: removals and leaves count, additions do not.
  crypto::MembershipChain chain(7, 3, std::string(32, 'h'), {});
  std::vector<MembershipEvent> events{
      {7, 2, MembershipEvent::Kind::kAdded, "alice", "carol", 1},
      {7, 3, MembershipEvent::Kind::kRemoved, "alice", "bob", 2},
      {8, 4, MembershipEvent::Kind::kLeft, "dave", "dave", 3},
  };
  ASSERT_TRUE(store->save_group_head(chain, events));
  EXPECT_TRUE(*store->removal_after(7, 2));
  EXPECT_FALSE(*store->removal_after(7, 3));
  EXPECT_TRUE(*store->removal_after(8, 3));
  EXPECT_FALSE(*store->removal_after(9, 0));
}

TEST(HistoryStoreTest, GroupMessagesWaitingForTheirKeyAreBoundedOldestFirst) {
  auto store = open_memory();
  auto keep = [&](const MessageId& id, const std::string& sender, std::int64_t at) {
    auto dropped = store->keep_pending_group_message({id, 7, sender, "item"}, at);
    EXPECT_TRUE(dropped) << dropped.status().to_string();
    return dropped ? *dropped : std::vector<HistoryStore::PendingGroupMessage>{};
  };
  std::vector<MessageId> ids;
  for (std::size_t i = 0; i < HistoryStore::kMaxPendingGroupMessages; ++i) {
    ids.push_back(MessageId::random());
    EXPECT_TRUE(keep(ids.back(), i % 2 == 0 ? "bob" : "carol", 1000 + static_cast<int>(i)).empty());
  }
  EXPECT_TRUE(keep(ids[5], "carol", 5000).empty());  // kept already: nothing changes
  EXPECT_EQ(store->pending_group_message_count(), HistoryStore::kMaxPendingGroupMessages);
  auto dropped = keep(MessageId::random(), "bob", 5000);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].id, ids[0]);
  EXPECT_EQ(store->pending_group_message_count(), HistoryStore::kMaxPendingGroupMessages);
  auto carol = store->pending_group_messages(7, "carol");
  ASSERT_TRUE(carol);
  ASSERT_EQ(carol->size(), HistoryStore::kMaxPendingGroupMessages / 2);
  EXPECT_EQ((*carol)[0].id, ids[1]);  // oldest first
  EXPECT_EQ((*carol)[0].item, "item");
  ASSERT_TRUE(store->drop_pending_group_message(ids[1]));
  EXPECT_EQ(store->pending_group_messages(7, "carol")->size(),
            HistoryStore::kMaxPendingGroupMessages / 2 - 1);
  // Past the age limit, whatever the count.
  dropped = keep(MessageId::random(), "dave", 1500 + HistoryStore::kMaxPendingGroupMessageAgeMs);
  EXPECT_EQ(dropped.size(), 498u);  // kept at 1002..1499 (1000 and 1001 went already)
}

TEST(HistoryStoreTest, RatchetStateCommitsWithTheMessageOrNotAtAll) {
  auto store = open_memory();
  ASSERT_TRUE(store->save_peer_session("alice", 1, "key", "state 0"));
  const ChatMessage first = incoming("alice", "first", 1);
  {
    // Decrypted, then a crash (or a failure) before the commit: nothing of it stays.
    auto tx = HistoryStore::Transaction::begin(*store);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(store->save_peer_session("alice", 1, "key", "state 1"));
    ASSERT_TRUE(store->add_message(first).value());  // nested: a savepoint
  }
  EXPECT_EQ(store->peer_session("alice", 1, "key"), "state 0");
  EXPECT_FALSE(store->seen(first.id));
  {
    auto tx = HistoryStore::Transaction::begin(*store);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(store->save_peer_session("alice", 1, "key", "state 1"));
    ASSERT_TRUE(store->add_message(first).value());
    EXPECT_FALSE(store->add_message(first).value());  // the id once, inside too
    ASSERT_TRUE(tx->commit());
    EXPECT_FALSE(tx->commit());  // over
  }
  EXPECT_EQ(store->peer_session("alice", 1, "key"), "state 1");
  EXPECT_TRUE(store->seen(first.id));
  EXPECT_EQ(store->conversation("alice", 0, 0)->size(), 1u);
  EXPECT_FALSE(store->peer_session("alice", 2, "key"));
  EXPECT_FALSE(store->peer_session("alice", 1, "other key"));
  EXPECT_TRUE(store->has_peer_session("alice"));
  EXPECT_FALSE(store->has_peer_session("bob"));
  EXPECT_FALSE(store->local_prekeys(1));
  ASSERT_TRUE(store->save_local_prekeys(1, {"prekeys", 42}));
  auto prekeys = store->local_prekeys(1);
  ASSERT_TRUE(prekeys);
  EXPECT_EQ(prekeys->state, "prekeys");
  EXPECT_EQ(prekeys->signed_at_ms, 42);
}

TEST(HistoryStoreTest, TracksFileTransfers) {
  auto store = open_memory();
  const std::string file_id(16, 'f');
  EXPECT_FALSE(store->file_transfer("alice", file_id));
  HistoryStore::FileTransfer t;
  t.name = "a.bin";
  t.mime_type = "application/octet-stream";
  t.total_size = 10;
  t.chunk_count = 3;
  ASSERT_TRUE(store->begin_file_transfer("alice", file_id, t));
  EXPECT_EQ(**store->add_file_chunk("alice", file_id, 2), 1u);
  EXPECT_FALSE(store->add_file_chunk("alice", file_id, 2)->has_value());  // repeated chunk
  EXPECT_EQ(**store->add_file_chunk("alice", file_id, 0), 2u);
  // The same file id from another sender is another transfer.
  EXPECT_FALSE(store->file_transfer("mallory", file_id));
  auto got = store->file_transfer("alice", file_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "a.bin");
  EXPECT_EQ(got->chunk_count, 3u);
  EXPECT_EQ(got->received, 2u);
  ASSERT_TRUE(store->finish_file_transfer("alice", file_id));
  EXPECT_FALSE(store->file_transfer("alice", file_id));
}

}  // namespace
}  // namespace fastchat::client
