#include "server/inbox_replay.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "protocol/frame_codec.h"

namespace fastchat::server {

namespace {

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
    for (auto& item : *items) {
      wire::Frame push;
      auto* m = push.mutable_message();
      m->set_seq(item.seq);
      m->set_message_id(item.message_id.to_bytes());
      m->set_sender(std::move(item.sender));
      m->set_group_id(item.group_id);
      m->set_body(std::move(item.body));
      m->set_sealed_key(std::move(item.sealed_key));
      m->set_server_time_ms(static_cast<std::uint64_t>(item.server_time_ms));
      pushed += ctx.registry.deliver(
          user, std::make_shared<const std::string>(protocol::encode_frame(push)));
    }
  }
  spdlog::info("inbox replay: {} pushes to the sessions of {} users", pushed, users.size());
}

}  // namespace

void replay_inboxes(ServerContext& context, asio::any_io_executor executor) {
  auto users = context.registry.users();
  if (users.empty()) return;
  asio::co_spawn(executor, replay(context, std::move(users)), asio::detached);
}

}  // namespace fastchat::server
