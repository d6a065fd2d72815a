// Client::Impl, directory, presence, fingerprints and groups.
#include <charconv>

#include "client/client_impl.h"
#include "common/username.h"

namespace fastchat::client {

namespace {

// Bounds on following page cursors, so a server cannot keep a client paging forever.
constexpr std::size_t kMaxListedUsers = 5'000;
constexpr int kMaxPages = 1'000;

Status bad_page(std::string_view what) {
  return Status(Code::kBadRequest, "the server sent a bad page of " + std::string(what));
}

GroupInfo to_group_info(const wire::GroupInfo& in) {
  GroupInfo out;
  out.id = in.group_id();
  out.name = in.name();
  out.members.reserve(static_cast<std::size_t>(in.members_size()));
  for (const auto& m : in.members())
    out.members.push_back(GroupMemberInfo{m.username(), m.admin()});
  return out;
}

}  // namespace

asio::awaitable<Result<std::vector<UserInfo>>> Client::Impl::list_users(std::string pattern) {
  std::vector<UserInfo> users;
  for (bool more = true; more && users.size() < kMaxListedUsers;) {
    wire::Frame frame;
    frame.mutable_list_users()->set_pattern(pattern);
    if (!users.empty()) frame.mutable_list_users()->set_after(users.back().username);
    auto reply = co_await call(std::move(frame));
    if (!reply) co_return reply.status();
    if (!reply->has_user_list()) co_return Status(Code::kBadRequest, "expected UserList");
    const auto& page = reply->user_list();
    for (const auto& u : page.users()) {
      if (!users.empty() && u.username() <= users.back().username) co_return bad_page("users");
      users.push_back(UserInfo{u.username(), u.online()});
    }
    more = page.has_more() && page.users_size() > 0;
  }
  co_return users;
}

asio::awaitable<Result<std::vector<UserInfo>>> Client::Impl::watch_presence(
    std::vector<std::string> users) {
  wire::Frame frame;
  std::vector<std::string> canonical;
  for (const auto& user : users) {
    auto name = normalize_username(user);
    if (!name) co_return Status(Code::kInvalidUsername, "not a valid username: " + user);
    frame.mutable_watch_presence()->add_usernames(*name);
    canonical.push_back(std::move(*name));
  }
  auto reply = co_await call(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_presence_list()) co_return Status(Code::kBadRequest, "expected PresenceList");
  watched_ = std::move(canonical);  // sent again after a reconnect
  std::vector<UserInfo> out;
  for (const auto& p : reply->presence_list().presence())
    out.push_back(UserInfo{p.username(), p.online()});
  co_return out;
}

asio::awaitable<Result<std::string>> Client::Impl::fingerprint(std::string username) {
  auto name = normalize_username(username);
  if (!name) co_return Status(Code::kInvalidUsername, "not a valid username: " + username);
  auto c = co_await contact(*name);
  if (!c) co_return c.status();
  co_return (*c)->fingerprint;
}

asio::awaitable<Result<GroupInfo>> Client::Impl::group_call(wire::Frame frame) {
  auto reply = co_await call(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_group_info()) co_return Status(Code::kBadRequest, "expected GroupInfo");
  co_return co_await complete_members(to_group_info(reply->group_info()),
                                      reply->group_info().more_members());
}

asio::awaitable<Result<GroupInfo>> Client::Impl::complete_members(GroupInfo group, bool more) {
  for (int pages = 0; more; ++pages) {
    if (pages == kMaxPages || group.members.empty()) co_return bad_page("group members");
    wire::Frame frame;
    frame.mutable_get_group()->set_group_id(group.id);
    frame.mutable_get_group()->set_members_after(group.members.back().username);
    auto reply = co_await call(std::move(frame));
    if (!reply) co_return reply.status();
    if (!reply->has_group_info()) co_return Status(Code::kBadRequest, "expected GroupInfo");
    const auto& page = reply->group_info();
    if (page.members_size() == 0 && page.more_members()) co_return bad_page("group members");
    for (const auto& m : page.members()) {
      if (m.username() <= group.members.back().username) co_return bad_page("group members");
      group.members.push_back(GroupMemberInfo{m.username(), m.admin()});
    }
    more = page.more_members();
  }
  co_return group;
}

asio::awaitable<Result<std::vector<GroupInfo>>> Client::Impl::list_groups() {
  std::vector<GroupInfo> groups;
  for (int pages = 0;; ++pages) {
    if (pages == kMaxPages) co_return bad_page("groups");
    wire::Frame frame;
    frame.mutable_list_groups()->set_after_group_id(groups.empty() ? 0 : groups.back().id);
    auto reply = co_await call(std::move(frame));
    if (!reply) co_return reply.status();
    if (!reply->has_group_list()) co_return Status(Code::kBadRequest, "expected GroupList");
    const auto& page = reply->group_list();
    for (const auto& g : page.groups()) {
      if (!groups.empty() && g.group_id() <= groups.back().id) co_return bad_page("groups");
      auto group = co_await complete_members(to_group_info(g), g.more_members());
      if (!group) co_return group.status();
      groups.push_back(std::move(*group));
    }
    if (!page.has_more() || page.groups_size() == 0) break;
  }
  co_return groups;
}

asio::awaitable<Result<GroupId>> Client::Impl::resolve_group(std::string name_or_id) {
  GroupId id = 0;
  const char* end = name_or_id.data() + name_or_id.size();
  auto [ptr, ec] = std::from_chars(name_or_id.data(), end, id);
  if (!name_or_id.empty() && ec == std::errc() && ptr == end) {
    if (id == 0) co_return Status(Code::kUnknownGroup, "group 0 does not exist");
    co_return id;
  }
  auto groups = co_await list_groups();
  if (!groups) co_return groups.status();
  std::vector<GroupId> matches;
  for (const auto& g : *groups) {
    if (g.name == name_or_id) matches.push_back(g.id);
  }
  if (matches.empty()) co_return Status(Code::kUnknownGroup, "no group named '" + name_or_id + "'");
  if (matches.size() > 1) {
    std::string ids;
    for (GroupId m : matches)
      ids += (ids.empty() ? "" : ", ") + std::to_string(m);
    co_return Status(Code::kBadRequest,
                     "several of your groups are named '" + name_or_id + "'; use an id: " + ids);
  }
  co_return matches.front();
}

}  // namespace fastchat::client
