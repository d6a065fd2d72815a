// Fleet: the bench users of a run: their cached accounts, their connected and
// authenticated sessions spread over the LoopPool. Used by every scenario (the keys
// of the users that talk are in MessageCrypto).
// Thread safety: call from the controlling thread; connect() runs on the loops.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "accounts.h"
#include "client/connection.h"
#include "loop_pool.h"
#include "options.h"

namespace fastchat::bench {

class Fleet {
 public:
  Fleet(const BenchOptions& options, LoopPool& pool) : options_(options), pool_(pool) {}

  // Loads or creates accounts 0..count-1 (Argon2id once per new account).
  Status prepare(std::size_t count);
  // Connects and logs in `count` sessions; session i is account i % accounts and
  // lives on loop i % loops. `endpoint(i)` chooses its server (default: --server).
  Status connect(std::size_t count,
                 const std::function<client::Endpoint(std::size_t)>& endpoint = nullptr);
  // Writes the accounts (with fresh tokens) back to the cache.
  Status save();
  // Closes every session (on its loop).
  void close_all();

  std::vector<BenchAccount> accounts;
  std::vector<std::shared_ptr<client::Connection>> sessions;
  std::vector<std::uint64_t> acked_seq;  // per session, from its AuthOk
  std::size_t resumed = 0, logged_in = 0, registered = 0, created = 0;
  double connect_seconds = 0;

 private:
  const BenchOptions& options_;
  LoopPool& pool_;
};

}  // namespace fastchat::bench
