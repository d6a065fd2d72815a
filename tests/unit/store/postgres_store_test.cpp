// Tests of what is particular to the PostgreSQL backend: session settings, migrations,
// storage reclamation, the connection pool, and several stores ("servers") committing
// to one database at once. Skipped unless $FASTCHAT_TEST_POSTGRES_URL names a database
// (scripts/test-services.sh start). Server restarts: postgres_restart_test.cpp.
#include "store/postgres/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "store/open_store.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_pool.h"
#include "support/postgres_test_schema.h"
#include "support/service_missing.h"

namespace fastchat::store::postgres {
namespace {

using test::PostgresTestSchema;

constexpr std::int64_t kNow = 1'700'000'000'000;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PostgresTestSchema::base_url().empty()) {
      FASTCHAT_SERVICE_MISSING("FASTCHAT_TEST_POSTGRES_URL is not set");
    }
    schema_ = std::make_unique<PostgresTestSchema>();
  }

  std::unique_ptr<PostgresStore> open_store(const PostgresOptions& options = {}) {
    auto store = PostgresStore::open(schema_->url(), options);
    EXPECT_TRUE(store) << store.status().to_string();
    return store ? std::move(store).value() : nullptr;
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

  static OutgoingMessage to_group(UserId from, GroupId group, const std::vector<UserId>& members) {
    OutgoingMessage message;
    message.sender = from;
    message.message_id = MessageId::random();
    message.group_id = group;
    message.body = "group body";
    message.server_time_ms = kNow;
    for (UserId member : members)
      message.key_wraps.push_back({member, "key"});
    return message;
  }

  std::unique_ptr<PostgresTestSchema> schema_;
};

TEST_F(PostgresStoreTest, SessionsCommitDurablyAtTheLatestSchema) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto settings = store->settings();
  ASSERT_TRUE(settings) << settings.status().to_string();
  EXPECT_EQ(settings->synchronous_commit, "on");
  EXPECT_EQ(settings->fsync, "on");
  EXPECT_EQ(settings->schema_version, kSchemaVersion);
  EXPECT_FALSE(settings->server_version.empty());
}

TEST_F(PostgresStoreTest, OpenStoreDispatchesPostgresUrls) {
  auto store = store::open_store(schema_->url(), "");
  ASSERT_TRUE(store) << store.status().to_string();
  EXPECT_NE(dynamic_cast<PostgresStore*>(store->get()), nullptr);
}

TEST_F(PostgresStoreTest, MigratesAVersion1DatabaseAndKeepsItsData) {
  ASSERT_TRUE(migrate(schema_->db(), 1));
  EXPECT_EQ(schema_->query_int("SELECT max(version) FROM schema_migrations"), 1);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM pg_indexes WHERE schemaname = "
                               "current_schema() AND indexname = 'messages_unreferenced'"),
            0);
  ASSERT_TRUE(schema_->exec(
      "INSERT INTO users (username, auth_verifier, sign_public_key, box_public_key, "
      "key_signature, created_ms, last_seq) VALUES ('old', 'v', 's', 'b', 'g', 1, 7)"));
  ASSERT_TRUE(
      schema_->exec("INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms) SELECT "
                    "'\\xaa'::bytea, id, 1, 9000000000000 FROM users WHERE username = 'old'"));

  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(schema_->query_int("SELECT max(version) FROM schema_migrations"), kSchemaVersion);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM schema_migrations"), kSchemaVersion);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM pg_indexes WHERE schemaname = "
                               "current_schema() AND indexname = 'messages_tombstones'"),
            1);
  auto old = store->find_user("OLD");
  ASSERT_TRUE(old) << old.status().to_string();
  EXPECT_EQ(old->last_seq, 7u);
  // Sessions from before device keys cannot prove a device: version 5 dropped them.
  EXPECT_EQ(store->lookup_session("\xaa", kNow).code(), Code::kAuthFailed);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM sessions"), 0);
  // Seqs go on from the migrated data.
  const UserId alice = add_user(*store, "alice");
  auto outcomes = store->commit_messages(std::vector<OutgoingMessage>{direct(alice, old->id)});
  ASSERT_TRUE(outcomes) << outcomes.status().to_string();
  ASSERT_EQ((*outcomes)[0].deliveries.size(), 1u);
  EXPECT_EQ((*outcomes)[0].deliveries[0].seq, 8u);
}

