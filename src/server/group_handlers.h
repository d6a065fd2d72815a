// Group requests: create, get, list, add/remove members, leave. The creator is the
// first admin; admins add and remove; any member may leave; only members see a group.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "fastchat.pb.h"

namespace fastchat::server {

class Session;

asio::awaitable<void> handle_create_group(std::shared_ptr<Session> session,
                                          std::uint64_t request_id, wire::CreateGroup request);
asio::awaitable<void> handle_get_group(std::shared_ptr<Session> session, std::uint64_t request_id,
                                       wire::GetGroup request);
asio::awaitable<void> handle_list_groups(std::shared_ptr<Session> session, std::uint64_t request_id,
                                         wire::ListGroups request);
asio::awaitable<void> handle_add_member(std::shared_ptr<Session> session, std::uint64_t request_id,
                                        wire::AddMember request);
asio::awaitable<void> handle_remove_member(std::shared_ptr<Session> session,
                                           std::uint64_t request_id, wire::RemoveMember request);
asio::awaitable<void> handle_leave_group(std::shared_ptr<Session> session, std::uint64_t request_id,
                                         wire::LeaveGroup request);

}  // namespace fastchat::server
