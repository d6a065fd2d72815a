// RedisMonitor: records every command a Redis server executes (MONITOR), on a
// connection and thread of its own, as the commands' raw argument bytes (Redis's
// escaping undone), so a test can search what crossed Redis for secrets.
// Thread-safe; for tests only.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

struct redisContext;

namespace fastchat::itest {

class RedisMonitor {
 public:
  // Connects to `url` (redis:// or unix://) and starts recording.
  static Result<std::unique_ptr<RedisMonitor>> start(const std::string& url);
  ~RedisMonitor();  // stops recording
  RedisMonitor(const RedisMonitor&) = delete;
  RedisMonitor& operator=(const RedisMonitor&) = delete;

  // One line per command: its arguments, unescaped, separated by spaces.
  std::string traffic() const;
  // Commands recorded so far.
  std::size_t commands() const;

 private:
  explicit RedisMonitor(redisContext* context);
  void run();

  redisContext* context_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string traffic_;
  std::size_t commands_ = 0;
};

// The arguments of one MONITOR line (`<time> [<db> <client>] "arg" "arg" ...`), each
// unescaped (\xHH, \n, \r, \t, \a, \b, \", \\), separated by spaces.
std::string unescape_monitor_line(const std::string& line);

}  // namespace fastchat::itest