TEST_F(PostgresStoreTest, ServersStartingTogetherMigrateOnce) {
  constexpr int kServers = 6;
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&] {
      auto store = PostgresStore::open(schema_->url());
      if (store) {
        ++opened;
      } else {
        ADD_FAILURE() << store.status().to_string();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(opened, kServers);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM schema_migrations"), kSchemaVersion);
  auto store = open_store();  // and once more, on a migrated database
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM schema_migrations"), kSchemaVersion);
}

TEST_F(PostgresStoreTest, RefusesADatabaseFromANewerBuild) {
  ASSERT_NE(open_store(), nullptr);
  ASSERT_TRUE(schema_->exec("INSERT INTO schema_migrations (version) VALUES (99)"));
  auto store = PostgresStore::open(schema_->url());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Code::kInternal);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos)
      << store.status().to_string();
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailableQuickly) {
  // A port nothing listens on (discard): refused at once.
  const auto start = std::chrono::steady_clock::now();
  auto store = PostgresStore::open("postgresql://fastchat@127.0.0.1:9/fastchat_test");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Code::kUnavailable) << store.status().to_string();
  EXPECT_NE(store.status().message().find("PostgreSQL"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(store::open_store("postgres://fastchat@127.0.0.1:9/x", "").code(), Code::kUnavailable);
}

TEST_F(PostgresStoreTest, GroupBodiesAreStoredOnceAndGoWhenTheLastRecipientAcks) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const UserId alice = add_user(*store, "alice");
  const UserId bob = add_user(*store, "bob");
  const UserId carol = add_user(*store, "carol");
  auto group = store->create_group("g", alice, std::vector<UserId>{bob, carol});
  ASSERT_TRUE(group);
  auto solo = store->create_group("solo", alice, {});
  ASSERT_TRUE(solo);
  ASSERT_TRUE(store->commit_messages(
      std::vector<OutgoingMessage>{to_group(alice, group->id, {bob, carol}), direct(alice, bob),
                                   to_group(alice, solo->id, {})}));

  const char* kBodies = "SELECT count(*) FROM messages WHERE length(body) > 0";
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM messages"), 3);  // bodies stored once
  EXPECT_EQ(schema_->query_int(kBodies), 2);  // the undelivered one keeps none
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM inbox"), 3);
  ASSERT_TRUE(store->ack_inbox(std::vector<AckRecord>{{bob, 2}}));
  // carol still holds the group message; the direct one's body went, its key stays.
  EXPECT_EQ(schema_->query_int(kBodies), 1);
  EXPECT_EQ(schema_->query_int("SELECT refs FROM messages WHERE length(body) > 0"), 1);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM inbox"), 1);
  ASSERT_TRUE(store->ack_inbox(std::vector<AckRecord>{{carol, 1}}));
  EXPECT_EQ(schema_->query_int(kBodies), 0);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM messages WHERE refs = 0"), 3);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM inbox"), 0);
}

