#include "server/message_handlers.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/username.h"
#include "protocol/error_mapping.h"
#include "protocol/frame_codec.h"
#include "protocol/inbox_limits.h"
#include "protocol/push_codec.h"
#include "server/delivery_handoff.h"
#include "server/directory_handlers.h"
#include "server/inbox_message.h"
#include "server/outbound_batch.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

// Whether `recipient` blocks `sender`. One indexed read per direct send.
asio::awaitable<Result<bool>> blocks(ServerContext& ctx, UserId recipient, UserId sender) {
  auto which = [recipient, sender](store::Store& s) {
    return s.which_block(std::vector<UserId>{recipient}, sender);
  };
  auto blocked = co_await ctx.worker.run(std::move(which));
  if (!blocked) co_return blocked.status();
  co_return !blocked->empty() && blocked->front();
}

constexpr std::size_t kDefaultSyncLimit = 256;
constexpr std::size_t kMaxSyncLimit = 1000;
constexpr int kMaxKeyWraps = 10'000;

// Runs on the committer thread: pushes to each recipient, then answers the sender.
// Single node, the pushes are handed to the event loops, which find the recipients'
// sessions and encode there; in a cluster, the bus carries whole frames to every
// server (this one included), encoded here once per recipient.
void on_committed(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                  const std::string& sender, store::OutgoingMessage& message,
                  Result<store::CommitOutcome> outcome) {
  auto& ctx = session->context();
  const MessageId id = message.message_id;  // the message itself may be handed off
  const auto message_id = id.bytes();
  if (outcome && outcome->status && !outcome->deliveries.empty()) {
    if (ctx.bus.single_node()) {
      DeliveryHandOff::add(ctx.loops, {std::move(message), sender, std::move(outcome->deliveries)});
    } else {
      const protocol::PushEncoder push(message_id, sender, message.group_id, message.body,
                                       static_cast<std::uint64_t>(message.server_time_ms));
      for (const auto& delivery : outcome->deliveries) {
        std::string_view sealed_key;
        if (delivery.key_wrap_index >= 0) {
          sealed_key =
              message.key_wraps[static_cast<std::size_t>(delivery.key_wrap_index)].sealed_key;
        }
        auto frame = std::make_shared<std::string>();
        if (push.append_frame(*frame, delivery.seq, sealed_key)) {
          ctx.bus.publish_delivery(delivery.recipient, delivery.seq, std::move(frame));
        }
      }
    }
  }
  const Status status = outcome ? outcome->status : outcome.status();
  auto encode_reply = [&](std::string& out) {
    if (!status) {
      wire::Frame reply;
      protocol::set_error(reply, request_id, status);
      return protocol::append_frame(out, reply);
    }
    thread_local wire::SendOk ok;  // reused: no allocation per reply
    ok.set_message_id(message_id.data(), message_id.size());
    ok.set_server_time_ms(static_cast<std::uint64_t>(outcome->server_time_ms));
    ok.set_duplicate(outcome->duplicate);
    return protocol::append_frame_of(out, request_id, wire::Frame::kSendOkFieldNumber, ok);
  };
  OutboundBatch::queue(session, encode_reply, nullptr, OutboundBatch::kEndsRequest);
}

}  // namespace

