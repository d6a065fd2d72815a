// LoginLimiter: counts failed logins per account and per client address in fixed
// windows and refuses further attempts past a limit (DESIGN §5). The interface is
// here, next to Bus, so both implementations can share it: the in-memory one of a
// single node (server::MemoryLoginLimiter, server/login_limiter.h) and the Redis one
// of a cluster (cluster::RedisLoginLimiter), whose counts every server shares.
//
// Calls never block on I/O; completions may run on any thread, possibly before the
// call returns (server/login_limiter.h turns them into awaitables). Implementations
// are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace fastchat::cluster {

struct LoginLimits {
  int failures_per_account = 10;
  int failures_per_address = 50;
  std::int64_t window_ms = 60'000;
};

class LoginLimiter {
 public:
  virtual ~LoginLimiter() = default;

  // done(false) when the account or the address has failed too often in this window.
  virtual void allowed(std::string_view username, std::string_view address,
                       std::function<void(bool)> done) = 0;
  // done() once the failure is counted (a reply sent afterwards cannot beat the count
  // to another server).
  virtual void record_failure(std::string_view username, std::string_view address,
                              std::function<void()> done) = 0;
  // A success clears the account's count (not the address's). Fire and forget.
  virtual void record_success(std::string_view username) = 0;
  // Releases I/O (threads, connections); later calls still answer. Idempotent.
  virtual void stop() {}
};

}  // namespace fastchat::cluster
