#include "actions.h"

#include <sys/stat.h>

#include <cerrno>

#include "format.h"
#include "json.h"
#include "trust_notice.h"

namespace fastchat::cli {
namespace {

// "alice, bob", for a confirmation line.
std::string join_members(const client::GroupInfo& group) {
  std::string out;
  for (const auto& member : group.members) {
    if (!out.empty()) out += ", ";
    out += sanitize_for_terminal(member.username);
  }
  return out;
}

}  // namespace

asio::awaitable<Status> Actions::show_sent(const client::ChatMessage& message) {
  std::string group_name;
  if (message.group_id != 0) group_name = co_await groups_.name(message.group_id);
  if (sent_as_message_) {
    out_.emit(message_text(message, group_name),
              message_json(message, client_.username(), group_name));
  } else {
    out_.emit(sent_text(message, group_name), sent_json(message, group_name));
  }
  co_return Status::ok();
}

asio::awaitable<Status> Actions::whoami(std::string_view server) {
  const std::string& user = client_.username();
  if (user.empty()) co_return Status(Code::kNotAuthenticated, "run `fastchat login USER`");
  out_.emit(sanitize_for_terminal(user) + " on " + std::string(server),
            JsonObject().add("type", "whoami").add("user", user).add("server", server).str());
  co_return Status::ok();
}

asio::awaitable<Status> Actions::users(std::string_view pattern) {
  auto users = co_await client_.list_users(pattern);
  if (!users) co_return users.status();
  for (const auto& user : *users)
    out_.emit(user_text(user), user_json(user));
  co_return Status::ok();
}

asio::awaitable<Status> Actions::send(std::string_view user, std::string_view text) {
  auto sent = co_await client_.send_text(user, text);
  if (!sent) co_return sent.status();
  co_return co_await show_sent(*sent);
}

Status Actions::check_file_exists(const std::string& path) {
  if (struct stat st{}; ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return Status(Code::kNotFound, "no such file: " + path);
  }
  return Status::ok();
}

asio::awaitable<Status> Actions::send_file(std::string_view user, const std::string& path) {
  if (Status s = check_file_exists(path); !s) co_return s;
  auto sent = co_await client_.send_file(user, path);
  if (!sent) co_return sent.status();
  co_return co_await show_sent(*sent);
}

asio::awaitable<Status> Actions::send_group(std::string_view group, std::string_view text) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  co_return co_await send_group(*id, text);
}

asio::awaitable<Status> Actions::send_group(GroupId group, std::string_view text) {
  auto sent = co_await client_.send_group_text(group, text);
  if (!sent) co_return sent.status();
  co_return co_await show_sent(*sent);
}

asio::awaitable<Status> Actions::send_group_file(std::string_view group, const std::string& path) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  co_return co_await send_group_file(*id, path);
}

asio::awaitable<Status> Actions::send_group_file(GroupId group, const std::string& path) {
  if (Status s = check_file_exists(path); !s) co_return s;
  auto sent = co_await client_.send_group_file(group, path);
  if (!sent) co_return sent.status();
  co_return co_await show_sent(*sent);
}

Status Actions::print_history(const Result<std::vector<client::ChatMessage>>& messages,
                              std::string_view group_name) {
  if (!messages) return messages.status();
  for (const auto& message : *messages) {
    out_.emit(message_text(message, group_name),
              message_json(message, client_.username(), group_name));
  }
  return Status::ok();
}

asio::awaitable<Status> Actions::history(std::string_view peer, std::size_t limit) {
  if (peer.empty() || peer.front() != '#') {
    auto messages = client_.history(peer, 0, limit);
    if (messages && !messages->empty()) co_return print_history(messages, {});
    // No conversation with a user of that name: maybe it names a group.
    auto group = co_await groups_.resolve(peer);
    if (!group) co_return print_history(messages, {});
    const std::string name = co_await groups_.name(*group);
    co_return print_history(client_.history({}, *group, limit), name);
  }
  auto group = co_await groups_.resolve(peer);
  if (!group) co_return group.status();
  const std::string name = co_await groups_.name(*group);
  co_return print_history(client_.history({}, *group, limit), name);
}

