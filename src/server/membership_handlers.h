// Signed group membership (docs/e2ee-v2.md, "Group membership") and blocks: appending a
// record to a group's chain, handing the chain out, and the checks the older group
// requests need. The server checks each record as far as it can; clients trust only
// their own replay of the chain.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <vector>

#include "common/message_id.h"
#include "common/status.h"
#include "fastchat.pb.h"

namespace fastchat::server {

class Session;
struct ServerContext;

asio::awaitable<void> handle_change_membership(std::shared_ptr<Session> session,
                                               std::uint64_t request_id,
                                               wire::ChangeMembership request);
asio::awaitable<void> handle_get_membership(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::GetMembership request);
asio::awaitable<void> handle_block(std::shared_ptr<Session> session, std::uint64_t request_id,
                                   wire::Block request);
asio::awaitable<void> handle_list_blocked(std::shared_ptr<Session> session,
                                          std::uint64_t request_id, wire::ListBlocked request);

// kForbidden once the group has a signed chain: then only ChangeMembership changes it
// (an unsigned change would break every member's check).
asio::awaitable<Status> require_unsigned_membership(ServerContext& ctx, GroupId group);
// kForbidden when one of `users` blocks `actor` (naming that user, nothing more).
asio::awaitable<Status> check_not_blocked(ServerContext& ctx, UserId actor,
                                          std::vector<UserId> users);

}  // namespace fastchat::server
