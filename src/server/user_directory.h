// UserDirectory: a cache of username -> user id in front of the Store, so routing a
// message needs no database round trip. Accounts are never deleted or renamed, so
// an entry never goes stale. Thread-safe (a tiny lock around a hash map).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/message_id.h"

namespace fastchat::server {

class UserDirectory {
 public:
  explicit UserDirectory(std::size_t max_entries = 1'000'000) : max_entries_(max_entries) {}

  std::optional<UserId> find(std::string_view username) const;
  std::optional<std::string> name_of(UserId id) const;
  void remember(UserId id, std::string_view username);

 private:
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  struct NameHash {
    using is_transparent = void;  // find(string_view) without building a string
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };
  std::unordered_map<std::string, UserId, NameHash, std::equal_to<>> ids_;
  std::unordered_map<UserId, std::string> names_;
};

}  // namespace fastchat::server
