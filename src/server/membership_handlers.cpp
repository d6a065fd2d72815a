#include "server/membership_handlers.h"

#include <sodium.h>

#include "crypto/membership.h"
#include "server/directory_handlers.h"
#include "server/group_support.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

constexpr std::size_t kRecordsPerPage = 256;
constexpr std::size_t kMaxListedBlocks = 1000;

crypto::MemberList member_list(const store::GroupRecord& group) {
  crypto::MemberList out;
  out.reserve(group.members.size());
  for (const auto& m : group.members)
    out.push_back({m.username, m.admin});
  return out;
}

bool same_hash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Checks `record` against the group as stored and its chain's last record: what it
// would append, or why not.
asio::awaitable<Result<store::MembershipAppend>> check_record(
    Session& session, const store::GroupRecord& group, const crypto::MembershipRecord& record,
    std::string bytes) {
  auto& ctx = session.context();
  // Function objects named first: no temporaries inside co_await (g++ 12, decisions.md).
  auto read_last = [id = group.id](store::Store& s) { return s.last_membership(id); };
  auto last = co_await ctx.worker.run(std::move(read_last));
  if (!last) co_return last.status();
  const Status stale(Code::kMembershipChanged,
                     "the group's membership changed meanwhile: fetch it and sign again");
  if (record.seq != last->seq + 1) co_return stale;
  if (last->seq > 0) {
    auto previous = crypto::decode_record(last->record);
    if (!previous) co_return Status(Code::kInternal, "a stored membership record is malformed");
    if (!same_hash(crypto::record_hash(*previous), record.prev_hash)) co_return stale;
  }
  auto find_actor = [id = session.user_id()](store::Store& s) { return s.find_user_by_id(id); };
  auto user = co_await ctx.worker.run(std::move(find_actor));
  if (!user) co_return user.status();
  if (Status s = crypto::verify_record_signature(record, user->identity.sign_public_key); !s)
    co_return Status(Code::kBadRequest, s.message());
  crypto::MemberList members = record.action == crypto::MembershipAction::kCreate
                                   ? crypto::MemberList{}
                                   : member_list(group);
  if (Status s = crypto::apply_change(members, record); !s) co_return s;
  const std::string expected = record.action == crypto::MembershipAction::kCreate
                                   ? crypto::members_hash(member_list(group))
                                   : crypto::members_hash(members);
  if (!same_hash(expected, record.members_hash) ||
      !same_hash(crypto::members_hash(members), record.members_hash)) {
    co_return Status(Code::kBadRequest,
                     "the record's member list is not the group's after the change");
  }
  store::MembershipAppend append;
  append.group = group.id;
  append.seq = record.seq;
  append.record = std::move(bytes);
  switch (record.action) {
    case crypto::MembershipAction::kCreate:
      break;
    case crypto::MembershipAction::kAdd: {
      auto subject = co_await resolve_user(ctx, record.subject);
      if (!subject) co_return subject.status();
      if (group.members.size() >= ctx.config.max_group_members) {
        co_return Status(Code::kLimitReached, "the group has " +
                                                  std::to_string(ctx.config.max_group_members) +
                                                  " members, the most this server allows");
      }
      auto room = check_group_counts(ctx, std::vector<UserId>{*subject});
      if (Status s = co_await std::move(room); !s) co_return s;
      auto blocked = check_not_blocked(ctx, session.user_id(), std::vector<UserId>{*subject});
      if (Status s = co_await std::move(blocked); !s) co_return s;
      append.change = store::MembershipAppend::Change::kAdd;
      append.subject = *subject;
      break;
    }
    case crypto::MembershipAction::kRemove:
    case crypto::MembershipAction::kLeave: {
      auto subject = co_await resolve_user(ctx, record.subject);
      if (!subject) co_return subject.status();
      append.change = store::MembershipAppend::Change::kRemove;
      append.subject = *subject;
      break;
    }
  }
  co_return append;
}

}  // namespace

