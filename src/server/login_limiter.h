// Login rate limiting (DESIGN §5): the LoginLimiter interface (cluster/login_limiter.h),
// its in-memory implementation for a single node (MemoryLoginLimiter; a cluster uses
// cluster::RedisLoginLimiter, which keeps one of these as its fallback), and awaitables
// for the auth handlers' coroutines.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cluster/login_limiter.h"
#include "common/clock.h"

namespace fastchat::server {

using cluster::LoginLimiter;
using cluster::LoginLimits;

// Failure counts per account and per client address in fixed windows, in process
// memory. Thread-safe; completions run inline.
class MemoryLoginLimiter final : public LoginLimiter {
 public:
  MemoryLoginLimiter(const Clock& clock, LoginLimits limits) : clock_(clock), limits_(limits) {}

  bool allowed(std::string_view username, std::string_view address);
  void record_failure(std::string_view username, std::string_view address);
  void record_success(std::string_view username, std::string_view address) override;
  bool register_allowed(std::string_view address);

  void allowed(std::string_view username, std::string_view address,
               std::function<void(bool)> done) override {
    done(allowed(username, address));
  }
  void record_failure(std::string_view username, std::string_view address,
                      std::function<void()> done) override {
    record_failure(username, address);
    done();
  }
  void register_allowed(std::string_view address, std::function<void(bool)> done) override {
    done(register_allowed(address));
  }

 private:
  struct Window {
    std::int64_t start_ms = 0;
    int failures = 0;
  };
  int failures(std::unordered_map<std::string, Window>& map, const std::string& key,
               std::int64_t now);
  void add(std::unordered_map<std::string, Window>& map, const std::string& key, std::int64_t now);

  const Clock& clock_;
  const LoginLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> pairs_;  // key: pair_key()
  std::unordered_map<std::string, Window> accounts_;
  std::unordered_map<std::string, Window> addresses_;
  std::unordered_map<std::string, Window> registrations_;
};

// The limiter's answers on the awaiting coroutine's executor (a limiter may complete
// on any thread).
asio::awaitable<bool> login_allowed(LoginLimiter& limiter, std::string username,
                                    std::string address);
asio::awaitable<void> record_login_failure(LoginLimiter& limiter, std::string username,
                                           std::string address);
asio::awaitable<bool> register_allowed(LoginLimiter& limiter, std::string address);

// One map key for an (account, address) pair; a username holds no NUL.
std::string pair_key(std::string_view username, std::string_view address);

}  // namespace fastchat::server
