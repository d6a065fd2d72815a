// The tombstone sweeper against the real SQLite store: ids older than the window stop
// being duplicates once a sweep ran (in batches), younger ones and undelivered
// messages are untouched, and stop() ends the sweeping.
#include "server/tombstone_sweeper.h"

#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <functional>
#include <thread>

#include "server_store_test.h"

namespace fastchat::server {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kWindowMs = 1'000'000;

class TombstoneSweeperTest : public ServerStoreTest {
 protected:
  void SetUp() override {
    ServerStoreTest::SetUp();
    if (HasFatalFailure()) return;
    worker_ = std::make_unique<StoreWorker>(*store_, 1);
    alice_ = make_user("alice");
    bob_ = make_user("bob");
    loop_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    if (loop_.joinable()) loop_.join();
    worker_.reset();
    ServerStoreTest::TearDown();
  }

  // A message to bob committed `age_ms` before the clock's now.
  store::OutgoingMessage message(std::int64_t age_ms) {
    store::OutgoingMessage m;
    m.sender = alice_;
    m.message_id = MessageId::random();
    m.to_user = bob_;
    m.body = "ciphertext";
    m.server_time_ms = clock_.now_ms() - age_ms;
    return m;
  }

  // Commits `m` (again) and tells whether the store called it a duplicate.
  bool duplicate(const store::OutgoingMessage& m) {
    auto outcomes = store_->commit_messages(std::span(&m, 1));
    EXPECT_TRUE(outcomes) << outcomes.status().to_string();
    return outcomes && (*outcomes)[0].duplicate;
  }

  void deliver_and_ack(const std::vector<store::OutgoingMessage>& messages) {
    auto outcomes = store_->commit_messages(messages);
    ASSERT_TRUE(outcomes) << outcomes.status().to_string();
    const std::uint64_t last = outcomes->back().deliveries.at(0).seq;
    ASSERT_TRUE(store_->ack_inbox(std::vector<store::AckRecord>{{bob_, last}}));
  }

  static bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(2ms);  // polling interval, not synchronization
    }
    return condition();
  }

  SweepSettings settings(std::size_t batch) {
    return {.window = std::chrono::milliseconds(kWindowMs), .interval = 1ms, .batch = batch};
  }

  std::unique_ptr<StoreWorker> worker_;
  ManualClock clock_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::thread loop_;
  UserId alice_ = 0, bob_ = 0;
};

TEST_F(TombstoneSweeperTest, OldIdsStopBeingDuplicatesYoungOnesStay) {
  const std::vector<store::OutgoingMessage> old = {message(kWindowMs + 1), message(kWindowMs + 2),
                                                   message(2 * kWindowMs)};
  const store::OutgoingMessage young = message(kWindowMs / 2);
  std::vector<store::OutgoingMessage> all = old;
  all.push_back(young);
  deliver_and_ack(all);
  const store::OutgoingMessage pending = message(3 * kWindowMs);  // never acknowledged
  ASSERT_FALSE(duplicate(pending));
  for (const auto& m : all)
    ASSERT_TRUE(duplicate(m)) << "acknowledged ids are remembered";

  TombstoneSweeper sweeper(io_.get_executor(), *worker_, clock_, settings(/*batch=*/1));
  std::atomic<std::uint64_t> failures{0};
  sweeper.start(failures);
  // Batches of one: sweeps loop until a batch comes back short. (A commit that is no
  // duplicate stores the message anew, so each id is checked until it is gone once.)
  for (const auto& m : old)
    EXPECT_TRUE(eventually([&] { return !duplicate(m); }));
  EXPECT_TRUE(duplicate(young));
  EXPECT_TRUE(duplicate(pending)) << "an undelivered message is no tombstone";
  auto inbox = store_->read_inbox(bob_, 0, 100);
  ASSERT_TRUE(inbox);
  EXPECT_EQ(inbox->front().message_id, pending.message_id);

  // Time passes: the young one's id goes too.
  clock_.advance_ms(kWindowMs);
  EXPECT_TRUE(eventually([&] { return !duplicate(young); }));
  sweeper.stop();
}

}  // namespace
}  // namespace fastchat::server
