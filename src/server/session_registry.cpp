#include "server/session_registry.h"

#include <algorithm>

#include "server/session.h"

namespace fastchat::server {

void SessionRegistry::erase_session(SessionList& list, const Session* session) {
  std::erase_if(list, [session](const std::weak_ptr<Session>& w) {
    auto s = w.lock();
    return !s || s.get() == session;
  });
}

std::size_t SessionRegistry::post_to(const SessionList& list,
                                     const std::shared_ptr<const std::string>& frame,
                                     std::uint64_t seq, bool replay) {
  std::size_t n = 0;
  for (const auto& weak : list) {
    if (auto s = weak.lock()) {
      s->deliver(frame, seq, replay);
      ++n;
    }
  }
  return n;
}

void SessionRegistry::add(UserId user, const std::shared_ptr<Session>& session) {
  auto& sh = shard(user);
  std::lock_guard lock(sh.mutex);
  sh.sessions[user].push_back(session);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void SessionRegistry::remove(UserId user, const Session* session) {
  auto& sh = shard(user);
  std::lock_guard lock(sh.mutex);
  auto it = sh.sessions.find(user);
  if (it == sh.sessions.end()) return;
  const auto before = it->second.size();
  erase_session(it->second, session);
  count_.fetch_sub(before - it->second.size(), std::memory_order_relaxed);
  if (it->second.empty()) sh.sessions.erase(it);
}

std::size_t SessionRegistry::deliver(UserId user, std::uint64_t seq,
                                     const std::shared_ptr<const std::string>& frame, bool replay) {
  auto& sh = shard(user);
  std::lock_guard lock(sh.mutex);
  auto it = sh.sessions.find(user);
  if (it == sh.sessions.end()) return 0;
  return post_to(it->second, frame, seq, replay);
}

std::vector<UserId> SessionRegistry::users() {
  std::vector<UserId> out;
  for (auto& sh : shards_) {
    std::lock_guard lock(sh.mutex);
    for (const auto& [user, list] : sh.sessions)
      out.push_back(user);
  }
  return out;
}

}  // namespace fastchat::server
