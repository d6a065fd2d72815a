#include "server/group_support.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>

#include "protocol/frame_codec.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

// A reply's room for GroupInfo/GroupList content: the frame less its request id, tags
// and lengths.
constexpr std::size_t kReplyBudget = protocol::kMaxFrameBytes - 64;

}  // namespace

std::size_t reply_budget(const ServerContext& ctx) {
  const std::size_t configured = ctx.config.max_reply_bytes;
  return configured == 0 ? kReplyBudget : std::min(configured, kReplyBudget);
}

// The bytes a field of `size` bytes takes inside its parent (tag, length, content).
std::size_t field_bytes(std::size_t size) {
  return 2 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
}

// Fills `out` with `group` and as many of its members (in username order, after
// `members_after`) as fit `budget` bytes, setting more_members when some are left
// for another GetGroup. Returns the encoded size of `out`.
std::size_t fill_group(wire::GroupInfo& out, store::GroupRecord& group,
                       std::string_view members_after, std::size_t budget) {
  out.set_group_id(group.id);
  out.set_name(group.name);
  out.set_member_count(static_cast<std::uint32_t>(group.members.size()));
  std::sort(group.members.begin(), group.members.end(),
            [](const auto& a, const auto& b) { return a.username < b.username; });
  auto first = std::upper_bound(
      group.members.begin(), group.members.end(), members_after,
      [](std::string_view after, const auto& m) { return after < std::string_view(m.username); });
  std::size_t bytes = out.ByteSizeLong() + 2;  // and more_members, should it be set
  for (auto it = first; it != group.members.end(); ++it) {
    wire::GroupMember member;
    member.set_username(it->username);
    member.set_admin(it->admin);
    const std::size_t size = field_bytes(member.ByteSizeLong());
    if (bytes + size > budget) {
      out.set_more_members(true);
      break;
    }
    bytes += size;
    *out.add_members() = std::move(member);
  }
  return bytes;
}

void reply_group(Session& session, std::uint64_t request_id, store::GroupRecord& group,
                 std::string_view members_after) {
  wire::Frame reply;
  reply.set_request_id(request_id);
  fill_group(*reply.mutable_group_info(), group, members_after, reply_budget(session.context()));
  session.send(reply);
}

// LIMIT_REACHED naming the first of `users` that is in `max` groups already.
asio::awaitable<Status> check_group_counts(ServerContext& ctx, std::vector<UserId> users) {
  auto count = [users](store::Store& s) { return s.count_groups(users); };
  auto counts = co_await ctx.worker.run(std::move(count));
  if (!counts) co_return counts.status();
  const std::size_t max = ctx.config.max_groups_per_user;
  for (std::size_t i = 0; i < counts->size() && i < users.size(); ++i) {
    if ((*counts)[i] < max) continue;
    auto name = ctx.directory.name_of(users[i]);
    co_return Status(Code::kLimitReached, (name ? *name : std::string("a member")) + " is in " +
                                              std::to_string(max) +
                                              " groups, the most this server allows");
  }
  co_return Status::ok();
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

}  // namespace fastchat::server
