// Client::Impl, inbox delivery (DESIGN §4): sync pages and live pushes are decrypted,
// checked, stored once by message id and reported once; acks cover only a contiguous
// prefix of processed seqs and are sent after each sync page and whenever the push
// queue drains. The reader never awaits: pushes go through a queue to
// process_pushes(), which may itself make requests (to fetch identities).
#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "client/content.h"
#include "common/clock.h"
#include "common/username.h"

namespace fastchat::client {

namespace {

// Errors that say something about the message itself: it is dropped (and acked)
// rather than retried forever.
bool is_permanent(Code code) {
  return code == Code::kCrypto || code == Code::kUnknownUser || code == Code::kInvalidUsername ||
         code == Code::kBadRequest;
}

}  // namespace

void Client::Impl::on_push(wire::Frame& frame) {
  switch (frame.body_case()) {
    case wire::Frame::kMessage: {
      if (!running_ || stop_requested_ || username_.empty()) {
        need_sync_ = true;  // the next sync() fetches it from the inbox
        return;
      }
      const std::size_t size = frame.message().ByteSizeLong();
      if (pushes_.size() >= kMaxQueuedPushes || push_bytes_ + size > kMaxQueuedPushBytes) {
        spdlog::debug("push queue full; message seq {} is left for the next sync",
                      frame.message().seq());
        request_sync();
        return;
      }
      pushes_.emplace_back(std::move(*frame.mutable_message()), size);
      push_bytes_ += size;
      push_wake_.notify();
      return;
    }
    case wire::Frame::kPresence:
      if (events_.on_presence) {
        events_.on_presence(UserInfo{frame.presence().username(), frame.presence().online()});
      }
      return;
    default:
      spdlog::debug("ignoring an unexpected push (type {})", static_cast<int>(frame.body_case()));
  }
}

asio::awaitable<void> Client::Impl::process_pushes() {
  processor_running_ = true;
  while (running_ && !stop_requested_) {
    if (pushes_.empty()) {
      co_await push_wake_.wait(std::chrono::hours(1));
      continue;
    }
    auto guard = co_await inbox_lock_.lock();
    bool failed = false;
    while (!pushes_.empty() && history_) {
      auto [item, size] = std::move(pushes_.front());
      pushes_.pop_front();
      push_bytes_ -= std::min(push_bytes_, size);
      auto shown = co_await process_item(item);
      if (!shown) {
        spdlog::debug("push seq {} not processed: {}", item.seq(), shown.status().to_string());
        failed = true;
        break;
      }
    }
    if (!history_) failed = true;  // logged out meanwhile: nothing to process them with
    if (failed) {
      // A sync after reconnecting fetches whatever was left.
      pushes_.clear();
      push_bytes_ = 0;
      request_sync();
    }
    if (history_) co_await save_and_ack();
    if (history_ && prekeys_consumed_) co_await maintain_prekeys_logged(true);
    if (cursor_.needs_sync()) request_sync();
    if (receipts_pending()) run_wake_.notify();  // run() sends them
  }
  processor_running_ = false;
  processor_done_.notify();
}

asio::awaitable<Result<std::size_t>> Client::Impl::sync_inbox() {
  auto guard = co_await inbox_lock_.lock();
  std::size_t shown = 0;
  for (;;) {
    if (!history_) co_return Status(Code::kNotAuthenticated, "not logged in");
    auto conn = conn_;
    if (!session_ready()) co_return Status(Code::kUnavailable, "not connected");
    const std::uint64_t after = cursor_.processed();
    wire::Frame frame;
    frame.mutable_sync()->set_after_seq(after);
    auto reply = co_await conn->request(std::move(frame));
    if (!reply) co_return reply.status();
    if (!reply->has_sync_page()) co_return Status(Code::kBadRequest, "expected SyncPage");
    const auto& page = reply->sync_page();
    std::uint64_t last = after;
    for (const auto& item : page.messages()) {
      if (item.seq() <= last) continue;  // pages are in seq order; ignore anything else
      auto fresh = co_await process_item(item);
      if (!fresh) {
        if (history_) co_await save_and_ack();
        co_return fresh.status();
      }
      shown += *fresh ? 1 : 0;
      last = item.seq();
    }
    // The page holds everything in (after, last]: a seq missing there does not exist.
    cursor_.mark_range_done(last);
    co_await save_and_ack();
    if (!page.has_more() || last == after) break;  // done, or a page that makes no progress
  }
  if (prekeys_consumed_) co_await maintain_prekeys_logged(true);
  co_return shown;
}

asio::awaitable<void> Client::Impl::save_and_ack() {
  if (!history_) co_return;
  const std::uint64_t up_to = cursor_.processed();
  // Never ack more than is on local disk: the history is the record of what was shown.
  if (Status s = history_->set_last_seq(up_to); !s) {
    spdlog::error("cannot save the inbox position: {}", s.to_string());
    co_return;
  }
  if (!cursor_.needs_ack() || !session_ready()) co_return;
  wire::Frame frame;
  frame.mutable_ack()->set_up_to_seq(up_to);
  auto conn = conn_;
  auto reply = co_await conn->request(std::move(frame));
  if (!reply) {
    spdlog::debug("ack up to {} failed: {}", up_to, reply.status().to_string());
    co_return;
  }
  cursor_.set_acked(up_to);
}

asio::awaitable<Result<bool>> Client::Impl::process_item(const wire::InboxMessage& item) {
  const std::uint64_t seq = item.seq();
  if (cursor_.is_done(seq)) co_return false;
  if (!history_ || !files_) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto id = MessageId::from_bytes(item.message_id());
  auto sender = normalize_username(item.sender());
  if (!id || id->is_zero() || !sender || *sender != item.sender()) {
    spdlog::warn("dropping inbox item seq {}: malformed id or sender", seq);
    cursor_.mark_done(seq);
    co_return false;
  }
  if (history_->seen(*id)) {
    cursor_.mark_done(seq);
    co_return false;
  }
  // The sender's keys (may ask the server). Nothing awaits after this, so the
  // transaction below holds this item's writes only.
  Status ensured = Status(Code::kUnavailable, "not connected");
  if (auto conn = conn_; conn && contacts_) {
    const std::vector<std::string> one{*sender};
    ensured = co_await contacts_->ensure(*conn, one);
  }
  if (ensured && item.group_id() != 0 && is_sender_key_body(item.body()) && history_) {
    // Only a member of the verified chain may send to the group (may fetch the chain).
    ensured = co_await check_group_sender(item.group_id(), *sender);
  }
  if (!history_ || !files_ || !contacts_) {
    co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  }
  if (cursor_.is_done(seq) || history_->seen(*id)) co_return false;  // handled meanwhile

  // The message, the ids seen and the ratchet state it advanced commit together, before
  // the seq counts as processed (and so before the ack): a crash in between decrypts
  // the redelivered item again from the old state.
  auto tx = HistoryStore::Transaction::begin(*history_);
  if (!tx) co_return tx.status();
  auto outcome = record_item(item, *id, *sender, ensured);
  if (!outcome) co_return outcome.status();
  if (Status s = tx->commit(); !s) co_return s;
  cursor_.mark_done(seq);
  co_return co_await report_item(item, *id, *sender, *outcome);
}

asio::awaitable<bool> Client::Impl::report_item(const wire::InboxMessage& item, const MessageId& id,
                                                const std::string& sender, ItemOutcome& outcome) {
  if (outcome.undecryptable && events_.on_undecryptable) {
    events_.on_undecryptable(*outcome.undecryptable);
  }
  if (outcome.progress_file_id) {
    report_file_progress(sender, item.group_id(), *outcome.progress_file_id);
  }
  if (outcome.sender_key) {
    // After the commit: checking the sender's membership may await.
    co_await accept_sender_key(sender, outcome.sender_key->first, outcome.sender_key->second);
  }
  if (!outcome.message) co_return false;
  if (item.group_id() != 0) {
    // After the commit: fetching the chain awaits, and the transaction must not span that.
    co_await catch_up_membership(item.group_id(), outcome.membership_seq);
  }
  queue_receipt(sender, id);
  if (events_.on_message) events_.on_message(*outcome.message);
  co_return true;
}

Result<Client::Impl::ItemOutcome> Client::Impl::record_item(const wire::InboxMessage& item,
                                                            const MessageId& id,
                                                            const std::string& sender,
                                                            const Status& ensured) {
  auto drop = [&](const Status& why) -> Result<ItemOutcome> {
    // By id only: never content.
    spdlog::warn("dropping message {} (seq {}) from '{}': {}", id.to_hex(), item.seq(), sender,
                 why.to_string());
    if (auto marked = history_->mark_seen(id); !marked) return marked.status();
    return ItemOutcome{};
  };
  if (item.undeliverable()) {
    return drop(
        Status(Code::kTooLarge, "stored too large for any frame; the server sent a notice"));
  }

  OpenedFrom from;
  Result<wire::Content> content =
      ensured ? open_item(item, sender, from) : Result<wire::Content>(ensured);
  if (!content && content.code() == Code::kNotFound && item.group_id() != 0 &&
      is_sender_key_body(item.body())) {
    // A group message whose sender key has not arrived (yet): kept, unseen, and opened
    // when the key comes (accept_sender_key). The seq is processed and acked.
    auto dropped = history_->keep_pending_group_message(
        {id, item.group_id(), sender, item.SerializeAsString()}, SystemClock::instance().now_ms());
    if (!dropped) return dropped.status();
    for (const auto& old : *dropped) {
      spdlog::warn("dropping group message {} from '{}': its sender key never came",
                   old.id.to_hex(), old.sender);
      if (auto marked = history_->mark_seen(old.id); !marked) return marked.status();
    }
    spdlog::info("keeping group message {} from '{}' until its sender key arrives", id.to_hex(),
                 sender);
    return ItemOutcome{};
  }
  if (!content) {
    if (!is_permanent(content.code())) return content.status();
    auto dropped = drop(content.status());
    if (dropped && content.code() == Code::kCrypto) {
      dropped->undecryptable =
          UndecryptableMessage{id, sender, item.group_id(), content.status().message()};
    }
    return dropped;
  }

  if (content->has_sender_key()) {  // not shown; only over a 1:1 ratchet session
    if (item.group_id() != 0 || !is_ratchet_body(item.body())) {
      return drop(Status(Code::kCrypto, "a sender key outside a 1:1 ratchet session"));
    }
    if (Status s = take_sender_key(sender, from.device, content->sender_key()); !s) {
      if (s.code() != Code::kCrypto) return s;
      return drop(s);
    }
    if (auto marked = history_->mark_seen(id); !marked) return marked.status();
    ItemOutcome outcome;
    outcome.sender_key.emplace(content->sender_key().group_id(),
                               content->sender_key().membership_seq());
    return outcome;
  }
  if (content->has_receipt()) {  // not shown, and never answered with a receipt
    take_receipt(sender, content->receipt());
    if (auto marked = history_->mark_seen(id); !marked) return marked.status();
    return ItemOutcome{};
  }

  ChatMessage message;
  message.id = id;
  message.seq = item.seq();
  message.sender = sender;
  message.group_id = item.group_id();
  message.key_changed = from.key_changed;
  if (item.group_id() == 0) message.peer = sender;
  message.sent_at_ms = static_cast<std::int64_t>(content->sent_at_ms());
  message.server_time_ms = static_cast<std::int64_t>(item.server_time_ms());
  if (content->has_file()) {
    auto done = files_->add(sender, content->file());
    if (!done) {
      if (done.code() == Code::kIo) {
        spdlog::error("cannot save a file from '{}': {}", sender, done.status().to_string());
      }
      return drop(done.status());
    }
    if (!*done) {  // a chunk of a file still incomplete
      if (auto marked = history_->mark_seen(id); !marked) return marked.status();
      ItemOutcome outcome;
      outcome.progress_file_id = content->file().file_id();
      return outcome;
    }
    message.file_name = (*done)->name;
    message.file_path = (*done)->path;
    message.file_size = (*done)->size;
  } else {
    message.text = std::move(*content->mutable_text());
  }
  auto added = history_->add_message(message);
  if (!added) {
    spdlog::error("cannot store message {}: {}", id.to_hex(), added.status().to_string());
    return added.status();
  }
  ItemOutcome outcome;
  if (*added) outcome.message = std::move(message);
  outcome.membership_seq = content->membership_seq();
  return outcome;
}

asio::awaitable<void> Client::Impl::catch_up_membership(GroupId group, std::uint64_t sender_seq) {
  const auto head = history_ ? history_->group_head(group) : std::nullopt;
  const std::uint64_t mine = head ? head->seq() : 0;
  if (checked_groups_.contains(group) && sender_seq <= mine) co_return;
  // The sender saw changes this client has not (or this run has not looked yet): the
  // events come before the message that follows them.
  auto chain = co_await fetch_chain(group);
  if (!chain) {
    spdlog::warn("group {}: {}", group, chain.status().to_string());
  } else if (chain->seq() < sender_seq) {
    spdlog::warn("group {}: the sender saw {} membership changes, the server gives this client {}",
                 group, sender_seq, chain->seq());
  }
}

void Client::Impl::report_file_progress(const std::string& sender, GroupId group,
                                        const std::string& file_id) {
  if (!events_.on_file_progress || !history_) return;
  auto transfer = history_->file_transfer(sender, file_id);
  if (!transfer) return;
  FileProgress progress;
  progress.transfer_id = transfer_id(file_id);
  if (group == 0) progress.peer = sender;
  progress.group_id = group;
  progress.sender = sender;
  progress.file_name = transfer->name;
  progress.total_bytes = transfer->total_size;
  progress.done_bytes = std::min<std::uint64_t>(
      transfer->total_size, std::uint64_t{transfer->received} * kFileChunkBytes);
  events_.on_file_progress(progress);
}

Result<wire::Content> Client::Impl::open_item(const wire::InboxMessage& item,
                                              const std::string& sender, OpenedFrom& from) {
  const Contact* contact = contacts_->find(sender);
  if (contact == nullptr) return Status(Code::kUnknownUser, "no keys for " + sender);
  if (item.group_id() == 0 && is_ratchet_body(item.body())) {
    return open_ratchet_item(item, *contact, from);
  }
  if (item.group_id() != 0 && is_sender_key_body(item.body())) {
    return open_sender_key_item(item, sender);
  }
  auto content = open_content(contact->key, item, username_);
  if (content || content.code() != Code::kCrypto || !contact->pending_key) return content;
  // Sealed to a changed key the server already served (and on_identity_changed
  // reported): shown, marked. A failure never fetches keys (docs/security.md).
  auto with_pending = open_content(*contact->pending_key, item, username_);
  if (!with_pending) return content;
  from.key_changed = true;
  return with_pending;
}

}  // namespace fastchat::client