TEST_F(PostgresStoreTest, DatabaseErrorMidBatchCommitsNothingOfTheBatch) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const UserId alice = add_user(*store, "alice");
  const UserId bob = add_user(*store, "bob");
  const UserId carol = add_user(*store, "carol");
  ASSERT_TRUE(store->commit_messages(std::vector<OutgoingMessage>{direct(alice, bob)}));
  // Break an invariant behind the store's back: bob's next seq now collides.
  ASSERT_TRUE(schema_->exec("UPDATE users SET last_seq = 0 WHERE username = 'bob'"));
  auto outcomes = store->commit_messages(
      std::vector<OutgoingMessage>{direct(alice, carol), direct(alice, bob)});
  ASSERT_FALSE(outcomes);
  EXPECT_EQ(outcomes.code(), Code::kInternal) << outcomes.status().to_string();
  auto carols = store->read_inbox(carol, 0, 10);
  ASSERT_TRUE(carols) << carols.status().to_string();
  EXPECT_TRUE(carols->empty());  // rolled back with the rest of the batch
  EXPECT_EQ(schema_->query_int("SELECT last_seq FROM users WHERE username = 'carol'"), 0);
  // The store goes on working, on the same connections.
  EXPECT_TRUE(store->commit_messages(std::vector<OutgoingMessage>{direct(alice, carol)}));
}

TEST_F(PostgresStoreTest, FailedSessionInsertRollsBackItsPurge) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const UserId alice = add_user(*store, "alice");
  ASSERT_TRUE(store->create_session({"old", alice, kNow, kNow + 10}));
  // Purges "old" (expired at kNow + 100), then fails on the unknown user: both or neither.
  EXPECT_EQ(store->create_session({"new", 4242, kNow + 100, kNow + 1000}).code(),
            Code::kUnknownUser);
  EXPECT_EQ(schema_->query_int("SELECT count(*) FROM sessions"), 1);
}

// Two stores on one database are two servers of a cluster: their concurrent commits
// must still give every recipient the seqs 1, 2, 3, ... exactly once.
TEST_F(PostgresStoreTest, TwoServersAssignGaplessSeqsUnderConcurrentCommits) {
  PostgresOptions options;
  options.max_connections = 3;
  auto first = open_store(options);
  auto second = open_store(options);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  std::vector<UserId> users;
  for (int i = 0; i < 6; ++i)
    users.push_back(add_user(*first, "user" + std::to_string(i)));
  auto group =
      second->create_group("all", users[0], std::vector<UserId>(users.begin() + 1, users.end()));
  ASSERT_TRUE(group);

  constexpr int kThreadsPerServer = 3;
  constexpr int kBatches = 25;
  constexpr int kBatchSize = 20;
  std::mutex mu;
  std::map<UserId, std::vector<std::uint64_t>> delivered;  // guarded by mu
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerServer; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? static_cast<Store&>(*first) : static_cast<Store&>(*second);
      std::map<UserId, std::vector<std::uint64_t>> mine;
      for (int b = 0; b < kBatches; ++b) {
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < kBatchSize; ++i) {
          const UserId from = users[(t + i) % users.size()];
          const UserId to = users[(t * 7 + b + i * 3) % users.size()];
          if (i % 5 == 0) {
            std::vector<UserId> others;
            for (UserId user : users) {
              if (user != from) others.push_back(user);
            }
            batch.push_back(to_group(from, group->id, others));
          } else {
            batch.push_back(direct(from, to));
          }
        }
        auto outcomes = store.commit_messages(batch);
        if (!outcomes) {
          ADD_FAILURE() << outcomes.status().to_string();
          ++failures;
          continue;
        }
        for (const auto& outcome : *outcomes) {
          if (!outcome.status) ++failures;
          for (const auto& delivery : outcome.deliveries)
            mine[delivery.recipient].push_back(delivery.seq);
        }
        // Acks from the other server, for one user, as they go.
        if (t == 1) {
          auto record = first->find_user_by_id(users[5]);
          if (!record || !second->ack_inbox(std::vector<AckRecord>{{users[5], record->last_seq}}))
            ++failures;
        }
      }
      std::lock_guard lock(mu);
      for (auto& [user, seqs] : mine)
        delivered[user].insert(delivered[user].end(), seqs.begin(), seqs.end());
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures, 0);

  std::uint64_t total = 0;
  for (UserId user : users) {
    std::vector<std::uint64_t> seqs = delivered[user];
    std::sort(seqs.begin(), seqs.end());
    std::vector<std::uint64_t> expected(seqs.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
      expected[i] = i + 1;
    EXPECT_EQ(seqs, expected) << "user " << user << ": gaps or duplicates";
    auto record = second->find_user_by_id(user);
    ASSERT_TRUE(record) << record.status().to_string();
    EXPECT_EQ(record->last_seq, seqs.size());
    if (user != users[5]) {
      auto items = first->read_inbox(user, 0, 100000);
      ASSERT_TRUE(items) << items.status().to_string();
      ASSERT_EQ(items->size(), seqs.size());
      for (std::size_t i = 0; i < items->size(); ++i)
        ASSERT_EQ((*items)[i].seq, i + 1);
    }
    total += seqs.size();
  }
  // Every direct message is one delivery; every group message one per other member.
  const std::uint64_t messages = 2 * kThreadsPerServer * kBatches * kBatchSize;
  const std::uint64_t group_messages = messages / 5;
  EXPECT_EQ(total, (messages - group_messages) + group_messages * (users.size() - 1));
  EXPECT_LE(first->open_connections(), options.max_connections);
  EXPECT_LE(second->open_connections(), options.max_connections);
}

