// history.db encrypted at rest (schema version 5): the bytes on disk hold none of what
// a person wrote or named, an older plaintext file is sealed and scrubbed, and a sealed
// value that was tampered with or moved is refused, never shown.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "client/history_store.h"
#include "temp_dir.h"

namespace fastchat::client {
namespace {

const crypto::Identity& owner() {
  static const crypto::Identity identity = crypto::Identity::generate();
  return identity;
}

crypto::HistoryBox owner_box() {
  return crypto::HistoryBox(owner());
}

// Plaintexts that must never reach the disk, each distinctive enough to find.
const std::string kText = "PLAIN-text-9c1e: meet me under the old bridge";
const std::string kReply = "PLAIN-reply-4b7d: bring the spare key";
const std::string kGroupText = "PLAIN-group-2a8f: the quarterly numbers are bad";
const std::string kPeer = "zoe-PLAIN-peer";
const std::string kMember = "max-PLAIN-member";
const std::string kFileName = "PLAIN-file-name-diagnosis.pdf";
const std::string kFilePath = "/home/me/Downloads/PLAIN-saved-path-x.pdf";
const std::string kTransferName = "PLAIN-transfer-name-passport.jpg";
const std::string kTransferMime = "image/PLAIN-mime";
// A file transfer in progress is keyed by its sender's name, which stays readable (as a
// contact's name does in the tables of keys and sessions): not one of the plaintexts.
const std::string kTransferSender = "sam";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Fails the test for each plaintext found in the file, its -wal or -journal; returns
// how many bytes were scanned (so a scan of nothing cannot pass unnoticed).
std::size_t expect_no_plaintext(const std::string& db) {
  std::size_t scanned = 0;
  for (const std::string suffix : {"", "-wal", "-journal"}) {
    if (!std::filesystem::exists(db + suffix)) continue;
    const std::string bytes = read_all(db + suffix);
    scanned += bytes.size();
    for (const auto& secret : {kText, kReply, kGroupText, kPeer, kMember, kFileName, kFilePath,
                               kTransferName, kTransferMime, std::string("PLAIN")}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << "'" << secret << "' in " << db << suffix;
    }
  }
  return scanned;
}

ChatMessage message(std::string sender, std::string peer, GroupId group, std::string text,
                    bool outgoing = false) {
  ChatMessage m;
  m.id = MessageId::random();
  m.sender = std::move(sender);
  m.peer = std::move(peer);
  m.group_id = group;
  m.text = std::move(text);
  m.outgoing = outgoing;
  m.sent_at_ms = m.server_time_ms = 1000;
  return m;
}

crypto::MembershipChain chain(GroupId group) {
  return crypto::MembershipChain(group, 2, std::string(32, 'h'), {{"me", true}, {kMember, false}});
}

std::vector<MembershipEvent> events(GroupId group) {
  return {{group, 1, MembershipEvent::Kind::kCreated, "me", "", 1},
          {group, 2, MembershipEvent::Kind::kAdded, "me", kMember, 2}};
}

// Writes one of everything that holds words or names.
void write_everything(HistoryStore& store, ChatMessage& file_message) {
  ASSERT_TRUE(store.add_message(message(kPeer, kPeer, 0, kText)));
  ASSERT_TRUE(store.add_message(message("me", kPeer, 0, kReply, true)));
  ASSERT_TRUE(store.add_message(message(kMember, "", 7, kGroupText)));
  file_message = message(kPeer, kPeer, 0, "");
  file_message.file_name = kFileName;
  file_message.file_path = kFilePath;
  file_message.file_size = 99;
  ASSERT_TRUE(store.add_message(file_message));
  ASSERT_TRUE(store.begin_file_transfer(kTransferSender, std::string(16, 'f'),
                                        {kTransferName, kTransferMime, 10, 2, 0}));
  ASSERT_TRUE(store.save_group_head(chain(7), events(7)));
}

void expect_everything_reads_back(HistoryStore& store) {
  auto direct = store.conversation(kPeer, 0, 0);
  ASSERT_TRUE(direct) << direct.status().to_string();
  ASSERT_EQ(direct->size(), 3u);
  EXPECT_EQ((*direct)[0].text, kText);
  EXPECT_EQ((*direct)[0].sender, kPeer);
  EXPECT_EQ((*direct)[0].peer, kPeer);
  EXPECT_EQ((*direct)[1].text, kReply);
  EXPECT_TRUE((*direct)[1].outgoing);
  EXPECT_EQ((*direct)[2].file_name, kFileName);
  EXPECT_EQ((*direct)[2].file_path, kFilePath);
  EXPECT_EQ((*direct)[2].file_size, 99u);
  auto group = store.conversation("", 7, 0);
  ASSERT_TRUE(group) << group.status().to_string();
  ASSERT_EQ(group->size(), 1u);
  EXPECT_EQ((*group)[0].text, kGroupText);
  EXPECT_EQ((*group)[0].sender, kMember);
  auto latest = store.latest_per_conversation(0);
  ASSERT_TRUE(latest) << latest.status().to_string();
  EXPECT_EQ(latest->size(), 2u);
  auto transfer = store.file_transfer(kTransferSender, std::string(16, 'f'));
  ASSERT_TRUE(transfer);
  EXPECT_EQ(transfer->name, kTransferName);
  EXPECT_EQ(transfer->mime_type, kTransferMime);
  auto head = store.group_head(7);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->members(), chain(7).members());
  auto changes = store.membership_events(7, 0);
  ASSERT_TRUE(changes) << changes.status().to_string();
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[1].subject, kMember);
  EXPECT_EQ((*changes)[1].actor, "me");
}

