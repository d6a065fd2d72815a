// LoopSessions: the logged-in sessions of one event loop, by user. The loop's own
// map (LoopShard), so a delivery handed to the loop finds its sessions without a lock.
// SessionRegistry stays the server-wide index for what must see every loop (presence
// watchers, sweeps, deliveries from the bus).
//
// Thread safety: none; only the owning loop's thread uses it.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "common/message_id.h"

namespace fastchat::server {

class Session;

class LoopSessions {
 public:
  void add(UserId user, const std::shared_ptr<Session>& session);
  void remove(UserId user, const Session* session);

  // Calls `fn(const std::shared_ptr<Session>&)` for each live session of `user` on
  // this loop.
  template <typename Fn>
  void for_each(UserId user, Fn&& fn) const {
    auto it = sessions_.find(user);
    if (it == sessions_.end()) return;
    for (const auto& weak : it->second) {
      if (auto s = weak.lock()) fn(s);
    }
  }

  std::size_t users() const { return sessions_.size(); }

 private:
  std::unordered_map<UserId, std::vector<std::weak_ptr<Session>>> sessions_;
};

}  // namespace fastchat::server
