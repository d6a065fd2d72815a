#include "server/group_handlers.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>

#include "protocol/frame_codec.h"
#include "server/directory_handlers.h"
#include "server/group_support.h"
#include "server/membership_handlers.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

constexpr std::size_t kMaxGroupNameBytes = 64;
constexpr int kMaxInitialMembers = 1000;
constexpr std::size_t kGroupsPerPage = 100;

// Applies a membership change and answers with the group as it is afterwards.
template <typename Change>
asio::awaitable<void> change_membership(std::shared_ptr<Session> session, std::uint64_t request_id,
                                        GroupId id, Change change) {
  auto apply = [id, change](store::Store& s) -> Result<store::GroupRecord> {
    Status changed = change(s);
    if (!changed) return changed;
    return s.get_group(id);
  };
  auto status = co_await session->context().worker.run(std::move(apply));
  if (!status) {
    session->send_error(request_id, status.status());
    co_return;
  }
  reply_group(*session, request_id, *status);
}

}  // namespace

asio::awaitable<void> handle_create_group(std::shared_ptr<Session> session,
                                          std::uint64_t request_id, wire::CreateGroup request) {
  auto& ctx = session->context();
  if (request.name().empty() || request.name().size() > kMaxGroupNameBytes) {
    session->send_error(request_id, Status(Code::kBadRequest, "group name must be 1-64 bytes"));
    co_return;
  }
  if (request.members_size() > kMaxInitialMembers) {
    session->send_error(request_id, Status(Code::kBadRequest, "too many members"));
    co_return;
  }
  std::vector<UserId> members;
  for (const auto& name : request.members()) {
    auto id = co_await resolve_user(ctx, name);
    if (!id) {
      session->send_error(request_id, Status(id.code(), id.status().message() + ": " + name));
      co_return;
    }
    if (*id != session->user_id() &&
        std::find(members.begin(), members.end(), *id) == members.end()) {
      members.push_back(*id);
    }
  }
  if (members.size() + 1 > ctx.config.max_group_members) {
    session->send_error(
        request_id,
        Status(Code::kLimitReached, "a group can have at most " +
                                        std::to_string(ctx.config.max_group_members) + " members"));
    co_return;
  }
  std::vector<UserId> everyone = members;
  everyone.push_back(session->user_id());
  auto check = check_group_counts(ctx, std::move(everyone));
  if (Status room = co_await std::move(check); !room) {
    session->send_error(request_id, room);
    co_return;
  }
  auto not_blocked = check_not_blocked(ctx, session->user_id(), members);
  if (Status allowed = co_await std::move(not_blocked); !allowed) {
    session->send_error(request_id, allowed);
    co_return;
  }
  auto create = [name = request.name(), creator = session->user_id(), members](store::Store& s) {
    return s.create_group(name, creator, members);
  };
  auto group = co_await ctx.worker.run(std::move(create));
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  reply_group(*session, request_id, *group);
}

asio::awaitable<void> handle_get_group(std::shared_ptr<Session> session, std::uint64_t request_id,
                                       wire::GetGroup request) {
  auto group = co_await load_own_group(*session, request.group_id());
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  reply_group(*session, request_id, *group, request.members_after());
}

