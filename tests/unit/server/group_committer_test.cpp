#include "server/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <latch>

#include "server_store_test.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/sqlite_store.h"

namespace fastchat::server {
namespace {

class GroupCommitterTest : public ServerStoreTest {
 protected:
  void SetUp() override {
    ServerStoreTest::SetUp();
    if (HasFatalFailure()) return;
    alice_ = make_user("alice");
    bob_ = make_user("bob");
  }

  store::OutgoingMessage message_to_bob() {
    store::OutgoingMessage m;
    m.sender = alice_;
    m.message_id = MessageId::random();
    m.to_user = bob_;
    m.body = "ciphertext";
    m.server_time_ms = 1;
    return m;
  }

  UserId alice_ = 0, bob_ = 0;
};

TEST_F(GroupCommitterTest, CommitsEverythingQueuedInFewBatches) {
  GroupCommitter committer(*store_, /*max_batch=*/256);
  constexpr int kMessages = 1000;
  std::latch done(kMessages);
  std::atomic<int> ok{0};
  std::vector<std::uint64_t> seqs(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    committer.enqueue_send(message_to_bob(), [&, i](const store::OutgoingMessage&,
                                                    Result<store::CommitOutcome> outcome) {
      if (outcome && outcome->status && outcome->deliveries.size() == 1) {
        seqs[i] = outcome->deliveries[0].seq;
        ++ok;
      }
      done.count_down();
    });
  }
  committer.start();  // everything is already queued: batches are full
  done.wait();
  EXPECT_EQ(ok.load(), kMessages);
  // Sequence numbers follow the enqueue order without gaps.
  for (int i = 0; i < kMessages; ++i)
    EXPECT_EQ(seqs[i], static_cast<std::uint64_t>(i + 1));
  const auto stats = committer.stats();
  EXPECT_EQ(stats.messages, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(stats.batches, 4u);  // ceil(1000 / 256)
  committer.stop();
}

TEST_F(GroupCommitterTest, StopCommitsWhatIsQueuedAndRefusesLaterWork) {
  GroupCommitter committer(*store_);
  committer.start();
  std::atomic<int> committed{0};
  for (int i = 0; i < 100; ++i) {
    committer.enqueue_send(message_to_bob(),
                           [&](const store::OutgoingMessage&, Result<store::CommitOutcome> r) {
                             if (r && r->status) ++committed;
                           });
  }
  committer.stop();
  EXPECT_EQ(committed.load(), 100);
  auto inbox = store_->read_inbox(bob_, 0, 1000);
  ASSERT_TRUE(inbox);
  EXPECT_EQ(inbox->size(), 100u);

  Status late;
  committer.enqueue_send(
      message_to_bob(),
      [&](const store::OutgoingMessage&, Result<store::CommitOutcome> r) { late = r.status(); });
  EXPECT_EQ(late.code(), Code::kUnavailable);
}

TEST_F(GroupCommitterTest, AcksAreBatchedAndApplied) {
  GroupCommitter committer(*store_);
  committer.start();
  std::latch sent(10);
  for (int i = 0; i < 10; ++i) {
    committer.enqueue_send(
        message_to_bob(),
        [&](const store::OutgoingMessage&, Result<store::CommitOutcome>) { sent.count_down(); });
  }
  sent.wait();
  std::latch acked(1);
  Status ack_status(Code::kInternal, "not called");
  committer.enqueue_ack({bob_, 6}, [&](Status s) {
    ack_status = s;
    acked.count_down();
  });
  acked.wait();
  EXPECT_TRUE(ack_status) << ack_status.to_string();
  auto bob = store_->find_user_by_id(bob_);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->acked_seq, 6u);
  EXPECT_EQ(bob->last_seq, 10u);
  committer.stop();
}

TEST_F(GroupCommitterTest, SendsAndAcksQueuedTogetherShareOneCommit) {
  GroupCommitter committer(*store_);
  committer.start();
  std::latch sent(3);
  for (int i = 0; i < 3; ++i) {
    committer.enqueue_send(
        message_to_bob(),
        [&](const store::OutgoingMessage&, Result<store::CommitOutcome>) { sent.count_down(); });
  }
  sent.wait();
  committer.stop();  // what follows is queued while no thread commits

  GroupCommitter next(*store_);
  std::latch done(3);
  Status ack_status(Code::kInternal, "not called");
  std::uint64_t new_seq = 0;
  next.enqueue_ack({bob_, 3}, [&](Status s) {
    ack_status = s;
    done.count_down();
  });
  for (int i = 0; i < 2; ++i) {
    next.enqueue_send(message_to_bob(),
                      [&](const store::OutgoingMessage&, Result<store::CommitOutcome> outcome) {
                        if (outcome && !outcome->deliveries.empty())
                          new_seq = outcome->deliveries[0].seq;
                        done.count_down();
                      });
  }
  next.start();
  done.wait();
  EXPECT_TRUE(ack_status) << ack_status.to_string();
  EXPECT_EQ(new_seq, 5u);
  EXPECT_EQ(next.stats().batches, 1u);
  EXPECT_EQ(next.stats().acks, 1u);
  auto bob = store_->find_user_by_id(bob_);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->acked_seq, 3u);
  EXPECT_EQ(bob->last_seq, 5u);
  next.stop();
}

TEST_F(GroupCommitterTest, SessionWritesQueuedTogetherCommitInOneBatch) {
  GroupCommitter committer(*store_);
  constexpr int kLogins = 300;
  std::latch done(kLogins + 1);
  std::atomic<int> ok{0};
  Status unknown;
  for (int i = 0; i < kLogins; ++i) {
    store::SessionWrite login{store::SessionWrite::Kind::kCreate,
                              {"token-" + std::to_string(i), alice_, 1, 1000}};
    committer.enqueue_session_write(std::move(login), [&](Status s) {
      if (s) ++ok;
      done.count_down();
    });
  }
  committer.enqueue_session_write({store::SessionWrite::Kind::kCreate, {"x", 4242, 1, 1000}},
                                  [&](Status s) {
                                    unknown = s;
                                    done.count_down();
                                  });
  committer.start();  // everything is already queued: one batch
  done.wait();
  EXPECT_EQ(ok.load(), kLogins);
  EXPECT_EQ(unknown.code(), Code::kUnknownUser);
  EXPECT_EQ(committer.stats().session_batches, 1u);
  EXPECT_EQ(committer.stats().session_writes, static_cast<std::uint64_t>(kLogins + 1));
  auto found = store_->find_session("token-299", 2);
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, alice_);

