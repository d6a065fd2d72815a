// SessionRegistry: which sessions on this server belong to which user, over every
// loop: for what must see them all (inbox replay, the idle sweep, revocations,
// deliveries from the Redis bus). Lookups hand frames to sessions, which post them to
// their own loop: no lock is held across I/O. The hot paths use each loop's own map
// instead (LoopShard: pushes of commits, presence). Thread-safe (sharded locks).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/message_id.h"

namespace fastchat::server {

class Session;

class SessionRegistry {
 public:
  void add(UserId user, const std::shared_ptr<Session>& session);
  void remove(UserId user, const Session* session);

  // Queues `frame`, the push of `user`'s inbox seq `seq`, on every session of `user` on
  // this server (Session::deliver: a session drops a seq it has sent). Returns how many.
  std::size_t deliver(UserId user, std::uint64_t seq,
                      const std::shared_ptr<const std::string>& frame, bool replay = false);
  // Calls `fn(const std::shared_ptr<Session>&)` for every live session of `user` on
  // this server, under the shard's lock: `fn` must only queue work, never block.
  template <typename Fn>
  void for_each_session(UserId user, Fn&& fn) {
    auto& sh = shard(user);
    std::lock_guard lock(sh.mutex);
    auto it = sh.sessions.find(user);
    if (it == sh.sessions.end()) return;
    for (const auto& weak : it->second) {
      if (auto s = weak.lock()) fn(s);
    }
  }

  std::size_t authenticated_sessions() const { return count_.load(std::memory_order_relaxed); }

  // The sessions on this server for which `pred(const Session&)` holds, collected under
  // each shard's lock in turn (`pred` must not block); act on them after, lock-free.
  template <typename Pred>
  std::vector<std::shared_ptr<Session>> sessions_where(Pred&& pred) {
    std::vector<std::shared_ptr<Session>> found;
    for (auto& sh : shards_) {
      std::lock_guard lock(sh.mutex);
      for (const auto& [user, list] : sh.sessions) {
        for (const auto& weak : list) {
          if (auto s = weak.lock(); s && pred(*s)) found.push_back(std::move(s));
        }
      }
    }
    return found;
  }

  // Users with at least one session here (a snapshot; for inbox replay).
  std::vector<UserId> users();

 private:
  static constexpr std::size_t kShards = 16;
  using SessionList = std::vector<std::weak_ptr<Session>>;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, SessionList> sessions;
  };
  Shard& shard(UserId user) { return shards_[static_cast<std::size_t>(user) % kShards]; }
  static void erase_session(SessionList& list, const Session* session);
  static std::size_t post_to(const SessionList& list,
                             const std::shared_ptr<const std::string>& frame, std::uint64_t seq = 0,
                             bool replay = false);

  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace fastchat::server
