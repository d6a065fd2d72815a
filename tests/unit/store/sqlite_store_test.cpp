// Tests of what is particular to the SQLite backend: file settings, migrations, storage
// reclamation, locking, and open_store's handling of the data directory.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "store/open_store.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/id_index_map.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/transaction.h"
#include "store_backends.h"

namespace fastchat::store::sqlite {
namespace {

using test::TempDir;

constexpr std::int64_t kNow = 1'700'000'000'000;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/fastchat.db"; }

  std::unique_ptr<SqliteStore> open_store(const SqliteOptions& options = {}) {
    auto store = SqliteStore::open(path(), options);
    EXPECT_TRUE(store) << store.status().to_string();
    return store ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<Connection> raw(bool create = false) {
    Connection::Options options;
    options.create = create;
    auto db = Connection::open(path(), options);
    EXPECT_TRUE(db) << db.status().to_string();
    return db ? std::move(db).value() : nullptr;
  }

  std::int64_t count(Connection& db, const char* sql) {
    auto value = db.query_int64(sql);
    EXPECT_TRUE(value) << value.status().to_string();
    return value ? *value : -1;
  }

  static UserId add_user(Store& store, const std::string& name) {
    NewUser user;
    user.username = name;
    user.auth_verifier = "v";
    auto id = store.create_user(user);
    EXPECT_TRUE(id) << id.status().to_string();
    return id ? *id : 0;
  }

  static OutgoingMessage direct(UserId from, UserId to) {
    OutgoingMessage message;
    message.sender = from;
    message.message_id = MessageId::random();
    message.to_user = to;
    message.body = "body";
    message.server_time_ms = kNow;
    return message;
  }

  TempDir dir_;
};

TEST_F(SqliteStoreTest, DatabaseIsWalWithSynchronousFullAndForeignKeys) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto settings = store->settings();
  ASSERT_TRUE(settings) << settings.status().to_string();
  EXPECT_EQ(settings->journal_mode, "wal");
  EXPECT_EQ(settings->synchronous, 2);  // FULL
  EXPECT_TRUE(settings->foreign_keys);
  EXPECT_EQ(settings->busy_timeout_ms, 5000);
  EXPECT_EQ(settings->schema_version, kSchemaVersion);