asio::awaitable<void> handle_change_membership(std::shared_ptr<Session> session,
                                               std::uint64_t request_id,
                                               wire::ChangeMembership request) {
  auto& ctx = session->context();
  auto record = crypto::decode_record(request.record());
  if (!record) {
    session->send_error(request_id, record.status());
    co_return;
  }
  if (record->actor != session->username()) {
    session->send_error(request_id,
                        Status(Code::kForbidden, "a membership record must be signed by you"));
    co_return;
  }
  auto group = co_await load_own_group(*session, record->group_id);
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  auto checked = check_record(*session, *group, *record, std::move(*request.mutable_record()));
  auto append = co_await std::move(checked);
  if (!append) {
    session->send_error(request_id, append.status());
    co_return;
  }
  const bool leaving = record->action == crypto::MembershipAction::kLeave;
  auto apply = [append = std::move(*append)](store::Store& s) -> Result<store::GroupRecord> {
    if (Status st = s.append_membership(append); !st) return st;
    return s.get_group(append.group);
  };
  auto after = co_await ctx.worker.run(std::move(apply));
  if (!after) {
    session->send_error(request_id, after.status());
    co_return;
  }
  if (leaving) {
    wire::Frame reply;
    reply.set_request_id(request_id);
    reply.mutable_ok();
    session->send(reply);
    co_return;
  }
  reply_group(*session, request_id, *after);
}

asio::awaitable<void> handle_get_membership(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::GetMembership request) {
  auto group = co_await load_own_group(*session, request.group_id());
  if (!group) {
    session->send_error(request_id, group.status());
    co_return;
  }
  auto read = [id = group->id, after = request.after_seq()](store::Store& s) {
    return s.read_membership(id, after, kRecordsPerPage);
  };
  auto entries = co_await session->context().worker.run(std::move(read));
  if (!entries) {
    session->send_error(request_id, entries.status());
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* page = reply.mutable_membership_page();
  page->set_group_id(group->id);
  // Cut by encoded size: a record that does not fit waits for the next page.
  const std::size_t budget = reply_budget(session->context());
  std::size_t bytes = 16;
  bool cut = false;
  for (auto& entry : *entries) {
    const std::size_t size = field_bytes(entry.record.size());
    if (bytes + size > budget && page->records_size() > 0) {
      cut = true;
      break;
    }
    bytes += size;
    page->add_records(std::move(entry.record));
  }
  page->set_has_more(cut || entries->size() == kRecordsPerPage);
  session->send(reply);
}

asio::awaitable<void> handle_block(std::shared_ptr<Session> session, std::uint64_t request_id,
                                   wire::Block request) {
  auto& ctx = session->context();
  auto user = co_await resolve_user(ctx, request.username());
  if (!user) {
    session->send_error(request_id, user.status());
    co_return;
  }
  if (*user == session->user_id()) {
    session->send_error(request_id, Status(Code::kBadRequest, "you cannot block yourself"));
    co_return;
  }
  auto set = [me = session->user_id(), other = *user, block = !request.unblock(),
              now = ctx.clock.now_ms()](store::Store& s) {
    return s.set_blocked(me, other, block, now);
  };
  if (Status s = co_await ctx.worker.run(std::move(set)); !s) {
    session->send_error(request_id, s);
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  reply.mutable_ok();
  session->send(reply);
}

asio::awaitable<void> handle_list_blocked(std::shared_ptr<Session> session,
                                          std::uint64_t request_id, wire::ListBlocked) {
  auto list = [me = session->user_id()](store::Store& s) {
    return s.list_blocked(me, kMaxListedBlocks);
  };
  auto names = co_await session->context().worker.run(std::move(list));
  if (!names) {
    session->send_error(request_id, names.status());
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* blocked = reply.mutable_blocked_list();  // set even when empty
  for (auto& name : *names)
    blocked->add_usernames(std::move(name));
  session->send(reply);
}

asio::awaitable<Status> require_unsigned_membership(ServerContext& ctx, GroupId group) {
  auto read_last = [group](store::Store& s) { return s.last_membership(group); };
  auto last = co_await ctx.worker.run(std::move(read_last));
  if (!last) co_return last.status();
  if (last->seq > 0) {
    co_return Status(Code::kForbidden,
                     "this group's membership is signed: change it with a client that signs "
                     "membership changes");
  }
  co_return Status::ok();
}

asio::awaitable<Status> check_not_blocked(ServerContext& ctx, UserId actor,
                                          std::vector<UserId> users) {
  if (users.empty()) co_return Status::ok();
  auto which = [users, actor](store::Store& s) { return s.which_block(users, actor); };
  auto blocked = co_await ctx.worker.run(std::move(which));
  if (!blocked) co_return blocked.status();
  for (std::size_t i = 0; i < blocked->size() && i < users.size(); ++i) {
    if (!(*blocked)[i]) continue;
    auto name = ctx.directory.name_of(users[i]);
    co_return Status(Code::kForbidden,
                     "you cannot add " + (name ? *name : std::string("this user")));
  }
  co_return Status::ok();
}

}  // namespace fastchat::server