TEST_F(PostgresStoreTest, PoolIsBoundedAndAcquireTimesOut) {
  ASSERT_NE(open_store(), nullptr);  // migrated
  PgPoolOptions options;
  options.connection.url = schema_->url();
  options.max_connections = 2;
  options.acquire_timeout_ms = 200;
  PgPool pool(options);
  auto one = pool.acquire();
  auto two = pool.acquire();
  ASSERT_TRUE(one) << one.status().to_string();
  ASSERT_TRUE(two) << two.status().to_string();
  EXPECT_EQ(pool.open_connections(), 2);

  const auto start = std::chrono::steady_clock::now();
  auto three = pool.acquire();
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(three);
  EXPECT_EQ(three.code(), Code::kUnavailable) << three.status().to_string();
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(2));

  // A waiter gets the connection that comes back.
  std::thread giver([lease = std::move(one).value()]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  });
  auto four = pool.acquire();
  giver.join();
  ASSERT_TRUE(four) << four.status().to_string();
  EXPECT_EQ(pool.open_connections(), 2);
}

TEST_F(PostgresStoreTest, BrokenConnectionIsReplacedOnNextUse) {
  PostgresOptions options;
  options.max_connections = 1;
  // Named, so that only this store's connection is killed (other tests run alongside).
  const std::string name = "victim_" + schema_->name();
  auto opened = PostgresStore::open(schema_->url() + "&application_name=" + name, options);
  ASSERT_TRUE(opened) << opened.status().to_string();
  auto& store = *opened;
  const UserId alice = add_user(*store, "alice");
  // Kill the store's only backend, as an administrator or a crash would.
  const std::string kill =
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '" +
      name + "'";
  EXPECT_EQ(schema_->query_int(kill.c_str()), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto found = store->find_user_by_id(alice);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(store->open_connections(), 1);
}

TEST_F(PostgresStoreTest, ClosingTheStoreClosesItsConnections) {
  const std::string name = "closing_" + schema_->name();
  const std::string count =
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + name + "'";
  PostgresOptions options;
  options.max_connections = 4;
  auto opened = PostgresStore::open(schema_->url() + "&application_name=" + name, options);
  ASSERT_TRUE(opened) << opened.status().to_string();
  std::unique_ptr<PostgresStore> store = std::move(opened).value();
  const UserId alice = add_user(*store, "alice");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j)
        EXPECT_TRUE(store->find_user_by_id(alice));
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_GE(store->open_connections(), 1);
  EXPECT_LE(store->open_connections(), 4);
  EXPECT_EQ(schema_->query_int(count.c_str()), store->open_connections());

  store.reset();
  // Backends exit asynchronously after the client's Terminate message.
  std::int64_t left = -1;
  for (int i = 0; i < 50 && left != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = schema_->query_int(count.c_str());
  }
  EXPECT_EQ(left, 0);
}

}  // namespace
}  // namespace fastchat::store::postgres