  // WAL is a property of the file: a fresh connection sees it too.
  auto db = raw();
  ASSERT_NE(db, nullptr);
  auto mode = db->query_text("PRAGMA journal_mode");
  ASSERT_TRUE(mode) << mode.status().to_string();
  EXPECT_EQ(*mode, "wal");
}

TEST_F(SqliteStoreTest, MigratesAVersion1DatabaseAndKeepsItsData) {
  {
    auto db = raw(/*create=*/true);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(migrate(*db, 1));
    auto version = schema_version(*db);
    ASSERT_TRUE(version);
    ASSERT_EQ(*version, 1);
    ASSERT_TRUE(db->exec(R"sql(
      INSERT INTO users (id, username, auth_verifier, sign_public_key, box_public_key,
                         key_signature, created_ms, acked_seq, last_seq)
      VALUES (1, 'alice', x'01', x'02', x'03', x'04', 1, 0, 0),
             (2, 'bob', x'05', x'06', x'07', x'08', 1, 0, 1);
      INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms)
      VALUES (x'aa', 2, 1, 9000000000000);
      INSERT INTO chat_groups (id, name) VALUES (7, 'old friends');
      INSERT INTO group_members (group_id, user_id, admin) VALUES (7, 1, 1), (7, 2, 0);
      INSERT INTO messages (id, sender, message_id, group_id, body, server_time_ms, refs)
      VALUES (1, 1, x'000102030405060708090a0b0c0d0e0f', 7, x'cafe', 1234, 1);
      INSERT INTO inbox (user_id, seq, message_row, sealed_key) VALUES (2, 1, 1, x'4b');
    )sql"));
  }

  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto settings = store->settings();
  ASSERT_TRUE(settings) << settings.status().to_string();
  EXPECT_EQ(settings->schema_version, kSchemaVersion);

  auto bob = store->find_user("bob");
  ASSERT_TRUE(bob) << bob.status().to_string();
  EXPECT_EQ(bob->id, 2);
  EXPECT_EQ(bob->auth_verifier, "\x05");
  EXPECT_EQ(bob->last_seq, 1u);
  // Sessions from before device keys cannot prove a device: version 7 dropped them.
  EXPECT_EQ(store->find_session("\xaa", kNow).code(), Code::kAuthFailed);
  EXPECT_EQ(store->lookup_session("\xaa", kNow).code(), Code::kAuthFailed);
  auto group = store->get_group(7);
  ASSERT_TRUE(group) << group.status().to_string();
  EXPECT_EQ(group->name, "old friends");
  ASSERT_EQ(group->members.size(), 2u);
  EXPECT_TRUE(group->members[0].admin);

  auto items = store->read_inbox(2, 0, 10);
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].sender, "alice");
  EXPECT_EQ((*items)[0].group_id, 7u);
  EXPECT_EQ((*items)[0].body, "\xca\xfe");
  EXPECT_EQ((*items)[0].sealed_key, "K");
  EXPECT_EQ((*items)[0].message_id.to_hex(), "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ((*items)[0].server_time_ms, 1234);

  // The message's duplicate key went through the table's rebuild (version 4).
  OutgoingMessage retry = direct(1, 2);
  retry.message_id = *MessageId::from_hex("000102030405060708090a0b0c0d0e0f");
  auto retried = store->commit_messages(std::vector<OutgoingMessage>{retry});
  ASSERT_TRUE(retried) << retried.status().to_string();
  EXPECT_TRUE((*retried)[0].duplicate);
  EXPECT_EQ((*retried)[0].server_time_ms, 1234);

  // The upgraded database works on: numbering continues, acks reclaim old rows.
  auto outcomes = store->commit_messages(std::vector<OutgoingMessage>{direct(1, 2)});
  ASSERT_TRUE(outcomes) << outcomes.status().to_string();
  ASSERT_EQ((*outcomes)[0].deliveries.size(), 1u);
  EXPECT_EQ((*outcomes)[0].deliveries[0].seq, 2u);
  ASSERT_TRUE(store->ack_inbox(std::vector<AckRecord>{{2, 2}}));
  auto db = raw();
  ASSERT_NE(db, nullptr);
  // Both messages are tombstones now: keys kept, bodies gone.
  EXPECT_EQ(count(*db, "SELECT count(*) FROM messages WHERE refs = 0 AND length(body) = 0"), 2);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(count(*db,
                  "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = "
                  "'messages_tombstones'"),
            1);
  EXPECT_EQ(count(*db,
                  "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = "
                  "'messages_unreferenced'"),
            0);
}

TEST_F(SqliteStoreTest, MigrationIsIdempotent) {
  {
    auto db = raw(/*create=*/true);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(migrate(*db));
    ASSERT_TRUE(migrate(*db));
    ASSERT_TRUE(migrate(*db, 1));  // never goes back
    auto version = schema_version(*db);
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, kSchemaVersion);
  }
  EXPECT_NE(open_store(), nullptr);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerBuild) {
  {
    auto db = raw(/*create=*/true);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(migrate(*db));
    ASSERT_TRUE(db->exec("PRAGMA user_version = 99"));
  }
  auto store = SqliteStore::open(path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Code::kInternal);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos)
      << store.status().to_string();
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  std::ofstream(path()) << std::string(8192, 'x');
  auto store = SqliteStore::open(path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Code::kInternal) << store.status().to_string();
}