// Runs `sql` on the file directly, as someone with the disk (not the key) could.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "") << " in: " << sql;
  sqlite3_free(message);
  sqlite3_close(db);
}

std::int64_t raw_user_version(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  const std::int64_t version =
      sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

TEST(HistoryEncryptionTest, TheFileItsWalAndJournalHoldNoneOfTheWordsOrNames) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  ChatMessage file_message;
  {
    auto store = HistoryStore::open(path, owner_box());
    ASSERT_TRUE(store) << store.status().to_string();
    write_everything(**store, file_message);
    expect_everything_reads_back(**store);
    // Open: the latest writes are in the WAL.
    ASSERT_TRUE(std::filesystem::exists(path + "-wal"));
    EXPECT_GT(expect_no_plaintext(path), 0u);
  }
  EXPECT_GT(expect_no_plaintext(path), 0u);
  auto reopened = HistoryStore::open(path, owner_box());
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  expect_everything_reads_back(**reopened);
  EXPECT_EQ(raw_user_version(path), 5);
}

TEST(HistoryEncryptionTest, AnotherIdentityOpensNothing) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    auto store = HistoryStore::open(path, owner_box());
    ASSERT_TRUE(store);
    ChatMessage ignored;
    write_everything(**store, ignored);
  }
  auto other = HistoryStore::open(path, crypto::HistoryBox(crypto::Identity::generate()));
  ASSERT_TRUE(other) << other.status().to_string();
  // Its peer tags differ: the conversation is not even found; listing all is refused.
  auto direct = (*other)->conversation(kPeer, 0, 0);
  ASSERT_TRUE(direct);
  EXPECT_TRUE(direct->empty());
  auto latest = (*other)->latest_per_conversation(0);
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.status().code(), Code::kCrypto);
  EXPECT_FALSE((*other)->group_head(7));
  EXPECT_FALSE((*other)->file_transfer(kTransferSender, std::string(16, 'f')));
}

