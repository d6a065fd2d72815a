#include "server/message_handlers.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "protocol/error_mapping.h"
#include "protocol/frame_codec.h"
#include "server/directory_handlers.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

constexpr std::size_t kDefaultSyncLimit = 256;
constexpr std::size_t kMaxSyncLimit = 1000;
constexpr int kMaxKeyWraps = 10'000;

void fill_inbox_message(wire::InboxMessage& out, const store::OutgoingMessage& message,
                        const store::Delivery& delivery, const std::string& sender) {
  out.set_seq(delivery.seq);
  out.set_message_id(message.message_id.to_bytes());
  out.set_sender(sender);
  out.set_group_id(message.group_id);
  out.set_body(message.body);
  if (delivery.key_wrap_index >= 0) {
    out.set_sealed_key(
        message.key_wraps[static_cast<std::size_t>(delivery.key_wrap_index)].sealed_key);
  }
  out.set_server_time_ms(static_cast<std::uint64_t>(message.server_time_ms));
}

// Runs on the committer thread: push to each recipient, then answer the sender.
void on_committed(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                  const std::string& sender, const store::OutgoingMessage& message,
                  Result<store::CommitOutcome> outcome) {
  auto& ctx = session->context();
  if (outcome && outcome->status) {
    wire::Frame push;
    for (const auto& delivery : outcome->deliveries) {
      fill_inbox_message(*push.mutable_message(), message, delivery, sender);
      ctx.bus.publish_delivery(delivery.recipient,
                               std::make_shared<const std::string>(protocol::encode_frame(push)));
    }
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  Status status = outcome ? outcome->status : outcome.status();
  if (status) {
    auto* ok = reply.mutable_send_ok();
    ok->set_message_id(message.message_id.to_bytes());
    ok->set_server_time_ms(static_cast<std::uint64_t>(outcome->server_time_ms));
    ok->set_duplicate(outcome->duplicate);
  } else {
    protocol::set_error(reply, request_id, status);
  }
  asio::post(session->executor(), [session, reply = std::move(reply)] {
    session->send(reply);
    session->end_request();
  });
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
      message.to_user = *recipient;
      break;
    }
    case wire::Send::kGroupId: {
      if (send.group_id() == 0) {
        reject(Status(Code::kUnknownGroup, "group 0 does not exist"));
        co_return;
      }
      message.group_id = send.group_id();
      message.key_wraps.reserve(static_cast<std::size_t>(send.key_wraps_size()));
      for (auto& wrap : *send.mutable_key_wraps()) {
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
  ctx.counters.messages_in.fetch_add(1, std::memory_order_relaxed);
  ctx.committer.enqueue_send(
      std::move(message),
      [session, request_id, sender = session->username()](const store::OutgoingMessage& committed,
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
  // Keep the page inside one frame; whatever does not fit comes in the next page.
  constexpr std::size_t kPageBudget = protocol::kMaxFrameBytes - 64 * 1024;
  std::size_t bytes = 0;
  bool trimmed = false;
  for (auto& item : *items) {
    const std::size_t size = item.body.size() + item.sealed_key.size() + item.sender.size() + 64;
    if (page->messages_size() > 0 && bytes + size > kPageBudget) {
      trimmed = true;
      break;
    }
    bytes += size;
    auto* m = page->add_messages();
    m->set_seq(item.seq);
    m->set_message_id(item.message_id.to_bytes());
    m->set_sender(std::move(item.sender));
    m->set_group_id(item.group_id);
    m->set_body(std::move(item.body));
    m->set_sealed_key(std::move(item.sealed_key));
    m->set_server_time_ms(static_cast<std::uint64_t>(item.server_time_ms));
  }
  page->set_has_more(trimmed || items->size() == limit);
  session->send(reply);
}

void handle_ack(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                const wire::Ack& request) {
  session->begin_request();
  session->context().committer.enqueue_ack(
      {session->user_id(), request.up_to_seq()}, [session, request_id](Status status) {
        asio::post(session->executor(), [session, request_id, status] {
          if (status) {
            wire::Frame reply;
            reply.set_request_id(request_id);
            reply.mutable_ok();
            session->send(reply);
          } else {
            session->send_error(request_id, status);
          }
          session->end_request();
        });
      });
}

}  // namespace fastchat::server