TEST_F(SqliteStoreTest, BodiesGoWhenTheLastRecipientAcksAndTombstonesWhenPurged) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const UserId alice = add_user(*store, "alice");
  const UserId bob = add_user(*store, "bob");
  const UserId carol = add_user(*store, "carol");
  auto group = store->create_group("g", alice, std::vector<UserId>{bob, carol});
  ASSERT_TRUE(group);
  OutgoingMessage to_group;
  to_group.sender = alice;
  to_group.message_id = MessageId::random();
  to_group.group_id = group->id;
  to_group.body = "group body";
  to_group.key_wraps = {{bob, "kb"}, {carol, "kc"}};
  OutgoingMessage alone = to_group;  // to a group where alice is alone
  auto solo = store->create_group("solo", alice, {});
  ASSERT_TRUE(solo);
  alone.group_id = solo->id;
  alone.message_id = MessageId::random();
  alone.key_wraps.clear();
  ASSERT_TRUE(
      store->commit_messages(std::vector<OutgoingMessage>{to_group, direct(alice, bob), alone}));

  auto db = raw();
  ASSERT_NE(db, nullptr);
  const char* kBodies = "SELECT count(*) FROM messages WHERE length(body) > 0";
  EXPECT_EQ(count(*db, "SELECT count(*) FROM messages"), 3);  // bodies stored once
  EXPECT_EQ(count(*db, kBodies), 2);                          // the undelivered one keeps none
  EXPECT_EQ(count(*db, "SELECT count(*) FROM inbox"), 3);
  ASSERT_TRUE(store->ack_inbox(std::vector<AckRecord>{{bob, 2}}));
  // carol still holds the group message; the direct one's body went, its key stays.
  EXPECT_EQ(count(*db, kBodies), 1);
  EXPECT_EQ(count(*db, "SELECT refs FROM messages WHERE length(body) > 0"), 1);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM inbox"), 1);
  ASSERT_TRUE(store->ack_inbox(std::vector<AckRecord>{{carol, 1}}));
  EXPECT_EQ(count(*db, kBodies), 0);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM messages WHERE refs = 0"), 3);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM inbox"), 0);
}

TEST_F(SqliteStoreTest, DatabaseErrorMidBatchCommitsNothingOfTheBatch) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const UserId alice = add_user(*store, "alice");
  const UserId bob = add_user(*store, "bob");
  const UserId carol = add_user(*store, "carol");
  ASSERT_TRUE(store->commit_messages(std::vector<OutgoingMessage>{direct(alice, bob)}));
  {
    // Break an invariant behind the store's back: bob's next seq now collides.
    auto db = raw();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(
        db->exec("UPDATE user_seqs SET last_seq = 0 WHERE user_id = "
                 "(SELECT id FROM users WHERE username = 'bob')"));
  }
  auto outcomes = store->commit_messages(
      std::vector<OutgoingMessage>{direct(alice, carol), direct(alice, bob)});
  ASSERT_FALSE(outcomes);
  EXPECT_EQ(outcomes.code(), Code::kInternal) << outcomes.status().to_string();
  auto carols = store->read_inbox(carol, 0, 10);
  ASSERT_TRUE(carols) << carols.status().to_string();
  EXPECT_TRUE(carols->empty());  // rolled back with the rest of the batch
  // The store goes on working.
  EXPECT_TRUE(store->commit_messages(std::vector<OutgoingMessage>{direct(alice, carol)}));
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileShareSequenceNumbers) {
  auto first = open_store();
  auto second = open_store();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const UserId alice = add_user(*first, "alice");
  const UserId bob = add_user(*second, "bob");
  for (int i = 0; i < 3; ++i) {
    for (Store* store : {static_cast<Store*>(first.get()), static_cast<Store*>(second.get())}) {
      ASSERT_TRUE(store->commit_messages(std::vector<OutgoingMessage>{direct(alice, bob)}));
    }
  }
  auto items = first->read_inbox(bob, 0, 100);
  ASSERT_TRUE(items) << items.status().to_string();
  ASSERT_EQ(items->size(), 6u);
  for (std::size_t i = 0; i < items->size(); ++i)
    EXPECT_EQ((*items)[i].seq, i + 1);
}

