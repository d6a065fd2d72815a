#include "server/inbox_replay.h"

#include <spdlog/spdlog.h>

#include "common/supervised.h"
#include "protocol/frame_codec.h"
#include "protocol/inbox_limits.h"
#include "server/inbox_message.h"
#include "server/outbound_batch.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

std::shared_ptr<const std::string> encode_push(store::InboxItem& item) {
  wire::Frame push;
  to_inbox_message(std::move(item), *push.mutable_message());
  protocol::strip_if_undeliverable(*push.mutable_message());
  return std::make_shared<const std::string>(protocol::encode_frame(push));
}

asio::awaitable<void> replay(ServerContext& ctx, std::vector<UserId> users) {
  std::size_t pushed = 0;
  for (UserId user : users) {
    auto read = [user](store::Store& s) -> Result<std::vector<store::InboxItem>> {
      auto record = s.find_user_by_id(user);
      if (!record) return record.status();
      return s.read_inbox(user, record->acked_seq, kMaxReplayPerUser);
    };
    auto items = co_await ctx.worker.run(std::move(read));
    if (!items) {
      spdlog::debug("inbox replay for user {}: {}", user, items.status().to_string());
      continue;
    }
    OutboundBatch batch;  // one post per loop for the user's sessions
    for (auto& item : *items) {
      const std::uint64_t seq = item.seq;
      pushed += ctx.registry.deliver(user, seq, encode_push(item), /*replay=*/true);
    }
  }
  // (Offered: each session drops what it has sent or its login Sync covers.)
  spdlog::info("inbox replay: {} pushes offered to the sessions of {} users", pushed, users.size());
}

// On the session's loop.
asio::awaitable<void> catch_up(std::shared_ptr<Session> session, std::uint64_t up_to) {
  auto& ctx = session->context();
  if (session->closed()) co_return;
  const std::uint64_t after = session->sent_seqs().covered_prefix();
  if (up_to <= after) co_return;  // nothing missing: the usual case after a login
  auto read = [user = session->user_id(), after](store::Store& s) {
    return s.read_inbox(user, after, kMaxReplayPerUser);
  };
  auto items = co_await ctx.worker.run(std::move(read));
  if (!items) {
    spdlog::debug("inbox catch-up of '{}': {}", session->username(), items.status().to_string());
    co_return;
  }
  std::size_t missing = 0;
  {
    OutboundBatch batch;
    for (auto& item : *items) {
      if (session->sent_seqs().covered(item.seq)) continue;
      ++missing;
      const std::uint64_t seq = item.seq;
      session->deliver(encode_push(item), seq, /*replay=*/true);
    }
  }
  spdlog::info("inbox catch-up of '{}' up to seq {}: {} missing pushes sent", session->username(),
               up_to, missing);
}

}  // namespace

void replay_inboxes(ServerContext& context, asio::any_io_executor executor) {
  auto users = context.registry.users();
  if (users.empty()) return;
  // On failure the sessions still have their inboxes: their next Sync reads them.
  spawn_supervised(executor, replay(context, std::move(users)), "inbox replay",
                   context.counters.task_failures);
}

void catch_up_inbox(ServerContext& context, UserId user, std::uint64_t up_to) {
  std::vector<std::shared_ptr<Session>> sessions;
  context.registry.for_each_session(
      user, [&](const std::shared_ptr<Session>& session) { sessions.push_back(session); });
  for (auto& session : sessions) {
    auto executor = session->executor();
    const std::string what = "inbox catch-up of '" + session->username() + "'";
    // Closed on failure: the client reconnects and syncs what it missed.
    spawn_supervised(executor, catch_up(session, up_to), what, context.counters.task_failures,
                     [session] { session->close(); });
  }
}

}  // namespace fastchat::server