asio::awaitable<void> handle_list_groups(std::shared_ptr<Session> session, std::uint64_t request_id,
                                         wire::ListGroups request) {
  auto query = [user = session->user_id(), after = request.after_group_id()](store::Store& s) {
    return s.list_groups(user, after, kGroupsPerPage);
  };
  auto groups = co_await session->context().worker.run(std::move(query));
  if (!groups) {
    session->send_error(request_id, groups.status());
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* list = reply.mutable_group_list();
  // Cut by encoded size: a group that does not fit ends the page, unless it is the
  // first, which then comes with as many members as fit (GetGroup has the rest).
  const std::size_t budget = reply_budget(session->context());
  std::size_t bytes = 0;
  bool cut = false;
  for (auto& group : *groups) {
    wire::GroupInfo info;
    const std::size_t size = field_bytes(fill_group(info, group, {}, budget - bytes));
    if (list->groups_size() > 0 && (info.more_members() || bytes + size > budget)) {
      cut = true;
      break;
    }
    bytes += size;
    *list->add_groups() = std::move(info);
  }
  list->set_has_more(cut || groups->size() == kGroupsPerPage);
  session->send(reply);
}

asio::awaitable<void> handle_add_member(std::shared_ptr<Session> session, std::uint64_t request_id,
                                        wire::AddMember request) {
  auto group = co_await load_own_group(*session, request.group_id());
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  if (!find_member(*group, session->user_id())->admin) {
    session->send_error(request_id, Status(Code::kForbidden, "only admins add members"));
    co_return;
  }
  auto& ctx = session->context();
  if (Status s = co_await require_unsigned_membership(ctx, group->id); !s) {
    session->send_error(request_id, s);
    co_return;
  }
  auto user = co_await resolve_user(ctx, request.username());
  if (!user) {
    session->send_error(request_id, user.status());
    co_return;
  }
  if (!find_member(*group, *user)) {  // adding a member again is a no-op, not a new one
    if (group->members.size() >= ctx.config.max_group_members) {
      session->send_error(
          request_id, Status(Code::kLimitReached, "the group has " +
                                                      std::to_string(ctx.config.max_group_members) +
                                                      " members, the most this server allows"));
      co_return;
    }
    // Named first: no temporaries inside a co_await expression (g++ 12).
    auto check = check_group_counts(ctx, std::vector<UserId>{*user});
    if (Status room = co_await std::move(check); !room) {
      session->send_error(request_id, room);
      co_return;
    }
    auto not_blocked = check_not_blocked(ctx, session->user_id(), std::vector<UserId>{*user});
    if (Status allowed = co_await std::move(not_blocked); !allowed) {
      session->send_error(request_id, allowed);
      co_return;
    }
  }
  auto add = [gid = group->id, uid = *user](store::Store& s) { return s.add_member(gid, uid); };
  co_await change_membership(session, request_id, group->id, add);
}

asio::awaitable<void> handle_remove_member(std::shared_ptr<Session> session,
                                           std::uint64_t request_id, wire::RemoveMember request) {
  auto group = co_await load_own_group(*session, request.group_id());
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  auto user = co_await resolve_user(session->context(), request.username());
  if (!user) {
    session->send_error(request_id, user.status());
    co_return;
  }
  if (*user != session->user_id() && !find_member(*group, session->user_id())->admin) {
    session->send_error(request_id, Status(Code::kForbidden, "only admins remove members"));
    co_return;
  }
  if (!find_member(*group, *user)) {
    session->send_error(request_id, Status(Code::kUnknownUser, "not a member of this group"));
    co_return;
  }
  if (Status s = co_await require_unsigned_membership(session->context(), group->id); !s) {
    session->send_error(request_id, s);
    co_return;
  }
  auto remove = [gid = group->id, uid = *user](store::Store& s) {
    return s.remove_member(gid, uid);
  };
  co_await change_membership(session, request_id, group->id, remove);
}

asio::awaitable<void> handle_leave_group(std::shared_ptr<Session> session, std::uint64_t request_id,
                                         wire::LeaveGroup request) {
  auto group = co_await load_own_group(*session, request.group_id());
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  if (Status s = co_await require_unsigned_membership(session->context(), group->id); !s) {
    session->send_error(request_id, s);
    co_return;
  }
  auto leave = [gid = group->id, uid = session->user_id()](store::Store& s) {
    return s.remove_member(gid, uid);
  };
  Status left = co_await session->context().worker.run(std::move(leave));
  if (!left) {
    session->send_error(request_id, left);
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  reply.mutable_ok();
  session->send(reply);
}

}  // namespace fastchat::server
