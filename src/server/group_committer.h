// GroupCommitter: the one writer of messages, acks and session tokens. Sessions
// enqueue sends, acks and logins/logouts from any loop; a dedicated thread commits all
// sends and acks queued in one transaction (one fsync for many, DESIGN §7; session
// tokens in a second one), then calls each item's completion on that thread, inside an
// OutboundBatch and a DeliveryHandOff (replies and pushes they queue leave with one
// post per event loop; the loops encode the pushes). Completions must only post work,
// never block.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace fastchat::server {

struct CommitStats {
  std::uint64_t batches = 0;
  std::uint64_t messages = 0;
  std::uint64_t acks = 0;
  std::uint64_t session_batches = 0;
  std::uint64_t session_writes = 0;
};

class GroupCommitter {
 public:
  // The message is the committed one; the completion may take its parts.
  using SendDone = std::function<void(store::OutgoingMessage&, Result<store::CommitOutcome>)>;
  using AckDone = std::function<void(Status)>;
  using SessionWriteDone = std::function<void(Status)>;

  GroupCommitter(store::Store& store, std::size_t max_batch = 4096);
  ~GroupCommitter();

  void start();
  // Commits whatever is queued, then stops the thread. Items enqueued afterwards
  // complete with kUnavailable.
  void stop();

  void enqueue_send(store::OutgoingMessage message, SendDone done);
  void enqueue_ack(store::AckRecord ack, AckDone done);
  void enqueue_session_write(store::SessionWrite write, SessionWriteDone done);

  CommitStats stats() const;
  // Called after each batch of sends with its size and commit time (metrics). Set
  // before start(); runs on the committer thread.
  void set_batch_observer(std::function<void(std::size_t messages, double seconds)> observer) {
    batch_observer_ = std::move(observer);
  }
  // Called after the first batch of sends that commits following one that failed: the
  // failed batch may have committed after all (the answer was lost), in which case its
  // messages were never pushed, and a retry of them is a duplicate that pushes nothing.
  // Set before start(); runs on the committer thread.
  void set_recovery_observer(std::function<void()> observer) {
    recovery_observer_ = std::move(observer);
  }

 private:
  struct PendingSend {
    store::OutgoingMessage message;
    SendDone done;
  };
  struct PendingAck {
    store::AckRecord ack;
    AckDone done;
  };
  struct PendingSessionWrite {
    store::SessionWrite write;
    SessionWriteDone done;
  };

  // Queues `item` unless stopped (then `refuse` completes it at once).
  template <typename Item, typename Refuse>
  void enqueue(std::deque<Item>& queue, Item item, Refuse refuse);
  void run();
  // The sends and acks taken from the queues: one Store::commit_batch.
  void commit(std::vector<PendingSend>& sends, std::vector<PendingAck>& acks);
  void commit_session_writes(std::vector<PendingSessionWrite>& writes);

  store::Store& store_;
  const std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PendingSend> sends_;
  std::deque<PendingAck> acks_;
  std::deque<PendingSessionWrite> session_writes_;
  bool stopping_ = false;
  bool running_ = false;
  CommitStats stats_;
  std::function<void(std::size_t, double)> batch_observer_;
  std::function<void()> recovery_observer_;
  bool failed_since_commit_ = false;  // committer thread only
  std::thread thread_;
};

}  // namespace fastchat::server
