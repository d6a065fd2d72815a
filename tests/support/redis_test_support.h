// Test support for the Redis-backed cluster code: the shared test Redis
// (FASTCHAT_TEST_REDIS_URL, from scripts/test-services.sh), a private redis-server
// for tests that restart Redis or need an empty registry, an io_context on a thread,
// and ids that do not collide with other tests using the same Redis.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/message_id.h"

namespace fastchat::cluster::testing {

// The shared test Redis, or nullopt (the caller then skips).
std::optional<std::string> shared_redis_url();
inline constexpr const char* kSkipMessage =
    "FASTCHAT_TEST_REDIS_URL is not set; run eval \"$(scripts/test-services.sh start redis)\"";

// A process-unique prefix for server ids, and user ids no other test uses.
std::string unique_name(const std::string& base);
UserId unique_user();

// A redis-server of our own on a Unix socket, for tests that restart or kill it.
class PrivateRedis {
 public:
  PrivateRedis();
  ~PrivateRedis();
  // False (with a message in error()) when redis-server cannot be started.
  bool start();
  void stop(bool crash = false);  // SIGTERM (or SIGKILL) and wait
  std::string url() const { return "unix://" + socket_; }
  const std::string& error() const { return error_; }
  static bool available();

 private:
  std::string dir_;
  std::string socket_;
  std::string error_;
  int pid_ = -1;
};

// One io_context running on a thread of its own; run() executes on it and waits.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  asio::io_context& io() { return io_; }
  template <typename F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto future = task.get_future();
    asio::post(io_, [&task] { task(); });
    return future.get();
  }
  void stop();

 private:
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Stops `thread` when it goes out of scope. Declared after the objects that live on
// the thread's io_context (a RedisConnection is not thread-safe), it joins the thread
// before they are destroyed, on every return path: their destructors then run with
// none of their handlers running (TSan saw a watchdog handler race a destructor).
class StopOnExit {
 public:
  explicit StopOnExit(IoThread& thread) : thread_(thread) {}
  ~StopOnExit() { thread_.stop(); }
  StopOnExit(const StopOnExit&) = delete;
  StopOnExit& operator=(const StopOnExit&) = delete;

 private:
  IoThread& thread_;
};

// Polls `condition` until true or `timeout`; returns its last value.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// A blocking command on a fresh connection (test setup and checks only).
// Returns the reply's string/integer rendered as text, or "ERR ..." / "NIL".
std::string redis_sync(const std::string& url, const std::vector<std::string>& args);

}  // namespace fastchat::cluster::testing
