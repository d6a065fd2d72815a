// Directory and presence requests: ListUsers, GetIdentities, WatchPresence, plus
// the username -> id resolution every other handler uses.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "common/status.h"
#include "fastchat.pb.h"
#include "server/server_context.h"

namespace fastchat::server {

class Session;

// The id of `username` (any case), from the cache or the store: kInvalidUsername,
// kUnknownUser, kUnavailable.
asio::awaitable<Result<UserId>> resolve_user(ServerContext& context, std::string_view username);
// The id of `username` (canonical form) if this server knows it: on an event loop,
// from the loop's own cache (no lock) before the server-wide UserDirectory.
std::optional<UserId> find_known_user(ServerContext& context, std::string_view username);

asio::awaitable<void> handle_list_users(std::shared_ptr<Session> session, std::uint64_t request_id,
                                        wire::ListUsers request);
asio::awaitable<void> handle_get_identities(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::GetIdentities request);
asio::awaitable<void> handle_watch_presence(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::WatchPresence request);

// Pushes a presence change to every session on this server watching the user: one
// task posted to each loop, which finds its own watchers.
void notify_presence(std::span<const std::unique_ptr<LoopShard>> loops, UserId user,
                     const std::string& username, bool online);

}  // namespace fastchat::server