  std::latch revoked(1);
  committer.enqueue_session_write({store::SessionWrite::Kind::kRevoke, {"token-299", 0, 0, 0}},
                                  [&](Status) { revoked.count_down(); });
  revoked.wait();
  EXPECT_EQ(store_->find_session("token-299", 2).code(), Code::kAuthFailed);
  committer.stop();

  Status late;
  committer.enqueue_session_write({store::SessionWrite::Kind::kRevoke, {"token-1", 0, 0, 0}},
                                  [&](Status s) { late = s; });
  EXPECT_EQ(late.code(), Code::kUnavailable);
}

// A failed batch may have committed all the same (its answer lost), so the first batch
// that commits after it tells the recovery observer, which makes sessions re-read
// their inboxes. Here the failure is real: another connection holds SQLite's write
// lock past the store's busy timeout.
TEST_F(GroupCommitterTest, TheFirstCommitAfterAFailedOneTellsTheRecoveryObserver) {
  store_.reset();
  const std::string path = (dir_ / "fastchat.db").string();
  auto impatient = store::sqlite::SqliteStore::open(path, {.busy_timeout_ms = 10});
  ASSERT_TRUE(impatient) << impatient.status().to_string();
  store_ = std::move(*impatient);
  auto blocker = store::sqlite::Connection::open(path, {});
  ASSERT_TRUE(blocker) << blocker.status().to_string();

  GroupCommitter committer(*store_);
  std::atomic<int> recoveries{0};
  committer.set_recovery_observer([&] { ++recoveries; });
  committer.start();
  auto send = [&] {
    std::promise<Result<store::CommitOutcome>> result;
    committer.enqueue_send(message_to_bob(),
                           [&](const store::OutgoingMessage&, Result<store::CommitOutcome> r) {
                             result.set_value(std::move(r));
                           });
    return result.get_future().get();
  };
  ASSERT_TRUE(send());
  ASSERT_TRUE((*blocker)->exec("BEGIN IMMEDIATE"));  // holds the write lock
  EXPECT_FALSE(send());
  EXPECT_FALSE(send());
  EXPECT_EQ(recoveries.load(), 0);
  ASSERT_TRUE((*blocker)->exec("ROLLBACK"));
  ASSERT_TRUE(send());
  EXPECT_EQ(recoveries.load(), 1);  // once per outage, not per batch
  ASSERT_TRUE(send());
  EXPECT_EQ(recoveries.load(), 1);
  committer.stop();
}

}  // namespace
}  // namespace fastchat::server
