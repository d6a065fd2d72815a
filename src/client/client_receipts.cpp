// Client::Impl, delivery receipts (docs/protocol.md, "Delivery receipts"): once a
// message from someone else is stored in the local history, its id is queued for a
// receipt to its sender; queued ids go out together, one sealed direct message per
// sender with at most kMaxReceiptIds ids, from the run() loop or after sync(). A
// receipt is never answered with a receipt. A receipt that arrives marks the
// messages it names delivered, only if this user sent them and (direct) to that
// sender, and reports each through on_delivered.
#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "client/content.h"
#include "common/clock.h"

namespace fastchat::client {

void Client::Impl::queue_receipt(const std::string& sender, const MessageId& id) {
  if (sender == username_) return;  // one's own message, from another device
  if (pending_receipt_count_ >= kMaxPendingReceipts) {
    spdlog::debug("receipt queue full; no receipt for {}", id.to_hex());
    return;  // a receipt is a courtesy: the message itself is safe
  }
  pending_receipts_[sender].push_back(id);
  ++pending_receipt_count_;
}

asio::awaitable<bool> Client::Impl::send_receipts() {
  if (sending_receipts_ || pending_receipts_.empty()) co_return true;
  bool all_done = true;
  sending_receipts_ = true;
  auto batch = std::move(pending_receipts_);
  pending_receipts_.clear();
  pending_receipt_count_ = 0;
  for (auto& [to, ids] : batch) {
    for (std::size_t start = 0; start < ids.size(); start += kMaxReceiptIds) {
      const std::size_t end = std::min(ids.size(), start + kMaxReceiptIds);
      const std::vector<MessageId> part(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                        ids.begin() + static_cast<std::ptrdiff_t>(end));
      const Status sent = co_await send_receipt(to, part);
      if (sent) continue;
      spdlog::debug("receipt to '{}' not sent: {}", to, sent.to_string());
      if (sent.code() != Code::kUnavailable) break;     // e.g. the user is gone: drop it
      for (std::size_t i = start; i < ids.size(); ++i)  // keep the rest for the next try
        queue_receipt(to, ids[i]);
      all_done = false;
      break;
    }
  }
  sending_receipts_ = false;
  co_return all_done;
}

asio::awaitable<Status> Client::Impl::send_receipt(const std::string& to,
                                                   const std::vector<MessageId>& ids) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  // Never waits for a reconnect: run() calls this, and run() is what reconnects.
  if (!session_ready()) co_return Status(Code::kUnavailable, "not connected");
  const std::int64_t now = SystemClock::instance().now_ms();
  const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
  auto content = make_content(id, username_, to, 0, now);
  auto* receipt = content.mutable_receipt();
  for (const auto& delivered : ids)
    receipt->add_message_ids(delivered.to_bytes());
  bool key_changed = false;
  auto body = co_await seal_direct(to, content, key_changed, false);
  if (!body) co_return body.status();
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(id.to_bytes());
  send->set_user(to);
  send->set_body(std::move(*body));
  auto conn = conn_;
  if (!session_ready()) co_return Status(Code::kUnavailable, "not connected");
  auto reply = co_await conn->request(std::move(frame));
  if (!reply) co_return reply.status();
  co_return Status::ok();
}

void Client::Impl::take_receipt(const std::string& sender, const wire::DeliveryReceipt& receipt) {
  if (!history_) return;
  if (static_cast<std::size_t>(receipt.message_ids_size()) > kMaxReceiptIds) {
    spdlog::warn("ignoring a receipt from '{}' with {} ids (more than {})", sender,
                 receipt.message_ids_size(), kMaxReceiptIds);
    return;
  }
  for (const auto& bytes : receipt.message_ids()) {
    auto id = MessageId::from_bytes(bytes);
    if (!id) continue;
    auto fresh = history_->mark_delivered(*id, sender);
    if (!fresh) {
      spdlog::error("cannot record a delivery of {}: {}", id->to_hex(), fresh.status().to_string());
      continue;
    }
    if (*fresh && events_.on_delivered) events_.on_delivered(*id, sender);
  }
}

}  // namespace fastchat::client
