// What the group request handlers share: loading a group the caller belongs to,
// answering with a GroupInfo cut to fit one frame, and the per-user group cap.
// Used on a session's event loop, like the handlers.
#pragma once

#include <asio/awaitable.hpp>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fastchat.pb.h"
#include "store/store.h"

namespace fastchat::server {

class Session;
struct ServerContext;

// A reply's room for content, from the configuration (max_reply_bytes) and the frame cap.
std::size_t reply_budget(const ServerContext& ctx);
// The bytes a field of `size` bytes takes inside its parent (tag, length, content).
std::size_t field_bytes(std::size_t size);
// Fills `out` with `group` and as many of its members (in username order, after
// `members_after`) as fit `budget` bytes, setting more_members when some are left
// for another GetGroup. Returns the encoded size of `out`.
std::size_t fill_group(wire::GroupInfo& out, store::GroupRecord& group,
                       std::string_view members_after, std::size_t budget);
void reply_group(Session& session, std::uint64_t request_id, store::GroupRecord& group,
                 std::string_view members_after = {});
// LIMIT_REACHED naming the first of `users` that is in the most groups allowed already.
asio::awaitable<Status> check_group_counts(ServerContext& ctx, std::vector<UserId> users);
const store::GroupMemberRecord* find_member(const store::GroupRecord& group, UserId user);
// Loads a group the session's user belongs to: kUnknownGroup, or kForbidden for a
// group the user is not in (its existence is not hidden: ids are not secret).
asio::awaitable<Result<store::GroupRecord>> load_own_group(Session& session, GroupId id);

}  // namespace fastchat::server