TEST_F(SqliteStoreTest, LockedDatabaseIsUnavailable) {
  SqliteOptions options;
  options.busy_timeout_ms = 50;
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  const UserId alice = add_user(*store, "alice");
  auto db = raw();
  ASSERT_NE(db, nullptr);
  {
    auto lock = Transaction::begin(*db);  // another process holding the write lock
    ASSERT_TRUE(lock) << lock.status().to_string();
    auto outcomes = store->commit_messages(std::vector<OutgoingMessage>{direct(alice, alice)});
    EXPECT_EQ(outcomes.code(), Code::kUnavailable) << outcomes.status().to_string();
    NewUser bob;
    bob.username = "bob";
    EXPECT_EQ(store->create_user(bob).code(), Code::kUnavailable);
    // Reads go on meanwhile (WAL).
    EXPECT_TRUE(store->find_user_by_id(alice));
  }
  EXPECT_TRUE(store->commit_messages(std::vector<OutgoingMessage>{direct(alice, alice)}));
}

TEST_F(SqliteStoreTest, OpenStoreRefusesPostgresForNowAndUnknownUrls) {
  EXPECT_EQ(store::open_store("postgresql://localhost/fastchat", dir_.path()).code(),
            Code::kUnavailable);
  EXPECT_EQ(store::open_store("postgres://localhost/fastchat", "").code(), Code::kUnavailable);
  EXPECT_EQ(store::open_store("mysql://localhost/fastchat", dir_.path()).code(), Code::kBadRequest);
  EXPECT_EQ(store::open_store("", "").code(), Code::kBadRequest);
}

TEST_F(SqliteStoreTest, OpenStoreMakesAPrivateDataDirectory) {
  const std::string data_dir = dir_.path() + "/a/b/data/";
  {
    auto store = store::open_store("", data_dir);
    ASSERT_TRUE(store) << store.status().to_string();
    EXPECT_NE(add_user(**store, "alice"), 0);
  }
  struct stat info {};
  for (const std::string& dir : {dir_.path() + "/a", dir_.path() + "/a/b", data_dir}) {
    ASSERT_EQ(::stat(dir.c_str(), &info), 0) << dir;
    EXPECT_EQ(info.st_mode & 0777, 0700u) << dir;
  }
  ASSERT_EQ(::stat((data_dir + "fastchat.db").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  auto again = store::open_store("", data_dir);  // exists already: fine, data kept
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE((*again)->find_user("alice"));
}

TEST_F(SqliteStoreTest, OpenStoreReportsADataDirectoryThatIsAFile) {
  const std::string file = dir_.path() + "/file";
  std::ofstream(file) << "x";
  EXPECT_EQ(store::open_store("", file).code(), Code::kIo);
  EXPECT_EQ(store::open_store("", file + "/sub").code(), Code::kIo);
}

TEST(IdIndexMapTest, FindsWhatWasInsertedAcrossGrowthAndClear) {
  IdIndexMap map;
  EXPECT_EQ(map.find(1), IdIndexMap::kNone);
  for (std::uint32_t i = 0; i < 10000; ++i)
    map.insert(static_cast<std::int64_t>(i) * 7 - 3, i);
  EXPECT_EQ(map.size(), 10000u);
  for (std::uint32_t i = 0; i < 10000; ++i) {
    ASSERT_EQ(map.find(static_cast<std::int64_t>(i) * 7 - 3), i);
  }
  EXPECT_EQ(map.find(-2), IdIndexMap::kNone);
  EXPECT_EQ(map.find(INT64_MIN), IdIndexMap::kNone);
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find(-3), IdIndexMap::kNone);
  map.insert(INT64_MIN, 5);
  map.insert(0, 6);
  EXPECT_EQ(map.find(INT64_MIN), 5u);
  EXPECT_EQ(map.find(0), 6u);
}

}  // namespace
}  // namespace fastchat::store::sqlite
