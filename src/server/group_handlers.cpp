#include "server/group_handlers.h"

#include "server/directory_handlers.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

constexpr std::size_t kMaxGroupNameBytes = 64;
constexpr int kMaxInitialMembers = 1000;

void fill_group(wire::GroupInfo& out, const store::GroupRecord& group) {
  out.set_group_id(group.id);
  out.set_name(group.name);
  for (const auto& m : group.members) {
    auto* member = out.add_members();
    member->set_username(m.username);
    member->set_admin(m.admin);
  }
}

void reply_group(Session& session, std::uint64_t request_id, const store::GroupRecord& group) {
  wire::Frame reply;
  reply.set_request_id(request_id);
  fill_group(*reply.mutable_group_info(), group);
  session.send(reply);
}

const store::GroupMemberRecord* find_member(const store::GroupRecord& group, UserId user) {
  for (const auto& m : group.members) {
    if (m.user_id == user) return &m;
  }
  return nullptr;
}

// Loads a group the session's user belongs to: kUnknownGroup, or kForbidden for a
// group the user is not in (its existence is not hidden: ids are not secret).
asio::awaitable<Result<store::GroupRecord>> load_own_group(Session& session, GroupId id) {
  auto get = [id](store::Store& s) { return s.get_group(id); };
  auto group = co_await session.context().worker.run(std::move(get));
  if (!group) co_return group;
  if (!find_member(*group, session.user_id())) {
    co_return Status(Code::kForbidden, "you are not a member of this group");
  }
  co_return group;
}

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
  reply_group(*session, request_id, *group);
}

asio::awaitable<void> handle_list_groups(std::shared_ptr<Session> session,
                                         std::uint64_t request_id) {
  auto query = [user = session->user_id()](store::Store& s) { return s.list_groups(user); };
  auto groups = co_await session->context().worker.run(std::move(query));
  if (!groups) {
    session->send_error(request_id, groups.status());
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* list = reply.mutable_group_list();
  for (const auto& g : *groups)
    fill_group(*list->add_groups(), g);
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
  auto user = co_await resolve_user(session->context(), request.username());
  if (!user) {
    session->send_error(request_id, user.status());
    co_return;
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
