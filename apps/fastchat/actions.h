// Actions: what each command does once a session is established, shared by the
// one-shot commands and the interactive chat. Each prints its result through an
// Output and returns the Status to report. Single executor, not thread-safe.
#pragma once

#include <asio/awaitable.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"
#include "group_directory.h"
#include "output.h"

namespace fastchat::cli {

class Actions {
 public:
  Actions(client::Client& client, const Output& out, GroupDirectory& groups)
      : client_(client), out_(out), groups_(groups) {}

  // In the chat, a sent message is shown like any other message
  // ("[time] alice -> bob: hi") instead of a "sent to bob" confirmation.
  void show_sent_as_messages(bool on) { sent_as_message_ = on; }

  asio::awaitable<Status> whoami(std::string_view server);
  asio::awaitable<Status> users(std::string_view pattern);
  asio::awaitable<Status> send(std::string_view user, std::string_view text);
  asio::awaitable<Status> send_file(std::string_view user, const std::string& path);
  asio::awaitable<Status> send_group(std::string_view group, std::string_view text);
  asio::awaitable<Status> send_group(GroupId group, std::string_view text);
  asio::awaitable<Status> send_group_file(std::string_view group, const std::string& path);
  asio::awaitable<Status> send_group_file(GroupId group, const std::string& path);
  // `peer`: "#NAME"/"#ID" is a group; otherwise a user, unless there is no history with
  // that user and it names one of the user's groups.
  asio::awaitable<Status> history(std::string_view peer, std::size_t limit);

  asio::awaitable<Status> group_create(std::string_view name, std::vector<std::string> members);
  asio::awaitable<Status> group_add(std::string_view group, std::string_view user);
  asio::awaitable<Status> group_remove(std::string_view group, std::string_view user);
  asio::awaitable<Status> group_leave(std::string_view group);
  asio::awaitable<Status> group_list();
  asio::awaitable<Status> group_members(std::string_view group);
  // The group with its verified members and the membership changes that led there.
  asio::awaitable<Status> group_show(std::string_view group);
  // `fastchat block USER` / `unblock USER` / `blocks`.
  asio::awaitable<Status> block(std::string_view user, bool block);
  asio::awaitable<Status> blocks();

  // `fastchat verify USER [--confirm] [--accept-new]`.
  asio::awaitable<Status> verify(std::string_view user, bool confirm, bool accept_new);

 private:
  asio::awaitable<Status> show_sent(const client::ChatMessage& message);
  // kNotFound (exit status 4) for a file that does not exist, rather than an i/o error.
  static Status check_file_exists(const std::string& path);
  Status print_history(const Result<std::vector<client::ChatMessage>>& messages,
                       std::string_view group_name);

  client::Client& client_;
  const Output& out_;
  GroupDirectory& groups_;
  bool sent_as_message_ = false;
};

}  // namespace fastchat::cli
