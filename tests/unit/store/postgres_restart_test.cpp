// PostgreSQL going away and coming back under a PostgresStore: restarts are invisible
// to the next call, calls fail quickly with kUnavailable while the server is down,
// service resumes by itself when it is back, and nothing acknowledged is lost. Each
// test starts a private server (support/private_postgres.h) so that stopping it
// disturbs no other test. Skipped unless $FASTCHAT_TEST_POSTGRES_URL is set (the
// machine has PostgreSQL for tests).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "store/postgres/postgres_store.h"
#include "store_backends.h"
#include "support/postgres_test_schema.h"
#include "support/private_postgres.h"
#include "support/service_missing.h"

namespace fastchat::store::postgres {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000'000;

class PostgresRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::PostgresTestSchema::base_url().empty()) {
      FASTCHAT_SERVICE_MISSING("FASTCHAT_TEST_POSTGRES_URL is not set");
    }
    server_ = std::make_unique<fastchat::test_support::PrivatePostgres>();
    ASSERT_TRUE(server_->start()) << "could not start a private PostgreSQL: " << server_->log();
    PostgresOptions options;
    options.max_connections = 4;
    options.connect_timeout_s = 2;
    options.io_timeout_ms = 10'000;
    auto store = PostgresStore::open(server_->url(), options);
    ASSERT_TRUE(store) << store.status().to_string();
    store_ = std::move(store).value();
    alice_ = add_user("alice");
    bob_ = add_user("bob");
  }

  void TearDown() override {
    store_.reset();  // closes its connections before the server goes
    server_.reset();
  }

  UserId add_user(const std::string& name) {
    NewUser user;
    user.username = name;
    user.auth_verifier = "v";
    auto id = store_->create_user(user);
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

  std::vector<InboxItem> inbox(UserId user) {
    auto items = store_->read_inbox(user, 0, 100000);
    EXPECT_TRUE(items) << items.status().to_string();
    return items ? std::move(items).value() : std::vector<InboxItem>{};
  }

  // Asserts that `user`'s inbox holds seqs 1..n without gaps and returns its ids.
  std::set<MessageId> gapless_inbox(UserId user) {
    std::set<MessageId> ids;
    const auto items = inbox(user);
    for (std::size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i].seq, i + 1) << "user " << user;
      ids.insert(items[i].message_id);
    }
    return ids;
  }

  std::unique_ptr<fastchat::test_support::PrivatePostgres> server_;
  std::unique_ptr<PostgresStore> store_;
  UserId alice_ = 0, bob_ = 0;
};

TEST_F(PostgresRestartTest, RestartIsInvisibleToTheNextCall) {
  // Several pooled connections, all of which the restart kills while they sit idle.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      for (int j = 0; j < 20; ++j)
        EXPECT_TRUE(store_->find_user_by_id(alice_));
    });
  }
  for (auto& reader : readers)
    reader.join();
  ASSERT_TRUE(store_->commit_messages(std::vector<OutgoingMessage>{direct(alice_, bob_)}));

  ASSERT_TRUE(server_->restart());
  auto found = store_->find_user("alice");
  ASSERT_TRUE(found) << found.status().to_string();
  auto outcomes = store_->commit_messages(std::vector<OutgoingMessage>{direct(alice_, bob_)});
  ASSERT_TRUE(outcomes) << outcomes.status().to_string();
  ASSERT_EQ((*outcomes)[0].deliveries.size(), 1u);
  EXPECT_EQ((*outcomes)[0].deliveries[0].seq, 2u);
  EXPECT_EQ(gapless_inbox(bob_).size(), 2u);
}