asio::awaitable<void> submit_send(std::shared_ptr<Session> session, std::uint64_t request_id,
                                  wire::Send send) {
  auto& ctx = session->context();
  auto reject = [&](Status status) {
    session->send_error(request_id, status);
    session->end_request();
  };
  auto message_id = MessageId::from_bytes(send.message_id());
  if (!message_id || message_id->is_zero()) {
    reject(Status(Code::kBadRequest, "message_id must be 16 random bytes"));
    co_return;
  }
  if (send.body().empty() || send.body().size() > kMaxBodyBytes) {
    reject(Status(Code::kBadRequest, "body must be 1 byte to 960 KiB; send files in chunks"));
    co_return;
  }
  if (send.key_wraps_size() > kMaxKeyWraps) {
    reject(Status(Code::kBadRequest, "too many key wraps"));
    co_return;
  }
  // Accept only what can reach every recipient: the push with the largest key wrap
  // must fit one frame, also as the only message of a Sync page.
  std::size_t largest_wrap = 0;
  for (const auto& wrap : send.key_wraps())
    largest_wrap = std::max(largest_wrap, wrap.sealed_key().size());
  if (protocol::inbox_message_bound(session->username().size(), send.body().size(), largest_wrap) >
      protocol::kMaxInboxMessageBytes) {
    reject(Status(Code::kTooLarge,
                  "message too large: body and key wrap must fit one 1 MiB frame; send files in "
                  "chunks"));
    co_return;
  }
  store::OutgoingMessage message;
  message.sender = session->user_id();
  message.message_id = *message_id;
  switch (send.to_case()) {
    case wire::Send::kUser: {
      auto recipient = co_await resolve_user(ctx, send.user());
      if (!recipient) {
        reject(recipient.status());
        co_return;
      }
      auto blocked = co_await blocks(ctx, *recipient, session->user_id());
      if (!blocked) {
        reject(blocked.status());
        co_return;
      }
      // Accepted and answered like any other, delivered to no one: the sender cannot
      // tell it is blocked (docs/decisions.md, "Blocks").
      message.withheld = *blocked;
      message.to_user = *recipient;
      break;
    }
    case wire::Send::kGroupId: {
      if (send.group_id() == 0) {
        reject(Status(Code::kUnknownGroup, "group 0 does not exist"));
        co_return;
      }
      message.group_id = send.group_id();
      message.membership_seq = send.membership_seq();
      if (message.membership_seq != 0 && send.key_wraps_size() != 0) {
        reject(Status(Code::kBadRequest, "a Sender Keys group message has no key wraps"));
        co_return;
      }
      message.key_wraps.reserve(static_cast<std::size_t>(send.key_wraps_size()));
      for (auto& wrap : *send.mutable_key_wraps()) {
        // Most members are known: no coroutine, no allocation for them.
        if (is_canonical_username(wrap.username())) {
          if (auto known = find_known_user(ctx, wrap.username())) {
            message.key_wraps.push_back({*known, std::move(*wrap.mutable_sealed_key())});
            continue;
          }
        }
        auto member = co_await resolve_user(ctx, wrap.username());
        if (!member) {
          if (member.code() == Code::kUnavailable) {
            reject(member.status());
            co_return;
          }
          continue;  // not a user: cannot be a member either
        }
        message.key_wraps.push_back({*member, std::move(*wrap.mutable_sealed_key())});
      }
      break;
    }
    default:
      reject(Status(Code::kBadRequest, "Send needs a user or a group_id"));
      co_return;
  }
  if (session->closed()) {
    session->end_request();
    co_return;
  }
  message.body = std::move(*send.mutable_body());
  message.server_time_ms = ctx.clock.now_ms();
  session->loop().counters().messages_in.fetch_add(1, std::memory_order_relaxed);
  ctx.committer.enqueue_send(
      std::move(message),
      [session, request_id, sender = session->username()](store::OutgoingMessage& committed,
                                                          Result<store::CommitOutcome> outcome) {
        on_committed(session, request_id, sender, committed, std::move(outcome));
      });
}

asio::awaitable<void> handle_sync(std::shared_ptr<Session> session, std::uint64_t request_id,
                                  wire::Sync request) {
  auto& ctx = session->context();
  std::size_t limit = request.limit() == 0 ? kDefaultSyncLimit : request.limit();
  limit = std::min(limit, kMaxSyncLimit);
  auto read = [user = session->user_id(), after = request.after_seq(), limit](store::Store& s) {
    return s.read_inbox(user, after, limit);
  };
  auto items = co_await ctx.worker.run(std::move(read));
  if (!items) {
    session->send_error(request_id, items.status());
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* page = reply.mutable_sync_page();
  // The page is cut by encoded size, so it always fits one frame; whatever does not
  // fit comes in the next page. A stored message too large for any frame goes out as
  // an `undeliverable` notice, so it cannot block the inbox behind it.
  constexpr std::size_t kPageBudget = protocol::kMaxFrameBytes - protocol::kSyncPageOverheadBytes;
  std::size_t bytes = 0;
  bool trimmed = false;
  wire::InboxMessage message;
  for (auto& item : *items) {
    to_inbox_message(std::move(item), message);
    if (protocol::strip_if_undeliverable(message)) {
      spdlog::warn("inbox of '{}': seq {} is too large for a frame; sent as undeliverable",
                   session->username(), message.seq());
    }
    const std::size_t size = protocol::sync_page_item_bytes(message);
    if (page->messages_size() > 0 && bytes + size > kPageBudget) {
      trimmed = true;
      break;
    }
    bytes += size;
    page->add_messages()->Swap(&message);
    message.Clear();
  }
  page->set_has_more(trimmed || items->size() == limit);
  // The client has everything up to after_seq, and the page holds everything after it
  // up to its last seq: pushes of those are not sent again. (Not after_seq alone, nor
  // acks: a client may name a seq past the end, which the store clamps.)
  if (page->messages_size() > 0) {
    session->sent_seqs().mark_up_to(page->messages(page->messages_size() - 1).seq());
  }
  session->send(reply);
}

void handle_ack(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                const wire::Ack& request) {
  session->begin_request();
  session->context().committer.enqueue_ack(
      {session->user_id(), request.up_to_seq()}, [session, request_id](Status status) {
        auto encode = [&](std::string& out) {
          if (status) {
            return protocol::append_frame_of(out, request_id, wire::Frame::kOkFieldNumber,
                                             wire::Ok::default_instance());
          }
          wire::Frame reply;
          protocol::set_error(reply, request_id, status);
          return protocol::append_frame(out, reply);
        };
        OutboundBatch::queue(session, encode, nullptr, OutboundBatch::kEndsRequest);
      });
}

}  // namespace fastchat::server
