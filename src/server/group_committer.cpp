#include "server/group_committer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "server/delivery_handoff.h"
#include "server/outbound_batch.h"

namespace fastchat::server {

GroupCommitter::GroupCommitter(store::Store& store, std::size_t max_batch)
    : store_(store), max_batch_(max_batch) {}

GroupCommitter::~GroupCommitter() {
  stop();
}

void GroupCommitter::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

template <typename Item, typename Refuse>
void GroupCommitter::enqueue(std::deque<Item>& queue, Item item, Refuse refuse) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ || running_) {
      queue.push_back(std::move(item));
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  refuse(item, Status(Code::kUnavailable, "server is shutting down"));
}

void GroupCommitter::enqueue_send(store::OutgoingMessage message, SendDone done) {
  enqueue(sends_, PendingSend{std::move(message), std::move(done)},
          [](PendingSend& send, Status status) { send.done(send.message, std::move(status)); });
}

void GroupCommitter::enqueue_ack(store::AckRecord ack, AckDone done) {
  enqueue(acks_, PendingAck{ack, std::move(done)},
          [](PendingAck& pending, Status status) { pending.done(std::move(status)); });
}

void GroupCommitter::enqueue_session_write(store::SessionWrite write, SessionWriteDone done) {
  enqueue(session_writes_, PendingSessionWrite{std::move(write), std::move(done)},
          [](PendingSessionWrite& pending, Status status) { pending.done(std::move(status)); });
}

CommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

namespace {

// Moves up to `max` items from the front of `from` to `to`.
template <typename Item>
void take(std::deque<Item>& from, std::vector<Item>& to, std::size_t max) {
  while (!from.empty() && to.size() < max) {
    to.push_back(std::move(from.front()));
    from.pop_front();
  }
}

}  // namespace

void GroupCommitter::run() {
  std::vector<PendingSend> sends;
  std::vector<PendingAck> acks;
  std::vector<PendingSessionWrite> session_writes;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto idle = [this] { return sends_.empty() && acks_.empty() && session_writes_.empty(); };
      wake_.wait(lock, [&] { return stopping_ || !idle(); });
      if (idle()) {  // stopping, and everything is committed
        running_ = false;
        return;
      }
      take(sends_, sends, max_batch_);
      take(acks_, acks, max_batch_);
      take(session_writes_, session_writes, max_batch_);
    }
    if (!sends.empty() || !acks.empty()) commit(sends, acks);
    if (!session_writes.empty()) commit_session_writes(session_writes);
    sends.clear();
    acks.clear();
    session_writes.clear();
  }
}

void GroupCommitter::commit(std::vector<PendingSend>& sends, std::vector<PendingAck>& acks) {
  std::vector<store::OutgoingMessage> batch;
  batch.reserve(sends.size());
  for (auto& s : sends)
    batch.push_back(std::move(s.message));
  std::vector<store::AckRecord> ack_batch;
  ack_batch.reserve(acks.size());
  for (const auto& a : acks)
    ack_batch.push_back(a.ack);

  const auto started = std::chrono::steady_clock::now();
  store::BatchResult result = store_.commit_batch(batch, ack_batch);
  auto& outcomes = result.outcomes;
  if (!batch.empty() && batch_observer_) {
    batch_observer_(
        batch.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  {
    std::lock_guard lock(mutex_);
    if (!batch.empty()) ++stats_.batches;
    if (outcomes) stats_.messages += batch.size();
    if (result.acks) stats_.acks += ack_batch.size();
  }
  if (!result.acks) {
    spdlog::warn("ack batch of {} failed: {}", ack_batch.size(), result.acks.to_string());
  }
  if (!batch.empty()) {
    if (!outcomes) {
      spdlog::warn("group commit of {} messages failed: {}", batch.size(),
                   outcomes.status().to_string());
      failed_since_commit_ = true;
    } else if (std::exchange(failed_since_commit_, false) && recovery_observer_) {
      recovery_observer_();
    }
  }
  // Frames the completions queue for sessions leave with one post per event loop;
  // the pushes (handed off, posted first) before the replies.
  OutboundBatch outbound;
  DeliveryHandOff handoff;
  for (std::size_t i = 0; i < sends.size(); ++i) {
    if (outcomes) {
      sends[i].done(batch[i], std::move((*outcomes)[i]));
    } else {
      sends[i].done(batch[i], outcomes.status());
    }
  }
  for (auto& a : acks)
    a.done(result.acks);
}

void GroupCommitter::commit_session_writes(std::vector<PendingSessionWrite>& writes) {
  std::vector<store::SessionWrite> batch;
  batch.reserve(writes.size());
  for (auto& w : writes)
    batch.push_back(std::move(w.write));
  auto results = store_.write_sessions(batch);
  {
    std::lock_guard lock(mutex_);
    ++stats_.session_batches;
    if (results) stats_.session_writes += batch.size();
  }
  if (!results) {
    spdlog::warn("batch of {} session writes failed: {}", batch.size(),
                 results.status().to_string());
  }
  for (std::size_t i = 0; i < writes.size(); ++i)
    writes[i].done(results ? std::move((*results)[i]) : results.status());
}

}  // namespace fastchat::server
