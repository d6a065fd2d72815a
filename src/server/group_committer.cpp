#include "server/group_committer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

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

void GroupCommitter::enqueue_send(store::OutgoingMessage message, SendDone done) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ || running_) {
      sends_.push_back({std::move(message), std::move(done)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  done(message, Status(Code::kUnavailable, "server is shutting down"));
}

void GroupCommitter::enqueue_ack(store::AckRecord ack, AckDone done) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ || running_) {
      acks_.push_back({ack, std::move(done)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  done(Status(Code::kUnavailable, "server is shutting down"));
}

CommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void GroupCommitter::run() {
  std::vector<PendingSend> sends;
  std::vector<PendingAck> acks;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !sends_.empty() || !acks_.empty(); });
      if (sends_.empty() && acks_.empty()) {  // stopping, and everything is committed
        running_ = false;
        return;
      }
      while (!sends_.empty() && sends.size() < max_batch_) {
        sends.push_back(std::move(sends_.front()));
        sends_.pop_front();
      }
      while (!acks_.empty() && acks.size() < max_batch_) {
        acks.push_back(std::move(acks_.front()));
        acks_.pop_front();
      }
    }
    if (!sends.empty()) commit_sends(sends);
    if (!acks.empty()) commit_acks(acks);
    sends.clear();
    acks.clear();
  }
}

void GroupCommitter::commit_sends(std::vector<PendingSend>& sends) {
  std::vector<store::OutgoingMessage> batch;
  batch.reserve(sends.size());
  for (auto& s : sends)
    batch.push_back(std::move(s.message));
  const auto started = std::chrono::steady_clock::now();
  auto outcomes = store_.commit_messages(batch);
  if (batch_observer_) {
    batch_observer_(
        batch.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  {
    std::lock_guard lock(mutex_);
    ++stats_.batches;
    if (outcomes) stats_.messages += batch.size();
  }
  if (!outcomes) {
    spdlog::warn("group commit of {} messages failed: {}", batch.size(),
                 outcomes.status().to_string());
    failed_since_commit_ = true;
  } else if (std::exchange(failed_since_commit_, false) && recovery_observer_) {
    recovery_observer_();
  }
  // Frames the completions queue for sessions leave with one post per event loop.
  OutboundBatch outbound;
  for (std::size_t i = 0; i < sends.size(); ++i) {
    if (outcomes) {
      sends[i].done(batch[i], std::move((*outcomes)[i]));
    } else {
      sends[i].done(batch[i], outcomes.status());
    }
  }
}

void GroupCommitter::commit_acks(std::vector<PendingAck>& acks) {
  std::vector<store::AckRecord> batch;
  batch.reserve(acks.size());
  for (const auto& a : acks)
    batch.push_back(a.ack);
  Status status = store_.ack_inbox(batch);
  {
    std::lock_guard lock(mutex_);
    if (status) stats_.acks += batch.size();
  }
  if (!status) spdlog::warn("ack batch of {} failed: {}", batch.size(), status.to_string());
  OutboundBatch outbound;
  for (auto& a : acks)
    a.done(status);
}

}  // namespace fastchat::server
