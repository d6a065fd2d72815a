#include "server/loop_sessions.h"

#include <algorithm>

namespace fastchat::server {

void LoopSessions::add(UserId user, const std::shared_ptr<Session>& session) {
  sessions_[user].push_back(session);
}

void LoopSessions::remove(UserId user, const Session* session) {
  auto it = sessions_.find(user);
  if (it == sessions_.end()) return;
  std::erase_if(it->second, [session](const std::weak_ptr<Session>& w) {
    auto s = w.lock();
    return !s || s.get() == session;
  });
  if (it->second.empty()) sessions_.erase(it);
}

}  // namespace fastchat::server
