// LoopShard: what one event loop owns, in the style of Seastar's sharded<T>: its
// counters, its sessions by user, its presence watchers and its cache of the user
// directory. Nothing in it
// is shared between loops, so nothing in it is locked; work for another loop is
// posted to that loop's executor. Each shard is allocated on its own, aligned to a
// cache line, so one loop's writes never invalidate another loop's lines.
//
// Thread safety: everything is used on the shard's own loop thread only, except
// counters(), which /metrics reads (relaxed) from any thread, and executor().
#pragma once

#include <asio/any_io_executor.hpp>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "server/directory_cache.h"
#include "server/loop_sessions.h"

namespace fastchat::server {

// Bumped once per frame or delivery by the loop alone (no other writer).
struct LoopCounters {
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> messages_in{0};
  std::atomic<std::uint64_t> deliveries_out{0};
};

// The sum of every loop's LoopCounters at one moment (each read relaxed).
struct LoopTotals {
  std::uint64_t frames_in = 0;
  std::uint64_t messages_in = 0;
  std::uint64_t deliveries_out = 0;
};

inline constexpr std::size_t kCacheLine = 64;

class alignas(kCacheLine) LoopShard {
 public:
  LoopShard(std::size_t index, asio::any_io_executor executor)
      : index_(index), executor_(std::move(executor)) {}
  LoopShard(const LoopShard&) = delete;
  LoopShard& operator=(const LoopShard&) = delete;

  std::size_t index() const { return index_; }
  const asio::any_io_executor& executor() const { return executor_; }
  LoopCounters& counters() { return counters_; }
  const LoopCounters& counters() const { return counters_; }
  LoopSessions& sessions() { return sessions_; }
  // The sessions of this loop watching each user's presence (WatchPresence).
  LoopSessions& watchers() { return watchers_; }
  DirectoryCache& directory() { return directory_; }

  // The shard of the loop running on this thread; null on any other thread (the
  // committer, the store workers, the bus). Set once by the loop's thread.
  static LoopShard* current();
  void make_current();

 private:
  const std::size_t index_;
  const asio::any_io_executor executor_;
  alignas(kCacheLine) LoopCounters counters_;
  alignas(kCacheLine) LoopSessions sessions_;
  LoopSessions watchers_;
  DirectoryCache directory_;
};

}  // namespace fastchat::server
