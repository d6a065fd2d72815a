// RedisLoginLimiter: the cluster's LoginLimiter. Failed logins are counted in Redis
// (fc:login:pair:…, fc:login:acct:…, fc:login:addr:…, and registrations in
// fc:register:addr:…: INCR, with a PEXPIRE of one
// window set by the window's first failure; redis_schema.h), so every server of the
// cluster sees every server's failures and N servers do not give N times the guesses.
//
// Fail safe but available: every failure is also counted by a local fallback limiter
// (the in-memory one), and a decision is refused when either Redis' or the local
// counts are over the limit. While Redis cannot be reached (not connected, no reply,
// an error), decisions use the local counts alone: limiting goes on, per server, and
// nobody is locked out by the outage. Entering and leaving that mode is logged once.
//
// Thread safety: all methods from any thread. Redis I/O runs on a thread of its own
// ("the limiter thread"), where completions run (or inline, on the fallback, after
// stop()).
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/login_limiter.h"
#include "cluster/redis_connection.h"
#include "common/status.h"

namespace fastchat::cluster {

struct RedisLoginLimiterOptions {
  std::string redis_url;  // redis://HOST:PORT[/DB] or unix://PATH
  LoginLimits limits;
  // A login waits at most about reply_timeout for Redis before the local counts decide.
  RedisOptions redis{.connect_timeout = std::chrono::milliseconds(1000),
                     .reply_timeout = std::chrono::milliseconds(1000)};
  // create() waits this long for the first connection (blocking; start-up only).
  std::chrono::milliseconds startup_wait{2000};
};

struct RedisLoginLimiterStats {
  bool connected = false;
  std::uint64_t local_decisions = 0;    // allowed() answered from local counts (Redis down)
  std::uint64_t unshared_failures = 0;  // failures Redis did not count (Redis down)
};

class RedisLoginLimiter final : public LoginLimiter {
 public:
  // kBadRequest for a bad URL. Starts the limiter thread and waits up to
  // options.startup_wait for Redis; an unreachable Redis is not an error (the local
  // counts decide until it is reachable). `fallback` must not be null.
  static Result<std::unique_ptr<RedisLoginLimiter>> create(RedisLoginLimiterOptions options,
                                                           std::unique_ptr<LoginLimiter> fallback);
  ~RedisLoginLimiter() override;

  void allowed(std::string_view username, std::string_view address,
               std::function<void(bool)> done) override;
  void record_failure(std::string_view username, std::string_view address,
                      std::function<void()> done) override;
  void record_success(std::string_view username, std::string_view address) override;
  void register_allowed(std::string_view address, std::function<void(bool)> done) override;
  // Closes the connection (waiting calls complete on the local counts) and joins the
  // limiter thread.
  void stop() override;

  RedisLoginLimiterStats stats() const;

 private:
  RedisLoginLimiter(RedisLoginLimiterOptions options, RedisEndpoint endpoint,
                    std::unique_ptr<LoginLimiter> fallback);
  // Runs `task` on the limiter thread; false (task not run) once stopped.
  template <typename F>
  bool post(F task);

  // --- limiter thread
  void on_up();
  void on_down();
  void redis_unreachable();  // logs once when the local counts start deciding
  void redis_reachable();
  bool usable() const;

  const RedisLoginLimiterOptions options_;
  const RedisEndpoint endpoint_;
  const std::unique_ptr<LoginLimiter> fallback_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex post_mutex_;  // running_ and posting to io_ (nothing posted after stop)
  bool running_ = false;

  // Limiter thread only.
  std::unique_ptr<RedisConnection> redis_;
  bool degraded_ = false;  // logged that the local counts decide

  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> local_decisions_{0};
  std::atomic<std::uint64_t> unshared_failures_{0};
};

}  // namespace fastchat::cluster