// A version 4 history as the previous client left it: plaintext everywhere, a deleted
// file transfer's name still in a free page.
void write_version_4(const std::string& path, const MessageId& direct, const MessageId& group) {
  raw_exec(path, R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE seen(id BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE messages(pos INTEGER PRIMARY KEY AUTOINCREMENT, id BLOB NOT NULL UNIQUE,
  seq INTEGER NOT NULL, sender TEXT NOT NULL, peer TEXT NOT NULL, group_id INTEGER NOT NULL,
  text TEXT NOT NULL, sent_at_ms INTEGER NOT NULL, server_time_ms INTEGER NOT NULL,
  outgoing INTEGER NOT NULL, file_name TEXT NOT NULL, file_path TEXT NOT NULL,
  file_size INTEGER NOT NULL, key_changed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX messages_by_conversation ON messages(group_id, peer, pos);
CREATE TABLE file_transfers(sender TEXT NOT NULL, file_id BLOB NOT NULL, name TEXT NOT NULL,
  mime_type TEXT NOT NULL, total_size INTEGER NOT NULL, chunk_count INTEGER NOT NULL,
  received INTEGER NOT NULL, PRIMARY KEY(sender, file_id));
CREATE TABLE group_heads(group_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
  head_hash BLOB NOT NULL, members BLOB NOT NULL);
CREATE TABLE membership_events(group_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  actor TEXT NOT NULL, action INTEGER NOT NULL, subject TEXT NOT NULL,
  created_ms INTEGER NOT NULL, PRIMARY KEY(group_id, seq)) WITHOUT ROWID;
)sql");
  const std::string members = crypto::encode_members(chain(7).members());
  std::string members_hex;
  for (unsigned char c : members) {
    static const char* digits = "0123456789abcdef";
    members_hex += digits[c >> 4];
    members_hex += digits[c & 15];
  }
  const auto quoted = [](const std::string& text) { return "'" + text + "'"; };
  std::string sql =
      "INSERT INTO messages(id, seq, sender, peer, group_id, text, sent_at_ms, server_time_ms,"
      " outgoing, file_name, file_path, file_size) VALUES";
  sql += "(x'" + direct.to_hex() + "', 1, " + quoted(kPeer) + ", " + quoted(kPeer) + ", 0, " +
         quoted(kText) + ", 1, 1, 0, " + quoted(kFileName) + ", " + quoted(kFilePath) + ", 5),";
  sql += "(x'" + group.to_hex() + "', 2, " + quoted(kMember) + ", '', 7, " + quoted(kGroupText) +
         ", 2, 2, 0, '', '', 0);";
  sql += "INSERT INTO file_transfers VALUES(" + quoted(kTransferSender) + ", x'" +
         std::string(32, '6') + "', " + quoted(kTransferName) + ", " + quoted(kTransferMime) +
         ", 10, 2, 1);";
  // A finished transfer, deleted the way SQLite builds without SECURE_DELETE leave it.
  sql += "INSERT INTO file_transfers VALUES('x', x'00', " + quoted(kReply) +
         ", 'text/plain', 1, 1, 0);";
  sql += "PRAGMA secure_delete=OFF; DELETE FROM file_transfers WHERE sender = 'x';";
  sql += "INSERT INTO group_heads VALUES(7, 2, zeroblob(32), x'" + members_hex + "');";
  sql += "INSERT INTO membership_events VALUES(7, 1, 'me', 0, '', 1), (7, 2, 'me', 1, " +
         quoted(kMember) + ", 2);";
  sql += "PRAGMA user_version = 4;";
  raw_exec(path, sql);
}

TEST(HistoryEncryptionTest, AVersionFourHistoryIsSealedAndThenHoldsNoPlaintext) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  const MessageId direct = MessageId::random();
  const MessageId group = MessageId::random();
  write_version_4(path, direct, group);
  // The scan finds what is there (the deleted transfer's name included).
  const std::string before = read_all(path) + read_all(path + "-wal");
  ASSERT_NE(before.find(kText), std::string::npos);
  ASSERT_NE(before.find(kReply), std::string::npos);

  {
    auto store = HistoryStore::open(path, owner_box());
    ASSERT_TRUE(store) << store.status().to_string();
    auto messages = (*store)->conversation(kPeer, 0, 0);
    ASSERT_TRUE(messages) << messages.status().to_string();
    ASSERT_EQ(messages->size(), 1u);
    EXPECT_EQ((*messages)[0].id, direct);
    EXPECT_EQ((*messages)[0].text, kText);
    EXPECT_EQ((*messages)[0].file_name, kFileName);
    EXPECT_EQ((*messages)[0].file_path, kFilePath);
    auto in_group = (*store)->conversation("", 7, 0);
    ASSERT_TRUE(in_group);
    ASSERT_EQ(in_group->size(), 1u);
    EXPECT_EQ((*in_group)[0].text, kGroupText);
    EXPECT_EQ((*in_group)[0].sender, kMember);
    auto transfer = (*store)->file_transfer(kTransferSender, std::string(16, 'f'));
    ASSERT_TRUE(transfer);
    EXPECT_EQ(transfer->name, kTransferName);
    EXPECT_EQ(transfer->received, 1u);
    ASSERT_TRUE((*store)->group_head(7));
    EXPECT_EQ((*store)->group_head(7)->members(), chain(7).members());
    auto changes = (*store)->membership_events(7, 0);
    ASSERT_TRUE(changes);
    ASSERT_EQ(changes->size(), 2u);
    EXPECT_EQ((*changes)[1].subject, kMember);
    EXPECT_EQ(raw_user_version(path), 5);
    EXPECT_GT(expect_no_plaintext(path), 0u);  // while open, WAL and all
  }
  EXPECT_GT(expect_no_plaintext(path), 0u);
}

TEST(HistoryEncryptionTest, AMigrationCutShortLeavesVersionFourIntact) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  const MessageId direct = MessageId::random();
  write_version_4(path, direct, MessageId::random());
  // Fails once the messages are sealed, in the middle of the migration.
  raw_exec(path,
           "CREATE TRIGGER fail_midway BEFORE UPDATE ON file_transfers"
           " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  auto failed = HistoryStore::open(path, owner_box());
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.status().message().find("injected failure"), std::string::npos)
      << failed.status().to_string();
  EXPECT_EQ(raw_user_version(path), 4);
  EXPECT_NE((read_all(path) + read_all(path + "-wal")).find(kText), std::string::npos);

  raw_exec(path, "DROP TRIGGER fail_midway");
  auto store = HistoryStore::open(path, owner_box());
  ASSERT_TRUE(store) << store.status().to_string();
  auto messages = (*store)->conversation(kPeer, 0, 0);
  ASSERT_TRUE(messages);
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].text, kText);
}

