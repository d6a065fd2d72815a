// DirectoryCache: one event loop's own copy of the username -> user id entries it
// has used (LoopShard), in front of the server-wide UserDirectory, so routing a send
// takes no lock. Accounts are never deleted or renamed: an entry never goes stale,
// and nothing needs invalidating. Bounded: starts over when full.
//
// Thread safety: none; only the owning loop's thread uses it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/message_id.h"

namespace fastchat::server {

class DirectoryCache {
 public:
  explicit DirectoryCache(std::size_t max_entries = 65'536) : max_entries_(max_entries) {}

  std::optional<UserId> find(std::string_view username) const {
    auto it = ids_.find(username);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  void remember(UserId id, std::string_view username) {
    if (ids_.size() >= max_entries_) ids_.clear();
    ids_.emplace(std::string(username), id);
  }
  std::size_t size() const { return ids_.size(); }

 private:
  struct NameHash {
    using is_transparent = void;  // find(string_view) without building a string
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };
  const std::size_t max_entries_;
  std::unordered_map<std::string, UserId, NameHash, std::equal_to<>> ids_;
};

}  // namespace fastchat::server
