#include "server/delivery_handoff.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <optional>

#include "protocol/push_codec.h"
#include "server/loop_shard.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

thread_local DeliveryHandOff* open_handoff = nullptr;

// Pushes to at most this many recipients are encoded whole; beyond it, each
// recipient's frame is a small head plus the shared fields (the body, encoded once).
constexpr std::size_t kMaxWholePushes = 4;

}  // namespace

DeliveryHandOff::DeliveryHandOff() : outer_(open_handoff) {
  open_handoff = this;
}

DeliveryHandOff::~DeliveryHandOff() {
  open_handoff = outer_;
  post();
}

void DeliveryHandOff::add(Loops loops, Message message) {
  if (DeliveryHandOff* open = open_handoff) {
    open->loops_ = loops;
    open->messages_.push_back(std::move(message));
    return;
  }
  DeliveryHandOff own;
  own.loops_ = loops;
  own.messages_.push_back(std::move(message));
}

void DeliveryHandOff::post() {
  if (messages_.empty()) return;
  auto messages = std::make_shared<const std::vector<Message>>(std::move(messages_));
  for (const auto& loop : loops_) {
    asio::post(loop->executor(), [messages, &shard = *loop] {
      const std::size_t queued = deliver_on(shard, *messages);
      if (queued > 0) shard.counters().deliveries_out.fetch_add(queued, std::memory_order_relaxed);
    });
  }
}

std::size_t DeliveryHandOff::deliver_on(LoopShard& loop, const std::vector<Message>& messages) {
  std::size_t queued = 0;
  std::vector<std::shared_ptr<Session>> to_flush;
  std::string scratch;
  for (const auto& m : messages) {
    const store::OutgoingMessage& message = m.message;
    std::optional<protocol::PushEncoder> push;  // built for the first recipient here
    const bool whole = m.deliveries.size() <= kMaxWholePushes;
    for (const auto& delivery : m.deliveries) {
      loop.sessions().for_each(delivery.recipient, [&](const std::shared_ptr<Session>& to) {
        if (!push) {
          push.emplace(message.message_id.bytes(), m.sender, message.group_id, message.body,
                       static_cast<std::uint64_t>(message.server_time_ms));
        }
        std::string_view sealed_key;
        if (delivery.key_wrap_index >= 0) {
          sealed_key =
              message.key_wraps[static_cast<std::size_t>(delivery.key_wrap_index)].sealed_key;
        }
        scratch.clear();
        const bool encoded = whole ? push->append_frame(scratch, delivery.seq, sealed_key)
                                   : push->append_head(scratch, delivery.seq, sealed_key);
        if (!encoded) {  // Send's bound makes this unreachable; the client's Sync reports it
          spdlog::error("push of seq {} does not fit a frame", delivery.seq);
          return;
        }
        bool needs_flush = false;
        const std::string* shared = whole ? nullptr : push->shared_fields().get();
        if (to->take_queued(scratch, shared, false, delivery.seq, false, needs_flush)) ++queued;
        if (needs_flush) to_flush.push_back(to);
      });
    }
  }
  for (const auto& session : to_flush)
    session->flush_queued();
  return queued;
}

}  // namespace fastchat::server