// Two messages with kPeer (the second one sent), one with bob, two groups' heads.
MessageId write_small_history(const std::string& path) {
  auto store = HistoryStore::open(path, owner_box());
  EXPECT_TRUE(store) << store.status().to_string();
  if (!store) return {};
  const auto first = message(kPeer, kPeer, 0, kText);
  EXPECT_TRUE((*store)->add_message(first));
  EXPECT_TRUE((*store)->add_message(message("me", kPeer, 0, kReply, true)));
  EXPECT_TRUE((*store)->add_message(message("bob", "bob", 0, "to bob")));
  EXPECT_TRUE((*store)->save_group_head(chain(7), events(7)));
  EXPECT_TRUE((*store)->save_group_head(chain(8), events(8)));
  return first.id;
}

void expect_refused(const Result<std::vector<ChatMessage>>& listed) {
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.status().code(), Code::kCrypto);
  EXPECT_NE(listed.status().message().find("does not open"), std::string::npos)
      << listed.status().to_string();
}

TEST(HistoryEncryptionTest, ATamperedMessageIsRefusedNotShown) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  write_small_history(path);
  {  // One bit of the ciphertext of the newest message with kPeer (the one sent) flipped.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* select = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT body FROM messages WHERE outgoing = 1", -1, &select,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
    std::string body(static_cast<const char*>(sqlite3_column_blob(select, 0)),
                     static_cast<std::size_t>(sqlite3_column_bytes(select, 0)));
    sqlite3_finalize(select);
    ASSERT_GT(body.size(), 40u);
    body[30] = static_cast<char>(body[30] ^ 0x04);
    sqlite3_stmt* update = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE messages SET body = ? WHERE outgoing = 1", -1, &update,
                                 nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(update, 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(update), SQLITE_DONE);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_finalize(update);
    sqlite3_close(db);
  }
  auto store = HistoryStore::open(path, owner_box());
  ASSERT_TRUE(store);
  expect_refused((*store)->conversation(kPeer, 0, 0));
  expect_refused((*store)->latest_per_conversation(0));
  // The untouched conversation still reads.
  auto with_bob = (*store)->conversation("bob", 0, 0);
  ASSERT_TRUE(with_bob);
  ASSERT_EQ(with_bob->size(), 1u);
  EXPECT_EQ((*with_bob)[0].text, "to bob");
}

