#include "server/user_directory.h"

namespace fastchat::server {

std::optional<UserId> UserDirectory::find(std::string_view username) const {
  std::lock_guard lock(mutex_);
  auto it = ids_.find(username);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> UserDirectory::name_of(UserId id) const {
  std::lock_guard lock(mutex_);
  auto it = names_.find(id);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

void UserDirectory::remember(UserId id, std::string_view username) {
  std::lock_guard lock(mutex_);
  if (ids_.size() >= max_entries_) {  // bounded: start over rather than grow forever
    ids_.clear();
    names_.clear();
  }
  ids_.emplace(std::string(username), id);
  names_.emplace(id, std::string(username));
}

}  // namespace fastchat::server