asio::awaitable<Status> Actions::group_create(std::string_view name,
                                              std::vector<std::string> members) {
  auto group = co_await client_.create_group(name, std::move(members));
  if (!group) co_return group.status();
  groups_.remember(*group);
  out_.emit("created " + group_label(group->id, group->name) + " (id " + std::to_string(group->id) +
                ") with " + join_members(*group),
            group_json(*group));
  co_return Status::ok();
}

asio::awaitable<Status> Actions::group_add(std::string_view group, std::string_view user) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  auto info = co_await client_.add_member(*id, user);
  if (!info) co_return info.status();
  groups_.remember(*info);
  out_.emit("added " + sanitize_for_terminal(user) + " to " + group_label(info->id, info->name),
            group_json(*info));
  co_return Status::ok();
}

asio::awaitable<Status> Actions::group_remove(std::string_view group, std::string_view user) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  auto info = co_await client_.remove_member(*id, user);
  if (!info) co_return info.status();
  groups_.remember(*info);
  out_.emit("removed " + sanitize_for_terminal(user) + " from " + group_label(info->id, info->name),
            group_json(*info));
  co_return Status::ok();
}

asio::awaitable<Status> Actions::group_leave(std::string_view group) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  const std::string name = co_await groups_.name(*id);
  if (auto status = co_await client_.leave_group(*id); !status) co_return status;
  out_.emit("left " + group_label(*id, name), JsonObject()
                                                  .add("type", "ok")
                                                  .add("command", "group leave")
                                                  .add("group_id", *id)
                                                  .add("group", name)
                                                  .str());
  co_return Status::ok();
}

asio::awaitable<Status> Actions::group_list() {
  auto groups = co_await client_.list_groups();
  if (!groups) co_return groups.status();
  for (const auto& group : *groups) {
    groups_.remember(group);
    out_.emit(group_text(group), group_json(group));
  }
  co_return Status::ok();
}

asio::awaitable<Status> Actions::group_members(std::string_view group) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  auto info = co_await client_.get_group(*id);
  if (!info) co_return info.status();
  groups_.remember(*info);
  for (const auto& member : info->members) {
    out_.emit(member_text(member), member_json(info->id, member));
  }
  co_return Status::ok();
}

asio::awaitable<Status> Actions::group_show(std::string_view group) {
  auto id = co_await groups_.resolve(group);
  if (!id) co_return id.status();
  auto info = co_await client_.get_group(*id);  // verifies the signed membership
  if (!info) co_return info.status();
  groups_.remember(*info);
  out_.emit(group_text(*info), group_json(*info));
  auto events = client_.membership_events(*id);
  if (!events) co_return events.status();
  for (const auto& event : *events)
    out_.emit(membership_text(event), membership_json(event));
  co_return Status::ok();
}

asio::awaitable<Status> Actions::block(std::string_view user, bool block) {
  Status status;
  if (block) {
    status = co_await client_.block(user);
  } else {
    status = co_await client_.unblock(user);
  }
  if (!status) co_return status;
  const std::string name = sanitize_for_terminal(user);
  out_.emit(block ? "blocked " + name +
                        ": their messages to you are dropped unseen (they are not told) and "
                        "they cannot add you to groups"
                  : "unblocked " + name,
            JsonObject()
                .add("type", "ok")
                .add("command", block ? "block" : "unblock")
                .add("user", user)
                .str());
  co_return Status::ok();
}

asio::awaitable<Status> Actions::blocks() {
  auto names = co_await client_.list_blocked();
  if (!names) co_return names.status();
  for (const auto& name : *names)
    out_.emit(sanitize_for_terminal(name),
              JsonObject().add("type", "blocked").add("user", name).str());
  co_return Status::ok();
}

asio::awaitable<Status> Actions::verify(std::string_view user, bool confirm, bool accept_new) {
  Result<client::ContactTrust> trust = Status(Code::kInternal, "unset");
  if (accept_new) {
    trust = co_await client_.accept_new_identity(user, confirm);
  } else if (confirm) {
    trust = co_await client_.confirm_contact(user);
  } else {
    trust = co_await client_.contact_trust(user);
  }
  if (!trust) co_return trust.status();
  out_.emit(trust_text(*trust), trust_json(*trust));
  co_return Status::ok();
}

}  // namespace fastchat::cli