TEST(HistoryEncryptionTest, AMessageBodyCopiedOntoAnotherMessageIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  const MessageId first = write_small_history(path);
  raw_exec(path, "UPDATE messages SET body = (SELECT body FROM messages WHERE id = x'" +
                     first.to_hex() + "') WHERE outgoing = 1");
  auto store = HistoryStore::open(path, owner_box());
  ASSERT_TRUE(store);
  expect_refused((*store)->conversation(kPeer, 0, 0));
}

TEST(HistoryEncryptionTest, AChangedPlainColumnOfAMessageIsRefused) {
  // The changed-key mark hidden, a time moved: each column is bound to the body.
  for (const char* change : {"UPDATE messages SET key_changed = 1 WHERE pos = 1",
                             "UPDATE messages SET sent_at_ms = sent_at_ms + 1 WHERE pos = 1"}) {
    testing::TempDir dir;
    const std::string path = dir.file("history.db");
    write_small_history(path);
    raw_exec(path, change);
    auto store = HistoryStore::open(path, owner_box());
    ASSERT_TRUE(store);
    expect_refused((*store)->conversation(kPeer, 0, 0));
  }
}

TEST(HistoryEncryptionTest, AMessageMovedIntoAnotherConversationIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  const MessageId first = write_small_history(path);
  raw_exec(path, "UPDATE messages SET peer_tag = (SELECT peer_tag FROM messages WHERE id = x'" +
                     first.to_hex() + "') WHERE pos = 3");  // the one with bob
  auto store = HistoryStore::open(path, owner_box());
  ASSERT_TRUE(store);
  expect_refused((*store)->conversation(kPeer, 0, 0));
  auto with_bob = (*store)->conversation("bob", 0, 0);
  ASSERT_TRUE(with_bob);
  EXPECT_TRUE(with_bob->empty());
}

TEST(HistoryEncryptionTest, MembershipValuesMovedBetweenRowsAreRefused) {
  testing::TempDir dir;
  const std::string path = dir.file("history.db");
  write_small_history(path);
  // One group's member list passed off as another's; one event's names onto another.
  raw_exec(path,
           "UPDATE group_heads SET members = (SELECT members FROM group_heads WHERE"
           " group_id = 8) WHERE group_id = 7");
  raw_exec(path,
           "UPDATE membership_events SET names = (SELECT names FROM membership_events"
           " WHERE group_id = 8 AND seq = 2) WHERE group_id = 8 AND seq = 1");
  auto store = HistoryStore::open(path, owner_box());
  ASSERT_TRUE(store);
  EXPECT_FALSE((*store)->group_head(7));  // verified again from the start instead
  EXPECT_TRUE((*store)->group_head(8));
  auto changes = (*store)->membership_events(8, 0);
  ASSERT_FALSE(changes);
  EXPECT_EQ(changes.status().code(), Code::kCrypto);
  EXPECT_TRUE((*store)->membership_events(7, 0));
}

}  // namespace
}  // namespace fastchat::client
