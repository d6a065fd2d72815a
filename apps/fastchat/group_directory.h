// GroupDirectory: names of the user's groups by id, so messages can show "#team".
// Fetched lazily from the server and cached. Single executor, not thread-safe.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "client/client.h"

namespace fastchat::cli {

class GroupDirectory {
 public:
  explicit GroupDirectory(client::Client& client) : client_(client) {}

  // The group's name; empty when it is unknown (not a member any more, or offline).
  // Refreshes the list from the server at most once per unknown id.
  asio::awaitable<std::string> name(GroupId id);
  void remember(const client::GroupInfo& group) { names_[group.id] = group.name; }
  // The name when it is known without asking the server.
  std::optional<std::string> cached_name(GroupId id) const {
    auto it = names_.find(id);
    if (it == names_.end()) return std::nullopt;
    return it->second;
  }

  // A group id from "#name", "#12", "name" or "12" (Client::resolve_group).
  asio::awaitable<Result<GroupId>> resolve(std::string_view text);

 private:
  client::Client& client_;
  std::unordered_map<GroupId, std::string> names_;
  std::unordered_map<GroupId, bool> refreshed_for_;
};

}  // namespace fastchat::cli