TEST_F(PostgresRestartTest, WhileDownCallsFailQuicklyAndServiceResumesWhenBack) {
  std::vector<OutgoingMessage> before;
  for (int i = 0; i < 10; ++i)
    before.push_back(direct(alice_, bob_));
  ASSERT_TRUE(store_->commit_messages(before));

  ASSERT_TRUE(server_->stop());
  const auto down_since = Clock::now();
  int calls = 0;
  while (Clock::now() - down_since < 1500ms) {
    const auto start = Clock::now();
    const auto commit = store_->commit_messages(std::vector<OutgoingMessage>{direct(alice_, bob_)});
    EXPECT_EQ(commit.code(), Code::kUnavailable) << commit.status().to_string();
    EXPECT_NE(commit.status().message().find("PostgreSQL"), std::string::npos)
        << commit.status().to_string();
    EXPECT_EQ(store_->read_inbox(bob_, 0, 10).code(), Code::kUnavailable);
    EXPECT_EQ(store_->find_user("alice").code(), Code::kUnavailable);
    EXPECT_EQ(store_->ack_inbox(std::vector<AckRecord>{{bob_, 1}}).code(), Code::kUnavailable);
    EXPECT_EQ(store_->create_session({"t", alice_, kNow, kNow + 1}).code(), Code::kUnavailable);
    EXPECT_LT(Clock::now() - start, 1s) << "calls must fail fast while the server is down";
    ++calls;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(calls, 5);

  ASSERT_TRUE(server_->start());
  // Service resumes by itself (the pool retries connecting after a short pause).
  const auto up_since = Clock::now();
  Result<UserRecord> found = store_->find_user("alice");
  while (!found && Clock::now() - up_since < 10s) {
    std::this_thread::sleep_for(50ms);
    found = store_->find_user("alice");
  }
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_LT(Clock::now() - up_since, 2s);

  // Everything committed before is there; what failed left no trace.
  const auto ids = gapless_inbox(bob_);
  EXPECT_EQ(ids.size(), before.size());
  for (const auto& message : before)
    EXPECT_EQ(ids.count(message.message_id), 1u);
  auto next = store_->commit_messages(std::vector<OutgoingMessage>{direct(alice_, bob_)});
  ASSERT_TRUE(next) << next.status().to_string();
  EXPECT_EQ((*next)[0].deliveries[0].seq, before.size() + 1);
}

TEST_F(PostgresRestartTest, CommitsRacingARestartLoseNothingAcknowledged) {
  const UserId carol = add_user("carol");
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<MessageId> acknowledged;  // guarded by mu
  std::atomic<int> unavailable{0}, other_errors{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t) {
    senders.emplace_back([&, t] {
      while (!stop) {
        std::vector<OutgoingMessage> batch;
        for (int i = 0; i < 20; ++i)
          batch.push_back(direct(t == 0 ? alice_ : bob_, i % 2 == 0 ? carol : alice_));
        auto outcomes = store_->commit_messages(batch);
        if (outcomes) {
          std::lock_guard lock(mu);
          for (const auto& message : batch)
            acknowledged.push_back(message.message_id);
        } else if (outcomes.code() == Code::kUnavailable) {
          ++unavailable;
          std::this_thread::sleep_for(20ms);
        } else {
          ADD_FAILURE() << outcomes.status().to_string();
          ++other_errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(server_->restart());
  std::this_thread::sleep_for(700ms);
  stop = true;
  for (auto& sender : senders)
    sender.join();
  EXPECT_EQ(other_errors, 0);

  // The last failed connect may be a moment ago: wait (bounded) for service to resume.
  const auto since = Clock::now();
  auto probe = store_->find_user_by_id(carol);
  if (!probe) std::printf("after the restart: %s\n", probe.status().to_string().c_str());
  while (!probe && Clock::now() - since < 10s) {
    std::this_thread::sleep_for(50ms);
    probe = store_->find_user_by_id(carol);
  }
  ASSERT_TRUE(probe) << probe.status().to_string();

  // Every acknowledged message is stored, and seqs stayed gapless for everyone.
  std::set<MessageId> stored;
  for (UserId user : {alice_, carol}) {
    const auto ids = gapless_inbox(user);
    stored.insert(ids.begin(), ids.end());
  }
  std::size_t lost = 0;
  for (const MessageId& id : acknowledged)
    lost += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 0u) << "of " << acknowledged.size() << " acknowledged messages";
  EXPECT_GT(acknowledged.size(), 0u);
  std::printf("acknowledged %zu messages; %d batches failed with kUnavailable\n",
              acknowledged.size(), unavailable.load());
}

}  // namespace
}  // namespace fastchat::store::postgres
