// LoginLimiter: counts failed logins per account and client address, per address and
// per account in fixed windows, and refuses further password logins past a limit
// (DESIGN §5); and throttles registrations per address. A guesser is stopped first on
// its own (account, address) pair, so failures in someone's name from one address do
// not lock the owner out elsewhere; a valid session token is never asked. The interface is
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
  int failures_per_account_address = 5;  // one address guessing one account
  int failures_per_address = 50;         // one address guessing many accounts
  int failures_per_account = 100;        // many addresses guessing one account
  int registrations_per_address = 20;    // accounts one address may create per window
  std::int64_t window_ms = 15 * 60'000;
};

class LoginLimiter {
 public:
  virtual ~LoginLimiter() = default;

  // done(false) when the pair, the address or the account has failed too often in
  // this window.
  virtual void allowed(std::string_view username, std::string_view address,
                       std::function<void(bool)> done) = 0;
  // done() once the failure is counted (a reply sent afterwards cannot beat the count
  // to another server).
  virtual void record_failure(std::string_view username, std::string_view address,
                              std::function<void()> done) = 0;
  // A success clears the pair's count (not the address's or the account's: one success
  // must not reset a distributed guesser). Fire and forget.
  virtual void record_success(std::string_view username, std::string_view address) = 0;
  // Counts a registration from `address`; done(false), not counted, when the address
  // has registered registrations_per_address accounts in this window already.
  virtual void register_allowed(std::string_view address, std::function<void(bool)> done) = 0;
  // Releases I/O (threads, connections); later calls still answer. Idempotent.
  virtual void stop() {}
};

}  // namespace fastchat::cluster
